"""HTTP API of the POS service: validates, authorises and calls the use cases (thin views only)."""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import segno
from flask import Response, render_template, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from services.pos import (
    approvals,
    catalogue,
    checkout,
    idempotency,
    outlets,
    qris_callbacks,
    receipts,
    refunds,
    reports,
    shifts,
)
from services.pos.models import CashMovementKind, PaymentMethod, RefundMethod
from services.pos.qris_callbacks import CallbackStatus
from shared import dead_letters_api
from shared.auth import current_principal, requires
from shared.errors import DomainError
from shared.money import format_rupiah
from shared.runtime import current_runtime
from shared.schemas import Money, PeriodQuery, Quantity, StrictInteger, StrictSchema
from shared.web import json_array_stream

blp = Blueprint(
    "pos",
    __name__,
    url_prefix="",
    description="Counter: registers, shifts, sales, refunds, reports",
    template_folder="templates",
)
BLUEPRINTS = [blp, dead_letters_api.blp]

CASHIER = ("cashier", "manager")


@blp.app_template_filter("rupiah")
def _rupiah(amount):
    return format_rupiah(int(amount))


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


# -- schemas ----------------------------------------------------------------------------------------------------


class RegisterIn(StrictSchema):
    code = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Z0-9]{1,8}$", error="1–8 capital letters or digits.")
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    outlet_id = fields.UUID()


class RegisterOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    outlet_id = fields.String()


class ShiftIn(StrictSchema):
    register_id = fields.UUID(required=True)
    opening_float = Money(required=True)


class ShiftOut(Schema):
    id = fields.String()
    register_id = fields.String()
    outlet_id = fields.String()
    cashier_id = fields.String()
    cashier_name = fields.String()
    status = fields.String()
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
    kind = fields.String()
    amount = fields.Integer()
    reason = fields.String()
    created_at = fields.AwareDateTime()


class CloseShiftIn(StrictSchema):
    counted_cash = Money(required=True)


class CatalogueQuery(StrictSchema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ProductOut(Schema):
    product_id = fields.String()
    barcode = fields.String()
    sku = fields.String()
    name = fields.String()
    price = fields.Integer()
    supplier_id = fields.String()
    category = fields.String()
    unit = fields.String()
    sellable = fields.Boolean()


class ApprovalIn(StrictSchema):
    """A manager's approval: their token, or their username and PIN."""

    approval_token = fields.String(validate=validate.Length(min=1, max=4000))
    username = fields.String(validate=validate.Length(min=1, max=200))
    pin = fields.String(validate=validate.Regexp(r"^[0-9]{4,8}$", error="4–8 digits."))

    @validates_schema
    def _one_way(self, data, **kwargs):
        if not data.get("approval_token") and not (data.get("username") and data.get("pin")):
            raise ValidationError("Give approval_token, or username and pin.", "_schema")


class SaleLineIn(StrictSchema):
    barcode = fields.String(validate=validate.Length(min=1, max=64))
    product_id = fields.UUID()
    qty = Quantity(required=True)
    discount = Money(load_default=0)

    @validates_schema
    def _barcode_or_product(self, data, **kwargs):
        if bool(data.get("barcode")) == bool(data.get("product_id")):
            raise ValidationError("Give either barcode or product_id.", "barcode")


class PaymentIn(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(list(PaymentMethod)))
    amount = Money(required=True, validate=validate.Range(min=1, error="Must be at least Rp1."))
    tendered = Money()
    approval_code = fields.String(validate=validate.Length(min=1, max=64))
    reference = fields.String(validate=validate.Length(min=1, max=128))


class SaleIn(StrictSchema):
    sale_id = fields.UUID()
    register_id = fields.UUID(required=True)
    lines = fields.List(
        fields.Nested(SaleLineIn),
        required=True,
        validate=validate.Length(min=1, max=200, error="The cart needs 1 to 200 lines."),
    )
    discount = Money(load_default=0)
    approval = fields.Nested(ApprovalIn)
    payments = fields.List(fields.Nested(PaymentIn), required=True, validate=validate.Length(max=10))


class SaleOut(Schema):
    id = fields.String()
    receipt_no = fields.String(allow_none=True)
    status = fields.String()
    subtotal = fields.Integer()
    discount_total = fields.Integer()
    total = fields.Integer()
    tax = fields.Dict(allow_none=True)
    change = fields.Integer()
    lines = fields.List(fields.Dict())
    payments = fields.List(fields.Dict())


class ConfirmIn(StrictSchema):
    reference = fields.String(validate=validate.Length(min=1, max=128))


class SwitchIn(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(list(PaymentMethod)))
    tendered = Money()
    approval_code = fields.String(validate=validate.Length(min=1, max=64))
    reference = fields.String(validate=validate.Length(min=1, max=128))


class VoidIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class QrisCallbackIn(Schema):
    """The provider's body (fields we do not use are ignored)."""

    class Meta:
        unknown = EXCLUDE

    payment_id = fields.UUID(required=True)
    amount = Money(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(CallbackStatus)))
    provider_reference = fields.String(load_default=None, validate=validate.Length(max=128))


