"""Thin event handlers of the inventory service: each applies one event through a use case (the claim,
retries and dead letters are done by :func:`shared.celery_factory.register_consumers`).

A sale and a refund are also claimed by their business key (``sale:<id>``, ``refund:<id>``) in the same
transaction, so the same fact published again under a new event id changes stock once.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.inventory import catalogue
from services.inventory.models import messaging
from services.inventory.stock import sales


def on_supplier_changed(session: Session, payload: dict, envelope: dict) -> None:
    catalogue.upsert_supplier_replica(session, payload, envelope["occurred_at"])


def on_sale_completed(session: Session, payload: dict, envelope: dict) -> None:
    if messaging.claim_key(session, f"sale:{payload['sale_id']}"):
        sales.apply_sale(session, payload)


def on_sale_refunded(session: Session, payload: dict, envelope: dict) -> None:
    if messaging.claim_key(session, f"refund:{payload['refund_id']}"):
        sales.apply_refund(session, payload)


HANDLERS = {
    "supplier.registered": on_supplier_changed,
    "supplier.updated": on_supplier_changed,
    "sale.completed": on_sale_completed,
    "sale.refunded": on_sale_refunded,
}
