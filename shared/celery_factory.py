"""The Celery app factory (Redis broker, settings from DESIGN.md §2) and the event-consumer task builder."""

from __future__ import annotations

import json
import logging
import random
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from marshmallow import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from shared.db import UUID_LENGTH, transaction, utcnow
from shared.events import contract, load_event
from shared.logs import request_id_var
from shared.messaging import MAX_ATTEMPTS, Messaging, OutboxRelay, claimed_once
from shared.redis_transport import quarantine_task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deadlines:
    """The broker's visibility timeout (``SENTRA_VISIBILITY_TIMEOUT``: seconds before Redis hands an
    unacknowledged message out again) and the waits that must fit inside it, all derived from it so that they
    cannot drift apart: a retried task waits out its countdown (at most :attr:`max_retry_countdown`)
    unacknowledged in its worker, then runs (at most :attr:`task_time_limit`), and half plus five twelfths of the
    timeout is less than the timeout, so a live worker's message is never handed out twice. At the default
    minute: retries at most 30 s apart, a task stopped after 20 s and killed after 25 s, and a message lost with
    its worker (event tasks run in milliseconds) back within 70 s at most, :attr:`restore_interval` being how
    often the workers look for such messages (the outbox republishes what its consumer never confirmed in any
    case)."""

    visibility_timeout: float = 60.0

    @property
    def max_retry_countdown(self) -> float:
        return self.visibility_timeout / 2

    @property
    def task_time_limit(self) -> float:
        return self.visibility_timeout * 5 / 12

    @property
    def task_soft_time_limit(self) -> float:
        return self.visibility_timeout / 3

    @property
    def restore_interval(self) -> float:
        return self.visibility_timeout / 6


#: How often the beat asks each service to republish what is still pending (how old a row must be for the
#: sweep to take it is ``Settings.outbox_sweep_older_than``).
SWEEP_EVERY = timedelta(seconds=5)
SWEEPING_SERVICES = ("inventory", "pos", "suppliers")


#: Kombu's Redis transport with poison on a queue handed to the queue's quarantine task (see there).
TRANSPORT = "shared.redis_transport:Transport"


class RetryLater(Exception):
    """The event cannot be applied now for a passing reason: try again later (with backoff, then dead letters)."""


class Park(Exception):
    """The event needs an earlier fact that has not arrived (a refund before its sale, a sale before its
    supplier): it is parked until ``waits_for`` (that fact's business key) is there, then applied — never
    retried into the dead letters, never applied on made-up defaults."""

    def __init__(self, waits_for: str):
        super().__init__(f"waits for {waits_for}")
        self.waits_for = waits_for


class Rejected(Exception):
    """The event can never be applied here (e.g. a sale of a product the service owns and does not have): it
    goes to the dead letters at once, for a manager to look at."""


def make_celery(name: str, redis_url: str, deadlines: Deadlines = Deadlines()) -> Celery:
    """A Celery app on Redis with at-least-once delivery settings, ``deadlines`` and bounded publishing."""
    app = Celery(name, broker=redis_url)
    app.conf.broker_transport = TRANSPORT
    transport = {
        "visibility_timeout": deadlines.visibility_timeout,
        "max_retries": 3,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
        # kombu scans for messages past the visibility timeout every ``unacked_restore_interval`` but, by
        # default, acts on every 10th scan only: a hung worker's message would come back ten scans late. Act on
        # every scan.
        "unacked_restore_interval": deadlines.restore_interval,
        "unacked_restore_throttle": 1,
    }
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_transport_options=transport,
        result_backend_transport_options={"visibility_timeout": deadlines.visibility_timeout},
        visibility_timeout=deadlines.visibility_timeout,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        task_time_limit=deadlines.task_time_limit,
        task_soft_time_limit=deadlines.task_soft_time_limit,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_default_queue=name,
        task_create_missing_queues=True,
        worker_hijack_root_logger=False,
        timezone="UTC",
        enable_utc=True,
        beat_schedule=beat_schedule(),
    )
    return app


