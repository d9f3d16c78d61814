"""A cashier's whole shift in headless Chromium against the real services behind the gateway: open a shift,
scan, change the quantity, take cash, check out, open the receipt, close the shift."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.conftest import log_in
from tests.support import eventually

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
BARCODE = "8991234500010"
PRICE = 25_000


@pytest.fixture
def counter(centre):
    """A supplier with one product in the POS catalogue and register R01, made through the gateway's API."""
    http, api = centre.manager, centre.api
    supplier = http.post(
        f"{api}/suppliers/suppliers",
        json={"business_name": "Dodol Betawi Mpok Yati", "owner_name": "Yati", "phone": "081311120001"},
    ).json()

    def create_product():
        response = http.post(
            f"{api}/inventory/products",
            json={
                "name": "Dodol Betawi Original 250 g",
                "category": "makanan",
                "unit": "pack",
                "price": PRICE,
                "barcode": BARCODE,
                "supplier_id": supplier["id"],
            },
        )
        return response.json() if response.status_code == 201 else None

    eventually(create_product, timeout=30, message="inventory knows the supplier (supplier.registered)")
    cashier = centre.token("kasir", "kasir-pass-1")
    eventually(
        lambda: centre.manager.get(f"{api}/pos/catalogue/barcode/{BARCODE}", headers=cashier).status_code == 200,
        timeout=30,
        message="the POS catalogue has the product (product.upserted)",
    )
    assert http.post(f"{api}/pos/registers", json={"code": "R01", "name": "Kasir 1"}).status_code == 201
    return centre


def test_a_cashier_rings_up_a_cash_sale_prints_the_receipt_and_closes_the_shift(counter, page):
    url = counter.url
    sent_keys = []
    page.on(
        "request",
        lambda r: (
            sent_keys.append(r.headers.get("idempotency-key"))
            if r.method == "POST" and r.url.endswith("/api/pos/sales")
            else None
        ),
    )

    log_in(page, url, "kasir", "kasir-pass-1")
    page.wait_for_url(f"{url}/cashier")

    page.locator("#open-shift").wait_for()
    assert "R01" in page.inner_text("#register")
    page.fill("#opening-float", "200000")
    page.click("#open-shift button[type=submit]")
    page.locator("#sale-panel").wait_for()
    assert "Rp200.000" in page.inner_text("#shift-status")

    page.fill("#barcode", "0000000000000")
    page.press("#barcode", "Enter")
    page.locator("#message").wait_for()
    assert "0000000000000" in page.inner_text("#message")  # the pos service's problem detail

    page.fill("#barcode", BARCODE)
    page.press("#barcode", "Enter")
    page.locator("#cart tr").wait_for()
    assert "Dodol Betawi Original 250 g" in page.inner_text("#cart")
    page.fill("#cart input.qty", "2")
    page.press("#cart input.qty", "Tab")
    assert page.inner_text("#total") == "Rp50.000"
    page.fill("#tendered", "100000")
    assert page.inner_text("#change") == "Rp50.000"

    page.click("#checkout")
    page.locator("#receipt").wait_for()
    receipt_no = page.inner_text("[data-testid=receipt-no]")
    assert re.fullmatch(r"R01-\d{8}-0001", receipt_no)
    assert page.inner_text("#receipt-change") == "Rp50.000"
    assert len(sent_keys) == 1 and uuid.UUID(sent_keys[0])
    assert page.locator("#cart tr").count() == 0

    href = page.get_attribute("#receipt-link", "href")
    assert href == f"/api/pos/receipts/{receipt_no}?width=58"
    receipt = page.context.request.get(f"{url}{href}")  # the browser's cookie session
    assert receipt.status == 200 and receipt_no in receipt.text() and "Rp50.000" in receipt.text()

    page.fill("#counted-cash", "250000")
    page.click("#close-shift button[type=submit]")
    page.locator("#close-result").wait_for()
    assert "Shift ditutup." in page.inner_text("#close-result")
    page.locator("#open-shift").wait_for()
