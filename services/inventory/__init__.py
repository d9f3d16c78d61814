"""The inventory service: products and barcodes, consignment intakes, lots with expiry, the stock movement
ledger, counts (stock opname), returns to supplier and stock alerts."""

from __future__ import annotations

from flask import Flask

from shared.config import Settings, load_settings
from shared.runtime import build_runtime


def create_app(settings: Settings | None = None) -> Flask:
    """App factory (gunicorn: ``services.inventory:create_app()``)."""
    from services.inventory.api import BLUEPRINTS
    from services.inventory.models import messaging
    from shared.web import create_service_app

    runtime = build_runtime(settings or load_settings("inventory"), messaging)
    return create_service_app(
        runtime,
        "Sentra inventory",
        BLUEPRINTS,
        description="Consignment stock from delivery to pickup: products, intakes, lots, FEFO sales, counts, "
        "returns and alerts.",
    )
