"""Stock counts (stock opname): open a count of every product or one supplier's, type or scan what is counted,
read the variance in units and rupiah, then approve (stock is adjusted) or cancel."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import blp, done, failure, form_int, form_text, manager_page, render


def _supplier_options() -> list[tuple[str, str]]:
    return [(s["id"], s["business_name"]) for s in call("suppliers", "GET", "/suppliers") or []]


@blp.route("/counts", methods=["GET", "POST"])
@manager_page
def counts():
    """Every count, newest first, and the form to open one (every active product, or one supplier's)."""
    errors: dict[str, list[str]] = {}
    message = None
    if request.method == "POST":
        data: dict[str, Any] = {}
        supplier_id = form_text("supplier_id")
        if supplier_id:
            products = call("inventory", "GET", "/products", params={"supplier_id": supplier_id, "active": "true"})
            data["product_ids"] = [p["id"] for p in products or []]
            if not data["product_ids"]:
                errors["supplier_id"] = [gettext("This supplier has no products on sale.")]
        if form_text("note"):
            data["note"] = form_text("note")
        if not errors:
            try:
                count = call("inventory", "POST", "/counts", json=data)
            except ServiceProblem as problem:
                message, errors = failure(problem)
            else:
                return done(
                    gettext("Count %(number)s opened.", number=count["number"]), "console.count", count_id=count["id"]
                )
        message = message or gettext("Some fields are not valid; see the messages beside them.")
    found = call("inventory", "GET", "/counts") or []
    return render(
        "console/counts/list.html",
        section="counts",
        counts=found,
        supplier_options=_supplier_options(),
        values=dict(request.form),
        errors=errors,
        message=message,
    ), (422 if message else 200)


def _count_page(count_id, *, values=None, errors=None, message=None, status=200):
    count = call("inventory", "GET", f"/counts/{count_id}")
    return render(
        "console/counts/detail.html",
        section="counts",
        count=count,
        values=values or {},
        errors=errors or {},
        message=message,
    ), status


@blp.get("/counts/<uuid:count_id>")
@manager_page
def count(count_id):
    """The count sheet (while open) and its variance report."""
    return _count_page(count_id)


@blp.post("/counts/<uuid:count_id>/lines")
@manager_page
def record_counts(count_id):
    """The typed quantities (rows left empty are not counted yet) or one scanned barcode (adds units)."""
    errors: dict[str, list[str]] = {}
    barcode = form_text("barcode")
    if barcode:
        add = form_int("add", errors) or 1
        lines: list[dict[str, Any]] = [{"barcode": barcode, "add": add}]
        keys = ["barcode"]
    else:
        lines, keys = [], []
        for key in request.form:
            if not key.startswith("counted."):
                continue
            counted = form_int(key, errors)
            if counted is None:
                continue
            product_id = key.removeprefix("counted.")
            line: dict[str, Any] = {"product_id": product_id, "counted": counted}
            if form_text(f"reason.{product_id}"):
                line["reason"] = form_text(f"reason.{product_id}")
            lines.append(line)
            keys.append(key)
        if not lines and not errors:
            errors["_schema"] = [gettext("Type at least one counted quantity.")]
    message = gettext("Some counted lines are not valid.")
    if not errors:
        try:
            call("inventory", "POST", f"/counts/{count_id}/lines", json={"lines": lines})
        except ServiceProblem as problem:
            message, fields = failure(problem)
            errors = {_form_key(key, lines, keys): texts for key, texts in fields.items()}
        else:
            return done(gettext("Counted quantities saved."), "console.count", count_id=count_id)
    return _count_page(count_id, values=dict(request.form), errors=errors, message=message, status=422)


def _form_key(key: str, lines: list[dict[str, Any]], keys: list[str]) -> str:
    """``lines.<i>.<field>`` of the sent lines → the form field the line came from."""
    parts = key.split(".")
    if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(keys):
        index = int(parts[1])
        if parts[2] == "reason" and "product_id" in lines[index]:
            return f"reason.{lines[index]['product_id']}"
        return keys[index]
    return key


@blp.post("/counts/<uuid:count_id>/approve")
@manager_page
def approve_count(count_id):
    """Approve: each product's stock is adjusted to what was counted, and the count closes."""
    body = {"reason": form_text("reason")} if form_text("reason") else {}
    try:
        call("inventory", "POST", f"/counts/{count_id}/approve", json=body)
    except ServiceProblem as problem:
        message, errors = failure(problem)
        return _count_page(count_id, errors=errors, message=message, status=problem.status)
    return done(gettext("Count approved; the stock has been adjusted."), "console.count", count_id=count_id)


@blp.post("/counts/<uuid:count_id>/cancel")
@manager_page
def cancel_count(count_id):
    """Cancel an open count: nothing is adjusted."""
    try:
        call("inventory", "POST", f"/counts/{count_id}/cancel")
    except ServiceProblem as problem:
        message, errors = failure(problem)
        return _count_page(count_id, errors=errors, message=message, status=problem.status)
    return done(gettext("Count cancelled; nothing was adjusted."), "console.count", count_id=count_id)
