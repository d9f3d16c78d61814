"""The manager's and the supplier's pages in headless Chromium against the real services behind the gateway."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import log_in
from tests.support import eventually

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_a_manager_registers_a_supplier_adds_a_product_records_an_intake_and_makes_a_cashier(centre, page):
    url = centre.url
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")

    form = page.locator("#supplier-form")
    form.locator("[name=business_name]").fill("Kerupuk Kulit Cikarang Jaya")
    form.locator("[name=owner_name]").fill("Hendra Wijaya")
    form.locator("[name=phone]").fill("081311120002")
    form.locator("button[type=submit]").click()
    page.locator("#supplier-list td", has_text="Kerupuk Kulit Cikarang Jaya").wait_for()

    product = page.locator("#product-form")
    product.locator("[name=name]").fill("Kerupuk Kulit Sapi 200 g")
    product.locator("[name=supplier_id]").select_option(label="Kerupuk Kulit Cikarang Jaya")
    product.locator("[name=category]").select_option("makanan")
    product.locator("[name=unit]").select_option("pack")
    product.locator("[name=price]").fill("22000")

    def product_saved():  # inventory accepts the supplier once supplier.registered has reached it
        product.locator("button[type=submit]").click()
        page.wait_for_function("!document.querySelector('#product-form button[type=submit]').disabled")
        return page.locator("#product-list td", has_text="Kerupuk Kulit Sapi 200 g").count() > 0

    eventually(product_saved, timeout=30, interval=1, message="the product is saved")
    row = page.locator("#product-list tr", has_text="Kerupuk Kulit Sapi 200 g")
    assert "Rp22.000" in row.inner_text()
    assert row.locator("td").nth(1).inner_text().startswith("2")  # an in-store EAN-13 (GS1 prefix 20-29)

    intake = page.locator("#intake-form")
    intake.locator("[name=supplier_id]").select_option(label="Kerupuk Kulit Cikarang Jaya")
    intake.locator("[name=product_id]").select_option(label="Kerupuk Kulit Sapi 200 g")
    intake.locator("[name=qty]").fill("12")
    intake.locator("[name=lot_code]").fill("KRP-261127")
    intake.locator("[name=expiry_date]").fill("2027-03-31")
    intake.locator("button[type=submit]").click()
    page.locator("#notice", has_text="Penerimaan").wait_for()
    stock_row = page.locator("#stock-list tr", has_text="Kerupuk Kulit Sapi 200 g")
    stock_row.wait_for()
    assert stock_row.locator("td").nth(1).inner_text() == "12"

    users = page.locator("#user-form")
    users.locator("[name=username]").fill("kasir2")
    users.locator("[name=name]").fill("Sinta Kasir")
    users.locator("[name=role]").select_option("cashier")
    users.locator("[name=password]").fill("kasir2-pass")
    users.locator("button[type=submit]").click()
    new_user = page.locator("#user-list tr", has_text="kasir2")
    new_user.wait_for()
    assert "aktif" in new_user.inner_text()
    assert page.locator("#user-role option[value=admin]").count() == 0  # a manager cannot make admins
    new_user.locator("button", has_text="Nonaktifkan").click()
    page.locator("#user-list tr", has_text="kasir2").locator("td", has_text="nonaktif").wait_for()


def test_a_supplier_sees_its_balance_and_stock_after_a_sale_and_downloads_its_statement(centre, page):
    http, api = centre.manager, centre.api
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
                "lines": [{"product_id": product["id"], "qty": 10, "lot_code": "KOPI-01", "expiry_date": "2027-06-30"}],
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
        lambda: [r["on_hand"] for r in http.get(f"{api}/suppliers/me/stock", headers=own).json()] == [8],
        timeout=30,
        message="the supplier's stock copy follows the sale",
    )

    log_in(page, centre.url, "kopi", "kopi-pass-1")
    page.wait_for_url(f"{centre.url}/supplier")
    page.wait_for_function("document.querySelector('#balance [data-key=lifetime_sales]').textContent !== '–'")
    figures = {key: page.inner_text(f"#balance [data-key={key}]") for key in ("pending", "available", "paid")}
    assert "Rp72.000" in (figures["pending"], figures["available"]) and figures["paid"] == "Rp0"
    stock_row = page.locator("#stock tr", has_text="Kopi Robusta Sukamakmur 200 g")
    stock_row.wait_for()
    assert stock_row.locator("td").nth(1).inner_text() == "8" and stock_row.locator("td").nth(2).inner_text() == "2"
    page.locator("#sales tr", has_text="Kopi Robusta Sukamakmur 200 g").wait_for()
    assert "Rp90.000" in page.inner_text("#sales")

    pdf = page.context.request.get(centre.url + page.get_attribute("#statement-pdf", "href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
