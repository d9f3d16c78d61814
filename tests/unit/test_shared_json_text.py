"""shared.json_text: the hot paths' JSON text is the standard library's, compact, and refuses what it would change."""

import json
from datetime import UTC, date, datetime
from enum import StrEnum

import pytest

from shared import json_text


class Colour(StrEnum):
    RED = "merah"


def _stdlib(value: object) -> str:
    return json.dumps(value, default=lambda v: v.isoformat(), ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 12, 2, 1, 2, 3, 456789, tzinfo=UTC),
        datetime(2026, 12, 2, 1, 2, 3, tzinfo=UTC),
        datetime(2026, 12, 2, 1, 2, 3),
        date(2026, 12, 2),
        Colour.RED,
        'Keripik tempe é \u2028 \x00 "kutip" \\',
        2**63 - 1,
        -(2**63),
        {"lines": [{"qty": 2, "unit_price": 25_000, "ppn": None, "paid": True}], "total": 50_000},
    ],
)
def test_writes_what_the_standard_library_writes(value):
    assert json_text.dumps(value) == _stdlib(value)
    assert json.loads(json_text.dumps(value)) == json.loads(_stdlib(value))


@pytest.mark.parametrize("value", [{1: "a"}, 2**64, object()])
def test_refuses_what_it_would_change(value):
    with pytest.raises(TypeError):
        json_text.dumps(value)
