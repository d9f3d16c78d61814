"""The audit log on one page, in words: log-ins and account changes (the gateway's log) together with the
counter's sensitive actions (discounts approved, voids, refunds, wrong manager PINs — the POS service's log),
newest first, filtered by who, what and when. People appear by name, never by id."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import request
from flask_babel import gettext

from services.gateway import accounts, i18n
from services.gateway.backend import call
from services.gateway.console.common import blp, manager_page, render
from services.gateway.words import WORDS, word
from shared.business_time import day_start
from shared.runtime import current_runtime

#: The newest entries of each log the page shows (filters narrow what is fetched, not what is shown).
ENTRIES_PER_LOG = 200
GATEWAY_ACTIONS = frozenset(a for a in WORDS["audit_action"] if a.startswith(("login", "logout", "user")))


def _day(name: str, errors: dict[str, list[str]]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = [gettext("Not a valid date.")]
        return None


def _entry(at: Any, action: str, who: str, on_what: str, via: str = "") -> dict[str, Any]:
    moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return {"at": moment, "action": action, "who": who, "on_what": on_what, "via": via}


def _gateway_entries(filters: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    if filters.get("action") and filters["action"] not in GATEWAY_ACTIONS:
        return []
    with current_runtime().transaction() as session:
        rows = accounts.audit_entries(
            session,
            ENTRIES_PER_LOG,
            actor_user_id=filters.get("user_id"),
            action=filters.get("action"),
            since=filters.get("since"),
            until=filters.get("until"),
        )
    entries = []
    for row in rows:
        if row["actor_username"] == accounts.COMMAND_LINE.username:
            who = gettext("The set-up command line")
        else:
            who = names.get(row["actor_user_id"] or "") or row["actor_username"] or row["detail"].get("username") or "–"
        target = names.get(row["target_user_id"] or "", "")
        entries.append(_entry(row["at"], row["action"], who, target, row["client_ip"] or ""))
    return entries


def _counter_subject(row: dict[str, Any]) -> str:
    detail = row["detail"]
    if row["action"] == "approval.failed":
        return gettext("PIN tried for %(name)s", name=row["subject_id"])
    parts = []
    if detail.get("receipt_no"):
        parts.append(gettext("receipt %(number)s", number=detail["receipt_no"]))
    for key in ("total", "discount_total"):
        if isinstance(detail.get(key), int):
            parts.append(i18n.rupiah(detail[key]))
    return " · ".join(parts)


def _counter_entries(filters: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    if filters.get("action") in GATEWAY_ACTIONS:
        return []
    params = {"limit": ENTRIES_PER_LOG}
    for key in ("user_id", "action"):
        if filters.get(key):
            params[key] = filters[key]
    for key in ("since", "until"):
        if filters.get(key):
            params[key] = filters[key].isoformat()
    entries = []
    for row in call("pos", "GET", "/audit", params=params) or []:
        who = names.get(row["actor_id"], gettext("unknown user"))
        if row.get("approver_id"):
            who = gettext("%(who)s, approved by %(approver)s", who=who, approver=names.get(row["approver_id"], "–"))
        entries.append(_entry(row["created_at"], row["action"], who, _counter_subject(row)))
    return entries


@blp.get("/audit")
@manager_page
def audit():
    """The audit log, newest first; filters: the user (who did or approved it), the action, from and to days."""
    errors: dict[str, list[str]] = {}
    since, until = _day("from", errors), _day("to", errors)
    with current_runtime().transaction() as session:
        users = accounts.list_users(session)
    names = {u["id"]: u["name"] for u in users}
    filters: dict[str, Any] = {
        "user_id": request.args.get("user_id") if request.args.get("user_id") in names else None,
        "action": request.args.get("action") if request.args.get("action") in WORDS["audit_action"] else None,
        "since": day_start(since) if since else None,
        "until": day_start(until + timedelta(days=1)) if until else None,
    }
    entries = [] if errors else _gateway_entries(filters, names) + _counter_entries(filters, names)
    entries.sort(key=lambda e: e["at"], reverse=True)
    return render(
        "console/audit/list.html",
        section="audit",
        entries=entries,
        user_options=sorted(((u["id"], f"{u['name']} ({word(u['role'], 'role')})") for u in users), key=lambda o: o[1]),
        action_options=[(code, str(text)) for code, text in WORDS["audit_action"].items()],
        query=request.args,
        errors=errors,
        message=gettext("Some fields are not valid; see the messages beside them.") if errors else None,
    ), (422 if errors else 200)
