"""Reconciliation: run one for a period, read what it found per sale (or refund), and drill down into what the
till (POS), stock (inventory) and the ledger (suppliers) each hold of one sale."""

from __future__ import annotations

from datetime import date

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


@blp.get("/reconciliation/<uuid:reconciliation_id>/sales/<uuid:sale_id>")
@manager_page
def reconciliation_sale(reconciliation_id, sale_id):
    """What each service holds of one sale: the till's sale with its lines and payments, the stock movements it
    made, and the ledger's entries with their postings."""
    record = call("suppliers", "GET", f"/reconciliations/{reconciliation_id}")
    try:
        sale = call("pos", "GET", f"/sales/{sale_id}")
    except ServiceProblem as problem:
        if problem.status != 404:
            raise
        sale = None
    movements = call("inventory", "GET", "/reconciliation/movements/of", params={"reference_id": str(sale_id)}) or []
    entries = call("suppliers", "GET", "/reconciliations/ledger-entries", params={"source_id": str(sale_id)}) or []
    names = supplier_names()
    for entry in entries:
        for posting in entry["postings"]:
            account, _sep, supplier_id = posting["account"].partition(":")
            posting["label"] = word(account, "ledger_account")
            posting["supplier"] = names.get(supplier_id, "") if supplier_id else ""
    report = record.get("report") or {}
    findings = [row for row in findings_by_record(report) if row["id"] == str(sale_id)] if report else []
    return render(
        "console/reconciliation/sale.html",
        section="reconciliation",
        record=record,
        sale=sale,
        sale_id=str(sale_id),
        receipt_no=(sale or {}).get("receipt_no") or (report.get("receipts") or {}).get(str(sale_id)),
        movements=movements,
        entries=entries,
        findings=findings[0]["findings"] if findings else [],
        supplier_names=names,
    )
