"""Consignment intakes (nota titip) and their printable receipt."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.inventory import deliveries, documents
from services.inventory.api.common import PDF, outlet, own_supplier, pdf_response, visible_supplier
from services.inventory.api.schemas import IntakeLineIn, SupplierFilter
from services.inventory.stock import intakes
from shared.auth import current_actor, current_principal, requires
from shared.errors import NotFound
from shared.runtime import current_runtime
from shared.schemas import StrictSchema

intakes_blp = Blueprint("intakes", __name__, url_prefix="/intakes", description="Consignment intakes (nota titip)")


class IntakeIn(StrictSchema):
    id = fields.UUID()
    supplier_id = fields.UUID(required=True)
    received_on = fields.Date(metadata={"description": "Default: today (WIB)"})
    received_by = fields.String(validate=validate.Length(min=1, max=128))
    note = fields.String(validate=validate.Length(max=1000))
    lines = fields.List(fields.Nested(IntakeLineIn), required=True, validate=validate.Length(min=1, max=500))


class IntakeLineOut(Schema):
    line_no = fields.Integer()
    lot_id = fields.String()
    product_id = fields.String()
    sku = fields.String()
    name = fields.String()
    qty = fields.Integer()
    lot_code = fields.String()
    expiry_date = fields.Date(allow_none=True)


class IntakeSummaryOut(Schema):
    id = fields.String()
    number = fields.String()
    outlet_id = fields.String()
    supplier_id = fields.String()
    received_on = fields.Date()
    received_by = fields.String()
    note = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class IntakeOut(IntakeSummaryOut):
    delivery_number = fields.String(
        allow_none=True, metadata={"description": "The announced delivery it was received from, if any"}
    )
    lines = fields.List(fields.Nested(IntakeLineOut))


def _intake_out(intake, lines) -> dict:
    return {
        **{
            k: getattr(intake, k)
            for k in ("id", "number", "outlet_id", "supplier_id", "received_on", "received_by", "note", "created_at")
        },
        "lines": lines,
    }


@intakes_blp.route("")
class Intakes(MethodView):
    @requires("manager")
    @intakes_blp.arguments(IntakeIn)
    @intakes_blp.response(201, IntakeOut)
    def post(self, data):
        """Record a consignment delivery: one lot and one ``intake`` movement per line. Expiry is required
        for products that need it and may not be before the intake date."""
        with current_runtime().transaction() as session:
            intake, lines = intakes.record_intake(session, data, current_actor(), outlet(), current_principal().name)
            return _intake_out(intake, lines)

    @requires("manager", "supplier")
    @intakes_blp.arguments(SupplierFilter, location="query")
    @intakes_blp.response(200, IntakeSummaryOut(many=True))
    def get(self, query):
        """Intakes, newest first (a supplier sees only their own)."""
        supplier_id = visible_supplier(query)
        with current_runtime().transaction() as session:
            return intakes.list_intakes(session, supplier_id)


def _visible_intake(session, intake_id):
    intake, lines, supplier = intakes.get_intake(session, intake_id)
    own = own_supplier()
    if own is not None and intake.supplier_id != own:
        raise NotFound(f"intake {intake_id} not found")
    return intake, lines, supplier


@intakes_blp.route("/<uuid:intake_id>")
class IntakeById(MethodView):
    @requires("manager", "supplier")
    @intakes_blp.response(200, IntakeOut)
    def get(self, intake_id):
        """One intake with its lines and lots."""
        with current_runtime().transaction() as session:
            intake, lines, _ = _visible_intake(session, intake_id)
            return {**_intake_out(intake, lines), "delivery_number": deliveries.number_of_intake(session, intake.id)}


@intakes_blp.route("/<uuid:intake_id>/receipt.pdf")
class IntakeReceipt(MethodView):
    @requires("manager", "supplier")
    @intakes_blp.response(200, description="Nota titip (PDF)", content_type=PDF)
    def get(self, intake_id):
        """The numbered intake receipt (nota titip) the supplier keeps (with the announced delivery's number when
        it was received from one)."""
        with current_runtime().transaction() as session:
            intake, lines, supplier = _visible_intake(session, intake_id)
            delivery_number = deliveries.number_of_intake(session, intake.id)
        return pdf_response(
            documents.intake_receipt(intake, lines, supplier.name if supplier else intake.supplier_id, delivery_number),
            f"{intake.number}.pdf",
        )
