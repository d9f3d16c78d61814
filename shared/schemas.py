"""Marshmallow building blocks every API and event contract uses."""
from __future__ import annotations

import numbers

from marshmallow import Schema, ValidationError, fields, validate, RAISE


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON integer: no floats, no numeric strings, no booleans."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self.make_error("invalid")
        return super()._validated(value)

    default_error_messages = {"invalid": "Must be a whole number (an integer, not a float or string)."}


class Money(StrictInteger):
    """Exact integer rupiah (never negative unless ``allow_negative``)."""

    def __init__(self, allow_negative: bool = False, **kwargs):
        if not allow_negative:
            kwargs.setdefault("validate", validate.Range(min=0, error="Must be zero or more rupiah."))
        super().__init__(**kwargs)


class Quantity(StrictInteger):
    """A strictly positive whole quantity of units."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, error="Must be at least 1."))
        super().__init__(**kwargs)


class BasisPoints(StrictInteger):
    """A rate in integer basis points between 0 and 10 000 (0 %–100 %)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "validate", validate.Range(min=0, max=10_000, error="Must be between 0 and 10000 basis points.")
        )
        super().__init__(**kwargs)


class StrictSchema(Schema):
    """Request schemas reject fields they do not list."""

    class Meta:
        unknown = RAISE


__all__ = ["StrictInteger", "Money", "Quantity", "BasisPoints", "StrictSchema", "ValidationError"]
