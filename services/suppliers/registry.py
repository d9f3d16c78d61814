"""Use cases: registering and updating suppliers (called by the API; events go out through the outbox)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.suppliers.models import Supplier, messaging
from shared.errors import NotFound


def supplier_event(supplier: Supplier) -> dict:
    return {"supplier_id": supplier.id, "name": supplier.business_name, "status": supplier.status}


def register_supplier(session: Session, data: dict) -> Supplier:
    supplier = Supplier(**data)
    session.add(supplier)
    session.flush()
    messaging.record(session, "supplier.registered", supplier_event(supplier))
    return supplier


def get_supplier(session: Session, supplier_id: str) -> Supplier:
    supplier = session.get(Supplier, str(supplier_id))
    if supplier is None:
        raise NotFound(f"supplier {supplier_id} not found")
    return supplier
