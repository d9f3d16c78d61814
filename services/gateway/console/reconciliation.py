"""Reconciliation: run one for a period, read what it found per sale (or refund), and drill down into what the
till (POS), stock (inventory) and the ledger (suppliers) each hold of one sale or one refund."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_babel import gettext

from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import blp, done, failure, form_text, manager_page, render, supplier_names
from services.gateway.i18n import rupiah
from services.gateway.words import word
from shared.business_time import today

#: A reconciliation still running is polled this often (milliseconds) by the page.
POLL_MS = 1500


def finding_sentence(kind: str, finding: dict) -> str:
    """What one finding of the report says, in words."""
    if kind == "missing":
        where = finding["missing_in"]
        if where == "ledger":
            return gettext("Not posted in the ledger (%(amount)s).", amount=rupiah(finding.get("amount")))
        if where == "inventory":
            return gettext("No stock movement for it.")
        return gettext(
            "Not recorded at the till, but %(where)s has it.", where=word(finding.get("seen_in", "ledger"), "source")
        )
    if kind == "duplicated":
        return gettext(
            "Recorded %(times)d times by %(source)s.",
            times=int(finding["times"]),
            source=word(finding["source"], "source"),
        )
    if finding.get("field") == "qty":
        return gettext(
            "Quantities differ: %(pos)d at the till, %(moved)d moved in stock.",
            pos=sum((finding.get("pos") or {}).values()),
            moved=sum((finding.get("inventory") or {}).values()),
        )
    return gettext(
        "Amounts differ: %(pos)s at the till, %(ledger)s in the ledger.",
        pos=rupiah(finding.get("pos")),
        ledger=rupiah(finding.get("ledger")),
    )


def findings_by_record(report: dict) -> list[dict]:
    """One row per sale (refund, movement) the report names: its receipt number when the till knows it, and every
    finding about it as a sentence; sales first, in the order the report names them."""
    rows: dict[tuple[str, str], dict] = {}
    receipts = report.get("receipts") or {}
    for kind in ("missing", "duplicated", "mismatched"):
        for finding in report.get(kind) or []:
            key = (finding["kind"], str(finding["id"]))
            row = rows.setdefault(
                key,
                {"kind": finding["kind"], "id": key[1], "receipt_no": receipts.get(key[1]), "findings": [], "tags": []},
            )
            row["findings"].append(finding_sentence(kind, finding))
            if kind not in row["tags"]:
                row["tags"].append(kind)
    order = {"sale": 0, "refund": 1, "movement": 2}
    return sorted(rows.values(), key=lambda row: order.get(row["kind"], 3))


@blp.route("/reconciliation", methods=["GET", "POST"])
@manager_page
def reconciliations():
    """The form for a new reconciliation (this month by default) and the latest ones."""
    errors: dict[str, list[str]] = {}
    message = None
    if request.method == "POST":
        body = {"from": form_text("from"), "to": form_text("to")}
        try:
            record = call("suppliers", "POST", "/reconciliations", json=body)
        except ServiceProblem as problem:
            message, errors = failure(problem)
        else:
            return done(gettext("Reconciliation started."), "console.reconciliation", reconciliation_id=record["id"])
    now = today()
    values = dict(request.form) or {"from": date(now.year, now.month, 1).isoformat(), "to": now.isoformat()}
    return render(
        "console/reconciliation/list.html",
        section="reconciliation",
        records=call("suppliers", "GET", "/reconciliations") or [],
        values=values,
        errors=errors,
        message=message,
    ), (422 if errors or message else 200)


@blp.get("/reconciliation/<uuid:reconciliation_id>")
@manager_page
def reconciliation(reconciliation_id):
    """One reconciliation: while it runs, a status the page polls (htmx takes the result part of this same page);
    when done, the findings per record."""
    record = call("suppliers", "GET", f"/reconciliations/{reconciliation_id}")
    report = record.get("report") or {}
    context = {
        "record": record,
        "report": report,
        "rows": findings_by_record(report) if report else [],
        "poll_ms": POLL_MS,
    }
    return render("console/reconciliation/detail.html", section="reconciliation", **context)


def _ledger_entries(source_id: str, names: dict[str, str]) -> list[dict]:
    """The ledger's entries of one sale or refund, each posting labelled in words with its supplier's name."""
    entries = call("suppliers", "GET", "/reconciliations/ledger-entries", params={"source_id": source_id}) or []
    for entry in entries:
        for posting in entry["postings"]:
            account, _sep, supplier_id = posting["account"].partition(":")
            posting["label"] = word(account, "ledger_account")
            posting["supplier"] = names.get(supplier_id, "") if supplier_id else ""
    return entries


def _from_pos(path: str) -> Any:
    """What the till answers for ``path``; ``None`` when it has no such record (a 404)."""
    try:
        return call("pos", "GET", path)
    except ServiceProblem as problem:
        if problem.status != 404:
            raise
        return None


def _name_refunded_lines(refund: dict, sale: dict | None) -> dict:
    """``refund`` with each line's product name taken from the sale line it refunds (``–`` when unknown)."""
    sold = {line["id"]: line for line in (sale or {}).get("lines", [])}
    for line in refund["lines"]:
        line["name"] = sold.get(line["sale_line_id"], {}).get("name", "–")
    return refund


