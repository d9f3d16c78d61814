"""``/reports`` (managers): stock reports per supplier."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from services.inventory.stock import reports
from shared.auth import requires
from shared.runtime import current_runtime
from shared.schemas import DayPeriodQuery

reports_blp = Blueprint("reports", __name__, url_prefix="/reports", description="Stock reports")


class SupplierStockOut(Schema):
    supplier_id = fields.String()
    supplier_name = fields.String(allow_none=True)
    opening = fields.Integer(metadata={"description": "Units on hand at the start of the period"})
    received = fields.Integer()
    sold = fields.Integer(metadata={"description": "Net of refunds back to stock"})
    closing = fields.Integer(metadata={"description": "Units on hand at the end of the period"})
    sell_through_bps = fields.Integer(allow_none=True, metadata={"description": "sold / (opening + received)"})
    days_on_hand = fields.Integer(allow_none=True, metadata={"description": "closing at the period's sales rate"})


@reports_blp.route("/suppliers")
class SupplierStockReport(MethodView):
    @requires("manager")
    @reports_blp.arguments(DayPeriodQuery, location="query")
    @reports_blp.response(200, SupplierStockOut(many=True))
    def get(self, query):
        """Per supplier: on hand at the start, received, sold, on hand at the end; sell-through and days on hand."""
        with current_runtime().session_factory() as session:
            return reports.supplier_stock_report(session, query["start"], query["end"])
