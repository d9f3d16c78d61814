"""Thin event handlers of the inventory service: each applies one event through a use case (the claim,
retries and dead letters are done by :func:`shared.celery_factory.register_consumers`); and the managers'
view of dead letters."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.inventory import catalogue, stock
from shared.errors import Conflict, NotFound


def on_supplier_changed(session: Session, payload: dict, envelope: dict) -> None:
    catalogue.upsert_supplier_replica(session, payload, envelope["occurred_at"])


def on_sale_completed(session: Session, payload: dict, envelope: dict) -> None:
    stock.apply_sale(session, payload)


def on_sale_refunded(session: Session, payload: dict, envelope: dict) -> None:
    stock.apply_refund(session, payload)


HANDLERS = {
    "supplier.registered": on_supplier_changed,
    "supplier.updated": on_supplier_changed,
    "sale.completed": on_sale_completed,
    "sale.refunded": on_sale_refunded,
}


def list_dead_letters(session: Session, messaging_tables) -> list:
    table = messaging_tables.dead_letters
    return session.execute(select(table).order_by(table.c.created_at.desc(), table.c.id)).mappings().all()


def retry_dead_letter(session: Session, messaging_tables, dead_letter_id: str):
    """Queue a dead letter for its consumer again; one already retried is a conflict."""
    table = messaging_tables.dead_letters
    row = session.execute(select(table).where(table.c.id == dead_letter_id)).mappings().one_or_none()
    if row is None:
        raise NotFound(f"dead letter {dead_letter_id} not found")
    if not messaging_tables.retry_dead_letter(session, dead_letter_id):
        raise Conflict(f"dead letter {dead_letter_id} was already retried", errors={"status": [row["status"]]})
    return session.execute(select(table).where(table.c.id == dead_letter_id)).mappings().one()
