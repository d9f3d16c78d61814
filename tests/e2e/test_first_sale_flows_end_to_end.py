"""The first vertical slice, through the gateway, real HTTP, a real Redis and real worker processes:
supplier → product → intake → a cashier's sale → stock and the supplier's balance follow."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select

from shared import business_time
from shared.events import contract
from tests.support import eventually, service_env

pytestmark = pytest.mark.e2e
BARCODE = "8991234500010"
PRICE = 25_000


def _create_user(platform, username, role, password, supplier_id=None):
    command = [
        sys.executable,
        "-m",
        "services.gateway.accounts",
        "create-user",
        "--username",
        username,
        "--name",
        username.title(),
        "--role",
        role,
        "--password",
        password,
    ]
    if supplier_id:
        command += ["--supplier-id", supplier_id]
    subprocess.run(command, env=service_env(platform.settings["gateway"]), check=True, capture_output=True)


def _login(platform, username, password) -> dict:
    response = platform.http.post(
        f"{platform.urls['gateway']}/api/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _ok(response, status=200):
    assert response.status_code == status, (
        f"{response.request.method} {response.url}: {response.status_code} {response.text}"
    )
    return response.json()


@pytest.fixture
def shop(platform):
    """Supplier, product with stock, register and an open shift — made by a manager and a cashier."""
    http = platform.http
    _create_user(platform, "manajer", "manager", "manajer-pass-1")
    _create_user(platform, "kasir", "cashier", "kasir-pass-1")
    manager = _login(platform, "manajer", "manajer-pass-1")
    cashier = _login(platform, "kasir", "kasir-pass-1")

    supplier = _ok(
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
    _ok(
        http.post(
            f"{platform.api('inventory')}/intakes",
            headers=manager,
            json={
                "supplier_id": supplier["id"],
                "lines": [{"product_id": product["id"], "qty": 10, "lot_code": "DDL-01", "expiry_date": "2027-06-30"}],
            },
        ),
        201,
    )
    assert (
        _ok(http.get(f"{platform.api('inventory')}/products/{product['id']}/stock", headers=manager))["on_hand"] == 10
    )

    register = _ok(
        http.post(f"{platform.api('pos')}/registers", headers=manager, json={"code": "R01", "name": "Kasir 1"}), 201
    )
    _ok(
        http.post(
            f"{platform.api('pos')}/shifts",
            headers=cashier,
            json={"register_id": register["id"], "opening_float": 200_000},
        ),
        201,
    )
    return {"manager": manager, "cashier": cashier, "supplier": supplier, "product": product, "register": register}


def _checkout(platform, shop, qty):
    response = platform.http.post(
        f"{platform.api('pos')}/sales",
        headers={**shop["cashier"], "Idempotency-Key": str(uuid.uuid4())},
        json={
            "register_id": shop["register"]["id"],
            "lines": [{"barcode": BARCODE, "qty": qty}],
            "payments": [{"method": "cash", "amount": qty * PRICE, "tendered": qty * PRICE}],
        },
    )
    return _ok(response, 201)


def _on_hand(platform, shop):
    url = f"{platform.api('inventory')}/products/{shop['product']['id']}/stock"
    return _ok(platform.http.get(url, headers=shop["manager"]))["on_hand"]


def _balance(platform, shop):
    url = f"{platform.api('suppliers')}/suppliers/{shop['supplier']['id']}/balance"
    balance = _ok(platform.http.get(url, headers=shop["manager"]))
    return balance["pending"] + balance["available"]


def test_a_sale_at_the_counter_reaches_stock_and_the_suppliers_payable(platform, shop):
    sale = _checkout(platform, shop, qty=2)
    assert sale["total"] == 2 * PRICE
    eventually(lambda: _on_hand(platform, shop) == 8, message="stock decremented by the sale")
    share = 2 * PRICE - 2 * PRICE * 2_000 // 10_000  # the default commission is 20 %
    eventually(lambda: _balance(platform, shop) == share, message="supplier credited with the share")


def test_the_same_sale_completed_delivered_twice_changes_stock_and_balance_once(platform, shop):
    sale = _checkout(platform, shop, qty=3)
    eventually(lambda: _on_hand(platform, shop) == 7, message="first delivery applied")
    expected_balance = eventually(lambda: _balance(platform, shop), message="supplier credited")

    pos = platform.runtime("pos")
    with pos.engine.connect() as conn:
        outbox = pos.messaging.outbox
        rows = conn.execute(select(outbox).where(outbox.c.event_type == "sale.completed")).all()
    envelope = json.loads(rows[0].envelope)
    assert envelope["payload"]["sale_id"] == sale["id"]
    for service in ("inventory", "suppliers"):
        pos.celery.send_task(contract("sale.completed").task_name(service), args=[[envelope]], queue=service)

    def delivery_count(service: str) -> int | None:
        runtime = platform.runtime(service)
        attempts = runtime.messaging.delivery_attempts
        consumer = contract("sale.completed").task_name(service)
        with runtime.engine.connect() as conn:
            return conn.execute(
                select(attempts.c.attempts).where(
                    (attempts.c.consumer == consumer) & (attempts.c.event_id == envelope["event_id"])
                )
            ).scalar()

    for service in ("inventory", "suppliers"):
        eventually(lambda service=service: delivery_count(service) == 2, message=f"{service} received the duplicate")
    assert _on_hand(platform, shop) == 7
    assert _balance(platform, shop) == expected_balance


@pytest.mark.slow
def test_a_sale_made_while_redis_is_down_is_accepted_and_its_effects_arrive_after_redis_returns(platform, shop):
    platform.redis.stop()
    try:
        sale = _checkout(platform, shop, qty=4)
        assert sale["receipt_no"]
        assert _on_hand(platform, shop) == 10
    finally:
        platform.redis.start()
    eventually(lambda: _on_hand(platform, shop) == 6, timeout=90, message="stock decremented after Redis returned")
    eventually(
        lambda: _balance(platform, shop) == 4 * PRICE - 4 * PRICE // 5,
        timeout=60,
        message="supplier credited after Redis returned",
    )


def test_a_reconciliation_fetches_the_real_pos_and_inventory_records_and_finds_the_books_agree(platform, shop):
    _checkout(platform, shop, qty=1)
    _checkout(platform, shop, qty=2)
    eventually(lambda: _on_hand(platform, shop) == 7, message="both sales reached inventory")
    eventually(lambda: _balance(platform, shop) == 3 * PRICE - 3 * PRICE // 5, message="both sales reached the ledger")
    today = business_time.today().isoformat()
    queued = _ok(
        platform.http.post(
            f"{platform.api('suppliers')}/reconciliations", headers=shop["manager"], json={"from": today, "to": today}
        ),
        202,
    )
    url = f"{platform.api('suppliers')}/reconciliations/{queued['id']}"
    done = eventually(
        lambda: (r := _ok(platform.http.get(url, headers=shop["manager"])))["status"] in ("done", "failed") and r,
        timeout=60,
        message="the worker ran the reconciliation",
    )
    assert done["status"] == "done", done
    report = done["report"]
    assert report["ok"] is True, report
    assert (report["missing"], report["duplicated"], report["mismatched"]) == ([], [], [])
    assert report["counts"]["pos_sales"] == 2
    assert report["invariants"]["ok"] and report["invariants"]["total_debit"] == report["invariants"]["total_credit"]
