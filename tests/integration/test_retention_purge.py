"""The daily purge (``<service>.purge``): what only grows is deleted once older than the retention, what is young
or still needed stays, and a duplicate of an event whose processed row was kept is still ignored."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shared.celery_factory import each, purge_task, register_consumers
from shared.config import ConfigError, load_settings
from shared.db import utcnow
from shared.events import build_envelope
from shared.messaging import OUTBOX_CONFIRMED, OUTBOX_PENDING, OUTBOX_SENT

CONSUMER = "suppliers.on_stock_alert_raised"


def _alert() -> dict:
    return {
        "alert_id": str(uuid.uuid4()),
        "outlet_id": str(uuid.uuid4()),
        "product_id": str(uuid.uuid4()),
        "supplier_id": str(uuid.uuid4()),
        "kind": "low_stock",
        "message": "3 left",
        "raised_at": utcnow(),
    }


@pytest.fixture
def consumer(messaging_runtime):
    """The suppliers runtime's consumer of ``stock.alert_raised`` (the real task, run in this process) with a
    handler that notes each alert it applies."""
    applied: list[str] = []
    register_consumers(
        messaging_runtime.celery,
        "suppliers",
        messaging_runtime.session_factory,
        messaging_runtime.messaging,
        {"stock.alert_raised": each(lambda session, payload, meta: applied.append(str(payload["alert_id"])))},
    )
    task = messaging_runtime.celery.tasks[CONSUMER]
    return lambda envelope: task.apply(args=[[envelope]]).get(), applied


def _outbox_row(event_id: str, status: str, queue: str, days: float) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "event_id": event_id,
        "event_type": "supplier.registered",
        "task_name": f"{queue}.on_supplier_registered",
        "queue": queue,
        "envelope": "{}",
        "status": status,
        "publish_attempts": 0 if status == OUTBOX_PENDING else 1,
        "created_at": utcnow() - timedelta(days=days),
    }


def _age(runtime, table, column, key_column, key, days: float) -> None:
    with runtime.transaction() as session:
        session.execute(update(table).where(key_column == key).values({column: utcnow() - timedelta(days=days)}))


def _count(runtime, table, *conditions) -> int:
    with runtime.session_factory() as session:
        return session.execute(select(func.count()).select_from(table).where(*conditions)).scalar_one()


def test_the_purge_deletes_only_what_is_older_than_the_retention_and_no_longer_needed(messaging_runtime, consumer):
    runtime, messaging = messaging_runtime, messaging_runtime.messaging
    deliver, applied = consumer
    outbox, processed, attempts = messaging.outbox, messaging.processed_events, messaging.delivery_attempts
    old = build_envelope("stock.alert_raised", "inventory", _alert())
    young = build_envelope("stock.alert_raised", "inventory", _alert())
    deliver(old)
    deliver(young)
    with runtime.transaction() as session:
        messaging.count_attempt(session, CONSUMER, old["event_id"])  # a failed delivery of it, once
        messaging.park(session, CONSUMER, {"event_id": str(uuid.uuid4()), "type": "sale.refunded"}, "sale:x")
        messaging.dead_letter(session, CONSUMER, {"event_id": str(uuid.uuid4())}, "boom", 8)
    young_confirmed = str(uuid.uuid4())
    with runtime.transaction() as session:  # written as the relay left them (no relay thread woken)
        session.execute(
            outbox.insert(),
            [
                _outbox_row(event_id, status, queue, days)
                for event_id, status, days in (
                    (str(uuid.uuid4()), OUTBOX_CONFIRMED, 30),
                    (str(uuid.uuid4()), OUTBOX_SENT, 30),
                    (str(uuid.uuid4()), OUTBOX_PENDING, 30),
                    (young_confirmed, OUTBOX_CONFIRMED, 13),
                )
                for queue in ("inventory", "pos")
            ],
        )
    _age(runtime, processed, "processed_at", processed.c.event_id, old["event_id"], days=15)
    _age(runtime, processed, "processed_at", processed.c.event_id, young["event_id"], days=13)
    with runtime.transaction() as session:
        session.execute(update(messaging.parked_events).values(parked_at=utcnow() - timedelta(days=30)))
    with runtime.transaction() as session:
        session.execute(update(messaging.dead_letters).values(created_at=utcnow() - timedelta(days=30)))

    deleted = runtime.celery.tasks[purge_task("suppliers")].apply().get()

    assert deleted == {"delivery_attempts": 1, "processed_events": 1, "outbox": 2}
    assert _count(runtime, processed, processed.c.event_id == young["event_id"]) == 1
    assert _count(runtime, attempts) == 0
    assert sorted(_count(runtime, outbox, outbox.c.status == status) for status in (OUTBOX_SENT, OUTBOX_PENDING)) == [
        2,
        2,
    ]
    assert _count(runtime, outbox, outbox.c.event_id == young_confirmed) == 2  # confirmed, but young
    assert _count(runtime, messaging.parked_events) == 1 and _count(runtime, messaging.dead_letters) == 1

    deliver(young)  # its processed row was kept: still a duplicate
    assert applied == [old["payload"]["alert_id"], young["payload"]["alert_id"]]


def test_the_pos_purges_idempotency_records_and_callback_nonces_too(make_settings):
    from services.pos.models import IdempotencyRecord, QrisCallbackNonce, messaging
    from shared.db import table_of
    from shared.runtime import build_runtime

    runtime = build_runtime(make_settings("pos"), messaging)
    records, nonces = table_of(IdempotencyRecord), table_of(QrisCallbackNonce)
    now = utcnow()
    with runtime.transaction() as session:
        for key, days in (("old", 15), ("young", 1)):
            session.execute(
                records.insert().values(
                    scope="sales",
                    key=key,
                    request_hash="h",
                    response_status=201,
                    response_body="{}",
                    created_at=now - timedelta(days=days),
                )
            )
            session.execute(nonces.insert().values(nonce=f"nonce-{key}", received_at=now - timedelta(days=days)))
    deleted = runtime.celery.tasks[purge_task("pos")].apply().get()
    assert deleted["idempotency_records"] == 1 and deleted["qris_callback_nonces"] == 1
    with runtime.session_factory() as session:
        assert session.execute(select(records.c.key)).scalars().all() == ["young"]
        assert session.execute(select(nonces.c.nonce)).scalars().all() == ["nonce-young"]
    runtime.engine.dispose()


@pytest.mark.parametrize("days", ["7", "7.5", "3"])
def test_a_retention_not_longer_than_the_republish_window_is_refused(monkeypatch, days):
    monkeypatch.setenv("SENTRA_OUTBOX_RETENTION_DAYS", "7")
    monkeypatch.setenv("SENTRA_RETENTION_DAYS", days)
    with pytest.raises(ConfigError, match="SENTRA_RETENTION_DAYS"):
        load_settings("pos")
    monkeypatch.setenv("SENTRA_RETENTION_DAYS", "14")
    assert load_settings("pos").retention_days == 14
