"""Reconciliation of the three services for a period: what the POS recorded, what inventory moved, and what
the ledger posted; plus the ledger's own invariants.

:func:`compare` is the pure matching rule. :func:`run` is the use case: it takes the POS and inventory data
from a *sources* object (:class:`HttpSources` fetches them from the other services' reconciliation APIs with a
``service`` token; tests may hand in their own lists), reads the ledger, and stores the report. :func:`request`
queues one through the outbox (the HTTP API answers 202 with it; the worker runs it).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections import Counter, defaultdict
from datetime import date
from typing import Protocol

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.suppliers import ledger, rules
from services.suppliers.models import JournalEntry, Posting, Reconciliation, ReconciliationStatus, messaging
from shared.auth import Principal, issue_access_token
from shared.config import Settings
from shared.db import get_or_404, new_id, transaction, utcnow

log = logging.getLogger(__name__)
FETCH_TIMEOUT = 30
#: The event that asks the suppliers worker to run a reconciliation (this service is its only subscriber).
REQUESTED = "reconciliation.requested"


class Sources(Protocol):
    def sales(self, start: date, end: date) -> list[dict]: ...
    def refunds(self, start: date, end: date) -> list[dict]: ...
    def movements(self, start: date, end: date) -> list[dict]: ...


class HttpSources:
    """Fetches the POS's sales and refunds and inventory's movements over HTTP, each request with a fresh
    ``service`` access token."""

    PRINCIPAL = Principal(user_id="suppliers-service", name="suppliers", role="service")

    def __init__(self, settings: Settings, session: requests.Session | None = None):
        self.settings = settings
        self.http = session or requests.Session()

    def _get(self, service: str, path: str, start: date, end: date) -> list[dict]:
        url = self.settings.service_urls[service].rstrip("/") + path
        token = issue_access_token(self.settings.jwt_secret, self.PRINCIPAL)
        response = self.http.get(
            url,
            params={"from": start.isoformat(), "to": end.isoformat()},
            headers={"Authorization": f"Bearer {token}"},
            timeout=FETCH_TIMEOUT,
        )
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, list):
            raise ValueError(f"{url} did not answer with a JSON list")
        return body

    def sales(self, start, end):
        return self._get("pos", "/reconciliation/sales", start, end)

    def refunds(self, start, end):
        return self._get("pos", "/reconciliation/refunds", start, end)

    def movements(self, start, end):
        return self._get("inventory", "/reconciliation/movements", start, end)


# -- the pure matching rule ---------------------------------------------------------------------------------
def compare(
    pos_sales: list[dict],
    pos_refunds: list[dict],
    movements: list[dict],
    ledger_sales: dict[str, dict],
    ledger_refunds: dict[str, dict],
) -> dict:
    """Match ids across the three sources.

    ``ledger_sales``/``ledger_refunds`` map a sale/refund id to ``{"entries": n, "amount": gross of one entry}``.
    Reports ``missing`` (an id one side has and another lacks, with ``missing_in``), ``duplicated`` (an id
    recorded more than once by one side) and ``mismatched`` (amounts or quantities that differ).
    """
    missing, duplicated, mismatched = [], [], []

    def pos_side(kind: str, rows: list[dict], id_key: str, ledger_side: dict[str, dict]):
        amount_key = "line_total" if kind == "sale" else "amount"  # a refund line's line_total is the sold line's
        counts = Counter(str(row[id_key]) for row in rows)
        by_id = {str(row[id_key]): row for row in rows}
        for record_id, times in counts.items():
            if times > 1:
                duplicated.append(
                    {
                        "kind": kind,
                        "id": record_id,
                        "source": "pos",
                        "times": times,
                        "amount": int(by_id[record_id]["total"]),
                    }
                )
        for record_id, row in by_id.items():
            amount = sum(int(line.get(amount_key, 0)) for line in row.get("lines", []))
            posted = ledger_side.get(record_id)
            if posted is None:
                missing.append({"kind": kind, "id": record_id, "missing_in": "ledger", "amount": amount})
                continue
            if posted["entries"] > 1:
                duplicated.append(
                    {
                        "kind": kind,
                        "id": record_id,
                        "source": "ledger",
                        "times": posted["entries"],
                        "amount": posted["amount"],
                    }
                )
            if posted["amount"] != amount:
                mismatched.append(
                    {
                        "kind": kind,
                        "id": record_id,
                        "field": "amount",
                        "pos": amount,
                        "ledger": posted["amount"],
                        "difference": posted["amount"] - amount,
                    }
                )
        for record_id, posted in ledger_side.items():
            if record_id not in by_id:
                missing.append({"kind": kind, "id": record_id, "missing_in": "pos", "amount": posted["amount"]})
                if posted["entries"] > 1:
                    duplicated.append(
                        {
                            "kind": kind,
                            "id": record_id,
                            "source": "ledger",
                            "times": posted["entries"],
                            "amount": posted["amount"],
                        }
                    )
        return by_id

    sales = pos_side("sale", pos_sales, "sale_id", ledger_sales)
    refunds = pos_side("refund", pos_refunds, "refund_id", ledger_refunds)

    movement_counts = Counter(str(m["movement_id"]) for m in movements)
    for movement_id, times in movement_counts.items():
        if times > 1:
            duplicated.append(
                {"kind": "movement", "id": movement_id, "source": "inventory", "times": times, "amount": 0}
            )
    moved_qty: dict[str, Counter] = defaultdict(Counter)
    seen_movements: set[str] = set()
    refund_movements: set[str] = set()
    for movement in movements:
        if str(movement["movement_id"]) in seen_movements:
            continue
        seen_movements.add(str(movement["movement_id"]))
        reference = str(movement.get("reference_id") or "")
        if movement["kind"] == "sale":
            moved_qty[reference][str(movement["product_id"])] += abs(int(movement["qty"]))
        elif movement["kind"] == "refund":
            refund_movements.add(reference)
    for sale_id, sale in sales.items():
        sold: Counter[str] = Counter()
        for line in sale.get("lines", []):
            sold[str(line["product_id"])] += int(line["qty"])
        amount = sum(int(line["line_total"]) for line in sale.get("lines", []))
        if sale_id not in moved_qty:
            missing.append({"kind": "sale", "id": sale_id, "missing_in": "inventory", "amount": amount})
        elif moved_qty[sale_id] != sold:
            mismatched.append(
                {
                    "kind": "sale",
                    "id": sale_id,
                    "field": "qty",
                    "pos": dict(sold),
                    "inventory": dict(moved_qty[sale_id]),
                    "difference": sum(moved_qty[sale_id].values()) - sum(sold.values()),
                }
            )
    for sale_id in moved_qty:
        if sale_id not in sales:
            missing.append({"kind": "sale", "id": sale_id, "missing_in": "pos", "amount": 0, "seen_in": "inventory"})
    for refund_id in refund_movements:
        if refund_id not in refunds:
            missing.append(
                {"kind": "refund", "id": refund_id, "missing_in": "pos", "amount": 0, "seen_in": "inventory"}
            )
    return {"missing": missing, "duplicated": duplicated, "mismatched": mismatched}


# -- the use case ------------------------------------------------------------------------------------------
def ledger_side(session: Session, source_type: str, start: date, end: date) -> dict[str, dict]:
    """Per sale (or refund) id posted in the period: how many entries, and the gross of one entry (the sales
    clearing side: debited for sales, credited for refunds)."""
    lower, upper = rules.period_bounds(start, end)
    gross = (
        (func.sum(Posting.debit) - func.sum(Posting.credit))
        if source_type == "sale"
        else (func.sum(Posting.credit) - func.sum(Posting.debit))
    )
    rows = session.execute(
        select(JournalEntry.source_id, func.count(func.distinct(JournalEntry.id)), gross)
        .join(
            Posting,
            (Posting.entry_id == JournalEntry.id) & (Posting.account_code == ledger.SALES_CLEARING),
            isouter=True,
        )
        .where(
            JournalEntry.source_type == source_type, JournalEntry.occurred_at >= lower, JournalEntry.occurred_at < upper
        )
        .group_by(JournalEntry.source_id)
    ).all()
    return {
        source_id: {"entries": int(entries), "amount": int(amount or 0) // max(int(entries), 1)}
        for source_id, entries, amount in rows
    }


def receipts_of_findings(report: dict, pos_sales: list[dict], pos_refunds: list[dict]) -> dict[str, str]:
    """``{sale or refund id: receipt number}`` of every id the report names that the POS knows, so a page shows
    the receipt a person can look up rather than an id."""
    named = {str(item["id"]) for key in ("missing", "duplicated", "mismatched") for item in report[key]}
    known = {str(row["sale_id"]): row.get("receipt_no") for row in pos_sales}
    known.update({str(row["refund_id"]): row.get("receipt_no") for row in pos_refunds})
    return {record_id: str(known[record_id]) for record_id in sorted(named) if known.get(record_id)}


def ledger_entries(session: Session, source_id: str) -> list[dict]:
    """Every journal entry posted for one business document (a sale, refund, payout line...), oldest first, with
    its postings: what the ledger holds of it, for the reconciliation's drill-down."""
    entries = session.execute(
        select(JournalEntry).where(JournalEntry.source_id == str(source_id)).order_by(JournalEntry.occurred_at)
    ).scalars()
    result = []
    for entry in entries:
        postings = session.execute(
            select(Posting.account_code, Posting.debit, Posting.credit)
            .where(Posting.entry_id == entry.id)
            .order_by(Posting.id)
        ).all()
        result.append(
            {
                "entry_id": entry.id,
                "source_type": entry.source_type,
                "source_id": entry.source_id,
                "description": entry.description,
                "occurred_at": entry.occurred_at,
                "postings": [
                    {"account": account, "debit": int(debit), "credit": int(credit)}
                    for account, debit, credit in postings
                ],
            }
        )
    return result


