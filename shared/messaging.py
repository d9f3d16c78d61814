"""Transactional outbox, processed-events inbox, delivery attempts and dead letters.

Each service keeps these tables in its own database (``Messaging(Base.metadata, "pos")``):

- ``outbox``: one row per (event, subscriber), written in the business transaction by :meth:`Messaging.record`.
  A session whose factory has a relay (:meth:`OutboxRelay.attach`) writes its rows as sent, due again
  after the relay's confirm deadline, and hands them to :class:`OutboxRelay` in memory, which publishes them
  with ``send_task`` after commit without touching them again (given back as pending if the publish fails);
  other rows are written pending and published by the periodic sweep, which marks a row sent as it takes it.
  A row is confirmed when its consumer says it took the event
  (applied, a duplicate, parked or dead-lettered: :meth:`Messaging.confirm`). The broker is not the record:
  a row still unconfirmed past its deadline is published again by the sweep, with backoff, within retention.
- ``processed_events``: ``(consumer, event_id)`` inserted with insert-or-skip in the same transaction as the
  consumer's effect (:meth:`Messaging.claim`), so a duplicate delivery changes nothing. (A consumer that
  recognises its facts by its own records, :class:`shared.celery_factory.FactHandler`, writes none.)
- ``parked_events``: events that need an earlier fact that has not arrived (a refund before its sale), kept
  with the key of that fact until it is there (:meth:`Messaging.park`), then applied.
- ``delivery_attempts``: our own attempt counter (Redis keeps no delivery count), so an event that keeps
  failing, or keeps killing its worker, ends in
- ``dead_letters``: what failed its last attempt, for managers to see and retry.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar, cast

from celery import Celery
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Update,
    bindparam,
    case,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, CursorResult, Engine, Row, RowMapping
from sqlalchemy.orm import Session, sessionmaker

from shared import json_text
from shared.db import UUID_LENGTH, IdString, UTCDateTime, insert_or_skip, insert_or_skip_many, new_id, utcnow
from shared.errors import Conflict, NotFound
from shared.events import build_envelope, contract

log = logging.getLogger(__name__)
T = TypeVar("T")

OUTBOX_PENDING = "pending"
OUTBOX_SENT = "sent"
OUTBOX_CONFIRMED = "confirmed"
#: Rows not yet confirmed by their consumer.
OUTBOX_UNCONFIRMED = (OUTBOX_PENDING, OUTBOX_SENT)
#: The longest wait between two publications of a row its consumer has not confirmed.
MAX_REPUBLISH_INTERVAL = timedelta(seconds=60)
#: A queue holding more messages than this is still draining: what is sent to it is not republished yet (the
#: consumer has not reached it, and republishing would only pile duplicates onto the backlog).
BUSY_QUEUE_MESSAGES = 20
#: How long the relay thread waits after a commit woke it before it publishes: the events committed meanwhile go
#: out in the same messages, so under load a consumer gets several per delivery and applies them in one
#: transaction (one message per sale would cost a Celery delivery, a claim and a commit per sale). At 120 sales a
#: second, 0.2 s instead of 0.05 s costs about 0.1 s of lag and saves a third of the machine's CPU per sale
#: (``bench/README.md``); the lag's budget is 2 s.
RELAY_LINGER_SECONDS = 0.2
#: While a queue the relay is about to publish to holds this many messages or more not yet taken (its consumer is
#: behind), the relay goes on collecting, up to :data:`RELAY_BACKLOG_LINGER_SECONDS` from its wake-up: a consumer
#: that fell behind then gets bigger batches, each costing it less per event, and catches up. With batches of the
#: linger's size whatever the backlog, it would pay as much per event far behind as when keeping up.
RELAY_BACKLOG_MESSAGES = 2
RELAY_BACKLOG_LINGER_SECONDS = 1.0
#: How the relay retries a publish while Redis is unreachable before giving the rows back (at most about a second,
#: so a relay thread never hangs on a broker that is down).
RELAY_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
#: The relays of this process whose background thread has started (see :func:`stop_every_relay`), and its lock.
_RELAYS_STARTED: weakref.WeakSet[OutboxRelay] = weakref.WeakSet()
_RELAYS_LOCK = threading.Lock()
#: The key of a session's ``info`` under which its factory names the :class:`OutboxRelay` that publishes what the
#: session writes (:meth:`OutboxRelay.attach`), and the one under which the session collects it.
RELAY_INFO = "outbox_relay"
HANDED_OVER_INFO = "outbox_handed_over"
DEAD_LETTER_OPEN = "open"
DEAD_LETTER_RETRIED = "retried"
#: After this many attempts a consumer gives up on an event and dead-letters it.
MAX_ATTEMPTS = 8


class Outgoing(NamedTuple):
    """An outbox row on its way to the broker: its id, what :meth:`OutboxRelay._send` puts in the message, and
    what the logs name it by."""

    id: str
    event_id: str
    event_type: str
    task_name: str
    queue: str
    envelope: dict[str, Any]

    @classmethod
    def of_row(cls, row: Row[Any]) -> Outgoing:
        """An outbox row read back from the table."""
        return cls(row.id, row.event_id, row.event_type, row.task_name, row.queue, json.loads(row.envelope))


def claimed_once(items: Sequence[T], key_of: Callable[[T], str], claimed: set[str]) -> list[T]:
    """The ``items`` whose key (``key_of(item)``) is among the keys just ``claimed``, in order, each key once:
    the same fact twice in one batch is applied once."""
    remaining, kept = set(claimed), []
    for item in items:
        if key_of(item) in remaining:
            remaining.discard(key_of(item))
            kept.append(item)
    return kept


def _unconfirmed_indexes(outbox: Table) -> None:
    """The outbox's partial indexes: pending rows by age (what the relay and the sweep publish) and sent rows by
    republish time (what the sweep publishes again). Confirmed rows, nearly all of the table, are in neither, so
    the sweep never reads them (migration ``0005``/``0007``)."""
    for name, status, column in (
        ("ix_outbox_pending_created_at", OUTBOX_PENDING, outbox.c.created_at),
        ("ix_outbox_sent_republish_at", OUTBOX_SENT, outbox.c.republish_at),
    ):
        where = outbox.c.status == status
        Index(name, column, postgresql_where=where, sqlite_where=where)


class Messaging:
    """The outbox/inbox tables of one service and the operations on them."""

    def __init__(self, metadata: MetaData, service: str):
        self.service = service
        #: Columns of other tables whose rows :meth:`purge` deletes once older than the retention.
        self.expiring: list[Column[Any]] = []
        self.outbox = Table(
            "outbox",
            metadata,
            Column("id", IdString, primary_key=True),
            Column("event_id", IdString, nullable=False, index=True),
            Column("event_type", String(64), nullable=False),
            Column("task_name", String(128), nullable=False),
            Column("queue", String(64), nullable=False),
            Column("envelope", Text, nullable=False),
            Column("status", String(16), nullable=False),
            Column("publish_attempts", Integer, nullable=False, default=0),
            Column("created_at", UTCDateTime, nullable=False, index=True),
            Column("sent_at", UTCDateTime),
            Column("last_error", Text),
            #: When the sweep publishes the row again unless its consumer confirmed it by then.
            Column("republish_at", UTCDateTime),
            Column("confirmed_at", UTCDateTime),
        )
        _unconfirmed_indexes(self.outbox)
        self.processed_events = Table(
            "processed_events",
            metadata,
            Column("consumer", String(128), primary_key=True),
            Column("event_id", IdString, primary_key=True),
            Column("processed_at", UTCDateTime, nullable=False),
        )
        self.parked_events = Table(
            "parked_events",
            metadata,
            Column("consumer", String(128), primary_key=True),
            Column("event_id", IdString, primary_key=True),
            #: The business key of the fact it waits for (``sale:<id>``, ``supplier:<id>``).
            Column("waits_for", String(100), nullable=False, index=True),
            Column("envelope", Text, nullable=False),
            Column("parked_at", UTCDateTime, nullable=False, index=True),
        )
        self.delivery_attempts = Table(
            "delivery_attempts",
            metadata,
            Column("consumer", String(128), primary_key=True),
            Column("event_id", IdString, primary_key=True),
            Column("attempts", Integer, nullable=False),
        )
        self.dead_letters = Table(
            "dead_letters",
            metadata,
            Column("id", IdString, primary_key=True),
            Column("consumer", String(128), nullable=False),
            Column("event_id", IdString, nullable=False),
            Column("event_type", String(64), nullable=False),
            Column("envelope", Text, nullable=False),
            Column("error", Text, nullable=False),
            Column("attempts", Integer, nullable=False),
            Column("status", String(16), nullable=False, index=True),
            Column("created_at", UTCDateTime, nullable=False),
            Column("retried_at", UTCDateTime),
        )
        outbox = self.outbox
        #: :meth:`confirm`'s statement, built once: SQLAlchemy neither rebuilds it nor derives its cache key again
        #: for every confirmation (the event ids are one expanding parameter).
        self._confirm_statement = (
            update(outbox)
            .where(
                (outbox.c.task_name == bindparam("consumer"))
                & outbox.c.event_id.in_(bindparam("event_ids", expanding=True))
                & (outbox.c.status != OUTBOX_CONFIRMED)
            )
            .values(status=OUTBOX_CONFIRMED, confirmed_at=bindparam("now", type_=UTCDateTime))
        )

    # -- producer side -------------------------------------------------------------------------------
    def record(self, session: Session, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Write ``event_type`` for every subscriber into the outbox, inside the caller's transaction."""
        return self.record_many(session, event_type, [payload])[0]

    def record_many(
        self, session: Session, event_type: str, payloads: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Write one ``event_type`` event per payload for every subscriber into the outbox, in one statement
        inside the caller's transaction; the envelopes."""
        envelopes = [build_envelope(event_type, self.service, payload) for payload in payloads]
        spec = contract(event_type)
        if spec.subscribers and envelopes:
            self._enqueue(session, envelopes, spec.destinations())
        subscribers = ", ".join(spec.subscribers) or "nobody"
        if len(envelopes) == 1:
            log.info("recorded %s event %s for %s", event_type, envelopes[0]["event_id"], subscribers)
        else:
            log.info("recorded %s %s events for %s", len(envelopes), event_type, subscribers)
        return envelopes

    def _enqueue(
        self, session: Session, envelopes: Sequence[dict[str, Any]], destinations: list[tuple[str, str]]
    ) -> None:
        """One outbox row per envelope and ``(task_name, queue)``, all in one statement."""
        session.execute(self.outbox.insert(), self.outbox_rows(session, envelopes, destinations, utcnow()))

    def outbox_rows(
        self,
        session: Session,
        envelopes: Sequence[dict[str, Any]],
        destinations: Sequence[tuple[str, str]],
        now: datetime,
    ) -> list[dict[str, Any]]:
        """The outbox rows (every column) of ``envelopes`` for each ``(task_name, queue)``, for the caller to
        insert in ``session``'s transaction; each envelope is serialised once.

        When ``session``'s factory has a relay (:meth:`OutboxRelay.attach`), the rows are written as sent and due
        again after the relay's confirm deadline, exactly as the relay would mark them on taking them, and handed
        to it after commit (in memory: no second statement per row); a rollback drops them. Otherwise, and inside
        a savepoint (which may roll back alone, after its rows were handed over), they are written pending, for
        the sweep."""
        relay = None if session.in_nested_transaction() else session.info.get(RELAY_INFO)
        if relay is None:
            status, attempts, sent_at, republish_at = OUTBOX_PENDING, 0, None, None
        else:
            status, attempts, sent_at, republish_at = OUTBOX_SENT, 1, now, now + relay.confirm_deadline
        rows: list[dict[str, Any]] = []
        outgoing: list[Outgoing] = []
        for envelope in envelopes:
            body = json_text.dumps(envelope)
            for task_name, queue in destinations:
                row_id = new_id()
                rows.append(
                    {
                        "id": row_id,
                        "event_id": envelope["event_id"],
                        "event_type": envelope["type"],
                        "task_name": task_name,
                        "queue": queue,
                        "envelope": body,
                        "status": status,
                        "publish_attempts": attempts,
                        "created_at": now,
                        "sent_at": sent_at,
                        "last_error": None,
                        "republish_at": republish_at,
                        "confirmed_at": None,
                    }
                )
                outgoing.append(Outgoing(row_id, envelope["event_id"], envelope["type"], task_name, queue, envelope))
        if relay is not None:
            session.info.setdefault(HANDED_OVER_INFO, []).extend(outgoing)
        return rows

    def confirm(self, session: Session, consumer: str, event_ids: Sequence[str]) -> int:
        """``consumer`` took these events (applied, found a duplicate, parked or dead-lettered them): their rows
        are confirmed and never published again. Returns how many rows changed."""
        result = session.connection().execute(
            self._confirm_statement,
            {"consumer": consumer, "event_ids": [str(event_id) for event_id in event_ids], "now": utcnow()},
        )
        return int(result.rowcount or 0)

    # -- consumer side -------------------------------------------------------------------------------
    def claim(self, session: Session, consumer: str, event_id: str) -> bool:
        """Insert-or-skip ``(consumer, event_id)``; ``True`` when this is the first time (apply the effect)."""
        return bool(self.claim_many(session, consumer, [event_id]))

    def claim_many(self, session: Session, consumer: str, event_ids: Sequence[str]) -> set[str]:
        """Insert-or-skip ``(consumer, event_id)`` for each of ``event_ids`` in one statement: the ids claimed now
        (apply their effects), not those already processed."""
        now, ids = utcnow(), list(dict.fromkeys(str(event_id) for event_id in event_ids))
        rows = [{"consumer": consumer, "event_id": event_id, "processed_at": now} for event_id in ids]
        return set(insert_or_skip_many(session, self.processed_events, rows, "event_id"))

    def is_taken(self, session_factory: sessionmaker[Session], consumer: str, event_id: str) -> bool:
        """Whether ``consumer`` already applied ``event_id`` (its claim committed) or parked it."""
        processed, parked = self.processed_events, self.parked_events
        with session_factory() as session:
            found = session.execute(
                select(processed.c.event_id)
                .where((processed.c.consumer == consumer) & (processed.c.event_id == event_id))
                .union_all(
                    select(parked.c.event_id).where((parked.c.consumer == consumer) & (parked.c.event_id == event_id))
                )
            ).first()
        return found is not None

    def park(self, session: Session, consumer: str, envelope: dict[str, Any], waits_for: str) -> None:
        """Keep ``envelope`` for ``consumer`` until the fact ``waits_for`` is there (insert-or-skip: parking the
        same event again changes nothing)."""
        insert_or_skip(
            session,
            self.parked_events,
            {
                "consumer": consumer,
                "event_id": str(envelope["event_id"]),
                "waits_for": waits_for[:100],
                "envelope": json.dumps(envelope, default=str),
                "parked_at": utcnow(),
            },
        )

    def parked(self, session: Session, consumers: Sequence[str], limit: int = 100) -> Sequence[Row[Any]]:
        """The events parked for ``consumers``, oldest first."""
        table = self.parked_events
        return session.execute(
            select(table.c.consumer, table.c.event_id, table.c.waits_for, table.c.envelope)
            .where(table.c.consumer.in_(consumers))
            .order_by(table.c.parked_at, table.c.event_id)
            .limit(limit)
        ).all()

    def has_parked(self, session_factory: sessionmaker[Session], consumers: Sequence[str]) -> bool:
        table = self.parked_events
        with session_factory() as session:
            return (
                session.execute(select(table.c.event_id).where(table.c.consumer.in_(consumers)).limit(1)).first()
                is not None
            )

    def unpark(self, session: Session, consumer: str, event_id: str) -> None:
        table = self.parked_events
        session.execute(table.delete().where((table.c.consumer == consumer) & (table.c.event_id == event_id)))

    def count_attempt(self, session: Session, consumer: str, event_id: str) -> int:
        """Add one to the delivery attempts of ``event_id`` at ``consumer`` and return the new count."""
        event_id = str(event_id)
        if insert_or_skip(session, self.delivery_attempts, {"consumer": consumer, "event_id": event_id, "attempts": 1}):
            return 1
        key = (self.delivery_attempts.c.consumer == consumer) & (self.delivery_attempts.c.event_id == event_id)
        session.execute(
            update(self.delivery_attempts).where(key).values(attempts=self.delivery_attempts.c.attempts + 1)
        )
        attempts: int = session.execute(select(self.delivery_attempts.c.attempts).where(key)).scalar_one()
        return attempts

    def dead_letter(self, session: Session, consumer: str, envelope: dict[str, Any], error: str, attempts: int) -> None:
        """Store what ``consumer`` gave up on. Poison is stored as it came: the whole of it in ``envelope``, its
        event id and type cut to their columns (the id column fits a UUID; a longer "id" is not one)."""
        session.execute(
            self.dead_letters.insert().values(
                id=new_id(),
                consumer=consumer[:128],
                event_id=str(envelope.get("event_id", ""))[:UUID_LENGTH],
                event_type=str(envelope.get("type", ""))[:64],
                envelope=json.dumps(envelope, default=str),
                error=error[:4000],
                attempts=attempts,
                status=DEAD_LETTER_OPEN,
                created_at=utcnow(),
            )
        )

    def is_dead_lettered(self, session_factory: sessionmaker[Session], consumer: str, envelope: dict[str, Any]) -> bool:
        """Whether this very poison is already among ``consumer``'s open dead letters (a batch retried after a
        later failure must not store it twice)."""
        table = self.dead_letters
        with session_factory() as session:
            found = session.execute(
                select(table.c.id).where(
                    (table.c.consumer == consumer[:128])
                    & (table.c.status == DEAD_LETTER_OPEN)
                    & (table.c.envelope == json.dumps(envelope, default=str))
                )
            ).first()
        return found is not None

    def list_dead_letters(self, session: Session) -> Sequence[RowMapping]:
        """Events that failed their last attempt, newest first."""
        table = self.dead_letters
        return session.execute(select(table).order_by(table.c.created_at.desc(), table.c.id)).mappings().all()

    def retry_dead_letter(self, session: Session, dead_letter_id: str) -> RowMapping:
        """Send a dead letter to its consumer again (through the outbox) with a fresh attempt count.

        Unknown → :class:`NotFound`; already retried, or poison that is not an event at all (what the queue's
        quarantine stored, a task called without a list of envelopes: there is nothing to send) →
        :class:`Conflict`. Returns the updated dead letter.
        """
        table = self.dead_letters
        row = session.execute(select(table).where(table.c.id == dead_letter_id).with_for_update()).one_or_none()
        if row is None:
            raise NotFound(f"dead letter {dead_letter_id} not found")
        if row.status != DEAD_LETTER_OPEN:
            raise Conflict(f"dead letter {dead_letter_id} was already retried", errors={"status": [row.status]})
        envelope = json.loads(row.envelope)
        if row.consumer.endswith(".quarantine") or not isinstance(envelope, dict) or not envelope.get("event_id"):
            raise Conflict(
                f"dead letter {dead_letter_id} is not an event and cannot be sent again",
                errors={"envelope": ["poison: keep it for the record or fix its producer"]},
            )
        session.execute(
            self.delivery_attempts.delete().where(
                (self.delivery_attempts.c.consumer == row.consumer)
                & (self.delivery_attempts.c.event_id == row.event_id)
            )
        )
        self._enqueue(session, [envelope], [(row.consumer, self.service)])
        session.execute(
            update(table).where(table.c.id == dead_letter_id).values(status=DEAD_LETTER_RETRIED, retried_at=utcnow())
        )
        return session.execute(select(table).where(table.c.id == dead_letter_id)).mappings().one()

    # -- retention -----------------------------------------------------------------------------------
    def expire_after_retention(self, column: Column[Any]) -> None:
        """Purge the rows of ``column``'s table older than the retention too (with :meth:`purge`): e.g. the
        POS's idempotency records by ``created_at``."""
        self.expiring.append(column)

    def purge(self, session: Session, before: datetime) -> dict[str, int]:
        """Delete what only grows and is no longer needed once older than ``before`` (now minus the retention):
        confirmed outbox rows, processed-event rows with the attempt counts of those events, and the columns
        given to :meth:`expire_after_retention`. Never an unconfirmed outbox row, a parked event or a dead letter
        (the records a consumer recognises a fact by, such as a sale's stock movements, are not here at all).
        Returns the rows deleted per table."""
        outbox, processed, attempts = self.outbox, self.processed_events, self.delivery_attempts
        old_processed = select(processed.c.consumer, processed.c.event_id).where(processed.c.processed_at < before)
        attempted = tuple_(attempts.c.consumer, attempts.c.event_id)
        confirmed = (outbox.c.status == OUTBOX_CONFIRMED) & (outbox.c.created_at < before)
        statements = [
            (attempts.name, attempts.delete().where(attempted.in_(old_processed))),
            (processed.name, processed.delete().where(processed.c.processed_at < before)),
            (outbox.name, outbox.delete().where(confirmed)),
        ]
        statements += [(column.table.name, column.table.delete().where(column < before)) for column in self.expiring]
        deleted: dict[str, int] = {}
        for name, statement in statements:
            result = cast(CursorResult[Any], session.execute(statement))
            deleted[name] = deleted.get(name, 0) + int(result.rowcount or 0)
        return deleted

    # -- observation ---------------------------------------------------------------------------------
    def backlog(self, session: Session) -> dict[str, float]:
        """Outbox rows still pending and not yet confirmed, the age of the oldest of each in seconds, and open
        dead letters (names and meanings in :data:`BACKLOG_METRICS`)."""
        outbox = self.outbox
        counts, oldest = {}, {}
        for status in OUTBOX_UNCONFIRMED:  # one status at a time, so each reads its partial index only
            counts[status], oldest[status] = session.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.status == status)
            ).one()
        oldest_pending = _age(oldest[OUTBOX_PENDING])
        oldest_unconfirmed = max(_age(oldest[OUTBOX_PENDING]), _age(oldest[OUTBOX_SENT]))
        dead = session.execute(select(func.count()).where(self.dead_letters.c.status == DEAD_LETTER_OPEN)).scalar_one()
        parked, oldest_parked = session.execute(select(func.count(), func.min(self.parked_events.c.parked_at))).one()
        return {
            "events_parked": parked,
            "events_oldest_parked_seconds": _age(oldest_parked),
            "outbox_pending": counts[OUTBOX_PENDING],
            "outbox_oldest_pending_seconds": oldest_pending,
            "outbox_unconfirmed": counts[OUTBOX_PENDING] + counts[OUTBOX_SENT],
            "outbox_oldest_unconfirmed_seconds": oldest_unconfirmed,
            "dead_letters_open": dead,
        }


