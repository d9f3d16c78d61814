"""Use cases: manager approval at the counter (a manager's token or username + PIN) and the audit log."""

from __future__ import annotations

import json

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.pos.errors import APPROVAL_INVALID, APPROVAL_REQUIRED, APPROVER_NAME_TAKEN
from services.pos.models import Approver, AuditEntry
from shared.auth import Principal, Unauthorized, verify_token
from shared.config import Settings
from shared.db import utcnow
from shared.errors import Conflict, DomainError, Forbidden

APPROVER_ROLES = ("manager", "admin")
_hasher = PasswordHasher()


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
    approver.pin_hash = _hasher.hash(pin)
    approver.updated_at = utcnow()
    session.flush()
    return approver


def resolve_approver(session: Session, settings: Settings, approval: dict) -> Principal:
    """The manager behind ``approval`` (``approval_token`` or ``username`` + ``pin``); 403 if it does not hold."""
    if approval.get("approval_token"):
        try:
            approver = verify_token(settings.jwt_secret, approval["approval_token"])
        except Unauthorized:
            raise Forbidden("The approval token is not valid.", code=APPROVAL_INVALID) from None
        if approver.role not in APPROVER_ROLES:
            raise Forbidden("The approval token is not a manager's.", code=APPROVAL_INVALID)
        return approver
    username, pin = approval.get("username"), approval.get("pin")
    if not username or not pin:
        raise DomainError(
            "An approval needs a manager token, or a username and PIN.",
            errors={"approval": ["Give approval_token, or username and pin."]},
        )
    approver = session.scalar(select(Approver).where(or_(Approver.username == username, Approver.user_id == username)))
    try:
        if approver is None or not _hasher.verify(approver.pin_hash, pin):
            raise VerificationError()
    except (VerificationError, InvalidHashError):
        raise Forbidden("The manager's username or PIN is wrong.", code=APPROVAL_INVALID) from None
    return Principal(user_id=approver.user_id, name=approver.username, role="manager")


def required_approver(
    session: Session, settings: Settings, actor: Principal, approval: dict | None, what: str
) -> Principal:
    """A manager's approval for ``what``: the actor themself when staff, else the approval given (403 without)."""
    if approval:
        return resolve_approver(session, settings, approval)
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


def audit_entries(session: Session, limit: int = 200) -> list[dict]:
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.created_at.desc()).limit(limit))
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
