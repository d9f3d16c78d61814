"""Stock on hand, a product's movements, write-offs, the ledger invariant and the reconciliation feed of
movements."""

from __future__ import annotations

from datetime import datetime

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, post_load, validate

from services.inventory.api.common import outlet, own_supplier, visible_supplier
from services.inventory.api.schemas import SupplierFilter
from services.inventory.models import BorneBy, MovementKind, WriteOffReason
from services.inventory.stock import queries, write_offs
from shared.auth import current_actor, requires
from shared.business_time import day_bounds, day_start
from shared.runtime import current_runtime
from shared.schemas import InstantOrDay, PeriodQuery, Quantity, StrictSchema
from shared.web import json_array_stream

stock_blp = Blueprint("stock", __name__, url_prefix="", description="Stock on hand, write-offs, the ledger invariant")


class StockRowOut(Schema):
    product_id = fields.String()
    sku = fields.String()
    name = fields.String()
    supplier_id = fields.String()
    unit = fields.String()
    price = fields.Integer()
    reorder_point = fields.Integer()
    on_hand = fields.Integer()
    flagged_for_count = fields.Boolean()
    active = fields.Boolean()


class MismatchOut(Schema):
    product_id = fields.String()
    outlet_id = fields.String(allow_none=True)
    lot_id = fields.String(allow_none=True)
    on_hand = fields.Integer()
    sum_of_movements = fields.Integer()


class InvariantOut(Schema):
    ok = fields.Boolean()
    products_checked = fields.Integer()
    lots_checked = fields.Integer()
    mismatches = fields.List(fields.Nested(MismatchOut))


class MovementOut(Schema):
    id = fields.String()
    kind = fields.String()
    product_id = fields.String()
    lot_id = fields.String(allow_none=True)
    qty = fields.Integer()
    on_hand_after = fields.Integer()
    reason = fields.String(allow_none=True)
    borne_by = fields.String(allow_none=True)
    reference_id = fields.String(allow_none=True)


class WriteOffIn(StrictSchema):
    product_id = fields.UUID(required=True)
    lot_id = fields.UUID(metadata={"description": "Absent: taken first-expiry-first-out"})
    qty = Quantity(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(list(WriteOffReason)))
    borne_by = fields.String(
        validate=validate.OneOf(list(BorneBy)),
        metadata={"description": "Default: the supplier agreement's shrinkage rule"},
    )
    note = fields.String(validate=validate.Length(max=1000))


class WriteOffOut(Schema):
    id = fields.String()
    product_id = fields.String()
    supplier_id = fields.String()
    lot_id = fields.String(allow_none=True)
    qty = fields.Integer()
    reason = fields.String()
    borne_by = fields.String()
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()
    movements = fields.List(fields.Nested(MovementOut))


@stock_blp.route("/stock")
class StockListing(MethodView):
    @requires("manager", "supplier", "service")
    @stock_blp.arguments(SupplierFilter, location="query")
    @stock_blp.response(200, StockRowOut(many=True))
    def get(self, query):
        """On hand per product at this outlet (a supplier sees only their own products)."""
        supplier_id = visible_supplier(query)
        with current_runtime().transaction() as session:
            return queries.stock_listing(session, outlet(), supplier_id)


class ProductMovementsQuery(StrictSchema):
    """Which of a product's movements, and which page of them."""

    kind = fields.String(validate=validate.OneOf(list(MovementKind)))
    start = InstantOrDay(data_key="from", metadata={"description": "Inclusive; a date means 00:00 WIB of that day"})
    end = InstantOrDay(
        data_key="to", metadata={"description": "Exclusive; a date means the end of that WIB day (day included)"}
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=queries.MAX_MOVEMENTS_PER_PAGE))

    @post_load
    def _to_instants(self, data, **kwargs):
        if "start" in data and not isinstance(data["start"], datetime):
            data["start"] = day_start(data["start"])
        if "end" in data and not isinstance(data["end"], datetime):
            data["end"] = day_bounds(data["end"])[1]
        if "start" in data and "end" in data and data["start"] >= data["end"]:
            raise ValidationError("Must be after 'from'.", "to")
        return data


