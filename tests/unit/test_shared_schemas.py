"""The bounds every request field gets from shared.schemas."""

from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError, fields, validate

from shared.schemas import (
    DEFAULT_MAX_LENGTH,
    MAX_MONEY,
    MAX_QUANTITY,
    BasisPoints,
    Boolean,
    InputSchema,
    Money,
    PeriodQuery,
    Quantity,
    QueryBoolean,
    StrictInteger,
    StrictSchema,
)


class Body(StrictSchema):
    price = Money(validate=validate.Range(min=1))
    balance = Money(allow_negative=True)
    qty = Quantity()
    rate = BasisPoints()
    count = StrictInteger(validate=validate.Range(min=0))
    note = fields.String()
    code = fields.String(validate=validate.Length(max=8))
    supplier_id = fields.UUID()
    day = fields.Date()
    at = fields.AwareDateTime()
    flag = Boolean()
    tags = fields.List(fields.String())


class Query(InputSchema):
    active = QueryBoolean()
    q = fields.String()


def errors_of(schema, data) -> dict:
    with pytest.raises(ValidationError) as refused:
        schema.load(data)
    return refused.value.messages


@pytest.mark.parametrize(
    "field, value",
    [
        ("price", MAX_MONEY + 1),
        ("price", 0),
        ("price", 2**63),
        ("balance", -MAX_MONEY - 1),
        ("qty", MAX_QUANTITY + 1),
        ("qty", 0),
        ("rate", 10_001),
        ("count", 10**30),
        ("note", "x" * (DEFAULT_MAX_LENGTH + 1)),
        ("note", "a\x00b"),
        ("note", "\ud800"),
        ("code", "x" * 9),
        ("day", "0001-01-01"),
        ("day", "9999-12-31"),
        ("day", "1999-12-31"),
        ("at", "9999-12-31T23:59:59+00:00"),
        ("flag", "yes"),
        ("flag", 1),
        ("flag", "true"),
        ("tags", ["ok", "\x00"]),
    ],
)
def test_a_value_out_of_bounds_is_a_field_error(field, value):
    assert field in errors_of(Body(), {field: value})


def test_values_within_bounds_load():
    loaded = Body().load(
        {
            "price": MAX_MONEY,
            "balance": -MAX_MONEY,
            "qty": MAX_QUANTITY,
            "rate": 10_000,
            "count": 0,
            "note": "x" * DEFAULT_MAX_LENGTH,
            "code": "ABC",
            "day": "2100-12-31",
            "at": "2000-01-01T00:00:00+07:00",
            "flag": False,
            "tags": ["Kue ☕ lapis"],
        }
    )
    assert loaded["price"] == MAX_MONEY and loaded["flag"] is False and loaded["day"] == date(2100, 12, 31)


def test_query_flags_are_true_or_false_only_and_text_is_bounded():
    assert Query().load({"active": "true"})["active"] is True
    assert Query().load({"active": "false"})["active"] is False
    assert "active" in errors_of(Query(), {"active": "yes"})
    assert "q" in errors_of(Query(), {"q": "a\x00"})


def test_a_period_far_in_time_is_refused_before_it_is_turned_into_instants():
    assert "from" in errors_of(PeriodQuery(), {"from": "0001-01-01", "to": "2026-01-01"})
    assert "to" in errors_of(PeriodQuery(), {"from": "2026-01-01", "to": "9999-12-31"})


def test_the_openapi_shows_the_bounds():
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    spec = APISpec("t", "1", "3.0.3", plugins=[MarshmallowPlugin()])
    spec.components.schema("Body", schema=Body)
    properties = spec.to_dict()["components"]["schemas"]["Body"]["properties"]
    assert properties["price"]["maximum"] == MAX_MONEY and properties["price"]["minimum"] == 1
    assert properties["note"]["maxLength"] == DEFAULT_MAX_LENGTH
    assert properties["code"]["maxLength"] == 8
