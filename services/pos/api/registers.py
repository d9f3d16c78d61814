"""Registers (counters) of an outlet."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.pos import printing, shifts
from shared.auth import requires
from shared.runtime import current_runtime
from shared.schemas import Boolean, StrictInteger, StrictSchema

registers_blp = Blueprint("registers", __name__, url_prefix="/registers", description="Registers (counters)")


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


@registers_blp.route("")
class Registers(MethodView):
    @requires("manager")
    @registers_blp.arguments(RegisterIn)
    @registers_blp.response(201, RegisterOut)
    def post(self, data):
        """Add a register (counter) to an outlet; its code prefixes its receipt numbers."""
        with current_runtime().transaction() as session:
            return shifts.create_register(session, data, current_runtime().settings.outlet_id)

    @requires("cashier", "manager")
    @registers_blp.response(200, RegisterOut(many=True))
    def get(self):
        """All registers."""
        with current_runtime().transaction() as session:
            return shifts.list_registers(session)


class PrinterIn(StrictSchema):
    host = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9]([A-Za-z0-9.\-]{0,252})$", error="A host name or IPv4 address."),
    )
    port = StrictInteger(load_default=printing.DEFAULT_PORT, validate=validate.Range(min=1, max=65535))
    paper_width = StrictInteger(load_default=80, validate=validate.OneOf([58, 80]))
    enabled = Boolean(load_default=True)
    open_drawer = Boolean(load_default=True, metadata={"description": "Kick the cash drawer open on a cash sale"})


class PrinterOut(Schema):
    register_id = fields.String()
    host = fields.String(allow_none=True)
    port = fields.Integer(allow_none=True)
    paper_width = fields.Integer(allow_none=True, metadata={"description": "58 or 80 (mm)"})
    enabled = fields.Boolean()
    open_drawer = fields.Boolean(metadata={"description": "Whether a cash sale's receipt kicks the drawer open"})


@registers_blp.route("/<uuid:register_id>/printer")
class Printer(MethodView):
    @requires("cashier", "manager")
    @registers_blp.response(200, PrinterOut)
    def get(self, register_id):
        """The register's ESC/POS network printer (``enabled`` false when it has none: print through the browser)."""
        with current_runtime().session_factory() as session:
            return printing.printer_view(session, register_id)

    @requires("manager")
    @registers_blp.arguments(PrinterIn)
    @registers_blp.response(200, PrinterOut)
    def put(self, data, register_id):
        """Set the register's ESC/POS network printer (raw TCP, port 9100 by default; 58 or 80 mm paper; whether a
        cash sale kicks the drawer open)."""
        with current_runtime().transaction() as session:
            return printing.set_printer(session, register_id, data)
