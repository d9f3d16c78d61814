"""Stock: on hand by product (filtered by supplier, search, low or flagged), one product's lots with their
expiry, its movements in words and a write-off form, and the stock alerts with names and acknowledgement."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from services.gateway import words
from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import (
    blp,
    done,
    failure,
    form_int,
    form_text,
    manager_page,
    person_names,
    render,
)

#: What the stock list can be narrowed to besides a supplier and a search.
STOCK_VIEWS = ("all", "low", "flagged")
#: Movements on one page of a product's stock page.
MOVEMENTS_PER_PAGE = 20


def _supplier_options() -> tuple[list[tuple[str, str]], dict[str, str]]:
    suppliers = call("suppliers", "GET", "/suppliers") or []
    return [(s["id"], s["business_name"]) for s in suppliers], {s["id"]: s["business_name"] for s in suppliers}


def _matches(row: dict[str, Any], text: str, view: str) -> bool:
    if text and text not in row["name"].casefold() and text not in (row["sku"] or "").casefold():
        return False
    if view == "low":
        return row["on_hand"] <= (row["reorder_point"] or 0)
    if view == "flagged":
        return bool(row["flagged_for_count"])
    return True


@blp.get("/stock")
@manager_page
def stock():
    """On hand per product with its supplier and value at the selling price; filters by supplier, name or SKU,
    low stock (at or below the reorder point) and products flagged for a count."""
    supplier_id = request.args.get("supplier_id") or ""
    text = (request.args.get("q") or "").strip()
    asked = request.args.get("view", "all")
    view = asked if asked in STOCK_VIEWS else "all"
    rows = call("inventory", "GET", "/stock", params={"supplier_id": supplier_id} if supplier_id else None) or []
    shown = [r for r in rows if _matches(r, text.casefold(), view)]
    options, names = _supplier_options()
    return render(
        "console/stock/list.html",
        section="stock",
        rows=shown,
        supplier_options=options,
        supplier_names=names,
        query={"supplier_id": supplier_id, "q": text, "view": view},
        view_options=[
            ("all", gettext("All products")),
            ("low", gettext("At or below the reorder point")),
            ("flagged", gettext("Flagged for a count")),
        ],
        total_units=sum(r["on_hand"] for r in shown),
        total_value=sum(r["on_hand"] * r["price"] for r in shown if r["on_hand"] > 0),
    )


def _receipt_numbers(sale_ids: set[str]) -> dict[str, str]:
    """``{sale id: receipt number}`` of the sales the till knows (one that it cannot tell is left out)."""
    receipts = {}
    for sale_id in sorted(sale_ids):
        try:
            receipts[sale_id] = call("pos", "GET", f"/sales/{sale_id}")["receipt_no"]
        except ServiceProblem:
            continue
    return receipts


def _document(movement: dict[str, Any], receipts: dict[str, str]) -> str:
    """The movement's document in words: the nota titip's, count's or return's number, the sale's receipt, the
    write-off's reason; nothing (never an id) where none is known."""
    kind, number = movement["kind"], movement.get("reference_number")
    receipt = receipts.get(movement.get("sale_id") or "")
    if kind == "intake" and number:
        return gettext("Nota titip %(number)s", number=number)
    if kind == "count_adjustment" and number:
        return gettext("Stock count %(number)s", number=number)
    if kind == "return_to_supplier" and number:
        return gettext("Return note %(number)s", number=number)
    if kind == "sale" and receipt:
        return gettext("Receipt %(number)s", number=receipt)
    if kind == "refund" and receipt:
        return gettext("Refund of receipt %(number)s", number=receipt)
    if kind == "write_off" and movement.get("reason") in words.WORDS["write_off_reason"]:
        return gettext(
            "%(reason)s (loss borne by: %(who)s)",
            reason=words.word(movement["reason"], "write_off_reason"),
            who=words.word(movement.get("borne_by"), "shrinkage_borne_by"),
        )
    return ""