class RefundLineIn(StrictSchema):
    sale_line_id = fields.UUID(required=True)
    qty = Quantity(required=True)


class RefundIn(StrictSchema):
    receipt_no = fields.String(required=True, validate=validate.Length(min=1, max=40))
    lines = fields.List(fields.Nested(RefundLineIn), required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))
    back_to_stock = fields.Boolean(required=True)
    method = fields.String(required=True, validate=validate.OneOf(list(RefundMethod)))
    approval = fields.Nested(ApprovalIn)
    register_id = fields.UUID()


class OutletSettingsIn(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    address = fields.String(validate=validate.Length(min=1, max=400))
    npwp = fields.String(
        allow_none=True, validate=validate.Regexp(r"^[0-9.\-]{15,22}$", error="An NPWP (15 or 16 digits).")
    )
    ppn_registered = fields.Boolean()
    static_qris_payload = fields.String(validate=validate.Length(min=20, max=512))
    discount_approval_limit = Money()
    qris_expiry_minutes = StrictInteger(validate=validate.Range(min=1, max=120))


class OutletSettingsOut(Schema):
    outlet_id = fields.String()
    name = fields.String()
    address = fields.String()
    npwp = fields.String(allow_none=True)
    ppn_registered = fields.Boolean()
    static_qris_payload = fields.String()
    discount_approval_limit = fields.Integer()
    qris_expiry_minutes = fields.Integer()


class ApproverPinIn(StrictSchema):
    pin = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4,8}$", error="4–8 digits."))


class ReceiptQuery(StrictSchema):
    width = fields.Integer(load_default=80, validate=validate.OneOf([58, 80]))


class DailyQuery(StrictSchema):
    date = fields.Date(required=True)
    outlet_id = fields.UUID()


class ReconciliationQuery(PeriodQuery):
    """A period of sales or refunds, paged by ``cursor``/``limit`` or streamed whole."""

    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(
        validate=validate.Range(min=1, max=5000),
        metadata={"description": "Page size; without it the whole period is streamed"},
    )


# -- registers and shifts ---------------------------------------------------------------------------------------


@blp.route("/registers")
class Registers(MethodView):
    @requires("manager")
    @blp.arguments(RegisterIn)
    @blp.response(201, RegisterOut)
    def post(self, data):
        """Add a register (counter) to an outlet; its code prefixes its receipt numbers."""
        with current_runtime().transaction() as session:
            return shifts.create_register(session, data, current_runtime().settings.outlet_id)

    @requires(*CASHIER)
    @blp.response(200, RegisterOut(many=True))
    def get(self):
        """All registers."""
        with current_runtime().transaction() as session:
            return shifts.list_registers(session)


@blp.route("/shifts")
class Shifts(MethodView):
    @requires(*CASHIER)
    @blp.arguments(ShiftIn)
    @blp.response(201, ShiftOut)
    def post(self, data):
        """Open a shift on a register with an opening cash float (one open shift per register)."""
        with current_runtime().transaction() as session:
            return shifts.open_shift(session, current_principal(), data["register_id"], data["opening_float"])


@blp.route("/shifts/current")
class CurrentShift(MethodView):
    @requires(*CASHIER)
    @blp.arguments(CurrentShiftQuery, location="query")
    @blp.response(200, ShiftOut)
    def get(self, query):
        """The open shift of a register (404 when none is open)."""
        with current_runtime().transaction() as session:
            return shifts.current_shift(session, query["register_id"])


@blp.route("/shifts/<uuid:shift_id>/cash-movements")
class CashMovements(MethodView):
    @requires(*CASHIER)
    @blp.arguments(CashMovementIn)
    @blp.response(201, CashMovementOut)
    def post(self, data, shift_id):
        """Cash in or out of the drawer during the shift (petty cash), with a reason."""
        with current_runtime().transaction() as session:
            return shifts.add_cash_movement(session, shift_id, current_principal(), data)


