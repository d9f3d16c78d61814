"""Use cases: manager approval at the counter (a manager's token or username + PIN) and the audit log.

A PIN is four to eight digits, so guessing is stopped by counting: after :data:`PIN_FAILURE_LIMIT` wrong PINs
for one approver name, or by one cashier, inside :data:`PIN_FAILURE_WINDOW`, approvals by PIN are refused
(``approval_locked``) until the window has passed. Every wrong PIN is recorded in its own transaction (the
refused request's own changes roll back) and audited as ``approval.failed``, which the managers' audit view
shows; the lock-outs in force (:func:`pin_lockouts`) are what the managers' overview alerts them to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from services.pos.errors import APPROVAL_INVALID, APPROVAL_LOCKED, APPROVAL_REQUIRED, APPROVER_NAME_TAKEN
from services.pos.models import ApprovalFailure, Approver, AuditEntry
from shared.auth import Principal, Unauthorized, verify_grant
from shared.config import Settings
from shared.db import transaction, utcnow
from shared.errors import Conflict, DomainError, Forbidden
from shared.passwords import hash_secret, verify_secret

APPROVER_ROLES = ("manager", "admin")
#: Wrong PINs (per approver name, and per cashier) that lock approval by PIN for the rest of the window.
PIN_FAILURE_LIMIT = 5
PIN_FAILURE_WINDOW = timedelta(minutes=15)


class ApprovalRefused(Forbidden):
    """A wrong username or PIN: the request is refused and the failure must be counted (see
    :func:`counting_refusals`)."""

    def __init__(self, username: str, cashier_id: str) -> None:
        super().__init__("The manager's username or PIN is wrong.", code=APPROVAL_INVALID)
        self.username = username
        self.cashier_id = cashier_id


@contextmanager
def counting_refusals(session_factory: sessionmaker[Session]) -> Iterator[None]:
    """Around a request that may carry a PIN approval: a wrong PIN is recorded and audited in a transaction of
    its own (the request's transaction rolls back), then the refusal goes on to the caller."""
    try:
        yield
    except ApprovalRefused as refused:
        with transaction(session_factory) as session:
            session.add(ApprovalFailure(username=refused.username, cashier_id=refused.cashier_id, at=utcnow()))
            session.add(
                AuditEntry(
                    action="approval.failed",
                    actor_id=refused.cashier_id,
                    approver_id=None,
                    subject_type="approver",
                    subject_id=refused.username[:64],
                    detail=json.dumps({"reason": "wrong username or PIN"}),
                    created_at=utcnow(),
                )
            )
        raise


def _pin_locked(session: Session, username: str, cashier_id: str) -> bool:
    since = utcnow() - PIN_FAILURE_WINDOW
    failures = session.scalar(
        select(func.count())
        .select_from(ApprovalFailure)
        .where(ApprovalFailure.at > since)
        .where(or_(ApprovalFailure.username == username, ApprovalFailure.cashier_id == cashier_id))
    )
    return bool(failures and failures >= PIN_FAILURE_LIMIT)


def pin_lockouts(session: Session) -> list[dict]:
    """The lock-outs of approval by PIN in force, newest first: each approver name (``kind`` ``approver``) and
    each cashier (``cashier``, by user id) with :data:`PIN_FAILURE_LIMIT` wrong PINs or more inside the window;
    how many, since when (the failure that locked it) and until when (the window after the failure whose ageing
    out unlocks it, if no other comes)."""
    since = utcnow() - PIN_FAILURE_WINDOW
    rows = session.execute(
        select(ApprovalFailure.username, ApprovalFailure.cashier_id, ApprovalFailure.at)
        .where(ApprovalFailure.at > since)
        .order_by(ApprovalFailure.at)
    ).all()
    lockouts = []
    for kind, index in (("approver", 0), ("cashier", 1)):
        times: dict[str, list] = {}
        for row in rows:
            times.setdefault(row[index], []).append(row.at)
        for who, at in times.items():
            if len(at) >= PIN_FAILURE_LIMIT:
                lockouts.append(
                    {
                        "kind": kind,
                        "who": who,
                        "failures": len(at),
                        "locked_at": at[PIN_FAILURE_LIMIT - 1].isoformat(),
                        "locked_until": (at[len(at) - PIN_FAILURE_LIMIT] + PIN_FAILURE_WINDOW).isoformat(),
                    }
                )
    return sorted(lockouts, key=lambda lockout: lockout["locked_at"], reverse=True)


def set_pin(session: Session, manager: Principal, pin: str) -> Approver:
    """A manager sets (or changes) the PIN they approve with at the counter; their username is the token's name."""
    username = manager.name or manager.user_id
    holder = session.scalar(select(Approver.user_id).where(Approver.username == username))
    if holder is not None and holder != manager.user_id:
        raise Conflict(f"Another manager already approves as {username!r}.", code=APPROVER_NAME_TAKEN)
    approver = session.get(Approver, manager.user_id)
    if approver is None:
        approver = Approver(user_id=manager.user_id)
        session.add(approver)
    approver.username = username
    approver.pin_hash = hash_secret(pin)
    approver.updated_at = utcnow()
    session.flush()
    return approver


def resolve_approver(
    session: Session, settings: Settings, caller: Principal, approval: dict, purpose: str
) -> Principal:
    """The manager behind ``approval`` given to ``caller`` for ``purpose``: an ``approval_token`` (a short-lived
    grant for exactly this purpose, made by the gateway for a live manager account) or ``username`` + ``pin``.
    403 if it does not hold (:class:`ApprovalRefused` for a wrong PIN), 429 while PIN approval is locked."""
    if approval.get("approval_token"):
        try:
            approver = verify_grant(settings.jwt_secret, approval["approval_token"], purpose)
        except Unauthorized:
            raise Forbidden(
                f"The approval is not a valid, unexpired manager grant for {purpose}.", code=APPROVAL_INVALID
            ) from None
        if approver.role not in APPROVER_ROLES:
            raise Forbidden("The approval token is not a manager's.", code=APPROVAL_INVALID)
        return approver
    username, pin = approval.get("username"), approval.get("pin")
    if not username or not pin:
        raise DomainError(
            "An approval needs a manager token, or a username and PIN.",
            errors={"approval": ["Give approval_token, or username and pin."]},
        )
    if _pin_locked(session, username, caller.user_id):
        raise DomainError(
            "Too many wrong PINs: approval by PIN is locked for a while. Ask a manager to approve on their own "
            "device, or wait.",
            status=429,
            code=APPROVAL_LOCKED,
        )
    approver = session.scalar(select(Approver).where(or_(Approver.username == username, Approver.user_id == username)))
    if not verify_secret(approver.pin_hash if approver else None, pin):
        raise ApprovalRefused(username, caller.user_id)
    return Principal(user_id=approver.user_id, name=approver.username, role="manager")


def required_approver(
    session: Session, settings: Settings, actor: Principal, approval: dict | None, purpose: str, what: str
) -> Principal:
    """A manager's approval for ``what`` (a grant ``purpose``): the actor themself when staff, else the approval
    given (403 without)."""
    if approval:
        return resolve_approver(session, settings, actor, approval, purpose)
    if actor.is_staff:
        return actor
    raise Forbidden(f"{what} needs a manager's approval.", code=APPROVAL_REQUIRED)


def audit(
    session: Session,
    action: str,
    actor: Principal,
    approver: Principal | None,
    subject_type: str,
    subject_id: str,
    detail: dict,
) -> None:
    """Record who did (and who approved) a sensitive action, on what, now."""
    session.add(
        AuditEntry(
            action=action,
            actor_id=actor.user_id,
            approver_id=approver.user_id if approver else None,
            subject_type=subject_type,
            subject_id=subject_id,
            detail=json.dumps(detail, default=str),
            created_at=utcnow(),
        )
    )


def audit_entries(
    session: Session,
    limit: int = 200,
    user_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict]:
    """The newest entries (at most ``limit``), optionally only those a user did or approved, of one action, or in
    ``[since, until)``."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc()).limit(limit)
    if user_id:
        query = query.where(or_(AuditEntry.actor_id == user_id, AuditEntry.approver_id == user_id))
    if action:
        query = query.where(AuditEntry.action == action)
    if since:
        query = query.where(AuditEntry.created_at >= since)
    if until:
        query = query.where(AuditEntry.created_at < until)
    rows = session.scalars(query)
    return [
        {
            "id": e.id,
            "action": e.action,
            "actor_id": e.actor_id,
            "approver_id": e.approver_id,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "detail": json.loads(e.detail),
            "created_at": e.created_at.isoformat(),
        }
        for e in rows
    ]
