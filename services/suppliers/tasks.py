"""Thin Celery entry points of the suppliers service: event consumers and the reconciliation task."""

from __future__ import annotations

from services.suppliers import postings, reconciliation
from services.suppliers.models import messaging
from shared.celery_factory import register_consumers
from shared.runtime import Runtime

RECONCILIATION_TASK = "suppliers.run_reconciliation"

EVENT_HANDLERS = {
    "sale.completed": lambda session, payload, envelope: postings.post_sale(session, payload),
    "sale.refunded": lambda session, payload, envelope: postings.post_refund(session, payload),
    "stock.moved": lambda session, payload, envelope: postings.record_stock_movement(session, payload),
    "stock.alert_raised": lambda session, payload, envelope: postings.record_stock_alert(session, payload),
    "product.upserted": lambda session, payload, envelope: postings.record_product(session, payload),
}


def register_tasks(runtime: Runtime) -> None:
    """Register every task of the service on ``runtime.celery`` (worker and web app alike)."""
    register_consumers(runtime.celery, "suppliers", runtime.session_factory, messaging, EVENT_HANDLERS)

    @runtime.celery.task(
        name=RECONCILIATION_TASK, ignore_result=True, time_limit=280, soft_time_limit=270, shared=False
    )
    def run_reconciliation(reconciliation_id: str) -> None:
        """Fetch POS and inventory data for the reconciliation's period over HTTP and store the report."""
        reconciliation.run(runtime.session_factory, reconciliation_id, reconciliation.HttpSources(runtime.settings))
