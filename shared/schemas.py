"""Marshmallow building blocks every API and event contract uses.

Request schemas derive from :class:`InputSchema` (or :class:`StrictSchema`, which also refuses unknown fields):
every field they bind is bounded (see :func:`bound_field`), so no request value can be too long, too large, too
far in time or hold text a database cannot store.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from shared.business_time import day_bounds, day_start

#: The most rupiah any amount may be (Rp 1 trillion): every sum of a day or a supplier stays far from 2^63.
MAX_MONEY = 10**12
#: The most units any quantity may be.
MAX_QUANTITY = 10**6
#: The bound of an integer field that states none of its own.
MAX_INTEGER = 10**12
#: The length of a text field that states no maximum of its own.
DEFAULT_MAX_LENGTH = 1000
#: The days a date (or the day of a timestamp) may name.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def storable_text(value: Any) -> None:
    """Refuse text a database cannot store: NUL characters and lone UTF-16 surrogates (``"\\ud800"``)."""
    if not isinstance(value, str):
        return
    if "\x00" in value:
        raise ValidationError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Must be valid Unicode text (no lone surrogates).") from None


def sane_day(value: Any) -> None:
    """Refuse dates and timestamps outside 2000-01-01..2100-12-31."""
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(f"Must be between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}.")


def _has(field: fields.Field[Any], kind: type, attribute: str) -> bool:
    return any(isinstance(v, kind) and getattr(v, attribute, None) is not None for v in field.validators)


def bound_field(field: fields.Field[Any]) -> None:
    """Give ``field`` (and the fields inside a list, tuple or dict) the bounds every request value has:
    text without NUL or lone surrogates and at most :data:`DEFAULT_MAX_LENGTH` characters unless the field says
    otherwise, integers within ±:data:`MAX_INTEGER` unless the field says otherwise, days in 2000..2100."""
    validators = list(field.validators)
    if isinstance(field, fields.String):
        validators.append(storable_text)
        if not isinstance(field, fields.UUID) and not _has(field, validate.Length, "max"):
            validators.append(validate.Length(max=DEFAULT_MAX_LENGTH))
    elif isinstance(field, fields.Integer):
        if not _has(field, validate.Range, "max"):
            validators.append(validate.Range(max=MAX_INTEGER))
        if not _has(field, validate.Range, "min"):
            validators.append(validate.Range(min=-MAX_INTEGER))
    elif isinstance(field, fields.Date | fields.DateTime | InstantOrDay):
        validators.append(sane_day)
    elif isinstance(field, fields.List):
        bound_field(field.inner)
    elif isinstance(field, fields.Tuple):
        for inner in field.tuple_fields:
            bound_field(inner)
    elif isinstance(field, fields.Dict):
        for part in (field.key_field, field.value_field):
            if part is not None:
                bound_field(part)
    field.validators = validators


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


def _bounded(bound: validate.Validator, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with ``bound`` checked before any ``validate`` of the caller's own (which may only narrow it)."""
    own = kwargs.pop("validate", None)
    extra = [] if own is None else list(own) if isinstance(own, list | tuple) else [own]
    return {**kwargs, "validate": [bound, *extra]}


class Money(StrictInteger):
    """Exact integer rupiah, at most :data:`MAX_MONEY` (and never negative unless ``allow_negative``).

    A ``validate`` of the caller's own narrows the bound; it cannot widen it."""

    def __init__(self, allow_negative: bool = False, **kwargs: Any) -> None:
        lowest = -MAX_MONEY if allow_negative else 0
        bound = validate.Range(min=lowest, max=MAX_MONEY, error=f"Must be between {lowest} and {MAX_MONEY} rupiah.")
        super().__init__(**_bounded(bound, kwargs))


class Quantity(StrictInteger):
    """A strictly positive whole quantity of units, at most :data:`MAX_QUANTITY`."""

    def __init__(self, **kwargs: Any) -> None:
        bound = validate.Range(min=1, max=MAX_QUANTITY, error=f"Must be between 1 and {MAX_QUANTITY}.")
        super().__init__(**_bounded(bound, kwargs))


class BasisPoints(StrictInteger):
    """A rate in integer basis points between 0 and 10 000 (0 %–100 %)."""

    def __init__(self, **kwargs: Any) -> None:
        bound = validate.Range(min=0, max=10_000, error="Must be between 0 and 10000 basis points.")
        super().__init__(**_bounded(bound, kwargs))


class Boolean(fields.Boolean):
    """A JSON ``true`` or ``false`` only (not 1, ``"yes"`` or ``"true"``)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class QueryBoolean(fields.Boolean):
    """A query-string flag: ``true`` or ``false`` only."""

    truthy = {"true"}
    falsy = {"false"}
    default_error_messages = {"invalid": "Must be true or false."}


class InputSchema(Schema):
    """A request schema (body, query or headers): every field it binds is bounded by :func:`bound_field`."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field[Any]) -> None:
        bound_field(field_obj)


class StrictSchema(InputSchema):
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


#: The longest period a report covers (one year, leap day included).
MAX_REPORT_DAYS = 366


class DayPeriodQuery(StrictSchema):
    """``?from=&to=`` as Jakarta business days (``to`` included) of a report: ``start``/``end`` dates, ``to`` not
    before ``from``, at most :data:`MAX_REPORT_DAYS` days."""

    start = fields.Date(required=True, data_key="from", metadata={"description": "First Jakarta business day"})
    end = fields.Date(required=True, data_key="to", metadata={"description": "Last Jakarta business day (included)"})

    @validates_schema
    def _bounded(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "start" not in data or "end" not in data:
            return
        if data["end"] < data["start"]:
            raise ValidationError("The period ends before it starts.", "to")
        if (data["end"] - data["start"]).days + 1 > MAX_REPORT_DAYS:
            raise ValidationError(f"The period is longer than {MAX_REPORT_DAYS} days.", "to")


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
    "DayPeriodQuery",
    "MAX_REPORT_DAYS",
    "DEFAULT_MAX_LENGTH",
    "MAX_INTEGER",
    "MAX_MONEY",
    "MAX_QUANTITY",
    "BasisPoints",
    "Boolean",
    "InputSchema",
    "InstantOrDay",
    "Money",
    "PeriodQuery",
    "Quantity",
    "QueryBoolean",
    "StrictInteger",
    "StrictSchema",
    "ValidationError",
]
