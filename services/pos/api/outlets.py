"""The outlet's settings: name, address, receipt header and footer, PPN registration, static QRIS, discount limit,
QRIS expiry."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.pos import outlets
from shared.auth import current_principal, requires
from shared.runtime import current_runtime
from shared.schemas import Boolean, Money, StrictInteger, StrictSchema

outlets_blp = Blueprint("outlets", __name__, url_prefix="/outlets", description="Outlet settings")


class OutletSettingsIn(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    address = fields.String(validate=validate.Length(min=1, max=400))
    npwp = fields.String(
        allow_none=True, validate=validate.Regexp(r"^[0-9.\-]{15,22}$", error="An NPWP (15 or 16 digits).")
    )
    ppn_registered = Boolean()
    static_qris_payload = fields.String(validate=validate.Length(min=20, max=512))
    discount_approval_limit = Money()
    qris_expiry_minutes = StrictInteger(validate=validate.Range(min=1, max=120))
    receipt_header = fields.String(allow_none=True, validate=validate.Length(max=400))
    receipt_footer = fields.String(allow_none=True, validate=validate.Length(max=400))


class OutletSettingsOut(Schema):
    outlet_id = fields.String()
    name = fields.String()
    address = fields.String()
    npwp = fields.String(allow_none=True)
    ppn_registered = fields.Boolean()
    static_qris_payload = fields.String()
    discount_approval_limit = fields.Integer()
    qris_expiry_minutes = fields.Integer()
    receipt_header = fields.String(allow_none=True)
    receipt_footer = fields.String(allow_none=True)


@outlets_blp.route("/<uuid:outlet_id>/settings")
class OutletSettingsView(MethodView):
    @requires("manager")
    @outlets_blp.response(200, OutletSettingsOut)
    def get(self, outlet_id):
        """The outlet's name and address, receipt header and footer, PPN registration, static QRIS, discount limit
        and QRIS expiry."""
        with current_runtime().transaction() as session:
            return outlets.outlet_settings(session, outlet_id)

    @requires("manager")
    @outlets_blp.arguments(OutletSettingsIn)
    @outlets_blp.response(200, OutletSettingsOut)
    def put(self, data, outlet_id):
        """Change the outlet's settings (fields not given keep their value)."""
        with current_runtime().transaction() as session:
            return outlets.update_outlet_settings(session, outlet_id, data, current_principal())
