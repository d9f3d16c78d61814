"""The customer's display: a second window the cashier opens; it shows the cart total, the QRIS code while the
payment waits and the change once paid, kept in step by the counter page (a BroadcastChannel, no server)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import open_counter, scan, screenshot
from tests.browser.test_counter_payments import choose, pending_qris, provider_pays

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
DODOL, KERUPUK = "8991234500010", "8991234500027"


def test_the_customer_display_follows_the_cart_and_shows_the_qris_code(shop, page):
    open_counter(page, shop)
    scan(page, DODOL)
    expect(page.locator("#total")).to_have_text("Rp25.000")

    with page.context.expect_page() as opened:
        page.click("#display-button")
    display = opened.value
    display.wait_for_load_state()
    assert display.url.endswith("/cashier/display")
    expect(display.locator("#display-total")).to_have_text("Rp25.000")  # a display opened late gets the cart
    expect(display.locator("#display-lines tr")).to_have_count(1)
    page.bring_to_front()
    page.locator("#scan").focus()

    scan(page, KERUPUK)
    expect(display.locator("#display-total")).to_have_text("Rp40.000")
    expect(display.locator("#display-lines tr")).to_have_count(2)
    expect(display.locator("#display-lines")).to_contain_text("Kerupuk Kulit Cikarang")
    assert_accessible(display)

    page.keyboard.press("F9")
    page.locator("#pay-dialog[open]").wait_for()
    choose(page, "qris")
    payment = pending_qris(page, lambda: page.click("#pay-submit"))
    src = "/api/pos" + payment["qr_image_url"]
    expect(display.locator("#display-qris-image")).to_have_attribute("src", src)
    display.wait_for_function("() => document.getElementById('display-qris-image').naturalWidth > 0")
    expect(display.locator("#display-qris-image")).to_have_attribute("alt", "Kode QRIS untuk membayar Rp40.000")
    assert_accessible(display)
    screenshot(display, "customer-display-qris")

    with page.context.expect_page() as receipt:  # the receipt's print view
        provider_pays(shop, payment)
        page.locator("#last-sale").wait_for(timeout=20_000)
    expect(display.locator("#display-paid")).to_be_visible()
    expect(display.locator("#display-qris")).to_be_hidden()
    expect(display.locator("#display-change")).to_have_text("Rp0")

    receipt.value.close()  # printed: back to the counter
    page.bring_to_front()
    page.locator("#scan").focus()
    page.fill("#scan", DODOL)  # the next customer
    page.press("#scan", "Enter")
    expect(page.locator("#total")).to_have_text("Rp25.000")
    expect(display.locator("#display-total")).to_have_text("Rp25.000")
    expect(display.locator("#display-paid")).to_be_hidden()
