"""HTTP API of the suppliers service: validates, authorises and calls the use cases.

Managers (and admins) see every supplier; a supplier's token reaches its own data through ``/me/...`` and
through ``/suppliers/<its own id>/...``; any other supplier's id, or an object of another supplier, is 404.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.suppliers import payouts, reconciliation, registry, rules, statements, supplier_views
from services.suppliers.ledger import RESERVED_LINE_STATUSES, balance_summary
from services.suppliers.models import (
    AgreementType,
    BorneBy,
    PayoutLineStatus,
    PayoutRun,
    PayoutSchedule,
    Reconciliation,
    Supplier,
    SupplierStatus,
)
from shared import dead_letters_api
from shared.auth import current_actor, current_principal, requires
from shared.business_time import day_start
from shared.db import get_or_404
from shared.errors import NotFound
from shared.runtime import current_runtime
from shared.schemas import BasisPoints, InstantOrDay, Money, StrictInteger, StrictSchema

log = logging.getLogger(__name__)

suppliers_blp = Blueprint("suppliers", __name__, url_prefix="/suppliers", description="UMKM suppliers (managers)")
me_blp = Blueprint("me", __name__, url_prefix="/me", description="A supplier's own data")
payouts_blp = Blueprint("payout_runs", __name__, url_prefix="/payout-runs", description="Payout runs")
reconciliations_blp = Blueprint(
    "reconciliations",
    __name__,
    url_prefix="/reconciliations",
    description="Reconciliation of POS, inventory and the ledger",
)


BLUEPRINTS = [suppliers_blp, me_blp, payouts_blp, reconciliations_blp, dead_letters_api.blp]


def _own_supplier_id(supplier_id) -> str:
    """The supplier a request may read: anyone for staff; only its own for a supplier (others are 404)."""
    principal = current_principal()
    if principal.role == "supplier" and principal.supplier_id != str(supplier_id):
        raise NotFound(f"supplier {supplier_id} not found")
    return str(supplier_id)


def _me() -> str:
    return current_principal().supplier_id


# -- schemas -----------------------------------------------------------------------------------------------
class EffectiveFrom(InstantOrDay):
    """An ISO date (the start of that Jakarta day) or a timezone-aware ISO date-time."""

    default_error_messages = {"invalid": "Must be an ISO date (YYYY-MM-DD) or a date-time with a time zone."}

    def _deserialize(self, value, attr, data, **kwargs):
        moment_or_day = super()._deserialize(value, attr, data, **kwargs)
        return moment_or_day if isinstance(moment_or_day, datetime) else day_start(moment_or_day)

    def _serialize(self, value, attr, obj, **kwargs):
        return value.isoformat() if value is not None else None


class FixedPriceIn(StrictSchema):
    product_id = fields.UUID(required=True)
    supplier_price = Money(required=True)


class AgreementIn(StrictSchema):
    type = fields.String(load_default=AgreementType.COMMISSION, validate=validate.OneOf(list(AgreementType)))
    commission_bps = BasisPoints(load_default=rules.DEFAULT_COMMISSION_BPS)
    fixed_prices = fields.List(fields.Nested(FixedPriceIn), load_default=list)
    payout_schedule = fields.String(load_default=PayoutSchedule.MONTHLY, validate=validate.OneOf(list(PayoutSchedule)))
    minimum_payout = Money(load_default=0)
    holdback_days = StrictInteger(load_default=rules.DEFAULT_HOLDBACK_DAYS, validate=validate.Range(min=0, max=365))
    shrinkage_borne_by = fields.String(load_default=BorneBy.SUPPLIER, validate=validate.OneOf(list(BorneBy)))
    consignment_days = StrictInteger(
        load_default=rules.DEFAULT_CONSIGNMENT_DAYS, validate=validate.Range(min=1, max=3650)
    )
    effective_from = EffectiveFrom()

    @validates_schema
    def _fixed_price_needs_prices(self, data, **kwargs):
        if data.get("type") == AgreementType.FIXED_PRICE and not data.get("fixed_prices"):
            raise ValidationError("A fixed-price agreement needs at least one product price.", "fixed_prices")


PHONE = validate.Regexp(r"^\+?[0-9]{8,15}$", error="Must be 8 to 15 digits, optionally starting with +.")


class SupplierProfileFields(StrictSchema):
    email = fields.Email(allow_none=True, validate=validate.Length(max=200))
    address = fields.String(allow_none=True, validate=validate.Length(max=500))
    nib = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{13}$", error="NIB has 13 digits."))
    npwp = fields.String(
        allow_none=True, validate=validate.Regexp(r"^[0-9]{15}([0-9])?$", error="NPWP has 15 or 16 digits.")
    )
    pirt_number = fields.String(
        allow_none=True, validate=validate.Regexp(r"^[0-9]{15,20}$", error="P-IRT has 15 to 20 digits.")
    )
    bank_name = fields.String(allow_none=True, validate=validate.Length(min=2, max=100))
    bank_account_number = fields.String(
        allow_none=True, validate=validate.Regexp(r"^[0-9]{5,20}$", error="5 to 20 digits.")
    )
    bank_account_holder = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))


class SupplierIn(SupplierProfileFields):
    id = fields.UUID(load_default=None)
    business_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    owner_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(required=True, validate=PHONE)
    agreement = fields.Nested(AgreementIn, load_default=None)


class SupplierPatch(SupplierProfileFields):
    business_name = fields.String(validate=validate.Length(min=1, max=200))
    owner_name = fields.String(validate=validate.Length(min=1, max=200))
    phone = fields.String(validate=PHONE)
    status = fields.String(validate=validate.OneOf(list(SupplierStatus)))


class AgreementOut(Schema):
    id = fields.String()
    supplier_id = fields.String()
    type = fields.String()
    commission_bps = fields.Integer()
    fixed_prices = fields.List(fields.Dict())
    payout_schedule = fields.String()
    minimum_payout = fields.Integer()
    holdback_days = fields.Integer()
    shrinkage_borne_by = fields.String()
    consignment_days = fields.Integer()
    effective_from = fields.AwareDateTime()
    created_at = fields.AwareDateTime()


class SupplierOut(Schema):
    id = fields.String()
    business_name = fields.String()
    owner_name = fields.String()
    phone = fields.String()
    email = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    nib = fields.String(allow_none=True)
    npwp = fields.String(allow_none=True)
    pirt_number = fields.String(allow_none=True)
    bank_name = fields.String(allow_none=True)
    bank_account_number = fields.String(allow_none=True)
    bank_account_holder = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    agreement = fields.Nested(AgreementOut, allow_none=True)


class BalanceOut(Schema):
    supplier_id = fields.String()
    pending = fields.Integer()
    available = fields.Integer()
    paid = fields.Integer()
    lifetime_sales = fields.Integer()
    reserved = fields.Integer()
    payable = fields.Integer()


class PeriodQuery(StrictSchema):
    start = fields.Date(required=True, data_key="from")
    end = fields.Date(required=True, data_key="to")

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("The period ends before it starts.", "to")
        if (data["end"] - data["start"]).days > 366 * 5:
            raise ValidationError("At most five years at a time.", "to")


class SalesQuery(PeriodQuery):
    product_id = fields.UUID(load_default=None)


class StatementQuery(PeriodQuery):
    format = fields.String(load_default="pdf", validate=validate.OneOf(["pdf", "csv"]))


class SalesRowOut(Schema):
    day = fields.Date()
    product_id = fields.String()
    product_name = fields.String()
    qty = fields.Integer()
    gross = fields.Integer()
    commission = fields.Integer()
    share = fields.Integer()


class StockRowOut(Schema):
    product_id = fields.String()
    product_name = fields.String()
    on_hand = fields.Integer()
    sold = fields.Integer()
    near_expiry = fields.Boolean()
    near_expiry_lots = fields.Integer()
    due_for_pickup = fields.Boolean()


class AlertOut(Schema):
    id = fields.String()
    product_id = fields.String()
    lot_id = fields.String(allow_none=True)
    kind = fields.String()
    message = fields.String()
    raised_at = fields.AwareDateTime()


class PayoutLineOut(Schema):
    id = fields.String()
    run_id = fields.String()
    supplier_id = fields.String()
    amount = fields.Integer()
    status = fields.String()
    reason = fields.String(allow_none=True)
    bank_name = fields.String()
    bank_account_number = fields.String()
    bank_account_holder = fields.String()
    due_date = fields.Date(allow_none=True)
    overdue_amount = fields.Integer()
    overdue = fields.Function(lambda line: bool(line.overdue_amount))
    reference = fields.String(allow_none=True)
    paid_at = fields.AwareDateTime(allow_none=True)
    failed_at = fields.AwareDateTime(allow_none=True)


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


class ReconciliationIn(StrictSchema):
    start = fields.Date(required=True, data_key="from")
    end = fields.Date(required=True, data_key="to")

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("The period ends before it starts.", "to")


class ReconciliationOut(Schema):
    id = fields.String()
    start = fields.Date(data_key="from", attribute="from")
    end = fields.Date(data_key="to", attribute="to")
    status = fields.String()
    requested_by = fields.String()
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    report = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)


# -- shared view bodies ------------------------------------------------------------------------------------
def _supplier_out(session, supplier) -> dict:
    agreement = registry.current_agreement(session, supplier.id)
    data = {key: getattr(supplier, key) for key in SupplierOut._declared_fields if hasattr(supplier, key)}
    data["agreement"] = registry.agreement_dict(session, agreement) if agreement else None
    return data


def _balance(supplier_id: str) -> dict:
    with current_runtime().transaction() as session:
        get_or_404(session, Supplier, supplier_id, what="supplier")
        return balance_summary(session, supplier_id)


def _sales(supplier_id: str, query: dict) -> list[dict]:
    with current_runtime().transaction() as session:
        get_or_404(session, Supplier, supplier_id, what="supplier")
        product_id = str(query["product_id"]) if query.get("product_id") else None
        return supplier_views.sales_by_product_and_day(session, supplier_id, query["start"], query["end"], product_id)


def _stock(supplier_id: str) -> list[dict]:
    with current_runtime().transaction() as session:
        get_or_404(session, Supplier, supplier_id, what="supplier")
        return supplier_views.stock_by_product(session, supplier_id)


def _payout_lines(supplier_id: str):
    with current_runtime().transaction() as session:
        get_or_404(session, Supplier, supplier_id, what="supplier")
        return supplier_views.payouts(session, supplier_id)


def _statement(supplier_id: str, query: dict) -> Response:
    runtime = current_runtime()
    start, end = query["start"], query["end"]
    with runtime.transaction() as session:
        supplier = get_or_404(session, Supplier, supplier_id, what="supplier")
        slug = re.sub(r"[^a-z0-9]+", "-", supplier.business_name.lower()).strip("-")[:40] or "pemasok"
        filename = f"laporan-{slug}-{start}-{end}"
        if query["format"] == "pdf":
            body = statements.pdf_bytes(session, supplier_id, start, end)
            return Response(
                body,
                mimetype="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
            )
    chunks = statements.csv_chunks(runtime.session_factory, supplier_id, start, end)
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


# -- /suppliers (managers; a supplier only for its own id) ---------------------------------------------------
@suppliers_blp.route("")
class Suppliers(MethodView):
    @requires("manager")
    @suppliers_blp.arguments(SupplierIn)
    @suppliers_blp.response(201, SupplierOut)
    def post(self, data):
        """Register a supplier with its first agreement (default: 20 % commission); emits ``supplier.registered``."""
        if data.get("id") is None:
            data.pop("id", None)
        else:
            data["id"] = str(data["id"])
        with current_runtime().transaction() as session:
            supplier = registry.register_supplier(session, data, current_actor())
            return _supplier_out(session, supplier)

    @requires("manager")
    @suppliers_blp.response(200, SupplierOut(many=True))
    def get(self):
        """All suppliers, by name, with the terms in force now."""
        with current_runtime().transaction() as session:
            return [_supplier_out(session, s) for s in registry.list_suppliers(session)]


@suppliers_blp.route("/<uuid:supplier_id>")
class SupplierById(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.response(200, SupplierOut)
    def get(self, supplier_id):
        """One supplier with the terms in force now."""
        with current_runtime().transaction() as session:
            return _supplier_out(session, get_or_404(session, Supplier, _own_supplier_id(supplier_id), what="supplier"))

    @requires("manager")
    @suppliers_blp.arguments(SupplierPatch)
    @suppliers_blp.response(200, SupplierOut)
    def patch(self, changes, supplier_id):
        """Change the profile or the status (active, suspended, ended); emits ``supplier.updated``."""
        with current_runtime().transaction() as session:
            return _supplier_out(session, registry.update_supplier(session, str(supplier_id), changes, current_actor()))


@suppliers_blp.route("/<uuid:supplier_id>/agreements")
class SupplierAgreements(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.response(200, AgreementOut(many=True))
    def get(self, supplier_id):
        """Every agreement of the supplier, oldest first (terms are never edited, only superseded)."""
        with current_runtime().transaction() as session:
            return [
                registry.agreement_dict(session, a)
                for a in registry.list_agreements(session, _own_supplier_id(supplier_id))
            ]

    @requires("manager")
    @suppliers_blp.arguments(AgreementIn)
    @suppliers_blp.response(201, AgreementOut)
    def post(self, data, supplier_id):
        """New terms from ``effective_from`` (default now); earlier sales keep their terms."""
        with current_runtime().transaction() as session:
            return registry.agreement_dict(
                session, registry.add_agreement(session, str(supplier_id), data, current_actor())
            )


@suppliers_blp.route("/<uuid:supplier_id>/balance")
class SupplierBalance(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.response(200, BalanceOut)
    def get(self, supplier_id):
        """Pending (inside the holdback), available, paid and lifetime sales, in rupiah."""
        return _balance(_own_supplier_id(supplier_id))


@suppliers_blp.route("/<uuid:supplier_id>/sales")
class SupplierSales(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.arguments(SalesQuery, location="query")
    @suppliers_blp.response(200, SalesRowOut(many=True))
    def get(self, query, supplier_id):
        """Net sales (after refunds) by product and Jakarta day."""
        return _sales(_own_supplier_id(supplier_id), query)


@suppliers_blp.route("/<uuid:supplier_id>/stock")
class SupplierStock(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.response(200, StockRowOut(many=True))
    def get(self, supplier_id):
        """Stock at the centre by product: on hand, sold, near expiry, due for pickup."""
        return _stock(_own_supplier_id(supplier_id))


@suppliers_blp.route("/<uuid:supplier_id>/payouts")
class SupplierPayouts(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.response(200, PayoutLineOut(many=True))
    def get(self, supplier_id):
        """The supplier's approved, paid and failed payouts."""
        return _payout_lines(_own_supplier_id(supplier_id))


