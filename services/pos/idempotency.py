"""``Idempotency-Key`` handling: the key is looked up, the use case runs and its first response is written, all in
one business transaction, so a failed request rolls back and leaves nothing (a retry runs afresh). The record is
written once, with its response: one row a request.

Same key + same request → the stored first response; same key + a different request → 422; same key while
the first request is still running → 409. On PostgreSQL the look-up takes a transaction-scoped advisory lock
on the key without waiting: a second request for a key in flight finds the lock taken and answers 409 at once
instead of queueing behind the first. A second request that takes the lock just as the first commits may look
up before that commit is visible to it: it runs, its record's insert then meets the first's primary key, all of
it rolls back and it answers the first's response (:func:`run_once`). SQLite runs one writer at a time
(``BEGIN IMMEDIATE``), so there a second request waits for the first and then gets its stored response.

A use case that must hold a row's lock before it reads (checkout: its register's, for the receipt serial) names
it (:class:`RowLock`): on PostgreSQL the look-up takes that lock too, when the key is free, in the same statement.

The response is kept as the JSON text the client was sent, serialised once: the view answers it as is and a
replay answers the same text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import Response
from sqlalchemy import TextualSelect, bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.pos.errors import IDEMPOTENCY_IN_FLIGHT, IDEMPOTENCY_KEY_MISSING, IDEMPOTENCY_KEY_REUSED
from services.pos.models import IdempotencyRecord
from shared.db import execute_on_driver, is_sqlite, table_of, transaction, utcnow
from shared.errors import Conflict, DomainError

MAX_KEY_LENGTH = 200
_RECORDS = table_of(IdempotencyRecord)

#: PostgreSQL: try the key's advisory lock (held until the transaction ends) and read the key's record, if any.
#: Two ``hashtext`` halves make the two-integer lock key, a key space of its own; a collision can only turn a
#: request into a retryable 409.
_LOOK_UP_POSTGRESQL = text(
    "WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtext(:scope), hashtext(:key)) AS held)"
    " SELECT lock.held, record.request_hash, record.response_status, record.response_body"
    " FROM lock LEFT JOIN idempotency_records AS record ON record.scope = :scope AND record.key = :key"
).columns()


@dataclass(frozen=True)
class RowLock:
    """The row ``row_id`` of ``table`` (a table of ours, keyed by ``id``), locked ``FOR UPDATE`` until the
    transaction ends."""

    table: str
    row_id: str


@cache
def _look_up_and_lock(table: str) -> TextualSelect:
    """:data:`_LOOK_UP_POSTGRESQL` that also locks the row ``:lock_id`` of ``table`` when the key is free (its
    advisory lock taken, no record): a request answered from its record, or refused, locks nothing and waits for
    nothing."""
    return text(
        "WITH lock AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(hashtext(:scope), hashtext(:key)) AS held),"
        " record AS MATERIALIZED (SELECT request_hash, response_status, response_body FROM idempotency_records"
        " WHERE scope = :scope AND key = :key),"
        f" locked AS (SELECT id FROM {table} WHERE id = :lock_id AND (SELECT held FROM lock)"
        " AND NOT EXISTS (SELECT FROM record) FOR UPDATE)"
        " SELECT lock.held, record.request_hash, record.response_status, record.response_body,"
        " (SELECT count(*) FROM locked) AS locked"
        " FROM lock LEFT JOIN record ON true"
    ).columns()


_LOOK_UP = select(_RECORDS.c.request_hash, _RECORDS.c.response_status, _RECORDS.c.response_body).where(
    _RECORDS.c.scope == bindparam("scope"), _RECORDS.c.key == bindparam("key")
)
_STORE = _RECORDS.insert()


@dataclass(frozen=True)
class StoredResponse:
    """A response as sent: its status and its JSON text."""

    status: int
    body: str

    def as_response(self) -> Response:
        """The response to answer (the stored text as is: no second serialisation, no schema dump)."""
        return Response(self.body, self.status, mimetype="application/json")


#: PostgreSQL: a data-modifying ``WITH`` part that writes the key's record with its first response, for a use case
#: that writes its rows in one statement (its parameters from :meth:`Claim.store_in_statement`).
STORE_RESPONSE_PART = (
    "idempotency_stored AS (INSERT INTO idempotency_records"
    " (scope, key, request_hash, response_status, response_body, created_at)"
    " VALUES (:idempotency_scope, :idempotency_key, :idempotency_request_hash, :idempotency_response_status,"
    " :idempotency_response_body, CAST(:idempotency_created_at AS timestamptz)))"
)


@dataclass
class Claim:
    """The key a use case runs under, free when it was looked up. Its first response is written after the use
    case (:func:`run_once`), or by the use case's own write statement (:meth:`store_in_statement`): one statement
    less."""

    scope: str
    key: str
    request_hash: str
    #: The row whose lock the look-up took (on SQLite the transaction holds the database's write lock).
    locked: RowLock | None = None
    #: The first response, once the use case's statement stores it.
    response: StoredResponse | None = None

    def record(self, response: StoredResponse, now: datetime) -> dict[str, object]:
        """The key's record, holding ``response``."""
        return {
            "scope": self.scope,
            "key": self.key,
            "request_hash": self.request_hash,
            "response_status": response.status,
            "response_body": response.body,
            "created_at": now,
        }

    def store_in_statement(self, status: int, body: str) -> dict[str, object]:
        """The parameters of :data:`STORE_RESPONSE_PART` for the first response ``status`` / ``body`` (JSON
        text); the caller's statement must include that part, and the use case answer :attr:`response`."""
        self.response = StoredResponse(status, body)
        now = utcnow()
        record = {**self.record(self.response, now), "created_at": now.isoformat()}  # a text parameter
        return {f"idempotency_{name}": value for name, value in record.items()}


