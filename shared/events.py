"""Event contracts: the envelope, one versioned schema per event type, and who subscribes to it.

Every event is defined here once. The producer validates its payload on write (unknown fields are an error);
consumers load tolerantly (unknown fields are dropped), so additive changes inside a version are safe.
A breaking change is a new version with its own schema.
"""

from __future__ import annotations

import builtins
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from shared.db import new_id, utcnow
from shared.quick_load import compile_loader
from shared.schemas import Money, Quantity


class Envelope(Schema):
    """What travels on the wire around every payload."""

    event_id = fields.UUID(required=True)
    type = fields.String(required=True)
    version = fields.Integer(required=True, strict=True)
    occurred_at = fields.AwareDateTime(required=True)
    source = fields.String(required=True)
    payload = fields.Dict(required=True)


class SupplierChanged(Schema):
    supplier_id = fields.UUID(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "suspended", "ended"]))
    consignment_days = fields.Integer(strict=True, allow_none=True, load_default=None)
    shrinkage_borne_by = fields.String(validate=validate.OneOf(["centre", "supplier"]), load_default="supplier")


class ProductUpserted(Schema):
    product_id = fields.UUID(required=True)
    sku = fields.String(required=True)
    barcode = fields.String(required=True)
    name = fields.String(required=True)
    price = Money(required=True)
    supplier_id = fields.UUID(required=True)
    category = fields.String(required=True)
    unit = fields.String(load_default="pcs")
    active = fields.Boolean(required=True)
    revision = fields.Integer(strict=True, load_default=0)


class SaleLine(Schema):
    line_id = fields.UUID(required=True)
    product_id = fields.UUID(required=True)
    supplier_id = fields.UUID(required=True)
    sku = fields.String(load_default="")
    name = fields.String(load_default="")
    category = fields.String(load_default="")
    qty = Quantity(required=True)
    unit_price = Money(required=True)
    discount = Money(load_default=0)
    line_total = Money(required=True)


class SaleCompleted(Schema):
    sale_id = fields.UUID(required=True)
    receipt_no = fields.String(required=True)
    outlet_id = fields.UUID(required=True)
    register_id = fields.UUID(required=True)
    cashier_id = fields.String(load_default="")
    completed_at = fields.AwareDateTime(required=True)
    total = Money(required=True)
    lines = fields.List(fields.Nested(SaleLine), required=True, validate=validate.Length(min=1))


class RefundLine(Schema):
    sale_line_id = fields.UUID(required=True)
    product_id = fields.UUID(required=True)
    supplier_id = fields.UUID(required=True)
    qty = Quantity(required=True)
    amount = Money(required=True)


class SaleRefunded(Schema):
    refund_id = fields.UUID(required=True)
    sale_id = fields.UUID(required=True)
    receipt_no = fields.String(load_default="")
    outlet_id = fields.UUID(required=True)
    refunded_at = fields.AwareDateTime(required=True)
    back_to_stock = fields.Boolean(required=True)
    total = Money(required=True)
    lines = fields.List(fields.Nested(RefundLine), required=True, validate=validate.Length(min=1))


#: Most movements one ``stock.moved`` event carries (a producer splits a longer list into several events).
MOVEMENTS_PER_EVENT = 500


class StockMovement(Schema):
    """One movement of inventory's append-only stock ledger, with the on-hand it left."""

    movement_id = fields.UUID(required=True)
    outlet_id = fields.UUID(required=True)
    product_id = fields.UUID(required=True)
    supplier_id = fields.UUID(required=True)
    lot_id = fields.UUID(allow_none=True, load_default=None)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["intake", "sale", "refund", "return_to_supplier", "count_adjustment", "write_off"]),
    )
    qty = fields.Integer(required=True, strict=True)
    on_hand_after = fields.Integer(required=True, strict=True)
    unit_price = Money(load_default=0)
    reason = fields.String(allow_none=True, load_default=None)
    borne_by = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(["centre", "supplier"]))
    reference_id = fields.String(allow_none=True, load_default=None)
    occurred_at = fields.AwareDateTime(required=True)


class StockMoved(Schema):
    """Version 2: the movements one posting made together (a sale's lines, an intake's lots, a count's
    adjustments), so a 4-line sale is one event and one outbox row per subscriber instead of four."""

    movements = fields.List(
        fields.Nested(StockMovement), required=True, validate=validate.Length(min=1, max=MOVEMENTS_PER_EVENT)
    )


class StockAlertRaised(Schema):
    alert_id = fields.UUID(required=True)
    outlet_id = fields.UUID(required=True)
    product_id = fields.UUID(required=True)
    supplier_id = fields.UUID(required=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["low_stock", "near_expiry", "consignment_ended", "negative_on_hand"]),
    )
    message = fields.String(required=True)
    lot_id = fields.UUID(allow_none=True, load_default=None)
    raised_at = fields.AwareDateTime(required=True)


class LotReceived(Schema):
    """A lot that an intake put on the shelf: its code and expiry, so a supplier sees its stock lot by lot."""

    lot_id = fields.UUID(required=True)
    outlet_id = fields.UUID(required=True)
    product_id = fields.UUID(required=True)
    supplier_id = fields.UUID(required=True)
    lot_code = fields.String(required=True)
    expiry_date = fields.Date(allow_none=True, load_default=None)
    received_on = fields.Date(required=True)


class PayoutPaid(Schema):
    payout_id = fields.UUID(required=True)
    run_id = fields.UUID(required=True)
    supplier_id = fields.UUID(required=True)
    amount = Money(required=True)
    reference = fields.String(required=True)
    paid_at = fields.AwareDateTime(required=True)


