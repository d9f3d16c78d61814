"""Use cases of user accounts: log in (with the rate limit), log out, create, change and list users, the
audit log; and the set-up command line::

    python -m services.gateway.accounts create-user --username kasir --role cashier --password ... \
        [--name "Rudi (Kasir)"] [--supplier-id <uuid>]

(an idempotent upsert: running it again updates the user to what was given and reactivates it).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.gateway import rules
from services.gateway.errors import BAD_CREDENTIALS, SELF_LOCKOUT, USERNAME_TAKEN
from services.gateway.models import AuditEntry, LoginAttempt, User
from shared.auth import Principal
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, DomainError, Forbidden
from shared.passwords import hash_secret, needs_rehash, verify_secret


@dataclass(frozen=True)
class Actor:
    """Who performs an account change, and from where (the CLI acts as ``admin`` with no user)."""

    user_id: str | None
    username: str | None
    role: str
    client_ip: str | None = None

    @classmethod
    def of(cls, principal: Principal, username: str | None, client_ip: str | None) -> Actor:
        return cls(principal.user_id, username, principal.role, client_ip)


COMMAND_LINE = Actor(user_id=None, username="command-line", role="admin")


@dataclass(frozen=True)
class LoginOutcome:
    """The result of one login attempt; ``failure`` is None when ``user`` logged in."""

    user: User | None
    failure: str | None = None  # "locked", "bad_credentials", "inactive"
    retry_after_seconds: int = 0


def user_view(user: User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "role": user.role,
        "supplier_id": user.supplier_id,
        "active": user.active,
        "language": user.language,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def record_audit(
    session: Session,
    action: str,
    actor: Actor | None,
    target: User | None = None,
    client_ip: str | None = None,
    **detail,
) -> None:
    session.add(
        AuditEntry(
            action=action,
            actor_user_id=actor.user_id if actor else None,
            actor_username=actor.username if actor else None,
            target_user_id=target.id if target else None,
            client_ip=client_ip or (actor.client_ip if actor else None),
            detail=json.dumps(detail, default=str, sort_keys=True),
        )
    )


def _user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == rules.normalise_username(username))).one_or_none()


def _failures_from(session: Session, client_ip: str, now: datetime) -> list[datetime]:
    """Every failed attempt from ``client_ip`` inside the window, whatever the username (password spraying)."""
    return list(
        session.scalars(
            select(LoginAttempt.at).where(
                LoginAttempt.client_ip == client_ip,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at > now - rules.LOGIN_FAILURE_WINDOW,
            )
        )
    )


def _failures_since_last_success(session: Session, username: str, client_ip: str, now: datetime) -> list[datetime]:
    """The failed attempts that count towards the limit; attempts older than the window are pruned (the audit
    log keeps the history)."""
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.username == username,
            LoginAttempt.client_ip == client_ip,
            LoginAttempt.at <= now - rules.LOGIN_FAILURE_WINDOW,
        )
    )
    attempts = session.execute(
        select(LoginAttempt.at, LoginAttempt.succeeded)
        .where(
            LoginAttempt.username == username,
            LoginAttempt.client_ip == client_ip,
            LoginAttempt.at > now - rules.LOGIN_FAILURE_WINDOW,
        )
        .order_by(LoginAttempt.at)
    ).all()
    failures: list[datetime] = []
    for at, succeeded in attempts:
        failures = [] if succeeded else failures + [at]
    return failures


def attempt_login(session: Session, username: str, password: str, client_ip: str) -> LoginOutcome:
    """Check ``username``/``password`` from ``client_ip``; every attempt is recorded (and audited) whatever
    the outcome, so the caller must commit before turning a failure into an error response."""
    now = utcnow()
    username = rules.normalise_username(username)[:64]
    verdict = rules.login_limit(_failures_since_last_success(session, username, client_ip, now), now)
    if not verdict.locked:
        verdict = rules.login_limit(_failures_from(session, client_ip, now), now, rules.ADDRESS_FAILURE_LIMIT)
    if verdict.locked:
        record_audit(session, "login.locked", None, client_ip=client_ip, username=username)
        return LoginOutcome(None, "locked", verdict.retry_after_seconds)
    user = _user_by_username(session, username)
    password_ok = verify_secret(user.password_hash if user else None, password)
    if not (user and password_ok):
        session.add(LoginAttempt(username=username, client_ip=client_ip, succeeded=False, at=now))
        record_audit(session, "login.failed", None, user, client_ip=client_ip, username=username)
        return LoginOutcome(None, BAD_CREDENTIALS)
    if not user.active:
        record_audit(session, "login.refused_inactive", None, user, client_ip=client_ip, username=username)
        return LoginOutcome(None, "inactive")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_secret(password)
    session.add(LoginAttempt(username=username, client_ip=client_ip, succeeded=True, at=now))
    record_audit(session, "login.succeeded", Actor(user.id, user.username, user.role), user, client_ip=client_ip)
    return LoginOutcome(user)


def log_out(session: Session, user_id: str, actor: Actor) -> None:
    """End every session of the user: tokens issued before now are refused by the gateway."""
    user = session.get(User, user_id)
    if user is None:
        return
    user.tokens_valid_after = utcnow()
    record_audit(session, "logout", actor, user)


def remember_language(session: Session, user_id: str, language: str) -> None:
    """The page language ``user_id`` chose with the switch: their pages follow it from now on, on any device."""
    user = session.get(User, user_id)
    if user is not None and user.language != language:
        user.language = language


def token_still_valid(session: Session, user_id: str, issued_at_ms: int) -> User | None:
    """The active user a token belongs to, or None when the user is gone, deactivated, or the token was issued
    (Unix milliseconds) no later than the end of the user's sessions (log-out, password reset, deactivation)."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    if issued_at_ms <= int(user.tokens_valid_after.timestamp() * 1000):
        return None
    return user


