"""Marshmallow schemas used by several blueprints of the suppliers API (a schema used by one blueprint lives in
its module)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.schemas import StrictSchema


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


class PendingReleaseOut(Schema):
    """Pending money that becomes available on a day (Jakarta), once its holdback is over."""

    date = fields.Date()
    amount = fields.Integer()


class BalanceOut(Schema):
    supplier_id = fields.String()
    pending = fields.Integer()
    pending_releases = fields.List(fields.Nested(PendingReleaseOut))
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


class StockLotOut(Schema):
    """One lot of a product at the centre; code, expiry and day received are null when not known."""

    lot_id = fields.String(allow_none=True)
    lot_code = fields.String(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    received_on = fields.Date(allow_none=True)
    on_hand = fields.Integer()


class StockRowOut(Schema):
    product_id = fields.String()
    product_name = fields.String()
    on_hand = fields.Integer()
    sold = fields.Integer()
    near_expiry = fields.Boolean()
    near_expiry_lots = fields.Integer()
    due_for_pickup = fields.Boolean()
    lots = fields.List(fields.Nested(StockLotOut))


class PickupOut(Schema):
    """Goods of one lot due for pickup, and why: ``near_expiry`` (``due_on`` = the expiry date) or
    ``consignment_ended`` (``due_on`` = the day the consignment period ended)."""

    product_id = fields.String()
    product_name = fields.String()
    lot_id = fields.String(allow_none=True)
    lot_code = fields.String(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    qty = fields.Integer()
    reason = fields.String()
    due_on = fields.Date(allow_none=True)


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
