"""``/payout-runs`` (managers): what is owed, draft runs and their lines, approval, the bank file, paid or failed."""

from __future__ import annotations

from datetime import timedelta

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.suppliers import bank_files, payouts
from services.suppliers.api.schemas import PayoutLineOut
from services.suppliers.ledger import RESERVED_LINE_STATUSES
from services.suppliers.models import PayoutLineStatus, PayoutRun
from shared.auth import current_actor, requires
from shared.business_time import business_day
from shared.db import get_or_404, utcnow
from shared.runtime import current_runtime
from shared.schemas import Money, StrictSchema

payouts_blp = Blueprint("payout_runs", __name__, url_prefix="/payout-runs", description="Payout runs")


class PayoutRunIn(StrictSchema):
    cutoff_date = fields.Date(required=True)


class PayoutRunOut(Schema):
    id = fields.String()
    cutoff_date = fields.Date()
    status = fields.String()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    approved_by = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    total = fields.Integer()
    lines = fields.List(fields.Nested(PayoutLineOut))


class ReasonIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class AmountIn(StrictSchema):
    amount = Money(required=True, validate=validate.Range(min=1, error="Must be at least 1."))


class ReferenceIn(StrictSchema):
    reference = fields.String(required=True, validate=validate.Length(min=1, max=120))


class DueOut(Schema):
    supplier_id = fields.String()
    business_name = fields.String()
    available = fields.Integer()
    minimum_payout = fields.Integer()
    payout_schedule = fields.String()
    due_date = fields.Date(allow_none=True)
    overdue_amount = fields.Integer()
    overdue = fields.Boolean()


def _run_out(session, run) -> dict:
    lines = payouts.run_lines(session, run.id)
    return {
        **{
            k: getattr(run, k)
            for k in ("id", "cutoff_date", "status", "created_by", "created_at", "approved_by", "approved_at")
        },
        "lines": lines,
        "total": sum(line.amount for line in lines if line.status in (*RESERVED_LINE_STATUSES, PayoutLineStatus.PAID)),
    }


@payouts_blp.route("")
class PayoutRuns(MethodView):
    @requires("manager")
    @payouts_blp.arguments(PayoutRunIn)
    @payouts_blp.response(201, PayoutRunOut)
    def post(self, data):
        """A draft run for a cut-off date: one line per supplier whose available balance reaches the minimum."""
        with current_runtime().transaction() as session:
            return _run_out(session, payouts.create_run(session, data["cutoff_date"], current_actor()))

    @requires("manager")
    @payouts_blp.response(200, PayoutRunOut(many=True))
    def get(self):
        """All runs, newest first."""
        with current_runtime().transaction() as session:
            return [_run_out(session, run) for run in payouts.list_runs(session)]


@payouts_blp.route("/dues")
class Dues(MethodView):
    @requires("manager")
    @payouts_blp.response(200, DueOut(many=True))
    def get(self):
        """What each supplier is owed now; amounts due for more than 15 days are flagged ``overdue``."""
        with current_runtime().transaction() as session:
            rows = payouts.dues(session)
        return sorted(rows, key=lambda r: (not r["overdue"], -r["available"]))


@payouts_blp.route("/<uuid:run_id>")
class PayoutRunById(MethodView):
    @requires("manager")
    @payouts_blp.response(200, PayoutRunOut)
    def get(self, run_id):
        """One run with its lines (overdue lines first)."""
        with current_runtime().transaction() as session:
            return _run_out(session, get_or_404(session, PayoutRun, run_id, what="payout run"))


@payouts_blp.route("/<uuid:run_id>/approve")
class ApproveRun(MethodView):
    @requires("manager")
    @payouts_blp.response(200, PayoutRunOut)
    def post(self, run_id):
        """Approve a draft run (recorded in the audit log); its proposed lines become payable."""
        with current_runtime().transaction() as session:
            return _run_out(session, payouts.approve_run(session, run_id, current_actor()))


class BankFileQuery(StrictSchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(bank_files.FORMATS))
    value_date = fields.Date(load_default=None, metadata={"description": "Execution date (default: today, WIB)"})
    debit_account = fields.String(load_default="", validate=validate.Length(max=40))
    batch = fields.Integer(load_default=1, validate=validate.Range(min=1, max=99))
    corporate_id = fields.String(load_default="", validate=validate.Length(max=20))
    company_code = fields.String(load_default="", validate=validate.Length(max=20))
    value_hour = fields.Integer(load_default=0, validate=validate.Range(min=0, max=23))

    @validates_schema
    def _not_in_the_past(self, data, **kwargs):
        today = business_day(utcnow())
        if data["value_date"] is not None and not today <= data["value_date"] <= today + timedelta(days=31):
            raise ValidationError("Must be from today to 31 days ahead.", "value_date")


