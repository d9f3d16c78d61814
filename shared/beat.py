"""The one Celery beat of the platform: ``celery -A shared.beat beat``.

It only sends each service's ``<service>.outbox_sweep`` to that service's queue (schedule in
:func:`shared.celery_factory.make_celery`). Run exactly one (two beats run every schedule twice).
"""

from shared.celery_factory import make_celery
from shared.config import load_settings

app = make_celery("beat", load_settings("gateway").redis_url)
