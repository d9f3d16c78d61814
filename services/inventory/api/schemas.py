"""Marshmallow schemas used by more than one inventory blueprint."""

from __future__ import annotations

from marshmallow import Schema, fields


class SupplierFilter(Schema):
    supplier_id = fields.UUID()
