"""The outbox, the inbox and dead letters on a real database and a real Redis, independent of any service."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import dead_letters_api
from shared.celery_factory import QUEUE_DRAINED_KEY
from shared.db import utcnow
from shared.errors import Conflict, NotFound
from shared.messaging import (
    DEAD_LETTER_RETRIED,
    OUTBOX_CONFIRMED,
    OUTBOX_PENDING,
    OUTBOX_SENT,
    RELAY_BACKLOG_MESSAGES,
)
from shared.web import create_service_app
from tests.support import eventually, queued_event_batches

SUPPLIER_REGISTERED = {
    "supplier_id": "7d3c1a8e-6a3f-4b7e-9a8c-2f1e5d4c3b2a",
    "name": "Kopi Sukamakmur",
    "status": "active",
}


@pytest.fixture
def runtime(messaging_runtime):
    return messaging_runtime


def _register_supplier(runtime):
    with runtime.transaction() as session:
        runtime.messaging.record(session, "supplier.registered", SUPPLIER_REGISTERED)


def _statuses(runtime):
    with runtime.engine.connect() as conn:
        return sorted(conn.execute(select(runtime.messaging.outbox.c.status)).scalars())


def _outbox(runtime):
    with runtime.engine.connect() as conn:
        return conn.execute(select(runtime.messaging.outbox)).all()


def _later(runtime, seconds):
    """Move the relay's clock ``seconds`` ahead of the real one: deadlines pass without sleeping."""
    runtime.relay.clock = lambda: utcnow() + timedelta(seconds=seconds)


def _queued_event_ids(redis, queue):
    return {envelope["event_id"] for batch in queued_event_batches(redis, queue) for envelope in batch}


def test_the_relay_publishes_what_a_commit_hands_over_to_each_subscribers_queue_without_touching_its_rows(
    runtime, redis_server
):
    redis = redis_server.client()
    redis.delete("inventory", "pos")
    with runtime.transaction() as session:
        envelope = runtime.messaging.record(session, "supplier.registered", SUPPLIER_REGISTERED)
        written = session.execute(select(runtime.messaging.outbox)).all()
    # written as sent, due again after the confirm deadline: what the relay would have marked on taking them
    assert {(row.status, row.publish_attempts, row.sent_at) for row in written} == {
        (OUTBOX_SENT, 1, written[0].created_at)
    }
    assert {row.republish_at - row.created_at for row in written} == {runtime.relay.confirm_deadline}
    eventually(
        lambda: all(_queued_event_ids(redis, q) == {envelope["event_id"]} for q in ("inventory", "pos")),
        message="both handed-over rows published",
    )
    assert _outbox(runtime) == written  # the relay thread neither read nor wrote them: one write a row
    for queue in ("inventory", "pos"):
        message = json.loads(redis.lpop(queue))
        assert message["headers"]["task"] == f"{queue}.on_supplier_registered"
        assert message["headers"]["argsrepr"] == f"[supplier.registered {envelope['event_id']}]"  # for the logs


def test_rows_written_where_no_relay_is_attached_wait_pending_for_the_sweep_which_marks_them_sent(
    runtime, redis_server
):
    redis = redis_server.client()
    redis.delete("inventory", "pos")
    with Session(runtime.engine) as session, session.begin():  # not the runtime's sessions: no relay
        envelope = runtime.messaging.record(session, "supplier.registered", SUPPLIER_REGISTERED)
    assert _statuses(runtime) == [OUTBOX_PENDING, OUTBOX_PENDING]
    assert not runtime.relay._handed_over and runtime.relay._thread is None  # nothing handed over to publish
    assert not redis.llen("inventory") and not redis.llen("pos")
    assert runtime.relay.publish_pending() == 2
    assert _statuses(runtime) == [OUTBOX_SENT, OUTBOX_SENT]
    assert all(_queued_event_ids(redis, q) == {envelope["event_id"]} for q in ("inventory", "pos"))


def test_a_savepoint_writes_its_rows_pending_as_it_may_roll_back_alone(runtime):
    with runtime.transaction() as session:
        with session.begin_nested():
            runtime.messaging.record(session, "supplier.registered", SUPPLIER_REGISTERED)
        with pytest.raises(RuntimeError), session.begin_nested():
            runtime.messaging.record(session, "supplier.registered", {**SUPPLIER_REGISTERED, "name": "gone"})
            raise RuntimeError("rolled back with its savepoint")
    assert _statuses(runtime) == [OUTBOX_PENDING, OUTBOX_PENDING]  # only the first event's, for the sweep
    assert not runtime.relay._handed_over


