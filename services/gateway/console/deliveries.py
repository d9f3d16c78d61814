"""Deliveries announced by suppliers, received against what arrives: the form is prefilled with the announced
lines, the manager types what arrived, and the intake (nota titip) is recorded from it; and the history of every
delivery (announced, received, cancelled)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import blp, done, failure, form_int, form_text, manager_page, render
from services.gateway.words import WORDS

#: The newest deliveries the history shows (the filter narrows what is fetched, not how many are shown).
HISTORY_LIMIT = 200


@blp.get("/deliveries")
@manager_page
def deliveries():
    """Every delivery suppliers announced, newest first, at most :data:`HISTORY_LIMIT`, optionally in one status:
    its number, supplier, status in words, when it was announced and closed, the intake it became (received) or
    why it was cancelled."""
    status = request.args.get("status", "")
    if status not in WORDS["delivery_status"]:
        status = ""
    params: dict[str, Any] = {"limit": HISTORY_LIMIT, **({"status": status} if status else {})}
    found = call("inventory", "GET", "/deliveries", params=params) or []
    return render(
        "console/deliveries/list.html",
        section="intakes",
        deliveries=found,
        status=status,
        status_options=[(code, str(text)) for code, text in WORDS["delivery_status"].items()],
        limit=HISTORY_LIMIT,
    )


def _received_lines(announced: list[dict], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """What arrived of each announced line, in the form's order (the row of line ``i`` is ``lines.i``)."""
    lines = []
    for row, line in enumerate(announced):
        prefix = f"lines.{row}."
        received: dict[str, Any] = {"line_no": line["line_no"], "qty": form_int(prefix + "qty", errors, required=True)}
        if received["qty"] is not None and received["qty"] < 0:
            errors[prefix + "qty"] = [gettext("Must be 0 or more.")]
        for name in ("lot_code", "expiry_date"):
            value = form_text(prefix + name)
            if value:
                received[name] = value
        lines.append(received)
    return lines


@blp.route("/deliveries/<uuid:delivery_id>/receive", methods=["GET", "POST"])
@manager_page
def receive_delivery(delivery_id):
    """Receive an announced delivery: one row per announced line, prefilled, to correct to what arrived."""
    delivery = call("inventory", "GET", f"/deliveries/{delivery_id}")
    values: dict[str, Any] = {}
    for row, line in enumerate(delivery["lines"]):
        values[f"lines.{row}.qty"] = line["qty"]
        values[f"lines.{row}.lot_code"] = line["lot_code"] or ""
        values[f"lines.{row}.expiry_date"] = line["expiry_date"] or ""
    context = {"section": "intakes", "delivery": delivery, "values": values, "errors": {}}
    if request.method == "GET" or delivery["status"] != "announced":
        return render("console/deliveries/receive.html", **context)
    values.update(request.form)
    errors: dict[str, list[str]] = {}
    lines = _received_lines(delivery["lines"], errors)
    message = gettext("Some lines of the delivery are not valid; see the messages beside them.")
    if not errors:
        data: dict[str, Any] = {"lines": lines}
        if form_text("note"):
            data["note"] = form_text("note")
        try:
            received = call("inventory", "POST", f"/deliveries/{delivery_id}/receive", json=data)
        except ServiceProblem as problem:
            message, errors = failure(problem)
        else:
            intake = call("inventory", "GET", f"/intakes/{received['intake_id']}")
            return done(
                gettext("Intake %(number)s recorded.", number=intake["number"]),
                "console.intake",
                intake_id=intake["id"],
            )
    context["errors"] = errors
    return render("console/deliveries/receive.html", message=message, **context), 422


@blp.route("/deliveries/<uuid:delivery_id>/cancel", methods=["GET", "POST"])
@manager_page
def cancel_delivery(delivery_id):
    """Cancel an announced delivery (it will not be received) with the reason its supplier reads in the portal."""
    delivery = call("inventory", "GET", f"/deliveries/{delivery_id}")
    context: dict[str, Any] = {"section": "intakes", "delivery": delivery, "values": dict(request.form), "errors": {}}
    if request.method == "GET":
        return render("console/deliveries/cancel.html", **context)
    try:
        call("inventory", "POST", f"/deliveries/{delivery_id}/cancel", json={"reason": form_text("reason") or ""})
    except ServiceProblem as problem:
        message, context["errors"] = failure(problem)
        return render("console/deliveries/cancel.html", message=message, **context), problem.status
    return done(gettext("Delivery %(number)s cancelled.", number=delivery["number"]), "console.intakes")
