"""Settings of the outlet on one page: what receipts and the counter need to know (name, address, NPWP, PPN
registration, receipt header and footer, the static QRIS, the discount approval limit, the QRIS expiry), the
registers (list and add), and the manager's own approval PIN. Each part is its own form; a refused change shows
its messages beside its fields and keeps the other parts as they are.

A register's printer is set on the counter's own settings, not here."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import blp, done, failure, form_int, form_text, manager_page, render
from shared.runtime import current_runtime

OUTLET_TEXT_FIELDS = ("name", "address", "static_qris_payload")
OUTLET_OPTIONAL_TEXT_FIELDS = ("npwp", "receipt_header", "receipt_footer")


def _settings_path() -> str:
    return f"/outlets/{current_runtime().settings.outlet_id}/settings"


def _page(part: str | None = None, errors: dict[str, list[str]] | None = None, message: str | None = None):
    """The page; ``part`` names the form that was refused (its typed values are shown again)."""
    outlet = call("pos", "GET", _settings_path())
    registers = call("pos", "GET", "/registers") or []
    typed = dict(request.form) if part else {}
    return render(
        "console/settings/page.html",
        section="settings",
        outlet=typed if part == "outlet" else outlet,
        registers=registers,
        register_values=typed if part == "register" else {},
        part=part,
        errors=errors or {},
        message=message,
    ), (422 if message else 200)


@blp.get("/settings")
@manager_page
def settings():
    return _page()


@blp.post("/settings/outlet")
@manager_page
def save_outlet_settings():
    """Save the outlet's settings (every field of the form)."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {name: form_text(name) or "" for name in OUTLET_TEXT_FIELDS}
    data.update({name: form_text(name) for name in OUTLET_OPTIONAL_TEXT_FIELDS})
    data["ppn_registered"] = request.form.get("ppn_registered") == "on"
    data["discount_approval_limit"] = form_int("discount_approval_limit", errors, required=True)
    data["qris_expiry_minutes"] = form_int("qris_expiry_minutes", errors, required=True)
    if errors:
        return _page("outlet", errors, gettext("Some fields are not valid; see the messages beside them."))
    try:
        call("pos", "PUT", _settings_path(), json=data)
    except ServiceProblem as problem:
        message, errors = failure(problem)
        return _page("outlet", errors, message)
    return done(gettext("Settings saved."), "console.settings")


@blp.post("/settings/registers")
@manager_page
def add_register():
    """Add a register (counter): a short code that starts its receipt numbers, and a name."""
    data = {"code": (form_text("code") or "").upper(), "name": form_text("name") or ""}
    try:
        register = call("pos", "POST", "/registers", json=data)
    except ServiceProblem as problem:
        message, errors = failure(problem)
        return _page("register", errors, message)
    return done(gettext("Register %(code)s added.", code=register["code"]), "console.settings")


@blp.post("/settings/pin")
@manager_page
def set_own_pin():
    """Set the PIN this manager approves with at the counter (typed twice)."""
    pin, again = request.form.get("pin", ""), request.form.get("pin_again", "")
    if pin != again:
        errors = {"pin_again": [gettext("The two PINs are not the same.")]}
        return _page("pin", errors, gettext("Some fields are not valid; see the messages beside them."))
    try:
        approver = call("pos", "PUT", "/approvers/me", json={"pin": pin})
    except ServiceProblem as problem:
        message, errors = failure(problem)
        return _page("pin", errors, message)
    return done(
        gettext(
            "Your PIN is saved. At the counter, approve with the name %(name)s and this PIN.", name=approver["username"]
        ),
        "console.settings",
    )
