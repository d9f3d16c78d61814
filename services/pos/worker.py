"""Celery worker entry of the POS service: ``celery -A services.pos.worker worker -Q pos``.

Consumes the catalogue feed (``product.upserted``) and supplier status (``supplier.registered/updated``);
runs ``pos.outbox_sweep`` when the beat sends it.
"""

from services.pos.consumers import HANDLERS
from services.pos.models import messaging
from shared.celery_factory import register_consumers
from shared.config import load_settings
from shared.runtime import build_runtime

runtime = build_runtime(load_settings("pos"), messaging)
app = runtime.celery
register_consumers(app, "pos", runtime.session_factory, messaging, HANDLERS)
