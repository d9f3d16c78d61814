"""Use cases over the events this service failed to apply after the last attempt (for managers to see and retry)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.suppliers.models import messaging
from shared.errors import Conflict, NotFound


def list_dead_letters(session: Session) -> list:
    table = messaging.dead_letters
    return session.execute(select(table).order_by(table.c.created_at.desc(), table.c.id)).mappings().all()


def retry_dead_letter(session: Session, dead_letter_id: str):
    """Queue a dead letter for its consumer again (through the outbox); one already retried is a conflict."""
    table = messaging.dead_letters
    row = session.execute(select(table).where(table.c.id == dead_letter_id)).mappings().one_or_none()
    if row is None:
        raise NotFound(f"dead letter {dead_letter_id} not found")
    if not messaging.retry_dead_letter(session, dead_letter_id):
        raise Conflict(f"dead letter {dead_letter_id} was already retried", errors={"status": [row["status"]]})
    return session.execute(select(table).where(table.c.id == dead_letter_id)).mappings().one()
