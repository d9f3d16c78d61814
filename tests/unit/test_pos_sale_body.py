"""The quick loader of the checkout body agrees with ``SaleIn``, the schema it stands in for: it accepts exactly
the valid bodies (but those with an ``approval``, left to marshmallow) and loads them to the same values, and
``SaleIn().load`` gives the same answer, value or refusal, whichever way it goes."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from services.pos.api import sale_body
from services.pos.api.sales import PaymentIn, SaleIn, SaleLineIn
from services.pos.models import PaymentMethod
from shared.schemas import MAX_MONEY, MAX_QUANTITY

SCHEMA = SaleIn()
REGISTER = "7d2c1f0e-5a8b-4c3d-9e1f-0a2b3c4d5e6f"


def marshmallow_load(body: Any) -> dict | None:
    """What the schema alone loads (``None`` when it refuses the body)."""
    try:
        return Schema.load(SCHEMA, body)
    except ValidationError:
        return None


def assert_agree(body: Any) -> None:
    expected = marshmallow_load(body)
    quick = sale_body.quick_load(body, SCHEMA.fields["priced_at"])
    if expected is None or (isinstance(body, dict) and "approval" in body):
        assert quick is None
    else:
        assert quick == expected
    try:
        assert SCHEMA.load(body) == expected
    except ValidationError as refused:
        assert expected is None
        with pytest.raises(ValidationError) as by_marshmallow:
            Schema.load(SCHEMA, body)
        assert refused.messages == by_marshmallow.value.messages


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
junk = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
)


def uuids() -> st.SearchStrategy:
    return st.uuids().map(str) | st.uuids().map(lambda u: u.hex.upper()) | st.uuids().map(lambda u: f"{{{u}}}")


def money(lowest: int = 0) -> st.SearchStrategy:
    return st.integers(lowest, MAX_MONEY) | st.sampled_from([lowest, MAX_MONEY])


def text(longest: int) -> st.SearchStrategy:
    return st.text(min_size=1, max_size=longest) | st.just("x" * longest)


def one_of_keys(first: tuple[str, st.SearchStrategy], second: tuple[str, st.SearchStrategy]) -> st.SearchStrategy:
    return st.one_of(*(st.fixed_dictionaries({key: values}) for key, values in (first, second)))


def merged(*parts: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(*parts).map(lambda dicts: {key: value for d in dicts for key, value in d.items()})


valid_lines = merged(
    one_of_keys(("barcode", text(64)), ("product_id", uuids())),
    st.fixed_dictionaries({"qty": st.integers(1, MAX_QUANTITY)}, optional={"discount": money(), "unit_price": money()}),
)
valid_payments = st.fixed_dictionaries(
    {"method": st.sampled_from([m.value for m in PaymentMethod]), "amount": money(1)},
    optional={"tendered": money(), "approval_code": text(64), "reference": text(128)},
)
valid_bodies = st.fixed_dictionaries(
    {
        "register_id": uuids(),
        "lines": st.lists(valid_lines, min_size=1, max_size=4),
        "payments": st.lists(valid_payments, max_size=3),
    },
    optional={
        "sale_id": uuids(),
        "discount": money(),
        "priced_at": st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
        "approval": st.just({"approval_token": "t"}),
    },
)

#: Values next to each field's bounds (either side) and of the wrong type, by field name.
EDGES: dict[str, list[Any]] = {
    "qty": [-1, 0, 1, MAX_QUANTITY, MAX_QUANTITY + 1, 1.0, "1", True],
    "amount": [-1, 0, 1, MAX_MONEY, MAX_MONEY + 1, 1.5, "5"],
    **{name: [-1, 0, MAX_MONEY, MAX_MONEY + 1, 10**30, 0.0, False] for name in ("discount", "unit_price", "tendered")},
    **{
        name: ["", "x", "x" * longest, "x" * (longest + 1), "a\x00b", "\ud800", "é" * longest, 7]
        for name, longest in (("barcode", 64), ("approval_code", 64), ("reference", 128))
    },
    **{
        name: ["", "nope", REGISTER.upper(), REGISTER + "0", "urn:uuid:" + REGISTER, 5]
        for name in ("sale_id", "register_id", "product_id")
    },
    "method": ["cash", "CASH", "Cash", "cheque", "", ["cash"]],
    "priced_at": ["2026-11-30T10:00:00", "2026-11-30", "1999-12-31T23:00:00+00:00", "2026-02-30T10:00:00Z", "x", 0],
    "lines": [[], {}, "lines"],
    "payments": [[], {}, "cash"],
}  # fmt: skip
ANY_FIELD = [None, [], {}, True, 0, "", "\x00"]


def places(value: Any) -> list[tuple[Any, Any]]:
    """Every ``(container, key or index)`` in ``value``, nested ones included."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    found = []
    for key, child in children:
        found.append((value, key))
        found.extend(places(child))
    return found