def beat_schedule() -> dict[str, dict[str, Any]]:
    """What the one beat sends: each service's outbox sweep every few seconds, and the daily jobs."""
    schedule: dict[str, dict[str, Any]] = {
        f"{service}-outbox-sweep": {
            "task": f"{service}.outbox_sweep",
            "schedule": SWEEP_EVERY.total_seconds(),
            "options": {"queue": service, "expires": SWEEP_EVERY.total_seconds() * 2},
        }
        for service in SWEEPING_SERVICES
    }
    schedule.update(
        {
            f"{service}-release-parked": {
                "task": f"{service}.release_parked",
                "schedule": SWEEP_EVERY.total_seconds(),
                "options": {"queue": service, "expires": SWEEP_EVERY.total_seconds() * 2},
            }
            for service in SWEEPING_SERVICES
        }
    )
    schedule.update(
        {
            f"{service}-purge": {
                "task": purge_task(service),
                "schedule": crontab(hour=20, minute=30),  # 03:30 WIB, when the centre is closed
                "options": {"queue": service, "expires": 3600},
            }
            for service in SWEEPING_SERVICES
        }
    )
    schedule["inventory-alert-scan"] = {
        "task": "inventory.scan_alerts",
        "schedule": crontab(hour=23, minute=0),  # 06:00 WIB, before the centre opens
        "options": {"queue": "inventory"},
    }
    return schedule


def deadlines_of(celery_app: Celery) -> Deadlines:
    """The :class:`Deadlines` ``celery_app`` was made with."""
    return Deadlines(celery_app.conf.visibility_timeout)


def retry_countdown(attempt: int, deadlines: Deadlines) -> float:
    """Exponential backoff with full jitter, capped at ``deadlines.max_retry_countdown`` seconds."""
    return random.uniform(0.5, min(deadlines.max_retry_countdown, 2**attempt))


#: An event a handler applies: its payload (loaded by its contract) and its envelope's metadata.
Event = tuple[dict[str, Any], dict[str, Any]]
#: What a service does with the events of one type: ``handler(session, events)`` applies a batch of them (new to
#: this consumer, oldest first) in the caller's transaction, set-based where it pays (one lock, one statement per
#: table for the whole batch), or raises for the batch (then each event is applied alone: see
#: :func:`register_consumers`).
Handler = Callable[[Session, list[Event]], None]


@dataclass(frozen=True)
class FactHandler:
    """A :data:`Handler` of facts that name themselves (a sale by its id) and that recognises a fact it applied
    before by its own records, read under the locks it takes (a sale's stock movements, its journal entry). Its
    events need no processed-event row, one write less each: it is given every event delivered, copies
    included, and skips what is there. ``is_applied(session, payload)`` tells whether an event's fact is there
    (asked of an event past its last attempt, before it is dead-lettered)."""

    apply: Handler
    is_applied: Callable[[Session, dict[str, Any]], bool]

    def __call__(self, session: Session, events: list[Event]) -> None:
        self.apply(session, events)


def each(apply_one: Callable[[Session, dict[str, Any], dict[str, Any]], None]) -> Handler:
    """The :data:`Handler` that applies its events one after the other with ``apply_one(session, payload,
    meta)``, in the batch's transaction: for events too rare to be worth a set-based handler."""

    def handler(session: Session, events: list[Event]) -> None:
        for payload, meta in events:
            apply_one(session, payload, meta)

    handler.__name__ = handler.__qualname__ = getattr(apply_one, "__name__", "handler")
    handler.__doc__ = apply_one.__doc__
    return handler


