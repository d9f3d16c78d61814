"""Products, barcodes, prices, label sheets and a product's stock."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.inventory import catalogue, documents, rules
from services.inventory.api.common import PDF, outlet, own_supplier, pdf_response, visible_supplier
from services.inventory.stock import queries
from shared import bulk_import
from shared.auth import current_actor, requires
from shared.runtime import current_runtime
from shared.schemas import Boolean, InputSchema, Money, QueryBoolean, StrictInteger, StrictSchema

products_blp = Blueprint("products", __name__, url_prefix="/products", description="Products, barcodes and prices")


def _valid_barcode(code: str) -> None:
    try:
        rules.barcode_kind(code)
    except rules.InvalidBarcode as exc:
        raise ValidationError(str(exc)) from None


class LabelDataIn(StrictSchema):
    permit_type = fields.String(allow_none=True, validate=validate.OneOf(["P-IRT", "BPOM-MD"]))
    permit_number = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9A-Za-z .\-/]{4,64}$"))
    halal_cert_number = fields.String(allow_none=True, validate=validate.Length(min=4, max=64))
    halal_expires_on = fields.Date(allow_none=True)
    net_weight = fields.String(allow_none=True, validate=validate.Length(min=1, max=32))

    @validates_schema
    def _permit_complete(self, data, partial=None, **kwargs):
        """A permit is a type and a number together; a P-IRT number has at least 15 digits (BPOM rules)."""
        if "permit_type" not in data and "permit_number" not in data:
            return
        kind, number = data.get("permit_type"), data.get("permit_number")
        if (kind is None) != (number is None):
            raise ValidationError("Give permit_type and permit_number together.", "permit_number")
        if kind == "P-IRT" and sum(ch.isdigit() for ch in number) < 15:
            raise ValidationError("A P-IRT number has at least 15 digits.", "permit_number")


class ProductIn(LabelDataIn):
    id = fields.UUID(metadata={"description": "Optional client-made id, so a retried create is recognised."})
    sku = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9\-_.]{0,63}$"))
    barcode = fields.String(
        validate=_valid_barcode,
        metadata={"description": "EAN-13, EAN-8 or UPC-A; absent: an in-store EAN-13 (prefix 20)"},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "The code of an active category (``GET /categories``)"},
    )
    unit = fields.String(required=True, validate=validate.OneOf(catalogue.UNITS))
    price = Money(required=True, validate=validate.Range(min=1, error="Must be at least Rp1."))
    supplier_id = fields.UUID(required=True)
    requires_expiry = Boolean(metadata={"description": "Default: the category's ``requires_expiry``"})
    reorder_point = StrictInteger(load_default=0, validate=validate.Range(min=0))


class ProductPatch(LabelDataIn):
    name = fields.String(validate=validate.Length(min=1, max=200))
    category = fields.String(validate=validate.Length(min=1, max=32))
    price = Money(validate=validate.Range(min=1, error="Must be at least Rp1."))
    active = Boolean()
    reorder_point = StrictInteger(validate=validate.Range(min=0))
    requires_expiry = Boolean()


class ProductOut(Schema):
    id = fields.String()
    sku = fields.String()
    barcode = fields.String()
    barcode_in_store = fields.Boolean()
    name = fields.String()
    category = fields.String()
    unit = fields.String()
    price = fields.Integer()
    supplier_id = fields.String()
    requires_expiry = fields.Boolean()
    reorder_point = fields.Integer()
    permit_type = fields.String(allow_none=True)
    permit_number = fields.String(allow_none=True)
    halal_cert_number = fields.String(allow_none=True)
    halal_expires_on = fields.Date(allow_none=True)
    net_weight = fields.String(allow_none=True)
    active = fields.Boolean()
    revision = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ProductQuery(InputSchema):
    supplier_id = fields.UUID()
    q = fields.String(validate=validate.Length(min=1, max=100))
    active = QueryBoolean()


class PriceChangeOut(Schema):
    id = fields.String()
    old_price = fields.Integer(allow_none=True)
    new_price = fields.Integer()
    changed_by = fields.String()
    changed_at = fields.AwareDateTime()


class LabelItemIn(StrictSchema):
    product_id = fields.UUID(required=True)
    copies = StrictInteger(load_default=1, validate=validate.Range(min=1, max=480))


class LabelSheetIn(StrictSchema):
    items = fields.List(fields.Nested(LabelItemIn), required=True, validate=validate.Length(min=1, max=200))


class ProductImportOut(Schema):
    dry_run = fields.Boolean()
    rows = fields.List(
        fields.Raw(),
        metadata={"description": "Created (or, dry run: would be), each as a ProductOut "},
    )


class LotOut(Schema):
    lot_id = fields.String()
    lot_code = fields.String()
    expiry_date = fields.Date(allow_none=True)
    received_on = fields.Date()
    on_hand = fields.Integer()


class ProductStockOut(Schema):
    product_id = fields.String()
    outlet_id = fields.String()
    on_hand = fields.Integer()
    flagged_for_count = fields.Boolean()
    unallocated = fields.Integer(metadata={"description": "On-hand not in any lot (sales beyond the lots, counts)"})
    lots = fields.List(fields.Nested(LotOut))


@products_blp.route("")
class Products(MethodView):
    @requires("manager", "cashier", "supplier", "service")
    @products_blp.arguments(ProductQuery, location="query")
    @products_blp.response(200, ProductOut(many=True))
    def get(self, query):
        """Products, optionally of one supplier or matching ``q`` (name, SKU or exact barcode).
        A supplier sees only their own products."""
        supplier_id = visible_supplier(query)
        with current_runtime().transaction() as session:
            return catalogue.list_products(session, supplier_id, query.get("q"), query.get("active"))

    @requires("manager")
    @products_blp.arguments(ProductIn)
    @products_blp.response(201, ProductOut)
    def post(self, data):
        """Create a product of a known supplier (emits ``product.upserted``). Without a barcode it gets an
        in-store EAN-13 (GS1 prefix 20), without a SKU one of its category's series."""
        with current_runtime().transaction() as session:
            return catalogue.create_product(session, data, current_actor(), outlet())