@payouts_blp.route("/<uuid:run_id>/bank-file")
class BankFileInFormat(MethodView):
    @requires("manager")
    @payouts_blp.arguments(BankFileQuery, location="query")
    @payouts_blp.response(200)
    def get(self, query, run_id):
        """The bank file of an approved run in a bank's bulk-transfer layout (``format``: ``csv``; ``mandiri`` (MCM
        multi service, any bank; needs ``debit_account``); ``bca`` (KlikBCA Bisnis Multi Payroll TXT, BCA accounts
        only; needs ``debit_account``, ``corporate_id``, ``company_code``, takes ``batch`` and ``value_hour``);
        ``bri`` (BRI CMS Mass FT, BRI accounts only; needs ``debit_account``)); 422 ``invalid_bank_file`` with the
        lines that break the layout's rules, 409 ``no_lines_for_bank`` when the layout carries none."""
        options = bank_files.FileOptions(
            value_date=query["value_date"] or business_day(utcnow()),
            debit_account=query["debit_account"].strip(),
            batch=query["batch"],
            corporate_id=query["corporate_id"].strip(),
            company_code=query["company_code"].strip(),
            value_hour=query["value_hour"],
        )
        with current_runtime().transaction() as session:
            body = payouts.bank_file(session, run_id, query["format"], options)
        extension, media_type = bank_files.file_type(query["format"])
        name = f"payout-{run_id}-{query['format']}.{extension}"
        return Response(body, mimetype=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@payouts_blp.route("/<uuid:run_id>/bank-file.csv")
class BankFile(MethodView):
    @requires("manager")
    @payouts_blp.response(200)
    def get(self, run_id):
        """The bank transfer file of an approved run (bank, account, holder, amount, reference)."""
        with current_runtime().transaction() as session:
            body = payouts.bank_file_csv(session, run_id)
        return Response(
            body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="payout-{run_id}.csv"'}
        )


def _line_action(run_id, line_id, action, *args) -> object:
    with current_runtime().transaction() as session:
        return action(session, str(run_id), str(line_id), *args, current_actor())


@payouts_blp.route("/<uuid:run_id>/lines/<uuid:line_id>")
class PayoutLineById(MethodView):
    @requires("manager")
    @payouts_blp.arguments(AmountIn)
    @payouts_blp.response(200, PayoutLineOut)
    def patch(self, data, run_id, line_id):
        """Change the amount of a proposed line of a draft run (never above what is available)."""
        return _line_action(run_id, line_id, payouts.change_line_amount, data["amount"])


@payouts_blp.route("/<uuid:run_id>/lines/<uuid:line_id>/hold")
class HoldLine(MethodView):
    @requires("manager")
    @payouts_blp.arguments(ReasonIn)
    @payouts_blp.response(200, PayoutLineOut)
    def post(self, data, run_id, line_id):
        """Hold a line of a draft run with a reason (it is not paid in this run)."""
        return _line_action(run_id, line_id, payouts.hold_line, data["reason"])


@payouts_blp.route("/<uuid:run_id>/lines/<uuid:line_id>/release")
class ReleaseLine(MethodView):
    @requires("manager")
    @payouts_blp.response(200, PayoutLineOut)
    def post(self, run_id, line_id):
        """Put a held line back into the draft run."""
        return _line_action(run_id, line_id, payouts.release_line)


@payouts_blp.route("/<uuid:run_id>/lines/<uuid:line_id>/exclude")
class ExcludeLine(MethodView):
    @requires("manager")
    @payouts_blp.arguments(ReasonIn)
    @payouts_blp.response(200, PayoutLineOut)
    def post(self, data, run_id, line_id):
        """Exclude a line of a draft run with a reason."""
        return _line_action(run_id, line_id, payouts.exclude_line, data["reason"])


@payouts_blp.route("/<uuid:run_id>/lines/<uuid:line_id>/paid")
class LinePaid(MethodView):
    @requires("manager")
    @payouts_blp.arguments(ReferenceIn)
    @payouts_blp.response(200, PayoutLineOut)
    def post(self, data, run_id, line_id):
        """The transfer was made: post the payout and emit ``payout.paid`` (409 if the run is not approved)."""
        return _line_action(run_id, line_id, payouts.mark_paid, data["reference"])


@payouts_blp.route("/<uuid:run_id>/lines/<uuid:line_id>/failed")
class LineFailed(MethodView):
    @requires("manager")
    @payouts_blp.arguments(ReasonIn)
    @payouts_blp.response(200, PayoutLineOut)
    def post(self, data, run_id, line_id):
        """The transfer failed: the amount is available again."""
        return _line_action(run_id, line_id, payouts.mark_failed, data["reason"])
