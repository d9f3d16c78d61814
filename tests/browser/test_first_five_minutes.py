"""README's "first five minutes", walked in the browser on a counter PC's screen: the cashier rings up a sale,
and the supplier sees it reach their balance. Takes the README's two screenshots (``build/screenshots``;
``docs/screenshots`` holds the copies the README shows)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import BROWSER_WAIT_MS, log_in, open_counter, scan, screenshot
from tests.support import eventually

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
DODOL = "8991234500010"


@pytest.fixture
def desktop(browser):
    """A counter PC's screen (the cashier) and, later, the supplier's."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    yield page
    context.close()


def test_a_sale_at_the_counter_reaches_the_suppliers_balance(shop, desktop):
    page = desktop
    suppliers = shop.centre.manager.get(f"{shop.centre.api}/suppliers/suppliers").json()
    supplier_id = next(s["id"] for s in suppliers if s["business_name"] == "Oleh-oleh Mpok Yati")
    shop.centre.add_user("yati", "Yati", "supplier", "yati-pass-1", supplier_id)
    api, manager = shop.centre.api, shop.centre.manager
    dodol = next(p for p in manager.get(f"{api}/inventory/products").json() if p["barcode"] == DODOL)
    delivered = manager.post(
        f"{api}/inventory/intakes",
        json={
            "supplier_id": supplier_id,
            "lines": [{"product_id": dodol["id"], "qty": 24, "expiry_date": "2027-03-31"}],
        },
    )
    assert delivered.status_code == 201, delivered.text

    open_counter(page, shop)
    scan(page, DODOL)
    scan(page, DODOL)
    expect(page.locator("#total")).to_have_text("Rp50.000")
    screenshot(page, "first-five-minutes-counter")
    page.keyboard.press("F9")
    page.locator("#pay-dialog[open]").wait_for()
    page.keyboard.type("50000")
    with page.context.expect_page() as receipt_window:
        page.keyboard.press("Enter")
    receipt_window.value.close()
    page.locator("#last-sale").wait_for()

    page.goto(f"{shop.url}/logout")  # any page's log-out; the form post is the button's, a GET lands on login too
    page.context.clear_cookies()
    log_in(page, shop.url, "yati", "yati-pass-1")
    page.wait_for_url(f"{shop.url}/supplier")

    def balance_shows_the_sale() -> bool:
        page.reload()
        return page.inner_text("#balance [data-key=pending]") != "Rp0"

    eventually(balance_shows_the_sale, timeout=30, interval=1, message="the sale reached the supplier's ledger")
    assert page.inner_text("#balance [data-key=pending]").startswith("Rp")
    expect(page.get_by_role("cell", name="22", exact=True)).to_be_visible()  # 24 delivered, 2 sold
    assert_accessible(page)
    screenshot(page, "first-five-minutes-supplier")
