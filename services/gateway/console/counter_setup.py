"""The counter's settings a manager keeps: the outlet's favourites grid (items without a label, added at the
counter with one click or key) and each register's network printer (host, port, paper, drawer kick)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_babel import gettext

from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import blp, done, failure, form_int, form_text, manager_page, render

PAPER_WIDTHS = (58, 80)


def _favourites_path() -> str:
    return f"/outlets/{current_app.config['SENTRA_SETTINGS'].outlet_id}/favourites"


def _page(status: int = 200, **context: Any):
    query = request.args.get("q", "").strip()
    registers = call("pos", "GET", "/registers") or []
    printers = {r["id"]: call("pos", "GET", f"/registers/{r['id']}/printer") for r in registers}
    context.setdefault("errors", {})
    return render(
        "console/counter/setup.html",
        section="counter",
        favourites=call("pos", "GET", _favourites_path()) or [],
        query=query,
        found=call("pos", "GET", "/catalogue", params={"q": query}) if query else [],
        registers=registers,
        printers=printers,
        paper_widths=PAPER_WIDTHS,
        **context,
    ), status


@blp.get("/counter")
@manager_page
def counter_setup():
    """The favourites grid (with a product search to add to it) and every register's printer."""
    return _page()


#: How each favourites action changes the list of product ids (``index`` the position it acts on).
_MOVES = {
    "add": lambda ids, product_id, index: [*ids, product_id] if product_id not in ids else ids,
    "remove": lambda ids, product_id, index: [p for p in ids if p != product_id],
    "up": lambda ids, product_id, index: _swap(ids, index, index - 1),
    "down": lambda ids, product_id, index: _swap(ids, index, index + 1),
}


def _swap(ids: list[str], a: int, b: int) -> list[str]:
    if not (0 <= a < len(ids) and 0 <= b < len(ids)):
        return ids
    ids = list(ids)
    ids[a], ids[b] = ids[b], ids[a]
    return ids


@blp.post("/counter/favourites/<any(add, remove, up, down):action>")
@manager_page
def change_favourites(action):
    """Add a product to the grid, take one off, or move one a place earlier or later."""
    ids = [p["product_id"] for p in call("pos", "GET", _favourites_path()) or []]
    product_id = form_text("product_id") or ""
    index = ids.index(product_id) if product_id in ids else -1
    try:
        call("pos", "PUT", _favourites_path(), json={"product_ids": _MOVES[action](ids, product_id, index)})
    except ServiceProblem as problem:
        message, _errors = failure(problem)
        return _page(problem.status if 400 <= problem.status < 500 else 502, message=message)
    return done(gettext("Favourites saved."), "console.counter_setup", q=request.args.get("q") or None)


@blp.post("/counter/registers/<uuid:register_id>/printer")
@manager_page
def set_register_printer(register_id):
    """Save a register's network printer: host, port, paper width, enabled, drawer kick."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {
        "host": form_text("host"),
        "port": form_int("port", errors, required=True),
        "paper_width": form_int("paper_width", errors, required=True),
        "enabled": request.form.get("enabled") == "on",
        "open_drawer": request.form.get("open_drawer") == "on",
    }
    if not errors:
        try:
            call("pos", "PUT", f"/registers/{register_id}/printer", json=data)
        except ServiceProblem as problem:
            message, errors = failure(problem)
            return _page(422, message=message, errors=errors, error_register=str(register_id), values=data)
        return done(gettext("Printer settings saved."), "console.counter_setup")
    return _page(422, errors=errors, error_register=str(register_id), values=data)
