"""A supplier announces a delivery on a phone, scanning codes into it; the manager receives it against what
arrived (one quantity lower) and the intake, its nota titip and the stock show what arrived, under the
delivery's number. A manager cancels another with a reason the supplier reads, a delivery received meanwhile
cannot be cancelled, and a suspended supplier cannot announce. Every page is read in Bahasa Indonesia, passes
axe-core and fits 360 px (the checks of the page walk)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from shared import business_time
from tests.browser.conftest import PHONE, log_in
from tests.browser.test_page_walk import any_of, check_page, english_sentences
from tests.support import eventually

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

NUMBER = re.compile(r"KRM-\d{4}-\d{6}")
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
    url, english = centre.url, any_of(english_sentences())
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
    # scanning: a code and Enter add a line (or one more to it); a code of no product of hers is refused
    for code in (goods["dodol"]["barcode"], goods["dodol"]["barcode"], goods["tas"]["sku"].lower()):
        page.fill("#f-scan", code)
        with page.expect_navigation():
            page.press("#f-scan", "Enter")
        assert page.evaluate("document.activeElement.id") == "f-scan" and page.input_value("#f-scan") == ""
    assert page.inner_text("#scan-status") == f"Ditambahkan: {TAS}."
    assert [page.input_value(f"#f-lines-{row}-{name}") for row in (0, 1) for name in ("product_id", "qty")] == [
        goods["dodol"]["id"],
        "2",
        goods["tas"]["id"],
        "1",
    ]
    page.fill("#f-scan", "8990000000000")
    with page.expect_navigation():
        page.press("#f-scan", "Enter")
    assert page.inner_text("[data-field-error=scan]") == (
        "Tidak ada produk Anda yang dijual dengan barcode atau SKU ini."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_page(page, "delivery-supplier-announce-scanned", english)
    page.set_viewport_size(PHONE)
    page.fill("#f-lines-0-qty", "20")
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
    flash = page.locator("[data-testid=flash-success]", has_text="diumumkan.")
    flash.wait_for()
    number = NUMBER.search(flash.inner_text()).group(0)
    row = page.locator("#deliveries tbody tr")
    assert row.count() == 1 and "Diumumkan" in row.inner_text() and number in row.inner_text()
    assert f"{DODOL} × 20" in row.inner_text() and f"{TAS} × 5" in row.inner_text()
    check_page(page, "delivery-supplier-deliveries", english)

    page.context.clear_cookies()
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/intakes")
    announced = page.locator("#announced-deliveries tbody tr")
    assert announced.count() == 1 and "Oleh-oleh Mpok Yati" in announced.inner_text()
    assert number in announced.inner_text()
    check_page(page, "delivery-manager-intakes-announced", english)
    announced.get_by_role("link", name="Terima").click()
    page.locator("#receive-form").wait_for()
    assert number in page.inner_text("h1")
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
    assert page.inner_text("[data-testid=delivery-number]") == number
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

    cancelled_and_refused(centre, page, goods)


def announce_by_api(centre, yati_headers, goods) -> dict:
    body = {"lines": [{"product_id": goods["tas"]["id"], "qty": 2}]}
    response = centre.manager.post(f"{centre.api}/inventory/deliveries", json=body, headers=yati_headers)
    assert response.status_code == 201, response.text
    return response.json()


def cancelled_and_refused(centre, page, goods) -> None:
    """A manager cancels an announced delivery with a reason the supplier reads; one received while the manager
    was cancelling it is refused with a sentence; scanning works without JavaScript; a suspended supplier cannot
    announce."""
    url, english = centre.url, any_of(english_sentences())
    yati = centre.token("yati", "yati-pass-1")
    received_meanwhile, cancelled = announce_by_api(centre, yati, goods), announce_by_api(centre, yati, goods)

    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/intakes")
    row = page.locator(f"#announced-deliveries tr[data-delivery-number='{received_meanwhile['number']}']")
    row.get_by_role("link", name="Batal").click()
    page.locator("#cancel-delivery-form").wait_for()
    assert received_meanwhile["number"] in page.inner_text("h1")
    check_page(page, "delivery-manager-cancel", english)
    body = {"lines": [{"line_no": 1, "qty": 2}]}
    receipt = centre.manager.post(f"{centre.api}/inventory/deliveries/{received_meanwhile['id']}/receive", json=body)
    assert receipt.status_code == 200, receipt.text
    page.fill("#f-reason", "salah catat")
    page.click("#cancel-delivery")
    assert page.inner_text("[data-testid=page-message]") == "Pengiriman ini sudah diterima atau dibatalkan."
    assert centre.manager.get(f"{centre.api}/inventory/deliveries/{received_meanwhile['id']}").json()["status"] == (
        "received"
    )

    page.goto(f"{url}/manager/intakes")
    page.locator(f"tr[data-delivery-number='{cancelled['number']}']").get_by_role("link", name="Batal").click()
    page.click("#cancel-delivery")  # no reason given
    assert page.inner_text("[data-field-error=reason]") == "Wajib diisi."
    assert "Tulis alasan pengiriman dibatalkan" in page.inner_text("[data-testid=page-message]")
    check_page(page, "delivery-manager-cancel-error", english)
    page.fill("#f-reason", "Gudang penuh minggu ini")
    page.click("#cancel-delivery")
    page.locator("[data-testid=flash-success]", has_text=f"Pengiriman {cancelled['number']} dibatalkan.").wait_for()
    assert "Tidak ada pengiriman yang diumumkan." in page.inner_text("#announced-deliveries")
    page.click("#delivery-history")  # the history: received and cancelled ones too, newest first
    page.wait_for_url(f"{url}/manager/deliveries")
    rows = page.locator("tbody tr")
    numbers = [rows.nth(i).get_attribute("data-delivery-number") for i in range(rows.count())]
    assert numbers[:2] == [cancelled["number"], received_meanwhile["number"]] and len(numbers) == 3
    assert "Diterima" in rows.nth(1).inner_text() and "NT-" in rows.nth(1).inner_text()
    check_page(page, "delivery-manager-history", english)
    page.select_option("#f-status", "cancelled")
    page.click("#filter-deliveries")
    page.wait_for_url(f"{url}/manager/deliveries?status=cancelled")
    assert rows.count() == 1 and "Dibatalkan" in rows.inner_text() and "Gudang penuh minggu ini" in rows.inner_text()

    page.context.clear_cookies()
    log_in(page, url, "yati", "yati-pass-1")
    page.wait_for_url(f"{url}/supplier")
    row = page.locator(f"#deliveries tr[data-delivery-number='{cancelled['number']}']")
    assert "Dibatalkan" in row.inner_text() and "Alasan: Gudang penuh minggu ini" in row.inner_text()
    check_page(page, "delivery-supplier-delivery-cancelled", english)
    page.set_viewport_size(PHONE)  # the deliveries fit a phone without scrolling the table sideways either
    table = page.locator("#deliveries .table-wrap")
    assert table.evaluate("wrap => wrap.scrollWidth <= wrap.clientWidth")

    # the announce form is a plain form: scanning works with JavaScript off
    plain = page.context.browser.new_context(java_script_enabled=False, locale="id-ID", viewport=PHONE)
    try:
        no_script = plain.new_page()
        log_in(no_script, url, "yati", "yati-pass-1")
        no_script.wait_for_url(f"{url}/supplier")
        no_script.goto(f"{url}/supplier/deliveries/new")
        no_script.fill("#f-scan", goods["tas"]["barcode"])
        with no_script.expect_navigation():
            no_script.press("#f-scan", "Enter")
        assert no_script.input_value("#f-lines-0-product_id") == goods["tas"]["id"]
        assert no_script.input_value("#f-lines-0-qty") == "1"
    finally:
        plain.close()

    suspended = centre.manager.patch(
        f"{centre.api}/suppliers/suppliers/{goods['supplier']['id']}", json={"status": "suspended"}
    )
    assert suspended.status_code == 200, suspended.text
    probe = {"lines": [{"product_id": str(uuid.uuid4()), "qty": 1}]}  # refused either way; writes nothing

    def refused_as_not_active():
        response = centre.manager.post(f"{centre.api}/inventory/deliveries", json=probe, headers=yati)
        return response.json().get("code") == "supplier_not_active"

    eventually(refused_as_not_active, timeout=30, message="inventory knows the supplier is suspended")
    page.goto(f"{url}/supplier/deliveries/new")
    page.select_option("#f-lines-0-product_id", label=TAS)
    page.fill("#f-lines-0-qty", "3")
    page.click("#announce")
    assert page.inner_text("[data-testid=page-message]") == (
        "Titip jual Anda sedang ditangguhkan atau sudah berakhir, jadi Anda tidak dapat mengumumkan pengiriman. "
        "Hubungi manajer sentra."
    )
    check_page(page, "delivery-supplier-suspended", english)