def register_consumers(
    celery_app: Celery,
    service: str,
    session_factory: sessionmaker[Session],
    messaging: Messaging,
    handlers: Mapping[str, Handler],
) -> None:
    """Register one Celery task per event type ``service`` consumes.

    A task takes a list of envelopes (the relay sends what was pending for that consumer together, see
    :class:`shared.messaging.OutboxRelay`) and applies them together in one transaction: one multi-row
    insert-or-skip claims ``(consumer, event_id)`` for all and returns the new ones (a :class:`FactHandler`
    recognises its facts itself and is given all), ``handler(session, events)`` applies those (set-based), one
    commit, one batched confirmation to the producer. When the batch fails, each
    event is applied alone, so a poison event ends alone in the dead letters and the others apply; the events that
    failed are retried together with backoff and jitter, and after :data:`MAX_ATTEMPTS` an event goes to the
    dead-letter table. Attempts are counted on failure and on a redelivery by the broker (the worker may have died
    on it), never on a first delivery that applies (:func:`_consume_batch`). A payload that breaks its
    contract is dead-lettered at once: retrying cannot fix it.
    """
    by_consumer: dict[str, Handler] = {}
    for event_type, handler in handlers.items():
        spec = contract(event_type)
        if service not in spec.subscribers:
            raise ValueError(f"{service} is not a subscriber of {event_type}")
        by_consumer[spec.task_name(service)] = handler
    for consumer in by_consumer:
        _register_consumer(celery_app, consumer, session_factory, messaging, by_consumer)
    _register_quarantine(celery_app, service, session_factory, messaging)
    _register_parked_release(celery_app, service, session_factory, messaging, by_consumer)


def _register_parked_release(
    celery_app: Celery,
    service: str,
    session_factory: sessionmaker[Session],
    messaging: Messaging,
    handlers: Mapping[str, Handler],
) -> Task:
    """``<service>.release_parked`` (sent by the beat every few seconds): apply the parked events whose fact has
    arrived (:func:`release_parked`)."""

    @celery_app.task(name=f"{service}.release_parked", ignore_result=True, shared=False)  # type: ignore[untyped-decorator]
    def release() -> int:
        return release_parked(session_factory, messaging, handlers)

    return release


def _release_if_any(
    session_factory: sessionmaker[Session], messaging: Messaging, handlers: Mapping[str, Handler]
) -> None:
    """:func:`release_parked` when something is parked; never fails (the beat's release tries again)."""
    try:
        if messaging.has_parked(session_factory, list(handlers)):
            release_parked(session_factory, messaging, handlers)
    except Exception as exc:
        log.warning("releasing parked events failed: %s", exc)


def release_parked(
    session_factory: sessionmaker[Session], messaging: Messaging, handlers: Mapping[str, Handler]
) -> int:
    """Try each parked event of ``handlers``' consumers again, oldest first: applied (and unparked in the same
    transaction) when what it waited for is there, left parked when it still waits. One that now fails for
    another reason is treated as a delivery of it (retried here, dead-lettered after its last attempt).
    Returns how many were applied."""
    with session_factory() as session:
        rows = messaging.parked(session, list(handlers))
    applied = 0
    for row in rows:
        envelope = json.loads(row.envelope)
        try:
            meta, payload = load_event(envelope)
            _apply_events(session_factory, messaging, row.consumer, handlers[row.consumer], [(payload, meta)], True)
            applied += 1
        except Park:
            continue
        except Exception as exc:
            with transaction(session_factory) as session:
                attempts = messaging.count_attempt(session, row.consumer, row.event_id)
            log.warning("%s failed on parked event %s (attempt %s): %s", row.consumer, row.event_id, attempts, exc)
            if attempts >= MAX_ATTEMPTS or isinstance(exc, (Rejected, ValidationError)):
                with transaction(session_factory) as session:
                    messaging.unpark(session, row.consumer, row.event_id)
                    messaging.dead_letter(session, row.consumer, envelope, traceback.format_exc(), attempts)
    return applied


