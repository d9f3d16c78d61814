"""Fault tests, a poison event inside a batch: consumers apply a delivery of several events in one transaction;
when one of them cannot apply, the batch falls back to one event per transaction, so every other event applies
and the poison alone ends in the dead letters (or, waiting for a fact, alone in the parked events)."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from services.inventory import create_app
from services.inventory.models import SupplierReplica
from shared.celery_factory import make_celery
from shared.events import build_envelope, contract
from tests.e2e.convergence import backlog, dead_letters, posted_at_suppliers, sold_at_inventory
from tests.e2e.counter import open_shop
from tests.e2e.test_faults_events import _sale
from tests.support import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def shop(platform):
    return open_shop(platform, stock=100)


def _attempt_rows(platform, service: str) -> int:
    runtime = platform.runtime(service)
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(runtime.messaging.delivery_attempts)).scalar_one()


def test_a_batch_with_one_poison_event_applies_all_the_others_and_dead_letters_that_one_alone(platform, shop):
    good = [_sale(shop, qty=index + 1) for index in range(5)]
    poison_at_inventory = _sale(shop, product_id=str(uuid.uuid4()))  # a product inventory does not have
    waits_at_suppliers = _sale(shop, supplier_id=str(uuid.uuid4()))  # a supplier not registered (yet)
    batch = [build_envelope("sale.completed", "pos", sale) for sale in good[:2]]
    poison = build_envelope("sale.completed", "pos", poison_at_inventory)
    waiting = build_envelope("sale.completed", "pos", waits_at_suppliers)
    batch += [poison] + [build_envelope("sale.completed", "pos", sale) for sale in good[2:]] + [waiting]
    producer = make_celery("test-producer", platform.settings["pos"].redis_url)
    for service in ("inventory", "suppliers"):  # one message of seven events to each consumer
        producer.send_task(contract("sale.completed").task_name(service), args=[batch], queue=service)

    applied = {sale["sale_id"]: sale["lines"][0]["qty"] for sale in good}
    at_inventory = {**applied, waits_at_suppliers["sale_id"]: waits_at_suppliers["lines"][0]["qty"]}
    eventually(lambda: sold_at_inventory(platform) == at_inventory, message="the others applied at inventory")
    [dead] = eventually(lambda: dead_letters(platform, "inventory"), message="the poison dead-lettered")
    assert (dead.event_id, dead.consumer) == (poison["event_id"], "inventory.on_sale_completed")
    assert "rejected" in dead.error

    at_suppliers = {sale_id: 1 for sale_id in [*applied, poison_at_inventory["sale_id"]]}
    eventually(lambda: posted_at_suppliers(platform) == at_suppliers, message="the others posted at suppliers")
    eventually(lambda: backlog(platform, "suppliers")["events_parked"] == 1, message="the one waiting parked alone")
    assert dead_letters(platform, "suppliers") == []
    # Nothing failed but the poison, and a rejection or a parking is not retried: no attempt was counted.
    assert _attempt_rows(platform, "inventory") == 0 and _attempt_rows(platform, "suppliers") == 0


def test_a_batch_the_broker_hands_out_again_is_split_and_each_of_its_events_counts_one_attempt(
    make_settings, start_worker, redis_server
):
    """A redelivered message may have killed its worker: its events are counted once each and sent back one per
    message, so one that kills the worker again dies alone (and reaches the dead letters after its attempts)."""
    settings = make_settings("inventory")
    redis = redis_server.client()
    redis.delete("inventory")
    runtime = create_app(settings).extensions["sentra"]
    envelopes = [
        build_envelope(
            "supplier.registered", "suppliers", {"supplier_id": str(uuid.uuid4()), "name": name, "status": "active"}
        )
        for name in ("Batik Bekasi", "Dodol Betawi", "Kopi Sukamakmur")
    ]
    producer = make_celery("test-producer", settings.redis_url)
    producer.send_task(contract("supplier.registered").task_name("inventory"), args=[envelopes], queue="inventory")
    message = json.loads(redis.lpop("inventory"))
    message["properties"]["delivery_info"]["redelivered"] = True  # as kombu marks a message it restores
    redis.lpush("inventory", json.dumps(message))
    start_worker(settings)

    def names():
        with runtime.engine.connect() as conn:
            found = sorted(conn.execute(select(SupplierReplica.name)).scalars())
        return found if len(found) == 3 else None

    assert eventually(names, timeout=30, message="every event applied") == sorted(
        envelope["payload"]["name"] for envelope in envelopes
    )
    attempts = runtime.messaging.delivery_attempts
    with runtime.engine.connect() as conn:
        counted = dict(conn.execute(select(attempts.c.event_id, attempts.c.attempts)).tuples().all())
    assert counted == {envelope["event_id"]: 1 for envelope in envelopes}
    runtime.engine.dispose()