class ProductMovementOut(Schema):
    movement_id = fields.String()
    kind = fields.String(metadata={"enum": list(MovementKind)})
    occurred_at = fields.AwareDateTime()
    qty = fields.Integer(metadata={"description": "Signed: positive into stock, negative out of it"})
    lot_id = fields.String(allow_none=True)
    lot_code = fields.String(allow_none=True)
    unit_price = fields.Integer()
    reason = fields.String(allow_none=True)
    borne_by = fields.String(allow_none=True)
    recorded_by = fields.String(allow_none=True, metadata={"description": "``role:user_id``, or the cashier's id"})
    reference_id = fields.String(allow_none=True, metadata={"description": "The business document's id"})
    reference_number = fields.String(
        allow_none=True, metadata={"description": "The intake's, count's or return's number (NT-, SO-, RT-)"}
    )
    sale_id = fields.String(
        allow_none=True, metadata={"description": "A sale's or refund's sale, as the till (POS) knows it"}
    )


class ProductMovementsOut(Schema):
    items = fields.List(fields.Nested(ProductMovementOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(metadata={"description": "Movements matching the query, on every page"})


@stock_blp.route("/products/<uuid:product_id>/movements")
class ProductMovements(MethodView):
    @requires("manager", "supplier", "service")
    @stock_blp.arguments(ProductMovementsQuery, location="query")
    @stock_blp.response(200, ProductMovementsOut)
    def get(self, query, product_id):
        """A product's movements at this outlet, newest first, one page at a time (``page``, ``per_page`` up to
        100), optionally of one ``kind`` and ``from <= occurred_at < to``; each with its lot's code and its
        document's number where inventory numbers it. A supplier sees only their own products."""
        with current_runtime().transaction() as session:
            return queries.product_movements(session, product_id, outlet(), own_supplier(), **query)


@stock_blp.route("/stock/invariant")
class StockInvariant(MethodView):
    @requires("manager", "service")
    @stock_blp.response(200, InvariantOut)
    def get(self):
        """Checks that every lot's on-hand, and every product's units outside any lot, equal the sum of their
        movements (a product's ``mismatches`` entry has no ``lot_id``, and ``on_hand`` is those units)."""
        with current_runtime().transaction() as session:
            return queries.check_invariant(session)


@stock_blp.route("/write-offs")
class WriteOffs(MethodView):
    @requires("manager")
    @stock_blp.arguments(WriteOffIn)
    @stock_blp.response(201, WriteOffOut)
    def post(self, data):
        """Write off damaged, expired or lost goods (from one lot, or first-expiry-first-out). Who bears the
        loss defaults to the supplier agreement; the movement goes to the suppliers service."""
        with current_runtime().transaction() as session:
            record, movements = write_offs.write_off(session, data, current_actor(), outlet())
            return {
                **{
                    k: getattr(record, k)
                    for k in (
                        "id",
                        "product_id",
                        "supplier_id",
                        "lot_id",
                        "qty",
                        "reason",
                        "borne_by",
                        "note",
                        "recorded_by",
                        "recorded_at",
                    )
                },
                "movements": movements,
            }


class ReferenceQuery(StrictSchema):
    reference_id = fields.UUID(required=True)


class ReferenceMovementOut(Schema):
    movement_id = fields.String()
    kind = fields.String()
    reference_id = fields.String()
    line_reference = fields.String(allow_none=True)
    product_id = fields.String()
    product_name = fields.String()
    supplier_id = fields.String()
    lot_code = fields.String(allow_none=True)
    qty = fields.Integer()
    unit_price = fields.Integer()
    occurred_at = fields.AwareDateTime()


@stock_blp.route("/reconciliation/movements/of")
class MovementsOfReference(MethodView):
    @requires("manager", "service")
    @stock_blp.arguments(ReferenceQuery, location="query")
    @stock_blp.response(200, ReferenceMovementOut(many=True))
    def get(self, query):
        """Every movement one business document made (``reference_id``: a sale, refund, intake...), oldest first,
        with the product's name and the lot's code."""
        with current_runtime().transaction() as session:
            return queries.movements_of_reference(session, str(query["reference_id"]))


@stock_blp.route("/reconciliation/movements")
class ReconciliationMovements(MethodView):
    @requires("manager", "service")
    @stock_blp.arguments(PeriodQuery, location="query")
    @stock_blp.response(200, description="JSON array of movements, streamed", content_type="application/json")
    def get(self, query):
        """Every movement with ``from <= occurred_at < to``, oldest first, streamed as one JSON array.
        ``from``/``to`` are ISO timestamps, or dates meaning whole Jakarta days (``to`` inclusive):
        ``[{movement_id, kind, reference_id, line_reference, product_id, supplier_id, lot_id, qty,
        unit_price, borne_by, outlet_id, occurred_at}]``."""
        runtime = current_runtime()

        def movements():
            with runtime.session_factory() as session:
                yield from queries.movements_between(session, query["start"], query["end"])

        return json_array_stream(movements())