def movements_page(product_id, page: int, kind: str) -> dict[str, Any]:
    """One page of the product's movements, newest first, each in words: when, what, how many, the lot, who
    (by name) and the document (:func:`_document`), with the page's place among all pages."""
    params: dict[str, Any] = {"page": page, "per_page": MOVEMENTS_PER_PAGE, **({"kind": kind} if kind else {})}
    found = call("inventory", "GET", f"/products/{product_id}/movements", params=params)
    name_of = person_names()
    receipts = _receipt_numbers({m["sale_id"] for m in found["items"] if m.get("sale_id")})
    rows = [
        {
            "occurred_at": m["occurred_at"],
            "kind": m["kind"],
            "qty": m["qty"],
            "lot_code": m.get("lot_code") or "",
            "who": name_of(m.get("recorded_by")),
            "document": _document(m, receipts),
        }
        for m in found["items"]
    ]
    pages = max(1, -(-found["total"] // MOVEMENTS_PER_PAGE))
    return {"rows": rows, "page": page, "pages": pages, "total": found["total"], "kind": kind}


def _product_page(product_id, *, values=None, errors=None, message=None, status=200):
    product = call("inventory", "GET", f"/products/{product_id}")
    held = call("inventory", "GET", f"/products/{product_id}/stock")
    asked, kind = request.args.get("page", ""), request.args.get("kind") or ""
    page = int(asked) if asked.isdigit() and 0 < len(asked) <= 5 and int(asked) > 0 else 1
    movements = movements_page(product_id, page, kind if kind in words.WORDS["movement_kind"] else "")
    supplier = call("suppliers", "GET", f"/suppliers/{product['supplier_id']}")
    lot_options = [
        (lot["lot_id"], gettext("%(lot)s (%(qty)s on hand)", lot=lot["lot_code"], qty=lot["on_hand"]))
        for lot in held["lots"]
        if lot["on_hand"] > 0
    ]
    return render(
        "console/stock/product.html",
        section="stock",
        product=product,
        held=held,
        supplier=supplier,
        lot_options=lot_options,
        movements=movements,
        kind_options=[(k, str(v)) for k, v in words.WORDS["movement_kind"].items()],
        reason_options=[(k, str(v)) for k, v in words.WORDS["write_off_reason"].items()],
        borne_options=[(k, str(v)) for k, v in words.WORDS["shrinkage_borne_by"].items()],
        values=values or {},
        errors=errors or {},
        message=message,
    ), status


@blp.get("/stock/<uuid:product_id>")
@manager_page
def product_stock(product_id):
    """One product's stock per lot (first expiry first), its movements (``page``, ``kind``), and the form to write
    some off."""
    return _product_page(product_id)


@blp.post("/stock/<uuid:product_id>/write-off")
@manager_page
def write_off(product_id):
    """Write off damaged, expired or lost units; who bears the loss defaults to the supplier's agreement."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {"product_id": str(product_id), "qty": form_int("qty", errors, required=True)}
    data["reason"] = form_text("reason")
    if not data["reason"]:
        errors["reason"] = [gettext("Required.")]
    for name in ("lot_id", "borne_by", "note"):
        if form_text(name):
            data[name] = form_text(name)
    message = gettext("Some fields are not valid; see the messages beside them.")
    if not errors:
        try:
            call("inventory", "POST", "/write-offs", json=data)
        except ServiceProblem as problem:
            message, errors = failure(problem)
        else:
            return done(
                gettext("%(qty)s units written off.", qty=data["qty"]), "console.product_stock", product_id=product_id
            )
    return _product_page(product_id, values=dict(request.form), errors=errors, message=message, status=422)


@blp.get("/alerts")
@manager_page
def alerts():
    """Stock alerts (open ones first by default) with the product's and the supplier's names, in words."""
    status = request.args.get("status") if request.args.get("status") in ("open", "resolved", "all") else "open"
    kind = request.args.get("kind") if request.args.get("kind") in words.WORDS["alert_kind"] else ""
    supplier_id = request.args.get("supplier_id") or ""
    params = {
        "status": status,
        **({"kind": kind} if kind else {}),
        **({"supplier_id": supplier_id} if supplier_id else {}),
    }
    found = call("inventory", "GET", "/alerts", params=params) or []
    products = {r["product_id"]: r["name"] for r in call("inventory", "GET", "/stock") or []}
    lots: dict[str, str] = {}
    for product_id in {a["product_id"] for a in found if a["lot_id"]}:
        for lot in call("inventory", "GET", f"/products/{product_id}/stock")["lots"]:
            lots[lot["lot_id"]] = lot["lot_code"]
    options, names = _supplier_options()
    return render(
        "console/stock/alerts.html",
        section="alerts",
        alerts=found,
        product_names=products,
        lot_codes=lots,
        supplier_options=options,
        supplier_names=names,
        query={"status": status, "kind": kind, "supplier_id": supplier_id},
        status_options=[("open", gettext("Open")), ("resolved", gettext("Dealt with")), ("all", gettext("All"))],
        kind_options=[(k, str(v)) for k, v in words.WORDS["alert_kind"].items()],
    )


@blp.post("/alerts/<uuid:alert_id>/resolve")
@manager_page
def resolve_alert(alert_id):
    """Acknowledge an alert: it has been dealt with."""
    call("inventory", "POST", f"/alerts/{alert_id}/resolve")
    return done(gettext("Alert marked as dealt with."), "console.alerts")


@blp.post("/alerts/scan")
@manager_page
def scan_alerts():
    """Look now for lots near expiry or past their consignment period (the worker also does it daily)."""
    raised = call("inventory", "POST", "/alerts/scan", json={})["raised"]
    return done(gettext("Checked the shelf: %(n)s new alerts.", n=raised), "console.alerts")
