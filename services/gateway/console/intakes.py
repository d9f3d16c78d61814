"""Intakes (nota titip): the list, a delivery of several lines (lot, expiry) typed or scanned, and the printable
nota."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import request
from flask_babel import gettext

from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import blp, done, failure, form_int, form_text, manager_page, render

FIRST_LINES = 3
MAX_LINES = 100
#: The longest code the scan field looks up (a SKU has at most 64 characters, a barcode 14 digits).
MAX_CODE = 64
#: What inventory answers a code that names no product: not found, or refused as no product's code can be.
NOT_A_PRODUCT = (400, 404, 422)


@blp.get("/intakes")
@manager_page
def intakes():
    """The deliveries suppliers announced (to receive), then the intakes, newest first, with their supplier's
    name and the nota titip."""
    announced = call("inventory", "GET", "/deliveries", params={"status": "announced"}) or []
    found = call("inventory", "GET", "/intakes") or []
    names = {s["id"]: s["business_name"] for s in call("suppliers", "GET", "/suppliers") or []}
    return render(
        "console/intakes/list.html", section="intakes", deliveries=announced, intakes=found, supplier_names=names
    )


def requested_line_count() -> int:
    """How many line rows the form shows (its ``line_count``), between 1 and ``MAX_LINES``; a count that is not
    a number shows the first rows."""
    raw = (request.values.get("line_count") or "").strip()
    count = int(raw) if raw.isdigit() and len(raw) <= len(str(MAX_LINES)) else FIRST_LINES
    return min(max(count, 1), MAX_LINES)


def lines_from_form(count: int, errors: dict[str, list[str]]) -> tuple[list[dict[str, Any]], list[int]]:
    """The filled lines (and the form row of each), skipping rows left empty."""
    lines, rows = [], []
    for row in range(count):
        product_id = form_text(f"lines.{row}.product_id")
        qty = form_int(f"lines.{row}.qty", errors)
        if not product_id and qty is None:
            errors.pop(f"lines.{row}.qty", None)
            continue
        line: dict[str, Any] = {"product_id": product_id, "qty": qty}
        if not product_id:
            errors[f"lines.{row}.product_id"] = [gettext("Required.")]
        if qty is None and f"lines.{row}.qty" not in errors:
            errors[f"lines.{row}.qty"] = [gettext("Required.")]
        for name in ("lot_code", "expiry_date"):
            value = form_text(f"lines.{row}.{name}")
            if value:
                line[name] = value
        lines.append(line)
        rows.append(row)
    return lines, rows


@blp.route("/intakes/new", methods=["GET", "POST"])
@manager_page
def new_intake():
    """A delivery from one supplier: choose the supplier, then one row per product (add rows as needed)."""
    suppliers = [s for s in call("suppliers", "GET", "/suppliers") or [] if s["status"] == "active"]
    supplier_id = request.values.get("supplier_id") or ""
    products = (
        call("inventory", "GET", "/products", params={"supplier_id": supplier_id, "active": "true"})
        if supplier_id
        else []
    )
    count = requested_line_count()
    context = {
        "section": "intakes",
        "supplier_options": [(s["id"], s["business_name"]) for s in suppliers],
        "supplier_id": supplier_id,
        "product_options": [(p["id"], p["name"]) for p in products or []],
        "values": dict(request.form),
        "errors": {},
    }
    if request.method == "GET" or request.form.get("action") == "add_line":
        if request.method == "POST":
            count = min(count + 1, MAX_LINES)
        return render("console/intakes/form.html", line_count=count, **context)
    if request.form.get("action") == "scan":
        return _scan(supplier_id, count, context)
    errors: dict[str, list[str]] = {}
    lines, rows = lines_from_form(count, errors)
    message = gettext("Some lines of the intake are not valid; see the messages beside them.")
    if not lines:
        errors["lines.0.product_id"] = [gettext("Add at least one line.")]
    if not errors:
        data: dict[str, Any] = {"supplier_id": supplier_id, "lines": lines}
        if form_text("note"):
            data["note"] = form_text("note")
        try:
            intake = call("inventory", "POST", "/intakes", json=data)
        except ServiceProblem as problem:
            message, fields = failure(problem)
            errors = {form_row(key, rows): messages for key, messages in fields.items()}
        else:
            return done(
                gettext("Intake %(number)s recorded.", number=intake["number"]),
                "console.intake",
                intake_id=intake["id"],
            )
    context["errors"] = errors
    return render("console/intakes/form.html", line_count=count, message=message, **context), 422


def scanned_product(code: str) -> dict[str, Any] | None:
    """The product a scanned barcode or a typed SKU names (inventory's ``/products/by-code``: a supplier's
    token finds only their own); ``None`` when none does."""
    if len(code) > MAX_CODE:
        return None
    try:
        product: dict[str, Any] = call("inventory", "GET", f"/products/by-code/{quote(code, safe='')}")
    except ServiceProblem as problem:
        if problem.status not in NOT_A_PRODUCT:
            raise
        return None
    return product


def add_scanned(values: dict[str, Any], count: int, product_id: str) -> tuple[int, int] | None:
    """One more unit of ``product_id`` in a lines form's ``values`` (``lines.<row>.product_id`` / ``.qty`` of
    ``count`` rows): on its line if it has one (a quantity that is not a number becomes 1), else on the first
    empty line, else on a new line. Returns the line count and the line's row; ``None`` when the form already
    has ``MAX_LINES`` lines and none for this product or empty."""
    rows = range(count)
    row = next((r for r in rows if values.get(f"lines.{r}.product_id") == product_id), None)
    if row is not None:
        typed = str(values.get(f"lines.{row}.qty") or "").strip().replace(".", "")
        values[f"lines.{row}.qty"] = str(int(typed) + 1 if typed.isdigit() else 1)
        return count, row
    empty = (
        r
        for r in rows
        if not values.get(f"lines.{r}.product_id") and not str(values.get(f"lines.{r}.qty") or "").strip()
    )
    row = next(empty, None)
    if row is None:
        if count >= MAX_LINES:
            return None
        row, count = count, count + 1
    values[f"lines.{row}.product_id"] = product_id
    values[f"lines.{row}.qty"] = "1"
    return count, row


def _scan(supplier_id: str, count: int, context: dict[str, Any]):
    """The form's default button (Enter in any of its fields): one more unit on the line of the product a scanned
    barcode or typed SKU names, or a message beside the scan field when the code names no product, or one of
    another supplier (or not on sale). With the scan field empty the form is shown again as it was."""
    code = (request.form.get("scan") or "").strip()
    if not code:
        return render("console/intakes/form.html", line_count=count, **context)
    product = scanned_product(code)
    problem = None
    if product is None:
        problem = gettext("No product has this barcode or SKU.")
    elif product["supplier_id"] != supplier_id:
        problem = gettext("This product belongs to another supplier.")
    elif product["id"] not in {value for value, _text in context["product_options"]}:
        problem = gettext("This product is not on sale.")
    placed = None if problem or product is None else add_scanned(context["values"], count, product["id"])
    if placed is None or product is None:
        context["errors"] = {"scan": [problem or gettext("The intake has the most lines it can take.")]}
        context["values"]["scan"] = code
        return render("console/intakes/form.html", line_count=count, **context), 422
    context["values"].pop("scan", None)
    count, row = placed
    added = gettext(
        "%(name)s: %(qty)s on line %(line)s.",
        name=product["name"],
        qty=context["values"][f"lines.{row}.qty"],
        line=row + 1,
    )
    return render("console/intakes/form.html", line_count=count, scanned=added, **context)


def form_row(key: str, rows: list[int]) -> str:
    """``lines.<i>.field`` of the sent lines → ``lines.<form row>.field``."""
    parts = key.split(".")
    if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
        return f"lines.{rows[int(parts[1])]}.{parts[2]}"
    return key


@blp.get("/intakes/<uuid:intake_id>")
@manager_page
def intake(intake_id):
    """One intake with its lines and the nota titip to print."""
    found = call("inventory", "GET", f"/intakes/{intake_id}")
    supplier = call("suppliers", "GET", f"/suppliers/{found['supplier_id']}")
    return render("console/intakes/detail.html", section="intakes", intake=found, supplier=supplier)
