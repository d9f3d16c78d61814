"""The POS service: registers, shifts, the catalogue replica, sales, payments, receipts, refunds, reports."""

from __future__ import annotations

from flask import Flask

from shared.config import Settings, load_settings
from shared.runtime import build_runtime


def create_app(settings: Settings | None = None) -> Flask:
    """App factory (gunicorn: ``services.pos:create_app()``)."""
    from services.pos.api import BLUEPRINTS
    from services.pos.models import messaging
    from shared.web import create_service_app

    runtime = build_runtime(settings or load_settings("pos"), messaging)
    return create_service_app(
        runtime,
        "Sentra POS",
        BLUEPRINTS,
        description="The counter: fast, exact to the rupiah, working with Redis down.",
    )
