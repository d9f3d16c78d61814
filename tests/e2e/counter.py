"""The counter of a small shop for end-to-end tests: users made as the gateway's CLI makes them, a supplier, a
product with stock, a register and an open shift, then checkouts through the gateway."""

from __future__ import annotations

import uuid

from services.gateway.accounts import upsert_user
from tests.support import eventually

BARCODE = "8991234500010"
PRICE = 25_000


def create_user(platform, username, role, password, supplier_id=None):
    """The user as the gateway's ``create-user`` command makes it (its use case, in this process: the command line
    itself is tested in ``tests/integration/test_gateway_accounts.py``)."""
    with platform.runtime("gateway").transaction() as session:
        upsert_user(session, username, username.title(), role, password, supplier_id)


def login(platform, username, password) -> dict:
    response = platform.http.post(
        f"{platform.urls['gateway']}/api/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def ok(response, status=200):
    assert response.status_code == status, (
        f"{response.request.method} {response.url}: {response.status_code} {response.text}"
    )
    return response.json()


def open_shop(platform, stock: int = 10) -> dict:
    """Supplier, product with ``stock`` units, register and an open shift — made by a manager and a cashier."""
    http = platform.http
    create_user(platform, "manajer", "manager", "manajer-pass-1")
    create_user(platform, "kasir", "cashier", "kasir-pass-1")
    manager = login(platform, "manajer", "manajer-pass-1")
    cashier = login(platform, "kasir", "kasir-pass-1")

    supplier = ok(
        http.post(
            f"{platform.api('suppliers')}/suppliers",
            headers=manager,
            json={"business_name": "Dodol Betawi Mpok Yati", "owner_name": "Yati", "phone": "081311120001"},
        ),
        201,
    )

    def create_product():
        response = http.post(
            f"{platform.api('inventory')}/products",
            headers=manager,
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

    product = eventually(create_product, message="inventory knows the supplier (supplier.registered)")
    eventually(
        lambda: http.get(f"{platform.api('pos')}/catalogue/barcode/{BARCODE}", headers=cashier).status_code == 200,
        message="the POS catalogue has the product (product.upserted)",
    )
    ok(
        http.post(
            f"{platform.api('inventory')}/intakes",
            headers=manager,
            json={
                "supplier_id": supplier["id"],
                "lines": [
                    {"product_id": product["id"], "qty": stock, "lot_code": "DDL-01", "expiry_date": "2027-06-30"}
                ],
            },
        ),
        201,
    )
    assert (
        ok(http.get(f"{platform.api('inventory')}/products/{product['id']}/stock", headers=manager))["on_hand"] == stock
    )

    register = ok(
        http.post(f"{platform.api('pos')}/registers", headers=manager, json={"code": "R01", "name": "Kasir 1"}), 201
    )
    ok(
        http.post(
            f"{platform.api('pos')}/shifts",
            headers=cashier,
            json={"register_id": register["id"], "opening_float": 200_000},
        ),
        201,
    )
    return {"manager": manager, "cashier": cashier, "supplier": supplier, "product": product, "register": register}


def checkout(platform, shop, qty):
    response = platform.http.post(
        f"{platform.api('pos')}/sales",
        headers={**shop["cashier"], "Idempotency-Key": str(uuid.uuid4())},
        json={
            "register_id": shop["register"]["id"],
            "lines": [{"barcode": BARCODE, "qty": qty}],
            "payments": [{"method": "cash", "amount": qty * PRICE, "tendered": qty * PRICE}],
        },
    )
    return ok(response, 201)


def on_hand(platform, shop):
    url = f"{platform.api('inventory')}/products/{shop['product']['id']}/stock"
    return ok(platform.http.get(url, headers=shop["manager"]))["on_hand"]


def balance(platform, shop):
    url = f"{platform.api('suppliers')}/suppliers/{shop['supplier']['id']}/balance"
    balance = ok(platform.http.get(url, headers=shop["manager"]))
    return balance["pending"] + balance["available"]
