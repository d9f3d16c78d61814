"""HTTP API of the suppliers service: validates, authorises and calls the use cases."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.suppliers import registry
from shared.auth import requires
from shared.schemas import StrictSchema
from shared.web import runtime_of

blp = Blueprint("suppliers", __name__, url_prefix="/suppliers", description="UMKM suppliers")


class SupplierIn(StrictSchema):
    business_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    owner_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(required=True, validate=validate.Regexp(r"^\+?[0-9]{8,15}$"))


class SupplierOut(Schema):
    id = fields.String()
    business_name = fields.String()
    owner_name = fields.String()
    phone = fields.String()
    status = fields.String()
    created_at = fields.AwareDateTime()


@blp.route("")
class Suppliers(MethodView):
    @requires("manager")
    @blp.arguments(SupplierIn)
    @blp.response(201, SupplierOut)
    def post(self, data):
        """Register a supplier (emits ``supplier.registered``)."""
        with runtime_of(current_app).transaction() as session:
            return registry.register_supplier(session, data)


@blp.route("/<uuid:supplier_id>")
class SupplierById(MethodView):
    @requires("manager")
    @blp.response(200, SupplierOut)
    def get(self, supplier_id):
        """One supplier."""
        with runtime_of(current_app).transaction() as session:
            return registry.get_supplier(session, supplier_id)
