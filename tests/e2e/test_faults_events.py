"""Fault tests, events out of the ordinary reaching the real workers: a refund before its sale, the same envelope
three times and the same sale under a new event id, a sale for a supplier and product nobody knows. Each sale is
applied exactly once; what waits for an earlier fact is parked, not dead-lettered; the dead letters hold exactly
what can never apply."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from shared.celery_factory import make_celery
from shared.events import build_envelope, contract
from tests.e2e.convergence import HEAL_WITHIN, backlog, dead_letters, posted_at_suppliers, sold_at_inventory
from tests.e2e.counter import PRICE, checkout, on_hand, open_shop
from tests.support import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CONSUMERS = ("inventory", "suppliers")


@pytest.fixture
def platform_overrides():
    return {service: {"confirm_deadline": 2.0} for service in ("inventory", "pos", "suppliers")}


@pytest.fixture
def shop(platform):
    return open_shop(platform, stock=100)


def _publish(platform, envelope: dict) -> None:
    """What a producer's relay does, to both consumers of the event."""
    producer = make_celery("test-producer", platform.settings["pos"].redis_url)
    for service in CONSUMERS:
        producer.send_task(contract(envelope["type"]).task_name(service), args=[[envelope]], queue=service)


def _sale(shop, product_id=None, supplier_id=None, qty=2) -> dict:
    return {
        "sale_id": str(uuid.uuid4()),
        "receipt_no": "R01-FAULT-0001",
        "outlet_id": "00000000-0000-4000-8000-000000000001",
        "register_id": shop["register"]["id"],
        "cashier_id": "kasir",
        "completed_at": datetime.now(UTC).isoformat(),
        "total": qty * PRICE,
        "lines": [
            {
                "line_id": str(uuid.uuid4()),
                "product_id": product_id or shop["product"]["id"],
                "supplier_id": supplier_id or shop["supplier"]["id"],
                "qty": qty,
                "unit_price": PRICE,
                "line_total": qty * PRICE,
            }
        ],
    }


def _refund(sale: dict, qty: int) -> dict:
    line = sale["lines"][0]
    return {
        "refund_id": str(uuid.uuid4()),
        "sale_id": sale["sale_id"],
        "outlet_id": sale["outlet_id"],
        "refunded_at": datetime.now(UTC).isoformat(),
        "back_to_stock": True,
        "total": qty * PRICE,
        "lines": [
            {
                "sale_line_id": line["line_id"],
                "product_id": line["product_id"],
                "supplier_id": line["supplier_id"],
                "qty": qty,
                "amount": qty * PRICE,
            }
        ],
    }


def _processed(platform, service: str, event_id: str) -> bool:
    runtime = platform.runtime(service)
    table = runtime.messaging.processed_events
    with runtime.engine.connect() as conn:
        return conn.execute(select(table.c.event_id).where(table.c.event_id == event_id)).first() is not None


def _refunded_at_suppliers(platform, refund_id: str) -> bool:
    from services.suppliers.models import PayableItem, PayableKind

    runtime = platform.runtime("suppliers")
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(PayableItem.gross).where(PayableItem.kind == PayableKind.REFUND, PayableItem.source_id == refund_id)
        ).all()
    return len(rows) == 1


def test_a_refund_delivered_before_its_sale_is_parked_then_applied_once_the_sale_arrives(platform, shop):
    sale = _sale(shop, qty=3)
    refund = build_envelope("sale.refunded", "pos", _refund(sale, 1))
    _publish(platform, refund)
    for service in CONSUMERS:
        eventually(lambda s=service: backlog(platform, s)["events_parked"] == 1, message=f"refund parked at {service}")
    _publish(platform, build_envelope("sale.completed", "pos", sale))
    eventually(lambda: on_hand(platform, shop) == 98, timeout=HEAL_WITHIN, message="sale of 3 then refund of 1")
    eventually(lambda: _refunded_at_suppliers(platform, refund["payload"]["refund_id"]), message="refund posted")
    assert posted_at_suppliers(platform) == {sale["sale_id"]: 1}
    for service in CONSUMERS:
        assert backlog(platform, service)["events_parked"] == 0
        assert dead_letters(platform, service) == []


def test_the_same_envelope_three_times_and_the_same_sale_under_a_new_event_id_apply_once(platform, shop):
    sale = checkout(platform, shop, qty=2)
    eventually(lambda: sold_at_inventory(platform) == {sale["id"]: 2}, message="the sale reached inventory")
    eventually(lambda: posted_at_suppliers(platform) == {sale["id"]: 1}, message="the sale reached the ledger")
    pos = platform.runtime("pos")
    outbox = pos.messaging.outbox
    with pos.engine.connect() as conn:
        envelope = json.loads(
            conn.execute(select(outbox.c.envelope).where(outbox.c.event_type == "sale.completed")).first().envelope
        )
    for _ in range(3):
        _publish(platform, envelope)
    again = {**envelope, "event_id": str(uuid.uuid4())}  # the same sale, republished under a new event id
    _publish(platform, again)
    for service in CONSUMERS:
        eventually(lambda s=service: _processed(platform, s, again["event_id"]), message=f"{service} took the copy")
    eventually(lambda: backlog(platform, "pos")["outbox_unconfirmed"] == 0, message="POS outbox confirmed")
    assert sold_at_inventory(platform) == {sale["id"]: 2}
    assert posted_at_suppliers(platform) == {sale["id"]: 1}
    assert on_hand(platform, shop) == 98
    for service in CONSUMERS:
        assert dead_letters(platform, service) == []


def test_a_sale_for_an_unknown_supplier_is_never_posted_on_default_terms(platform, shop):
    stranger = _sale(shop, product_id=str(uuid.uuid4()), supplier_id=str(uuid.uuid4()))
    envelope = build_envelope("sale.completed", "pos", stranger)
    _publish(platform, envelope)
    eventually(lambda: backlog(platform, "suppliers")["events_parked"] == 1, message="parked at suppliers")
    [dead] = eventually(lambda: dead_letters(platform, "inventory"), message="rejected by inventory")
    assert (dead.event_id, dead.consumer) == (envelope["event_id"], "inventory.on_sale_completed")
    assert "rejected" in dead.error
    sale = checkout(platform, shop, qty=1)  # the queue keeps flowing
    eventually(lambda: sold_at_inventory(platform) == {sale["id"]: 1}, message="a good sale reached inventory")
    eventually(lambda: posted_at_suppliers(platform) == {sale["id"]: 1}, message="a good sale reached the ledger")
    assert dead_letters(platform, "suppliers") == []
    assert backlog(platform, "suppliers")["events_parked"] == 1