def test_a_stopped_relay_thread_ends_and_the_next_commit_with_events_starts_another(runtime, redis_server):
    redis = redis_server.client()
    redis.delete("inventory")
    _register_supplier(runtime)
    eventually(lambda: len(_queued_event_ids(redis, "inventory")) == 1, message="the relay thread sent the event")
    first = runtime.relay.stop()
    first.join(5)
    assert not first.is_alive()
    _register_supplier(runtime)
    eventually(lambda: len(_queued_event_ids(redis, "inventory")) == 2, message="a new relay thread sent the next")
    assert runtime.relay._thread is not first


def test_while_a_consumer_is_behind_the_relay_goes_on_collecting_until_its_queue_drains(runtime, redis_server):
    """A queue holding ``RELAY_BACKLOG_MESSAGES`` or more messages makes the relay hold what it was handed (the
    behind consumer then gets it in bigger batches); it publishes once the queue has drained."""
    redis = redis_server.client()
    redis.delete("inventory", "pos")
    redis.rpush("pos", *[b"not yet taken"] * RELAY_BACKLOG_MESSAGES)
    runtime.relay.backlog_linger = 60.0
    _register_supplier(runtime)
    _register_supplier(runtime)
    time.sleep(3 * runtime.relay.linger)
    assert _queued_event_ids(redis, "inventory") == set()  # held back, for the queue of pos
    redis.ltrim("pos", 0, RELAY_BACKLOG_MESSAGES - 2)  # the consumer took one: no longer behind
    eventually(lambda: len(_queued_event_ids(redis, "inventory")) == 2, message="published once drained")
    assert len(queued_event_batches(redis, "inventory")) == 1  # the two commits in one message


def test_a_relay_held_by_a_backlog_that_does_not_drain_publishes_after_its_longest_linger(runtime, redis_server):
    redis = redis_server.client()
    redis.delete("inventory", "pos")
    redis.rpush("pos", *[b"not yet taken"] * RELAY_BACKLOG_MESSAGES)
    runtime.relay.backlog_linger = 1.0
    _register_supplier(runtime)
    eventually(lambda: len(_queued_event_ids(redis, "inventory")) == 1, message="published while still behind")


@pytest.mark.slow
def test_with_redis_down_the_transaction_commits_and_the_rows_wait_until_redis_is_back(runtime, redis_server):
    redis_server.stop()
    try:
        _register_supplier(runtime)
        assert runtime.relay.publish_pending() == 0
        # Rows are written sent, handed over to the relay thread, which gives them back when its publish fails.
        eventually(lambda: _statuses(runtime) == [OUTBOX_PENDING, OUTBOX_PENDING], message="both rows pending")
    finally:
        redis_server.start()
    runtime.relay.publish_pending()
    eventually(lambda: _statuses(runtime) == [OUTBOX_SENT, OUTBOX_SENT], message="both rows sent")


@pytest.mark.slow
def test_rows_pending_for_one_consumer_go_out_together_in_messages_of_bounded_size(runtime, redis_server):
    redis_server.client().delete("inventory", "pos")
    redis_server.stop()
    try:
        for _ in range(3):
            _register_supplier(runtime)
    finally:
        runtime.relay.events_per_message = 2
        redis_server.start()
    redis = redis_server.client()

    def this_tests_batches(queue):
        """Only this test's messages (an earlier test's relay thread may still publish to the shared Redis)."""
        with runtime.engine.connect() as conn:
            recorded = set(conn.execute(select(runtime.messaging.outbox.c.event_id)).scalars())
        batches = queued_event_batches(redis, queue)
        return recorded, [batch for batch in batches if {envelope["event_id"] for envelope in batch} <= recorded]

    def all_published():
        """Every row sent and in its queue (a row is marked sent as it is taken for publishing, so a relay
        thread still publishing across the restart may hold some)."""
        queued = [this_tests_batches(queue) for queue in ("inventory", "pos")]
        return _statuses(runtime) == [OUTBOX_SENT] * 6 and all(
            {envelope["event_id"] for batch in batches for envelope in batch} == recorded
            for recorded, batches in queued
        )

    eventually(
        lambda: runtime.relay.publish_pending() >= 0 and all_published(), message="all six rows sent"
    )  # the first publish after a Redis restart may fail and be redone
    for queue in ("inventory", "pos"):
        recorded, batches = this_tests_batches(queue)
        # The relay thread woken by the commits may publish some rows too: a row may go out twice, never lost.
        assert 2 in [len(batch) for batch in batches] and all(len(batch) <= 2 for batch in batches)
        assert {envelope["event_id"] for batch in batches for envelope in batch} == recorded


