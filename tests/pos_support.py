"""Fixtures and helpers for the POS tests (a pytest plugin, see tests/conftest.py): a counter (app + client +
tokens) with a catalogue, registers and open shifts.

The catalogue is fed through the real ``product.upserted`` / ``supplier.*`` handlers the worker runs
(:data:`services.pos.consumers.HANDLERS`).
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from services.pos import create_app
from services.pos.consumers import HANDLERS
from services.pos.models import Base
from shared.auth import Principal, issue_grant
from shared.db import new_id, transaction
from shared.events import build_envelope, load_event

SUPPLIER_DODOL = "6f0c4bb8-2a3a-4c1e-9d3e-000000000001"
SUPPLIER_BATIK = "6f0c4bb8-2a3a-4c1e-9d3e-000000000002"


class Counter:
    """One POS app on a fresh database, driven over HTTP like the counter does."""

    def __init__(self, settings, token):
        self.settings = settings
        self.app = create_app(settings)
        self.runtime = self.app.extensions["sentra"]
        self.client = self.app.test_client()
        self.token = token
        self.cashier = token("cashier", user_id="kasir-1", name="Siti")
        self.manager = token("manager", user_id="manajer-1", name="Budi")

    def grant(self, purpose: str) -> str:
        """The manager's approval grant for ``purpose``, as the gateway makes it (``POST /api/auth/grants``)."""
        principal = Principal(user_id="manajer-1", name="Budi", role="manager")
        return issue_grant(self.settings.jwt_secret, principal, purpose)

    # -- catalogue fed by the real event handlers --
    def deliver(self, event_type: str, payload: dict, occurred_at=None) -> None:
        envelope = build_envelope(event_type, "test", payload, occurred_at)
        meta, loaded = load_event(envelope)
        with transaction(self.runtime.session_factory) as session:
            HANDLERS[event_type](session, [(loaded, meta)])

    def product(
        self,
        barcode: str,
        price: int,
        name: str | None = None,
        category: str = "Makanan",
        supplier_id: str = SUPPLIER_DODOL,
        active: bool = True,
        revision: int = 1,
        product_id: str | None = None,
        occurred_at=None,
    ) -> str:
        product_id = product_id or str(uuid.uuid5(uuid.NAMESPACE_URL, barcode))
        self.deliver(
            "product.upserted",
            {
                "product_id": product_id,
                "sku": f"SKU-{barcode[-4:]}",
                "barcode": barcode,
                "name": name or f"Produk {barcode[-4:]}",
                "price": price,
                "supplier_id": supplier_id,
                "category": category,
                "active": active,
                "revision": revision,
            },
            occurred_at,
        )
        return product_id

    def standard_catalogue(self) -> None:
        self.product("8991234500011", 25_000, "Dodol Betawi Ibu Sari 250 g")
        self.product("8991234500028", 15_000, "Kerupuk Kulit Cikarang")
        self.product("8991234500035", 350_000, "Batik Tulis Bekasi", category="Kerajinan", supplier_id=SUPPLIER_BATIK)
        self.product("2001234500042", 12_500, "Sambal Bawang Khas Bekasi")

    # -- registers and shifts --
    def register(self, code: str = "R01") -> str:
        response = self.client.post("/registers", json={"code": code, "name": f"Kasa {code}"}, headers=self.manager)
        assert response.status_code == 201, response.json
        return response.json["id"]

    def open_shift(self, register_id: str, opening_float: int = 500_000, headers=None) -> str:
        response = self.client.post(
            "/shifts",
            json={"register_id": register_id, "opening_float": opening_float},
            headers=headers or self.cashier,
        )
        assert response.status_code == 201, response.json
        return response.json["id"]

    def ready(self, code: str = "R01") -> str:
        """A register with the cashier's open shift on it; returns the register id."""
        register_id = self.register(code)
        self.open_shift(register_id)
        return register_id

    # -- sales --
    def sell(self, register_id: str, lines: list, payments: list, key: str | None = None, headers=None, **extra):
        body = {"register_id": register_id, "lines": lines, "payments": payments, **extra}
        return self.client.post(
            "/sales", json=body, headers={**(headers or self.cashier), "Idempotency-Key": key or new_id()}
        )

    def cash_sale(self, register_id: str, barcode: str = "8991234500011", qty: int = 1, price: int = 25_000, **kw):
        response = self.sell(
            register_id,
            [{"barcode": barcode, "qty": qty}],
            [{"method": "cash", "amount": price * qty, "tendered": price * qty}],
            **kw,
        )
        assert response.status_code == 201, response.json
        return response.json

    # -- database observation --
    def row_counts(self) -> dict[str, int]:
        """How many rows every table holds (to show that a refused request wrote nothing)."""
        with self.runtime.engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in Base.metadata.tables.items()
            }

    def outbox(self, event_type: str | None = None):
        outbox = self.runtime.messaging.outbox
        query = outbox.select()
        if event_type:
            query = query.where(outbox.c.event_type == event_type)
        with self.runtime.engine.connect() as conn:
            return conn.execute(query).all()


@pytest.fixture
def pos(make_settings, token):
    counter = Counter(make_settings("pos"), token)
    counter.standard_catalogue()
    yield counter
    counter.runtime.engine.dispose()
