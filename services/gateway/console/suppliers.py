"""Suppliers: the list, registration with bank details and first agreement, editing, and agreements (terms are
never edited, only superseded: a new agreement from a date, the history kept)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
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
    render,
)

PROFILE_FIELDS = (
    "business_name",
    "owner_name",
    "phone",
    "email",
    "address",
    "nib",
    "npwp",
    "pirt_number",
    "bank_name",
    "bank_account_number",
    "bank_account_holder",
)
DIGIT_FIELDS = ("phone", "nib", "npwp", "pirt_number", "bank_account_number")
#: A service's name for an agreement field → the form's.
AGREEMENT_FIELD_OF = {"commission_bps": "commission_percent"}


def _profile_from_form(*, for_update: bool) -> dict[str, Any]:
    """The profile fields typed in; digits fields without the spaces, dots and dashes people type."""
    data: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        value = form_text(name)
        if value is not None and name in DIGIT_FIELDS:
            value = "".join(ch for ch in value if ch.isdigit() or ch == "+")
        if value is not None or for_update:
            data[name] = value
    if for_update:  # required fields are left out rather than cleared
        for name in ("business_name", "owner_name", "phone"):
            if data.get(name) is None:
                data.pop(name)
    return data


def _percent_to_bps(errors: dict[str, list[str]]) -> int | None:
    raw = (request.form.get("commission_percent") or "").strip().replace(",", ".").rstrip("%").strip()
    if not raw:
        return None
    try:
        percent = Decimal(raw)
    except InvalidOperation:
        errors["commission_percent"] = [gettext("Must be a number between 0 and 100.")]
        return None
    if not 0 <= percent <= 100 or percent != percent.quantize(Decimal("0.01")):
        errors["commission_percent"] = [gettext("Must be a number between 0 and 100.")]
        return None
    return int(percent * 100)


def _agreement_from_form(errors: dict[str, list[str]], products: list[dict] | None = None) -> dict[str, Any]:
    agreement: dict[str, Any] = {"type": request.form.get("type") or "commission"}
    bps = _percent_to_bps(errors)
    if bps is not None:
        agreement["commission_bps"] = bps
    for name in ("holdback_days", "consignment_days", "minimum_payout"):
        value = form_int(name, errors)
        if value is not None:
            agreement[name] = value
    for name in ("payout_schedule", "shrinkage_borne_by"):
        if request.form.get(name):
            agreement[name] = request.form[name]
    if request.form.get("effective_from"):
        agreement["effective_from"] = request.form["effective_from"]
    if agreement["type"] == "fixed_price":
        prices = []
        for product in products or []:
            price = form_int(f"price-{product['id']}", errors)
            if price is not None:
                prices.append({"product_id": product["id"], "supplier_price": price})
        agreement["fixed_prices"] = prices
    return agreement


def _agreement_errors(errors: dict[str, list[str]], prefix: str = "") -> dict[str, list[str]]:
    """Service field names of an agreement → the form's names (``agreement.commission_bps`` →
    ``commission_percent``)."""
    out = {}
    for key, messages in errors.items():
        name = key[len(prefix) :] if prefix and key.startswith(prefix) else key
        out[AGREEMENT_FIELD_OF.get(name, name)] = messages
    return out


def _form_context(**context: Any) -> dict[str, Any]:
    bank_options = [(name, words.bank_label(code, name)) for code, name in words.BANKS]
    current_bank = (context.get("values") or {}).get("bank_name")
    if current_bank and current_bank not in words.BANK_NAMES:
        bank_options.append((current_bank, current_bank))
    return {"bank_options": bank_options, "section": "suppliers", **context}


@blp.get("/suppliers")
@manager_page
def suppliers():
    """Every supplier with its status and the commission in force."""
    return render("console/suppliers/list.html", **_form_context(suppliers=call("suppliers", "GET", "/suppliers")))


@blp.route("/suppliers/new", methods=["GET", "POST"])
@manager_page
def register_supplier():
    """Register a supplier with its profile, bank account and first agreement."""
    values: dict[str, Any] = dict(request.form) if request.method == "POST" else {}
    if request.method == "GET":
        return render("console/suppliers/form.html", **_form_context(values=values, errors={}, editing=None))
    errors: dict[str, list[str]] = {}
    data = _profile_from_form(for_update=False)
    data["agreement"] = _agreement_from_form(errors)
    if not errors:
        try:
            supplier = call("suppliers", "POST", "/suppliers", json=data)
        except ServiceProblem as problem:
            message, fields = failure(problem)
            errors = _agreement_errors(fields, "agreement.")
        else:
            return done(
                gettext("Supplier %(name)s registered.", name=supplier["business_name"]),
                "console.supplier",
                supplier_id=supplier["id"],
            )
    else:
        message = gettext("Some fields are not valid; see the messages beside them.")
    return render(
        "console/suppliers/form.html", **_form_context(values=values, errors=errors, editing=None, message=message)
    ), 422


@blp.get("/suppliers/<uuid:supplier_id>")
@manager_page
def supplier(supplier_id):
    """A supplier's profile and its agreements newest first, each marked ``in_force`` (the one the suppliers
    service applies now), ``upcoming`` (starting later) or ``earlier``."""
    found = call("suppliers", "GET", f"/suppliers/{supplier_id}")
    agreements = list(reversed(call("suppliers", "GET", f"/suppliers/{supplier_id}/agreements") or []))
    in_force = (found.get("agreement") or {}).get("id")
    position = next((i for i, a in enumerate(agreements) if a["id"] == in_force), len(agreements))
    for index, agreement in enumerate(agreements):
        agreement["standing"] = "in_force" if index == position else "upcoming" if index < position else "earlier"
    products = {p["id"]: p["name"] for p in call("inventory", "GET", "/products", params={"supplier_id": supplier_id})}
    return render(
        "console/suppliers/detail.html", **_form_context(supplier=found, agreements=agreements, product_names=products)
    )


@blp.route("/suppliers/<uuid:supplier_id>/edit", methods=["GET", "POST"])
@manager_page
def edit_supplier(supplier_id):
    """Change a supplier's profile, bank account or status."""
    found = call("suppliers", "GET", f"/suppliers/{supplier_id}")
    if request.method == "GET":
        return render("console/suppliers/form.html", **_form_context(values=found, errors={}, editing=found))
    data = _profile_from_form(for_update=True)
    if request.form.get("status"):
        data["status"] = request.form["status"]
    try:
        call("suppliers", "PATCH", f"/suppliers/{supplier_id}", json=data)
    except ServiceProblem as problem:
        message, errors = failure(problem)
        return render(
            "console/suppliers/form.html",
            **_form_context(values=dict(request.form), errors=errors, editing=found, message=message),
        ), 422
    return done(gettext("Changes saved."), "console.supplier", supplier_id=supplier_id)


