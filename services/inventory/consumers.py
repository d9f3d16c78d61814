"""Thin event handlers of the inventory service: each applies one event through a use case (the claim,
retries and dead letters are done by :func:`shared.celery_factory.register_consumers`).

A sale or a refund already in the stock ledger (its movements name it) is skipped by the use case, so the same
fact published again under a new event id changes stock once; sales need no processed-event row for it
(:class:`~shared.celery_factory.FactHandler`). A refund of goods back to stock whose sale has not
arrived is parked until it has; a sale of a product inventory does not have (inventory owns products: none can
arrive later) is rejected to the dead letters.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.inventory import catalogue
from services.inventory.models import MovementKind
from services.inventory.stock import sales
from shared.celery_factory import Event, FactHandler, Handler, Park, each


def on_supplier_changed(session: Session, payload: dict, envelope: dict) -> None:
    catalogue.upsert_supplier_replica(session, payload, envelope["occurred_at"])


def on_sales_completed(session: Session, events: list[Event]) -> None:
    """Applied together (:func:`sales.apply_sales`, which skips a sale applied before). A sale of a product
    inventory does not have is rejected: the batch then falls back to one event at a time, and that sale alone
    goes to the dead letters."""
    sales.apply_sales(session, [payload for payload, _ in events])


def on_sale_refunded(session: Session, payload: dict, envelope: dict) -> None:
    if payload["back_to_stock"] and not sales.is_applied(session, MovementKind.SALE, payload["sale_id"]):
        raise Park(f"sale:{payload['sale_id']}")
    sales.apply_refund(session, payload)


HANDLERS: dict[str, Handler] = {
    "supplier.registered": each(on_supplier_changed),
    "supplier.updated": each(on_supplier_changed),
    "sale.completed": FactHandler(
        on_sales_completed, lambda session, sale: sales.is_applied(session, MovementKind.SALE, sale["sale_id"])
    ),
    "sale.refunded": each(on_sale_refunded),
}
