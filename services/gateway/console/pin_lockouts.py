"""The approvals by PIN locked now: the alert at the top of the manager's overview, refreshed every minute (htmx),
naming each manager's name and each cashier (by name, never by id) with how many wrong PINs, since and until."""

from __future__ import annotations

from flask_babel import lazy_gettext as _

from services.gateway import accounts
from services.gateway.backend import call
from services.gateway.console.common import blp, manager_page, render
from shared.runtime import current_runtime

KINDS = {"approver": _("the manager's name"), "cashier": _("the cashier")}


@blp.get("/pin-lockouts")
@manager_page
def pin_lockouts():
    """The lock-outs in force (POS ``GET /approval-lockouts``), as the overview's alert."""
    lockouts = call("pos", "GET", "/approval-lockouts") or []
    with current_runtime().transaction() as session:
        names = {u["id"]: u["name"] or u["username"] for u in accounts.list_users(session, role="cashier")}
    for lockout in lockouts:
        lockout["kind_words"] = KINDS.get(lockout["kind"], "")
        cashier = lockout["kind"] == "cashier"
        lockout["name"] = names.get(lockout["who"], _("(unknown user)")) if cashier else lockout["who"]
    return render("console/pin_lockouts.html", lockouts=lockouts)
