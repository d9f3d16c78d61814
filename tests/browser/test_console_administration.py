"""The manager's administration pages in headless Chromium against the real services behind the gateway:
categories, label sheets, settings (outlet, registers, own PIN), users, the audit log, failed events and the
import of suppliers and products. Each page is checked with axe-core, read in Bahasa Indonesia and in English,
and photographed on a desktop screen and on a 360 px phone (no sideways scrolling)."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from services.pos import qris
from shared.events import build_envelope
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_gateway_manager_and_supplier_pages import tab_to, type_into
from tests.support import eventually

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DESKTOP = {"width": 1280, "height": 900}
#: The elements reaching past ``width`` outside the scrolling tab bar and tables (what makes a page scroll sideways).
WIDER_THAN = """width => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1)
    .filter(e => !(e.parentElement && e.parentElement.closest('.tabs, .table-wrap')))
    .map(e => `${e.tagName}#${e.id}.${e.className}`).slice(0, 8)"""
PHONE = {"width": 360, "height": 800}


def photographed(page, name: str) -> None:
    """Screenshots of the page as it is, on a desktop and on a 360 px phone (which must not scroll sideways),
    both accessible; the viewport is given back."""
    before = page.viewport_size
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    too_wide = page.evaluate(WIDER_THAN, PHONE["width"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{name} scrolls: {too_wide}"
    assert_accessible(page)
    screenshot(page, f"{name}-360")
    page.set_viewport_size(before)


def submit(page, selector: str) -> None:
    """Press the button by keyboard and wait for the page the form leads to."""
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def in_english(page, url: str, heading: str) -> None:
    """The English switch of the page shows ``heading``; the page's Indonesian comes back after."""
    page.goto(url)
    page.click("[data-testid=language-en]")
    expect(page.locator("h1")).to_have_text(heading)
    page.click("[data-testid=language-id]")


def supplier_with_products(centre) -> dict:
    http, api = centre.manager, centre.api
    supplier = http.post(
        f"{api}/suppliers/suppliers",
        json={"business_name": "Oleh-oleh Mpok Yati", "owner_name": "Yati", "phone": "081311120001"},
    ).json()

    def product(name, barcode, price):
        body = {"name": name, "category": "makanan", "unit": "pcs", "price": price, "supplier_id": supplier["id"]}
        if barcode:
            body["barcode"] = barcode
        response = http.post(f"{api}/inventory/products", json=body)
        return response.json() if response.status_code == 201 else None

    dodol = eventually(
        lambda: product("Dodol Betawi Original 250 g", "8991234500010", 25_000), timeout=30, message="supplier known"
    )
    kerupuk = product("Kerupuk Kulit Cikarang", None, 15_000)  # gets an in-store code
    return {"supplier": supplier, "dodol": dodol, "kerupuk": kerupuk}


def test_categories_are_kept_on_their_page_and_products_choose_from_them(centre, page):
    url = centre.url
    supplier_with_products(centre)
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    assert_accessible(page)
    tab_to(page, "nav.tabs a[href='/manager/categories']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert [r.get_attribute("data-category") for r in page.locator("tbody tr").all()] == [
        "fashion",
        "kerajinan",
        "lainnya",
        "makanan",
        "minuman",
    ]
    type_into(page, "#f-name", "Makanan")
    type_into(page, "#f-sku_prefix", "MKX")
    submit(page, "#add-category")
    assert page.inner_text("[data-field-error=name]") == "Kategori lain sudah memakai nama ini."
    assert_accessible(page)
    page.fill("#f-name", "Kue Kering")
    page.fill("#f-sku_prefix", "kue")  # capitals are made of it
    page.check("#f-requires_expiry")
    submit(page, "#add-category")
    page.locator("[data-testid=flash-success]", has_text="Kategori Kue Kering ditambahkan.").wait_for()
    row = page.locator("tr[data-category=kue-kering]")
    assert "KUE" in row.inner_text() and "Wajib" in row.inner_text() and "Dipakai" in row.inner_text()
    photographed(page, "console-categories")

    with page.expect_navigation():  # the list has a #f-name too (the add form)
        page.click("tr[data-category=fashion] a")
    page.fill("#f-name", "Busana")
    page.uncheck("#f-active")
    submit(page, "#save-category")
    assert "Tidak dipakai" in page.locator("tr[data-category=fashion]").inner_text()

    page.goto(f"{url}/manager/products/new")
    options = page.locator("#f-category option").all_inner_texts()
    assert "Kue Kering" in options and "Busana" not in options  # a retired category takes no new products
    page.select_option("#f-supplier_id", label="Oleh-oleh Mpok Yati")
    page.select_option("#f-category", label="Kue Kering")
    page.fill("#f-name", "Nastar Nanas")
    page.fill("#f-price", "45.000")
    submit(page, "#product-form button[type=submit]")
    page.locator("[data-testid=flash-success]").wait_for()
    assert page.input_value("#f-category") == "kue-kering"
    page.fill("#f-price", "")
    type_into(page, "#f-price", "52.500")  # the price changed on the product's page, by keyboard
    submit(page, "#product-form button[type=submit]")
    page.locator("[data-testid=flash-success]", has_text="Perubahan disimpan.").wait_for()
    assert page.input_value("#f-price") == "52500"
    history = [r.locator("td").all_inner_texts()[1:] for r in page.locator("#price-history tbody tr").all()]
    assert history == [["Rp45.000", "Rp52.500", "Dewi Manajer"], ["–", "Rp45.000", "Dewi Manajer"]]  # newest first
    assert_accessible(page)
    page.goto(f"{url}/manager/products")
    assert "Kue Kering" in page.locator("tbody tr", has_text="Nastar Nanas").inner_text()
    assert "Makanan" in page.locator("tbody tr", has_text="Dodol Betawi").inner_text()
    in_english(page, f"{url}/manager/categories", "Product categories")


