"""Fault tests, poison: whatever lands on a consumer's queue while sales flow — raw text, JSON that is not a Celery
message, a task called with something other than a list of envelopes, an envelope that is not an object, an event
id longer than its column, a payload that breaks its contract — goes to the dead letters at once, the worker keeps
consuming, every sale converges and the reconciliation agrees."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from services.inventory.models import SupplierReplica
from shared.celery_factory import make_celery
from shared.db import UUID_LENGTH
from shared.events import build_envelope, contract
from tests.e2e.convergence import SalesFlow, assert_converged
from tests.e2e.counter import open_shop
from tests.support import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TASK = contract("supplier.registered").task_name("inventory")


def _supplier(name: str) -> dict:
    return {"supplier_id": str(uuid.uuid4()), "name": name, "status": "active"}


def test_poison_of_every_kind_is_dead_lettered_at_once_and_the_worker_keeps_consuming(platform):
    shop = open_shop(platform, stock=1_000)
    flow = SalesFlow(platform, shop).start()
    flow.wait_for(5)
    redis = platform.redis.client()
    runtime = platform.runtime("inventory")
    worker = platform.workers["inventory"]
    producer = make_celery("test-producer", platform.settings["inventory"].redis_url)

    redis.lpush("inventory", b"\xff\xfe this is not JSON {")
    redis.lpush("inventory", json.dumps({"hello": "a JSON object, not a kombu message"}))
    producer.send_task(TASK, args=["not a list of envelopes"], queue="inventory")
    producer.send_task(TASK, args=[[42]], queue="inventory")
    long_id = build_envelope("supplier.registered", "suppliers", _supplier("Id Kepanjangan"))
    long_id["event_id"] = "f" * 300
    producer.send_task(TASK, args=[[long_id]], queue="inventory")
    broken = build_envelope("supplier.registered", "suppliers", _supplier("Status Aneh"))
    broken["payload"]["status"] = "vanished"
    good = build_envelope("supplier.registered", "suppliers", _supplier("Kopi Sukamakmur"))
    producer.send_task(TASK, args=[[broken, good]], queue="inventory")

    dead_letters = runtime.messaging.dead_letters

    def stored():
        with runtime.engine.connect() as conn:
            rows = conn.execute(select(dead_letters.c.consumer, dead_letters.c.error, dead_letters.c.envelope)).all()
        return rows if len(rows) >= 6 else None

    rows = eventually(stored, timeout=30, message="six poison messages dead-lettered")
    assert len(rows) == 6
    by_kind = sorted((row.consumer, row.error.split(":")[0]) for row in rows)
    assert by_kind == sorted(
        [
            ("inventory.quarantine", "not JSON"),
            ("inventory.quarantine", "not a kombu message (no properties, delivery tag or headers)"),
            (TASK, "poison"),
            (TASK, "invalid event"),
            (TASK, "invalid event"),
            (TASK, "invalid event"),
        ]
    )
    assert any("f" * 300 in row.envelope for row in rows)  # the whole envelope kept, its id cut to the column
    assert any("this is not JSON" in row.envelope for row in rows)

    eventually(
        lambda: "Kopi Sukamakmur" in _supplier_names(runtime), timeout=30, message="the good event next to the poison"
    )
    flow.wait_for(len(flow.sales) + 10)
    sales = flow.stop()
    assert worker.process.poll() is None, "the worker is still running"
    poison = ["", "", "", "", long_id["event_id"][:UUID_LENGTH], broken["event_id"]]
    assert_converged(platform, shop, sales, poison={"inventory": poison})


def _supplier_names(runtime) -> list[str]:
    with runtime.engine.connect() as conn:
        return [row.name for row in conn.execute(select(SupplierReplica.__table__.c.name))]
