"""``/me``: a supplier's own profile, terms, sales, stock, alerts, payouts and statements."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from services.suppliers import registry, supplier_views
from services.suppliers.api import common
from services.suppliers.api.schemas import (
    AgreementOut,
    BalanceOut,
    PayoutLineOut,
    PickupOut,
    SalesQuery,
    SalesRowOut,
    StatementQuery,
    StockRowOut,
    SupplierOut,
)
from services.suppliers.models import Supplier
from shared.auth import requires
from shared.db import get_or_404
from shared.runtime import current_runtime

me_blp = Blueprint("me", __name__, url_prefix="/me", description="A supplier's own data")


class AlertOut(Schema):
    id = fields.String()
    product_id = fields.String()
    product_name = fields.String()
    lot_id = fields.String(allow_none=True)
    lot_code = fields.String(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    kind = fields.String()
    message = fields.String()
    raised_at = fields.AwareDateTime()


@me_blp.route("")
class Me(MethodView):
    @requires("supplier")
    @me_blp.response(200, SupplierOut)
    def get(self):
        """My profile and the terms in force now."""
        with current_runtime().transaction() as session:
            return common.supplier_out(session, get_or_404(session, Supplier, common.my_supplier_id(), what="supplier"))


@me_blp.route("/balance")
class MyBalance(MethodView):
    @requires("supplier")
    @me_blp.response(200, BalanceOut)
    def get(self):
        """My balance: pending, available, paid, lifetime sales."""
        return common.balance(common.my_supplier_id())


@me_blp.route("/agreements")
class MyAgreements(MethodView):
    @requires("supplier")
    @me_blp.response(200, AgreementOut(many=True))
    def get(self):
        """My agreements, oldest first."""
        with current_runtime().transaction() as session:
            return [
                registry.agreement_dict(session, a) for a in registry.list_agreements(session, common.my_supplier_id())
            ]


@me_blp.route("/sales")
class MySales(MethodView):
    @requires("supplier")
    @me_blp.arguments(SalesQuery, location="query")
    @me_blp.response(200, SalesRowOut(many=True))
    def get(self, query):
        """My net sales by product and day (optionally one product of mine)."""
        return common.sales(common.my_supplier_id(), query)


@me_blp.route("/stock")
class MyStock(MethodView):
    @requires("supplier")
    @me_blp.response(200, StockRowOut(many=True))
    def get(self):
        """My stock at the centre by product."""
        return common.stock(common.my_supplier_id())


@me_blp.route("/stock/<uuid:product_id>")
class MyProductStock(MethodView):
    @requires("supplier")
    @me_blp.response(200, StockRowOut)
    def get(self, product_id):
        """The stock of one of my products (another supplier's product is 404)."""
        with current_runtime().transaction() as session:
            return supplier_views.product_stock(session, common.my_supplier_id(), str(product_id))


@me_blp.route("/pickups")
class MyPickups(MethodView):
    @requires("supplier")
    @me_blp.response(200, PickupOut(many=True))
    def get(self):
        """My goods due for pickup lot by lot (near expiry, consignment ended), soonest first."""
        with current_runtime().transaction() as session:
            return supplier_views.pickups_due(session, common.my_supplier_id())


@me_blp.route("/alerts")
class MyAlerts(MethodView):
    @requires("supplier")
    @me_blp.response(200, AlertOut(many=True))
    def get(self):
        """Stock alerts about my products (low stock, near expiry, consignment ended), newest first."""
        with current_runtime().transaction() as session:
            return supplier_views.alerts(session, common.my_supplier_id())


@me_blp.route("/alerts/<uuid:alert_id>")
class MyAlert(MethodView):
    @requires("supplier")
    @me_blp.response(200, AlertOut)
    def get(self, alert_id):
        """One alert of mine."""
        with current_runtime().transaction() as session:
            return supplier_views.alert(session, common.my_supplier_id(), str(alert_id))


@me_blp.route("/payouts")
class MyPayouts(MethodView):
    @requires("supplier")
    @me_blp.response(200, PayoutLineOut(many=True))
    def get(self):
        """My payouts (approved, paid, failed)."""
        return common.payout_lines(common.my_supplier_id())


@me_blp.route("/payouts/<uuid:payout_id>")
class MyPayout(MethodView):
    @requires("supplier")
    @me_blp.response(200, PayoutLineOut)
    def get(self, payout_id):
        """One payout of mine."""
        with current_runtime().transaction() as session:
            return supplier_views.payout(session, common.my_supplier_id(), str(payout_id))


@me_blp.route("/statements")
class MyStatements(MethodView):
    @requires("supplier")
    @me_blp.arguments(StatementQuery, location="query")
    @me_blp.response(200)
    def get(self, query):
        """My statement for a period as PDF (Bahasa Indonesia) or CSV."""
        return common.statement(common.my_supplier_id(), query)
