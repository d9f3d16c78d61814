"""Marshmallow building blocks every API and event contract uses."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from shared.business_time import day_bounds, day_start


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON integer: no floats, no numeric strings, no booleans."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self.make_error("invalid")
        validated: int = super()._validated(value)
        return validated

    default_error_messages = {"invalid": "Must be a whole number (an integer, not a float or string)."}


class Money(StrictInteger):
    """Exact integer rupiah (never negative unless ``allow_negative``)."""

    def __init__(self, allow_negative: bool = False, **kwargs: Any) -> None:
        if not allow_negative:
            kwargs.setdefault("validate", validate.Range(min=0, error="Must be zero or more rupiah."))
        super().__init__(**kwargs)


class Quantity(StrictInteger):
    """A strictly positive whole quantity of units."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=1, error="Must be at least 1."))
        super().__init__(**kwargs)


class BasisPoints(StrictInteger):
    """A rate in integer basis points between 0 and 10 000 (0 %–100 %)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "validate", validate.Range(min=0, max=10_000, error="Must be between 0 and 10000 basis points.")
        )
        super().__init__(**kwargs)


class StrictSchema(Schema):
    """Request schemas reject fields they do not list."""

    class Meta:
        unknown = RAISE


class InstantOrDay(fields.Field[datetime | date]):
    """An ISO 8601 timestamp with its offset, or a plain date (YYYY-MM-DD) meaning that Jakarta business day."""

    default_error_messages = {"invalid": "Must be an ISO 8601 timestamp with an offset, or a date (YYYY-MM-DD)."}

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> datetime | date:
        instant: datetime | None
        try:
            instant = fields.AwareDateTime().deserialize(value)
        except ValidationError:
            instant = None
        if instant is not None:
            return instant
        try:
            day: date | None = fields.Date().deserialize(value)
        except ValidationError:
            day = None
        if day is None:
            raise self.make_error("invalid")
        return day


class PeriodQuery(StrictSchema):
    """``?from=&to=``: loads as ``start``/``end`` UTC instants, ``[start, end)``; a date ``to`` includes that day."""

    start = InstantOrDay(
        required=True, data_key="from", metadata={"description": "Inclusive; a date means 00:00 WIB of that day"}
    )
    end = InstantOrDay(
        required=True,
        data_key="to",
        metadata={"description": "Exclusive; a date means the end of that WIB day (day included)"},
    )

    @post_load
    def _to_instants(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if not isinstance(data["start"], datetime):
            data["start"] = day_start(data["start"])
        if not isinstance(data["end"], datetime):
            data["end"] = day_bounds(data["end"])[1]
        if data["start"] >= data["end"]:
            raise ValidationError("Must be after 'from'.", "to")
        return data


__all__ = [
    "BasisPoints",
    "InstantOrDay",
    "Money",
    "PeriodQuery",
    "Quantity",
    "StrictInteger",
    "StrictSchema",
    "ValidationError",
]
