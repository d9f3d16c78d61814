"""Transactional outbox, processed-events inbox, delivery attempts and dead letters.

Each service keeps these tables in its own database (``Messaging(Base.metadata, "pos")``):

- ``outbox``: one row per (event, subscriber), written in the business transaction by :meth:`Messaging.record`.
  :class:`OutboxRelay` publishes pending rows with ``send_task`` after commit and on the periodic sweep; a
  row is marked sent only after the publish returned.
- ``processed_events``: ``(consumer, event_id)`` inserted with insert-or-skip in the same transaction as the
  consumer's effect (:meth:`Messaging.claim`), so a duplicate delivery changes nothing.
- ``claimed_keys``: the business keys of facts a consumer applied (``sale:<id>``, ``refund:<id>``), claimed with
  insert-or-skip in the effect's transaction (:meth:`Messaging.claim_key`), so the same fact under a new event id
  is applied once.
- ``delivery_attempts``: our own attempt counter (Redis keeps no delivery count), so an event that keeps
  failing, or keeps killing its worker, ends in
- ``dead_letters``: what failed its last attempt, for managers to see and retry.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, timedelta
from typing import Any

from celery import Celery
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine, Row, RowMapping
from sqlalchemy.orm import Session, sessionmaker

from shared.db import UUID_LENGTH, IdString, UTCDateTime, insert_or_skip, new_id, utcnow
from shared.errors import Conflict, NotFound
from shared.events import build_envelope, contract

log = logging.getLogger(__name__)

OUTBOX_PENDING = "pending"
OUTBOX_SENT = "sent"
DEAD_LETTER_OPEN = "open"
DEAD_LETTER_RETRIED = "retried"
#: After this many attempts a consumer gives up on an event and dead-letters it.
MAX_ATTEMPTS = 8


class Messaging:
    """The outbox/inbox tables of one service and the operations on them."""

    def __init__(self, metadata: MetaData, service: str):
        self.service = service
        self.outbox = Table(
            "outbox",
            metadata,
            Column("id", IdString, primary_key=True),
            Column("event_id", IdString, nullable=False, index=True),
            Column("event_type", String(64), nullable=False),
            Column("task_name", String(128), nullable=False),
            Column("queue", String(64), nullable=False),
            Column("envelope", Text, nullable=False),
            Column("status", String(16), nullable=False, index=True),
            Column("publish_attempts", Integer, nullable=False, default=0),
            Column("created_at", UTCDateTime, nullable=False, index=True),
            Column("sent_at", UTCDateTime),
            Column("last_error", Text),
        )
        self.processed_events = Table(
            "processed_events",
            metadata,
            Column("consumer", String(128), primary_key=True),
            Column("event_id", IdString, primary_key=True),
            Column("processed_at", UTCDateTime, nullable=False),
        )
        self.claimed_keys = Table(
            "claimed_keys",
            metadata,
            Column("key", String(100), primary_key=True),
            Column("claimed_at", UTCDateTime, nullable=False),
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

    # -- producer side -------------------------------------------------------------------------------
    def record(self, session: Session, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Write ``event_type`` for every subscriber into the outbox, inside the caller's transaction."""
        envelope = build_envelope(event_type, self.service, payload)
        spec = contract(event_type)
        if spec.subscribers:
            self._enqueue(session, envelope, [(spec.task_name(queue), queue) for queue in spec.subscribers])
        log.info(
            "recorded %s event %s for %s", event_type, envelope["event_id"], ", ".join(spec.subscribers) or "nobody"
        )
        return envelope

    def _enqueue(self, session: Session, envelope: dict[str, Any], destinations: list[tuple[str, str]]) -> None:
        """One pending outbox row per ``(task_name, queue)``, all in one statement."""
        body, now = json.dumps(envelope), utcnow()
        session.execute(
            self.outbox.insert(),
            [
                {
                    "id": new_id(),
                    "event_id": envelope["event_id"],
                    "event_type": envelope["type"],
                    "task_name": task_name,
                    "queue": queue,
                    "envelope": body,
                    "status": OUTBOX_PENDING,
                    "publish_attempts": 0,
                    "created_at": now,
                }
                for task_name, queue in destinations
            ],
        )
        session.info["outbox_written"] = True

    def notify_after_commit(self, session_factory: sessionmaker[Session], callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every commit that wrote outbox rows (to wake the relay)."""

        @sa_event.listens_for(session_factory, "after_commit")
        def _after_commit(session: Session) -> None:
            if session.info.pop("outbox_written", False):
                callback()

        @sa_event.listens_for(session_factory, "after_rollback")
        def _after_rollback(session: Session) -> None:
            session.info.pop("outbox_written", None)

    # -- consumer side -------------------------------------------------------------------------------
    def claim(self, session: Session, consumer: str, event_id: str) -> bool:
        """Insert-or-skip ``(consumer, event_id)``; ``True`` when this is the first time (apply the effect)."""
        return insert_or_skip(
            session, self.processed_events, {"consumer": consumer, "event_id": str(event_id), "processed_at": utcnow()}
        )

    def is_processed(self, session_factory: sessionmaker[Session], consumer: str, event_id: str) -> bool:
        """Whether ``consumer`` already applied ``event_id`` (its claim committed)."""
        table = self.processed_events
        with session_factory() as session:
            found = session.execute(
                select(table.c.event_id).where((table.c.consumer == consumer) & (table.c.event_id == event_id))
            ).first()
        return found is not None

    def claim_key(self, session: Session, key: str) -> bool:
        """Insert-or-skip the business key of a fact (``sale:<id>``); ``True`` the first time (apply it now).

        Called in the transaction of the effect: the same fact arriving under a second event id claims nothing
        and changes nothing, and a rolled-back effect leaves the key free."""
        return insert_or_skip(session, self.claimed_keys, {"key": key, "claimed_at": utcnow()})

    def is_claimed(self, session: Session, key: str) -> bool:
        """Whether the fact ``key`` was applied here (e.g. the sale a refund needs)."""
        return (
            session.execute(select(self.claimed_keys.c.key).where(self.claimed_keys.c.key == key)).first() is not None
        )

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

        Unknown → :class:`NotFound`; already retried → :class:`Conflict`. Returns the updated dead letter.
        """
        table = self.dead_letters
        row = session.execute(select(table).where(table.c.id == dead_letter_id).with_for_update()).one_or_none()
        if row is None:
            raise NotFound(f"dead letter {dead_letter_id} not found")
        if row.status != DEAD_LETTER_OPEN:
            raise Conflict(f"dead letter {dead_letter_id} was already retried", errors={"status": [row.status]})
        session.execute(
            self.delivery_attempts.delete().where(
                (self.delivery_attempts.c.consumer == row.consumer)
                & (self.delivery_attempts.c.event_id == row.event_id)
            )
        )
        self._enqueue(session, json.loads(row.envelope), [(row.consumer, self.service)])
        session.execute(
            update(table).where(table.c.id == dead_letter_id).values(status=DEAD_LETTER_RETRIED, retried_at=utcnow())
        )
        return session.execute(select(table).where(table.c.id == dead_letter_id)).mappings().one()

    # -- observation ---------------------------------------------------------------------------------
    def backlog(self, session: Session) -> dict[str, float]:
        """Outbox rows still pending, the age of the oldest in seconds, and open dead letters."""
        pending, oldest = session.execute(
            select(func.count(), func.min(self.outbox.c.created_at)).where(self.outbox.c.status == OUTBOX_PENDING)
        ).one()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        dead = session.execute(select(func.count()).where(self.dead_letters.c.status == DEAD_LETTER_OPEN)).scalar_one()
        return {
            "outbox_pending": pending,
            "outbox_oldest_pending_seconds": (utcnow() - oldest).total_seconds() if oldest else 0.0,
            "dead_letters_open": dead,
        }


class OutboxRelay:
    """Publishes pending outbox rows to Celery queues.

    :meth:`kick` wakes a background thread right after a commit, so an HTTP request never waits on Redis;
    :meth:`publish_pending` is also what the periodic sweep task calls. Rows pending for the same consumer go
    in one message (a list of envelopes): under load a consumer takes many events per Celery delivery.
    Publishing twice is harmless (consumers de-duplicate); losing a row is impossible (a row is marked sent only
    after ``send_task`` returned).
    """

    def __init__(
        self,
        engine: Engine,
        messaging: Messaging,
        celery_app: Celery,
        batch_size: int = 200,
        events_per_message: int = 50,
    ) -> None:
        self.engine = engine
        self.messaging = messaging
        self.celery_app = celery_app
        self.batch_size = batch_size
        self.events_per_message = events_per_message
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def kick(self) -> None:
        """Ask the background thread to publish now (starts it on first use, after any fork)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self.publish_pending()
            except Exception:  # the sweep will pick the rows up; the relay thread must survive
                log.exception("outbox relay failed")

    def publish_pending(self, older_than: timedelta | None = None) -> int:
        """Publish every pending row (optionally only those older than ``older_than``); returns how many."""
        published = 0
        while True:
            sent = self._publish_batch(older_than)
            published += sent
            if sent < self.batch_size:
                return published

    def _publish_batch(self, older_than: timedelta | None) -> int:
        outbox = self.messaging.outbox
        query = (
            select(outbox.c.id, outbox.c.task_name, outbox.c.queue, outbox.c.envelope)
            .where(outbox.c.status == OUTBOX_PENDING)
            .order_by(outbox.c.created_at)
            .limit(self.batch_size)
        )
        if older_than is not None:
            query = query.where(outbox.c.created_at <= utcnow() - older_than)
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as conn:
                rows = conn.execute(query.with_for_update(skip_locked=True)).all()
                sent_ids = self._send(rows)
                self._mark_sent(conn, sent_ids)
                return len(sent_ids)
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
        sent_ids = self._send(rows)
        with self.engine.begin() as conn:
            self._mark_sent(conn, sent_ids)
        return len(sent_ids)

    def _send(self, rows: Sequence[Row[Any]]) -> list[str]:
        """Publish ``rows`` as one message per consumer task and up to :attr:`events_per_message` events (a
        consumer takes a list of envelopes); the ids of the rows whose message was published."""
        batches: dict[tuple[str, str], list[Row[Any]]] = {}
        for row in rows:
            batches.setdefault((row.task_name, row.queue), []).append(row)
        sent: list[str] = []
        for (task_name, queue), batch in batches.items():
            for start in range(0, len(batch), self.events_per_message):
                chunk = batch[start : start + self.events_per_message]
                try:
                    self.celery_app.send_task(
                        task_name,
                        args=[[json.loads(row.envelope) for row in chunk]],
                        queue=queue,
                        retry=True,
                        retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
                    )
                except Exception as exc:
                    log.warning("publish of %s outbox rows to %s failed: %s", len(chunk), task_name, exc)
                    return sent
                sent.extend(row.id for row in chunk)
        return sent

    def _mark_sent(self, conn: Connection, ids: list[str]) -> None:
        if ids:
            outbox = self.messaging.outbox
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids))
                .values(status=OUTBOX_SENT, sent_at=utcnow(), publish_attempts=outbox.c.publish_attempts + 1)
            )
