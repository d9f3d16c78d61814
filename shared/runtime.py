"""What one service process holds: settings, database, messaging tables, Celery app and outbox relay."""

from __future__ import annotations

from dataclasses import dataclass

from celery import Celery
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.celery_factory import make_celery, register_outbox_sweep
from shared.config import Settings
from shared.db import make_engine, make_session_factory, transaction
from shared.logs import configure_logging
from shared.messaging import Messaging, OutboxRelay


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    messaging: Messaging
    celery: Celery
    relay: OutboxRelay

    def transaction(self):
        """A unit of work on this service's database (commit on success, roll back on error)."""
        return transaction(self.session_factory)


def build_runtime(settings: Settings, messaging: Messaging) -> Runtime:
    """Wire a service's logging, database, Celery app and relay; the relay wakes after each commit with events."""
    configure_logging(settings.service, settings.log_json)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    celery = make_celery(settings.service, settings.redis_url)
    relay = OutboxRelay(engine, messaging, celery)
    messaging.notify_after_commit(session_factory, relay.kick)
    register_outbox_sweep(celery, settings.service, relay)
    return Runtime(settings, engine, session_factory, messaging, celery, relay)
