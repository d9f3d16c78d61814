"""Failed events (dead letters) of the three services that consume events, in words: which service could not
process what, how often it tried, when; and a button to send one again. The technical error stays available
behind a "technical detail" disclosure for whoever fixes the cause."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from services.gateway import problems
from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import blp, done, manager_page, render
from services.gateway.words import word

CONSUMING_SERVICES = ("inventory", "pos", "suppliers")


@blp.get("/dead-letters")
@manager_page
def dead_letters():
    """Every service's failed events, newest first; a service that cannot be asked says so in words."""
    rows: list[dict[str, Any]] = []
    unreachable: list[str] = []
    status = request.args.get("status", "open")
    for service in CONSUMING_SERVICES:
        try:
            found = call(service, "GET", "/dead-letters") or []
        except ServiceProblem as problem:
            unreachable.append(f"{word(service, 'service')}: {problems.sentence(problem)}")
            continue
        rows += [{**row, "service": service} for row in found if status == "all" or row["status"] == status]
    rows.sort(key=lambda row: row["created_at"], reverse=True)
    return render(
        "console/dead_letters/list.html",
        section="dead_letters",
        rows=rows,
        unreachable=unreachable,
        status=status,
    )


@blp.post("/dead-letters/<any(inventory, pos, suppliers):service>/<uuid:dead_letter_id>/retry")
@manager_page
def retry_dead_letter(service: str, dead_letter_id):
    """Send the event to its consumer again (a fresh count of attempts)."""
    try:
        call(service, "POST", f"/dead-letters/{dead_letter_id}/retry")
    except ServiceProblem as problem:
        if problem.status != 409:
            raise
        return done(gettext("This event was already sent again."), "console.dead_letters")
    return done(gettext("The event was sent again; it is processed in a moment."), "console.dead_letters")
