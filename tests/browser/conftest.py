"""Headless Chromium for the browser tests (Debian's ``chromium``; the tests skip when there is none)."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass

import pytest

from tests.browser.accessibility import assert_accessible
from tests.running_centre import Centre
from tests.support import eventually

BROWSER_WAIT_MS = 15_000
"""How long a page action or an ``expect`` assertion waits: Playwright's 5 s default for assertions is too short
for a full parallel run on two cores (a browser, a platform and PostgreSQL per test worker)."""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_binary() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the run; skipped (with the reason) when no chromium binary is installed."""
    binary = chromium_binary()
    if binary is None:
        pytest.skip("no chromium binary found (/usr/bin/chromium); `make browser-deps` installs Debian's chromium")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) on a phone-sized screen."""
    context = browser.new_context(viewport={"width": 412, "height": 900}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(BROWSER_WAIT_MS)
    yield page
    context.close()


@pytest.fixture
def centre(backend, running_centres) -> Centre:
    """The four services over real HTTP behind the gateway, the three workers on a real Redis, and the logins
    ``manajer`` (manager) and ``kasir`` (cashier), fresh for each test (see :class:`RunningCentre`)."""
    return running_centres(backend).fresh()


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-button")


#: The products of the counter tests: barcode → (name, price).
COUNTER_PRODUCTS = {
    "8991234500010": ("Dodol Betawi Original 250 g", 25_000),
    "8991234500027": ("Kerupuk Kulit Cikarang", 15_000),
    "8991234500034": ("Sambal Bawang Khas Bekasi", 12_500),
    "8991234500041": ("Batik Tulis Bekasi", 350_000),
}
MANAGER_PIN = "246810"
SCREENSHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "build", "screenshots")


@dataclass
class Shop:
    """The centre with the counter products in the POS catalogue, register R01 and the manager's approval PIN."""

    centre: Centre
    approver: str

    @property
    def url(self) -> str:
        return self.centre.url


@pytest.fixture
def shop(centre):
    http, api = centre.manager, centre.api
    supplier = http.post(
        f"{api}/suppliers/suppliers",
        json={"business_name": "Oleh-oleh Mpok Yati", "owner_name": "Yati", "phone": "081311120001"},
    ).json()

    def create(barcode, name, price):
        body = {"name": name, "category": "makanan", "unit": "pcs", "price": price, "barcode": barcode}
        response = http.post(f"{api}/inventory/products", json={**body, "supplier_id": supplier["id"]})
        return response.json() if response.status_code == 201 else None

    for barcode, (name, price) in COUNTER_PRODUCTS.items():
        eventually(
            lambda b=barcode, n=name, p=price: create(b, n, p), timeout=30, message="inventory knows the supplier"
        )
    cashier = centre.token("kasir", "kasir-pass-1")
    for barcode in COUNTER_PRODUCTS:
        eventually(
            lambda b=barcode: http.get(f"{api}/pos/catalogue/barcode/{b}", headers=cashier).status_code == 200,
            timeout=30,
            message="the POS catalogue has the product (product.upserted)",
        )
    assert http.post(f"{api}/pos/registers", json={"code": "R01", "name": "Kasir 1"}).status_code == 201
    approver = http.put(f"{api}/pos/approvers/me", json={"pin": MANAGER_PIN})
    assert approver.status_code == 200, approver.text
    return Shop(centre=centre, approver=approver.json()["username"])


def open_counter(page, shop: Shop, opening_float: str = "200000") -> None:
    from playwright.sync_api import expect

    """From the login page to an open shift on R01 with the scan field focused, by keyboard."""
    log_in(page, shop.url, "kasir", "kasir-pass-1")
    page.wait_for_url(f"{shop.url}/cashier")
    page.locator("#open-shift").wait_for()
    page.fill("#opening-float", opening_float)
    page.press("#opening-float", "Enter")
    page.locator("#counter").wait_for()
    expect(page.locator("#scan")).to_be_focused()


