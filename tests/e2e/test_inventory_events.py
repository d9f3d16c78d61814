"""The inventory worker as a real process on a real Redis: supplier and sale events published with Celery's
``send_task`` reach it, duplicates (of an event or of a sale under a new event id) change stock once, a refund that
overtakes its sale waits for it, and the stock movements it records leave through the outbox."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from services.inventory import create_app
from shared.celery_factory import make_celery
from shared.events import build_envelope, contract
from shared.messaging import OUTBOX_SENT
from tests.inventory_support import days_from_today, refund_payload, sale_payload
from tests.support import event_taken, eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def inventory_with_worker(make_settings, start_worker, redis_server, token):
    settings = make_settings("inventory")
    redis_server.client().delete("inventory", "suppliers", "pos")
    app = create_app(settings)
    start_worker(settings)
    producer = make_celery("test-producer", settings.redis_url)

    def send(event_type: str, payload: dict | None = None, envelope: dict | None = None) -> dict:
        envelope = envelope or build_envelope(event_type, "test", payload)
        producer.send_task(contract(event_type).task_name("inventory"), args=[[envelope]], queue="inventory")
        return envelope

    yield app, send, token("manager")
    app.extensions["sentra"].engine.dispose()


def _parked(runtime, event_id: str) -> bool:
    table = runtime.messaging.parked_events
    with runtime.engine.connect() as conn:
        return conn.execute(select(table.c.event_id).where(table.c.event_id == event_id)).first() is not None


def test_supplier_and_sale_events_through_redis_change_stock_once_each(inventory_with_worker):
    app, send, manager = inventory_with_worker
    runtime = app.extensions["sentra"]
    client = app.test_client()
    supplier_id = str(uuid.uuid4())
    send(
        "supplier.registered",
        {
            "supplier_id": supplier_id,
            "name": "Dodol Ibu Sari",
            "status": "active",
            "consignment_days": 60,
            "shrinkage_borne_by": "supplier",
        },
    )
    body = {"name": "Dodol Betawi", "category": "makanan", "unit": "pack", "price": 25_000, "supplier_id": supplier_id}
    product = eventually(
        lambda: (r := client.post("/products", json=body, headers=manager)).status_code == 201 and r.json,
        message="inventory's worker applied supplier.registered",
    )
    client.post(
        "/intakes",
        headers=manager,
        json={
            "supplier_id": supplier_id,
            "lines": [
                {"product_id": product["id"], "qty": 6, "lot_code": "EARLY", "expiry_date": days_from_today(10)},
                {"product_id": product["id"], "qty": 6, "lot_code": "LATE", "expiry_date": days_from_today(60)},
            ],
        },
    )

    def stock():
        response = client.get(f"/products/{product['id']}/stock", headers=manager).json
        return response["on_hand"], {lot["lot_code"]: lot["on_hand"] for lot in response["lots"]}

    sale = sale_payload([(product, 8)])
    envelope = send("sale.completed", sale)
    eventually(lambda: stock()[0] == 4, message="the sale reached inventory")
    send("sale.completed", envelope=envelope)  # Redis redelivery / a relay retry: the same event again
    settings = runtime.settings
    eventually(
        lambda: event_taken(settings.redis_url, "inventory", envelope["event_id"]), message="the duplicate was consumed"
    )
    assert stock() == (4, {"EARLY": 0, "LATE": 4})
    republished = send("sale.completed", sale)  # the same sale under a new event id: its movements are there
    eventually(
        lambda: event_taken(settings.redis_url, "inventory", republished["event_id"]),
        message="the republished sale was consumed",
    )
    assert stock() == (4, {"EARLY": 0, "LATE": 4})

    later_sale = sale_payload([(product, 3)])
    refund = refund_payload(later_sale, [(0, 2)])
    refund_envelope = send("sale.refunded", refund)  # overtakes its sale: retried until the sale is there
    eventually(lambda: _parked(runtime, refund_envelope["event_id"]), message="the refund waits for its sale")
    assert stock()[0] == 4
    send("sale.completed", later_sale)
    eventually(
        lambda: stock() == (3, {"EARLY": 0, "LATE": 3}), timeout=30, message="the sale and then its refund were applied"
    )

    assert client.get("/stock/invariant", headers=manager).json["ok"] is True
    outbox = runtime.messaging.outbox

    def published_movements():
        with runtime.engine.connect() as conn:
            rows = conn.execute(
                select(outbox.c.status, outbox.c.envelope).where(outbox.c.event_type == "stock.moved")
            ).all()
        return rows if rows and all(row.status == OUTBOX_SENT for row in rows) else None

    rows = eventually(published_movements, message="the worker's relay published the movements")
    kinds = sorted(m["kind"] for row in rows for m in json.loads(row.envelope)["payload"]["movements"])
    assert kinds == ["intake", "intake", "refund", "sale", "sale", "sale"]


def test_the_worker_scans_for_near_expiry_lots_when_asked(inventory_with_worker):
    app, send, manager = inventory_with_worker
    client = app.test_client()
    supplier_id = str(uuid.uuid4())
    send("supplier.registered", {"supplier_id": supplier_id, "name": "Sambal Mak Ijah", "status": "active"})
    body = {"name": "Sambal Roa", "category": "makanan", "unit": "pcs", "price": 30_000, "supplier_id": supplier_id}
    product = eventually(
        lambda: (r := client.post("/products", json=body, headers=manager)).status_code == 201 and r.json,
        message="inventory's worker applied supplier.registered",
    )
    client.post(
        "/intakes",
        headers=manager,
        json={
            "supplier_id": supplier_id,
            "lines": [{"product_id": product["id"], "qty": 4, "lot_code": "SR-1", "expiry_date": days_from_today(20)}],
        },
    )
    make_celery("test-producer", app.extensions["sentra"].settings.redis_url).send_task(
        "inventory.scan_alerts", args=[30], queue="inventory"
    )
    alerts = eventually(
        lambda: client.get("/alerts?kind=near_expiry", headers=manager).json,
        message="the scan raised a near-expiry alert",
    )
    assert [(a["product_id"], a["kind"]) for a in alerts] == [(product["id"], "near_expiry")]
    assert "SR-1" in alerts[0]["message"]