@st.composite
def bodies(draw: st.DrawFn) -> Any:
    """A valid body, or one with up to two changes: a value set to one next to its bounds, of another type or
    junk, a field removed, an unknown field added."""
    body = copy.deepcopy(draw(valid_bodies))  # changed below: never a value hypothesis may hand out again
    for _ in range(draw(st.integers(0, 2))):
        container, key = draw(st.sampled_from(places(body)))
        change = draw(st.sampled_from(["edge", "edge", "junk", "remove", "add"]))
        if change == "remove" and isinstance(container, dict):
            del container[key]
        elif change == "add" and isinstance(container, dict):
            container[draw(st.sampled_from(["extra", "price", "approval", "barcode", "product_id"]))] = draw(junk)
        elif change == "edge" and isinstance(key, str):
            container[key] = draw(st.sampled_from(EDGES.get(key, []) + ANY_FIELD))
        else:
            container[key] = draw(junk)
    return body


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(bodies())
@example({"register_id": REGISTER, "lines": [{"barcode": "8990000000001", "qty": 1}], "payments": []})
def test_generated_bodies_load_as_the_schema_loads_them(body):
    assert_agree(body)


def test_the_counters_bodies_take_the_quick_way():
    """The browser counter's body (sale id, product ids, its prices, when they were current) and the barcode
    body of integrations and ``bench/``: loaded without marshmallow, to the schema's values."""
    counter = {
        "sale_id": str(uuid.uuid4()),
        "register_id": REGISTER,
        "lines": [{"product_id": str(uuid.uuid4()), "qty": 2, "discount": 0, "unit_price": 12_500}],
        "discount": 0,
        "payments": [{"method": "cash", "amount": 25_000, "tendered": 50_000}],
        "priced_at": "2026-11-30T10:00:00.000Z",
    }
    integration = {
        "register_id": REGISTER,
        "lines": [{"barcode": "8990000000001", "qty": 1}, {"barcode": "8990000000002", "qty": 3, "discount": 500}],
        "payments": [{"method": "card", "amount": 30_000, "approval_code": "123456", "reference": "r-1"}],
    }
    for body in (counter, integration):
        loaded = sale_body.quick_load(body, SCHEMA.fields["priced_at"])
        assert loaded is not None
        assert loaded == marshmallow_load(body)
    assert isinstance(sale_body.quick_load(counter, SCHEMA.fields["priced_at"])["lines"][0]["product_id"], uuid.UUID)


#: A body with every field but ``approval``: a line by barcode and one by product id, a payment with every field.
FULL: dict[str, Any] = {
    "sale_id": "0c5e8a4b-1d2f-4e6a-8b9c-0d1e2f3a4b5c",
    "register_id": REGISTER,
    "lines": [
        {"barcode": "8990000000001", "qty": 1, "discount": 0, "unit_price": 12_500},
        {"product_id": "5f4e3d2c-1b0a-4987-8654-3210fedcba98", "qty": 2},
    ],
    "discount": 500,
    "priced_at": "2026-11-30T10:00:00+07:00",
    "payments": [{"method": "cash", "amount": 1, "tendered": 50_000, "approval_code": "A1", "reference": "R1"}],
}
REMOVE = object()


