"""The suppliers app fixtures (a pytest plugin, see tests/conftest.py), builders of the events the suppliers
service consumes, in-process delivery through its real consumer tasks, and a small real HTTP server standing
in for the POS and inventory reconciliation endpoints.

``with_consumers`` registers the suppliers consumer tasks on an app's Celery app, as the worker does;
``deliver`` wraps a payload in a real envelope (``shared.events.build_envelope``, validated against the
contract) and runs that task synchronously: the same claim, handler and transaction a worker runs. A task that
asks to be retried raises its ``RetryLater`` here. ``run_requested_reconciliations`` does what the worker does
with the ``reconciliation.requested`` events the app recorded in its outbox.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from services.suppliers import create_app, reconciliation
from services.suppliers.consumers import HANDLERS, on_reconciliation_requested
from shared.auth import verify_access_token
from shared.celery_factory import register_consumers
from shared.config import DEFAULT_OUTLET_ID
from shared.events import build_envelope, contract
from tests.support import TEST_JWT_SECRET, ServedApp

REGISTER_ID = "00000000-0000-4000-8000-0000000000aa"


@pytest.fixture
def suppliers_app(make_settings):
    """The suppliers app on a fresh migrated database (a pytest plugin fixture, see tests/conftest.py)."""
    app = with_consumers(create_app(make_settings("suppliers")))
    yield app
    app.extensions["sentra"].engine.dispose()


@pytest.fixture
def suppliers_client(suppliers_app):
    return suppliers_app.test_client()


def new_uuid() -> str:
    return str(uuid.uuid4())


def at(days_ago: float = 0, base: datetime | None = None) -> datetime:
    return (base or datetime.now(UTC)) - timedelta(days=days_ago)


def sale(
    lines: list[tuple[str, str, int, int]],
    completed_at: datetime | None = None,
    sale_id: str | None = None,
    receipt_no: str = "R-0001",
) -> dict:
    """``lines``: ``(supplier_id, product_id, qty, unit_price)``; line total = qty × unit price."""
    built = []
    for supplier_id, product_id, qty, unit_price in lines:
        built.append(
            {
                "line_id": new_uuid(),
                "product_id": product_id,
                "supplier_id": supplier_id,
                "qty": qty,
                "unit_price": unit_price,
                "discount": 0,
                "line_total": qty * unit_price,
                "name": "",
            }
        )
    return {
        "sale_id": sale_id or new_uuid(),
        "receipt_no": receipt_no,
        "outlet_id": DEFAULT_OUTLET_ID,
        "register_id": REGISTER_ID,
        "cashier_id": "kasir",
        "completed_at": (completed_at or at()).isoformat(),
        "total": sum(line["line_total"] for line in built),
        "lines": built,
    }


def refund(
    of_sale: dict, lines: list[tuple[int, int, int]], refunded_at: datetime | None = None, refund_id: str | None = None
) -> dict:
    """``lines``: ``(index of the sale line, qty, amount)``."""
    built = []
    for index, qty, amount in lines:
        line = of_sale["lines"][index]
        built.append(
            {
                "sale_line_id": line["line_id"],
                "product_id": line["product_id"],
                "supplier_id": line["supplier_id"],
                "qty": qty,
                "amount": amount,
            }
        )
    return {
        "refund_id": refund_id or new_uuid(),
        "sale_id": of_sale["sale_id"],
        "receipt_no": of_sale["receipt_no"],
        "outlet_id": DEFAULT_OUTLET_ID,
        "refunded_at": (refunded_at or at()).isoformat(),
        "back_to_stock": True,
        "total": sum(line["amount"] for line in built),
        "lines": built,
    }


def movement(
    supplier_id: str,
    product_id: str,
    kind: str,
    qty: int,
    unit_price: int = 0,
    borne_by: str | None = None,
    reference_id: str | None = None,
    occurred_at: datetime | None = None,
    movement_id: str | None = None,
    on_hand_after: int = 0,
    reason: str | None = None,
) -> dict:
    return {
        "movement_id": movement_id or new_uuid(),
        "outlet_id": DEFAULT_OUTLET_ID,
        "product_id": product_id,
        "supplier_id": supplier_id,
        "lot_id": None,
        "kind": kind,
        "qty": qty,
        "on_hand_after": on_hand_after,
        "unit_price": unit_price,
        "reason": reason,
        "borne_by": borne_by,
        "reference_id": reference_id,
        "occurred_at": (occurred_at or at()).isoformat(),
    }


def moved(*movements: dict) -> dict:
    """A ``stock.moved`` payload carrying ``movements``."""
    return {"movements": list(movements)}


def alert(
    supplier_id: str,
    product_id: str,
    kind: str = "near_expiry",
    message: str = "Kedaluwarsa 10 hari lagi",
    lot_id: str | None = None,
) -> dict:
    return {
        "alert_id": new_uuid(),
        "outlet_id": DEFAULT_OUTLET_ID,
        "product_id": product_id,
        "supplier_id": supplier_id,
        "kind": kind,
        "message": message,
        "lot_id": lot_id,
        "raised_at": at().isoformat(),
    }


def product(
    supplier_id: str, product_id: str, name: str = "Dodol Betawi 250 g", price: int = 25_000, revision: int = 1
) -> dict:
    return {
        "product_id": product_id,
        "sku": f"SKU-{product_id[:6]}",
        "barcode": "8991234500010",
        "name": name,
        "price": price,
        "supplier_id": supplier_id,
        "category": "makanan",
        "unit": "pack",
        "active": True,
        "revision": revision,
    }


def envelope(event_type: str, payload: dict) -> dict:
    return build_envelope(event_type, "test", payload)


def with_consumers(app):
    """``app`` with the suppliers consumer tasks (``consumers.HANDLERS``) registered on its Celery app."""
    runtime = app.extensions["sentra"]
    register_consumers(runtime.celery, "suppliers", runtime.session_factory, runtime.messaging, HANDLERS)
    return app


def run_requested_reconciliations(app) -> None:
    """Run the reconciliations the app queued, as the worker does: the ``reconciliation.requested`` envelopes
    of its outbox through ``consumers.on_reconciliation_requested`` (those already run are skipped)."""
    runtime = app.extensions["sentra"]
    outbox = runtime.messaging.outbox
    with runtime.transaction() as session:
        rows = session.execute(
            select(outbox.c.envelope)
            .where(outbox.c.event_type == reconciliation.REQUESTED)
            .order_by(outbox.c.created_at)
        ).scalars()
        envelopes = [json.loads(row) for row in rows]
    on_reconciliation_requested(runtime.session_factory, reconciliation.HttpSources(runtime.settings), envelopes)


def deliver(app, event_type: str, payload: dict | None = None, envelope_: dict | None = None) -> dict:
    """Run the suppliers consumer of ``event_type`` on ``payload`` (or on a given envelope); returns the envelope."""
    sent = envelope_ or envelope(event_type, payload)
    task = app.extensions["sentra"].celery.tasks[contract(event_type).task_name("suppliers")]
    task([sent])
    return sent


def pos_view(sale: dict) -> dict:
    return {
        "sale_id": sale["sale_id"],
        "receipt_no": sale["receipt_no"],
        "completed_at": sale["completed_at"],
        "total": sale["total"],
        "lines": [
            {k: line[k] for k in ("line_id", "product_id", "supplier_id", "qty", "line_total")}
            for line in sale["lines"]
        ],
    }


def inventory_view(sale: dict) -> list[dict]:
    return [
        {
            "movement_id": new_uuid(),
            "kind": "sale",
            "reference_id": sale["sale_id"],
            "product_id": line["product_id"],
            "supplier_id": line["supplier_id"],
            "qty": -line["qty"],
            "occurred_at": sale["completed_at"],
        }
        for line in sale["lines"]
    ]


def refund_view(refund: dict, of_sale: dict) -> dict:
    """A refund as the POS lists it: each line with the refunded ``amount`` and the sold line's ``line_total``."""
    sold = {line["line_id"]: line for line in of_sale["lines"]}
    return {
        "refund_id": refund["refund_id"],
        "sale_id": refund["sale_id"],
        "refunded_at": refund["refunded_at"],
        "total": refund["total"],
        "lines": [
            {**line, "line_id": new_uuid(), "line_total": sold[line["sale_line_id"]]["line_total"]}
            for line in refund["lines"]
        ],
    }


class FakeUpstream:
    """POS and inventory reconciliation endpoints over HTTP, answering from data the test seeded; only a
    ``service`` token is accepted."""

    def __init__(self):
        self.sales: list[dict] = []
        self.refunds: list[dict] = []
        self.movements: list[dict] = []
        self.requests: list[tuple[str, dict]] = []
        self.failing = False
        self.served: ServedApp | None = None

    @property
    def url(self) -> str:
        return self.served.url

    @Request.application
    def _app(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        try:
            principal = verify_access_token(TEST_JWT_SECRET, header.removeprefix("Bearer "))
        except Exception:
            return Response("unauthorised", status=401)
        if principal.role != "service":
            return Response("forbidden", status=403)
        self.requests.append((request.path, dict(request.args)))
        if self.failing:
            return Response("boom", status=500)
        body = {
            "/pos/reconciliation/sales": self.sales,
            "/pos/reconciliation/refunds": self.refunds,
            "/inventory/reconciliation/movements": self.movements,
        }.get(request.path)
        if body is None:
            return Response("not found", status=404)
        return Response(json.dumps(body), mimetype="application/json")

    def __enter__(self):
        self.served = ServedApp(self._app)
        return self

    def __exit__(self, *exc):
        self.served.stop()
