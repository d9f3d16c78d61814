"""The outlet's favourites grid at the counter (items without a label), chosen by a manager."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate, validates

from services.pos import favourites
from services.pos.api.catalogue import ProductOut
from shared.auth import current_actor, requires
from shared.runtime import current_runtime
from shared.schemas import StrictSchema

favourites_blp = Blueprint(
    "favourites", __name__, url_prefix="/outlets", description="The counter's favourites grid per outlet"
)


class FavouritesIn(StrictSchema):
    product_ids = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(max=favourites.MAX_FAVOURITES, error="At most {max} favourites."),
        metadata={"description": "The products of the grid, in the order the counter shows them"},
    )

    @validates("product_ids")
    def _once_each(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("A product appears twice.")


@favourites_blp.route("/<uuid:outlet_id>/favourites")
class Favourites(MethodView):
    @requires("cashier", "manager")
    @favourites_blp.response(200, ProductOut(many=True))
    def get(self, outlet_id):
        """The outlet's favourite products, in grid order (each with ``sellable``)."""
        with current_runtime().session_factory() as session:
            return favourites.favourites(session, outlet_id)

    @requires("manager")
    @favourites_blp.arguments(FavouritesIn)
    @favourites_blp.response(200, ProductOut(many=True))
    def put(self, data, outlet_id):
        """Replace the outlet's favourites grid (an empty list clears it)."""
        with current_runtime().transaction() as session:
            return favourites.set_favourites(session, outlet_id, data["product_ids"], current_actor())
