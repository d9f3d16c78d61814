"""What the ``/suppliers`` and ``/me`` blueprints share: which supplier a request may read, and the view bodies
both serve (a supplier reaches its own data through either)."""

from __future__ import annotations

import re

from flask import Response

from services.suppliers import registry, statements, supplier_views
from services.suppliers.api.schemas import SupplierOut
from services.suppliers.ledger import balance_summary
from services.suppliers.models import Supplier
from shared.auth import current_principal
from shared.db import get_or_404
from shared.errors import Forbidden, NotFound
from shared.runtime import current_runtime
from shared.web import primed_stream


def own_supplier_id(supplier_id) -> str:
    """The supplier a request may read: anyone for staff; only its own for a supplier (others are 404)."""
    principal = current_principal()
    if principal.role == "supplier" and principal.supplier_id != str(supplier_id):
        raise NotFound(f"supplier {supplier_id} not found")
    return str(supplier_id)


def my_supplier_id() -> str:
    """The supplier whose token made the request (the ``/me`` endpoints)."""
    supplier_id = current_principal().supplier_id
    if supplier_id is None:  # requires("supplier") guarantees it: a supplier token without one is refused
        raise Forbidden("this token belongs to no supplier")
    return supplier_id


def supplier_out(session, supplier) -> dict:
    """A supplier as ``SupplierOut`` shows it, with the terms in force now."""
    agreement = registry.current_agreement(session, supplier.id)
    data = {key: getattr(supplier, key) for key in SupplierOut._declared_fields if hasattr(supplier, key)}
    data["agreement"] = registry.agreement_dict(session, agreement) if agreement else None
    return data


def balance(supplier_id: str) -> dict:
    """Pending, available, paid and lifetime sales of a supplier (404 for an unknown one)."""
    with current_runtime().transaction() as session:
        get_or_404(session, Supplier, supplier_id, what="supplier")
        return balance_summary(session, supplier_id)


def sales(supplier_id: str, query: dict) -> list[dict]:
    """Net sales by product and day of a supplier over the queried period."""
    with current_runtime().transaction() as session:
        get_or_404(session, Supplier, supplier_id, what="supplier")
        product_id = str(query["product_id"]) if query.get("product_id") else None
        return supplier_views.sales_by_product_and_day(session, supplier_id, query["start"], query["end"], product_id)


def stock(supplier_id: str) -> list[dict]:
    """A supplier's stock at the centre by product."""
    with current_runtime().transaction() as session:
        get_or_404(session, Supplier, supplier_id, what="supplier")
        return supplier_views.stock_by_product(session, supplier_id)


def payout_lines(supplier_id: str):
    """A supplier's approved, paid and failed payouts."""
    with current_runtime().transaction() as session:
        get_or_404(session, Supplier, supplier_id, what="supplier")
        return supplier_views.payouts(session, supplier_id)


def statement(supplier_id: str, query: dict) -> Response:
    """A supplier's statement for the queried period: a PDF, or a CSV streamed page by page."""
    runtime = current_runtime()
    start, end = query["start"], query["end"]
    with runtime.transaction() as session:
        supplier = get_or_404(session, Supplier, supplier_id, what="supplier")
        slug = re.sub(r"[^a-z0-9]+", "-", supplier.business_name.lower()).strip("-")[:40] or "pemasok"
        filename = f"laporan-{slug}-{start}-{end}"
        if query["format"] == "pdf":
            body = statements.pdf_bytes(session, supplier_id, start, end)
            return Response(
                body,
                mimetype="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
            )
    chunks = statements.csv_chunks(runtime.session_factory, supplier_id, start, end)
    return primed_stream(chunks, "text/csv", {"Content-Disposition": f'attachment; filename="{filename}.csv"'})
