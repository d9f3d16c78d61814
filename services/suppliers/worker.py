"""Celery worker entry of the suppliers service: ``celery -A services.suppliers.worker worker -Q suppliers``."""

from services.suppliers import consumers, reconciliation
from services.suppliers.consumers import HANDLERS
from services.suppliers.models import messaging
from shared.celery_factory import confirm_to_producer, deadlines_of, register_consumers
from shared.config import load_settings
from shared.messaging import MAX_ATTEMPTS
from shared.runtime import build_runtime

#: A reconciliation makes three HTTP fetches of up to ``reconciliation.FETCH_TIMEOUT`` each, then compares:
#: minutes, not the seconds of an event consumer. Longer than the broker's visibility timeout, so a long
#: reconciliation may be handed to a worker a second time while it runs: harmless, the report is stored once
#: (``reconciliation.run`` stores only on a reconciliation still queued). At the soft limit it is stored as failed.
RECONCILIATION_TIME_LIMIT = 280
RECONCILIATION_SOFT_TIME_LIMIT = 270

runtime = build_runtime(load_settings("suppliers"), messaging)
app = runtime.celery
register_consumers(app, "suppliers", runtime.session_factory, messaging, HANDLERS)


@app.task(
    name=consumers.RECONCILIATION_CONSUMER,
    ignore_result=True,
    time_limit=RECONCILIATION_TIME_LIMIT,
    soft_time_limit=RECONCILIATION_SOFT_TIME_LIMIT,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=int(deadlines_of(app).max_retry_countdown),
    max_retries=MAX_ATTEMPTS,
    shared=False,
)
def on_reconciliation_requested(envelopes: list[dict], confirm_to: str | None = None) -> None:
    """Run the requested reconciliations, fetching the POS's and inventory's records over HTTP, then confirm them
    to ``confirm_to`` (the outbox that sent them). Only a failure to store an outcome (e.g. the database is down)
    raises: the batch is retried with backoff, and what was stored meanwhile is skipped."""
    consumers.on_reconciliation_requested(
        runtime.session_factory, reconciliation.HttpSources(runtime.settings), envelopes
    )
    event_ids = [str(envelope.get("event_id")) for envelope in envelopes if isinstance(envelope, dict)]
    confirm_to_producer(app, consumers.RECONCILIATION_CONSUMER, confirm_to, event_ids)
