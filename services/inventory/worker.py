"""Celery worker entry of the inventory service: ``celery -A services.inventory.worker worker -Q inventory``."""

from services.inventory import rules
from services.inventory.consumers import HANDLERS
from services.inventory.models import messaging
from services.inventory.stock import alerts
from shared.celery_factory import register_consumers
from shared.config import load_settings
from shared.runtime import build_runtime

runtime = build_runtime(load_settings("inventory"), messaging)
app = runtime.celery
register_consumers(app, "inventory", runtime.session_factory, messaging, HANDLERS)


@app.task(name="inventory.scan_alerts", ignore_result=True)
def scan_alerts(near_expiry_days: int = rules.DEFAULT_NEAR_EXPIRY_DAYS) -> int:
    """Raise near-expiry and consignment-ended alerts (send it daily from the beat)."""
    with runtime.transaction() as session:
        return alerts.scan_alerts(session, runtime.settings.outlet_id, near_expiry_days=near_expiry_days)
