"""Selling on while the network is down: sales rung up offline (cash and card) are kept in the browser, survive a
reload (the service worker serves the counter), and reach the POS service exactly once when the network is back;
the shift cannot close while sales wait."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import BROWSER_WAIT_MS, open_counter, scan, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
DODOL, KERUPUK, SAMBAL = "8991234500010", "8991234500027", "8991234500034"


def offline_sale(page, code: str, method: str = "cash") -> str:
    scan(page, code)
    expect(page.locator("#cart tr")).to_have_count(1)
    page.keyboard.press("F9")
    page.locator("#pay-dialog[open]").wait_for()
    if method == "card":
        page.check("#pay-form input[name=method][value=card]")
        page.fill("#pay-code", "EDC-1")
        page.press("#pay-code", "Enter")
    else:
        page.keyboard.press("Enter")
    page.locator("#last-sale").wait_for()
    expect(page.locator("#cart tr")).to_have_count(0)
    return page.inner_text("#receipt-no")


def test_three_sales_offline_survive_a_reload_and_arrive_once(shop, page):
    open_counter(page, shop)
    page.wait_for_function("() => !!navigator.serviceWorker.controller || location.reload()", timeout=BROWSER_WAIT_MS)
    page.wait_for_function("() => Number(document.body.dataset.catalogueSize) >= 4")
    shift_id = page.evaluate(
        "() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.endsWith('.shift')))).id"
    )

    page.context.set_offline(True)
    expect(page.locator("#net-badge")).to_have_text("Luring: penjualan disimpan dan dikirim nanti")
    numbers = [offline_sale(page, DODOL), offline_sale(page, KERUPUK, "card"), offline_sale(page, SAMBAL)]
    assert all(n.startswith("OFFLINE-R01-") for n in numbers) and len(set(numbers)) == 3
    expect(page.locator("#queue-badge")).to_have_text("3 penjualan menunggu dikirim")
    assert "Dibuat saat luring" in page.inner_text("#print-area")
    assert_accessible(page)
    screenshot(page, "counter-offline")

    page.click("#close-button")  # not while sales wait
    expect(page.locator("#message")).to_contain_text("Penjualan luring masih menunggu dikirim")

    page.reload()  # the service worker opens the counter, with its shift, without the network
    page.locator("#counter").wait_for()
    expect(page.locator("#queue-badge")).to_have_text("3 penjualan menunggu dikirim")
    scan(page, DODOL)  # at once: a scan waits for the local catalogue to be read back, never asks the server
    expect(page.locator("#cart tr")).to_have_count(1)

    page.context.set_offline(False)
    expect(page.locator("#queue-badge")).to_be_hidden(timeout=20_000)
    sales = shop.centre.manager.get(f"{shop.centre.api}/pos/sales?shift_id={shift_id}").json()
    assert len(sales) == 3
    assert sorted(s["total"] for s in sales) == [12_500, 15_000, 25_000]
    assert {p["method"] for s in sales for p in s["payments"]} == {"cash", "card"}


@pytest.fixture
def page_without_service_worker(browser):
    """A page whose requests ``page.route`` sees (a service worker's fetches would bypass the routes)."""
    context = browser.new_context(viewport={"width": 412, "height": 900}, locale="id-ID", service_workers="block")
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    yield page
    context.close()


def test_a_sync_whose_answer_is_lost_is_sent_again_and_makes_one_sale(shop, page_without_service_worker):
    page = page_without_service_worker
    open_counter(page, shop)
    page.wait_for_function("() => Number(document.body.dataset.catalogueSize) >= 4")
    page.context.set_offline(True)
    offline_sale(page, DODOL)
    sent = []

    def drop_the_answer(route):
        sent.append(route.request.headers.get("idempotency-key"))
        if len(sent) == 1:
            route.fetch()  # the request reaches the server...
            route.abort("connectionreset")  # ...its answer never reaches the page
        else:
            route.continue_()

    page.route("**/api/pos/sales", drop_the_answer)
    page.context.set_offline(False)
    expect(page.locator("#queue-badge")).to_be_hidden(timeout=30_000)
    assert len(sent) >= 2 and len(set(sent)) == 1  # the same key each time
    shift_id = page.evaluate(
        "() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.endsWith('.shift')))).id"
    )
    sales = shop.centre.manager.get(f"{shop.centre.api}/pos/sales?shift_id={shift_id}").json()
    assert len(sales) == 1


def test_a_sale_made_offline_after_a_price_change_it_missed_is_recorded_at_what_the_customer_paid(shop, page):
    from tests.support import eventually

    """The price changes on the server while the counter cannot hear of it; the counter sells at the price it
    knows (offline), and the sale is recorded at that price when it arrives."""
    open_counter(page, shop)
    page.wait_for_function("() => Number(document.body.dataset.catalogueSize) >= 4")
    page.context.set_offline(True)

    http, api = shop.centre.manager, shop.centre.api
    product = http.get(f"{api}/pos/catalogue/barcode/{DODOL}").json()
    changed_at = datetime.now(UTC)
    assert http.patch(f"{api}/inventory/products/{product['product_id']}", json={"price": 27_500}).status_code == 200
    eventually(
        lambda: http.get(f"{api}/pos/catalogue/barcode/{DODOL}").json()["price"] == 27_500,
        timeout=30,
        message="the POS catalogue has the new price",
    )
    offline_no = offline_sale(page, DODOL)  # Rp25.000: the price this counter knows
    assert "Rp25.000" in page.inner_text("#print-area")
    # the sale says since when its prices were current: the counter's last refresh, before the change
    queued = page.evaluate("() => JSON.parse(localStorage.getItem('sentra.counter.queue'))")
    assert [line["unit_price"] for line in queued[0]["body"]["lines"]] == [25_000]
    assert datetime.fromisoformat(queued[0]["body"]["priced_at"].replace("Z", "+00:00")) < changed_at

    page.context.set_offline(False)
    expect(page.locator("#queue-badge")).to_be_hidden(timeout=30_000)
    synced = page.evaluate("() => JSON.parse(localStorage.getItem('sentra.counter.synced'))")
    assert [entry["offline_no"] for entry in synced] == [offline_no] and "failed" not in synced[0]
    sale = http.get(f"{api}/pos/sales/{synced[0]['sale_id']}").json()
    assert sale["receipt_no"] == synced[0]["receipt_no"]
    assert (sale["total"], sale["change"]) == (25_000, 0)
    assert [(line["unit_price"], line["qty"], line["line_total"]) for line in sale["lines"]] == [(25_000, 1, 25_000)]
    receipt = http.get(f"{api}/pos/receipts/{sale['receipt_no']}?width=58").text
    assert "Rp25.000" in receipt and "Rp27.500" not in receipt