def _drill_down(template: str, record: dict, record_id: str, till: dict | None, **context):
    """A drill-down page of one sale or refund (``record_id``): beside what the till holds (``till``, ``None``
    when it has no record), the stock movements made under that id, the ledger's entries for it, and the
    reconciliation's findings about it."""
    names = supplier_names()
    report = record.get("report") or {}
    movements = call("inventory", "GET", "/reconciliation/movements/of", params={"reference_id": record_id}) or []
    return render(
        template,
        section="reconciliation",
        record=record,
        receipt_no=(till or {}).get("receipt_no") or (report.get("receipts") or {}).get(record_id),
        movements=movements,
        entries=_ledger_entries(record_id, names),
        findings=_findings_of(report, record_id),
        supplier_names=names,
        **context,
    )


def _findings_of(report: dict, record_id: str) -> list[str]:
    rows = [row for row in findings_by_record(report) if row["id"] == record_id] if report else []
    return rows[0]["findings"] if rows else []


@blp.get("/reconciliation/<uuid:reconciliation_id>/sales/<uuid:sale_id>")
@manager_page
def reconciliation_sale(reconciliation_id, sale_id):
    """What each service holds of one sale: the till's sale with its lines and payments, the stock movements it
    made, the ledger's entries with their postings, and the sale's refunds (each with its own drill-down)."""
    record = call("suppliers", "GET", f"/reconciliations/{reconciliation_id}")
    sale = _from_pos(f"/sales/{sale_id}")
    refunds = (call("pos", "GET", "/refunds", params={"sale_id": str(sale_id)}) or []) if sale else []
    refunds = [_name_refunded_lines(refund, sale) for refund in refunds]
    return _drill_down(
        "console/reconciliation/sale.html", record, str(sale_id), sale, sale=sale, sale_id=str(sale_id), refunds=refunds
    )


@blp.get("/reconciliation/<uuid:reconciliation_id>/refunds/<uuid:refund_id>")
@manager_page
def reconciliation_refund(reconciliation_id, refund_id):
    """What each service holds of one refund: the till's refund (its lines named from the sale's, the money paid
    back, whether the goods went back to stock), the stock movements it made, and the ledger's entries."""
    record = call("suppliers", "GET", f"/reconciliations/{reconciliation_id}")
    refund = _from_pos(f"/refunds/{refund_id}")
    sale = _from_pos(f"/sales/{refund['sale_id']}") if refund else None
    if refund:
        _name_refunded_lines(refund, sale)
    return _drill_down("console/reconciliation/refund.html", record, str(refund_id), refund, refund=refund, sale=sale)