def _register_quarantine(
    celery_app: Celery, service: str, session_factory: sessionmaker[Session], messaging: Messaging
) -> Task:
    """``<service>.quarantine``: stores what :mod:`shared.redis_transport` found on the queue that is not a Celery
    message (raw text, broken JSON, another content type) in the dead letters, as text."""

    deadlines = deadlines_of(celery_app)

    @celery_app.task(name=quarantine_task(service), bind=True, max_retries=None, shared=False)  # type: ignore[untyped-decorator]
    def quarantine(self: Task, raw: str, queue: str, problem: str) -> None:
        try:
            _give_up(session_factory, messaging, quarantine_task(service), {"raw": raw, "queue": queue}, problem, 1)
        except Exception as exc:  # the database is down: keep the poison until it can be stored
            raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries + 1, deadlines)) from exc

    return quarantine


def _register_consumer(
    celery_app: Celery,
    consumer: str,
    session_factory: sessionmaker[Session],
    messaging: Messaging,
    handlers: Mapping[str, Handler],
) -> Task:
    """The task of ``consumer`` (one of ``handlers``, the service's consumers: an event it applies may release
    an event parked by another)."""
    handler = handlers[consumer]
    deadlines = deadlines_of(celery_app)

    @celery_app.task(name=consumer, bind=True, max_retries=None, shared=False)  # type: ignore[untyped-decorator]
    def consume(self: Task, *args: Any, **kwargs: Any) -> None:
        """Takes one argument, a list of envelopes (or one envelope, as published before the relay batched
        them). Any other call is poison: dead-lettered as it came."""
        try:
            envelopes = _envelopes_of(args, kwargs)
            if envelopes is None:
                _give_up(session_factory, messaging, consumer, {"args": args, "kwargs": kwargs}, POISON_CALL, 1)
                return
            redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
            if redelivered and len(envelopes) > 1:
                _split_redelivery(self, session_factory, messaging, consumer, envelopes, kwargs)
                return
            failed, error, most_attempts, done = _consume_batch(
                session_factory, messaging, consumer, handler, envelopes, redelivered
            )
        except Exception as exc:  # our own bookkeeping failed (e.g. the database is down): all of it again later
            log.warning("%s could not handle its message (retry %s): %s", consumer, self.request.retries, exc)
            raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries + 1, deadlines)) from exc
        confirm_to_producer(celery_app, consumer, kwargs.get("confirm_to"), done)
        if done:  # what was just applied may be what a parked event waits for
            _release_if_any(session_factory, messaging, handlers)
        if failed:
            raise self.retry(
                args=[failed], kwargs=kwargs, exc=error, countdown=retry_countdown(most_attempts, deadlines)
            )

    return consume


def confirm_to_producer(celery_app: Celery, consumer: str, producer: Any, event_ids: list[str]) -> None:
    """Tell ``producer`` (the service whose relay sent the message) that ``consumer`` took ``event_ids``, in one
    message. Best effort: a confirmation lost here only means the producer publishes the events again, and they
    are duplicates then."""
    if not event_ids or producer not in SWEEPING_SERVICES:
        return
    try:
        celery_app.send_task(
            confirm_task(producer),
            args=[consumer, event_ids],
            queue=producer,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
        )
    except Exception as exc:
        log.warning("%s could not confirm %s events to %s: %s", consumer, len(event_ids), producer, exc)


def confirm_task(service: str) -> str:
    """The task a consumer confirms events with on ``service``'s queue."""
    return f"{service}.confirm_events"


