"""Receipts: the print view of a completed sale (also the reprint)."""

from __future__ import annotations

from flask import Response, render_template
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from services.pos import receipts
from shared.auth import requires
from shared.money import format_rupiah
from shared.runtime import current_runtime
from shared.schemas import StrictSchema

receipts_blp = Blueprint(
    "receipts", __name__, url_prefix="/receipts", description="Receipts (print views)", template_folder="../templates"
)


@receipts_blp.app_template_filter("rupiah")
def _rupiah(amount):
    """``{{ amount | rupiah }}`` in every print template (receipts and the Z report)."""
    return format_rupiah(int(amount))


class ReceiptQuery(StrictSchema):
    width = fields.Integer(load_default=80, validate=validate.OneOf([58, 80]))


@receipts_blp.route("/<string:receipt_no>")
class Receipt(MethodView):
    @requires("cashier", "manager")
    @receipts_blp.arguments(ReceiptQuery, location="query")
    @receipts_blp.response(200, description="The receipt (HTML print view)", content_type="text/html")
    def get(self, query, receipt_no):
        """The receipt as a print view for 58 mm or 80 mm thermal paper (HTML); also the reprint."""
        with current_runtime().session_factory() as session:
            html = render_template("receipt.html", **receipts.receipt_context(session, receipt_no, query["width"]))
        return Response(html, mimetype="text/html")
