"""``Idempotency-Key`` handling: the key is claimed, the use case runs and the first response is stored, all in
one business transaction, so a failed request rolls back and leaves nothing (a retry runs afresh).

Same key + same request → the stored first response; same key + a different request → 422; same key while
the first request is still running → 409. On PostgreSQL the claim also takes a transaction-scoped advisory
lock on the key without waiting: a second request for a key in flight finds the lock taken and answers 409 at
once instead of queueing behind the first. SQLite runs one writer at a time (``BEGIN IMMEDIATE``), so there a
second request waits for the first and then gets its stored response.

The response is kept as the JSON text the client was sent, serialised once: the view answers it as is and a
replay answers the same text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response
from sqlalchemy import Integer, Text, bindparam, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from services.pos.errors import IDEMPOTENCY_IN_FLIGHT, IDEMPOTENCY_KEY_MISSING, IDEMPOTENCY_KEY_REUSED
from services.pos.models import IdempotencyRecord, IdempotencyStatus
from shared.db import UTCDateTime, insert_or_skip, is_sqlite, table_of, transaction, utcnow
from shared.errors import Conflict, DomainError

MAX_KEY_LENGTH = 200
_RECORDS = table_of(IdempotencyRecord)

#: PostgreSQL: try the key's advisory lock (held until the transaction ends) and, only when it was free, insert
#: the claim (or skip it when a finished request left its record). Two ``hashtext`` halves make the two-integer
#: lock key, a key space of its own; a collision can only turn a request into a retryable 409.
_CLAIM_POSTGRESQL = (
    text(
        "WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtext(:scope), hashtext(:key)) AS held)"
        " INSERT INTO idempotency_records (scope, key, request_hash, status, created_at)"
        " SELECT :scope, :key, :request_hash, :status, :created_at FROM lock WHERE lock.held"
        " ON CONFLICT DO NOTHING RETURNING scope"
    )
    .bindparams(bindparam("created_at", type_=UTCDateTime))
    .columns()
)
_STORED = select(
    _RECORDS.c.request_hash, _RECORDS.c.status, _RECORDS.c.response_status, _RECORDS.c.response_body
).where(_RECORDS.c.scope == bindparam("scope"), _RECORDS.c.key == bindparam("key"))
_STORE = (
    update(_RECORDS)
    .where(_RECORDS.c.scope == bindparam("scope_"), _RECORDS.c.key == bindparam("key_"))
    .values(
        status=IdempotencyStatus.DONE,
        response_status=bindparam("status_", type_=Integer),
        response_body=bindparam("body_", type_=Text),
    )
)


@dataclass(frozen=True)
class StoredResponse:
    """A response as sent: its status and its JSON text."""

    status: int
    body: str

    def as_response(self) -> Response:
        """The response to answer (the stored text as is: no second serialisation, no schema dump)."""
        return Response(self.body, self.status, mimetype="application/json")


#: PostgreSQL: a data-modifying ``WITH`` part that turns the claim into its first response, for a use case that
#: writes its rows in one statement (its parameters from :meth:`Claim.store_in_statement`).
STORE_RESPONSE_PART = (
    "idempotency_stored AS (UPDATE idempotency_records"
    f" SET status = '{IdempotencyStatus.DONE}', response_status = :response_status, response_body = :response_body"
    " WHERE scope = :idempotency_scope AND key = :idempotency_key)"
)


@dataclass
class Claim:
    """The key a use case runs under, claimed in its transaction. Its first response is stored after the use case
    (:func:`run_once`), or by the use case's own write statement (:meth:`store_in_statement`): one statement less."""

    scope: str
    key: str
    #: The first response, once the use case's statement stores it.
    response: StoredResponse | None = None

    def store_in_statement(self, status: int, body: str) -> dict[str, object]:
        """The parameters of :data:`STORE_RESPONSE_PART` for the first response ``status`` / ``body`` (JSON
        text); the caller's statement must include that part, and the use case answer :attr:`response`."""
        self.response = StoredResponse(status, body)
        return {
            "idempotency_scope": self.scope,
            "idempotency_key": self.key,
            "response_status": status,
            "response_body": body,
        }


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


def claim(session: Session, scope: str, key: str, request_hash: str) -> StoredResponse | None:
    """Claim ``key`` in the caller's transaction: ``None`` if it is ours now, the stored response if it was done
    before (422 when it was done for another request, 409 while another request holds it)."""
    values = {
        "scope": scope,
        "key": key,
        "request_hash": request_hash,
        "status": IdempotencyStatus.IN_FLIGHT,
        "created_at": utcnow(),
    }
    if is_sqlite(session.get_bind()):
        if insert_or_skip(session, _RECORDS, values):
            return None
    elif session.connection().execute(_CLAIM_POSTGRESQL, values).first() is not None:
        return None
    record = session.connection().execute(_STORED, {"scope": scope, "key": key}).first()
    if record is None or record.status != IdempotencyStatus.DONE:  # another transaction holds it
        raise Conflict("A request with this Idempotency-Key is still in progress.", code=IDEMPOTENCY_IN_FLIGHT)
    if record.request_hash != request_hash:
        raise DomainError(
            "This Idempotency-Key was used for a different request.",
            code=IDEMPOTENCY_KEY_REUSED,
            errors={"Idempotency-Key": ["Used with another body."]},
        )
    if record.response_status is None or record.response_body is None:
        raise RuntimeError(f"Idempotency record {scope}/{key} is done but holds no response.")
    return StoredResponse(record.response_status, record.response_body)


def store_response(session: Session, scope: str, key: str, status: int, body: str) -> None:
    """Inside the business transaction: the claim becomes the first response (``body``: its JSON text)."""
    session.connection().execute(_STORE, {"scope_": scope, "key_": key, "status_": status, "body_": body})


def run_once(
    session_factory: sessionmaker,
    scope: str,
    key: str,
    request_hash: str,
    use_case: Callable[[Session, Claim], StoredResponse],
) -> StoredResponse:
    """Run ``use_case(session, claim)`` at most once for ``key`` and return its first response, claim, use case
    and stored response in one transaction (an error rolls all of it back)."""
    with transaction(session_factory) as session:
        stored = claim(session, scope, key, request_hash)
        if stored is None:
            claimed = Claim(scope, key)
            stored = use_case(session, claimed)
            if claimed.response is None:
                store_response(session, scope, key, stored.status, stored.body)
            elif claimed.response != stored:
                raise RuntimeError(f"The use case under {scope}/{key} answered another response than it stored.")
    return stored


def held_record(session: Session, scope: str, key: str) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    )
