"""The consumer task wrapper: de-duplication, a batch applied together or (when it fails) one event at a time,
retries with an attempt counter, dead letters."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, MetaData, String, Table, select

from shared.celery_factory import each, register_consumers
from shared.events import build_envelope, contract
from shared.messaging import MAX_ATTEMPTS

PAYLOAD = {"supplier_id": "7d3c1a8e-6a3f-4b7e-9a8c-2f1e5d4c3b2a", "name": "Kopi Sukamakmur", "status": "active"}
_OTHER_SUPPLIER = "7d3c1a8e-6a3f-4b7e-9a8c-000000000009"


@pytest.fixture
def consume(messaging_runtime):
    """The real ``inventory.on_supplier_registered``-shaped task, called in-process, with a recording handler
    (what it applied is kept in ``seen`` only when its transaction commits, like a write)."""
    from sqlalchemy import event

    seen: list[dict] = []
    failures = {"left": 0}
    runtime = messaging_runtime

    def handler(session, payload, envelope):
        if payload["name"] in failures.get("names", ()):
            raise RuntimeError(f"cannot apply {payload['name']} yet")
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database hiccup")
        session.info.setdefault("seen", []).append(payload)

    @event.listens_for(runtime.session_factory, "after_commit")
    def _committed(session):
        seen.extend(session.info.pop("seen", []))

    @event.listens_for(runtime.session_factory, "after_rollback")
    def _rolled_back(session):
        session.info.pop("seen", None)

    runtime.messaging.service = "inventory"
    register_consumers(
        runtime.celery, "inventory", runtime.session_factory, runtime.messaging, {"supplier.registered": each(handler)}
    )
    task = runtime.celery.tasks[contract("supplier.registered").task_name("inventory")]
    return task, seen, failures, runtime


def _dead_letters(runtime):
    with runtime.engine.connect() as conn:
        return conn.execute(select(runtime.messaging.dead_letters)).all()


def test_the_same_event_delivered_twice_is_applied_once(consume):
    task, seen, _failures, _runtime = consume
    envelope = build_envelope("supplier.registered", "suppliers", PAYLOAD)
    task([envelope])
    task([envelope])
    assert len(seen) == 1


def test_a_failing_effect_is_retried_and_applied_once_when_it_finally_succeeds(consume):
    task, seen, failures, runtime = consume
    failures["left"] = 2
    envelope = build_envelope("supplier.registered", "suppliers", PAYLOAD)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            task([envelope])  # called directly, Celery's retry re-raises the error
    task([envelope])
    assert len(seen) == 1
    assert _dead_letters(runtime) == []


def test_an_event_that_keeps_failing_goes_to_the_dead_letters_after_the_last_attempt(consume):
    task, seen, failures, runtime = consume
    failures["left"] = 10 * MAX_ATTEMPTS
    envelope = build_envelope("supplier.registered", "suppliers", PAYLOAD)
    for _ in range(MAX_ATTEMPTS - 1):
        with pytest.raises(RuntimeError):
            task([envelope])
    task([envelope])  # the last attempt gives up instead of raising
    [dead] = _dead_letters(runtime)
    assert (dead.consumer, dead.event_id, dead.attempts) == (
        "inventory.on_supplier_registered",
        envelope["event_id"],
        MAX_ATTEMPTS,
    )
    assert "database hiccup" in dead.error
    assert seen == []


def test_an_event_that_breaks_its_contract_is_dead_lettered_at_once(consume):
    task, seen, _failures, runtime = consume
    envelope = build_envelope("supplier.registered", "suppliers", PAYLOAD)
    envelope["payload"]["status"] = "vanished"
    task([envelope])
    [dead] = _dead_letters(runtime)
    assert "invalid event" in dead.error and dead.attempts == 1
    assert seen == []


def test_in_a_batch_each_event_stands_alone_and_only_the_failed_ones_are_retried(consume):
    task, seen, failures, runtime = consume
    envelopes = [
        build_envelope("supplier.registered", "suppliers", {**PAYLOAD, "supplier_id": supplier_id, "name": name})
        for supplier_id, name in [
            ("7d3c1a8e-6a3f-4b7e-9a8c-000000000001", "Kopi"),
            ("7d3c1a8e-6a3f-4b7e-9a8c-000000000002", "Dodol"),
            ("7d3c1a8e-6a3f-4b7e-9a8c-000000000003", "Batik"),
        ]
    ]
    failures["names"] = {"Dodol"}
    with pytest.raises(RuntimeError, match="cannot apply Dodol"):
        task(envelopes)
    assert [payload["name"] for payload in seen] == ["Kopi", "Batik"]
    with pytest.raises(RuntimeError):
        task(envelopes)  # the whole batch delivered again (e.g. a worker died): the applied ones stay applied once
    assert [payload["name"] for payload in seen] == ["Kopi", "Batik"]
    failures["names"] = set()
    task([envelopes[1]])
    assert [payload["name"] for payload in seen] == ["Kopi", "Batik", "Dodol"]
    with runtime.engine.connect() as conn:
        attempts = dict(
            conn.execute(
                select(runtime.messaging.delivery_attempts.c.event_id, runtime.messaging.delivery_attempts.c.attempts)
            ).all()
        )
    # Attempts are counted on failure only (and on a broker redelivery): Dodol failed twice, the others never.
    assert attempts == {envelopes[1]["event_id"]: 2}
    assert _dead_letters(runtime) == []


def test_a_message_carrying_one_envelope_as_published_before_batching_is_still_applied(consume):
    task, seen, _failures, _runtime = consume
    task(build_envelope("supplier.registered", "suppliers", PAYLOAD))
    assert [payload["name"] for payload in seen] == ["Kopi Sukamakmur"]


@pytest.fixture
def locked_database(consume):
    """``lock()`` takes the consumer database's write lock from another connection (as an outage would leave
    every writer failing), ``release()`` gives it back. The runtime waits at most a second for the lock."""
    import sqlite3

    _task, _seen, _failures, runtime = consume
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("the lock outage is SQLite's; PostgreSQL outages are exercised by the fault tests")
    path = runtime.engine.url.database
    holder = sqlite3.connect(path, isolation_level=None, timeout=0.2, check_same_thread=False)

    class Lock:
        def lock(self):
            holder.execute("BEGIN EXCLUSIVE")

        def release(self):
            holder.execute("COMMIT")

    yield Lock()
    holder.close()


def test_an_event_whose_attempt_cannot_be_counted_is_retried_until_the_database_is_back(consume, locked_database):
    import threading

    task, seen, _failures, runtime = consume
    envelope = build_envelope("supplier.registered", "suppliers", PAYLOAD)
    locked_database.lock()
    threading.Timer(2.5, locked_database.release).start()
    result = task.apply(args=[[envelope]])  # run eagerly: each retry runs at once, failing until the lock is gone
    assert result.successful(), result.traceback
    assert len(seen) == 1
    assert _dead_letters(runtime) == []


def test_the_events_a_consumer_took_are_confirmed_in_one_message_to_the_outbox_that_sent_them(consume, redis_server):
    import base64
    import json

    task, seen, _failures, _runtime = consume
    redis = redis_server.client()
    redis.delete("pos")
    applied = build_envelope("supplier.registered", "suppliers", PAYLOAD)
    broken = build_envelope("supplier.registered", "suppliers", PAYLOAD)
    broken["payload"]["status"] = "vanished"
    task([applied, broken], confirm_to="pos")
    task([applied], confirm_to="pos")  # a duplicate is confirmed again
    task([applied], confirm_to="elsewhere")  # not a service: nothing is sent
    calls = [json.loads(raw) for raw in reversed(redis.lrange("pos", 0, -1))]
    assert [call["headers"]["task"] for call in calls] == ["pos.confirm_events", "pos.confirm_events"]
    bodies = [json.loads(base64.b64decode(call["body"]))[0] for call in calls]
    assert bodies == [
        [
            "inventory.on_supplier_registered",
            sorted([applied["event_id"], broken["event_id"]], key=[broken["event_id"], applied["event_id"]].index),
        ],
        ["inventory.on_supplier_registered", [applied["event_id"]]],
    ]
    assert len(seen) == 1


#: The facts of the parking tests' consumer: the suppliers it has registered (a table of its own).
_REGISTERED = Table("registered_suppliers", MetaData(), Column("supplier_id", String(36), primary_key=True))


def _is_registered(session, supplier_id: str) -> bool:
    found = select(_REGISTERED.c.supplier_id).where(_REGISTERED.c.supplier_id == supplier_id)
    return session.execute(found).first() is not None


@pytest.fixture
def parking(messaging_runtime):
    """``supplier.registered`` records its supplier; ``supplier.updated`` needs it, and is parked until it is
    there (waiting for ``supplier:<id>``)."""
    from shared.celery_factory import Park

    runtime = messaging_runtime
    runtime.messaging.service = "inventory"
    _REGISTERED.create(runtime.engine)
    applied: list[str] = []

    def registered(session, payload, envelope):
        session.execute(_REGISTERED.insert().values(supplier_id=str(payload["supplier_id"])))
        applied.append(f"registered {payload['name']}")

    def updated(session, payload, envelope):
        if not _is_registered(session, str(payload["supplier_id"])):
            raise Park(f"supplier:{payload['supplier_id']}")
        applied.append(f"updated {payload['name']}")

    register_consumers(
        runtime.celery,
        "inventory",
        runtime.session_factory,
        runtime.messaging,
        {"supplier.registered": each(registered), "supplier.updated": each(updated)},
    )
    tasks = {
        name: runtime.celery.tasks[contract(name).task_name("inventory")]
        for name in ("supplier.registered", "supplier.updated")
    }
    return tasks, applied, runtime


def _backlog(runtime):
    with runtime.session_factory() as session:
        return runtime.messaging.backlog(session)


def test_an_event_that_needs_an_earlier_fact_is_parked_and_applied_once_the_fact_arrives(parking):
    tasks, applied, runtime = parking
    update = build_envelope("supplier.updated", "suppliers", {**PAYLOAD, "name": "Kopi Sukamakmur Jaya"})
    for _ in range(MAX_ATTEMPTS + 2):  # delivered again and again: parked once, never dead-lettered
        tasks["supplier.updated"]([update])
    assert applied == []
    assert _backlog(runtime)["events_parked"] == 1
    tasks["supplier.registered"]([build_envelope("supplier.registered", "suppliers", PAYLOAD)])
    assert applied == ["registered Kopi Sukamakmur", "updated Kopi Sukamakmur Jaya"]
    tasks["supplier.updated"]([update])  # a late duplicate changes nothing
    assert len(applied) == 2
    assert _backlog(runtime)["events_parked"] == 0
    assert _dead_letters(runtime) == []


def test_a_parked_event_whose_fact_arrives_outside_any_event_is_applied_by_the_periodic_release(parking):
    tasks, applied, runtime = parking
    tasks["supplier.updated"]([build_envelope("supplier.updated", "suppliers", PAYLOAD)])
    assert runtime.celery.tasks["inventory.release_parked"]() == 0
    with runtime.transaction() as session:  # e.g. a supplier registered over the API of the service itself
        session.execute(_REGISTERED.insert().values(supplier_id=PAYLOAD["supplier_id"]))
    assert runtime.celery.tasks["inventory.release_parked"]() == 1
    assert applied == ["updated Kopi Sukamakmur"]


@pytest.fixture
def consume_facts(messaging_runtime):
    """``inventory.on_supplier_registered`` with a :class:`~shared.celery_factory.FactHandler`: it records each
    supplier in a table of its own and skips one recorded there (``calls`` keeps the event ids it was given)."""
    from shared.celery_factory import FactHandler

    runtime = messaging_runtime
    runtime.messaging.service = "inventory"
    _REGISTERED.create(runtime.engine)
    calls: list[list[str]] = []

    def register(session, events):
        calls.append([str(meta["event_id"]) for _, meta in events])
        for payload, _ in events:
            if not _is_registered(session, str(payload["supplier_id"])):
                session.execute(_REGISTERED.insert().values(supplier_id=str(payload["supplier_id"])))

    handler = FactHandler(register, lambda session, payload: _is_registered(session, str(payload["supplier_id"])))
    register_consumers(
        runtime.celery, "inventory", runtime.session_factory, runtime.messaging, {"supplier.registered": handler}
    )
    task = runtime.celery.tasks[contract("supplier.registered").task_name("inventory")]
    return task, handler, calls, runtime


def _registered_and_processed(runtime) -> tuple[list[str], int]:
    with runtime.engine.connect() as conn:
        registered = list(conn.execute(select(_REGISTERED.c.supplier_id)).scalars())
        processed = len(conn.execute(select(runtime.messaging.processed_events)).all())
    return registered, processed


def test_a_fact_handler_recognises_copies_by_its_own_records_and_writes_no_processed_event_rows(consume_facts):
    task, _handler, calls, runtime = consume_facts
    envelope = build_envelope("supplier.registered", "suppliers", PAYLOAD)
    copy = {**envelope, "event_id": "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"}
    task([envelope, envelope])  # the same event twice in one message is given once
    task([envelope])  # delivered again
    task([copy])  # the same fact under a new event id
    assert calls == [[envelope["event_id"]], [envelope["event_id"]], [copy["event_id"]]]
    assert _registered_and_processed(runtime) == ([PAYLOAD["supplier_id"]], 0)
    assert _dead_letters(runtime) == []


def test_an_event_past_its_last_delivery_is_dead_lettered_unless_its_fact_is_there(consume_facts):
    from shared.celery_factory import _consume_batch

    _task, handler, calls, runtime = consume_facts
    consumer = contract("supplier.registered").task_name("inventory")
    applied = build_envelope("supplier.registered", "suppliers", PAYLOAD)
    other = build_envelope("supplier.registered", "suppliers", {**PAYLOAD, "supplier_id": _OTHER_SUPPLIER})
    _task([applied])
    with runtime.transaction() as session:
        for envelope in (applied, other):
            for _ in range(MAX_ATTEMPTS):
                runtime.messaging.count_attempt(session, consumer, envelope["event_id"])
    for envelope in (applied, other):  # a redelivery after the last attempt: its worker kept dying on it
        _consume_batch(runtime.session_factory, runtime.messaging, consumer, handler, [envelope], redelivered=True)
    [dead] = _dead_letters(runtime)
    assert (dead.event_id, dead.error) == (other["event_id"], "too many deliveries")
    assert calls == [[applied["event_id"]], [applied["event_id"]]]  # the applied one is taken as a duplicate
    assert _registered_and_processed(runtime) == ([PAYLOAD["supplier_id"]], 0)