def _check_new_fields(role: str, supplier_id: str | None, password: str | None) -> None:
    errors = {}
    if role not in rules.USER_ROLES:
        errors["role"] = [f"One of {', '.join(rules.USER_ROLES)}."]
    link = rules.supplier_link_problem(role, supplier_id)
    if link:
        errors["supplier_id"] = [link]
    if password is not None:
        weak = rules.password_problem(password)
        if weak:
            errors["password"] = [weak]
    if errors:
        raise DomainError("The request has invalid fields.", errors=errors)


def create_user(session: Session, data: dict, actor: Actor) -> dict:
    """A new account; managers may create cashier and supplier users, admins any role."""
    username = rules.normalise_username(data["username"])
    bad_name = rules.username_problem(username)
    if bad_name:
        raise DomainError("The request has invalid fields.", errors={"username": [bad_name]})
    role, supplier_id = data["role"], data.get("supplier_id")
    _check_new_fields(role, supplier_id, data["password"])
    if not rules.may_manage(actor.role, role):
        raise Forbidden(f"a {actor.role} may not create {role} users")
    if _user_by_username(session, username) is not None:
        raise Conflict(f"username {username!r} is taken", code=USERNAME_TAKEN)
    user = User(
        username=username,
        name=data.get("name") or username,
        role=role,
        supplier_id=supplier_id,
        password_hash=hash_secret(data["password"]),
        active=True,
    )
    session.add(user)
    session.flush()
    record_audit(session, "user.created", actor, user, username=username, role=role, supplier_id=supplier_id)
    return user_view(user)


def upsert_user(
    session: Session,
    username: str,
    name: str | None,
    role: str,
    password: str,
    supplier_id: str | None = None,
    actor: Actor = COMMAND_LINE,
) -> tuple[dict, bool]:
    """Create the user or bring it to exactly these values (reactivated); returns (user, created)."""
    username = rules.normalise_username(username)
    bad_name = rules.username_problem(username)
    if bad_name:
        raise DomainError("The request has invalid fields.", errors={"username": [bad_name]})
    existing = _user_by_username(session, username)
    if existing is None:
        return create_user(
            session,
            {"username": username, "name": name, "role": role, "password": password, "supplier_id": supplier_id},
            actor,
        ), True
    _check_new_fields(role, supplier_id, password)
    existing.name = name or existing.name
    existing.role = role
    existing.supplier_id = supplier_id
    existing.active = True
    if not verify_secret(existing.password_hash, password):
        existing.password_hash = hash_secret(password)
        existing.tokens_valid_after = utcnow()
    existing.updated_at = utcnow()
    record_audit(session, "user.upserted", actor, existing, role=role, supplier_id=supplier_id)
    return user_view(existing), False


