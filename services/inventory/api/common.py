"""Helpers every inventory blueprint uses: the caller's outlet, the supplier filter of a supplier caller,
and PDF responses."""

from __future__ import annotations

from flask import Response

from shared.auth import current_principal
from shared.runtime import current_runtime

PDF = "application/pdf"


def outlet() -> str:
    """The caller's outlet (from the token), else this service's configured outlet."""
    return current_principal().outlet_id or current_runtime().settings.outlet_id


def own_supplier() -> str | None:
    """A supplier caller's own supplier id (their queries are filtered by it); ``None`` for staff."""
    principal = current_principal()
    return principal.supplier_id if principal.role == "supplier" else None


def visible_supplier(query: dict) -> str | None:
    """Whose rows a listing shows: a supplier caller's own, else the ``supplier_id`` asked for (``None``: all)."""
    return own_supplier() or (str(query["supplier_id"]) if query.get("supplier_id") else None)


def pdf_response(content: bytes, filename: str) -> Response:
    """``content`` as an inline PDF named ``filename``."""
    return Response(content, mimetype=PDF, headers={"Content-Disposition": f'inline; filename="{filename}"'})
