"""The manager's stock pages in headless Chromium against the real services behind the gateway: stock on hand
with filters, a write-off, the alerts, a stock count approved with its variance, and a return to supplier."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from shared import business_time
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in, screenshot, sell
from tests.browser.test_gateway_manager_and_supplier_pages import tab_to, type_into
from tests.support import eventually

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DODOL = "Dodol Betawi Original 250 g"
KERUPUK = "Kerupuk Kulit Cikarang"


def stocked_supplier(centre) -> dict:
    """A supplier with two food products received today: 20 dodol (lot far from expiry) and 10 kerupuk whose lot
    expires in five days; another supplier with one product, to filter out."""
    http, api = centre.manager, centre.api

    def supplier(name, phone):
        body = {"business_name": name, "owner_name": "Pemilik", "phone": phone}
        return http.post(f"{api}/suppliers/suppliers", json=body).json()

    yati, other = supplier("Oleh-oleh Mpok Yati", "081311120001"), supplier("Batik Bekasi Asri", "081311120002")

    def product(owner, name, barcode, price, category="makanan"):
        body = {"name": name, "category": category, "unit": "pcs", "price": price, "barcode": barcode}
        response = http.post(f"{api}/inventory/products", json={**body, "supplier_id": owner["id"]})
        return response.json() if response.status_code == 201 else None

    dodol = eventually(lambda: product(yati, DODOL, "8991234500010", 25_000), timeout=30, message="supplier known")
    kerupuk = product(yati, KERUPUK, "8991234500027", 15_000)
    batik = eventually(
        lambda: product(other, "Batik Tulis Bekasi", "8991234500041", 350_000, "fashion"), timeout=30, message="known"
    )
    today = business_time.today()
    for owner, lines in (
        (
            yati,
            [
                {
                    "product_id": dodol["id"],
                    "qty": 20,
                    "lot_code": "DDL-01",
                    "expiry_date": str(today + timedelta(days=200)),
                },
                {
                    "product_id": kerupuk["id"],
                    "qty": 10,
                    "lot_code": "KRP-01",
                    "expiry_date": str(today + timedelta(days=5)),
                },
            ],
        ),
        (other, [{"product_id": batik["id"], "qty": 3}]),
    ):
        response = http.post(f"{api}/inventory/intakes", json={"supplier_id": owner["id"], "lines": lines})
        assert response.status_code == 201, response.text
    return {"supplier": yati, "dodol": dodol, "kerupuk": kerupuk, "batik": batik}


def on_hand(centre, product: dict) -> int:
    return centre.manager.get(f"{centre.api}/inventory/products/{product['id']}/stock").json()["on_hand"]


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def movement_rows(page) -> list[list[str]]:
    """The cells of the product page's movement table, newest first."""
    return [r.locator("td").all_inner_texts() for r in page.locator("#movements tbody tr").all()]