@blp.route("/shifts/<uuid:shift_id>/x-report")
class XReport(MethodView):
    @requires(*CASHIER)
    def get(self, shift_id):
        """The shift's figures so far (sales, by method, refunds, cash movements, expected cash)."""
        with current_runtime().transaction() as session:
            return _json(shifts.x_report(session, shift_id, current_principal()))


@blp.route("/shifts/<uuid:shift_id>/close")
class CloseShift(MethodView):
    @requires(*CASHIER)
    @blp.arguments(CloseShiftIn)
    def post(self, data, shift_id):
        """Close the shift with the counted cash: answers the Z report (expected cash and variance)."""
        with current_runtime().transaction() as session:
            return _json(shifts.close_shift(session, shift_id, current_principal(), data["counted_cash"]))


@blp.route("/shifts/<uuid:shift_id>/z-report")
class ZReport(MethodView):
    @requires(*CASHIER)
    def get(self, shift_id):
        """The Z report kept when the shift closed."""
        with current_runtime().transaction() as session:
            return _json(shifts.z_report(session, shift_id, current_principal()))


@blp.route("/shifts/<uuid:shift_id>/z-report/print")
class ZReportPrint(MethodView):
    @requires(*CASHIER)
    def get(self, shift_id):
        """The Z report as an 80 mm print view (HTML)."""
        with current_runtime().transaction() as session:
            figures = shifts.z_report(session, shift_id, current_principal())
            html = render_template("z_report.html", **receipts.z_report_context(session, figures))
        return Response(html, mimetype="text/html")


# -- catalogue --------------------------------------------------------------------------------------------------


@blp.route("/catalogue/barcode/<string:barcode>")
class CatalogueByBarcode(MethodView):
    @requires(*CASHIER)
    @blp.response(200, ProductOut)
    def get(self, barcode):
        """Look a product up by its barcode (from the replica: works while inventory is down)."""
        with current_runtime().session_factory() as session:
            return catalogue.by_barcode(session, barcode)


@blp.route("/catalogue")
class CatalogueSearch(MethodView):
    @requires(*CASHIER)
    @blp.arguments(CatalogueQuery, location="query")
    @blp.response(200, ProductOut(many=True))
    def get(self, query):
        """Search products by name (or SKU / barcode)."""
        with current_runtime().session_factory() as session:
            return catalogue.search(session, query["q"])


# -- sales ------------------------------------------------------------------------------------------------------


@blp.route("/sales")
class Sales(MethodView):
    @requires(*CASHIER)
    @blp.arguments(SaleIn)
    @blp.response(201, SaleOut)
    def post(self, data):
        """Check out a sale (``Idempotency-Key`` header required).

        Same key and body → the first response; same key, different body → 422; still in flight → 409.
        A QRIS payment leaves the sale ``pending_payment`` with a dynamic QRIS payload until it is confirmed.
        """
        runtime = current_runtime()
        key = idempotency.validate_key(request.headers.get("Idempotency-Key"))
        cashier = current_principal()

        def use_case(session):
            sale, created = checkout.checkout(session, runtime.settings, cashier, data)
            return (201 if created else 200), checkout.sale_view(sale)

        stored = idempotency.run_once(
            runtime.session_factory, "sale", key, idempotency.fingerprint(cashier.user_id, request.get_json()), use_case
        )
        return _json(stored.body, stored.status)


@blp.route("/sales/<uuid:sale_id>")
class SaleById(MethodView):
    @requires(*CASHIER)
    @blp.response(200, SaleOut)
    def get(self, sale_id):
        """One sale with its lines and payments."""
        with current_runtime().transaction() as session:
            return _json(checkout.sale_view(checkout.load_sale(session, sale_id)))


@blp.route("/sales/<uuid:sale_id>/payments/<uuid:payment_id>/confirm")
class ConfirmPayment(MethodView):
    @requires(*CASHIER)
    @blp.arguments(ConfirmIn)
    @blp.response(200, SaleOut)
    def post(self, data, sale_id, payment_id):
        """The cashier confirms a pending QRIS payment (seen paid on the provider's app)."""
        with current_runtime().transaction() as session:
            sale = checkout.confirm_payment(
                session, sale_id, payment_id, current_principal().user_id, reference=data.get("reference")
            )
            return _json(checkout.sale_view(sale))


