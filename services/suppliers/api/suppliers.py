"""``/suppliers``: register and change suppliers and their terms (managers); a supplier reads only its own id."""

from __future__ import annotations

from datetime import datetime

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.suppliers import registry, rules
from services.suppliers.api import common
from services.suppliers.api.schemas import (
    AgreementOut,
    BalanceOut,
    PayoutLineOut,
    SalesQuery,
    SalesRowOut,
    StatementQuery,
    StockRowOut,
    SupplierOut,
)
from services.suppliers.models import AgreementType, BorneBy, PayoutSchedule, Supplier, SupplierStatus
from shared import bulk_import
from shared.auth import current_actor, requires
from shared.business_time import day_start
from shared.db import get_or_404
from shared.runtime import current_runtime
from shared.schemas import BasisPoints, InstantOrDay, Money, StrictInteger, StrictSchema

suppliers_blp = Blueprint("suppliers", __name__, url_prefix="/suppliers", description="UMKM suppliers (managers)")


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
            return common.supplier_out(session, supplier)

    @requires("manager")
    @suppliers_blp.response(200, SupplierOut(many=True))
    def get(self):
        """All suppliers, by name, with the terms in force now."""
        with current_runtime().transaction() as session:
            return [common.supplier_out(session, s) for s in registry.list_suppliers(session)]


class SupplierImportOut(Schema):
    dry_run = fields.Boolean()
    rows = fields.List(
        fields.Raw(),
        metadata={"description": "Registered (or, dry run: would be), each as a SupplierOut "},
    )


@suppliers_blp.route("/import")
class SupplierImport(MethodView):
    @requires("manager")
    @suppliers_blp.arguments(bulk_import.ImportIn)
    @suppliers_blp.response(200, SupplierImportOut)
    def post(self, data):
        """Register many suppliers at once, all or nothing: each row is a supplier as ``POST /suppliers`` takes
        it; a business name already registered (or twice in the rows) is a bad row. Any bad row: 422
        ``invalid_import_rows`` with ``errors.rows.<index>.<field>``, nothing registered. ``dry_run`` (the default):
        everything is checked, nothing is kept, the suppliers that would be registered are answered. A real import
        answers 201 and emits ``supplier.registered`` for each."""
        actor = current_actor()

        def register(row: dict) -> dict:
            row.pop("id", None)
            supplier = registry.register_supplier(session, registry.unique_business_name(session, row), actor)
            return SupplierOut().dump(common.supplier_out(session, supplier))

        with bulk_import.import_transaction() as (session, outcome):
            outcome["rows"] = bulk_import.import_rows(data["rows"], SupplierIn(), register, dry_run=data["dry_run"])
        return outcome, 200 if outcome["dry_run"] else 201


@suppliers_blp.route("/<uuid:supplier_id>")
class SupplierById(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.response(200, SupplierOut)
    def get(self, supplier_id):
        """One supplier with the terms in force now."""
        with current_runtime().transaction() as session:
            return common.supplier_out(
                session, get_or_404(session, Supplier, common.own_supplier_id(supplier_id), what="supplier")
            )

    @requires("manager")
    @suppliers_blp.arguments(SupplierPatch)
    @suppliers_blp.response(200, SupplierOut)
    def patch(self, changes, supplier_id):
        """Change the profile or the status (active, suspended, ended); emits ``supplier.updated``."""
        with current_runtime().transaction() as session:
            return common.supplier_out(
                session, registry.update_supplier(session, str(supplier_id), changes, current_actor())
            )


@suppliers_blp.route("/<uuid:supplier_id>/agreements")
class SupplierAgreements(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.response(200, AgreementOut(many=True))
    def get(self, supplier_id):
        """Every agreement of the supplier, oldest first (terms are never edited, only superseded)."""
        with current_runtime().transaction() as session:
            return [
                registry.agreement_dict(session, a)
                for a in registry.list_agreements(session, common.own_supplier_id(supplier_id))
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
        return common.balance(common.own_supplier_id(supplier_id))


@suppliers_blp.route("/<uuid:supplier_id>/sales")
class SupplierSales(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.arguments(SalesQuery, location="query")
    @suppliers_blp.response(200, SalesRowOut(many=True))
    def get(self, query, supplier_id):
        """Net sales (after refunds) by product and Jakarta day."""
        return common.sales(common.own_supplier_id(supplier_id), query)


@suppliers_blp.route("/<uuid:supplier_id>/stock")
class SupplierStock(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.response(200, StockRowOut(many=True))
    def get(self, supplier_id):
        """Stock at the centre by product: on hand, sold, near expiry, due for pickup."""
        return common.stock(common.own_supplier_id(supplier_id))


@suppliers_blp.route("/<uuid:supplier_id>/payouts")
class SupplierPayouts(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.response(200, PayoutLineOut(many=True))
    def get(self, supplier_id):
        """The supplier's approved, paid and failed payouts."""
        return common.payout_lines(common.own_supplier_id(supplier_id))


@suppliers_blp.route("/<uuid:supplier_id>/statements")
class SupplierStatements(MethodView):
    @requires("manager", "supplier")
    @suppliers_blp.arguments(StatementQuery, location="query")
    @suppliers_blp.response(200)
    def get(self, query, supplier_id):
        """Statement for a period as PDF (Bahasa Indonesia) or CSV (streamed)."""
        return common.statement(common.own_supplier_id(supplier_id), query)
