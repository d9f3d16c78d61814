"""The reconciliation feeds the suppliers service reads: completed sales and refunds of a period, paged or
streamed."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.pos import reports
from services.pos.api.schemas import Timestamp
from shared.auth import requires
from shared.runtime import current_runtime
from shared.schemas import PeriodQuery
from shared.web import json_array_stream

reconciliation_blp = Blueprint(
    "reconciliation", __name__, url_prefix="/reconciliation", description="Reconciliation feeds (sales, refunds)"
)

#: Rows read per short transaction while a whole period streams.
STREAM_BATCH = 1000
PAGE_HEADERS = {
    "X-Next-Cursor": {"description": "The cursor of the next page (absent on the last)", "schema": {"type": "string"}},
    "Link": {"description": 'The next page as ``<url>; rel="next"``', "schema": {"type": "string"}},
}


class ReconciliationQuery(PeriodQuery):
    """A period of sales or refunds, paged by ``cursor``/``limit`` or streamed whole."""

    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(
        validate=validate.Range(min=1, max=5000),
        metadata={"description": "Page size; without it the whole period is streamed"},
    )


class SoldLineOut(Schema):
    line_id = fields.String()
    product_id = fields.String()
    supplier_id = fields.String()
    qty = fields.Integer()
    unit_price = fields.Integer()
    discount = fields.Integer()
    line_total = fields.Integer()


class SoldOut(Schema):
    sale_id = fields.String()
    receipt_no = fields.String()
    outlet_id = fields.String()
    completed_at = Timestamp()
    total = fields.Integer()
    lines = fields.List(fields.Nested(SoldLineOut))


class RefundedLineOut(Schema):
    line_id = fields.String(metadata={"description": "The sale line refunded (same as sale_line_id)"})
    sale_line_id = fields.String()
    product_id = fields.String()
    supplier_id = fields.String()
    qty = fields.Integer()
    amount = fields.Integer()
    line_total = fields.Integer(metadata={"description": "The amount refunded (same as amount)"})


class RefundedOut(Schema):
    refund_id = fields.String()
    sale_id = fields.String()
    receipt_no = fields.String()
    refunded_at = Timestamp()
    back_to_stock = fields.Boolean()
    total = fields.Integer()
    lines = fields.List(fields.Nested(RefundedLineOut))


def _reconciliation(feed, query):
    """One page (with ``limit``; ``X-Next-Cursor`` and a ``Link`` to the next) or, without ``limit``, the whole
    period streamed as one JSON array, read in keyset batches of short transactions."""
    runtime = current_runtime()
    if query.get("limit"):
        with runtime.session_factory() as session:
            items, next_cursor = feed(session, query["start"], query["end"], query.get("cursor"), query["limit"])
        headers = {}
        if next_cursor:
            next_query = urlencode({**request.args.to_dict(), "cursor": next_cursor})
            headers = {"X-Next-Cursor": next_cursor, "Link": f'<{request.path}?{next_query}>; rel="next"'}
        return items, 200, headers

    def every_item():
        cursor = query.get("cursor")
        while True:
            with runtime.session_factory() as session:
                items, cursor = feed(session, query["start"], query["end"], cursor, STREAM_BATCH)
            yield from items
            if not cursor:
                return

    return json_array_stream(every_item())


@reconciliation_blp.route("/sales")
class ReconciliationSales(MethodView):
    @requires("manager", "service")
    @reconciliation_blp.arguments(ReconciliationQuery, location="query")
    @reconciliation_blp.response(200, SoldOut(many=True), headers=PAGE_HEADERS)
    def get(self, query):
        """Completed sales with ``from <= completed_at < to`` and their lines, oldest first. With ``limit``: one
        page, the next via ``X-Next-Cursor``/``Link``; without it the whole period streams as one array."""
        return _reconciliation(reports.reconciliation_sales, query)


@reconciliation_blp.route("/refunds")
class ReconciliationRefunds(MethodView):
    @requires("manager", "service")
    @reconciliation_blp.arguments(ReconciliationQuery, location="query")
    @reconciliation_blp.response(200, RefundedOut(many=True), headers=PAGE_HEADERS)
    def get(self, query):
        """Refunds with ``from <= refunded_at < to`` and their lines, oldest first. With ``limit``: one page, the
        next via ``X-Next-Cursor``/``Link``; without it the whole period streams as one array."""
        return _reconciliation(reports.reconciliation_refunds, query)
