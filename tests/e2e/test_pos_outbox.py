"""With Redis down the counter keeps selling; when Redis is back the POS worker's sweep publishes every sale.
And the real POS worker feeds the catalogue replica from ``product.upserted``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.pos.models import CatalogueProduct
from shared.events import build_envelope
from shared.messaging import OUTBOX_PENDING, OUTBOX_SENT
from tests.support import eventually, queued_event_batches

pytestmark = pytest.mark.e2e


def queued_envelopes(redis_server, queue: str) -> list[dict]:
    """The event envelopes waiting in a Celery queue on Redis."""
    client = redis_server.client()
    try:
        return [envelope for batch in queued_event_batches(client, queue) for envelope in batch]
    finally:
        client.close()


QUEUES = ("inventory", "suppliers")


@pytest.mark.slow
def test_checkouts_succeed_with_redis_stopped_and_their_events_go_out_when_it_returns(pos, redis_server, start_worker):
    register_id = pos.ready()
    redis_server.client().flushall()  # nothing an earlier test of this process left (e.g. unacknowledged confirmations)
    redis_server.stop()
    try:
        sales = [pos.cash_sale(register_id) for _ in range(3)]
        refund = pos.client.post(
            "/refunds",
            headers={**pos.cashier, "Idempotency-Key": "down-1"},
            json={
                "receipt_no": sales[0]["receipt_no"],
                "lines": [{"sale_line_id": sales[0]["lines"][0]["id"], "qty": 1}],
                "reason": "rusak",
                "back_to_stock": False,
                "method": "cash",
                "approval": {"approval_token": pos.grant("refund")},
            },
        )
        assert refund.status_code == 201
        # Rows are written sent and handed to the relay thread; its publish fails and gives them back.
        eventually(lambda: all(row.status == OUTBOX_PENDING for row in pos.outbox()), message="all rows pending")
        assert len(pos.outbox()) == 8
    finally:
        redis_server.start()
    start_worker(pos.settings, beat=True)

    def published(queue):
        """Every sale in ``queue`` (the sweep marks a row sent as it takes it for publishing)."""
        completed = {
            e["payload"]["sale_id"] for e in queued_envelopes(redis_server, queue) if e["type"] == "sale.completed"
        }
        return completed == {s["id"] for s in sales}

    eventually(
        lambda: all(row.status == OUTBOX_SENT for row in pos.outbox()) and all(map(published, QUEUES)),
        timeout=40,
        message="every outbox row published by the sweep",
    )
    for queue in QUEUES:
        envelopes = queued_envelopes(redis_server, queue)
        # Publishing twice is allowed (consumers de-duplicate by event id); missing one is not.
        completed = {e["payload"]["sale_id"] for e in envelopes if e["type"] == "sale.completed"}
        assert completed == {s["id"] for s in sales}
        assert {e["payload"]["refund_id"] for e in envelopes if e["type"] == "sale.refunded"} == {refund.json["id"]}


def test_the_pos_worker_keeps_the_catalogue_replica_from_product_events(pos, start_worker):
    start_worker(pos.settings)
    product = {
        "product_id": "5a3f1e9c-7d6b-4c1a-8e2f-0000000000aa",
        "sku": "KRP-01",
        "barcode": "8997000000017",
        "name": "Keripik Pisang Bekasi",
        "price": 18_000,
        "supplier_id": "6f0c4bb8-2a3a-4c1e-9d3e-000000000003",
        "category": "Makanan",
        "active": True,
        "revision": 2,
    }
    newer = build_envelope("product.upserted", "inventory", product)
    older = build_envelope("product.upserted", "inventory", {**product, "price": 15_000, "revision": 1})
    for envelope in (newer, newer, older):
        pos.runtime.celery.send_task("pos.on_product_upserted", args=[[envelope]], queue="pos")

    def replica_price():
        with pos.runtime.session_factory() as session:
            return session.scalar(select(CatalogueProduct.price).where(CatalogueProduct.barcode == "8997000000017"))

    def processed_events():
        """This test's two events as processed (the session's Redis may still hold other tests' messages for
        the POS queue, which this worker processes too)."""
        processed = pos.runtime.messaging.processed_events
        ours = processed.c.event_id.in_([newer["event_id"], older["event_id"]])
        with pos.runtime.engine.connect() as conn:
            return conn.execute(processed.select().where(ours)).all()

    eventually(lambda: len(processed_events()) == 2, timeout=20, message="both events (one twice) processed")
    assert {row.consumer for row in processed_events()} == {"pos.on_product_upserted"}
    assert replica_price() == 18_000  # the older revision, whenever it arrived, did not overwrite the newer
    assert (
        pos.client.get("/catalogue/barcode/8997000000017", headers=pos.cashier).json["name"] == "Keripik Pisang Bekasi"
    )