@blp.route("/suppliers/<uuid:supplier_id>/agreements/new", methods=["GET", "POST"])
@manager_page
def new_agreement(supplier_id):
    """New terms for a supplier from a date: commission or fixed supplier prices per product."""
    found = call("suppliers", "GET", f"/suppliers/{supplier_id}")
    products = call("inventory", "GET", "/products", params={"supplier_id": supplier_id}) or []
    current = found.get("agreement") or {}
    if request.method == "GET":
        values = {
            "type": current.get("type", "commission"),
            "commission_percent": _bps_text(current.get("commission_bps", 2000)),
            **{k: current.get(k) for k in ("holdback_days", "consignment_days", "minimum_payout")},
            **{k: current.get(k) for k in ("payout_schedule", "shrinkage_borne_by")},
            **{f"price-{p['product_id']}": p["supplier_price"] for p in current.get("fixed_prices") or []},
        }
        return render(
            "console/suppliers/agreement_form.html",
            **_form_context(supplier=found, products=products, values=values, errors={}),
        )
    errors: dict[str, list[str]] = {}
    agreement = _agreement_from_form(errors, products)
    message = gettext("Some fields are not valid; see the messages beside them.")
    if not errors:
        try:
            call("suppliers", "POST", f"/suppliers/{supplier_id}/agreements", json=agreement)
        except ServiceProblem as problem:
            message, fields = failure(problem)
            errors = _fixed_price_errors(_agreement_errors(fields), products)
        else:
            return done(gettext("The new agreement is saved."), "console.supplier", supplier_id=supplier_id)
    return render(
        "console/suppliers/agreement_form.html",
        **_form_context(supplier=found, products=products, values=dict(request.form), errors=errors, message=message),
    ), 422


def _fixed_price_errors(errors: dict[str, list[str]], products: list[dict]) -> dict[str, list[str]]:
    """``fixed_prices.<i>.supplier_price`` → the price field of that product (prices are sent in the order of
    the products that have one)."""
    priced = [p for p in products if (request.form.get(f"price-{p['id']}") or "").strip()]
    out = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if parts[0] == "fixed_prices" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(priced):
            out[f"price-{priced[int(parts[1])]['id']}"] = messages
        else:
            out[key] = messages
    return out


def _bps_text(bps: int) -> str:
    return f"{Decimal(bps) / 100:f}".rstrip("0").rstrip(".") if bps % 100 else str(bps // 100)
