"""The quick loader of :mod:`shared.quick_load` returns exactly what the schema loads, on generated events of every
contract: valid ones (it must take them) and ones broken in one place (it must leave them to the schema, or load
them as the schema does)."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import INCLUDE, Schema, ValidationError, fields, post_load, validate

from shared.events import _ENVELOPE, CONTRACTS, load_event
from shared.quick_load import compile_loader

#: What a broken event may hold in the place that is broken: every kind of JSON value, and look-alikes of the
#: right ones (a boolean for an integer, a float, a numeric string, a malformed id, a naive time).
JUNK = st.sampled_from(
    [None, True, False, 0, -1, 1.5, 10**13, "", "x", "12", "not-a-uuid", "2026-12-01T10:00:00", [], [{}], {}, {"a": 1}]
)


def values(field: fields.Field) -> st.SearchStrategy:
    """Valid JSON values of ``field`` (as a producer would send them)."""
    if isinstance(field, fields.Nested):
        return objects(field.schema)
    if isinstance(field, fields.List):
        length = next((v for v in field.validators if isinstance(v, validate.Length)), None)
        low = length.min if length and length.min is not None else 0
        return st.lists(values(field.inner), min_size=low, max_size=min(3, length.max if length and length.max else 3))
    if isinstance(field, fields.UUID):
        return st.uuids().map(str)
    if isinstance(field, fields.AwareDateTime):
        return st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat())
    if isinstance(field, fields.Date):
        return st.dates().map(lambda day: day.isoformat())
    choices = next((v.choices for v in field.validators if isinstance(v, validate.OneOf)), None)
    if choices is not None:
        return st.sampled_from(list(choices))
    if isinstance(field, fields.String):
        return st.text(max_size=12)
    if isinstance(field, fields.Integer):
        ranges = [v for v in field.validators if isinstance(v, validate.Range)]
        low = max((r.min for r in ranges if r.min is not None), default=-(10**12))
        high = min((r.max for r in ranges if r.max is not None), default=10**12)
        return st.integers(min_value=low, max_value=high)
    if isinstance(field, fields.Boolean):
        return st.booleans()
    if isinstance(field, fields.Dict):
        return st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)
    raise AssertionError(f"no strategy for {type(field).__name__}: add one")


@st.composite
def objects(draw: st.DrawFn, schema: Schema) -> dict[str, Any]:
    """A valid object of ``schema``: every required field, each optional one or not, null where allowed."""
    drawn = {}
    for name, field in schema.load_fields.items():
        if not field.required and draw(st.booleans()):
            continue
        drawn[field.data_key or name] = None if field.allow_none and draw(st.booleans()) else draw(values(field))
    return drawn


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    spec = draw(st.sampled_from(list(CONTRACTS.values())))
    return {
        "event_id": str(draw(st.uuids())),
        "type": spec.type,
        "version": spec.version,
        "occurred_at": "2026-12-01T10:00:00+07:00",
        "source": "pos",
        "payload": draw(objects(spec.consumer_schema)),
    }


def places(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path into ``value`` (object keys and list indexes), the value itself included."""
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += places(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += places(inner, (*path, index))
    return found


@st.composite
def broken(draw: st.DrawFn) -> dict[str, Any]:
    """A valid envelope with one place replaced by junk, removed, or given an unknown neighbour."""
    envelope = copy.deepcopy(draw(envelopes()))
    path = draw(st.sampled_from(places(envelope)[1:]))
    parent = envelope
    for step in path[:-1]:
        parent = parent[step]
    how = draw(st.sampled_from(["junk", "remove", "unknown"]))
    if how == "junk" or isinstance(parent, list):
        parent[path[-1]] = draw(JUNK)
    elif how == "remove":
        del parent[path[-1]]
    else:
        parent["unexpected_field"] = draw(JUNK)
    return envelope


def schema_load(envelope: Any) -> tuple[dict, dict] | None:
    """What the schemas make of ``envelope`` (``None`` where they refuse it, or no contract has its type)."""
    try:
        meta = _ENVELOPE.load(envelope)
        spec = CONTRACTS.get(meta["type"])
        return None if spec is None else (meta, spec.consumer_schema.load(envelope["payload"]))
    except ValidationError:
        return None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(envelopes())
def test_a_valid_event_of_any_contract_is_loaded_quickly_as_the_schema_loads_it(envelope):
    spec = CONTRACTS[envelope["type"]]
    assert spec.quick_consumer_load is not None, f"{spec.type}: its schema is no longer one the quick loader follows"
    quick = compile_loader(_ENVELOPE)(envelope), spec.quick_consumer_load(envelope["payload"])
    assert quick == schema_load(envelope)
    assert load_event(envelope) == quick
    assert spec.quick_producer_load(envelope["payload"]) == spec.producer_schema.load(envelope["payload"])


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(broken())
def test_a_broken_event_is_left_to_the_schema_or_loaded_as_it_loads_it(envelope):
    expected = schema_load(envelope)
    quick_meta = compile_loader(_ENVELOPE)(envelope)
    spec = CONTRACTS.get(quick_meta["type"]) if quick_meta else None
    quick_payload = spec.quick_consumer_load(envelope["payload"]) if spec else None
    if quick_payload is not None:
        assert (quick_meta, quick_payload) == expected
    elif quick_meta is not None and spec is not None:
        assert expected is None or expected[0] == quick_meta  # the payload alone is the schema's to decide
    if spec is not None:
        assert_the_producer_check_agrees(spec, envelope["payload"])
    if expected is None:
        with pytest.raises((ValidationError, KeyError)):
            load_event(envelope)
    elif expected[0]["version"] == CONTRACTS[expected[0]["type"]].version:
        assert load_event(envelope) == expected


def assert_the_producer_check_agrees(spec, payload: Any) -> None:
    """The strict producer schema and its quick loader agree on ``payload``, and so does ``check_produced``."""
    try:
        expected = spec.producer_schema.load(payload)
    except ValidationError:
        expected = None
    quick = spec.quick_producer_load(payload)
    assert quick is None or quick == expected
    if expected is None:
        with pytest.raises(ValidationError):
            spec.check_produced(payload)
    else:
        spec.check_produced(payload)


def test_a_schema_the_quick_loader_cannot_follow_is_not_compiled():
    class WithHook(Schema):
        name = fields.String()

        @post_load
        def shout(self, data, **kwargs):
            return {**data, "name": data["name"].upper()}

    assert compile_loader(WithHook()) is None
    assert compile_loader(Schema.from_dict({"name": fields.String(post_load=[str.upper])})()) is None
    assert compile_loader(Schema.from_dict({"name": fields.String()})(unknown=INCLUDE)) is None
    assert compile_loader(Schema.from_dict({"name": fields.String()})()) is not None


def test_an_unknown_field_inside_a_nested_object_is_left_to_the_schema_which_refuses_it():
    spec = CONTRACTS["sale.completed"]
    line = {
        "line_id": str(uuid.uuid4()),
        "product_id": str(uuid.uuid4()),
        "supplier_id": str(uuid.uuid4()),
        "qty": 1,
        "unit_price": 1000,
        "line_total": 1000,
    }
    payload = {
        "sale_id": str(uuid.uuid4()),
        "receipt_no": "R-1",
        "outlet_id": str(uuid.uuid4()),
        "register_id": str(uuid.uuid4()),
        "completed_at": "2026-12-01T10:00:00+07:00",
        "total": 1000,
        "lines": [line],
        "added_later": "ignored at the top",
    }
    assert spec.quick_consumer_load(payload) == spec.consumer_schema.load(payload)
    payload["lines"] = [{**line, "added_later": "refused inside"}]
    assert spec.quick_consumer_load(payload) is None
    with pytest.raises(ValidationError):
        spec.consumer_schema.load(payload)