def fingerprint(caller_id: str, body) -> str:
    """A hash of who asked and what they asked (key order does not matter)."""
    canonical = json.dumps([caller_id, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_key(key: str | None) -> str:
    if not key or not key.strip():
        raise DomainError(
            "The Idempotency-Key header is required.",
            status=400,
            errors={"Idempotency-Key": ["Missing header."]},
            code=IDEMPOTENCY_KEY_MISSING,
        )
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            "The Idempotency-Key header is too long.",
            status=400,
            errors={"Idempotency-Key": [f"At most {MAX_KEY_LENGTH} characters."]},
        )
    return key.strip()


def claim(
    session: Session, scope: str, key: str, request_hash: str, lock: RowLock | None = None
) -> StoredResponse | None:
    """Look ``key`` up in the caller's transaction: ``None`` if it is free (run the use case now; ``lock``'s row
    is then locked too), the stored response if it was done before (422 when it was done for another request,
    409 while another request holds it)."""
    parameters = {"scope": scope, "key": key}
    if is_sqlite(session.get_bind()):
        found, held = session.connection().execute(_LOOK_UP, parameters).first(), True
    else:
        statement = _LOOK_UP_POSTGRESQL
        if lock is not None:
            statement, parameters["lock_id"] = _look_up_and_lock(lock.table), lock.row_id
        (looked_up,) = execute_on_driver(session.connection(), statement, parameters)
        found, held = (None if looked_up.request_hash is None else looked_up), looked_up.held
    if found is None:
        if held:
            return None
        raise Conflict("A request with this Idempotency-Key is still in progress.", code=IDEMPOTENCY_IN_FLIGHT)
    if found.request_hash != request_hash:
        raise DomainError(
            "This Idempotency-Key was used for a different request.",
            code=IDEMPOTENCY_KEY_REUSED,
            errors={"Idempotency-Key": ["Used with another body."]},
        )
    return StoredResponse(found.response_status, found.response_body)


def run_once(
    session_factory: sessionmaker,
    scope: str,
    key: str,
    request_hash: str,
    use_case: Callable[[Session, Claim], StoredResponse],
    lock: RowLock | None = None,
) -> StoredResponse:
    """Run ``use_case(session, claim)`` at most once for ``key`` and return its first response: look-up, use case
    and stored response in one transaction (an error rolls all of it back). With ``lock``, the use case runs with
    that row locked (:attr:`Claim.locked`).

    A request that looked the key up just before another one under it committed finds out when its record
    meets the other's: its transaction rolls back and it answers the stored response instead."""
    try:
        with transaction(session_factory) as session:
            stored = claim(session, scope, key, request_hash, lock)
            if stored is None:
                claimed = Claim(scope, key, request_hash, locked=lock)
                stored = use_case(session, claimed)
                if claimed.response is None:
                    session.connection().execute(_STORE, claimed.record(stored, utcnow()))
                elif claimed.response != stored:
                    raise RuntimeError(f"The use case under {scope}/{key} answered another response than it stored.")
    except IntegrityError:
        with transaction(session_factory) as session:
            stored = claim(session, scope, key, request_hash)
        if stored is None:  # the key is still free: the conflict was another one
            raise
    return stored


def held_record(session: Session, scope: str, key: str) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    )
