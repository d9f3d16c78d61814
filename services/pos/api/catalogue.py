"""The catalogue replica at the counter: lookup by barcode and search."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.pos import catalogue
from shared.auth import requires
from shared.runtime import current_runtime
from shared.schemas import StrictSchema

catalogue_blp = Blueprint(
    "catalogue", __name__, url_prefix="/catalogue", description="Products at the counter (the catalogue replica)"
)


class CatalogueQuery(StrictSchema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ProductOut(Schema):
    product_id = fields.String()
    barcode = fields.String()
    sku = fields.String()
    name = fields.String()
    price = fields.Integer()
    supplier_id = fields.String()
    category = fields.String()
    unit = fields.String()
    sellable = fields.Boolean()


@catalogue_blp.route("/barcode/<string:barcode>")
class CatalogueByBarcode(MethodView):
    @requires("cashier", "manager")
    @catalogue_blp.response(200, ProductOut)
    def get(self, barcode):
        """Look a product up by its barcode (from the replica: works while inventory is down)."""
        with current_runtime().session_factory() as session:
            return catalogue.by_barcode(session, barcode)


@catalogue_blp.route("")
class CatalogueSearch(MethodView):
    @requires("cashier", "manager")
    @catalogue_blp.arguments(CatalogueQuery, location="query")
    @catalogue_blp.response(200, ProductOut(many=True))
    def get(self, query):
        """Search products by name (or SKU / barcode)."""
        with current_runtime().session_factory() as session:
            return catalogue.search(session, query["q"])
