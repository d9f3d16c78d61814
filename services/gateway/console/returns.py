"""Returns to supplier (retur): the list, a return picked from the supplier's pick list (expired, near expiry,
past the consignment period, not selling), and the return with its printable nota retur."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import (
    blp,
    done,
    failure,
    form_int,
    form_text,
    manager_page,
    render,
    supplier_names,
)


@blp.get("/returns")
@manager_page
def returns():
    """Returns, newest first, with the supplier's name and the nota retur."""
    found = call("inventory", "GET", "/returns") or []
    return render("console/returns/list.html", section="returns", returns=found, supplier_names=supplier_names())


def _pick_list(supplier_id: str) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"supplier_id": supplier_id}
    for name in ("near_expiry_days", "slow_mover_days"):
        if (request.values.get(name) or "").isdigit():
            params[name] = request.values[name]
    return call("inventory", "GET", "/returns/pick-list", params=params) or []


@blp.route("/returns/new", methods=["GET", "POST"])
@manager_page
def new_return():
    """Choose the supplier, then how many units of each picked lot go back and who collects them."""
    suppliers = call("suppliers", "GET", "/suppliers") or []
    supplier_id = request.values.get("supplier_id") or ""
    picks = _pick_list(supplier_id) if supplier_id else []
    context = {
        "section": "returns",
        "supplier_options": [(s["id"], s["business_name"]) for s in suppliers],
        "supplier_id": supplier_id,
        "picks": picks,
        "days": {k: request.values.get(k, "") for k in ("near_expiry_days", "slow_mover_days")},
        "values": dict(request.form),
        "errors": {},
    }
    if request.method == "GET":
        return render("console/returns/form.html", **context)
    errors: dict[str, list[str]] = {}
    lines, keys = [], []
    for pick in picks:
        key = f"qty.{pick['lot_id']}"
        qty = form_int(key, errors)
        if qty:
            lines.append({"lot_id": pick["lot_id"], "qty": qty})
            keys.append(key)
    if not form_text("collected_by"):
        errors["collected_by"] = [gettext("Required.")]
    if not lines and not any(k.startswith("qty.") for k in errors):
        errors["_schema"] = [gettext("Type how many units of at least one lot go back.")]
    message = gettext("Some fields are not valid; see the messages beside them.")
    if not errors:
        data = {"supplier_id": supplier_id, "collected_by": form_text("collected_by"), "lines": lines}
        try:
            note = call("inventory", "POST", "/returns", json=data)
        except ServiceProblem as problem:
            message, fields = failure(problem)
            errors = {_form_key(key, keys): texts for key, texts in fields.items()}
        else:
            return done(
                gettext("Return %(number)s recorded.", number=note["number"]),
                "console.return_note",
                return_id=note["id"],
            )
    context.update(errors=errors, message=message)
    return render("console/returns/form.html", **context), 422


def _form_key(key: str, keys: list[str]) -> str:
    """``lines.<i>.<field>`` of the sent lines → the quantity field of that lot."""
    parts = key.split(".")
    if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(keys):
        return keys[int(parts[1])]
    return key


@blp.get("/returns/<uuid:return_id>")
@manager_page
def return_note(return_id):
    """One return with its lines and the nota retur to print."""
    note = call("inventory", "GET", f"/returns/{return_id}")
    supplier = call("suppliers", "GET", f"/suppliers/{note['supplier_id']}")
    return render("console/returns/detail.html", section="returns", note=note, supplier=supplier)