def list_users(session: Session, role: str | None = None, active: bool | None = None) -> list[dict]:
    query = select(User).order_by(User.role, User.username)
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    return [user_view(u) for u in session.scalars(query)]


def get_user(session: Session, user_id: str) -> dict:
    return user_view(get_or_404(session, User, user_id, what="user"))


def change_user(session: Session, user_id: str, changes: dict, actor: Actor) -> dict:
    """Rename, (de)activate, reset the password, or (admins) change role and supplier link. Deactivating and
    resetting the password end the user's current sessions."""
    user = get_or_404(session, User, user_id, what="user")
    if not rules.may_manage(actor.role, user.role):
        raise Forbidden(f"a {actor.role} may not change {user.role} users")
    new_role = changes.get("role", user.role)
    new_supplier = changes["supplier_id"] if "supplier_id" in changes else user.supplier_id
    if (new_role, new_supplier) != (user.role, user.supplier_id) and not rules.may_relink(actor.role):
        raise Forbidden("Only an admin may change a user's role or supplier.")
    if "role" in changes and not rules.may_manage(actor.role, new_role):
        raise Forbidden(f"a {actor.role} may not make {new_role} users")
    if user.id == actor.user_id and (changes.get("active") is False or new_role != user.role):
        raise DomainError("You cannot deactivate yourself or change your own role.", code=SELF_LOCKOUT)
    _check_new_fields(new_role, new_supplier, changes.get("password"))
    audited = {k: v for k, v in changes.items() if k != "password"}
    if "password" in changes:
        user.password_hash = hash_secret(changes["password"])
        user.tokens_valid_after = utcnow()
        audited["password_reset"] = True
    if changes.get("active") is False and user.active:
        user.tokens_valid_after = utcnow()
    if "active" in changes:
        user.active = changes["active"]
    if "name" in changes:
        user.name = changes["name"]
    user.role, user.supplier_id = new_role, new_supplier
    user.updated_at = utcnow()
    record_audit(session, "user.changed", actor, user, **audited)
    return user_view(user)


def audit_entries(
    session: Session,
    limit: int = 100,
    actor_user_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict]:
    """The newest entries (at most ``limit``), optionally only by one user, of one action, or in ``[since,
    until)``."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc()).limit(limit)
    if actor_user_id:
        query = query.where(AuditEntry.actor_user_id == actor_user_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    rows = session.scalars(query)
    return [
        {
            "id": e.id,
            "at": e.at,
            "action": e.action,
            "actor_user_id": e.actor_user_id,
            "actor_username": e.actor_username,
            "target_user_id": e.target_user_id,
            "client_ip": e.client_ip,
            "detail": json.loads(e.detail or "{}"),
        }
        for e in rows
    ]


def main(argv: list[str] | None = None) -> int:
    """The set-up command line (see the module docstring)."""
    from shared.config import load_settings
    from shared.db import make_engine, make_session_factory, transaction
    from shared.migrations import upgrade

    parser = argparse.ArgumentParser(prog="python -m services.gateway.accounts")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create or update a user (idempotent)")
    create.add_argument("--username", required=True)
    create.add_argument("--name")
    create.add_argument("--role", required=True, choices=rules.USER_ROLES)
    create.add_argument("--password", required=True)
    create.add_argument("--supplier-id")
    args = parser.parse_args(argv)

    settings = load_settings("gateway")
    upgrade("gateway", settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            user, created = upsert_user(session, args.username, args.name, args.role, args.password, args.supplier_id)
    except DomainError as exc:
        print(f"error: {exc.detail} {json.dumps(exc.errors) if exc.errors else ''}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"{'created' if created else 'updated'} {user['role']} {user['username']} ({user['id']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
