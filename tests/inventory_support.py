"""Helpers of the inventory tests (no tests here): an app on a fresh migrated database, events delivered
through the real consumer tasks (run in-process with ``apply``), and shortcuts for suppliers and products."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.inventory import create_app
from services.inventory.consumers import HANDLERS
from shared.celery_factory import register_consumers
from shared.events import build_envelope, contract

OUTLET = "00000000-0000-4000-8000-000000000001"


class Inventory:
    """An inventory app with its client, a manager's headers, and the consumer tasks registered."""

    def __init__(self, settings, token):
        self.app = create_app(settings)
        self.runtime = self.app.extensions["sentra"]
        self.client = self.app.test_client()
        self.manager = token("manager", name="Bu Manajer")
        self.token = token
        register_consumers(
            self.runtime.celery, "inventory", self.runtime.session_factory, self.runtime.messaging, HANDLERS
        )

    def close(self) -> None:
        """Give the database connections back (PostgreSQL has a limited number of clients)."""
        self.runtime.engine.dispose()

    # -- events ------------------------------------------------------------------------------------------
    def deliver(self, envelope: dict) -> None:
        """Run the real consumer task of ``envelope`` in this process (claim, handler, one transaction)."""
        task = self.runtime.celery.tasks[contract(envelope["type"]).task_name("inventory")]
        task.apply(args=[[envelope]], throw=True)

    def publish(self, event_type: str, payload: dict, occurred_at: datetime | None = None) -> dict:
        envelope = build_envelope(event_type, "test", payload, occurred_at)
        self.deliver(envelope)
        return envelope

    def supplier(self, name="Dodol Ibu Sari", status="active", consignment_days=60, shrinkage="supplier") -> str:
        supplier_id = str(uuid.uuid4())
        self.publish(
            "supplier.registered",
            {
                "supplier_id": supplier_id,
                "name": name,
                "status": status,
                "consignment_days": consignment_days,
                "shrinkage_borne_by": shrinkage,
            },
        )
        return supplier_id

    def sale(self, lines: list[tuple[dict, int]], sale_id: str | None = None, completed_at=None) -> dict:
        """A ``sale.completed`` payload for ``[(product, qty)]`` delivered like the POS would send it."""
        payload = sale_payload(lines, sale_id, completed_at)
        return self.publish("sale.completed", payload)

    # -- HTTP --------------------------------------------------------------------------------------------
    def post(self, path, body, status=201, headers=None):
        response = self.client.post(path, json=body, headers=headers or self.manager)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def get(self, path, status=200, headers=None):
        response = self.client.get(path, headers=headers or self.manager)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def product(self, supplier_id, name="Dodol Betawi", category="makanan", price=25_000, **extra) -> dict:
        return self.post(
            "/products",
            {"name": name, "category": category, "unit": "pcs", "price": price, "supplier_id": supplier_id, **extra},
        )

    def intake(self, supplier_id, lines, **extra) -> dict:
        return self.post("/intakes", {"supplier_id": supplier_id, "lines": lines, **extra})

    def stock(self, product) -> dict:
        return self.get(f"/products/{product['id']}/stock")

    def assert_invariant(self) -> None:
        result = self.get("/stock/invariant")
        assert result["ok"] is True, result["mismatches"]

    def table_counts(self) -> dict:
        """Rows per business table (to show that a rejected request wrote nothing)."""
        from sqlalchemy import func, select

        from services.inventory.models import Base

        with self.runtime.engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in Base.metadata.tables.items()
                if name not in ("delivery_attempts", "processed_events")
            }


def sale_payload(lines, sale_id=None, completed_at=None) -> dict:
    return {
        "sale_id": sale_id or str(uuid.uuid4()),
        "receipt_no": "R01-20261128-0001",
        "outlet_id": OUTLET,
        "register_id": str(uuid.uuid4()),
        "cashier_id": "kasir-1",
        "completed_at": (completed_at or datetime.now(UTC)).isoformat(),
        "total": sum(p["price"] * q for p, q in lines),
        "lines": [
            {
                "line_id": str(uuid.uuid4()),
                "product_id": p["id"],
                "supplier_id": p["supplier_id"],
                "sku": p["sku"],
                "name": p["name"],
                "qty": q,
                "unit_price": p["price"],
                "discount": 0,
                "line_total": p["price"] * q,
            }
            for p, q in lines
        ],
    }


def refund_payload(sale: dict, lines: list[tuple[int, int]], back_to_stock=True) -> dict:
    """A ``sale.refunded`` payload for ``[(index of the sale line, qty)]``."""
    chosen = [(sale["lines"][i], q) for i, q in lines]
    return {
        "refund_id": str(uuid.uuid4()),
        "sale_id": sale["sale_id"],
        "outlet_id": OUTLET,
        "refunded_at": datetime.now(UTC).isoformat(),
        "back_to_stock": back_to_stock,
        "total": sum(line["unit_price"] * q for line, q in chosen),
        "lines": [
            {
                "sale_line_id": line["line_id"],
                "product_id": line["product_id"],
                "supplier_id": line["supplier_id"],
                "qty": q,
                "amount": line["unit_price"] * q,
            }
            for line, q in chosen
        ],
    }


def days_from_today(days: int) -> str:
    from shared.business_time import today

    return (today() + timedelta(days=days)).isoformat()
