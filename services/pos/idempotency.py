"""``Idempotency-Key`` handling: claim the key in its own short transaction, store the first response in the
business transaction, release the claim when the request failed (so a failed request leaves nothing).

Same key + same request → the stored first response; same key + a different request → 422; same key while
the first request is still running → 409.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from services.pos.errors import IDEMPOTENCY_IN_FLIGHT, IDEMPOTENCY_KEY_MISSING, IDEMPOTENCY_KEY_REUSED
from services.pos.models import IdempotencyRecord, IdempotencyStatus
from shared.db import insert_or_skip, table_of, transaction, utcnow
from shared.errors import Conflict, DomainError

#: A claim older than this belongs to a request that died (process killed); a new request may take it over.
ABANDONED_AFTER = timedelta(minutes=2)
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict


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


def claim(session_factory: sessionmaker, scope: str, key: str, request_hash: str) -> StoredResponse | None:
    """Claim ``key`` for this request: ``None`` if it is ours now, the stored response if it was done before."""
    for _ in range(3):
        with transaction(session_factory) as session:
            if insert_or_skip(
                session,
                table_of(IdempotencyRecord),
                {
                    "scope": scope,
                    "key": key,
                    "request_hash": request_hash,
                    "status": IdempotencyStatus.IN_FLIGHT,
                    "created_at": utcnow(),
                },
            ):
                return None
            record = session.get(IdempotencyRecord, (scope, key))
            if record is None:  # released between our insert and read: try again
                continue
            if record.request_hash != request_hash:
                raise DomainError(
                    "This Idempotency-Key was used for a different request.",
                    code=IDEMPOTENCY_KEY_REUSED,
                    errors={"Idempotency-Key": ["Used with another body."]},
                )
            if record.status == IdempotencyStatus.DONE:
                if record.response_status is None or record.response_body is None:
                    raise RuntimeError(f"Idempotency record {scope}/{key} is done but holds no response.")
                return StoredResponse(record.response_status, json.loads(record.response_body))
            if utcnow() - record.created_at > ABANDONED_AFTER:
                record.created_at = utcnow()
                return None
            raise Conflict("A request with this Idempotency-Key is still in progress.", code=IDEMPOTENCY_IN_FLIGHT)
    raise Conflict("A request with this Idempotency-Key is still in progress.", code=IDEMPOTENCY_IN_FLIGHT)


def store_response(session: Session, scope: str, key: str, status: int, body: dict) -> None:
    """Inside the business transaction: the claim becomes the first response."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        .values(status=IdempotencyStatus.DONE, response_status=status, response_body=json.dumps(body))
    )


def release(session_factory: sessionmaker, scope: str, key: str) -> None:
    """The request failed: forget the claim so nothing of it is kept (a retry runs afresh)."""
    with transaction(session_factory) as session:
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.scope == scope,
                IdempotencyRecord.key == key,
                IdempotencyRecord.status == IdempotencyStatus.IN_FLIGHT,
            )
        )


def run_once(session_factory: sessionmaker, scope: str, key: str, request_hash: str, use_case) -> StoredResponse:
    """Run ``use_case(session) -> (status, body)`` at most once for ``key`` and return its (first) response."""
    stored = claim(session_factory, scope, key, request_hash)
    if stored is not None:
        return stored
    try:
        with transaction(session_factory) as session:
            status, body = use_case(session)
            store_response(session, scope, key, status, body)
    except BaseException:
        release(session_factory, scope, key)
        raise
    return StoredResponse(status, body)


def held_record(session: Session, scope: str, key: str) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    )