def recent(session: Session, limit: int = 30) -> list[Reconciliation]:
    """The latest reconciliations, newest first."""
    return list(
        session.execute(select(Reconciliation).order_by(Reconciliation.created_at.desc()).limit(limit)).scalars()
    )


def request(session: Session, start: date, end: date, actor: str) -> Reconciliation:
    """Queue a reconciliation of ``[start, end]``: the ``queued`` row and a ``reconciliation.requested`` event,
    both in the caller's transaction.

    The event goes through the outbox like every other, so the request never waits on Redis and is not lost
    to it: asked for while Redis is down, it is published when Redis is back (the relay, else the sweep), and
    the suppliers worker runs it (``services.suppliers.consumers.on_reconciliation_requested`` → :func:`run`).
    """
    rules.period_bounds(start, end)
    record = Reconciliation(
        id=new_id(),
        period_from=start,
        period_to=end,
        status=ReconciliationStatus.QUEUED,
        requested_by=actor,
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    messaging.record(session, REQUESTED, {"reconciliation_id": record.id})
    return record


def run(session_factory: sessionmaker, reconciliation_id: str, sources: Sources) -> dict | None:
    """Fetch, compare, check the invariants and store the report; the report, or ``None`` when nothing was
    stored because the reconciliation is no longer queued (a duplicate delivery of its event changes nothing).

    The fetches run outside any transaction; the report is stored in one that locks the row and checks it is
    still queued, so two concurrent deliveries store one report. A failure (an upstream error, a timeout, the
    soft time limit) is the reconciliation's outcome: stored on it (status ``failed`` with the error) and
    logged, not raised; the manager asks for a new one. Only a failure to store that outcome escapes.
    """
    with transaction(session_factory) as session:
        record = get_or_404(session, Reconciliation, reconciliation_id, what="reconciliation")
        if record.status != ReconciliationStatus.QUEUED:
            return None
        start, end = record.period_from, record.period_to
    try:
        pos_sales, pos_refunds, movements = (
            sources.sales(start, end),
            sources.refunds(start, end),
            sources.movements(start, end),
        )
        with transaction(session_factory) as session:
            record = get_or_404(session, Reconciliation, reconciliation_id, lock=True, what="reconciliation")
            if record.status != ReconciliationStatus.QUEUED:
                return None
            report = compare(
                pos_sales,
                pos_refunds,
                movements,
                ledger_side(session, "sale", start, end),
                ledger_side(session, "refund", start, end),
            )
            report["invariants"] = ledger.check_invariants(session)
            report["counts"] = {
                "pos_sales": len(pos_sales),
                "pos_refunds": len(pos_refunds),
                "inventory_movements": len(movements),
            }
            report["period"] = {"from": start.isoformat(), "to": end.isoformat()}
            report["receipts"] = receipts_of_findings(report, pos_sales, pos_refunds)
            report["ok"] = (
                not (report["missing"] or report["duplicated"] or report["mismatched"]) and report["invariants"]["ok"]
            )
            record.report, record.status, record.finished_at, record.error = (
                json.dumps(report),
                ReconciliationStatus.DONE,
                utcnow(),
                None,
            )
        return report
    except Exception as exc:
        log.exception("reconciliation %s failed", reconciliation_id)
        error = f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc()[-2000:]}"
        with transaction(session_factory) as session:
            record = get_or_404(session, Reconciliation, reconciliation_id, lock=True, what="reconciliation")
            if record.status == ReconciliationStatus.QUEUED:
                record.status, record.finished_at, record.error = ReconciliationStatus.FAILED, utcnow(), error
        return None


def as_dict(record: Reconciliation) -> dict:
    return {
        "id": record.id,
        "from": record.period_from,
        "to": record.period_to,
        "status": record.status,
        "requested_by": record.requested_by,
        "created_at": record.created_at,
        "finished_at": record.finished_at,
        "report": json.loads(record.report) if record.report else None,
        "error": record.error.splitlines()[0] if record.error else None,
    }
