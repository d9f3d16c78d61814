"""The counter in headless Chromium against the real services, by keyboard: three scans and a cash sale with the
right change, search by name with the arrow keys, an unknown code, quantity and discounts, the cart surviving a
reload, park and resume, void."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import open_counter, scan, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
DODOL, KERUPUK, SAMBAL = "8991234500010", "8991234500027", "8991234500034"


def test_three_scans_and_cash_with_the_right_change_by_keyboard_alone(shop, page):
    sent_keys = []
    page.on(
        "request",
        lambda r: (
            sent_keys.append(r.headers.get("idempotency-key"))
            if r.method == "POST" and r.url.endswith("/api/pos/sales")
            else None
        ),
    )
    open_counter(page, shop)
    assert "Rp200.000" in page.inner_text("#shift-status")
    assert_accessible(page)

    scan(page, "0000000000000")
    page.locator("#message").wait_for()
    assert page.inner_text("#message") == (
        "Kode 0000000000000 tidak dikenal. Periksa kodenya atau cari produk berdasarkan nama."
    )
    scan(page, DODOL)
    scan(page, KERUPUK)
    scan(page, DODOL)  # a second scan adds to the line's quantity
    expect(page.locator("#cart tr")).to_have_count(2)
    expect(page.locator("#total")).to_have_text("Rp65.000")
    assert page.input_value("#cart tr:first-child input.qty") == "2"
    expect(page.locator("#scan")).to_be_focused()
    screenshot(page, "counter-cart")

    page.keyboard.press("F9")
    page.locator("#pay-dialog[open]").wait_for()
    expect(page.locator("#pay-amount")).to_be_focused()
    assert [b.inner_text() for b in page.locator("#quick-amounts button").all()] == [
        "Uang pas Rp65.000",
        "Rp70.000",
        "Rp100.000",
    ]
    assert_accessible(page)
    page.keyboard.type("100000")
    assert page.inner_text("#pay-change") == "Rp35.000"
    screenshot(page, "counter-pay-cash")
    with page.context.expect_page() as receipt_window:
        page.keyboard.press("Enter")
    receipt = receipt_window.value
    receipt.wait_for_load_state()
    page.locator("#last-sale").wait_for()
    receipt_no = page.inner_text("#receipt-no")
    assert re.fullmatch(r"R01-\d{8}-0001", receipt_no)
    assert receipt.url.endswith(f"/api/pos/receipts/{receipt_no}?width=58")
    assert "Rp35.000" in receipt.content()
    assert page.inner_text("#last-change") == "Rp35.000"
    assert len(sent_keys) == 1 and uuid.UUID(sent_keys[0])
    assert page.locator("#cart tr").count() == 0
    page.bring_to_front()
    expect(page.locator("#scan")).to_be_focused()  # the next sale starts focused
    assert_accessible(page)


def test_an_unknown_code_is_never_sold_as_the_product_found_for_its_first_digits(shop, page):
    """A scanner types faster than the search: the list found for the code's first digits ("000", which the
    shop's barcodes and SKUs hold) is still on the screen when the whole code is entered, and an unknown
    code must not fall back on its highlighted product."""
    open_counter(page, shop)
    page.keyboard.type("000")
    expect(page.locator("#search-results li").first).to_be_visible()
    scan(page, "0000000000")  # the rest of the code and Enter, before the search for it has run
    expect(page.locator("#message")).to_have_text(
        "Kode 0000000000000 tidak dikenal. Periksa kodenya atau cari produk berdasarkan nama."
    )
    expect(page.locator("#cart tr")).to_have_count(0)


def test_search_by_name_quantity_discounts_reload_park_resume_and_void(shop, page):
    open_counter(page, shop)
    page.keyboard.type("sambal")
    page.locator("#search-results li").first.wait_for()
    assert page.get_attribute("#scan", "aria-expanded") == "true"
    page.keyboard.press("ArrowDown")  # stays on the one result (wraps around)
    page.keyboard.press("Enter")
    expect(page.locator("#cart tr")).to_have_count(1)
    assert "Sambal Bawang Khas Bekasi" in page.inner_text("#cart")
    page.keyboard.type("3*" + KERUPUK)
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_have_text("Rp57.500")
    page.keyboard.press("+")  # one more of the last item
    expect(page.locator("#total")).to_have_text("Rp72.500")

    page.fill("#cart tr:first-child input.line-discount", "2500")
    page.press("#cart tr:first-child input.line-discount", "Tab")
    expect(page.locator("#total")).to_have_text("Rp70.000")
    page.keyboard.press("F2")
    page.keyboard.press("Alt+k")
    page.locator("#discount-dialog[open]").wait_for()
    page.keyboard.type("5000")
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_have_text("Rp65.000")
    assert page.inner_text("#discount-total") == "Rp7.500"

    page.reload()  # the cart survives
    page.locator("#counter").wait_for()
    expect(page.locator("#total")).to_have_text("Rp65.000")
    assert page.locator("#cart tr").count() == 2

    page.keyboard.press("Alt+p")  # park: the counter is free for the next customer
    expect(page.locator("#cart tr")).to_have_count(0)
    assert page.inner_text("#parked-count") == "1"
    scan(page, DODOL)
    expect(page.locator("#total")).to_have_text("Rp25.000")
    page.keyboard.press("Alt+l")
    page.locator("#parked-dialog[open]").wait_for()
    assert_accessible(page)
    screenshot(page, "counter-parked")
    page.keyboard.press("Enter")  # resume the first parked sale; the one on the counter is parked instead
    expect(page.locator("#total")).to_have_text("Rp65.000")
    assert page.inner_text("#parked-count") == "1"

    page.keyboard.press("Alt+v")
    page.locator("#void-dialog[open]").wait_for()
    page.keyboard.press("Enter")
    expect(page.locator("#cart tr")).to_have_count(0)
    assert page.inner_text("#total") == "Rp0"
    expect(page.locator("#scan")).to_be_focused()