def test_claiming_an_event_twice_for_the_same_consumer_succeeds_only_once(runtime):
    event_id = "2b7f8a1c-1111-4222-8333-944455556666"
    with runtime.transaction() as session:
        assert runtime.messaging.claim(session, "suppliers.on_sale_completed", event_id) is True
    with runtime.transaction() as session:
        assert runtime.messaging.claim(session, "suppliers.on_sale_completed", event_id) is False
        assert runtime.messaging.claim(session, "suppliers.on_sale_refunded", event_id) is True


def test_a_claim_rolled_back_with_its_failed_effect_can_be_claimed_again(runtime):
    event_id = "2b7f8a1c-1111-4222-8333-944455550000"
    try:
        with runtime.transaction() as session:
            runtime.messaging.claim(session, "c", event_id)
            raise RuntimeError("the effect failed")
    except RuntimeError:
        pass
    with runtime.transaction() as session:
        assert runtime.messaging.claim(session, "c", event_id) is True


def test_attempts_are_counted_per_consumer_and_a_retried_dead_letter_goes_back_through_the_outbox(runtime):
    messaging = runtime.messaging
    envelope = {"event_id": "2b7f8a1c-1111-4222-8333-944455557777", "type": "sale.completed", "payload": {}}
    with runtime.transaction() as session:
        counts = [
            messaging.count_attempt(session, "suppliers.on_sale_completed", envelope["event_id"]) for _ in range(3)
        ]
        messaging.dead_letter(session, "suppliers.on_sale_completed", envelope, "boom", attempts=3)
    assert counts == [1, 2, 3]
    with runtime.transaction() as session:
        dead = session.execute(select(messaging.dead_letters)).one()
        assert messaging.backlog(session)["dead_letters_open"] == 1
        assert messaging.retry_dead_letter(session, dead.id)["status"] == DEAD_LETTER_RETRIED
        with pytest.raises(Conflict):
            messaging.retry_dead_letter(session, dead.id)
        with pytest.raises(NotFound):
            messaging.retry_dead_letter(session, "00000000-0000-4000-8000-00000000dead")
    with runtime.transaction() as session:
        assert session.execute(select(messaging.dead_letters.c.status)).scalar_one() == DEAD_LETTER_RETRIED
        row = session.execute(select(messaging.outbox)).one()
        assert (row.task_name, row.queue) == ("suppliers.on_sale_completed", "suppliers")
        assert messaging.count_attempt(session, "suppliers.on_sale_completed", envelope["event_id"]) == 1


@pytest.mark.slow
def test_the_sweep_republishes_what_is_pending_and_readiness_notices_a_queue_that_stopped_draining(
    make_messaging_runtime, redis_server
):
    runtime = make_messaging_runtime(outbox_sweep_older_than=timedelta(0))
    client = create_service_app(runtime, "messaging test").test_client()
    redis_server.stop()
    try:
        _register_supplier(runtime)
        assert client.get("/readyz").status_code == 503
    finally:
        redis_server.start()
    sweep = runtime.celery.tasks["suppliers.outbox_sweep"]  # this runtime's sweep takes rows of any age
    eventually(  # the relay thread, woken by the commit, may be publishing them at the same time
        lambda: sweep() >= 0 and _statuses(runtime) == [OUTBOX_SENT, OUTBOX_SENT], message="both rows swept"
    )
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["queue"] == "ok"
    redis_server.client().set(QUEUE_DRAINED_KEY.format(service="suppliers"), str(time.time() - 600))
    stalled = client.get("/readyz")
    assert stalled.status_code == 503 and stalled.json["checks"]["queue"].startswith("error")


def test_managers_see_dead_letters_over_http_and_send_one_again_once(runtime, token):
    client = create_service_app(runtime, "messaging test", [dead_letters_api.blp]).test_client()
    envelope = {"event_id": "2b7f8a1c-1111-4222-8333-944455558888", "type": "sale.completed", "payload": {}}
    with runtime.transaction() as session:
        runtime.messaging.dead_letter(session, "suppliers.on_sale_completed", envelope, "boom", attempts=8)
    assert client.get("/dead-letters", headers=token("cashier")).status_code == 403
    [dead] = client.get("/dead-letters", headers=token("manager")).json
    assert (dead["event_id"], dead["status"], dead["attempts"]) == (envelope["event_id"], "open", 8)
    retried = client.post(f"/dead-letters/{dead['id']}/retry", headers=token("manager"))
    assert retried.status_code == 202 and retried.json["status"] == "retried"
    again = client.post(f"/dead-letters/{dead['id']}/retry", headers=token("manager"))
    assert again.status_code == 409 and again.content_type == "application/problem+json"
    assert len(_statuses(runtime)) == 1  # the retry went back through the outbox


