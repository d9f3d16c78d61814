"""The manager's and the supplier's pages in headless Chromium against the real services behind the gateway."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from babel.dates import format_date
from playwright.sync_api import expect

from shared import business_time
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in, screenshot, sell
from tests.support import eventually

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _day(value: date, language: str = "id") -> str:
    """A day as the pages write it (``10 Des 2026``, ``10 Dec 2026``)."""
    return format_date(value, "d MMM y", locale=language)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus (fails after ``limit`` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def test_a_manager_registers_a_supplier_by_keyboard_adds_products_and_records_a_two_line_intake(centre, page):
    url = centre.url
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/suppliers")
    assert_accessible(page)

    tab_to(page, "#register-supplier")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/manager/suppliers/new")
    assert_accessible(page)
    type_into(page, "#f-business_name", "Kerupuk Kulit Cikarang Jaya")
    type_into(page, "#f-owner_name", "Hendra Wijaya")
    type_into(page, "#f-phone", "0813-1112-0002")
    type_into(page, "#f-nib", "1234567890123")
    type_into(page, "#f-npwp", "012345678901234")
    tab_to(page, "#f-bank_name")
    page.keyboard.type("BCA")
    assert page.input_value("#f-bank_name") == "BCA"
    type_into(page, "#f-bank_account_number", "1234567890")
    type_into(page, "#f-bank_account_holder", "Hendra Wijaya")
    tab_to(page, "#f-commission_percent")
    page.keyboard.press("Control+A")
    page.keyboard.type("15")
    tab_to(page, "#f-holdback_days")  # no refund window to wait for: a sale can be paid out the same day
    page.keyboard.press("Control+A")
    page.keyboard.type("0")
    tab_to(page, "#supplier-form button[type=submit]")
    page.keyboard.press("Enter")
    page.locator("[data-testid=flash-success]", has_text="Kerupuk Kulit Cikarang Jaya").wait_for()
    assert "15 %" in page.inner_text("[data-testid=current-agreement]")
    assert "BCA · 1234567890 · Hendra Wijaya" == page.inner_text("[data-testid=bank]")
    assert_accessible(page)
    supplier_url = page.url

    def add_product(name, category, price):
        page.goto(f"{url}/manager/products/new")
        page.select_option("#f-supplier_id", label="Kerupuk Kulit Cikarang Jaya")
        page.select_option("#f-category", category)
        page.fill("#f-name", name)
        page.fill("#f-price", price)
        with page.expect_navigation():
            page.click("#product-form button[type=submit]")
        return page.locator("[data-testid=flash-success]").count() > 0  # inventory knows the supplier by now

    eventually(lambda: add_product("Kerupuk Kulit Sapi 200 g", "makanan", "22.000"), timeout=30, interval=1)
    assert_accessible(page)
    assert "Rp22.000" in page.inner_text("body") or page.input_value("#f-price") == "22000"
    assert add_product("Tas Anyaman Pandan", "kerajinan", "85000")

    http, api = centre.manager, centre.api
    other = http.post(
        f"{api}/suppliers/suppliers",
        json={"business_name": "Batik Bekasi Asri", "owner_name": "Asri", "phone": "081311120009"},
    ).json()
    batik = {"name": "Batik Tulis", "category": "fashion", "unit": "pcs", "price": 350_000, "barcode": "8991234500041"}
    eventually(
        lambda: http.post(f"{api}/inventory/products", json={**batik, "supplier_id": other["id"]}).status_code == 201,
        timeout=30,
        message="inventory knows the other supplier",
    )
    tas = http.get(f"{api}/inventory/products", params={"q": "Tas Anyaman"}).json()[0]

    page.goto(f"{url}/manager/intakes/new")
    page.select_option("#f-supplier_id", label="Kerupuk Kulit Cikarang Jaya")
    with page.expect_navigation():
        page.click("#intake-supplier button[type=submit]")
    with page.expect_navigation():  # the form posts back with one more line; its page must have loaded
        page.click("#add-line")
    assert page.locator("#intake-form tr[data-line]").count() == 4

    def scan(code: str) -> None:
        """A scanner (or the manager) types the code into the focused scan field and presses Enter."""
        expect(page.locator("#f-scan")).to_be_focused()
        page.keyboard.press("Control+A")
        page.keyboard.type(code)
        with page.expect_navigation():
            page.keyboard.press("Enter")

    scan(tas["sku"].lower())  # a typed SKU adds a line for the product...
    assert page.input_value("#f-lines-0-product_id") == tas["id"] and page.input_value("#f-lines-0-qty") == "1"
    scan(tas["barcode"])  # ...and its scanned barcode one more unit on that line
    assert page.input_value("#f-lines-0-qty") == "2" and page.locator("#intake-form tr[data-line]").count() == 4
    assert page.inner_text("[data-testid=scanned]") == "Tas Anyaman Pandan: 2 di baris 1."
    scan("8991234500041")
    assert page.inner_text("[data-field-error=scan]") == "Produk ini milik pemasok lain."
    assert_accessible(page)
    scan("TIDAK-ADA-99")
    assert page.inner_text("[data-field-error=scan]") == "Tidak ada produk dengan barcode atau SKU ini."
    assert page.input_value("#f-lines-0-qty") == "2"  # the lines typed or scanned so far stay
    page.select_option("#f-lines-0-product_id", label="Tas Anyaman Pandan")
    page.fill("#f-lines-0-qty", "3")
    page.select_option("#f-lines-2-product_id", label="Kerupuk Kulit Sapi 200 g")
    page.fill("#f-lines-2-qty", "12")
    page.fill("#f-lines-2-lot_code", "KRP-261127")
    page.click("#save-intake")  # food without an expiry date
    beside = page.locator("[data-field-error='lines.2.expiry_date']")
    beside.wait_for()
    assert beside.inner_text() == "Wajib untuk produk ini."
    assert "Beberapa baris penerimaan tidak sah" in page.inner_text("[data-testid=page-message]")
    assert_accessible(page)
    page.fill("#f-lines-2-expiry_date", "2027-03-31")
    page.click("#save-intake")
    page.locator("[data-testid=flash-success]", has_text="Penerimaan NT-").wait_for()
    rows = page.locator("table tbody tr")
    assert rows.count() == 2 and "31 Mar 2027" in page.inner_text("table")
    nota = page.context.request.get(url + page.get_attribute("#nota-titip", "href"))
    assert nota.status == 200 and nota.body().startswith(b"%PDF")
    assert_accessible(page)

    # a sale of the supplier's goods at the counter credits them 85 % of it: the 15 % agreement of the form
    http, api = centre.manager, centre.api
    owner = next(s for s in http.get(f"{api}/suppliers/suppliers").json() if s["business_name"].startswith("Kerupuk"))
    goods = http.get(f"{api}/inventory/products", params={"supplier_id": owner["id"]}).json()
    kerupuk = next(p for p in goods if p["name"] == "Kerupuk Kulit Sapi 200 g")
    sell(centre, kerupuk["barcode"], qty=2, amount=44_000)
    share = 44_000 * 85 // 100
    eventually(
        lambda: http.get(f"{api}/suppliers/suppliers/{owner['id']}/balance").json()["available"] == share,
        timeout=30,
        message="the sale is credited to the supplier",
    )
    page.goto(f"{url}/manager/payouts")
    assert_accessible(page)
    owed = page.locator("tbody tr", has_text="Kerupuk Kulit Cikarang Jaya").first.inner_text()
    assert "Rp37.400" in owed  # Rp44.000 less the centre's 15 %
    page.fill("#f-cutoff_date", "2026-11-30")
    page.click("#payout-form button[type=submit]")
    page.locator("[data-testid=flash-success]", has_text="Daftar pembayaran dibuat.").wait_for()
    assert "Draf" in page.inner_text("h1")
    assert_accessible(page)
    page.click("#approve-run")  # four-eyes: the manager who created it may not approve it
    page.locator("[data-testid=page-message]", has_text="Manajer lain harus menyetujuinya").wait_for()
    assert "Draf" in page.inner_text("h1")

    page.goto(page.url.split("/manager/")[0] + "/manager/intakes")
    with page.expect_navigation():
        page.locator("table a").first.click()
    with page.expect_navigation():
        page.click("[data-testid=language-en]")
    assert page.inner_text("h1").startswith("Intake NT-")
    page.goto(supplier_url)
    assert "Agreements" in page.inner_text("#agreements h2") and "Active" in page.inner_text("h1")


def test_a_supplier_sees_its_balance_and_stock_after_a_sale_and_downloads_its_statement(centre, page):
    """Also on the page, in words: when the pending money becomes available, each lot with its expiry, the lot
    to pick up before it expires and the alert about it (product and lot by name, never an id)."""
    http, api = centre.manager, centre.api
    soon = business_time.today() + timedelta(days=10)
    supplier = http.post(
        f"{api}/suppliers/suppliers",
        json={"business_name": "Kopi Sukamakmur", "owner_name": "Asep", "phone": "081311120003"},
    ).json()

    def create_product():
        response = http.post(
            f"{api}/inventory/products",
            json={
                "name": "Kopi Robusta Sukamakmur 200 g",
                "category": "minuman",
                "unit": "pack",
                "price": 45_000,
                "barcode": "8991234500027",
                "supplier_id": supplier["id"],
            },
        )
        return response.json() if response.status_code == 201 else None

    product = eventually(create_product, timeout=30, message="inventory knows the supplier")
    assert (
        http.post(
            f"{api}/inventory/intakes",
            json={
                "supplier_id": supplier["id"],
                "lines": [
                    {"product_id": product["id"], "qty": 10, "lot_code": "KOPI-01", "expiry_date": "2027-06-30"},
                    {"product_id": product["id"], "qty": 3, "lot_code": "KOPI-02", "expiry_date": soon.isoformat()},
                ],
            },
        ).status_code
        == 201
    )
    register = http.post(f"{api}/pos/registers", json={"code": "R02", "name": "Kasir 2"}).json()
    cashier = centre.token("kasir", "kasir-pass-1")
    eventually(
        lambda: http.get(f"{api}/pos/catalogue/barcode/8991234500027", headers=cashier).status_code == 200,
        timeout=30,
        message="the POS catalogue has the product",
    )
    assert (
        http.post(
            f"{api}/pos/shifts", headers=cashier, json={"register_id": register["id"], "opening_float": 0}
        ).status_code
        == 201
    )
    sale = http.post(
        f"{api}/pos/sales",
        headers={**cashier, "Idempotency-Key": str(uuid.uuid4())},
        json={
            "register_id": register["id"],
            "lines": [{"barcode": "8991234500027", "qty": 2}],
            "payments": [{"method": "cash", "amount": 90_000, "tendered": 100_000}],
        },
    )
    assert sale.status_code == 201, sale.text

    centre.add_user("kopi", "Kopi Sukamakmur", "supplier", "kopi-pass-1", supplier["id"])
    own = centre.token("kopi", "kopi-pass-1")
    share = 90_000 - 90_000 * 2_000 // 10_000  # the default commission is 20 %
    eventually(
        lambda: (
            sum(http.get(f"{api}/suppliers/me/balance", headers=own).json()[k] for k in ("pending", "available"))
            == share
        ),
        timeout=30,
        message="the sale is posted",
    )
    eventually(
        lambda: [r["on_hand"] for r in http.get(f"{api}/suppliers/me/stock", headers=own).json()] == [11],
        timeout=30,
        message="the supplier's stock copy follows the sale",
    )
    assert http.post(f"{api}/inventory/alerts/scan", json={}).json()["raised"] == 1  # KOPI-02 expires in 10 days
    eventually(
        lambda: http.get(f"{api}/suppliers/me/alerts", headers=own).json(), timeout=30, message="the alert arrives"
    )

    page.set_viewport_size({"width": 360, "height": 800})
    log_in(page, centre.url, "kopi", "kopi-pass-1")
    page.wait_for_url(f"{centre.url}/supplier")
    figures = {key: page.inner_text(f"#balance [data-key={key}]") for key in ("pending", "available", "paid")}
    assert figures["pending"] == "Rp72.000" and figures["paid"] == "Rp0"  # the default holdback is 7 days
    released = business_time.business_day(datetime.now(UTC) + timedelta(days=7))
    assert page.inner_text("#pending-releases") == f"Rp72.000 tersedia mulai {_day(released)}"
    stock_row = page.locator("#stock tr", has_text="Kopi Robusta Sukamakmur 200 g")
    assert stock_row.locator("td").nth(1).inner_text() == "11" and stock_row.locator("td").nth(2).inner_text() == "2"
    assert page.locator("#stock [data-testid=lots] li").all_inner_texts() == [  # FEFO sold from KOPI-02
        f"Lot KOPI-02: sisa 1, kedaluwarsa {_day(soon)}",
        "Lot KOPI-01: sisa 10, kedaluwarsa 30 Jun 2027",
    ]
    [pickup] = page.locator("#pickups [data-testid=pickup]").all_inner_texts()
    assert pickup.split("\n") == [
        "Kopi Robusta Sukamakmur 200 g",
        "Lot KOPI-02",
        "Jumlah: 1",
        f"Kedaluwarsa {_day(soon)}",
    ]
    [alert] = page.locator("#alerts [data-testid=alert]").all_inner_texts()
    assert alert.split("\n")[:3] == [
        "Kopi Robusta Sukamakmur 200 g",
        "Hampir kedaluwarsa",
        f"Lot KOPI-02, kedaluwarsa {_day(soon)}",
    ]
    text = page.inner_text("main")
    assert product["id"] not in text and "expires on" not in text  # names and Indonesian, not ids or the raw message
    assert "Rp90.000" in page.inner_text("#sales")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone
    assert_accessible(page)
    screenshot(page, "supplier-portal-360")
    with page.expect_navigation():  # the old page has #pickups too
        page.click("[data-testid=language-en]")
    page.wait_for_selector("#pickups")
    assert page.inner_text("#pending-releases") == f"Rp72,000 available from {_day(released, 'en')}"
    assert page.inner_text("#pickups [data-testid=pickup]").split("\n")[2:] == [
        "Quantity: 1",
        f"Expires {_day(soon, 'en')}",
    ]
    assert "Near expiry" in page.inner_text("#alerts")
    with page.expect_navigation():
        page.click("[data-testid=language-id]")
    page.wait_for_selector("#pickups")

    query = f"from={page.input_value('#statement-from')}&to={page.input_value('#statement-to')}&format=pdf"
    pdf = page.context.request.get(f"{centre.url}/api/suppliers/me/statements?{query}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]


def test_a_pin_lock_out_at_a_counter_alerts_the_managers_on_their_overview(shop, page):
    """Five wrong manager PINs from a cashier lock approval by PIN (for that manager's name and that cashier);
    the manager's overview says so at once, in Indonesian, with who and until when."""
    centre, api = shop.centre, shop.centre.api
    cashier = centre.token("kasir", "kasir-pass-1")
    register = centre.manager.get(f"{api}/pos/registers").json()[0]
    opened = requests.post(
        f"{api}/pos/shifts", headers=cashier, json={"register_id": register["id"], "opening_float": 200_000}
    )
    assert opened.status_code == 201, opened.text
    for n in range(5):
        guessed = requests.post(
            f"{api}/pos/sales",
            headers={**cashier, "Idempotency-Key": str(uuid.uuid4())},
            json={
                "register_id": register["id"],
                "lines": [{"barcode": "8991234500041", "qty": 1}],  # Batik Tulis Bekasi, Rp350.000
                "discount": 60_000,  # over the Rp50.000 a cashier may give alone
                "payments": [{"method": "cash", "amount": 290_000, "tendered": 290_000}],
                "approval": {"username": shop.approver, "pin": f"00000{n}"},
            },
        )
        assert guessed.status_code == 403 and guessed.json()["code"] == "approval_invalid", guessed.text

    log_in(page, shop.url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{shop.url}/manager")
    alert = page.locator("#pin-lockout-alert")
    alert.wait_for()
    assert alert.inner_text() == "Persetujuan dengan PIN terkunci: 2."
    header, *rows = page.inner_text("#pin-lockout-list").splitlines()
    assert header.split("\t") == ["Yang terkunci", "Siapa", "PIN salah", "Sejak", "Sampai"]
    assert sorted(row.split("\t")[:3] for row in rows) == [
        ["kasir", "Rudi Kasir", "5"],  # the cashier by name, never by id
        ["nama manajer", shop.approver, "5"],
    ]
    assert_accessible(page)


def test_a_manager_edits_a_supplier_and_supersedes_its_agreement_with_fixed_prices_from_a_date(centre, page):
    """The supplier's bank account changed on the edit form; new terms (fixed supplier prices per product, from
    a date) on the agreement form, a bad price refused beside its own product's field in Indonesian; the history
    then lists both agreements, in words."""
    http, api = centre.manager, centre.api
    supplier = http.post(
        f"{api}/suppliers/suppliers",
        json={"business_name": "Dodol Mpok Yati", "owner_name": "Yati", "phone": "081311120004"},
    ).json()

    def create(name, price):
        body = {"name": name, "category": "makanan", "unit": "pcs", "price": price, "supplier_id": supplier["id"]}
        response = http.post(f"{api}/inventory/products", json=body)
        return response.json() if response.status_code == 201 else None

    eventually(lambda: create("Dodol Betawi 250 g", 25_000), timeout=30, message="inventory knows the supplier")
    wijen = create("Dodol Wijen 250 g", 27_500)
    url = centre.url
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/suppliers/{supplier['id']}")
    supplier_url = page.url

    page.click(f"a[href$='/suppliers/{supplier['id']}/edit']")
    page.wait_for_url(f"{supplier_url}/edit")
    assert page.input_value("#f-business_name") == "Dodol Mpok Yati"
    page.select_option("#f-bank_name", "BRI")
    page.fill("#f-bank_account_number", "0023 0100 0123 456")
    page.fill("#f-bank_account_holder", "Yati Suryani")
    page.fill("#f-address", "Jl. Raya Cikarang 12")
    assert_accessible(page)
    page.click("#supplier-form button[type=submit]")
    page.locator("[data-testid=flash-success]", has_text="Perubahan disimpan.").wait_for()
    assert page.inner_text("[data-testid=bank]") == "BRI · 002301000123456 · Yati Suryani"
    assert "Jl. Raya Cikarang 12" in page.inner_text("dl")

    page.click(f"a[href$='/suppliers/{supplier['id']}/agreements/new']")
    page.wait_for_url(f"{supplier_url}/agreements/new")
    assert_accessible(page)
    effective = business_time.today()
    page.select_option("#f-type", "fixed_price")
    page.fill("#f-effective_from", effective.isoformat())
    page.fill(f"#f-price-{wijen['id']}", "-5000")  # the only product priced: the first of the sent prices
    page.click("#agreement-form button[type=submit]")
    beside = page.locator(f"[data-field-error='price-{wijen['id']}']")
    beside.wait_for()
    assert beside.inner_text() == "Harus nol rupiah atau lebih."
    assert page.inner_text("[data-testid=page-message]") == "Beberapa isian tidak sah; lihat pesan di sampingnya."
    assert page.input_value("#f-type") == "fixed_price" and page.input_value("#f-effective_from") == str(effective)
    assert_accessible(page)
    page.fill(f"#f-price-{wijen['id']}", "22.000")
    page.click("#agreement-form button[type=submit]")
    page.locator("[data-testid=flash-success]", has_text="Perjanjian baru disimpan.").wait_for()
    assert page.url == supplier_url

    history = page.locator("#agreements tbody tr")
    assert history.count() == 2
    current, first = history.nth(0).inner_text(), history.nth(1).inner_text()
    assert current.startswith(effective.strftime("%-d ")) and "berlaku" in current
    assert "Harga pemasok tetap" in current and "Dodol Wijen 250 g: Rp22.000" in current
    assert "Komisi" in first and "20 %" in first and "berlaku" not in first
    assert not UUID.search(page.inner_text("#agreements"))
    assert_accessible(page)
    agreements = http.get(f"{api}/suppliers/suppliers/{supplier['id']}/agreements").json()
    assert [a["type"] for a in agreements] == ["commission", "fixed_price"]
    assert agreements[-1]["fixed_prices"] == [{"product_id": wijen["id"], "supplier_price": 22_000}]

    # terms agreed for later are listed above, not yet in force: the fixed prices stay the ones in force
    later = (effective + timedelta(days=10)).isoformat()
    agreed = http.post(f"{api}/suppliers/suppliers/{supplier['id']}/agreements", json={"effective_from": later})
    assert agreed.status_code == 201, agreed.text
    page.reload()
    assert history.count() == 3
    assert "belum berlaku" in history.nth(0).inner_text() and "Komisi" in history.nth(0).inner_text()
    assert "Harga pemasok tetap" in page.inner_text("[data-testid=current-agreement]")
    assert "belum berlaku" not in history.nth(1).inner_text() + history.nth(2).inner_text()
