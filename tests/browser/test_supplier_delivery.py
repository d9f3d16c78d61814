"""A supplier announces a delivery on a phone; the manager receives it against what arrived (one quantity lower)
and the intake, its nota titip and the stock show what arrived. Every page is read in Bahasa Indonesia, passes
axe-core and fits 360 px (the checks of the page walk)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import business_time
from tests.browser.conftest import PHONE, log_in
from tests.browser.test_page_walk import check_page, english_sentences
from tests.support import eventually

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DODOL = "Dodol Betawi Original 250 g"
TAS = "Tas Anyaman Pandan"


def supplier_with_two_products(centre) -> dict:
    """Oleh-oleh Mpok Yati, with a food product (expiry required) and a craft, and her login ``yati``."""
    http, api = centre.manager, centre.api
    body = {"business_name": "Oleh-oleh Mpok Yati", "owner_name": "Yati", "phone": "081311120001"}
    yati = http.post(f"{api}/suppliers/suppliers", json=body).json()

    def product(name, category, price):
        body = {"name": name, "category": category, "unit": "pcs", "price": price, "supplier_id": yati["id"]}
        response = http.post(f"{api}/inventory/products", json=body)
        return response.json() if response.status_code == 201 else None

    dodol = eventually(lambda: product(DODOL, "makanan", 25_000), timeout=30, message="inventory knows the supplier")
    tas = product(TAS, "kerajinan", 85_000)
    centre.add_user("yati", "Mpok Yati", "supplier", "yati-pass-1", yati["id"])
    return {"supplier": yati, "dodol": dodol, "tas": tas}


def on_hand(centre, product) -> int:
    return centre.manager.get(f"{centre.api}/inventory/products/{product['id']}/stock").json()["on_hand"]


def test_a_supplier_announces_two_lines_on_a_phone_and_the_manager_receives_one_lower(centre, page):
    url, english = centre.url, english_sentences()
    goods = supplier_with_two_products(centre)
    expiry = (business_time.today() + timedelta(days=90)).isoformat()

    page.set_viewport_size(PHONE)
    log_in(page, url, "yati", "yati-pass-1")
    page.wait_for_url(f"{url}/supplier")
    assert "Belum ada pengiriman yang diumumkan." in page.inner_text("#deliveries")
    page.click("#announce-delivery")
    page.wait_for_url(f"{url}/supplier/deliveries/new")
    check_page(page, "delivery-supplier-announce", english)
    page.set_viewport_size(PHONE)
    page.select_option("#f-lines-0-product_id", label=DODOL)
    page.fill("#f-lines-0-qty", "20")
    page.select_option("#f-lines-1-product_id", label=TAS)
    page.fill("#f-lines-1-qty", "5")
    page.click("#announce")  # the dodol's expiry forgotten
    assert page.inner_text("[data-field-error='lines.0.expiry_date']") == "Wajib untuk produk ini."
    assert "Beberapa baris pengiriman tidak valid" in page.inner_text("[data-testid=page-message]")
    check_page(page, "delivery-supplier-announce-error", english)
    page.set_viewport_size(PHONE)
    page.fill("#f-lines-0-expiry_date", expiry)
    page.fill("#f-lines-0-lot_code", "DB-11")
    page.click("#announce")
    page.wait_for_url(f"{url}/supplier")
    page.locator("[data-testid=flash-success]", has_text="Pengiriman diumumkan.").wait_for()
    row = page.locator("#deliveries tbody tr")
    assert row.count() == 1 and "Diumumkan" in row.inner_text()
    assert f"{DODOL} × 20" in row.inner_text() and f"{TAS} × 5" in row.inner_text()
    check_page(page, "delivery-supplier-deliveries", english)

    page.context.clear_cookies()
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/intakes")
    announced = page.locator("#announced-deliveries tbody tr")
    assert announced.count() == 1 and "Oleh-oleh Mpok Yati" in announced.inner_text()
    check_page(page, "delivery-manager-intakes-announced", english)
    announced.get_by_role("link", name="Terima").click()
    page.locator("#receive-form").wait_for()
    assert page.input_value("#f-lines-0-qty") == "20" and page.input_value("#f-lines-1-qty") == "5"
    assert page.input_value("#f-lines-0-expiry_date") == expiry and page.input_value("#f-lines-0-lot_code") == "DB-11"
    check_page(page, "delivery-manager-receive-delivery", english)
    page.fill("#f-lines-0-qty", "18")  # two boxes of dodol did not come
    page.click("#receive-delivery")
    page.locator("[data-testid=flash-success]", has_text="dicatat").wait_for()
    assert "/manager/intakes/" in page.url and page.locator("#nota-titip").count() == 1
    lines = page.locator("tbody tr")
    assert lines.count() == 2
    cells = [[cell.inner_text() for cell in lines.nth(i).locator("td").all()] for i in range(2)]
    assert [c[1:4] for c in cells] == [[DODOL, "18", "DB-11"], [TAS, "5", cells[1][3]]]
    check_page(page, "delivery-manager-received-intake", english)
    nota = page.request.get(url + page.get_attribute("#nota-titip", "href"))
    assert nota.status == 200 and nota.headers["content-type"] == "application/pdf"
    assert on_hand(centre, goods["dodol"]) == 18 and on_hand(centre, goods["tas"]) == 5
    page.goto(f"{url}/manager/stock")
    assert "18 pcs" in page.locator("tr", has_text=DODOL).inner_text()
    assert "5 pcs" in page.locator("tr", has_text=TAS).inner_text()
    page.goto(f"{url}/manager/intakes")
    assert "Tidak ada pengiriman yang diumumkan." in page.inner_text("#announced-deliveries")

    page.context.clear_cookies()
    log_in(page, url, "yati", "yati-pass-1")
    page.wait_for_url(f"{url}/supplier")
    row = page.locator("#deliveries tbody tr")
    assert "Diterima" in row.inner_text() and "datang: 18" in row.inner_text()
    check_page(page, "delivery-supplier-delivery-received", english)