def _events_repr(rows: Sequence[Outgoing]) -> str:
    """What a published message's ``argsrepr`` header shows (in worker and monitoring logs): its events' types
    and ids, not Celery's ``saferepr`` of every envelope, a tenth of the relay's CPU under load."""
    return "[" + ", ".join(f"{row.event_type} {row.event_id}" for row in rows) + "]"


def _age(moment: datetime | None) -> float:
    """Seconds since ``moment`` (0 for none)."""
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (utcnow() - moment).total_seconds())


#: What :meth:`Messaging.backlog` reports, as Prometheus gauges ``sentra_<name>``.
BACKLOG_METRICS = {
    "outbox_pending": "Outbox rows not yet published",
    "outbox_oldest_pending_seconds": "Age of the oldest unpublished outbox row",
    "outbox_unconfirmed": "Outbox rows their consumer has not confirmed yet (pending or sent)",
    "outbox_oldest_unconfirmed_seconds": "Age of the oldest outbox row its consumer has not confirmed",
    "dead_letters_open": "Events that failed their last attempt and wait for a manager",
    "events_parked": "Events parked until an earlier fact they need arrives (a refund before its sale)",
    "events_oldest_parked_seconds": "How long the oldest parked event has waited",
}


def republish_delay(deadline: timedelta, publications: int) -> timedelta:
    """How long after its ``publications``-th publication an unconfirmed row is published again: ``deadline``,
    doubling with each publication, at most :data:`MAX_REPUBLISH_INTERVAL` (so a lost message is back within a
    minute of the fault healing)."""
    delay: timedelta = deadline * 2 ** max(0, publications - 1)
    return min(delay, max(deadline, MAX_REPUBLISH_INTERVAL))


