"""Marshmallow schemas used by more than one inventory blueprint."""

from __future__ import annotations

from marshmallow import fields, validate

from shared.schemas import InputSchema, Quantity, StrictSchema


class SupplierFilter(InputSchema):
    supplier_id = fields.UUID()


class IntakeLineIn(StrictSchema):
    """A product brought by its supplier: an intake's line, or an announced delivery's."""

    product_id = fields.UUID(required=True)
    qty = Quantity(required=True)
    lot_code = fields.String(validate=validate.Length(min=1, max=64))
    expiry_date = fields.Date(allow_none=True)