@suppliers_blp.route("/<uuid:supplier_id>/statements")
class SupplierStatements(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.arguments(StatementQuery, location="query")
    @suppliers_blp.response(200)
    def get(self, query, supplier_id):
        """Statement for a period as PDF (Bahasa Indonesia) or CSV (streamed)."""
        return _statement(_own_supplier_id(supplier_id), query)


# -- /me (a supplier's own data) ---------------------------------------------------------------------------
@me_blp.route("")
class Me(MethodView):
    @requires("supplier")
    @me_blp.response(200, SupplierOut)
    def get(self):
        """My profile and the terms in force now."""
        with current_runtime().transaction() as session:
            return _supplier_out(session, get_or_404(session, Supplier, _me(), what="supplier"))


@me_blp.route("/balance")
class MyBalance(MethodView):
    @requires("supplier")
    @me_blp.response(200, BalanceOut)
    def get(self):
        """My balance: pending, available, paid, lifetime sales."""
        return _balance(_me())


@me_blp.route("/agreements")
class MyAgreements(MethodView):
    @requires("supplier")
    @me_blp.response(200, AgreementOut(many=True))
    def get(self):
        """My agreements, oldest first."""
        with current_runtime().transaction() as session:
            return [registry.agreement_dict(session, a) for a in registry.list_agreements(session, _me())]


@me_blp.route("/sales")
class MySales(MethodView):
    @requires("supplier")
    @me_blp.arguments(SalesQuery, location="query")
    @me_blp.response(200, SalesRowOut(many=True))
    def get(self, query):
        """My net sales by product and day (optionally one product of mine)."""
        return _sales(_me(), query)


@me_blp.route("/stock")
class MyStock(MethodView):
    @requires("supplier")
    @me_blp.response(200, StockRowOut(many=True))
    def get(self):
        """My stock at the centre by product."""
        return _stock(_me())


@me_blp.route("/stock/<uuid:product_id>")
class MyProductStock(MethodView):
    @requires("supplier")
    @me_blp.response(200, StockRowOut)
    def get(self, product_id):
        """The stock of one of my products (another supplier's product is 404)."""
        with current_runtime().transaction() as session:
            return supplier_views.product_stock(session, _me(), str(product_id))


@me_blp.route("/alerts")
class MyAlerts(MethodView):
    @requires("supplier")
    @me_blp.response(200, AlertOut(many=True))
    def get(self):
        """Stock alerts about my products (low stock, near expiry, consignment ended), newest first."""
        with current_runtime().transaction() as session:
            return supplier_views.alerts(session, _me())


@me_blp.route("/alerts/<uuid:alert_id>")
class MyAlert(MethodView):
    @requires("supplier")
    @me_blp.response(200, AlertOut)
    def get(self, alert_id):
        """One alert of mine."""
        with current_runtime().transaction() as session:
            return supplier_views.alert(session, _me(), str(alert_id))


@me_blp.route("/payouts")
class MyPayouts(MethodView):
    @requires("supplier")
    @me_blp.response(200, PayoutLineOut(many=True))
    def get(self):
        """My payouts (approved, paid, failed)."""
        return _payout_lines(_me())


@me_blp.route("/payouts/<uuid:payout_id>")
class MyPayout(MethodView):
    @requires("supplier")
    @me_blp.response(200, PayoutLineOut)
    def get(self, payout_id):
        """One payout of mine."""
        with current_runtime().transaction() as session:
            return supplier_views.payout(session, _me(), str(payout_id))


@me_blp.route("/statements")
class MyStatements(MethodView):
    @requires("supplier")
    @me_blp.arguments(StatementQuery, location="query")
    @me_blp.response(200)
    def get(self, query):
        """My statement for a period as PDF (Bahasa Indonesia) or CSV."""
        return _statement(_me(), query)


# -- /payout-runs (managers) -------------------------------------------------------------------------------
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


# -- /reconciliations (managers) ---------------------------------------------------------------------------
@reconciliations_blp.route("")
class Reconciliations(MethodView):
    @requires("manager")
    @reconciliations_blp.arguments(ReconciliationIn)
    @reconciliations_blp.response(202, ReconciliationOut)
    def post(self, data):
        """Queue a reconciliation of the period; the suppliers worker runs it (event ``reconciliation.requested``
        through the outbox, so it is queued even while Redis is down)."""
        with current_runtime().transaction() as session:
            record = reconciliation.request(session, data["start"], data["end"], current_actor())
            return reconciliation.as_dict(record)


@reconciliations_blp.route("/<uuid:reconciliation_id>")
class ReconciliationById(MethodView):
    @requires("manager")
    @reconciliations_blp.response(200, ReconciliationOut)
    def get(self, reconciliation_id):
        """The status and, when done, the report: missing, duplicated, mismatched ids and ledger invariants."""
        with current_runtime().transaction() as session:
            return reconciliation.as_dict(get_or_404(session, Reconciliation, reconciliation_id, what="reconciliation"))
