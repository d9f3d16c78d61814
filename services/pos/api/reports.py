"""The daily sales report for managers."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.pos import report_rules, reports
from shared.auth import requires
from shared.runtime import current_runtime
from shared.schemas import DayPeriodQuery, StrictSchema

reports_blp = Blueprint("reports", __name__, url_prefix="/reports", description="Sales reports")


class DailyQuery(StrictSchema):
    date = fields.Date(required=True)
    outlet_id = fields.UUID()


class DaySalesOut(Schema):
    count = fields.Integer()
    gross = fields.Integer()
    discounts = fields.Integer()
    net = fields.Integer()
    ppn = fields.Integer()


class DayRefundsOut(Schema):
    count = fields.Integer()
    total = fields.Integer()


class ByMethodOut(Schema):
    method = fields.String()
    count = fields.Integer()
    amount = fields.Integer()


class ByCashierOut(Schema):
    cashier_id = fields.String()
    cashier_name = fields.String()
    count = fields.Integer()
    total = fields.Integer()


class ByHourOut(Schema):
    hour = fields.Integer(metadata={"description": "Hour of the day in WIB (0–23)"})
    count = fields.Integer()
    total = fields.Integer()


class ByCategoryOut(Schema):
    category = fields.String()
    qty = fields.Integer()
    total = fields.Integer()


class BySupplierOut(Schema):
    supplier_id = fields.String()
    supplier_name = fields.String(allow_none=True)
    qty = fields.Integer()
    total = fields.Integer()


class TopProductOut(Schema):
    product_id = fields.String()
    name = fields.String()
    qty = fields.Integer()
    total = fields.Integer()


class DailyReportOut(Schema):
    date = fields.String(metadata={"format": "date"})
    sales = fields.Nested(DaySalesOut)
    refunds = fields.Nested(DayRefundsOut)
    by_payment_method = fields.List(fields.Nested(ByMethodOut))
    by_cashier = fields.List(fields.Nested(ByCashierOut))
    by_hour = fields.List(fields.Nested(ByHourOut))
    by_category = fields.List(fields.Nested(ByCategoryOut))
    by_supplier = fields.List(fields.Nested(BySupplierOut))
    top_products = fields.List(fields.Nested(TopProductOut))


@reports_blp.route("/daily")
class DailyReport(MethodView):
    @requires("manager")
    @reports_blp.arguments(DailyQuery, location="query")
    @reports_blp.response(200, DailyReportOut)
    def get(self, query):
        """Sales of one Jakarta day by payment method, cashier, hour, category and supplier; top products."""
        with current_runtime().session_factory() as session:
            return reports.daily_report(session, query["date"], query.get("outlet_id"))


class SalesQuery(DayPeriodQuery):
    granularity = fields.String(load_default="day", validate=validate.OneOf(report_rules.GRANULARITIES))
    outlet_id = fields.UUID()


class ByPeriodOut(Schema):
    period = fields.Date(metadata={"description": "First day of the day / week (Monday) / month"})
    count = fields.Integer()
    total = fields.Integer()


class SalesReportOut(DailyReportOut):
    start = fields.String(data_key="from", attribute="from", metadata={"format": "date"})
    end = fields.String(data_key="to", attribute="to", metadata={"format": "date"})
    granularity = fields.String()
    by_period = fields.List(fields.Nested(ByPeriodOut))


@reports_blp.route("/sales")
class SalesReport(MethodView):
    @requires("manager")
    @reports_blp.arguments(SalesQuery, location="query")
    @reports_blp.response(200, SalesReportOut)
    def get(self, query):
        """Sales of a period (at most 366 days) by day / week / month, payment method, cashier, hour, category and
        supplier; top products; refunds. 422 when the period is reversed or too long."""
        with current_runtime().session_factory() as session:
            return reports.sales_report(
                session, query["start"], query["end"], query["granularity"], query.get("outlet_id")
            )
