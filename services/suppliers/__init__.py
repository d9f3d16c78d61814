"""The suppliers service: supplier profiles and agreements, the consignment ledger, payouts, reconciliation."""

from __future__ import annotations

from flask import Flask

from shared.config import Settings, load_settings
from shared.runtime import build_runtime


def create_app(settings: Settings | None = None) -> Flask:
    """App factory (gunicorn: ``services.suppliers:create_app()``)."""
    from services.suppliers.api import BLUEPRINTS
    from services.suppliers.models import messaging
    from shared.web import create_service_app

    runtime = build_runtime(settings or load_settings("suppliers"), messaging)
    return create_service_app(
        runtime,
        "Sentra suppliers",
        BLUEPRINTS,
        description="UMKM suppliers, consignment agreements, the double-entry ledger, statements, payouts and "
        "reconciliation.",
    )
