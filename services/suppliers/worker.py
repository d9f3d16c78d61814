"""Celery worker entry of the suppliers service: ``celery -A services.suppliers.worker worker -Q suppliers``."""

from services.suppliers.models import messaging
from services.suppliers.tasks import register_tasks
from shared.config import load_settings
from shared.runtime import build_runtime

runtime = build_runtime(load_settings("suppliers"), messaging)
app = runtime.celery
register_tasks(runtime)