def test_a_label_sheet_of_chosen_products_and_quantities_downloads_as_a_pdf(centre, page):
    url = centre.url
    stock = supplier_with_products(centre)
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/labels")
    assert page.locator("tbody tr").count() == 2
    assert_accessible(page)
    submit(page, "#download-labels")  # nothing chosen
    assert page.inner_text("[data-testid=page-message]") == "Isi jumlah label untuk sedikitnya satu produk."
    dodol, kerupuk = stock["dodol"], stock["kerupuk"]
    type_into(page, f"#f-copies-{dodol['id']}", "600")
    submit(page, "#download-labels")
    assert page.inner_text(f"[data-field-error=copies-{dodol['id']}]") == "Bilangan bulat dari 0 sampai 480."
    assert_accessible(page)
    page.fill(f"#f-copies-{dodol['id']}", "3")
    page.fill(f"#f-copies-{kerupuk['id']}", "2")
    photographed(page, "console-labels")
    with page.expect_download() as download_info:
        page.click("#download-labels")
    download = download_info.value
    assert download.suggested_filename == "label-harga.pdf"
    reader = PdfReader(io.BytesIO(open(download.path(), "rb").read()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert text.count("Dodol Betawi Original 250 g") == 3 and text.count("Kerupuk Kulit Cikarang") == 2
    assert text.count("Rp25.000") == 3 and text.count("Rp15.000") == 2
    digits = re.sub(r"\s", "", text)  # the barcode's digits are printed in its groups under the bars
    assert "8991234500010" in digits and kerupuk["barcode"] in digits
    assert kerupuk["barcode"].startswith("20")  # the in-store code is printed as its barcode
    in_english(page, f"{url}/manager/labels", "Price labels")


def test_the_settings_page_saves_the_outlet_adds_a_register_and_sets_the_managers_pin(centre, page):
    url = centre.url
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/settings")
    assert_accessible(page)
    good_qris = qris.static_payload("TOKO OLEH OLEH CIKARANG", "KAB. BEKASI")
    page.fill("#f-name", "Sentra Oleh-oleh Cikarang")
    page.fill("#f-receipt_header", "Buka 08.00–21.00 · WA 0812-1111-2222")
    page.fill("#f-receipt_footer", "Terima kasih, sampai jumpa lagi!")
    page.fill("#f-discount_approval_limit", "75.000")
    page.fill("#f-static_qris_payload", good_qris[:-4] + ("0000" if not good_qris.endswith("0000") else "1111"))
    page.check("#f-ppn_registered")
    submit(page, "#save-settings")
    assert page.inner_text("[data-field-error=static_qris_payload]") == (
        "Ini bukan QRIS yang sah: kode pemeriksanya (CRC) tidak cocok."
    )
    assert_accessible(page)
    assert page.input_value("#f-receipt_footer") == "Terima kasih, sampai jumpa lagi!"  # what was typed stays
    settings_url = f"{centre.api}/pos/outlets/{centre.apps['pos'].extensions['sentra'].settings.outlet_id}/settings"
    assert centre.manager.get(settings_url).json()["receipt_footer"] is None  # nothing was saved
    page.fill("#f-static_qris_payload", good_qris)
    submit(page, "#save-settings")
    assert page.inner_text("[data-field-error=npwp]") == "Wajib bila gerai terdaftar PKP (PPN)."
    page.fill("#f-npwp", "012345678901234")
    submit(page, "#save-settings")
    page.locator("[data-testid=flash-success]", has_text="Pengaturan disimpan.").wait_for()
    saved = centre.manager.get(settings_url).json()
    assert (
        saved["receipt_header"] == "Buka 08.00–21.00 · WA 0812-1111-2222" and saved["discount_approval_limit"] == 75_000
    )
    assert saved["static_qris_payload"] == good_qris and saved["ppn_registered"] is True
    assert page.input_value("#f-name") == "Sentra Oleh-oleh Cikarang"

    type_into(page, "#f-code", "r01")
    type_into(page, "#registers #f-name", "Kasir depan")
    submit(page, "#add-register")
    page.locator("[data-testid=flash-success]", has_text="Mesin kasir R01 ditambahkan.").wait_for()
    page.fill("#registers #f-name", "Kasir dua")
    page.fill("#f-code", "R01")
    submit(page, "#add-register")
    assert page.inner_text("[data-testid=page-message]") == "Kode ini sudah dipakai mesin kasir lain."
    assert page.locator("#registers tbody tr").count() == 1

    type_into(page, "#f-pin", "2468")
    type_into(page, "#f-pin_again", "2469")
    submit(page, "#save-pin")
    assert page.inner_text("[data-field-error=pin_again]") == "Kedua PIN tidak sama."
    page.fill("#f-pin", "12")
    page.fill("#f-pin_again", "12")
    submit(page, "#save-pin")
    assert page.inner_text("[data-field-error=pin]") == "4 sampai 8 angka."
    page.fill("#f-pin", "246810")
    page.fill("#f-pin_again", "246810")
    submit(page, "#save-pin")
    page.locator("[data-testid=flash-success]", has_text="PIN Anda disimpan").wait_for()
    assert "Dewi Manajer" in page.inner_text("[data-testid=flash-success]")
    photographed(page, "console-settings")
    in_english(page, f"{url}/manager/settings", "Settings")


def test_users_are_created_reset_and_deactivated_by_forms_and_the_audit_log_names_them(centre, page):
    url = centre.url
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/users")
    assert "Kasir" in page.locator("tr[data-username=kasir]").inner_text()
    assert page.locator("#f-role option").all_inner_texts() == ["Kasir", "Pemasok"]  # a manager's reach
    assert_accessible(page)
    type_into(page, "#f-username", "Kasir Dua")
    type_into(page, "#f-name", "Sari Kasir")
    type_into(page, "#f-password", "rahasia-1")
    type_into(page, "#f-password_again", "rahasia-1")
    submit(page, "#create-user")
    assert page.inner_text("[data-field-error=username]").startswith("3 sampai 64 karakter")
    page.fill("#f-username", "kasir2")
    page.fill("#f-password", "rahasia-1")
    page.fill("#f-password_again", "rahasia-1")
    page.select_option("#f-role", label="Pemasok")
    submit(page, "#create-user")
    assert page.inner_text("[data-field-error=supplier_id]") == "Pilih pemasok pemilik akun ini."
    page.select_option("#f-role", label="Kasir")
    page.fill("#f-password", "rahasia-1")
    page.fill("#f-password_again", "rahasia-1")
    submit(page, "#create-user")
    page.locator("[data-testid=flash-success]", has_text="Pengguna Sari Kasir dibuat.").wait_for()
    assert "Kasir" in page.inner_text("dl.facts") and "Aktif" in page.inner_text("h1 + .badge, .heading-row")
    photographed(page, "console-user")

    type_into(page, "#password-form #f-password", "sandi-baru-2")
    type_into(page, "#password-form #f-password_again", "sandi-baru-2")
    submit(page, "#save-password")
    page.locator("[data-testid=flash-success]", has_text="Kata sandi baru sudah dipasang").wait_for()
    assert centre.token("kasir2", "sandi-baru-2")  # the new password logs in
    submit(page, "#deactivate")
    page.locator("[data-testid=flash-success]", has_text="Pengguna dinonaktifkan dan dikeluarkan.").wait_for()
    assert "Dinonaktifkan" in page.inner_text(".heading-row")
    refused = centre.manager.post(f"{centre.api}/auth/login", json={"username": "kasir2", "password": "sandi-baru-2"})
    assert refused.status_code == 403 or refused.status_code == 401
    page.goto(f"{url}/manager/users")
    assert "Dinonaktifkan" in page.locator("tr[data-username=kasir2]").inner_text()
    photographed(page, "console-users")

    page.goto(f"{url}/manager/audit")
    page.select_option("#f-user_id", label="Dewi Manajer (Manajer)")
    page.select_option("#f-action", label="Pengguna diubah")
    submit(page, "#filter-audit")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)  # the password reset and the deactivation
    for text in rows.all_inner_texts():
        assert "Pengguna diubah" in text and "Dewi Manajer" in text and "Sari Kasir" in text
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", page.inner_text("main"))  # names, never ids
    page.select_option("#f-action", label="Pengguna dibuat")
    page.fill("#f-from", "2020-01-01")
    page.fill("#f-to", "2020-01-31")
    submit(page, "#filter-audit")
    assert page.inner_text("main p.muted") == "Tidak ada catatan untuk saringan ini."
    page.goto(f"{url}/manager/audit")
    assert "Masuk" in page.inner_text("tbody")  # the log-ins are there too
    assert "Baris perintah penyiapan" in page.inner_text("tbody") and "command-line" not in page.inner_text("tbody")
    photographed(page, "console-audit")
    in_english(page, f"{url}/manager/users", "Users")
    in_english(page, f"{url}/manager/audit", "Audit log")

    page.goto(f"{url}/manager/users")
    with page.expect_navigation():
        page.click("tr[data-username=kasir2] a")
    assert page.locator("#role-form").count() == 0  # a manager cannot change roles
    centre.add_user("admin", "Admin Sentra", "admin", "admin-pass-1")
    page.click("form.logout button")
    page.wait_for_url(f"{url}/login")
    log_in(page, url, "admin", "admin-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/users")
    page.click("tr[data-username=kasir2] a")
    page.select_option("#role-form #f-role", label="Pemasok")
    submit(page, "#save-role")
    assert page.inner_text("[data-field-error=supplier_id]") == "Pilih pemasok pemilik akun ini."
    assert_accessible(page)
    page.select_option("#role-form #f-role", label="Manajer")
    submit(page, "#save-role")
    page.locator("[data-testid=flash-success]", has_text="Peran sudah diubah.").wait_for()
    assert "Manajer" in page.inner_text("dl.facts")


def test_a_failed_event_is_listed_in_words_and_sent_again_from_its_page(centre, page):
    inventory = centre.apps["inventory"].extensions["sentra"]
    supplier_id = "6f1d3c1e-8a51-4a57-9b62-0c2e8c6f0a11"
    payload = {
        "supplier_id": supplier_id,
        "name": "Kopi Sukamakmur",
        "status": "active",
        "consignment_days": 60,
        "shrinkage_borne_by": "supplier",
    }
    envelope = build_envelope("supplier.registered", "suppliers", payload)
    with inventory.transaction() as session:
        inventory.messaging.dead_letter(
            session, "inventory.on_supplier_registered", envelope, "OperationalError: database is locked", 5
        )
    url = centre.url
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/dead-letters")
    row = page.locator("tr[data-dead-letter-id]")
    expect(row).to_have_count(1)
    assert "Stok" in row.inner_text() and "Pemasok didaftarkan" in row.inner_text() and "Menunggu" in row.inner_text()
    assert "supplier.registered" not in page.inner_text("main")
    photographed(page, "console-dead-letters")
    tab_to(page, "tr[data-dead-letter-id] button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("[data-testid=flash-success]", has_text="Kejadian sudah dikirim ulang").wait_for()
    expect(page.locator("tr[data-dead-letter-id]")).to_have_count(0)  # nothing waits any more
    product = {"name": "Kopi Robusta 200 g", "category": "minuman", "unit": "pcs", "price": 45_000}
    eventually(  # inventory takes a product of the supplier only once it knows the supplier
        lambda: (
            centre.manager.post(
                f"{centre.api}/inventory/products", json={**product, "supplier_id": supplier_id}
            ).status_code
            == 201
        ),
        timeout=30,
        message="the event sent again reached inventory's consumer",
    )
    page.select_option("#f-status", "all")
    submit(page, "#filter-dead-letters")
    assert "Sudah dikirim ulang" in page.locator("tr[data-dead-letter-id]").inner_text()
    in_english(page, f"{url}/manager/dead-letters", "Failed events")


SUPPLIERS_CSV = (
    "nama_usaha;nama_pemilik;telepon;bank;nomor_rekening;pemilik_rekening;komisi_persen\n"
    "Keripik Bu Sari;Sari Wulandari;081234567890;BRI;123401000123567;Sari Wulandari;15\n"
    "Batik Cikarang;Budi;0812;Bank Antah;;;12,5\n"
    "Kopi Sukamakmur;Tono;081298765432;014;5550001112;Tono;\n"
)


def test_a_csv_import_with_a_bad_row_writes_nothing_and_the_fixed_file_imports_every_row(centre, page):
    url, http, api = centre.url, centre.manager, centre.api
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/import")
    assert_accessible(page)
    template = page.context.request.get(f"{url}/manager/import/suppliers-template.csv")
    assert template.ok and template.text().lstrip("\ufeff").startswith("nama_usaha,nama_pemilik,telepon")
    xlsx = page.context.request.get(f"{url}/manager/import/products-template.xlsx")
    assert xlsx.ok and xlsx.body()[:2] == b"PK"

    page.select_option("#f-kind", "suppliers")
    page.set_input_files(
        "#f-file", files=[{"name": "pemasok.csv", "mimeType": "text/csv", "buffer": SUPPLIERS_CSV.encode()}]
    )
    submit(page, "#check-import")
    assert page.inner_text("[data-testid=page-message]") == (
        "Tidak ada yang diimpor: 1 baris bermasalah. Perbaiki berkasnya lalu unggah lagi."
    )
    problems = page.locator("#import-problems tr[data-line='3']").all_inner_texts()
    assert any("bank" in p and "Bank tidak ada di daftar" in p for p in problems)
    assert any("telepon" in p and "8 sampai 15 digit" in p for p in problems)
    assert page.locator("#import-problems tr[data-line='2']").count() == 0
    assert_accessible(page)
    photographed(page, "console-import-problems")
    assert http.get(f"{api}/suppliers/suppliers").json() == []  # nothing was written

    fixed = SUPPLIERS_CSV.replace("Batik Cikarang;Budi;0812;Bank Antah", "Batik Cikarang;Budi;081211112222;Mandiri")
    page.set_input_files("#f-file", files=[{"name": "pemasok.csv", "mimeType": "text/csv", "buffer": fixed.encode()}])
    submit(page, "#check-import")
    assert page.inner_text("#import-preview h2") == "3 baris siap diimpor"
    preview = page.locator("#import-preview tbody tr")
    assert "Keripik Bu Sari" in preview.nth(0).inner_text() and "15 %" in preview.nth(0).inner_text()
    assert "Bank Mandiri" in preview.nth(1).inner_text() and "12,5 %" in preview.nth(1).inner_text()
    assert http.get(f"{api}/suppliers/suppliers").json() == []  # a check writes nothing
    photographed(page, "console-import-preview")
    submit(page, "#confirm-import")
    page.locator("[data-testid=flash-success]", has_text="3 pemasok diimpor.").wait_for()
    registered = {s["business_name"]: s for s in http.get(f"{api}/suppliers/suppliers").json()}
    assert set(registered) == {"Keripik Bu Sari", "Batik Cikarang", "Kopi Sukamakmur"}
    assert registered["Keripik Bu Sari"]["agreement"]["commission_bps"] == 1500
    assert registered["Kopi Sukamakmur"]["bank_name"] == "BCA"

    products_csv = (
        "pemasok,nama,kategori,satuan,harga,barcode\n"
        "Keripik Bu Sari,Keripik Singkong Pedas 200 g,Makanan,pcs,18.000,\n"
        "Toko Tidak Ada,Batik Tulis,Fashion,pcs,350000,\n"
    )
    page.goto(f"{url}/manager/import")
    page.select_option("#f-kind", "products")
    page.set_input_files(
        "#f-file", files=[{"name": "produk.csv", "mimeType": "text/csv", "buffer": products_csv.encode()}]
    )
    submit(page, "#check-import")
    bad = page.locator("#import-problems tr[data-line='3']").all_inner_texts()
    assert any("pemasok" in p and "Tidak ada pemasok dengan nama ini" in p for p in bad)
    assert http.get(f"{api}/inventory/products").json() == []
    page.click("[data-testid=language-en]")
    expect(page.locator("h1")).to_have_text("Import suppliers or products")