def _queued_calls(redis, queue: str) -> list[tuple[str, list, dict]]:
    """``(task, args, kwargs)`` of each message waiting on ``queue``, oldest first."""
    import base64

    calls = []
    for raw in reversed(redis.lrange(queue, 0, -1)):
        message = json.loads(raw)
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        calls.append((message["headers"]["task"], args, kwargs))
    return calls


def test_rows_unconfirmed_past_their_deadline_are_published_again_with_backoff_until_confirmed(runtime, redis_server):
    from datetime import timedelta

    redis = redis_server.client()
    redis.delete("inventory", "pos")
    runtime.relay.confirm_deadline = timedelta(seconds=0.5)
    with runtime.transaction() as session:
        envelope = runtime.messaging.record(session, "supplier.registered", SUPPLIER_REGISTERED)
    runtime.relay.publish_pending()
    eventually(
        lambda: _statuses(runtime) == [OUTBOX_SENT, OUTBOX_SENT] and _queued_calls(redis, "inventory"),
        message="both rows sent",
    )  # marked sent as they are taken for publishing: wait for the message too
    task, args, kwargs = _queued_calls(redis, "inventory")[-1]  # the relay thread woken by the commit may send too
    assert (task, args[0][0]["event_id"], kwargs) == (
        "inventory.on_supplier_registered",
        envelope["event_id"],
        {"confirm_to": "suppliers"},
    )
    assert runtime.relay.republish_unconfirmed() == 0  # not due yet
    redis.delete("inventory", "pos")  # as if Redis lost both messages

    confirmed = runtime.celery.tasks["suppliers.confirm_events"](
        "inventory.on_supplier_registered", [envelope["event_id"]]
    )
    assert confirmed == 1
    _later(runtime, 0.6)
    assert runtime.relay.republish_unconfirmed() == 1
    assert [task for task, _, _ in _queued_calls(redis, "pos")] == ["pos.on_supplier_registered"]
    assert _queued_calls(redis, "inventory") == []
    outbox = runtime.messaging.outbox
    with runtime.engine.connect() as conn:
        row = conn.execute(select(outbox).where(outbox.c.queue == "pos")).one()
    assert row.publish_attempts == 2
    assert 0.9 <= (row.republish_at - row.sent_at).total_seconds() <= 1.1  # the deadline doubled
    with runtime.engine.connect() as conn:  # stored as every other time (SQLite keeps text: the same form)
        raw = conn.exec_driver_sql("SELECT republish_at, sent_at FROM outbox WHERE queue = 'pos'").one()
    assert type(raw[0]) is type(raw[1]) and (not isinstance(raw[0], str) or len(raw[0]) == len(raw[1]))
    with runtime.session_factory() as session:
        backlog = runtime.messaging.backlog(session)
    assert backlog["outbox_unconfirmed"] == 1 and backlog["outbox_oldest_unconfirmed_seconds"] > 0
    assert runtime.relay.republish_unconfirmed() == 0  # backing off
    runtime.celery.tasks["suppliers.confirm_events"]("pos.on_supplier_registered", [envelope["event_id"]])
    assert _statuses(runtime) == [OUTBOX_CONFIRMED, OUTBOX_CONFIRMED]
    _later(runtime, 0.6 + 1.1)
    assert runtime.relay.republish_unconfirmed() == 0


def test_a_queue_still_draining_a_backlog_gets_no_republished_duplicates(runtime, redis_server):
    from datetime import timedelta

    from shared.messaging import BUSY_QUEUE_MESSAGES

    redis = redis_server.client()
    redis.delete("inventory", "pos")
    runtime.relay.confirm_deadline = timedelta(seconds=0.1)
    _register_supplier(runtime)
    runtime.relay.publish_pending()
    eventually(lambda: _statuses(runtime) == [OUTBOX_SENT, OUTBOX_SENT], message="both rows sent")
    redis.rpush("inventory", *[b"backlog"] * (BUSY_QUEUE_MESSAGES + 1))
    _later(runtime, 0.2)
    assert runtime.relay.republish_unconfirmed() == 1
    assert [task for task, _, _ in _queued_calls(redis, "pos")][-1] == "pos.on_supplier_registered"
    redis.delete("inventory", "pos")


def test_poison_that_is_no_event_cannot_be_sent_again(runtime):
    with runtime.transaction() as session:
        runtime.messaging.dead_letter(session, "suppliers.quarantine", {"raw": "not json {"}, "not JSON", attempts=1)
        dead_letter_id = session.execute(select(runtime.messaging.dead_letters.c.id)).scalar_one()
    with pytest.raises(Conflict), runtime.transaction() as session:
        runtime.messaging.retry_dead_letter(session, dead_letter_id)
    with runtime.engine.connect() as conn:
        assert conn.execute(select(runtime.messaging.outbox)).all() == []
