"""Tables of the gateway service (its own database).

- ``users``: accounts with an argon2 password hash, a role, the supplier a supplier user belongs to, an active
  flag, and ``tokens_valid_after``: tokens issued before it (a deactivation, a password reset, a log-out) are
  refused by the gateway; ``language``, the page language the user last chose with the ``ID | EN`` switch (none
  until they choose: the browser's cookie, else Bahasa Indonesia).
- ``login_attempts``: every login attempt (username, client address, outcome), what the rate limit counts; being
  in the database it holds across gunicorn workers and does not depend on Redis.
- ``audit_log``: logins, log-outs and every change to an account, with who and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import IdString, UTCDateTime, new_id, utcnow


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    supplier_id: Mapped[str | None] = mapped_column(IdString)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    tokens_valid_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_ip_at", "username", "client_ip", "at"),
        Index("ix_login_attempts_ip_at", "client_ip", "at"),
    )

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    actor_user_id: Mapped[str | None] = mapped_column(String(64))
    actor_username: Mapped[str | None] = mapped_column(String(64))
    target_user_id: Mapped[str | None] = mapped_column(IdString)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")
