"""Thin event handlers of the inventory service: each applies one event through a use case (the claim,
retries and dead letters are done by :func:`shared.celery_factory.register_consumers`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.inventory import catalogue
from services.inventory.stock import sales
from shared.celery_factory import Handler


def on_supplier_changed(session: Session, payload: dict, envelope: dict) -> None:
    catalogue.upsert_supplier_replica(session, payload, envelope["occurred_at"])


def on_sale_completed(session: Session, payload: dict, envelope: dict) -> None:
    sales.apply_sale(session, payload)


def on_sale_refunded(session: Session, payload: dict, envelope: dict) -> None:
    sales.apply_refund(session, payload)


HANDLERS: dict[str, Handler] = {
    "supplier.registered": on_supplier_changed,
    "supplier.updated": on_supplier_changed,
    "sale.completed": on_sale_completed,
    "sale.refunded": on_sale_refunded,
}