@blp.route("/sales/<uuid:sale_id>/payments/<uuid:payment_id>/retry")
class RetryQris(MethodView):
    @requires(*CASHIER)
    @blp.response(200, SaleOut)
    def post(self, sale_id, payment_id):
        """A fresh dynamic QRIS (new expiry) in place of a pending or expired one."""
        with current_runtime().transaction() as session:
            return _json(checkout.sale_view(checkout.retry_qris(session, sale_id, payment_id, current_principal())))


@blp.route("/sales/<uuid:sale_id>/payments/<uuid:payment_id>/switch")
class SwitchPayment(MethodView):
    @requires(*CASHIER)
    @blp.arguments(SwitchIn)
    @blp.response(200, SaleOut)
    def post(self, data, sale_id, payment_id):
        """Pay a pending or expired QRIS amount with another method."""
        with current_runtime().transaction() as session:
            sale = checkout.switch_payment(session, sale_id, payment_id, current_principal(), data)
            return _json(checkout.sale_view(sale))


@blp.route("/sales/<uuid:sale_id>/void")
class VoidSale(MethodView):
    @requires(*CASHIER)
    @blp.arguments(VoidIn)
    @blp.response(200, SaleOut)
    def post(self, data, sale_id):
        """Void a sale still in progress (waiting for payment): nothing is recorded as sold."""
        with current_runtime().transaction() as session:
            return _json(checkout.sale_view(checkout.void_sale(session, sale_id, current_principal(), data["reason"])))


def _qr(sale_id, payment_id):
    with current_runtime().session_factory() as session:
        payment = checkout.payment_of(session, sale_id, payment_id)
        if not payment.qris_payload:
            raise DomainError("This payment has no QRIS.", status=404)
        return segno.make(payment.qris_payload, error="m")


@blp.route("/sales/<uuid:sale_id>/payments/<uuid:payment_id>/qr.svg")
class QrisSvg(MethodView):
    @requires(*CASHIER)
    def get(self, sale_id, payment_id):
        """The dynamic QRIS as an SVG image for the customer display."""
        out = io.BytesIO()
        _qr(sale_id, payment_id).save(out, kind="svg", scale=6, border=2)
        return Response(out.getvalue(), mimetype="image/svg+xml")


@blp.route("/sales/<uuid:sale_id>/payments/<uuid:payment_id>/qr.png")
class QrisPng(MethodView):
    @requires(*CASHIER)
    def get(self, sale_id, payment_id):
        """The dynamic QRIS as a PNG image."""
        out = io.BytesIO()
        _qr(sale_id, payment_id).save(out, kind="png", scale=6, border=2)
        return Response(out.getvalue(), mimetype="image/png")


@blp.route("/qris/callback")
class QrisCallback(MethodView):
    def post(self):
        """The QRIS provider's signed callback (headers X-QRIS-Timestamp, X-QRIS-Nonce, X-QRIS-Signature).

        Refused: a wrong signature (401), a timestamp more than 5 minutes off (401), a nonce seen before (409).
        """
        runtime = current_runtime()
        nonce = request.headers.get("X-QRIS-Nonce", "")
        body = request.get_data()
        qris_callbacks.authenticate(
            runtime.settings.qris_callback_secret,
            request.headers.get("X-QRIS-Timestamp", ""),
            nonce,
            request.headers.get("X-QRIS-Signature", ""),
            body,
        )
        try:
            data = QrisCallbackIn().load(json.loads(body or b"null"))
        except (ValueError, TypeError):
            raise DomainError("The callback body is not JSON.", status=400) from None
        with runtime.transaction() as session:
            return _json(qris_callbacks.apply_callback(session, nonce, data))


# -- receipts ---------------------------------------------------------------------------------------------------


@blp.route("/receipts/<string:receipt_no>")
class Receipt(MethodView):
    @requires(*CASHIER)
    @blp.arguments(ReceiptQuery, location="query")
    def get(self, query, receipt_no):
        """The receipt as a print view for 58 mm or 80 mm thermal paper (HTML); also the reprint."""
        with current_runtime().session_factory() as session:
            html = render_template("receipt.html", **receipts.receipt_context(session, receipt_no, query["width"]))
        return Response(html, mimetype="text/html")


# -- refunds ----------------------------------------------------------------------------------------------------


@blp.route("/refunds")
class Refunds(MethodView):
    @requires(*CASHIER)
    @blp.arguments(RefundIn)
    def post(self, data):
        """Refund lines of a completed sale (``Idempotency-Key`` required; manager approval; publishes
        ``sale.refunded``)."""
        runtime = current_runtime()
        key = idempotency.validate_key(request.headers.get("Idempotency-Key"))
        caller = current_principal()

        def use_case(session):
            return 201, refunds.refund_view(refunds.refund(session, runtime.settings, caller, data))

        stored = idempotency.run_once(
            runtime.session_factory,
            "refund",
            key,
            idempotency.fingerprint(caller.user_id, request.get_json()),
            use_case,
        )
        return _json(stored.body, stored.status)


