"""Thin event handlers of the POS service: the catalogue replica follows ``product.upserted`` and the suppliers'
status events (the claim, retries and dead letters are done by :func:`shared.celery_factory.register_consumers`)."""

from __future__ import annotations

from services.pos import catalogue
from shared.celery_factory import Handler

HANDLERS: dict[str, Handler] = {
    "product.upserted": catalogue.apply_product_upserted,
    "supplier.registered": catalogue.apply_supplier_changed,
    "supplier.updated": catalogue.apply_supplier_changed,
}