def press_enter_and_wait(page) -> None:
    """Enter on a form's button or field: wait for the page the form leads to (the old page has the same
    elements until then)."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def row(page, text: str):
    return page.locator("tbody tr", has_text=text)


def test_stock_on_hand_filters_a_write_off_and_the_alerts_with_names(centre, page):
    url = centre.url
    stock = stocked_supplier(centre)
    sale = sell(centre, "8991234500041", qty=4, amount=4 * 350_000)  # one batik more than the shelf: flagged
    kerupuk = centre.manager.patch(
        f"{centre.api}/inventory/products/{stock['kerupuk']['id']}", json={"reorder_point": 10}
    )
    assert kerupuk.status_code == 200, kerupuk.text
    eventually(lambda: on_hand(centre, stock["batik"]) == -1, timeout=30, message="the sale reached the stock")
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    tab_to(page, "nav.tabs a[href='/manager/stock']")
    press_enter_and_wait(page)
    page.wait_for_url(f"{url}/manager/stock")
    assert page.locator("tbody tr").count() == 3
    assert_accessible(page)

    tab_to(page, "#f-supplier_id")
    page.select_option("#f-supplier_id", label="Oleh-oleh Mpok Yati")  # a select is chosen, not typed into
    type_into(page, "#f-q", "dodol")
    press_enter_and_wait(page)
    page.wait_for_url("**/manager/stock?*")
    assert page.locator("tbody tr").count() == 1
    assert row(page, DODOL).locator("td").nth(3).inner_text() == "20 pcs"
    assert "Oleh-oleh Mpok Yati" in row(page, DODOL).inner_text()
    assert page.inner_text("[data-testid=stock-totals]") == "20 unit, senilai Rp500.000 dengan harga jual"
    screenshot(page, "console-stock")

    def view(name: str) -> dict[str, list[str]]:
        """The stock list narrowed to ``name`` (chosen by keyboard): ``{product: [on hand, reorder point, note]}``."""
        page.goto(f"{url}/manager/stock")
        tab_to(page, "#f-view")
        page.select_option("#f-view", name)
        tab_to(page, "#stock-filter button[type=submit]")
        press_enter_and_wait(page)
        cells = [r.locator("td").all_inner_texts() for r in page.locator("tbody tr").all()]
        return {c[0]: [c[3], c[4], c[6]] for c in cells}

    low = view("low")  # at or below the reorder point: kerupuk (10 of 10) and the batik sold below zero
    assert sorted(low) == ["Batik Tulis Bekasi", KERUPUK], low
    assert low[KERUPUK][:2] == ["10 pcs", "10"] and "Stok menipis" in low[KERUPUK][2]
    assert low["Batik Tulis Bekasi"][0] == "-1 pcs" and "Terjual melebihi stok" in low["Batik Tulis Bekasi"][2]
    assert_accessible(page)
    flagged = view("flagged")  # flagged for a count: only the batik
    assert list(flagged) == ["Batik Tulis Bekasi"] and "Perlu dihitung" in flagged["Batik Tulis Bekasi"][2]
    assert view("all").keys() == {DODOL, KERUPUK, "Batik Tulis Bekasi"}

    page.goto(f"{url}/manager/stock/{stock['batik']['id']}")
    sold = movement_rows(page)[:2]  # the sale took the 3 of the lot, and 1 unit beyond it
    assert sorted((row[1], row[2]) for row in sold) == [("Penjualan", "-1"), ("Penjualan", "-3")]
    assert all(row[4] == "Rudi Kasir" and row[5] == f"Struk {sale['receipt_no']}" for row in sold), sold
    intake = movement_rows(page)[2]
    assert intake[1:3] == ["Penerimaan", "+3"] and intake[4] == "Dewi Manajer"
    assert intake[5].startswith("Nota titip NT-")
    assert not UUID.search(page.inner_text("main"))
    assert_accessible(page)
    page.goto(f"{url}/manager/stock?supplier_id={stock['supplier']['id']}&q=dodol")

    tab_to(page, f"tr[data-product-id='{stock['dodol']['id']}'] a")
    press_enter_and_wait(page)
    page.locator("#write-off-form").wait_for()
    assert "DDL-01" in page.inner_text("table") and page.inner_text("[data-testid=on-hand]") == "20 pcs"
    assert_accessible(page)
    tab_to(page, "#save-write-off")
    press_enter_and_wait(page)  # nothing filled in
    assert page.inner_text("[data-field-error=qty]") == "Wajib diisi."
    assert page.inner_text("[data-field-error=reason]") == "Wajib diisi."
    type_into(page, "#f-qty", "25")
    page.select_option("#f-reason", label="Rusak")
    page.select_option("#f-borne_by", label="Sentra")
    tab_to(page, "#save-write-off")
    press_enter_and_wait(page)
    assert page.inner_text("[data-field-error=qty]") == "Lebih banyak dari stok yang ada."
    assert_accessible(page)
    page.fill("#f-qty", "2")
    page.click("#save-write-off")
    page.locator("[data-testid=flash-success]", has_text="2 unit dihapusbukukan.").wait_for()
    assert page.inner_text("[data-testid=on-hand]") == "18 pcs"
    written_off, received = movement_rows(page)  # newest first
    assert written_off[1:5] == ["Penghapusan stok", "-2", "DDL-01", "Dewi Manajer"]
    assert written_off[5] == "Rusak (kerugian ditanggung: Sentra)"
    assert received[1:5] == ["Penerimaan", "+20", "DDL-01", "Dewi Manajer"] and received[5].startswith("Nota titip NT-")
    tab_to(page, "#f-kind")
    page.select_option("#f-kind", label="Penghapusan stok")
    tab_to(page, "#movement-filter button[type=submit]")
    press_enter_and_wait(page)
    assert movement_rows(page) == [written_off]
    assert_accessible(page)
    screenshot(page, "console-stock-product")
    expiry = str(business_time.today() + timedelta(days=100))
    lines = [{"product_id": stock["dodol"]["id"], "qty": 1, "expiry_date": expiry}] * 21
    intake = centre.manager.post(
        f"{centre.api}/inventory/intakes", json={"supplier_id": stock["supplier"]["id"], "lines": lines}
    )
    assert intake.status_code == 201, intake.text
    page.goto(f"{url}/manager/stock/{stock['dodol']['id']}")  # 23 movements: 20 a page
    assert len(movement_rows(page)) == 20 and page.inner_text("[data-testid=movements-page]") == "Halaman 1 dari 2"
    tab_to(page, "#movements-older")
    press_enter_and_wait(page)
    assert page.inner_text("[data-testid=movements-page]") == "Halaman 2 dari 2"
    assert len(movement_rows(page)) == 3 and movement_rows(page)[1:] == [written_off, received]  # the oldest last
    assert page.locator("#movements-newer").count() == 1 and page.locator("#movements-older").count() == 0
    assert_accessible(page)

    page.goto(f"{url}/manager/alerts")
    tab_to(page, "#scan-alerts")
    press_enter_and_wait(page)
    page.locator("[data-testid=flash-success]", has_text="Rak sudah diperiksa").wait_for()
    alert = page.locator("tr[data-alert-id]", has_text=KERUPUK)
    assert "Hampir kedaluwarsa" in alert.inner_text() and "KRP-01" in alert.inner_text()
    assert "Oleh-oleh Mpok Yati" in alert.inner_text()
    assert "near_expiry" not in page.inner_text("main") and "-" * 4 not in page.inner_text("tbody")
    assert_accessible(page)
    screenshot(page, "console-alerts")
    tab_to(page, f"tr[data-alert-id='{alert.get_attribute('data-alert-id')}'] button")
    press_enter_and_wait(page)
    page.locator("[data-testid=flash-success]", has_text="Peringatan ditandai sudah ditangani.").wait_for()
    expect(page.locator("tr[data-alert-id]", has_text=KERUPUK)).to_have_count(0)
    page.select_option("#f-status", "resolved")
    page.click("#alert-filter button[type=submit]")
    assert "Ditangani" in page.locator("tr[data-alert-id]", has_text=KERUPUK).inner_text()

    with page.expect_navigation():
        page.click("[data-testid=language-en]")
    assert page.inner_text("h1") == "Stock alerts" and "Near expiry" in page.inner_text("tbody")


def test_a_count_is_opened_counted_by_typing_and_scanning_and_approved_with_its_variance(centre, page):
    url = centre.url
    stock = stocked_supplier(centre)
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/counts")
    assert_accessible(page)
    tab_to(page, "#f-supplier_id")
    page.select_option("#f-supplier_id", label="Oleh-oleh Mpok Yati")
    type_into(page, "#f-note", "Opname akhir bulan")
    tab_to(page, "#open-count")
    press_enter_and_wait(page)
    page.locator("[data-testid=flash-success]", has_text="Stock opname SO-").wait_for()
    assert page.locator("#count-sheet tbody tr").count() == 2
    assert page.inner_text("[data-testid=uncounted]") == "2"
    assert "Terbuka" in page.inner_text("h1")
    assert_accessible(page)

    dodol_field = f"#f-counted-{stock['dodol']['id']}"
    type_into(page, dodol_field, "17")
    type_into(page, f"#f-reason-{stock['dodol']['id']}", "Kemasan hilang")
    tab_to(page, "#save-counts")
    press_enter_and_wait(page)
    page.locator("[data-testid=flash-success]", has_text="Jumlah hitungan disimpan.").wait_for()
    dodol = page.locator(f"tr[data-product-id='{stock['dodol']['id']}']")
    assert dodol.locator("td").nth(4).inner_text() == "-3"
    assert dodol.locator("td").nth(5).inner_text() == "-Rp75.000"
    assert "Dewi Manajer" in dodol.inner_text()

    # A scanner types the barcode into the focused field and presses Enter: 10 scans of one unit each.
    for _ in range(10):
        expect(page.locator("#f-barcode")).to_be_focused()
        page.keyboard.type("8991234500027")
        press_enter_and_wait(page)
        page.locator("[data-testid=flash-success]").wait_for()
    assert page.inner_text("[data-testid=uncounted]") == "0"
    assert page.inner_text("[data-testid=variance-units]") == "-3"
    page.keyboard.type("8991234599999")
    press_enter_and_wait(page)
    assert page.inner_text("[data-field-error=barcode]") == "Tidak ada produk dengan barcode ini."
    assert_accessible(page)
    screenshot(page, "console-count")

    tab_to(page, "#approve-count")
    press_enter_and_wait(page)
    page.locator("[data-testid=flash-success]", has_text="Stock opname disetujui").wait_for()
    assert "Disetujui" in page.inner_text("h1") and page.locator("#approve-count").count() == 0
    assert page.inner_text("[data-testid=variance-rupiah]") == "-Rp75.000"
    assert_accessible(page)
    on_hand = centre.manager.get(f"{centre.api}/inventory/products/{stock['dodol']['id']}/stock").json()["on_hand"]
    assert on_hand == 17
    page.goto(f"{url}/manager/counts")
    assert "Disetujui" in row(page, "Opname akhir bulan").inner_text()


def test_a_return_is_picked_from_the_pick_list_and_printed_as_a_nota_retur(centre, page):
    url = centre.url
    stocked_supplier(centre)
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/returns")
    assert_accessible(page)
    tab_to(page, "#new-return")
    press_enter_and_wait(page)
    page.wait_for_url(f"{url}/manager/returns/new")
    assert_accessible(page)
    tab_to(page, "#f-supplier_id")
    page.select_option("#f-supplier_id", label="Oleh-oleh Mpok Yati")
    tab_to(page, "#return-supplier button[type=submit]")
    press_enter_and_wait(page)
    page.locator("#return-form").wait_for()
    assert page.locator("#return-form tbody tr").count() == 1  # only the lot near expiry
    pick = row(page, KERUPUK)
    assert "KRP-01" in pick.inner_text() and "Hampir kedaluwarsa" in pick.inner_text()
    assert_accessible(page)
    screenshot(page, "console-return-pick-list")

    kerupuk_qty = "#return-form tbody tr input[name^='qty.']"
    type_into(page, kerupuk_qty, "12")
    tab_to(page, "#save-return")
    press_enter_and_wait(page)
    assert page.inner_text("[data-field-error=collected_by]") == "Wajib diisi."
    type_into(page, "#f-collected_by", "Yati")
    tab_to(page, "#save-return")
    press_enter_and_wait(page)
    assert page.locator("[data-field-error^='qty.']").inner_text() == "Lebih banyak dari stok yang ada."
    assert_accessible(page)
    page.fill(kerupuk_qty, "10")
    page.click("#save-return")
    page.locator("[data-testid=flash-success]", has_text="Retur RT-").wait_for()
    assert row(page, KERUPUK).locator("td").nth(3).inner_text() == "10"
    assert "Yati" in page.inner_text("dl") and "Dewi Manajer" in page.inner_text("dl")
    nota = page.context.request.get(url + page.get_attribute("#nota-retur", "href"))
    assert nota.status == 200 and nota.body().startswith(b"%PDF")
    assert_accessible(page)
    page.goto(f"{url}/manager/returns")
    assert "Oleh-oleh Mpok Yati" in row(page, "RT-").inner_text()