# -- outlet settings, approvers, audit --------------------------------------------------------------------------


@blp.route("/outlets/<uuid:outlet_id>/settings")
class OutletSettingsView(MethodView):
    @requires("manager")
    @blp.response(200, OutletSettingsOut)
    def get(self, outlet_id):
        """The outlet's receipt header, PPN registration, static QRIS, discount limit and QRIS expiry."""
        with current_runtime().transaction() as session:
            return outlets.outlet_settings(session, outlet_id)

    @requires("manager")
    @blp.arguments(OutletSettingsIn)
    @blp.response(200, OutletSettingsOut)
    def put(self, data, outlet_id):
        """Change the outlet's settings (fields not given keep their value)."""
        with current_runtime().transaction() as session:
            return outlets.update_outlet_settings(session, outlet_id, data, current_principal())


@blp.route("/approvers/me")
class MyApproverPin(MethodView):
    @requires("manager")
    @blp.arguments(ApproverPinIn)
    def put(self, data):
        """Set the PIN this manager approves with at the counter (username = the name in their token)."""
        with current_runtime().transaction() as session:
            approver = approvals.set_pin(session, current_principal(), data["pin"])
            return _json({"user_id": approver.user_id, "username": approver.username})


@blp.route("/audit")
class Audit(MethodView):
    @requires("manager")
    def get(self):
        """The latest sensitive actions (refunds, approved discounts, voids) with who and when."""
        with current_runtime().session_factory() as session:
            return _json(approvals.audit_entries(session))


# -- reports and reconciliation ---------------------------------------------------------------------------------


@blp.route("/reports/daily")
class DailyReport(MethodView):
    @requires("manager")
    @blp.arguments(DailyQuery, location="query")
    def get(self, query):
        """Sales of one Jakarta day by payment method, cashier, hour, category and supplier; top products."""
        with current_runtime().session_factory() as session:
            return _json(reports.daily_report(session, query["date"], query.get("outlet_id")))


STREAM_BATCH = 1000


def _reconciliation(feed, query) -> Response:
    """One page (with ``limit``; ``X-Next-Cursor`` and a ``Link`` to the next) or, without ``limit``, the whole
    period streamed as one JSON array, read in keyset batches of short transactions."""
    runtime = current_runtime()
    if query.get("limit"):
        with runtime.session_factory() as session:
            items, next_cursor = feed(session, query["start"], query["end"], query.get("cursor"), query["limit"])
        response = _json(items)
        if next_cursor:
            response.headers["X-Next-Cursor"] = next_cursor
            next_query = urlencode({**request.args.to_dict(), "cursor": next_cursor})
            response.headers["Link"] = f'<{request.path}?{next_query}>; rel="next"'
        return response

    def every_item():
        cursor = query.get("cursor")
        while True:
            with runtime.session_factory() as session:
                items, cursor = feed(session, query["start"], query["end"], cursor, STREAM_BATCH)
            yield from items
            if not cursor:
                return

    return json_array_stream(every_item())


@blp.route("/reconciliation/sales")
class ReconciliationSales(MethodView):
    @requires("manager", "service")
    @blp.arguments(ReconciliationQuery, location="query")
    def get(self, query):
        """Completed sales with ``from <= completed_at < to`` and their lines, oldest first:
        ``[{sale_id, receipt_no, outlet_id, completed_at, total, lines: [{line_id, product_id, supplier_id, qty,
        unit_price, discount, line_total}]}]``. With ``limit``: one page, the next via ``X-Next-Cursor``/``Link``."""
        return _reconciliation(reports.reconciliation_sales, query)


@blp.route("/reconciliation/refunds")
class ReconciliationRefunds(MethodView):
    @requires("manager", "service")
    @blp.arguments(ReconciliationQuery, location="query")
    def get(self, query):
        """Refunds with ``from <= refunded_at < to``: ``[{refund_id, sale_id, receipt_no, refunded_at,
        back_to_stock, total, lines: [{line_id, sale_line_id, product_id, supplier_id, qty, amount, line_total}]}]``.
        With ``limit``: one page, the next via ``X-Next-Cursor``/``Link``."""
        return _reconciliation(reports.reconciliation_refunds, query)
