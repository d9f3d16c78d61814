"""Schemas used by several POS blueprints: the manager's approval, the ``Idempotency-Key`` header and the sale
as every sale endpoint answers it."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from services.pos import idempotency
from services.pos.models import PaymentMethod, PaymentStatus, SaleStatus
from shared.schemas import StrictSchema


class Timestamp(fields.String):
    """An ISO 8601 instant the use case already wrote as text: sales and refunds are answered from their stored
    JSON form on an idempotent replay, and a Z report is kept as JSON with its shift."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"format": "date-time", **kwargs.pop("metadata", {})}, **kwargs)


def one_of(values) -> dict:
    """OpenAPI ``enum`` metadata for an answer field holding one of ``values`` (a StrEnum)."""
    return {"enum": [value.value for value in values]}


class ApprovalIn(StrictSchema):
    """A manager's approval: their token, or their username and PIN."""

    approval_token = fields.String(validate=validate.Length(min=1, max=4000))
    username = fields.String(validate=validate.Length(min=1, max=200))
    pin = fields.String(validate=validate.Regexp(r"^[0-9]{4,8}$", error="4–8 digits."))

    @validates_schema
    def _one_way(self, data, **kwargs):
        if not data.get("approval_token") and not (data.get("username") and data.get("pin")):
            raise ValidationError("Give approval_token, or username and pin.", "_schema")


class IdempotencyKeyHeader(Schema):
    """The ``Idempotency-Key`` request header of an operation that runs at most once per key.

    Checked by :func:`services.pos.idempotency.validate_key`: a missing or blank key answers 400
    ``idempotency_key_missing`` and a too long one 400, not a 422 for a missing field.
    """

    key = fields.String(
        required=True,
        data_key="Idempotency-Key",
        metadata={
            "description": "One key per attempt: a retry with the same key and body gets the first response.",
            "maxLength": idempotency.MAX_KEY_LENGTH,
        },
    )

    @post_load
    def _checked(self, data, **kwargs):
        return {"key": idempotency.validate_key(data["key"])}

    def handle_error(self, error, data, **kwargs):
        idempotency.validate_key(data.get("Idempotency-Key"))


class SaleLineOut(Schema):
    id = fields.String()
    product_id = fields.String()
    supplier_id = fields.String()
    sku = fields.String()
    barcode = fields.String()
    name = fields.String()
    category = fields.String()
    qty = fields.Integer()
    unit_price = fields.Integer()
    line_discount = fields.Integer(metadata={"description": "The line's own discount"})
    discount = fields.Integer(metadata={"description": "The line's own discount plus its share of the sale's"})
    line_total = fields.Integer()


class PaymentOut(Schema):
    """A payment of a sale; the ``qris_*``, ``expires_at`` and ``qr_*_url`` fields only on a QRIS payment."""

    id = fields.String()
    method = fields.String(metadata=one_of(PaymentMethod))
    amount = fields.Integer()
    tendered = fields.Integer(allow_none=True)
    change = fields.Integer()
    approval_code = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    status = fields.String(metadata=one_of(PaymentStatus))
    confirmed_at = Timestamp(allow_none=True)
    qris_payload = fields.String(allow_none=True)
    expires_at = Timestamp(allow_none=True)
    qr_image_url = fields.String()
    qr_png_url = fields.String()


class TaxOut(Schema):
    tax_base = fields.Integer()
    ppn = fields.Integer()


class SaleOut(Schema):
    """A sale as checkout answers it (and replays it) and every later sale endpoint returns it."""

    id = fields.String()
    receipt_no = fields.String(allow_none=True)
    status = fields.String(metadata=one_of(SaleStatus))
    outlet_id = fields.String()
    register_id = fields.String()
    register_code = fields.String()
    shift_id = fields.String()
    cashier_id = fields.String()
    cashier_name = fields.String()
    created_at = Timestamp()
    completed_at = Timestamp(allow_none=True)
    subtotal = fields.Integer()
    sale_discount = fields.Integer()
    discount_total = fields.Integer()
    total = fields.Integer()
    tax = fields.Nested(TaxOut, allow_none=True, metadata={"description": "PPN lines; null when not PPN-registered"})
    change = fields.Integer()
    approved_by = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(SaleLineOut))
    payments = fields.List(fields.Nested(PaymentOut))


class PrintedOut(Schema):
    """What a print on the register's network printer did."""

    printer = fields.String(metadata={"description": "host:port of the printer"})
    drawer_opened = fields.Boolean(metadata={"description": "Whether the cash drawer was kicked open"})
