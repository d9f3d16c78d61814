"""The supplier portal's forms (phone first, no script needed): announce a delivery of their own products, and
cancel one while it is still announced. The portal itself is :func:`services.gateway.pages.supplier`.

The announce form has a scan field: a barcode or SKU and Enter (a scanner types both) adds a line of that
product, or one more to its line. It is the form's first submit button, so a scanner's Enter in any field never
sends the announcement by accident; the page comes back with the scan field focused for the next code."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext

from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import done, failure, form_text, page_caller
from services.gateway.console.intakes import (
    MAX_LINES,
    add_scanned,
    form_row,
    lines_from_form,
    requested_line_count,
    scanned_product,
)
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
    count = requested_line_count()
    context: dict[str, Any] = {"values": dict(request.form), "errors": {}}
    try:
        products = call("inventory", "GET", "/products", params={"active": "true"}) or []
    except ServiceProblem as problem:
        return _render(caller, "error.html", message=failure(problem)[0]), 502
    context["product_options"] = [(p["id"], p["name"]) for p in products]
    if request.method == "POST" and request.form.get("action") == "scan":
        return _scan(caller, count, {p["id"]: p["name"] for p in products}, context)
    if request.method == "GET" or request.form.get("action") == "add_line":
        if request.method == "POST":
            count = min(count + 1, MAX_LINES)
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
            announced = call("inventory", "POST", "/deliveries", json=data)
        except ServiceProblem as problem:
            message, fields = failure(problem)
            errors = {form_row(key, rows): messages for key, messages in fields.items()}
        else:
            return done(
                gettext("Delivery %(number)s announced. Bring the goods with this list.", number=announced["number"]),
                "pages.supplier",
            )
    context["errors"] = errors
    return _render(caller, "portal/announce.html", line_count=count, message=message, **context), 422


def _scan(caller: Caller, count: int, own_products: dict[str, str], context: dict[str, Any]) -> Any:
    """The form again with the scanned product added (or one more of it); the code's problem beside the field."""
    code = form_text("scan")
    values = context["values"]
    values.pop("scan", None)
    context["scanning"] = True
    if not code:
        return _render(caller, "portal/announce.html", line_count=count, **context)
    product = scanned_product(code)
    if product is None or product["id"] not in own_products:
        values["scan"] = code
        context["errors"] = {"scan": [gettext("None of your products on sale has this barcode or SKU.")]}
        return _render(caller, "portal/announce.html", line_count=count, **context), 422
    placed = add_scanned(values, count, product["id"])
    if placed is None:
        context["errors"] = {"scan": [gettext("The delivery has as many lines as it can take.")]}
        return _render(caller, "portal/announce.html", line_count=count, **context), 422
    context["scanned"] = own_products[product["id"]]
    return _render(caller, "portal/announce.html", line_count=placed[0], **context)


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
