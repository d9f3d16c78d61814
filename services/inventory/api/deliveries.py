"""Deliveries announced by suppliers and received by managers (the intake is recorded from what arrived)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.inventory import deliveries
from services.inventory.api.common import outlet, own_supplier, visible_supplier
from services.inventory.api.schemas import IntakeLineIn
from services.inventory.models import DeliveryStatus
from shared.auth import current_actor, current_principal, requires
from shared.runtime import current_runtime
from shared.schemas import MAX_QUANTITY, InputSchema, StrictInteger, StrictSchema

deliveries_blp = Blueprint(
    "deliveries", __name__, url_prefix="/deliveries", description="Deliveries announced by suppliers"
)

MAX_LINES = 100


class DeliveryIn(StrictSchema):
    id = fields.UUID()
    note = fields.String(validate=validate.Length(max=1000))
    lines = fields.List(fields.Nested(IntakeLineIn), required=True, validate=validate.Length(min=1, max=MAX_LINES))


class ReceivedLineIn(StrictSchema):
    line_no = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_LINES))
    qty = StrictInteger(
        required=True,
        validate=validate.Range(min=0, max=MAX_QUANTITY),
        metadata={"description": "What arrived (0: nothing)"},
    )
    lot_code = fields.String(validate=validate.Length(min=1, max=64))
    expiry_date = fields.Date(allow_none=True)


class ReceiveIn(StrictSchema):
    note = fields.String(validate=validate.Length(max=1000))
    lines = fields.List(fields.Nested(ReceivedLineIn), required=True, validate=validate.Length(min=1, max=MAX_LINES))


class CancelIn(StrictSchema):
    reason = fields.String(
        validate=validate.Length(max=300),
        metadata={"description": "Why it will not come (required of a manager; the supplier reads it)"},
    )


#: The most deliveries one list answers (the newest; the console's history shows this many).
MAX_LISTED = 500


class DeliveryQuery(InputSchema):
    supplier_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(list(DeliveryStatus)))
    limit = fields.Integer(
        validate=validate.Range(min=1, max=MAX_LISTED), metadata={"description": "At most this many, the newest"}
    )


class DeliveryLineOut(Schema):
    line_no = fields.Integer()
    product_id = fields.String()
    sku = fields.String()
    name = fields.String()
    requires_expiry = fields.Boolean()
    qty = fields.Integer()
    lot_code = fields.String(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    received_qty = fields.Integer(allow_none=True)


class DeliveryOut(Schema):
    id = fields.String()
    number = fields.String(metadata={"description": "KRM-<year>-<serial>, gapless per year"})
    supplier_id = fields.String()
    supplier_name = fields.String(allow_none=True)
    status = fields.String()
    note = fields.String(allow_none=True)
    announced_by = fields.String()
    announced_at = fields.AwareDateTime()
    closed_by = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    intake_id = fields.String(allow_none=True)
    intake_number = fields.String(allow_none=True, metadata={"description": "The intake it became (received)"})
    lines = fields.List(fields.Nested(DeliveryLineOut))


@deliveries_blp.route("")
class Deliveries(MethodView):
    @requires("supplier")
    @deliveries_blp.arguments(DeliveryIn)
    @deliveries_blp.response(201, DeliveryOut)
    def post(self, data):
        """Announce a delivery (a supplier, of their own products): expiry is required where the product needs
        it and may not be past; a suspended or ended supplier is refused (409 ``supplier_not_active``)."""
        supplier_id = own_supplier()
        assert supplier_id is not None  # a supplier's token always names its supplier
        with current_runtime().transaction() as session:
            return deliveries.announce(session, supplier_id, data, current_actor(), outlet())

    @requires("manager", "supplier")
    @deliveries_blp.arguments(DeliveryQuery, location="query")
    @deliveries_blp.response(200, DeliveryOut(many=True))
    def get(self, query):
        """Announced deliveries, newest first (a supplier sees only their own), optionally in one ``status``, at
        most ``limit``."""
        with current_runtime().transaction() as session:
            return deliveries.list_deliveries(session, visible_supplier(query), query.get("status"), query.get("limit"))


@deliveries_blp.route("/<uuid:delivery_id>")
class DeliveryById(MethodView):
    @requires("manager", "supplier")
    @deliveries_blp.response(200, DeliveryOut)
    def get(self, delivery_id):
        """One announced delivery with its lines."""
        with current_runtime().transaction() as session:
            delivery = deliveries.get_delivery(session, delivery_id, own_supplier())
            return deliveries.describe(session, [delivery])[0]


@deliveries_blp.route("/<uuid:delivery_id>/cancel")
class DeliveryCancel(MethodView):
    @requires("manager", "supplier")
    @deliveries_blp.arguments(CancelIn)
    @deliveries_blp.response(200, DeliveryOut)
    def post(self, data, delivery_id):
        """It will not come (only while announced; a received one is a 409 ``delivery_not_announced``): its
        supplier withdraws it (``{}`` or a ``reason``), or a manager cancels it with the ``reason`` the supplier
        reads."""
        supplier_id = own_supplier()
        with current_runtime().transaction() as session:
            delivery = deliveries.get_delivery(session, delivery_id, supplier_id)
            return deliveries.cancel(
                session, delivery, current_actor(), data.get("reason"), by_manager=supplier_id is None
            )


@deliveries_blp.route("/<uuid:delivery_id>/receive")
class DeliveryReceive(MethodView):
    @requires("manager")
    @deliveries_blp.arguments(ReceiveIn)
    @deliveries_blp.response(200, DeliveryOut)
    def post(self, data, delivery_id):
        """Receive it against what arrived: every announced line with the quantity that arrived (0: none) and
        its corrected lot or expiry; the intake (nota titip) is recorded from it in the same transaction."""
        with current_runtime().transaction() as session:
            delivery = deliveries.get_delivery(session, delivery_id)
            return deliveries.receive(session, delivery, data, current_actor(), outlet(), current_principal().name)
