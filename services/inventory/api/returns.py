"""Returns to supplier (retur): the pick list, recorded returns and the printable return note."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.inventory import documents, rules
from services.inventory.api.common import PDF, outlet, pdf_response
from services.inventory.api.schemas import SupplierFilter
from services.inventory.stock import returns
from shared.auth import current_actor, current_principal, requires
from shared.runtime import current_runtime
from shared.schemas import InputSchema, Quantity, StrictSchema

returns_blp = Blueprint("returns", __name__, url_prefix="/returns", description="Returns to supplier (retur)")


class PickListQuery(InputSchema):
    supplier_id = fields.UUID(required=True)
    near_expiry_days = fields.Integer(
        load_default=rules.DEFAULT_NEAR_EXPIRY_DAYS, validate=validate.Range(min=0, max=365)
    )
    slow_mover_days = fields.Integer(
        load_default=rules.DEFAULT_SLOW_MOVER_DAYS, validate=validate.Range(min=1, max=3650)
    )


class PickItemOut(Schema):
    lot_id = fields.String()
    product_id = fields.String()
    sku = fields.String()
    name = fields.String()
    lot_code = fields.String()
    expiry_date = fields.Date(allow_none=True)
    received_on = fields.Date()
    on_hand = fields.Integer()
    reasons = fields.List(fields.String())


class ReturnLineIn(StrictSchema):
    lot_id = fields.UUID(required=True)
    qty = Quantity(required=True)
    reason = fields.String(validate=validate.Length(min=1, max=64))


class ReturnIn(StrictSchema):
    supplier_id = fields.UUID(required=True)
    collected_by = fields.String(required=True, validate=validate.Length(min=1, max=128))
    lines = fields.List(fields.Nested(ReturnLineIn), required=True, validate=validate.Length(min=1, max=500))


class ReturnLineOut(Schema):
    product_id = fields.String()
    sku = fields.String()
    name = fields.String()
    lot_id = fields.String(allow_none=True)
    lot_code = fields.String(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    qty = fields.Integer()
    reason = fields.String()


class ReturnOut(Schema):
    id = fields.String()
    number = fields.String()
    supplier_id = fields.String()
    collected_by = fields.String()
    recorded_by = fields.String()
    collected_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(ReturnLineOut))


class ReturnSummaryOut(Schema):
    id = fields.String()
    number = fields.String()
    supplier_id = fields.String()
    collected_by = fields.String()
    recorded_by = fields.String()
    collected_at = fields.AwareDateTime()


def _return_out(note, lines) -> dict:
    return {
        **{k: getattr(note, k) for k in ("id", "number", "supplier_id", "collected_by", "recorded_by", "collected_at")},
        "lines": lines,
    }


@returns_blp.route("/pick-list")
class PickList(MethodView):
    @requires("manager")
    @returns_blp.arguments(PickListQuery, location="query")
    @returns_blp.response(200, PickItemOut(many=True))
    def get(self, query):
        """Lots of one supplier that should go back: expired, near expiry, past the consignment period,
        slow movers."""
        with current_runtime().transaction() as session:
            return returns.pick_list(
                session,
                str(query["supplier_id"]),
                outlet(),
                near_expiry_days=query["near_expiry_days"],
                slow_mover_days=query["slow_mover_days"],
            )


@returns_blp.route("")
class Returns(MethodView):
    @requires("manager")
    @returns_blp.arguments(SupplierFilter, location="query")
    @returns_blp.response(200, ReturnSummaryOut(many=True))
    def get(self, query):
        """Returns to supplier, newest first (optionally of one supplier)."""
        with current_runtime().transaction() as session:
            return returns.list_returns(session, str(query["supplier_id"]) if query.get("supplier_id") else None)

    @requires("manager")
    @returns_blp.arguments(ReturnIn)
    @returns_blp.response(201, ReturnOut)
    def post(self, data):
        """Record that the supplier collected goods: ``return_to_supplier`` movements and a numbered note."""
        with current_runtime().transaction() as session:
            note = returns.record_return(session, data, current_actor(), outlet(), current_principal().name)
            return _return_out(*returns.get_return(session, note.id)[:2])


@returns_blp.route("/<uuid:return_id>")
class ReturnById(MethodView):
    @requires("manager")
    @returns_blp.response(200, ReturnOut)
    def get(self, return_id):
        """One return with its lines."""
        with current_runtime().transaction() as session:
            return _return_out(*returns.get_return(session, return_id)[:2])


@returns_blp.route("/<uuid:return_id>/note.pdf")
class ReturnNote(MethodView):
    @requires("manager")
    @returns_blp.response(200, description="Nota retur (PDF)", content_type=PDF)
    def get(self, return_id):
        """The printable return note (nota retur), signed by whoever collected the goods."""
        with current_runtime().transaction() as session:
            note, lines, supplier = returns.get_return(session, return_id)
        return pdf_response(
            documents.return_note(note, lines, supplier.name if supplier else note.supplier_id), f"{note.number}.pdf"
        )
