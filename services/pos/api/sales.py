"""Sales: checkout (idempotent), finding sales (by receipt number, by shift), reading a sale, voiding one still in
progress."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate, validates_schema

from services.pos import approvals, checkout, idempotency, sale_lookup
from services.pos.api import sale_body
from services.pos.api.schemas import ApprovalIn, IdempotencyKeyHeader, SaleLineOut, SaleOut
from services.pos.models import PaymentMethod
from shared import json_text
from shared.auth import current_principal, requires
from shared.runtime import current_runtime
from shared.schemas import Money, Quantity, StrictSchema

sales_blp = Blueprint("sales", __name__, url_prefix="/sales", description="Sales: checkout, void")


class SaleLineIn(StrictSchema):
    barcode = fields.String(validate=validate.Length(min=1, max=sale_body.MAX_BARCODE_LENGTH))
    product_id = fields.UUID()
    qty = Quantity(required=True)
    discount = Money(load_default=0)
    unit_price = Money(
        metadata={
            "description": "The price the counter charged (a sale made offline and sent later): kept when it was the "
            "product's price at ``priced_at`` or since, else 422 ``price_not_current``; the catalogue's when absent"
        }
    )

    @validates_schema
    def _barcode_or_product(self, data, **kwargs):
        if bool(data.get("barcode")) == bool(data.get("product_id")):
            raise ValidationError("Give either barcode or product_id.", "barcode")


class PaymentIn(StrictSchema):
    method = fields.String(required=True, validate=validate.OneOf(list(PaymentMethod)))
    amount = Money(required=True, validate=validate.Range(min=1, error="Must be at least Rp1."))
    tendered = Money()
    approval_code = fields.String(validate=validate.Length(min=1, max=sale_body.MAX_APPROVAL_CODE_LENGTH))
    reference = fields.String(validate=validate.Length(min=1, max=sale_body.MAX_REFERENCE_LENGTH))


class SaleIn(StrictSchema):
    sale_id = fields.UUID()
    register_id = fields.UUID(required=True)
    lines = fields.List(
        fields.Nested(SaleLineIn),
        required=True,
        validate=validate.Length(
            min=1, max=sale_body.MAX_LINES, error=f"The cart needs 1 to {sale_body.MAX_LINES} lines."
        ),
    )
    discount = Money(load_default=0)
    priced_at = fields.AwareDateTime(
        metadata={
            "description": "Since when the counter's prices were current (its local catalogue's last refresh, which "
            "for a sale made offline may be long before the sale); now when absent"
        }
    )
    approval = fields.Nested(ApprovalIn)
    payments = fields.List(
        fields.Nested(PaymentIn), required=True, validate=validate.Length(max=sale_body.MAX_PAYMENTS)
    )

    def load(self, data, *, many=None, partial=None, unknown=None):
        """The body as the fields above load it: quickly when it is valid (:func:`sale_body.quick_load`), else
        through marshmallow, which answers every refusal."""
        if many is None and partial is None and unknown is None:
            loaded = sale_body.quick_load(data, self.fields["priced_at"])
            if loaded is not None:
                return loaded
        return super().load(data, many=many, partial=partial, unknown=unknown)


class VoidIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class SalesQuery(StrictSchema):
    receipt_no = fields.String(validate=validate.Length(min=1, max=40))
    shift_id = fields.UUID()

    @validates_schema
    def _one_way(self, data, **kwargs):
        if bool(data.get("receipt_no")) == bool(data.get("shift_id")):
            raise ValidationError("Give either receipt_no or shift_id.", "_schema")


class FoundLineOut(SaleLineOut):
    refunded_qty = fields.Integer(metadata={"description": "Units of the line refunded so far"})


class FoundSaleOut(SaleOut):
    lines = fields.List(fields.Nested(FoundLineOut))


@sales_blp.route("")
class Sales(MethodView):
    @requires("cashier", "manager")
    @sales_blp.arguments(SalesQuery, location="query")
    @sales_blp.response(200, FoundSaleOut(many=True))
    def get(self, query):
        """The sale with ``receipt_no`` (a list of one, or empty), or the completed sales of ``shift_id``, newest
        first: for a refund and a reprint at the counter."""
        with current_runtime().session_factory() as session:
            return sale_lookup.find_sales(session, current_principal(), query.get("receipt_no"), query.get("shift_id"))

    @requires("cashier", "manager")
    @sales_blp.arguments(SaleIn())  # instances, built once: a class would be instantiated on every request
    @sales_blp.arguments(IdempotencyKeyHeader(), location="headers")
    @sales_blp.response(201, SaleOut)
    @sales_blp.alt_response(200, schema=SaleOut, description="The sale was recorded before (same ``sale_id``)")
    def post(self, data, headers):
        """Check out a sale (``Idempotency-Key`` header required).

        Same key and body → the first response; same key, different body → 422; still in flight → 409.
        A QRIS payment leaves the sale ``pending_payment`` with a dynamic QRIS payload until it is confirmed.
        """
        runtime = current_runtime()
        cashier = current_principal()

        def use_case(session, claim):
            view, created = checkout.checkout(session, runtime.settings, cashier, data, claim)
            return claim.response or idempotency.StoredResponse(201 if created else 200, json_text.dumps(view))

        with approvals.counting_refusals(runtime.session_factory):
            stored = idempotency.run_once(
                runtime.session_factory,
                "sale",
                headers["key"],
                idempotency.fingerprint(cashier.user_id, request.get_json()),
                use_case,
                lock=checkout.register_lock(data),
            )
        return stored.as_response()


@sales_blp.route("/<uuid:sale_id>")
class SaleById(MethodView):
    @requires("cashier", "manager")
    @sales_blp.response(200, SaleOut)
    def get(self, sale_id):
        """One sale with its lines and payments."""
        with current_runtime().transaction() as session:
            return checkout.sale_view(checkout.load_sale(session, sale_id))


@sales_blp.route("/<uuid:sale_id>/void")
class VoidSale(MethodView):
    @requires("cashier", "manager")
    @sales_blp.arguments(VoidIn)
    @sales_blp.response(200, SaleOut)
    def post(self, data, sale_id):
        """Void a sale still in progress (waiting for payment): nothing is recorded as sold."""
        with current_runtime().transaction() as session:
            return checkout.sale_view(checkout.void_sale(session, sale_id, current_principal(), data["reason"]))
