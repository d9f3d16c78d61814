"""Payments of a sale: confirming, retrying or switching a QRIS payment, its QR image, and the QRIS provider's
signed callback."""

from __future__ import annotations

import io
import json

import segno
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

from services.pos import checkout, qris_callbacks
from services.pos.api.schemas import SaleOut, one_of
from services.pos.models import PaymentMethod, PaymentStatus, SaleStatus
from services.pos.qris_callbacks import CallbackStatus
from shared.auth import current_principal, requires
from shared.errors import DomainError
from shared.runtime import current_runtime
from shared.schemas import InputSchema, Money, StrictSchema

payments_blp = Blueprint("payments", __name__, url_prefix="", description="Payments of a sale, QRIS")

PAYMENT = "/sales/<uuid:sale_id>/payments/<uuid:payment_id>"


class ConfirmIn(StrictSchema):
    reference = fields.String(validate=validate.Length(min=1, max=128))


class SwitchIn(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(list(PaymentMethod)))
    tendered = Money()
    approval_code = fields.String(validate=validate.Length(min=1, max=64))
    reference = fields.String(validate=validate.Length(min=1, max=128))


class QrisCallbackIn(InputSchema):
    """The provider's body (fields we do not use are ignored)."""

    class Meta:
        unknown = EXCLUDE

    payment_id = fields.UUID(required=True)
    amount = Money(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(CallbackStatus)))
    provider_reference = fields.String(load_default=None, validate=validate.Length(max=128))


class QrisCallbackOut(Schema):
    """The payment's status; for a paid callback also the sale's status and receipt number."""

    payment_id = fields.String()
    status = fields.String(metadata=one_of(PaymentStatus))
    sale_status = fields.String(metadata=one_of(SaleStatus))
    receipt_no = fields.String(allow_none=True)


@payments_blp.route(f"{PAYMENT}/confirm")
class ConfirmPayment(MethodView):
    @requires("cashier", "manager")
    @payments_blp.arguments(ConfirmIn)
    @payments_blp.response(200, SaleOut)
    def post(self, data, sale_id, payment_id):
        """The cashier confirms a pending QRIS payment (seen paid on the provider's app)."""
        cashier = current_principal()
        with current_runtime().transaction() as session:
            sale = checkout.confirm_payment(
                session, sale_id, payment_id, cashier.user_id, reference=data.get("reference"), cashier=cashier
            )
            return checkout.sale_view(sale)


@payments_blp.route(f"{PAYMENT}/retry")
class RetryQris(MethodView):
    @requires("cashier", "manager")
    @payments_blp.response(200, SaleOut)
    def post(self, sale_id, payment_id):
        """A fresh dynamic QRIS (new expiry) in place of a pending or expired one."""
        with current_runtime().transaction() as session:
            return checkout.sale_view(checkout.retry_qris(session, sale_id, payment_id, current_principal()))


@payments_blp.route(f"{PAYMENT}/switch")
class SwitchPayment(MethodView):
    @requires("cashier", "manager")
    @payments_blp.arguments(SwitchIn)
    @payments_blp.response(200, SaleOut)
    def post(self, data, sale_id, payment_id):
        """Pay a pending or expired QRIS amount with another method."""
        with current_runtime().transaction() as session:
            return checkout.sale_view(checkout.switch_payment(session, sale_id, payment_id, current_principal(), data))


def _qr(sale_id, payment_id):
    with current_runtime().session_factory() as session:
        payment = checkout.payment_of(session, sale_id, payment_id)
        if not payment.qris_payload:
            raise DomainError("This payment has no QRIS.", status=404)
        return segno.make(payment.qris_payload, error="m")


@payments_blp.route(f"{PAYMENT}/qr.svg")
class QrisSvg(MethodView):
    @requires("cashier", "manager")
    @payments_blp.response(200, description="The dynamic QRIS (SVG)", content_type="image/svg+xml")
    def get(self, sale_id, payment_id):
        """The dynamic QRIS as an SVG image for the customer display."""
        out = io.BytesIO()
        _qr(sale_id, payment_id).save(out, kind="svg", scale=6, border=2)
        return Response(out.getvalue(), mimetype="image/svg+xml")


@payments_blp.route(f"{PAYMENT}/qr.png")
class QrisPng(MethodView):
    @requires("cashier", "manager")
    @payments_blp.response(200, description="The dynamic QRIS (PNG)", content_type="image/png")
    def get(self, sale_id, payment_id):
        """The dynamic QRIS as a PNG image."""
        out = io.BytesIO()
        _qr(sale_id, payment_id).save(out, kind="png", scale=6, border=2)
        return Response(out.getvalue(), mimetype="image/png")


@payments_blp.route("/qris/callback")
class QrisCallback(MethodView):
    @payments_blp.response(200, QrisCallbackOut)
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
            return qris_callbacks.apply_callback(session, nonce, data)
