"""Thin event handlers of the suppliers service.

:data:`HANDLERS` each apply one event through a use case, inside the transaction that claims it (the claim,
retries and dead letters are done by :func:`shared.celery_factory.register_consumers`). A sale is its own
claim: its journal entry's source is unique, so it needs no processed-event row
(:class:`~shared.celery_factory.FactHandler`).

``reconciliation.requested`` is consumed by :func:`on_reconciliation_requested` instead, which the worker
registers as a task of its own: see there why.
"""

from __future__ import annotations

import logging

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.suppliers import ledger, postings, reconciliation
from services.suppliers.models import Supplier, messaging
from shared.celery_factory import Event, FactHandler, Handler, Park, each
from shared.db import transaction
from shared.events import contract, load_event

log = logging.getLogger(__name__)


def on_sales_completed(session: Session, events: list[Event]) -> None:
    """Posted together (:func:`postings.post_sales`) under the terms of each line's supplier. A sale naming a
    supplier not registered here is waited for (parked: the batch falls back to one event at a time, and that
    sale alone is parked), never posted on default terms."""
    sold = [payload for payload, _ in events]
    supplier_ids = {str(line["supplier_id"]) for sale in sold for line in sale["lines"]}
    missing = supplier_ids - set(session.scalars(select(Supplier.id).where(Supplier.id.in_(supplier_ids))))
    if missing:
        raise Park(f"supplier:{sorted(missing)[0]}")
    postings.post_sales(session, sold)


def on_sale_refunded(session: Session, payload: dict, envelope: dict) -> None:
    """Reverses its sale's postings: parked until the sale is posted."""
    if not ledger.is_posted(session, "sale", payload["sale_id"]):
        raise Park(f"sale:{payload['sale_id']}")
    postings.post_refund(session, payload)


def on_stocks_moved(session: Session, events: list[Event]) -> None:
    """Every movement of every event, recorded together (:func:`postings.record_stock_movements`)."""
    postings.record_stock_movements(session, [movement for payload, _ in events for movement in payload["movements"]])


def on_stock_alert_raised(session: Session, payload: dict, envelope: dict) -> None:
    postings.record_stock_alert(session, payload)


def on_lot_received(session: Session, payload: dict, envelope: dict) -> None:
    postings.record_lot(session, payload)


def on_product_upserted(session: Session, payload: dict, envelope: dict) -> None:
    postings.record_product(session, payload)


HANDLERS: dict[str, Handler] = {
    "sale.completed": FactHandler(
        on_sales_completed, lambda session, sale: ledger.is_posted(session, "sale", sale["sale_id"])
    ),
    "sale.refunded": each(on_sale_refunded),
    "stock.moved": on_stocks_moved,
    "stock.alert_raised": each(on_stock_alert_raised),
    "lot.received": each(on_lot_received),
    "product.upserted": each(on_product_upserted),
}

#: The Celery task that consumes ``reconciliation.requested`` (``suppliers.on_reconciliation_requested``).
RECONCILIATION_CONSUMER = contract(reconciliation.REQUESTED).task_name("suppliers")


def on_reconciliation_requested(
    session_factory: sessionmaker[Session], sources: reconciliation.Sources, envelopes: list[dict]
) -> None:
    """Run each requested reconciliation that is still queued (:func:`reconciliation.run`).

    Not one of :data:`HANDLERS`, because :func:`~shared.celery_factory.register_consumers` runs a handler
    inside the transaction that claims its event and under the 60 s limit of every consumer task, while a
    reconciliation fetches the POS's and inventory's records over HTTP for up to minutes: that must not hold a
    database transaction open (on SQLite, the write lock of the whole database), and it needs the longer time
    limit the worker gives this task. A failed fetch is the reconciliation's outcome (stored as ``failed``), not
    an event to retry and dead-letter. Idempotent without a claim: a reconciliation no longer queued is skipped.
    An envelope that breaks its contract goes to the dead letters at once.
    """
    for envelope in envelopes:
        try:
            _, payload = load_event(envelope)
        except (ValidationError, KeyError) as exc:
            log.error("%s dead-lettered event %s: %s", RECONCILIATION_CONSUMER, envelope.get("event_id"), exc)
            with transaction(session_factory) as session:
                messaging.dead_letter(session, RECONCILIATION_CONSUMER, envelope, f"invalid event: {exc}", 1)
            continue
        reconciliation.run(session_factory, str(payload["reconciliation_id"]), sources)
