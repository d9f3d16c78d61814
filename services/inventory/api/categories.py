"""Product categories: the list managers keep, which products choose from."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.inventory import categories
from shared.auth import requires
from shared.runtime import current_runtime
from shared.schemas import Boolean, InputSchema, QueryBoolean, StrictSchema

categories_blp = Blueprint("categories", __name__, url_prefix="/categories", description="Product categories")

SKU_PREFIX = validate.Regexp(r"^[A-Z]{2,5}$", error="2 to 5 capital letters.")


class CategoryIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=100))
    sku_prefix = fields.String(required=True, validate=SKU_PREFIX)
    requires_expiry = Boolean(load_default=False)


class CategoryPatch(StrictSchema):
    name = fields.String(validate=validate.Length(min=2, max=100))
    sku_prefix = fields.String(validate=SKU_PREFIX)
    requires_expiry = Boolean()
    active = Boolean()


class CategoryOut(Schema):
    code = fields.String()
    name = fields.String()
    sku_prefix = fields.String()
    requires_expiry = fields.Boolean()
    active = fields.Boolean()


class CategoryQuery(InputSchema):
    active = QueryBoolean()


@categories_blp.route("")
class Categories(MethodView):
    @requires("manager", "cashier", "supplier", "service")
    @categories_blp.arguments(CategoryQuery, location="query")
    @categories_blp.response(200, CategoryOut(many=True))
    def get(self, query):
        """Every category by name (``active=true``: those new products may be put in)."""
        with current_runtime().transaction() as session:
            return categories.list_categories(session, query.get("active"))

    @requires("manager")
    @categories_blp.arguments(CategoryIn)
    @categories_blp.response(201, CategoryOut)
    def post(self, data):
        """Add a category; its ``code`` (what products store) is made from the name and never changes."""
        with current_runtime().transaction() as session:
            return categories.create_category(session, data)


@categories_blp.route("/<string:code>")
class CategoryByCode(MethodView):
    @requires("manager")
    @categories_blp.arguments(CategoryPatch)
    @categories_blp.response(200, CategoryOut)
    def patch(self, changes, code):
        """Rename, change the SKU prefix of new SKUs or the expiry default, retire (``active`` false) or bring
        back. Products keep their category; a retired one takes no new products."""
        with current_runtime().transaction() as session:
            return categories.update_category(session, code, changes)