def scan(page, code: str) -> None:
    """What a barcode scanner does: type the code into the focused field and press Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def sell(centre: Centre, barcode: str, qty: int, amount: int) -> dict:
    """A cash sale of ``qty`` units for ``amount`` through the POS API, as the cashier Rudi Kasir on a new
    register R09 with its shift opened, once the POS catalogue has the product (once per test): the sale."""
    http, api = centre.manager, centre.api
    cashier = centre.token("kasir", "kasir-pass-1")
    eventually(
        lambda: http.get(f"{api}/pos/catalogue/barcode/{barcode}", headers=cashier).status_code == 200,
        timeout=30,
        message="the POS catalogue has the product",
    )
    register = http.post(f"{api}/pos/registers", json={"code": "R09", "name": "Kasir 9"}).json()
    opened = http.post(f"{api}/pos/shifts", headers=cashier, json={"register_id": register["id"], "opening_float": 0})
    assert opened.status_code == 201, opened.text
    sale = http.post(
        f"{api}/pos/sales",
        headers={**cashier, "Idempotency-Key": str(uuid.uuid4())},
        json={
            "register_id": register["id"],
            "lines": [{"barcode": barcode, "qty": qty}],
            "payments": [{"method": "cash", "amount": amount, "tendered": amount}],
        },
    )
    assert sale.status_code == 201, sale.text
    return sale.json()


def screenshot(page, name: str) -> None:
    """The whole page as a PNG in ``build/screenshots/`` when ``SENTRA_TEST_SCREENSHOTS=1`` (``make screenshots``):
    pictures for people to look at, which the tests' assertions do not need."""
    if os.environ.get("SENTRA_TEST_SCREENSHOTS") != "1":
        return
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


#: Three suppliers, their bank accounts and one product each: (name, bank, account, product, barcode, price).
SUPPLIERS = [
    ("Batik Tarumanegara", "BCA", "1234567890", "Batik Tulis Tarumanegara", "8991234500041", 350_000),
    ("Dodol Mpok Yati", "BRI", "002301000123456", "Dodol Betawi 250 g", "8991234500010", 25_000),
    ("Kerupuk Cikarang", "Bank Mandiri", "1560012345678", "Kerupuk Kulit 200 g", "8991234500027", 15_000),
]
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


def both_screenshots(page, name: str) -> None:
    """The page as it is, on a desktop and on a 360 px phone (no sideways scrolling there); axe-clean on both."""
    page.set_viewport_size(DESKTOP)
    assert_accessible(page)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{name} scrolls sideways"
    screenshot(page, f"{name}-360")
    page.set_viewport_size(DESKTOP)


def selling_centre(centre) -> dict:
    """The three suppliers (15 % commission, paid from the day of the sale: no holdback), a product each in
    stock and in the POS catalogue, and one completed sale of all three: ``{name: supplier}`` and the sale."""
    http, api = centre.manager, centre.api
    suppliers = {}
    for phone, (name, bank, account, product_name, barcode, price) in enumerate(SUPPLIERS):
        supplier = http.post(
            f"{api}/suppliers/suppliers",
            json={
                "business_name": name,
                "owner_name": "Pemilik",
                "phone": f"08131112{phone:04d}",
                "bank_name": bank,
                "bank_account_number": account,
                "bank_account_holder": f"{name} (pemilik)",
                "agreement": {"commission_bps": 1500, "holdback_days": 0},
            },
        )
        assert supplier.status_code == 201, supplier.text
        suppliers[name] = owner = supplier.json()

        def create(owner=owner, product_name=product_name, barcode=barcode, price=price):
            category = "kerajinan" if product_name.startswith("Batik") else "makanan"
            body = {"name": product_name, "category": category, "unit": "pcs", "price": price, "barcode": barcode}
            response = http.post(f"{api}/inventory/products", json={**body, "supplier_id": owner["id"]})
            return response.json() if response.status_code == 201 else None

        product = eventually(create, timeout=30, message="inventory knows the supplier")
        intake = http.post(
            f"{api}/inventory/intakes",
            json={
                "supplier_id": owner["id"],
                "lines": [{"product_id": product["id"], "qty": 10, "lot_code": "L1", "expiry_date": "2027-06-30"}],
            },
        )
        assert intake.status_code == 201, intake.text
    cashier = centre.token("kasir", "kasir-pass-1")
    for *_, barcode, _price in SUPPLIERS:
        eventually(
            lambda b=barcode: http.get(f"{api}/pos/catalogue/barcode/{b}", headers=cashier).status_code == 200,
            timeout=30,
            message="the POS catalogue has the product",
        )
    register = http.post(f"{api}/pos/registers", json={"code": "R01", "name": "Kasir 1"}).json()
    opened = http.post(f"{api}/pos/shifts", headers=cashier, json={"register_id": register["id"], "opening_float": 0})
    assert opened.status_code == 201, opened.text
    total = sum(price for *_, price in SUPPLIERS)
    sale = http.post(
        f"{api}/pos/sales",
        headers={**cashier, "Idempotency-Key": str(uuid.uuid4())},
        json={
            "register_id": register["id"],
            "lines": [{"barcode": barcode, "qty": 1} for *_, barcode, _price in SUPPLIERS],
            "payments": [{"method": "cash", "amount": total, "tendered": total}],
        },
    )
    assert sale.status_code == 201, sale.text
    eventually(
        lambda: sum(1 for due in http.get(f"{api}/suppliers/payout-runs/dues").json() if due["available"] > 0) == 3,
        timeout=30,
        message="the sale is posted to the three suppliers' balances",
    )
    return {"suppliers": suppliers, "sale": sale.json()}