def stop_every_relay(timeout: float = 5.0) -> None:
    """:meth:`OutboxRelay.stop` every relay of this process whose thread has started and wait for their threads
    (e.g. before the databases of a test's apps go away); a thread still publishing after ``timeout`` is logged."""
    with _RELAYS_LOCK:
        relays = list(_RELAYS_STARTED)
    threads = [thread for thread in (relay.stop() for relay in relays) if thread is not None]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            log.warning("an outbox relay thread was still publishing %.0f s after it was stopped", timeout)


class OutboxRelay:
    """Publishes outbox rows to Celery queues.

    :meth:`hand_over` gives a background thread the rows a transaction wrote, right after its commit, so an HTTP
    request never waits on Redis, and the thread publishes them as they are, without reading or writing the
    table (a publish that fails gives them back as pending); :meth:`sweep` is what the periodic sweep task
    calls: pending rows (never handed over, or given back), and rows sent but not confirmed by their consumer
    within ``confirm_deadline`` (the message may have been lost in Redis), published
    again with backoff (:func:`republish_delay`) for as long as ``retention``. Rows pending for the same consumer
    go in one message (a list of envelopes) with ``confirm_to`` naming this service, the queue the consumer
    confirms them on. Publishing twice is harmless (consumers de-duplicate); losing a row is impossible (a row
    stays due until confirmed: one taken but never published is published again when it falls due).
    """

    def __init__(
        self,
        engine: Engine,
        messaging: Messaging,
        celery_app: Celery,
        batch_size: int = 200,
        events_per_message: int = 50,
        confirm_deadline: timedelta = timedelta(seconds=15),
        retention: timedelta = timedelta(days=7),
        linger: float = RELAY_LINGER_SECONDS,
        backlog_linger: float = RELAY_BACKLOG_LINGER_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.messaging = messaging
        self.celery_app = celery_app
        self.batch_size = batch_size
        self.events_per_message = events_per_message
        self.confirm_deadline = confirm_deadline
        self.retention = retention
        self.linger = linger
        self.backlog_linger = backlog_linger
        #: What the relay takes for now when it decides what is due and stamps what it took (tests move it on
        #: instead of sleeping past a deadline).
        self.clock = clock
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Rows handed over and not yet published, oldest first (guarded by ``_lock``).
        self._handed_over: list[Outgoing] = []
        self._take_statements: dict[tuple[str, timedelta], tuple[Update, list[tuple[int, timedelta]]]] = {}

    def attach(self, session_factory: sessionmaker[Session]) -> None:
        """Publish the outbox rows every session of ``session_factory`` writes once it commits
        (:meth:`Messaging.outbox_rows` hands them over)."""
        session_factory.kw.setdefault("info", {})[RELAY_INFO] = self

        @sa_event.listens_for(session_factory, "after_commit")
        def _after_commit(session: Session) -> None:
            handed_over = session.info.pop(HANDED_OVER_INFO, None)
            if handed_over:
                self.hand_over(handed_over)

        @sa_event.listens_for(session_factory, "after_rollback")
        def _after_rollback(session: Session) -> None:
            session.info.pop(HANDED_OVER_INFO, None)

    def hand_over(self, outgoing: Sequence[Outgoing]) -> None:
        """Publish ``outgoing``, rows just committed as sent (:meth:`Messaging.outbox_rows`), from the background
        thread (started on first use, after any fork or :meth:`stop`)."""
        with self._lock:
            self._handed_over.extend(outgoing)
            if self._thread is None or not self._thread.is_alive():
                self._wake = threading.Event()  # each thread its own: a stopped one cannot clear its successor's
                self._thread = threading.Thread(target=self._run, args=(self._wake,), name="outbox-relay", daemon=True)
                self._thread.start()
                with _RELAYS_LOCK:
                    _RELAYS_STARTED.add(self)
            wake = self._wake
        wake.set()

    def stop(self) -> threading.Thread | None:
        """Tell the background thread to end after what it is publishing, without waiting; returns the thread to
        join. What it has not published yet waits for the next :meth:`hand_over`, which starts a new thread (or,
        should none come, for the sweep, once due again)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._wake.set()
        return thread

    def _run(self, wake: threading.Event) -> None:
        while True:
            wake.wait()
            if self._thread is not threading.current_thread():
                return  # stopped
            time.sleep(self.linger)  # under load, the commits of this moment go out together
            self._linger_while_behind(time.monotonic() + self.backlog_linger - self.linger)
            wake.clear()
            if self._thread is not threading.current_thread():
                return
            try:
                self._publish_handed_over()
            except Exception:  # the sweep will pick the rows up; the relay thread must survive
                log.exception("outbox relay failed")

    def _linger_while_behind(self, deadline: float) -> None:
        """Go on collecting until ``deadline`` while a queue of what was handed over is behind
        (:data:`RELAY_BACKLOG_MESSAGES`), or until the relay is stopped."""
        while time.monotonic() < deadline and self._thread is threading.current_thread() and self._behind():
            time.sleep(self.linger)

    def _behind(self) -> bool:
        """Whether a queue that rows handed over go to holds :data:`RELAY_BACKLOG_MESSAGES` or more messages (one
        Redis round trip on a pooled connection; ``False`` when Redis does not answer: the publish will tell)."""
        with self._lock:
            queues = sorted({row.queue for row in self._handed_over})
        try:
            with self.celery_app.producer_or_acquire() as producer, producer.channel.conn_or_acquire() as client:
                pipeline = client.pipeline(transaction=False)
                for queue in queues:
                    pipeline.llen(queue)
                return any(length >= RELAY_BACKLOG_MESSAGES for length in pipeline.execute())
        except Exception as exc:
            log.warning("cannot see the queues' backlog: %s", exc)
            return False

    def _publish_handed_over(self) -> None:
        """Publish what was handed over, :attr:`batch_size` rows at a time; the rows of a publish that failed go
        back to pending, for the sweep (as :meth:`_untake` gives back what the sweep took)."""
        with self._lock:
            outgoing, self._handed_over = self._handed_over, []
        for start in range(0, len(outgoing), self.batch_size):
            batch = outgoing[start : start + self.batch_size]
            if not self._send(batch):
                with self.engine.begin() as conn:
                    self._untake(conn, batch)

    def sweep(self, pending_older_than: timedelta) -> int:
        """Publish the pending rows older than ``pending_older_than`` and republish the unconfirmed rows that are
        due; returns how many rows went out."""
        return self.publish_pending(older_than=pending_older_than) + self.republish_unconfirmed()

    def publish_pending(self, older_than: timedelta | None = None) -> int:
        """Publish every pending row (optionally only those older than ``older_than``); returns how many."""
        if older_than is None:
            return self._publish_all("pending", {})
        return self._publish_all("pending_older", {"created_before": self.clock() - older_than})

    def republish_unconfirmed(self) -> int:
        """Publish again the rows sent but not confirmed by their republish time, younger than the retention,
        except to queues still draining a backlog (:data:`BUSY_QUEUE_MESSAGES`); returns how many."""
        now = self.clock()
        params: dict[str, Any] = {"due_by": now, "kept_since": now - self.retention}
        busy = self._busy_queues()
        if busy:
            return self._publish_all("unconfirmed_idle_queues", {**params, "busy": busy})
        return self._publish_all("unconfirmed", params)

    def _busy_queues(self) -> list[str]:
        """The queues that still hold more than :data:`BUSY_QUEUE_MESSAGES` messages."""
        outbox = self.messaging.outbox
        with self.engine.connect() as conn:
            queues = list(
                conn.execute(select(outbox.c.queue).where(outbox.c.status == OUTBOX_SENT).distinct()).scalars()
            )
        if not queues:
            return []
        try:
            with self.celery_app.connection_for_write() as connection:
                client = connection.default_channel.client
                return [queue for queue in queues if client.llen(queue) > BUSY_QUEUE_MESSAGES]
        except Exception as exc:  # Redis is down: nothing can be published anyway
            log.warning("cannot see the queues' backlog: %s", exc)
            return []

    def _publish_all(self, kind: str, params: dict[str, Any]) -> int:
        published = 0
        while True:
            sent = self._publish_batch(kind, params)
            published += sent
            if sent < self.batch_size:
                return published

    def _publish_batch(self, kind: str, params: dict[str, Any]) -> int:
        """Take up to :attr:`batch_size` rows of ``kind`` (:meth:`_take`) and publish them; how many
        were taken (the caller stops when it is fewer than a batch, or when a publish failed).

        On PostgreSQL the transaction that took the rows stays open while they are published and commits after:
        until then every other reader still sees them as they were, a publish that fails gives its rows back in
        the same transaction, and a process that dies meanwhile leaves them untouched (published again later; a
        duplicate is harmless). SQLite has one writer for the whole database, which must not wait on Redis: the
        rows are taken in a transaction of their own, and given back in another when the publish fails."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as conn:
                return self._send_taken(conn, self._take(conn, kind, params))
        with self.engine.begin() as conn:
            rows = self._take(conn, kind, params)
        with self.engine.connect() as conn:  # begins (and takes SQLite's write lock) only if a publish failed
            taken = self._send_taken(conn, rows)
            conn.commit()
        return taken

    def _send_taken(self, conn: Connection, rows: list[Row[Any]]) -> int:
        """Publish the rows :meth:`_take` took, or give them all back when the publish failed (:meth:`_untake`)."""
        if not rows:
            return 0
        if not self._send([Outgoing.of_row(row) for row in rows]):
            self._untake(conn, rows)
            return 0
        return len(rows)

    def _take(self, conn: Connection, kind: str, params: dict[str, Any]) -> list[Row[Any]]:
        """Mark the oldest rows of ``kind`` (:meth:`_take_statement`) sent and due again after
        :func:`republish_delay` (a confirmed row stays confirmed), and read them, in one ``UPDATE … RETURNING``
        statement: no second round trip. On PostgreSQL, rows another relay holds are skipped (``FOR UPDATE SKIP
        LOCKED``)."""
        now = self.clock()
        statement, delays = self._take_statement(kind)
        due = {f"due_{count}": now + delay for count, delay in delays}
        due["due_capped"] = now + max(self.confirm_deadline, MAX_REPUBLISH_INTERVAL)
        rows = conn.execute(statement, {**params, **due, "now": now, "batch": self.batch_size}).all()
        return sorted(rows, key=lambda row: (row.created_at, row.id))

    def _take_statement(self, kind: str) -> tuple[Update, list[tuple[int, timedelta]]]:
        """The statement :meth:`_take` runs for ``kind``, built once per kind and confirm deadline (every value
        in it is a bound parameter, so SQLAlchemy neither rebuilds it nor derives its cache key again), with the
        ``(publications, delay)`` pairs its ``due_<publications>`` parameters take.

        Kinds: ``pending`` rows, ``pending_older`` (created by ``created_before``), ``unconfirmed`` (sent, due
        again by ``due_by``, created since ``kept_since``) and ``unconfirmed_idle_queues`` (those, except to the
        ``busy`` queues)."""
        key = (kind, self.confirm_deadline)
        built = self._take_statements.get(key)
        if built is not None:
            return built
        outbox = self.messaging.outbox
        pending = outbox.c.status == OUTBOX_PENDING
        unconfirmed = (
            (outbox.c.status == OUTBOX_SENT)
            & (outbox.c.republish_at <= bindparam("due_by"))
            & (outbox.c.created_at >= bindparam("kept_since"))
        )
        condition = {
            "pending": pending,
            "pending_older": pending & (outbox.c.created_at <= bindparam("created_before")),
            "unconfirmed": unconfirmed,
            "unconfirmed_idle_queues": unconfirmed & outbox.c.queue.not_in(bindparam("busy", expanding=True)),
        }[kind]
        oldest = (
            select(outbox.c.id).where(condition).order_by(outbox.c.created_at).limit(bindparam("batch", type_=Integer))
        )
        if self.engine.dialect.name == "postgresql":
            oldest = oldest.with_for_update(skip_locked=True)
        delays = self._republish_delays()
        publications, due_type = outbox.c.publish_attempts + 1, outbox.c.republish_at.type
        statement = (
            update(outbox)
            .where(outbox.c.id.in_(oldest.scalar_subquery()) & (outbox.c.status != OUTBOX_CONFIRMED))
            .values(
                status=OUTBOX_SENT,
                sent_at=bindparam("now"),
                publish_attempts=publications,
                republish_at=case(
                    {count: bindparam(f"due_{count}", type_=due_type) for count, _ in delays},
                    value=publications,
                    else_=bindparam("due_capped", type_=due_type),
                ),
            )
            .returning(
                outbox.c.id,
                outbox.c.event_id,
                outbox.c.event_type,
                outbox.c.task_name,
                outbox.c.queue,
                outbox.c.envelope,
                outbox.c.created_at,
            )
        )
        self._take_statements[key] = (statement, delays)
        return statement, delays

    def _republish_delays(self) -> list[tuple[int, timedelta]]:
        """``(publications, delay)`` for each count whose delay is below the cap (every later one is capped)."""
        delays: list[tuple[int, timedelta]] = []
        cap = max(self.confirm_deadline, MAX_REPUBLISH_INTERVAL)
        while not delays or delays[-1][1] < cap:
            delays.append((len(delays) + 1, republish_delay(self.confirm_deadline, len(delays) + 1)))
        return delays

    def _untake(self, conn: Connection, rows: Sequence[Row[Any] | Outgoing]) -> None:
        """Rows marked sent (by :meth:`_take`, or as written to be handed over) whose publish failed: a first
        publication goes back to pending, a republication is due again at once (the next sweep)."""
        outbox = self.messaging.outbox
        unconfirmed = outbox.c.id.in_([row.id for row in rows]) & (outbox.c.status == OUTBOX_SENT)
        conn.execute(
            update(outbox)
            .where(unconfirmed & (outbox.c.publish_attempts == 1))
            .values(status=OUTBOX_PENDING, sent_at=None, publish_attempts=0, republish_at=None)
        )
        conn.execute(
            update(outbox)
            .where(unconfirmed & (outbox.c.publish_attempts > 1))
            .values(publish_attempts=outbox.c.publish_attempts - 1, republish_at=self.clock())
        )

    def _send(self, rows: Sequence[Outgoing]) -> bool:
        """Publish ``rows`` as one message per consumer task and up to :attr:`events_per_message` events (a
        consumer takes a list of envelopes), through one producer from Celery's pool and one Redis pipeline
        (kombu's publish batch: one round trip); whether they were published. A failure gives no answer about the
        messages already flushed, so the caller gives every row back: some may go out twice, none is lost."""
        batches: dict[tuple[str, str], list[Outgoing]] = {}
        for row in rows:
            batches.setdefault((row.task_name, row.queue), []).append(row)
        try:
            with self.celery_app.producer_or_acquire() as producer, producer.batch(max_size=len(rows)):
                for (task_name, queue), batch in batches.items():
                    for start in range(0, len(batch), self.events_per_message):
                        chunk = batch[start : start + self.events_per_message]
                        self.celery_app.send_task(
                            task_name,
                            args=[[row.envelope for row in chunk]],
                            kwargs={"confirm_to": self.messaging.service},
                            argsrepr=_events_repr(chunk),
                            queue=queue,
                            producer=producer,
                            retry=True,
                            retry_policy=RELAY_RETRY_POLICY,
                        )
        except Exception as exc:
            log.warning("publish of %s outbox rows failed: %s", len(rows), exc)
            return False
        return True
