"""What one service process holds: settings, database, Celery app and, for services that exchange events, the
messaging tables and the outbox relay. :func:`current_runtime` is how a view reaches it."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta

from celery import Celery
from flask import Flask, current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from shared.celery_factory import (
    Deadlines,
    make_celery,
    register_confirmations,
    register_outbox_sweep,
    register_purge,
)
from shared.config import Settings
from shared.db import make_engine, make_session_factory, transaction
from shared.logs import configure_logging
from shared.messaging import Messaging, OutboxRelay
from shared.passwords import use_cost

#: Where :func:`shared.web.create_service_app` keeps the runtime on the Flask app.
EXTENSION_KEY = "sentra"


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    celery: Celery
    messaging: Messaging | None = None
    relay: OutboxRelay | None = None

    def transaction(self) -> AbstractContextManager[Session]:
        """A unit of work on this service's database (commit on success, roll back on error)."""
        return transaction(self.session_factory)


def build_runtime(settings: Settings, messaging: Messaging | None = None) -> Runtime:
    """Wire a service's logging, password hashing cost, database and Celery app; with ``messaging``, also the
    outbox relay (woken after each commit that wrote events), its periodic sweep, the task its consumers confirm
    events with and the daily purge of what is older than the retention.

    The service's models (imported by now) are configured here, at start: SQLAlchemy otherwise configures them on
    first use, inside a request or a task, and a configuration interrupted there (a task's soft time limit, e.g.
    after a worker hung past it) leaves every mapper failed for the life of the process."""
    configure_logging(settings.service, settings.log_json, settings.log_level)
    use_cost(settings.password_hashing)
    configure_mappers()
    engine = make_engine(settings.database_url, busy_timeout=settings.db_busy_timeout)
    session_factory = make_session_factory(engine)
    celery = make_celery(settings.service, settings.redis_url, Deadlines(settings.visibility_timeout))
    relay = None
    if messaging is not None:
        relay = OutboxRelay(
            engine,
            messaging,
            celery,
            confirm_deadline=timedelta(seconds=settings.confirm_deadline),
            retention=timedelta(days=settings.outbox_retention_days),
        )
        relay.attach(session_factory)
        register_outbox_sweep(celery, settings.service, relay, settings.outbox_sweep_older_than)
        register_confirmations(celery, settings.service, session_factory, messaging)
        register_purge(celery, settings.service, session_factory, messaging, timedelta(days=settings.retention_days))
    return Runtime(settings, engine, session_factory, celery, messaging, relay)


def runtime_of(app: Flask) -> Runtime:
    """The runtime of the service ``app`` serves."""
    runtime: Runtime = app.extensions[EXTENSION_KEY]
    return runtime


def current_runtime() -> Runtime:
    """The runtime of the service handling the current request."""
    return runtime_of(current_app)
