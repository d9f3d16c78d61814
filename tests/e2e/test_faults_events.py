"""Fault tests, events out of the ordinary reaching the real workers: a refund before its sale, the same envelope
three times and the same sale under a new event id, a sale for a supplier and product nobody knows. Each sale is
applied exactly once; what waits for an earlier fact is parked, not dead-lettered; the dead letters hold exactly
what can never apply; the reconciliation agrees.

The POS republishes a row its consumers did not confirm after 2 s here (instead of 15 s). Where a test needs the
POS not to republish yet (a lost sale, until its refund is parked), it stops the POS worker, which runs the beat
and with it the outbox sweep."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from shared.celery_factory import make_celery
from shared.events import build_envelope, contract
from tests.e2e.convergence import (
    HEAL_WITHIN,
    assert_converged,
    backlog,
    dead_letters,
    posted_at_suppliers,
    sold_at_inventory,
)
from tests.e2e.counter import PRICE, checkout, ok, on_hand, open_shop
from tests.support import event_taken, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CONSUMERS = ("inventory", "suppliers")


#: Seconds before the POS publishes again what its consumers did not confirm.
CONFIRM_DEADLINE = 2.0


@pytest.fixture
def platform_overrides():
    return {service: {"confirm_deadline": CONFIRM_DEADLINE} for service in ("inventory", "pos", "suppliers")}


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


def _refunded_at_suppliers(platform, refund_id: str) -> bool:
    from services.suppliers.models import PayableItem, PayableKind

    runtime = platform.runtime("suppliers")
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(PayableItem.gross).where(PayableItem.kind == PayableKind.REFUND, PayableItem.source_id == refund_id)
        ).all()
    return len(rows) == 1


def _queued_events(platform, queue: str) -> list[tuple[bytes, list[str]]]:
    """The messages on ``queue`` that carry events (not the beat's sweeps), each with its event types."""
    found = []
    for raw in platform.redis.client().lrange(queue, 0, -1):
        args = json.loads(base64.b64decode(json.loads(raw)["body"]))[0]
        if args and isinstance(args[0], list):
            found.append((raw, [envelope["type"] for envelope in args[0]]))
    return found


def _queued_types(platform, queue: str) -> list[str]:
    return [event_type for _, types in _queued_events(platform, queue) for event_type in types]


def _drop_from_queue(platform, queue: str, event_type: str) -> int:
    """Remove the messages on ``queue`` that carry an event of ``event_type`` (as a broker losing them would);
    how many were removed."""
    client = platform.redis.client()
    return sum(client.lrem(queue, 1, raw) for raw, types in _queued_events(platform, queue) if event_type in types)


def test_a_refund_delivered_before_its_sale_is_parked_then_applied_once_the_sale_arrives(
    platform, shop, start_worker, start_workers
):
    for service in (*CONSUMERS, "pos"):  # the shop's own events (the intake's, for the ledger) settle first
        eventually(lambda s=service: backlog(platform, s)["outbox_unconfirmed"] == 0, message=f"{service} settled")
    for service in (*CONSUMERS, "pos"):
        platform.workers[service].terminate()  # the sale and its refund wait in Redis; no sweep publishes them again
    for service in (*CONSUMERS, "pos"):
        platform.workers[service].stop()
    sale = checkout(platform, shop, qty=3)
    line = sale["lines"][0]
    grant = ok(
        platform.http.post(
            f"{platform.urls['gateway']}/api/auth/grants", headers=shop["manager"], json={"purpose": "refund"}
        ),
        201,
    )
    refund = ok(
        platform.http.post(
            f"{platform.api('pos')}/refunds",
            headers={**shop["cashier"], "Idempotency-Key": str(uuid.uuid4())},
            json={
                "receipt_no": sale["receipt_no"],
                "register_id": shop["register"]["id"],
                "lines": [{"sale_line_id": line["id"], "qty": 1}],
                "reason": "kemasan rusak",
                "back_to_stock": True,
                "method": "original",
                "approval": {"approval_token": grant["grant"]},
            },
        ),
        201,
    )
    for service in CONSUMERS:
        eventually(
            lambda s=service: {"sale.completed", "sale.refunded"} <= set(_queued_types(platform, s)),
            message=f"sale and refund queued for {service}",
        )
        assert _drop_from_queue(platform, service, "sale.completed") >= 1  # ...where the sale is lost
        assert _queued_types(platform, service) == ["sale.refunded"]
    platform.workers.update(start_workers({service: platform.settings[service] for service in CONSUMERS}))
    for service in CONSUMERS:
        eventually(lambda s=service: backlog(platform, s)["events_parked"] == 1, message=f"refund parked at {service}")
    # With its worker (and the beat) back, the POS's sweep publishes again the sale its consumers did not confirm.
    platform.workers["pos"] = start_worker(platform.settings["pos"], beat=True)
    eventually(lambda: on_hand(platform, shop) == 98, timeout=HEAL_WITHIN, message="sale of 3 then refund of 1")
    eventually(lambda: _refunded_at_suppliers(platform, refund["id"]), message="refund posted")
    assert_converged(platform, shop, [sale], expected={sale["id"]: 3})
    for service in CONSUMERS:
        assert backlog(platform, service)["events_parked"] == 0


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
        eventually(
            lambda s=service: event_taken(platform.settings[s].redis_url, s, again["event_id"]),
            message=f"{service} took the copy",
        )
    eventually(lambda: backlog(platform, "pos")["outbox_unconfirmed"] == 0, message="POS outbox confirmed")
    assert_converged(platform, shop, [sale], expected={sale["id"]: 2})
    assert on_hand(platform, shop) == 98


def test_a_sale_for_an_unknown_supplier_is_never_posted_on_default_terms(platform, shop):
    stranger = _sale(shop, product_id=str(uuid.uuid4()), supplier_id=str(uuid.uuid4()))
    envelope = build_envelope("sale.completed", "pos", stranger)
    _publish(platform, envelope)
    eventually(lambda: backlog(platform, "suppliers")["events_parked"] == 1, message="parked at suppliers")
    [dead] = eventually(lambda: dead_letters(platform, "inventory"), message="rejected by inventory")
    assert (dead.event_id, dead.consumer) == (envelope["event_id"], "inventory.on_sale_completed")
    assert "rejected" in dead.error
    sale = checkout(platform, shop, qty=1)  # the queue keeps flowing
    assert_converged(platform, shop, [sale], poison={"inventory": [envelope["event_id"]]})
    assert backlog(platform, "suppliers")["events_parked"] == 1  # never posted, on default terms or any other
