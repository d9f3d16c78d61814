"""Refunds of completed sales (idempotent, manager-approved)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.pos import approvals, idempotency, refunds
from services.pos.api.schemas import ApprovalIn, IdempotencyKeyHeader, Timestamp, one_of
from services.pos.models import PaymentMethod, RefundMethod
from shared import json_text
from shared.auth import current_principal, requires
from shared.runtime import current_runtime
from shared.schemas import Boolean, Quantity, StrictSchema

refunds_blp = Blueprint("refunds", __name__, url_prefix="/refunds", description="Refunds")


class RefundLineIn(StrictSchema):
    sale_line_id = fields.UUID(required=True)
    qty = Quantity(required=True)


class RefundIn(StrictSchema):
    receipt_no = fields.String(required=True, validate=validate.Length(min=1, max=40))
    lines = fields.List(fields.Nested(RefundLineIn), required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))
    back_to_stock = Boolean(required=True)
    method = fields.String(required=True, validate=validate.OneOf(list(RefundMethod)))
    approval = fields.Nested(ApprovalIn)
    register_id = fields.UUID()


class RefundLineOut(Schema):
    id = fields.String()
    sale_line_id = fields.String()
    product_id = fields.String()
    supplier_id = fields.String()
    qty = fields.Integer()
    amount = fields.Integer()


class RefundPaymentOut(Schema):
    """Money paid back with one method (``payment_id``: the sale's payment it goes back over, if any)."""

    method = fields.String(metadata=one_of(PaymentMethod))
    amount = fields.Integer()
    payment_id = fields.String(allow_none=True)


class RefundOut(Schema):
    id = fields.String()
    sale_id = fields.String()
    receipt_no = fields.String()
    shift_id = fields.String(allow_none=True)
    method = fields.String(metadata=one_of(RefundMethod))
    reason = fields.String()
    back_to_stock = fields.Boolean()
    total = fields.Integer()
    refunded_by = fields.String()
    approved_by = fields.String()
    refunded_at = Timestamp()
    lines = fields.List(fields.Nested(RefundLineOut))
    payments = fields.List(fields.Nested(RefundPaymentOut))


class RefundQuery(StrictSchema):
    sale_id = fields.UUID(required=True)


@refunds_blp.route("")
class Refunds(MethodView):
    @requires("manager")
    @refunds_blp.arguments(RefundQuery, location="query")
    @refunds_blp.response(200, RefundOut(many=True))
    def get(self, query):
        """The refunds of one sale, oldest first (what the till holds of them, for the reconciliation)."""
        with current_runtime().transaction() as session:
            return [refunds.refund_view(r) for r in refunds.refunds_of_sale(session, str(query["sale_id"]))]

    @requires("cashier", "manager")
    @refunds_blp.arguments(RefundIn)
    @refunds_blp.arguments(IdempotencyKeyHeader, location="headers")
    @refunds_blp.response(201, RefundOut)
    def post(self, data, headers):
        """Refund lines of a completed sale (``Idempotency-Key`` required; manager approval; publishes
        ``sale.refunded``)."""
        runtime = current_runtime()
        caller = current_principal()

        def use_case(session, claim):
            refund = refunds.refund(session, runtime.settings, caller, data)
            return idempotency.StoredResponse(201, json_text.dumps(refunds.refund_view(refund)))

        with approvals.counting_refusals(runtime.session_factory):
            stored = idempotency.run_once(
                runtime.session_factory,
                "refund",
                headers["key"],
                idempotency.fingerprint(caller.user_id, request.get_json()),
                use_case,
            )
        return stored.as_response()


@refunds_blp.route("/<uuid:refund_id>")
class RefundById(MethodView):
    @requires("manager")
    @refunds_blp.response(200, RefundOut)
    def get(self, refund_id):
        """One refund with its lines and payments."""
        with current_runtime().transaction() as session:
            return refunds.refund_view(refunds.get_refund(session, str(refund_id)))