@products_blp.route("/import")
class ProductImport(MethodView):
    @requires("manager")
    @products_blp.arguments(bulk_import.ImportIn)
    @products_blp.response(200, ProductImportOut)
    def post(self, data):
        """Create many products at once, all or nothing: each row is a product as ``POST /products`` takes it.
        Any bad row: 422 ``invalid_import_rows`` with ``errors.rows.<index>.<field>`` for every bad row, nothing
        created. ``dry_run`` (the default): everything is checked and the products that would be created are
        answered (SKUs and in-store codes as they would be), nothing is kept. A real import answers 201."""
        actor, outlet_id = current_actor(), outlet()
        with bulk_import.import_transaction() as (session, outcome):
            outcome["rows"] = bulk_import.import_rows(
                data["rows"],
                ProductIn(),
                lambda row: ProductOut().dump(catalogue.create_product(session, row, actor, outlet_id)),
                dry_run=data["dry_run"],
            )
        return outcome, 200 if outcome["dry_run"] else 201


@products_blp.route("/<uuid:product_id>")
class ProductById(MethodView):
    @requires("manager", "cashier", "supplier", "service")
    @products_blp.response(200, ProductOut)
    def get(self, product_id):
        """One product."""
        with current_runtime().transaction() as session:
            return catalogue.get_product(session, product_id, own_supplier())

    @requires("manager")
    @products_blp.arguments(ProductPatch)
    @products_blp.response(200, ProductOut)
    def patch(self, changes, product_id):
        """Change price, name, category, active flag, reorder point or label data. Price changes are kept with who and
        when; every change is published as ``product.upserted`` with a higher ``revision``."""
        with current_runtime().transaction() as session:
            return catalogue.update_product(session, product_id, changes, current_actor())


@products_blp.route("/by-barcode/<string:code>")
class ProductByBarcode(MethodView):
    @requires("manager", "cashier", "supplier", "service")
    @products_blp.response(200, ProductOut)
    def get(self, code):
        """The product with this barcode (a UPC-A also finds its EAN-13 form)."""
        with current_runtime().transaction() as session:
            return catalogue.product_by_barcode(session, code, own_supplier())


@products_blp.route("/by-code/<string:code>")
class ProductByCode(MethodView):
    @requires("manager", "cashier", "supplier", "service")
    @products_blp.response(200, ProductOut)
    def get(self, code):
        """The product a scanned or typed code names: its barcode, else its SKU (a supplier finds only their own;
        404 when none)."""
        with current_runtime().transaction() as session:
            return catalogue.product_by_code(session, code, own_supplier())


@products_blp.route("/<uuid:product_id>/price-history")
class PriceHistory(MethodView):
    @requires("manager", "supplier")
    @products_blp.response(200, PriceChangeOut(many=True))
    def get(self, product_id):
        """Every price the product has had, oldest first, with who changed it and when."""
        with current_runtime().transaction() as session:
            catalogue.get_product(session, product_id, own_supplier())
            return catalogue.price_history(session, product_id)


@products_blp.route("/<uuid:product_id>/stock")
class ProductStockView(MethodView):
    @requires("manager", "supplier", "service")
    @products_blp.response(200, ProductStockOut)
    def get(self, product_id):
        """On hand of the product at this outlet, per lot in FEFO order, and whether it is flagged for a count."""
        with current_runtime().transaction() as session:
            return queries.product_stock(session, product_id, outlet(), own_supplier())


@products_blp.route("/labels.pdf")
class LabelSheet(MethodView):
    @requires("manager")
    @products_blp.arguments(LabelSheetIn)
    @products_blp.response(200, description="A4 label sheet (PDF)", content_type=PDF)
    def post(self, data):
        """A printable sheet of barcode labels (name, price, barcode) for the chosen products and copies."""
        with current_runtime().transaction() as session:
            items = catalogue.products_for_labels(session, data["items"])
        return pdf_response(documents.label_sheet(items), "labels.pdf")