def register_confirmations(
    celery_app: Celery, service: str, session_factory: sessionmaker[Session], messaging: Messaging
) -> Task:
    """``<service>.confirm_events(consumer, event_ids)``: mark the outbox rows of ``consumer`` for ``event_ids``
    confirmed, so the sweep stops publishing them. Retried while the database is down; a malformed call is
    logged and dropped (a lost confirmation only costs a republished duplicate)."""

    deadlines = deadlines_of(celery_app)

    @celery_app.task(name=confirm_task(service), bind=True, max_retries=None, shared=False)  # type: ignore[untyped-decorator]
    def confirm_events(self: Task, *args: Any, **kwargs: Any) -> int:
        consumer, event_ids = (args + (None, None))[:2]
        if kwargs or not isinstance(consumer, str) or not isinstance(event_ids, list):
            log.error("%s dropped a malformed confirmation: %r %r", confirm_task(service), args, kwargs)
            return 0
        ids = [event_id for event_id in event_ids if isinstance(event_id, str) and len(event_id) <= UUID_LENGTH]
        try:
            with transaction(session_factory) as session:
                return messaging.confirm(session, consumer, ids)
        except Exception as exc:
            raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries + 1, deadlines)) from exc

    return confirm_events


#: The error stored with a consumer task called with anything but a list of envelopes.
POISON_CALL = "poison: a consumer task takes one argument, a list of event envelopes"


def _envelopes_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any] | None:
    """The envelopes a consumer task was called with, or ``None`` when the call itself is malformed."""
    if len(args) != 1 or set(kwargs) - {"confirm_to"}:
        return None
    envelopes = args[0]
    if isinstance(envelopes, dict):
        return [envelopes]
    if not isinstance(envelopes, list):
        return None
    return envelopes


def _split_redelivery(
    task: Task,
    session_factory: sessionmaker[Session],
    messaging: Messaging,
    consumer: str,
    envelopes: list[Any],
    kwargs: dict[str, Any],
) -> None:
    """A message of several events that the broker hands out again: its last delivery may have died with its
    worker (killed by one of them, or by a fault of its own). Count one attempt for each event (one transaction),
    then send each back to the queue as a message of its own, so an event that kills its worker dies alone,
    counts an attempt on each of its redeliveries and reaches the dead letters, while the others apply. Events
    over :data:`MAX_ATTEMPTS` are handled by their own delivery (:func:`_consume_batch`)."""
    event_ids = [
        str(envelope["event_id"])
        for envelope in envelopes
        if isinstance(envelope, dict)
        and isinstance(envelope.get("event_id"), str)
        and len(envelope["event_id"]) <= UUID_LENGTH
    ]
    with transaction(session_factory) as session:
        for event_id in dict.fromkeys(event_ids):
            messaging.count_attempt(session, consumer, event_id)
    log.warning("%s got %s events again from the broker: each is retried alone", consumer, len(envelopes))
    for envelope in envelopes:
        task.apply_async(args=[[envelope]], kwargs=kwargs, queue=consumer.split(".", 1)[0])


