"""Shifts: opening with a float, cash movements, the X report, closing with the Z report and its print view."""

from __future__ import annotations

from flask import Response, jsonify, render_template
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.pos import printing, receipts, shifts
from services.pos.api.schemas import PrintedOut, Timestamp, one_of
from services.pos.models import CashMovementKind, ShiftStatus
from shared.auth import current_principal, requires
from shared.runtime import current_runtime
from shared.schemas import Money, StrictSchema

shifts_blp = Blueprint(
    "shifts",
    __name__,
    url_prefix="/shifts",
    description="Shifts, cash movements, X and Z reports",
    template_folder="../templates",
)


class ShiftIn(StrictSchema):
    register_id = fields.UUID(required=True)
    opening_float = Money(required=True)


class ShiftOut(Schema):
    id = fields.String()
    register_id = fields.String()
    outlet_id = fields.String()
    cashier_id = fields.String()
    cashier_name = fields.String()
    status = fields.String(metadata=one_of(ShiftStatus))
    opened_at = fields.AwareDateTime()
    opening_float = fields.Integer()
    closed_at = fields.AwareDateTime(allow_none=True)


class CurrentShiftQuery(StrictSchema):
    register_id = fields.UUID(required=True)


class CashMovementIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(list(CashMovementKind)))
    amount = Money(required=True, validate=validate.Range(min=1, error="Must be at least Rp1."))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CashMovementOut(Schema):
    id = fields.String()
    shift_id = fields.String()
    kind = fields.String(metadata=one_of(CashMovementKind))
    amount = fields.Integer()
    reason = fields.String()
    created_at = fields.AwareDateTime()


class CloseShiftIn(StrictSchema):
    counted_cash = Money(required=True)


class ShiftSalesOut(Schema):
    count = fields.Integer()
    gross = fields.Integer()
    discounts = fields.Integer()
    net = fields.Integer()
    ppn = fields.Integer()
    pending = fields.Integer(metadata={"description": "Sales still waiting for payment"})
    voided = fields.Integer()


class ShiftRefundsOut(Schema):
    count = fields.Integer()
    total = fields.Integer()
    by_method = fields.Dict(keys=fields.String(), values=fields.Integer())


class CashMovementItemOut(Schema):
    id = fields.String()
    kind = fields.String(metadata=one_of(CashMovementKind))
    amount = fields.Integer()
    reason = fields.String()
    created_at = Timestamp()
    created_by = fields.String()


class ShiftCashMovementsOut(Schema):
    cash_in = fields.Integer(attribute="in", data_key="in")
    cash_out = fields.Integer(attribute="out", data_key="out")
    items = fields.List(fields.Nested(CashMovementItemOut))


class ShiftReportOut(Schema):
    """The X report (figures so far) or the Z report (kept at closing, with ``counted_cash`` and ``variance``)."""

    shift_id = fields.String()
    register_id = fields.String()
    cashier_id = fields.String()
    cashier_name = fields.String()
    status = fields.String(metadata=one_of(ShiftStatus))
    opened_at = Timestamp()
    closed_at = Timestamp(allow_none=True)
    opening_float = fields.Integer()
    sales = fields.Nested(ShiftSalesOut)
    payments_by_method = fields.Dict(keys=fields.String(), values=fields.Integer())
    refunds = fields.Nested(ShiftRefundsOut)
    cash_movements = fields.Nested(ShiftCashMovementsOut)
    expected_cash = fields.Integer()
    counted_cash = fields.Integer(metadata={"description": "Z report only"})
    variance = fields.Integer(metadata={"description": "Z report only: counted minus expected cash"})


@shifts_blp.route("")
class Shifts(MethodView):
    @requires("cashier", "manager")
    @shifts_blp.arguments(ShiftIn)
    @shifts_blp.response(201, ShiftOut)
    def post(self, data):
        """Open a shift on a register with an opening cash float (one open shift per register)."""
        with current_runtime().transaction() as session:
            return shifts.open_shift(session, current_principal(), data["register_id"], data["opening_float"])


@shifts_blp.route("/current")
class CurrentShift(MethodView):
    @requires("cashier", "manager")
    @shifts_blp.arguments(CurrentShiftQuery, location="query")
    @shifts_blp.response(200, ShiftOut, description="The open shift, or `null` when none is open")
    def get(self, query):
        """The open shift of a register; ``null`` when none is open (an empty state, not an error)."""
        with current_runtime().transaction() as session:
            shift = shifts.current_shift(session, query["register_id"])
            return shift if shift is not None else jsonify(None)


@shifts_blp.route("/<uuid:shift_id>/cash-movements")
class CashMovements(MethodView):
    @requires("cashier", "manager")
    @shifts_blp.arguments(CashMovementIn)
    @shifts_blp.response(201, CashMovementOut)
    def post(self, data, shift_id):
        """Cash in or out of the drawer during the shift (petty cash), with a reason."""
        with current_runtime().transaction() as session:
            return shifts.add_cash_movement(session, shift_id, current_principal(), data)


@shifts_blp.route("/<uuid:shift_id>/x-report")
class XReport(MethodView):
    @requires("cashier", "manager")
    @shifts_blp.response(200, ShiftReportOut)
    def get(self, shift_id):
        """The shift's figures so far (sales, by method, refunds, cash movements, expected cash)."""
        with current_runtime().transaction() as session:
            return shifts.x_report(session, shift_id, current_principal())


@shifts_blp.route("/<uuid:shift_id>/close")
class CloseShift(MethodView):
    @requires("cashier", "manager")
    @shifts_blp.arguments(CloseShiftIn)
    @shifts_blp.response(200, ShiftReportOut)
    def post(self, data, shift_id):
        """Close the shift with the counted cash: answers the Z report (expected cash and variance)."""
        with current_runtime().transaction() as session:
            return shifts.close_shift(session, shift_id, current_principal(), data["counted_cash"])


@shifts_blp.route("/<uuid:shift_id>/z-report")
class ZReport(MethodView):
    @requires("cashier", "manager")
    @shifts_blp.response(200, ShiftReportOut)
    def get(self, shift_id):
        """The Z report kept when the shift closed."""
        with current_runtime().transaction() as session:
            return shifts.z_report(session, shift_id, current_principal())


@shifts_blp.route("/<uuid:shift_id>/z-report/print")
class ZReportPrint(MethodView):
    @requires("cashier", "manager")
    @shifts_blp.response(200, description="The Z report on 80 mm paper (HTML)", content_type="text/html")
    def get(self, shift_id):
        """The Z report as an 80 mm print view (HTML)."""
        with current_runtime().transaction() as session:
            figures = shifts.z_report(session, shift_id, current_principal())
            document = receipts.z_report_document(session, figures)
        return Response(render_template("document.html", **receipts.html_context(document, 80)), mimetype="text/html")

    @requires("cashier", "manager")
    @shifts_blp.response(200, PrintedOut)
    @shifts_blp.alt_response(409, description="The register has no network printer enabled (no_printer)")
    @shifts_blp.alt_response(503, description="The printer is unreachable or did not answer within 3 s")
    def post(self, shift_id):
        """Print the Z report on the ESC/POS printer of the shift's register."""
        with current_runtime().session_factory() as session:
            return printing.print_z_report(session, shift_id, current_principal())
