"""The checkout body (``POST /sales``) loaded without marshmallow when it is valid: the counter's hot path.

:class:`services.pos.api.sales.SaleIn` stays the truth: the OpenAPI document, every refusal and its messages.
Loading it with its nested line and payment schemas cost about a fifth of the POS's CPU per checkout, so
:func:`quick_load` checks a body against the same rules with plain type and range tests and returns exactly what
``SaleIn().load`` returns for it. It answers ``None`` for anything it does not accept (every invalid body, and a
body with a manager's ``approval``, which is rare and left to marshmallow), and the schema then loads it: every
refusal is marshmallow's, with its field paths and messages. ``tests/unit/test_pos_sale_body.py`` holds the two
to agreement on generated and hand-picked bodies.

The bounds both use are the constants below (and :data:`~shared.schemas.MAX_MONEY`,
:data:`~shared.schemas.MAX_QUANTITY`).
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from services.pos.models import PaymentMethod
from shared.quick_load import GiveUp, uuid_from_json
from shared.schemas import MAX_MONEY, MAX_QUANTITY

MAX_BARCODE_LENGTH = 64
MAX_APPROVAL_CODE_LENGTH = 64
MAX_REFERENCE_LENGTH = 128
MAX_LINES = 200
MAX_PAYMENTS = 10

_SALE_FIELDS = frozenset({"sale_id", "register_id", "lines", "discount", "priced_at", "payments"})
_LINE_FIELDS = frozenset({"barcode", "product_id", "qty", "discount", "unit_price"})
_PAYMENT_FIELDS = frozenset({"method", "amount", "tendered", "approval_code", "reference"})
_METHODS = frozenset(PaymentMethod)


def _text(value: Any, longest: int) -> str:
    """1 to ``longest`` characters a database can store (no NUL, no lone surrogate)."""
    if type(value) is not str or not 1 <= len(value) <= longest or "\x00" in value:
        raise GiveUp
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise GiveUp from None
    return value


def _integer(value: Any, lowest: int, highest: int) -> int:
    """A JSON integer (not a boolean, not a float) from ``lowest`` to ``highest``."""
    if type(value) is not int or not lowest <= value <= highest:
        raise GiveUp
    return value


def _object(value: Any, known: frozenset[str]) -> dict[str, Any]:
    if type(value) is not dict or not known.issuperset(value):
        raise GiveUp
    return value


def _list(value: Any, shortest: int, longest: int) -> list[Any]:
    if type(value) is not list or not shortest <= len(value) <= longest:
        raise GiveUp
    return value


def _line(value: Any) -> dict[str, Any]:
    raw = _object(value, _LINE_FIELDS)
    if ("barcode" in raw) == ("product_id" in raw):  # exactly one of them (both are non-empty when valid)
        raise GiveUp
    line: dict[str, Any] = {
        "qty": _integer(raw.get("qty"), 1, MAX_QUANTITY),
        "discount": _integer(raw["discount"], 0, MAX_MONEY) if "discount" in raw else 0,
    }
    if "barcode" in raw:
        line["barcode"] = _text(raw["barcode"], MAX_BARCODE_LENGTH)
    else:
        line["product_id"] = uuid_from_json(raw["product_id"])
    if "unit_price" in raw:
        line["unit_price"] = _integer(raw["unit_price"], 0, MAX_MONEY)
    return line


def _payment(value: Any) -> dict[str, Any]:
    raw = _object(value, _PAYMENT_FIELDS)
    method = raw.get("method")
    if type(method) is not str or method not in _METHODS:
        raise GiveUp
    payment: dict[str, Any] = {"method": method, "amount": _integer(raw.get("amount"), 1, MAX_MONEY)}
    if "tendered" in raw:
        payment["tendered"] = _integer(raw["tendered"], 0, MAX_MONEY)
    if "approval_code" in raw:
        payment["approval_code"] = _text(raw["approval_code"], MAX_APPROVAL_CODE_LENGTH)
    if "reference" in raw:
        payment["reference"] = _text(raw["reference"], MAX_REFERENCE_LENGTH)
    return payment


def quick_load(body: Any, priced_at: fields.Field) -> dict[str, Any] | None:
    """What ``SaleIn().load(body)`` returns when ``body`` is valid and has no ``approval``, else ``None``.

    ``priced_at`` is the schema's own bound field for that timestamp (parsing ISO 8601 is left to it)."""
    try:
        raw = _object(body, _SALE_FIELDS)
        sale: dict[str, Any] = {
            "register_id": uuid_from_json(raw.get("register_id")),
            "lines": [_line(line) for line in _list(raw.get("lines"), 1, MAX_LINES)],
            "payments": [_payment(payment) for payment in _list(raw.get("payments"), 0, MAX_PAYMENTS)],
            "discount": _integer(raw["discount"], 0, MAX_MONEY) if "discount" in raw else 0,
        }
        if "sale_id" in raw:
            sale["sale_id"] = uuid_from_json(raw["sale_id"])
        if "priced_at" in raw:
            sale["priced_at"] = priced_at.deserialize(raw["priced_at"])
    except (GiveUp, ValidationError):
        return None
    return sale