def _consume_batch(
    session_factory: sessionmaker[Session],
    messaging: Messaging,
    consumer: str,
    handler: Handler,
    envelopes: list[Any],
    redelivered: bool = False,
) -> tuple[list[dict[str, Any]], Exception | None, int, list[str]]:
    """Dead-letter the envelopes that break their contract (at once: retrying cannot fix them), then apply the
    others together in one transaction (:func:`_apply_events`). When that fails, each is applied alone
    (:func:`_apply_event`), so a poison event ends alone in the dead letters and the others apply.

    Attempts are counted only where a delivery may have failed unseen or did fail: before applying a delivery
    the broker hands out again (its worker may have died on it; see :func:`_split_redelivery` for several
    events), and after an event failed on its own. A first delivery that applies costs no attempt row.

    Returns the envelopes to retry, the first error, the highest attempt count among them, and the event ids the
    consumer is done with (to confirm to the producer). Raises when the bookkeeping itself fails (counting,
    dead-lettering): the caller retries the whole batch, and what was applied or dead-lettered meanwhile is a
    duplicate then."""
    loaded: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []
    done: list[str] = []
    for envelope in envelopes:
        try:
            meta, payload = load_event(envelope)
        except (ValidationError, KeyError, TypeError, AttributeError) as exc:
            stored = envelope if isinstance(envelope, dict) else {"raw": envelope}
            if not messaging.is_dead_lettered(session_factory, consumer, stored):
                _give_up(session_factory, messaging, consumer, stored, f"invalid event: {exc}", 1)
            event_id = stored.get("event_id")
            if isinstance(event_id, str):
                done.append(event_id)
            continue
        loaded.append((envelope, meta, payload))
    if not loaded:
        return [], None, 0, done
    counted: dict[str, int] = {}
    if redelivered:
        with transaction(session_factory) as session:
            counted = {
                str(meta["event_id"]): messaging.count_attempt(session, consumer, meta["event_id"])
                for _, meta, _ in loaded
            }
    elif len(loaded) > 1:
        try:
            _apply_events(
                session_factory, messaging, consumer, handler, [(payload, meta) for _, meta, payload in loaded]
            )
            return [], None, 0, done + [str(meta["event_id"]) for _, meta, _ in loaded]
        except Exception as exc:
            log.info("%s could not apply %s events together, applying each alone: %s", consumer, len(loaded), exc)
    failed: list[dict[str, Any]] = []
    first_error: Exception | None = None
    most_attempts = 0
    for envelope, meta, payload in loaded:
        error, attempts = _apply_event(
            session_factory, messaging, consumer, handler, envelope, meta, payload, counted.get(str(meta["event_id"]))
        )
        if error is not None:
            failed.append(envelope)
            first_error = first_error or error
            most_attempts = max(most_attempts, attempts)
        else:
            done.append(str(envelope.get("event_id")))
    return failed, first_error, most_attempts, done


def _apply_events(
    session_factory: sessionmaker[Session],
    messaging: Messaging,
    consumer: str,
    handler: Handler,
    events: list[Event],
    unpark: bool = False,
) -> None:
    """Apply ``events`` once, in one transaction: claim them all with one multi-row insert-or-skip (not for a
    :class:`FactHandler`), hand the ones new to this consumer to ``handler``, each event once, commit
    (``unpark``: they were parked, take them off too). Raises what the handler raised, nothing applied then."""
    with transaction(session_factory) as session:
        event_ids = [str(meta["event_id"]) for _, meta in events]
        if unpark:
            for event_id in event_ids:
                messaging.unpark(session, consumer, event_id)
        new = set(event_ids) if isinstance(handler, FactHandler) else messaging.claim_many(session, consumer, event_ids)
        fresh = claimed_once(events, lambda event: str(event[1]["event_id"]), new)
        if fresh:
            handler(session, fresh)


def _apply_event(
    session_factory: sessionmaker[Session],
    messaging: Messaging,
    consumer: str,
    handler: Handler,
    envelope: dict[str, Any],
    meta: dict[str, Any],
    payload: dict[str, Any],
    counted: int | None,
) -> tuple[Exception | None, int]:
    """Apply one event alone (:func:`_apply_events` with one); the error to retry on (``None`` when it is done:
    applied, a duplicate, parked or dead-lettered) and its attempt count. ``counted`` is the attempt this delivery
    already counted (a redelivery); otherwise a failure counts one. A failure to count or dead-letter raises (the
    caller retries)."""
    event_id = str(meta["event_id"])
    request_id_var.set(f"event:{event_id}")
    if (
        counted is not None
        and counted > MAX_ATTEMPTS
        and not _is_taken(session_factory, messaging, consumer, handler, payload, event_id)
    ):
        _give_up(session_factory, messaging, consumer, envelope, "too many deliveries", counted)
        return None, counted
    try:
        _apply_events(session_factory, messaging, consumer, handler, [(payload, meta)])
    except Park as exc:
        log.info("%s parked event %s until %s is there", consumer, event_id, exc.waits_for)
        with transaction(session_factory) as session:
            messaging.park(session, consumer, envelope, exc.waits_for)
        return None, counted or 0
    except Rejected as exc:
        _give_up(session_factory, messaging, consumer, envelope, f"rejected: {exc}", counted or 1)
        return None, counted or 1
    except Exception as exc:
        attempts = counted or _count_attempt(session_factory, messaging, consumer, event_id)
        if attempts >= MAX_ATTEMPTS:
            _give_up(session_factory, messaging, consumer, envelope, traceback.format_exc(), attempts)
            return None, attempts
        log.warning("%s failed on event %s (attempt %s): %s", consumer, event_id, attempts, exc)
        return exc, attempts
    return None, counted or 0


