"""Marshmallow schemas used by more than one inventory blueprint."""

from __future__ import annotations

from marshmallow import fields

from shared.schemas import InputSchema


class SupplierFilter(InputSchema):
    supplier_id = fields.UUID()