def changed(path: tuple, value: Any) -> dict:
    """:data:`FULL` with the value at ``path`` (keys and indexes) set to ``value`` (removed for ``REMOVE``)."""
    body = copy.deepcopy(FULL)
    target = body
    for step in path[:-1]:
        target = target[step]
    if value is REMOVE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


FIELD_PATHS = [
    path
    for container, prefix in [(FULL, ()), *((line, ("lines", i)) for i, line in enumerate(FULL["lines"]))]
    + [(FULL["payments"][0], ("payments", 0))]
    for path in ((*prefix, key) for key in container)
]
#: Every field of :data:`FULL` set to each value next to its bounds or of another type, and removed.
EDGE_CASES = [(path, value) for path in FIELD_PATHS for value in [*EDGES.get(path[-1], []), *ANY_FIELD, REMOVE]]
OTHER_CASES = [
    (("lines",), [FULL["lines"][0]] * 200),
    (("lines",), [FULL["lines"][0]] * 201),
    (("payments",), [FULL["payments"][0]] * 10),
    (("payments",), [FULL["payments"][0]] * 11),
    (("lines", 0, "product_id"), REGISTER),
    (("lines", 1, "barcode"), "8990000000001"),
    (("lines", 0, "qty"), 10**400),
    (("lines", 0, "price"), 1),
    (("sale_id",), REGISTER.replace("-", "")),
    (("sale_id",), f"{{{REGISTER}}}"),
    (("priced_at",), "2026-11-30T10:00:00.123456Z"),
    (("priced_at",), "2101-01-01T00:00:00Z"),
    (("approval",), {"approval_token": "token"}),
    (("approval",), {}),
    (("note",), "hello"),
]


def case_id(path: tuple, value: Any) -> str:
    return ".".join(map(str, path)) + ("-removed" if value is REMOVE else f"={value!r:.24}")


@pytest.mark.parametrize(
    ("path", "value"), EDGE_CASES + OTHER_CASES, ids=[case_id(*case) for case in EDGE_CASES + OTHER_CASES]
)
def test_hand_picked_bodies_load_as_the_schema_loads_them(path, value):
    assert_agree(changed(path, value))


def test_the_full_body_takes_the_quick_way():
    assert sale_body.quick_load(FULL, SCHEMA.fields["priced_at"]) == marshmallow_load(FULL) is not None


@pytest.mark.parametrize("body", [None, [], "sale", 5, [FULL], {"": None}])
def test_a_body_that_is_no_sale_object_is_the_schemas_to_refuse(body):
    assert_agree(body)


def test_a_refusal_keeps_the_schemas_field_paths_and_messages():
    with pytest.raises(ValidationError) as refused:
        SCHEMA.load(changed(("lines", 1, "qty"), 0))
    assert refused.value.messages == {"lines": {1: {"qty": [f"Must be between 1 and {MAX_QUANTITY}."]}}}


@pytest.mark.parametrize(
    ("schema", "quick_fields", "hooks"),
    [
        (SaleIn, sale_body._SALE_FIELDS | {"approval"}, set()),
        (SaleLineIn, sale_body._LINE_FIELDS, {"_barcode_or_product"}),
        (PaymentIn, sale_body._PAYMENT_FIELDS, set()),
    ],
)
def test_the_schemas_have_the_fields_and_hooks_the_quick_loader_was_written_for(schema, quick_fields, hooks):
    """A field or a hook (a cross-field rule, a load step) added to a checkout schema must be taught to the quick
    loader too, or the loader would accept what the schema refuses: this fails until both agree again."""
    assert set(schema().fields) == quick_fields
    assert {name for tagged in schema._hooks.values() for name, *_ in tagged} == hooks
