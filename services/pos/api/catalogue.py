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


class ChangesQuery(StrictSchema):
    after = fields.Integer(
        validate=validate.Range(min=0), metadata={"description": "The ``cursor`` of the previous answer"}
    )
    limit = fields.Integer(load_default=catalogue.CHANGES_LIMIT, validate=validate.Range(min=1, max=5000))


class ChangesOut(Schema):
    items = fields.List(fields.Nested(ProductOut))
    cursor = fields.Integer(
        allow_none=True,
        metadata={"description": "The last change number given (a sequence, in commit order): ``after`` next time"},
    )
    more = fields.Boolean(metadata={"description": "Another page is waiting: ask again at once"})


@catalogue_blp.route("/changes")
class CatalogueChanges(MethodView):
    @requires("cashier", "manager")
    @catalogue_blp.arguments(ChangesQuery, location="query")
    @catalogue_blp.response(200, ChangesOut)
    def get(self, query):
        """The delta feed of the counter's local catalogue: products changed after the cursor, oldest first."""
        with current_runtime().session_factory() as session:
            return catalogue.changes(session, query.get("after"), query["limit"])


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
