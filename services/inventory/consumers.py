"""Thin event handlers of the inventory service: each applies one event through a use case (the claim,
retries and dead letters are done by :func:`shared.celery_factory.register_consumers`).

A sale and a refund are also claimed by their business key (``sale:<id>``, ``refund:<id>``) in the same
transaction, so the same fact published again under a new event id changes stock once. A refund of goods back to
stock whose sale has not arrived is parked until it has; a sale of a product inventory does not have (inventory
owns products: none can arrive later) is rejected to the dead letters.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.inventory import catalogue
from services.inventory.models import Product, messaging
from services.inventory.stock import sales
from shared.celery_factory import Handler, Park, Rejected


def on_supplier_changed(session: Session, payload: dict, envelope: dict) -> None:
    catalogue.upsert_supplier_replica(session, payload, envelope["occurred_at"])


def on_sale_completed(session: Session, payload: dict, envelope: dict) -> None:
    product_ids = {str(line["product_id"]) for line in payload["lines"]}
    known = set(session.scalars(select(Product.id).where(Product.id.in_(product_ids))))
    if product_ids - known:
        raise Rejected(f"sale {payload['sale_id']} has products inventory does not have: {sorted(product_ids - known)}")
    if messaging.claim_key(session, f"sale:{payload['sale_id']}"):
        sales.apply_sale(session, payload)


def on_sale_refunded(session: Session, payload: dict, envelope: dict) -> None:
    sale_key = f"sale:{payload['sale_id']}"
    if payload["back_to_stock"] and not messaging.is_claimed(session, sale_key):
        raise Park(sale_key)
    if messaging.claim_key(session, f"refund:{payload['refund_id']}"):
        sales.apply_refund(session, payload)


HANDLERS: dict[str, Handler] = {
    "supplier.registered": on_supplier_changed,
    "supplier.updated": on_supplier_changed,
    "sale.completed": on_sale_completed,
    "sale.refunded": on_sale_refunded,
}
