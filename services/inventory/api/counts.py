"""Stock counts (stock opname): sessions, counted lines, approval and cancellation."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.inventory.api.common import outlet
from services.inventory.models import CountStatus
from services.inventory.stock import counts
from shared.auth import current_actor, current_principal, requires
from shared.runtime import current_runtime
from shared.schemas import InputSchema, Quantity, StrictInteger, StrictSchema

counts_blp = Blueprint("counts", __name__, url_prefix="/counts", description="Stock counts (stock opname)")


class CountOpenIn(StrictSchema):
    product_ids = fields.List(
        fields.UUID(),
        validate=validate.Length(max=5000),
        metadata={"description": "Absent or empty: every active product"},
    )
    note = fields.String(validate=validate.Length(max=1000))


class CountEntryIn(StrictSchema):
    product_id = fields.UUID()
    barcode = fields.String(validate=validate.Length(min=8, max=14))
    counted = StrictInteger(validate=validate.Range(min=0), metadata={"description": "Typed: the counted quantity"})
    add = Quantity(metadata={"description": "Scanned: units to add to what is counted so far"})
    reason = fields.String(validate=validate.Length(min=1, max=200))

    @validates_schema
    def _one_of_each(self, data, **kwargs):
        if ("product_id" in data) == ("barcode" in data):
            raise ValidationError("Give either product_id or barcode.", "product_id")
        if ("counted" in data) == ("add" in data):
            raise ValidationError("Give either counted or add.", "counted")


class CountEntriesIn(StrictSchema):
    lines = fields.List(fields.Nested(CountEntryIn), required=True, validate=validate.Length(min=1, max=5000))


class CountApproveIn(StrictSchema):
    reason = fields.String(validate=validate.Length(min=1, max=200))


class CountLineOut(Schema):
    product_id = fields.String()
    sku = fields.String()
    name = fields.String()
    unit_price = fields.Integer()
    expected = fields.Integer(allow_none=True)
    counted = fields.Integer(allow_none=True)
    variance_units = fields.Integer(allow_none=True)
    variance_rupiah = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    counted_by = fields.String(allow_none=True)


class CountOut(Schema):
    id = fields.String()
    number = fields.String()
    status = fields.String()
    outlet_id = fields.String()
    opened_by = fields.String()
    opened_at = fields.AwareDateTime()
    closed_by = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    uncounted = fields.Integer()
    total_variance_units = fields.Integer()
    total_variance_rupiah = fields.Integer()
    lines = fields.List(fields.Nested(CountLineOut))


class CountSummaryOut(Schema):
    id = fields.String()
    number = fields.String()
    status = fields.String()
    note = fields.String(allow_none=True)
    opened_by = fields.String()
    opened_at = fields.AwareDateTime()
    closed_by = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)


class CountQuery(InputSchema):
    status = fields.String(validate=validate.OneOf(list(CountStatus)))


@counts_blp.route("")
class Counts(MethodView):
    @requires("manager")
    @counts_blp.arguments(CountQuery, location="query")
    @counts_blp.response(200, CountSummaryOut(many=True))
    def get(self, query):
        """Count sessions, newest first (optionally only open, approved or cancelled ones)."""
        with current_runtime().transaction() as session:
            return counts.list_counts(session, query.get("status"))

    @requires("manager")
    @counts_blp.arguments(CountOpenIn)
    @counts_blp.response(201, CountOut)
    def post(self, data):
        """Open a count session for the given products (all active products when none are given)."""
        with current_runtime().transaction() as session:
            count = counts.open_count(session, data, current_actor(), outlet())
            return counts.variance_report(session, count.id)


@counts_blp.route("/<uuid:count_id>")
class CountById(MethodView):
    @requires("manager")
    @counts_blp.response(200, CountOut)
    def get(self, count_id):
        """The count's variance report: expected against counted, in units and rupiah."""
        with current_runtime().transaction() as session:
            return counts.variance_report(session, count_id)


@counts_blp.route("/<uuid:count_id>/lines")
class CountLines(MethodView):
    @requires("manager")
    @counts_blp.arguments(CountEntriesIn)
    @counts_blp.response(200, CountOut)
    def post(self, data, count_id):
        """Enter counted quantities by product id or scanned barcode (``counted`` sets, ``add`` adds).
        Only while the session is open (409 otherwise)."""
        with current_runtime().transaction() as session:
            counts.record_counts(session, count_id, data["lines"], current_principal().name)
            return counts.variance_report(session, count_id)


@counts_blp.route("/<uuid:count_id>/approve")
class CountApproval(MethodView):
    @requires("manager")
    @counts_blp.arguments(CountApproveIn)
    @counts_blp.response(200, CountOut)
    def post(self, data, count_id):
        """Approve the count: posts a ``count_adjustment`` per differing product and closes the session."""
        with current_runtime().transaction() as session:
            counts.approve_count(session, count_id, current_actor(), data.get("reason"))
            return counts.variance_report(session, count_id)


@counts_blp.route("/<uuid:count_id>/cancel")
class CountCancellation(MethodView):
    @requires("manager")
    @counts_blp.response(200, CountOut)
    def post(self, count_id):
        """Cancel an open count without adjusting anything."""
        with current_runtime().transaction() as session:
            counts.cancel_count(session, count_id, current_actor())
            return counts.variance_report(session, count_id)
