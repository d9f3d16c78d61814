"""Payout runs: create for a cut-off date, review the lines (hold, release, exclude), approve, bank file,
mark each line paid or failed."""

from __future__ import annotations

from flask import Response, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _

from services.gateway.backend import ServiceProblem, call, raw_call
from services.gateway.console.common import (
    blp,
    done,
    failure,
    form_text,
    manager_page,
    person_names,
    render,
    supplier_names,
)
from services.gateway.sessions import optional_caller

#: The bank file layouts a manager can download (``format`` of the suppliers service's bank-file endpoint).
BANK_FILE_FORMATS = [
    ("csv", _("Generic CSV (any bank)")),
    ("mandiri", _("Mandiri Cash Management (all banks)")),
    ("bca", _("KlikBCA Bisnis Multi Payroll (BCA accounts only)")),
    ("bri", _("BRI CMS mass transfer (BRI accounts only)")),
]
#: The query parameters the bank file form passes on.
BANK_FILE_FIELDS = ("format", "debit_account", "value_date", "batch", "corporate_id", "company_code", "value_hour")
#: The hours a BCA file's transfers can run at (``value_hour``).
BANK_FILE_HOURS = [(str(hour), f"{hour:02d}.00") for hour in range(24)]


@blp.route("/payouts", methods=["GET", "POST"])
@manager_page
def payout_runs():
    """Every run (newest first), what each supplier is owed now, and the form for a new run."""
    errors: dict[str, list[str]] = {}
    message = None
    if request.method == "POST":
        try:
            run = call("suppliers", "POST", "/payout-runs", json={"cutoff_date": form_text("cutoff_date")})
        except ServiceProblem as problem:
            message, errors = failure(problem)
        else:
            return done(gettext("Payout run created."), "console.payout_run", run_id=run["id"])
    runs = call("suppliers", "GET", "/payout-runs") or []
    dues = call("suppliers", "GET", "/payout-runs/dues") or []
    return render(
        "console/payouts/list.html",
        section="payouts",
        runs=runs,
        dues=dues,
        errors=errors,
        message=message,
        values=dict(request.form),
    ), (422 if errors or message else 200)


@blp.get("/payouts/<uuid:run_id>")
@manager_page
def payout_run(run_id):
    """One run: its lines with the supplier's name, bank account, status and what can be done."""
    return _detail(call("suppliers", "GET", f"/payout-runs/{run_id}"))


def _detail(run: dict, **context):
    """The run page; ``created_by_me`` tells the manager who created the run that another one must approve it;
    who created and who approved it by name (the gateway holds the accounts)."""
    caller = optional_caller()
    me = f"{caller.principal.role}:{caller.principal.user_id}" if caller else ""
    name_of = person_names()
    return render(
        "console/payouts/detail.html",
        section="payouts",
        run=run,
        supplier_names=supplier_names(),
        created_by_me=run.get("created_by", "").split(":")[-1] == me.split(":")[-1],
        created_by=name_of(run.get("created_by")),
        approved_by=name_of(run.get("approved_by")),
        bank_file_formats=BANK_FILE_FORMATS,
        bank_file_hours=BANK_FILE_HOURS,
        bank_file=dict(request.args) if request.method == "GET" else {},
        **context,
    )


@blp.get("/payouts/<uuid:run_id>/bank-file")
@manager_page
def payout_bank_file(run_id):
    """The bank file of an approved run in the chosen layout, as a download; the run page with the reasons (each
    line that breaks the bank's rules, by supplier) when it cannot be made."""
    params = {name: request.args[name].strip() for name in BANK_FILE_FIELDS if request.args.get(name, "").strip()}
    try:
        response = raw_call("suppliers", "GET", f"/payout-runs/{run_id}/bank-file", params=params)
    except ServiceProblem as problem:
        return _refused(run_id, problem)
    return Response(
        response.content,
        content_type=response.headers.get("Content-Type", "text/csv"),
        headers={"Content-Disposition": response.headers.get("Content-Disposition", "attachment")},
    )


@blp.post("/payouts/<uuid:run_id>/approve")
@manager_page
def approve_payout_run(run_id):
    """Approve a draft run (its proposed lines become payable)."""
    try:
        call("suppliers", "POST", f"/payout-runs/{run_id}/approve")
    except ServiceProblem as problem:
        return _refused(run_id, problem)
    return done(gettext("Payout run approved."), "console.payout_run", run_id=run_id)


#: The body field each line action takes from the form (``None``: no body).
LINE_FIELDS = {"hold": "reason", "release": None, "exclude": "reason", "paid": "reference", "failed": "reason"}


@blp.post("/payouts/<uuid:run_id>/lines/<uuid:line_id>/<any(hold, release, exclude, paid, failed):action>")
@manager_page
def payout_line_action(run_id, line_id, action):
    """Hold, release or exclude a line of a draft run; mark a line of an approved run paid or failed."""
    field = LINE_FIELDS[action]
    body = {field: form_text(field)} if field else None
    try:
        call("suppliers", "POST", f"/payout-runs/{run_id}/lines/{line_id}/{action}", json=body)
    except ServiceProblem as problem:
        return _refused(run_id, problem, line_id=str(line_id))
    messages = {
        "hold": gettext("Line held."),
        "release": gettext("Line released."),
        "exclude": gettext("Line excluded."),
        "paid": gettext("Marked as paid."),
        "failed": gettext("Marked as failed."),
    }
    return done(messages[action], "console.payout_run", run_id=run_id)


def _refused(run_id, problem: ServiceProblem, line_id: str | None = None):
    message, errors = failure(problem)
    run = call("suppliers", "GET", f"/payout-runs/{run_id}")
    return _detail(run, message=message, errors=errors, error_line=line_id), (
        problem.status if 400 <= problem.status < 500 else 502
    )
