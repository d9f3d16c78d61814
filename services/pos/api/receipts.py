"""Receipts: the print view of a completed sale (also the reprint)."""

from __future__ import annotations

from flask import Response, render_template
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from services.pos import printing, receipts
from services.pos.api.schemas import PrintedOut
from shared.auth import requires
from shared.runtime import current_runtime
from shared.schemas import Boolean, StrictSchema

receipts_blp = Blueprint(
    "receipts", __name__, url_prefix="/receipts", description="Receipts (print views)", template_folder="../templates"
)


class ReceiptQuery(StrictSchema):
    width = fields.Integer(load_default=80, validate=validate.OneOf([58, 80]))


class PrintReceiptIn(StrictSchema):
    reprint = Boolean(load_default=False, metadata={"description": "A reprint leaves the cash drawer shut"})


@receipts_blp.route("/<string:receipt_no>")
class Receipt(MethodView):
    @requires("cashier", "manager")
    @receipts_blp.arguments(ReceiptQuery, location="query")
    @receipts_blp.response(200, description="The receipt (HTML print view)", content_type="text/html")
    def get(self, query, receipt_no):
        """The receipt as a print view for 58 mm or 80 mm thermal paper (HTML); also the reprint."""
        with current_runtime().session_factory() as session:
            document = receipts.receipt_document(session, receipt_no)
        html = render_template("document.html", **receipts.html_context(document, query["width"]))
        return Response(html, mimetype="text/html")


@receipts_blp.route("/<string:receipt_no>/print")
class PrintReceipt(MethodView):
    @requires("cashier", "manager")
    @receipts_blp.arguments(PrintReceiptIn)
    @receipts_blp.response(200, PrintedOut)
    @receipts_blp.alt_response(409, description="The sale's register has no network printer enabled (no_printer)")
    @receipts_blp.alt_response(503, description="The printer is unreachable or did not answer within 3 s")
    def post(self, data, receipt_no):
        """Print the receipt on the ESC/POS printer of the sale's register; a cash sale opens the cash drawer
        (not on a reprint)."""
        with current_runtime().session_factory() as session:
            return printing.print_receipt(session, receipt_no, reprint=data["reprint"])
