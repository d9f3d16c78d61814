"""Registers (counters) of an outlet."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.pos import shifts
from shared.auth import requires
from shared.runtime import current_runtime
from shared.schemas import StrictSchema

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