class ReconciliationRequested(Schema):
    """A manager asked the suppliers service to reconcile a period (the period is on the reconciliation)."""

    reconciliation_id = fields.UUID(required=True)


@dataclass(frozen=True)
class Contract:
    """One event type at one version: its payload schema and the services that consume it."""

    type: str
    version: int
    schema: builtins.type[Schema]  # ``builtins``: the field ``type`` above shadows the name here
    subscribers: tuple[str, ...]
    #: Earlier versions a consumer still accepts, each with the function that turns its payload into this
    #: version's (events recorded before an upgrade may still sit in an outbox or a queue).
    upgrades: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = field(default_factory=dict)

    @cached_property
    def producer_schema(self) -> Schema:
        """Strict (unknown fields are an error): what a producer must send. Built once; loading is thread-safe."""
        return self.schema(unknown=RAISE)

    @cached_property
    def consumer_schema(self) -> Schema:
        """Tolerant (unknown fields are ignored), so a producer may add fields without breaking consumers."""
        return self.schema(unknown=EXCLUDE)

    @cached_property
    def quick_consumer_load(self) -> Callable[[Any], dict[str, Any] | None] | None:
        """What :attr:`consumer_schema` loads from a valid payload, without marshmallow (see
        :mod:`shared.quick_load`); ``None`` for a payload the schema is to decide on."""
        return compile_loader(self.consumer_schema)

    @cached_property
    def quick_producer_load(self) -> Callable[[Any], dict[str, Any] | None] | None:
        """The same for :attr:`producer_schema`."""
        return compile_loader(self.producer_schema)

    def check_produced(self, wire: dict[str, Any]) -> None:
        """Raise :class:`ValidationError` unless ``wire`` is a payload a producer may send (a valid one is
        recognised without marshmallow; anything else the strict schema decides on)."""
        if self.quick_producer_load is None or self.quick_producer_load(wire) is None:
            self.producer_schema.load(wire)

    def task_name(self, service: str) -> str:
        """The Celery task that ``service`` runs for this event, e.g. ``inventory.on_sale_completed``."""
        return f"{service}.on_{self.type.replace('.', '_')}"

    def destinations(self) -> list[tuple[str, str]]:
        """``(task_name, queue)`` of each subscriber: where the outbox sends this event."""
        return [(self.task_name(queue), queue) for queue in self.subscribers]


def _one_movement(payload: dict[str, Any]) -> dict[str, Any]:
    """``stock.moved`` version 1 (one movement per event) as version 2."""
    return {"movements": [payload]}


CONTRACTS: dict[str, Contract] = {
    c.type: c
    for c in (
        Contract("supplier.registered", 1, SupplierChanged, ("inventory", "pos")),
        Contract("supplier.updated", 1, SupplierChanged, ("inventory", "pos")),
        Contract("product.upserted", 1, ProductUpserted, ("pos", "suppliers")),
        Contract("sale.completed", 1, SaleCompleted, ("inventory", "suppliers")),
        Contract("sale.refunded", 1, SaleRefunded, ("inventory", "suppliers")),
        Contract("stock.moved", 2, StockMoved, ("suppliers",), upgrades={1: _one_movement}),
        Contract("stock.alert_raised", 1, StockAlertRaised, ("suppliers",)),
        Contract("lot.received", 1, LotReceived, ("suppliers",)),
        Contract("payout.paid", 1, PayoutPaid, ()),
        Contract("reconciliation.requested", 1, ReconciliationRequested, ("suppliers",)),
    )
}


def contract(event_type: str) -> Contract:
    try:
        return CONTRACTS[event_type]
    except KeyError:
        raise KeyError(f"no contract for event type {event_type!r}") from None


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("event times must be timezone-aware")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not allowed in an event payload")


def build_envelope(
    event_type: str, source: str, payload: dict[str, Any], occurred_at: datetime | None = None
) -> dict[str, Any]:
    """Validate ``payload`` strictly against its contract and wrap it: the JSON-ready envelope."""
    spec = contract(event_type)
    wire: dict[str, Any] = json.loads(json.dumps(payload, default=_json_default))
    spec.check_produced(wire)
    return {
        "event_id": new_id(),
        "type": event_type,
        "version": spec.version,
        "occurred_at": (occurred_at or utcnow()).isoformat(),
        "source": source,
        "payload": wire,
    }


_ENVELOPE = Envelope(unknown=EXCLUDE)
_QUICK_ENVELOPE = compile_loader(_ENVELOPE)


def load_event(envelope: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Consumer side: ``(envelope, payload)`` with the payload loaded tolerantly by its contract (a valid event of
    the current version without marshmallow, see :mod:`shared.quick_load`; anything else by the schemas, which
    raise what is wrong with it)."""
    quick = _quick_load_event(envelope)
    if quick is not None:
        return quick
    meta: dict[str, Any] = _ENVELOPE.load(envelope)
    spec = contract(meta["type"])
    wire = envelope["payload"]
    if meta["version"] != spec.version:
        upgrade = spec.upgrades.get(meta["version"])
        if upgrade is None or not isinstance(wire, dict):
            raise ValidationError({"version": [f"unsupported version {meta['version']} of {meta['type']}"]})
        wire = upgrade(wire)
    payload: dict[str, Any] = spec.consumer_schema.load(wire)
    return meta, payload


def _quick_load_event(envelope: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    meta = _QUICK_ENVELOPE(envelope) if _QUICK_ENVELOPE else None
    spec = CONTRACTS.get(meta["type"]) if meta else None
    if meta is None or spec is None or meta["version"] != spec.version or spec.quick_consumer_load is None:
        return None
    payload = spec.quick_consumer_load(envelope["payload"])
    return None if payload is None else (meta, payload)
