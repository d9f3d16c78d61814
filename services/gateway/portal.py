"""The supplier portal's forms (phone first, no script needed): announce a delivery of their own products, and
cancel one while it is still announced. The portal itself is :func:`services.gateway.pages.supplier`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext

from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import done, failure, form_text, page_caller
from services.gateway.console.intakes import FIRST_LINES, MAX_LINES, form_row, lines_from_form
from services.gateway.sessions import Caller

blp = Blueprint("portal", __name__, url_prefix="/supplier", template_folder="templates")

SUPPLIER_ROLES = frozenset({"supplier"})


def _render(caller: Caller, template: str, **context: Any) -> str:
    return render_template(template, user=caller.principal, username=caller.username, page="supplier", **context)


@blp.route("/deliveries/new", methods=["GET", "POST"])
def announce_delivery():
    """Announce a delivery: one block per product (choose, quantity, lot, expiry), add blocks as needed."""
    caller = page_caller(SUPPLIER_ROLES)
    if not isinstance(caller, Caller):
        return caller
    count = min(max(int(request.values.get("line_count") or FIRST_LINES), 1), MAX_LINES)
    context: dict[str, Any] = {"values": dict(request.form), "errors": {}}
    try:
        products = call("inventory", "GET", "/products", params={"active": "true"}) or []
    except ServiceProblem as problem:
        return _render(caller, "error.html", message=failure(problem)[0]), 502
    context["product_options"] = [(p["id"], p["name"]) for p in products]
    if request.method == "GET" or request.form.get("action") == "add_line":
        if request.method == "POST":
            count += 1
        return _render(caller, "portal/announce.html", line_count=count, **context)
    errors: dict[str, list[str]] = {}
    lines, rows = lines_from_form(count, errors)
    message = gettext("Some lines of the delivery are not valid; see the messages beside them.")
    if not lines:
        errors["lines.0.product_id"] = [gettext("Add at least one line.")]
    if not errors:
        data: dict[str, Any] = {"lines": lines}
        if form_text("note"):
            data["note"] = form_text("note")
        try:
            call("inventory", "POST", "/deliveries", json=data)
        except ServiceProblem as problem:
            message, fields = failure(problem)
            errors = {form_row(key, rows): messages for key, messages in fields.items()}
        else:
            return done(gettext("Delivery announced. Bring the goods with this list."), "pages.supplier")
    context["errors"] = errors
    return _render(caller, "portal/announce.html", line_count=count, message=message, **context), 422


@blp.post("/deliveries/<uuid:delivery_id>/cancel")
def cancel_delivery(delivery_id):
    """Cancel an announced delivery (the supplier will not bring it)."""
    caller = page_caller(SUPPLIER_ROLES)
    if not isinstance(caller, Caller):
        return caller
    try:
        call("inventory", "POST", f"/deliveries/{delivery_id}/cancel", json={})
    except ServiceProblem as problem:
        return _render(caller, "error.html", message=failure(problem)[0]), problem.status
    return done(gettext("Delivery cancelled."), "pages.supplier")