def _is_taken(
    session_factory: sessionmaker[Session],
    messaging: Messaging,
    consumer: str,
    handler: Handler,
    payload: dict[str, Any],
    event_id: str,
) -> bool:
    """Whether ``consumer`` already applied or parked the event (by its processed-event row, or for a
    :class:`FactHandler` by the fact's own records)."""
    if messaging.is_taken(session_factory, consumer, event_id):
        return True
    if isinstance(handler, FactHandler):
        with session_factory() as session:
            return handler.is_applied(session, payload)
    return False


def _count_attempt(session_factory: sessionmaker[Session], messaging: Messaging, consumer: str, event_id: str) -> int:
    with transaction(session_factory) as session:
        return messaging.count_attempt(session, consumer, event_id)


def _give_up(
    session_factory: sessionmaker[Session],
    messaging: Messaging,
    consumer: str,
    envelope: dict[str, Any],
    error: str,
    attempts: int,
) -> None:
    log.error("%s dead-lettered event %s after %s attempts", consumer, envelope.get("event_id"), attempts)
    with transaction(session_factory) as session:
        messaging.dead_letter(session, consumer, envelope, error, attempts)


#: Redis key where each service's worker notes when it last took a task off its queue (see ``/readyz``).
QUEUE_DRAINED_KEY = "sentra:queue-drained:{service}"
#: A queue whose sweep has not run for this long is reported as not draining.
QUEUE_STALLED_AFTER = timedelta(seconds=120)


def register_outbox_sweep(celery_app: Celery, service: str, relay: OutboxRelay, older_than: timedelta) -> None:
    """The periodic task (sent by the one beat) that publishes outbox rows pending for ``older_than`` or more
    (younger ones are the relay thread's) and republishes those their consumer has not confirmed in time
    (:meth:`OutboxRelay.sweep`).

    It also stamps :data:`QUEUE_DRAINED_KEY`, so readiness notices a worker that silently stopped consuming
    (seen after Redis restarts, celery#8030).
    """

    @celery_app.task(name=f"{service}.outbox_sweep", ignore_result=True, shared=False)  # type: ignore[untyped-decorator]
    def outbox_sweep() -> int:
        with celery_app.connection_for_write() as connection:
            connection.default_channel.client.set(QUEUE_DRAINED_KEY.format(service=service), str(time.time()))
        return relay.sweep(pending_older_than=older_than)


def purge_task(service: str) -> str:
    """The daily task that purges ``service``'s rows older than the retention."""
    return f"{service}.purge"


def register_purge(
    celery_app: Celery,
    service: str,
    session_factory: sessionmaker[Session],
    messaging: Messaging,
    retention: timedelta,
) -> Task:
    """``<service>.purge`` (sent by the beat daily): :meth:`Messaging.purge` of what is older than ``retention``
    (``Settings.retention_days``). A failure is logged; the next day's run deletes what this one left."""

    @celery_app.task(name=purge_task(service), ignore_result=True, shared=False)  # type: ignore[untyped-decorator]
    def purge() -> dict[str, int]:
        with transaction(session_factory) as session:
            deleted = messaging.purge(session, utcnow() - retention)
        log.info("%s purged rows older than %s: %s", service, retention, deleted)
        return deleted

    return purge
