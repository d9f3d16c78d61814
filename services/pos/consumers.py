"""Thin event handlers of the POS service: the catalogue replica follows ``product.upserted`` and the suppliers'
status events (the claim, retries and dead letters are done by :func:`shared.celery_factory.register_consumers`)."""

from __future__ import annotations

from services.pos import catalogue
from shared.celery_factory import Handler, each

HANDLERS: dict[str, Handler] = {
    "product.upserted": each(catalogue.apply_product_upserted),
    "supplier.registered": each(catalogue.apply_supplier_changed),
    "supplier.updated": each(catalogue.apply_supplier_changed),
}
