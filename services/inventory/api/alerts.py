"""Stock alerts for managers: listing, the scan and resolution."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.inventory import rules
from services.inventory.api.common import outlet
from services.inventory.models import AlertKind, AlertStatus
from services.inventory.stock import alerts
from shared.auth import requires
from shared.runtime import current_runtime
from shared.schemas import InputSchema, StrictInteger, StrictSchema

alerts_blp = Blueprint("alerts", __name__, url_prefix="/alerts", description="Stock alerts for managers")


class AlertQuery(InputSchema):
    status = fields.String(load_default=AlertStatus.OPEN, validate=validate.OneOf([*AlertStatus, "all"]))
    kind = fields.String(validate=validate.OneOf(list(AlertKind)))
    supplier_id = fields.UUID()


class AlertOut(Schema):
    id = fields.String()
    outlet_id = fields.String()
    product_id = fields.String()
    supplier_id = fields.String()
    lot_id = fields.String(allow_none=True)
    kind = fields.String()
    message = fields.String()
    status = fields.String()
    raised_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)


class AlertScanIn(StrictSchema):
    near_expiry_days = StrictInteger(
        load_default=rules.DEFAULT_NEAR_EXPIRY_DAYS, validate=validate.Range(min=0, max=365)
    )


class AlertScanOut(Schema):
    raised = fields.Integer()


@alerts_blp.route("")
class Alerts(MethodView):
    @requires("manager")
    @alerts_blp.arguments(AlertQuery, location="query")
    @alerts_blp.response(200, AlertOut(many=True))
    def get(self, query):
        """Alerts (open by default): low stock, near expiry, consignment ended, negative on-hand."""
        status = None if query["status"] == "all" else query["status"]
        supplier_id = str(query["supplier_id"]) if query.get("supplier_id") else None
        with current_runtime().transaction() as session:
            return alerts.list_alerts(session, status, query.get("kind"), supplier_id)


@alerts_blp.route("/scan")
class AlertScan(MethodView):
    @requires("manager", "service")
    @alerts_blp.arguments(AlertScanIn)
    @alerts_blp.response(200, AlertScanOut)
    def post(self, data):
        """Raise near-expiry and consignment-ended alerts for lots on the shelf (also run by the worker)."""
        with current_runtime().transaction() as session:
            return {"raised": alerts.scan_alerts(session, outlet(), near_expiry_days=data["near_expiry_days"])}


@alerts_blp.route("/<uuid:alert_id>/resolve")
class AlertResolution(MethodView):
    @requires("manager")
    @alerts_blp.response(200, AlertOut)
    def post(self, alert_id):
        """Mark an alert as dealt with."""
        with current_runtime().transaction() as session:
            return alerts.resolve_alert(session, alert_id)
