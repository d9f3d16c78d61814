"""The catalogue replica at the counter: lookup by barcode and search."""

from __future__ import annotations

from datetime import datetime

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

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


class Cursor(fields.String):
    """A position in the catalogue's changes, ``<updated_at ISO>|<product_id>`` (opaque to the counter)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value[0].isoformat()}|{value[1]}"

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        moment, _, product_id = text.partition("|")
        try:
            return datetime.fromisoformat(moment), product_id
        except ValueError:
            raise ValidationError("Not a cursor of this feed.") from None


class ChangesQuery(StrictSchema):
    after = Cursor(validate=validate.Length(max=120))
    limit = fields.Integer(load_default=catalogue.CHANGES_LIMIT, validate=validate.Range(min=1, max=5000))


class ChangesOut(Schema):
    items = fields.List(fields.Nested(ProductOut))
    cursor = Cursor(allow_none=True, metadata={"description": "Give it as ``after`` next time"})
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
