"""HTTP API of the inventory service: validates, authorises and calls the use cases in one transaction."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.inventory import catalogue, documents, rules
from services.inventory.stock import alerts, counts, intakes, queries, returns, write_offs
from shared import dead_letters_api
from shared.auth import current_principal, requires
from shared.errors import NotFound
from shared.runtime import current_runtime
from shared.schemas import Money, PeriodQuery, Quantity, StrictInteger, StrictSchema
from shared.web import json_array_stream

products_blp = Blueprint("products", __name__, url_prefix="/products", description="Products, barcodes and prices")
intakes_blp = Blueprint("intakes", __name__, url_prefix="/intakes", description="Consignment intakes (nota titip)")
stock_blp = Blueprint("stock", __name__, url_prefix="", description="Stock on hand, write-offs, the ledger invariant")
counts_blp = Blueprint("counts", __name__, url_prefix="/counts", description="Stock counts (stock opname)")
returns_blp = Blueprint("returns", __name__, url_prefix="/returns", description="Returns to supplier (retur)")
alerts_blp = Blueprint("alerts", __name__, url_prefix="/alerts", description="Stock alerts for managers")
BLUEPRINTS = [products_blp, intakes_blp, stock_blp, counts_blp, returns_blp, alerts_blp, dead_letters_api.blp]

PDF = "application/pdf"


def _actor() -> str:
    principal = current_principal()
    return principal.name or principal.user_id


def _outlet() -> str:
    return current_principal().outlet_id or current_runtime().settings.outlet_id


def _own_supplier() -> str | None:
    """A supplier caller's own supplier id (their queries are filtered by it); ``None`` for staff."""
    principal = current_principal()
    return principal.supplier_id if principal.role == "supplier" else None


def _pdf(content: bytes, filename: str) -> Response:
    return Response(content, mimetype=PDF, headers={"Content-Disposition": f'inline; filename="{filename}"'})


def _valid_barcode(code: str) -> None:
    try:
        rules.barcode_kind(code)
    except rules.InvalidBarcode as exc:
        raise ValidationError(str(exc)) from None


# -- schemas --------------------------------------------------------------------------------------------
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
    category = fields.String(required=True, validate=validate.OneOf(catalogue.CATEGORIES))
    unit = fields.String(required=True, validate=validate.OneOf(catalogue.UNITS))
    price = Money(required=True, validate=validate.Range(min=1, error="Must be at least Rp1."))
    supplier_id = fields.UUID(required=True)
    requires_expiry = fields.Boolean(metadata={"description": "Default: true for makanan and minuman"})
    reorder_point = StrictInteger(load_default=0, validate=validate.Range(min=0))


class ProductPatch(LabelDataIn):
    name = fields.String(validate=validate.Length(min=1, max=200))
    price = Money(validate=validate.Range(min=1, error="Must be at least Rp1."))
    active = fields.Boolean()
    reorder_point = StrictInteger(validate=validate.Range(min=0))
    requires_expiry = fields.Boolean()


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


class ProductQuery(Schema):
    supplier_id = fields.UUID()
    q = fields.String(validate=validate.Length(min=1, max=100))
    active = fields.Boolean()


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


class IntakeLineIn(StrictSchema):
    product_id = fields.UUID(required=True)
    qty = Quantity(required=True)
    lot_code = fields.String(validate=validate.Length(min=1, max=64))
    expiry_date = fields.Date(allow_none=True)


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
    lines = fields.List(fields.Nested(IntakeLineOut))


class SupplierFilter(Schema):
    supplier_id = fields.UUID()


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


class StockRowOut(Schema):
    product_id = fields.String()
    sku = fields.String()
    name = fields.String()
    supplier_id = fields.String()
    unit = fields.String()
    price = fields.Integer()
    reorder_point = fields.Integer()
    on_hand = fields.Integer()
    flagged_for_count = fields.Boolean()
    active = fields.Boolean()


class MismatchOut(Schema):
    product_id = fields.String()
    outlet_id = fields.String(allow_none=True)
    lot_id = fields.String(allow_none=True)
    on_hand = fields.Integer()
    sum_of_movements = fields.Integer()


class InvariantOut(Schema):
    ok = fields.Boolean()
    products_checked = fields.Integer()
    lots_checked = fields.Integer()
    mismatches = fields.List(fields.Nested(MismatchOut))


class MovementOut(Schema):
    id = fields.String()
    kind = fields.String()
    product_id = fields.String()
    lot_id = fields.String(allow_none=True)
    qty = fields.Integer()
    on_hand_after = fields.Integer()
    reason = fields.String(allow_none=True)
    borne_by = fields.String(allow_none=True)
    reference_id = fields.String(allow_none=True)


class WriteOffIn(StrictSchema):
    product_id = fields.UUID(required=True)
    lot_id = fields.UUID(metadata={"description": "Absent: taken first-expiry-first-out"})
    qty = Quantity(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(write_offs.WRITE_OFF_REASONS))
    borne_by = fields.String(
        validate=validate.OneOf(["centre", "supplier"]),
        metadata={"description": "Default: the supplier agreement's shrinkage rule"},
    )
    note = fields.String(validate=validate.Length(max=1000))


class WriteOffOut(Schema):
    id = fields.String()
    product_id = fields.String()
    supplier_id = fields.String()
    lot_id = fields.String(allow_none=True)
    qty = fields.Integer()
    reason = fields.String()
    borne_by = fields.String()
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()
    movements = fields.List(fields.Nested(MovementOut))


class CountOpenIn(StrictSchema):
    product_ids = fields.List(
        fields.UUID(),
        validate=validate.Length(max=5000),
        metadata={"description": "Absent or empty: every active product"},
    )
    note = fields.String(validate=validate.Length(max=1000))


class CountEntryIn(StrictSchema):
    product_id = fields.UUID()
    barcode = fields.String(validate=validate.Length(min=8, max=14))
    counted = StrictInteger(validate=validate.Range(min=0), metadata={"description": "Typed: the counted quantity"})
    add = Quantity(metadata={"description": "Scanned: units to add to what is counted so far"})
    reason = fields.String(validate=validate.Length(min=1, max=200))

    @validates_schema
    def _one_of_each(self, data, **kwargs):
        if ("product_id" in data) == ("barcode" in data):
            raise ValidationError("Give either product_id or barcode.", "product_id")
        if ("counted" in data) == ("add" in data):
            raise ValidationError("Give either counted or add.", "counted")


class CountEntriesIn(StrictSchema):
    lines = fields.List(fields.Nested(CountEntryIn), required=True, validate=validate.Length(min=1, max=5000))


class CountApproveIn(StrictSchema):
    reason = fields.String(validate=validate.Length(min=1, max=200))


class CountLineOut(Schema):
    product_id = fields.String()
    sku = fields.String()
    name = fields.String()
    unit_price = fields.Integer()
    expected = fields.Integer(allow_none=True)
    counted = fields.Integer(allow_none=True)
    variance_units = fields.Integer(allow_none=True)
    variance_rupiah = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    counted_by = fields.String(allow_none=True)


class CountOut(Schema):
    id = fields.String()
    number = fields.String()
    status = fields.String()
    outlet_id = fields.String()
    opened_by = fields.String()
    opened_at = fields.AwareDateTime()
    closed_by = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    uncounted = fields.Integer()
    total_variance_units = fields.Integer()
    total_variance_rupiah = fields.Integer()
    lines = fields.List(fields.Nested(CountLineOut))


class PickListQuery(Schema):
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


class AlertQuery(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "resolved", "all"]))
    kind = fields.String(validate=validate.OneOf(["low_stock", "near_expiry", "consignment_ended", "negative_on_hand"]))
    supplier_id = fields.UUID()


class AlertOut(Schema):
    id = fields.String()
    outlet_id = fields.String()
    product_id = fields.String()
    supplier_id = fields.String()
    lot_id = fields.String(allow_none=True)
    kind = fields.String()
    message = fields.String()
    status = fields.String()
    raised_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)


class AlertScanIn(StrictSchema):
    near_expiry_days = StrictInteger(
        load_default=rules.DEFAULT_NEAR_EXPIRY_DAYS, validate=validate.Range(min=0, max=365)
    )


class AlertScanOut(Schema):
    raised = fields.Integer()


# -- products -------------------------------------------------------------------------------------------
@products_blp.route("")
class Products(MethodView):
    @requires("manager", "cashier", "supplier", "service")
    @products_blp.arguments(ProductQuery, location="query")
    @products_blp.response(200, ProductOut(many=True))
    def get(self, query):
        """Products, optionally of one supplier or matching ``q`` (name, SKU or exact barcode).
        A supplier sees only their own products."""
        supplier_id = _own_supplier() or (str(query["supplier_id"]) if query.get("supplier_id") else None)
        with current_runtime().transaction() as session:
            return catalogue.list_products(session, supplier_id, query.get("q"), query.get("active"))

    @requires("manager")
    @products_blp.arguments(ProductIn)
    @products_blp.response(201, ProductOut)
    def post(self, data):
        """Create a product of a known supplier (emits ``product.upserted``). Without a barcode it gets an
        in-store EAN-13 (GS1 prefix 20), without a SKU one of its category's series."""
        with current_runtime().transaction() as session:
            return catalogue.create_product(session, data, _actor(), _outlet())


@products_blp.route("/<uuid:product_id>")
class ProductById(MethodView):
    @requires("manager", "cashier", "supplier", "service")
    @products_blp.response(200, ProductOut)
    def get(self, product_id):
        """One product."""
        with current_runtime().transaction() as session:
            return catalogue.get_product(session, product_id, _own_supplier())

    @requires("manager")
    @products_blp.arguments(ProductPatch)
    @products_blp.response(200, ProductOut)
    def patch(self, changes, product_id):
        """Change price, name, active flag, reorder point or label data. Price changes are kept with who and
        when; every change is published as ``product.upserted`` with a higher ``revision``."""
        with current_runtime().transaction() as session:
            return catalogue.update_product(session, product_id, changes, _actor())


@products_blp.route("/by-barcode/<string:code>")
class ProductByBarcode(MethodView):
    @requires("manager", "cashier", "supplier", "service")
    @products_blp.response(200, ProductOut)
    def get(self, code):
        """The product with this barcode (a UPC-A also finds its EAN-13 form)."""
        with current_runtime().transaction() as session:
            return catalogue.product_by_barcode(session, code, _own_supplier())


@products_blp.route("/<uuid:product_id>/price-history")
class PriceHistory(MethodView):
    @requires("manager", "supplier")
    @products_blp.response(200, PriceChangeOut(many=True))
    def get(self, product_id):
        """Every price the product has had, oldest first, with who changed it and when."""
        with current_runtime().transaction() as session:
            catalogue.get_product(session, product_id, _own_supplier())
            return catalogue.price_history(session, product_id)


@products_blp.route("/<uuid:product_id>/stock")
class ProductStockView(MethodView):
    @requires("manager", "supplier", "service")
    @products_blp.response(200, ProductStockOut)
    def get(self, product_id):
        """On hand of the product at this outlet, per lot in FEFO order, and whether it is flagged for a count."""
        with current_runtime().transaction() as session:
            return queries.product_stock(session, product_id, _outlet(), _own_supplier())


@products_blp.route("/labels.pdf")
class LabelSheet(MethodView):
    @requires("manager")
    @products_blp.arguments(LabelSheetIn)
    @products_blp.response(200, description="A4 label sheet (PDF)", content_type=PDF)
    def post(self, data):
        """A printable sheet of barcode labels (name, price, barcode) for the chosen products and copies."""
        with current_runtime().transaction() as session:
            items = catalogue.products_for_labels(session, data["items"])
        return _pdf(documents.label_sheet(items), "labels.pdf")


# -- intakes --------------------------------------------------------------------------------------------
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
            intake, lines = intakes.record_intake(session, data, _actor(), _outlet())
            return _intake_out(intake, lines)

    @requires("manager", "supplier")
    @intakes_blp.arguments(SupplierFilter, location="query")
    @intakes_blp.response(200, IntakeSummaryOut(many=True))
    def get(self, query):
        """Intakes, newest first (a supplier sees only their own)."""
        supplier_id = _own_supplier() or (str(query["supplier_id"]) if query.get("supplier_id") else None)
        with current_runtime().transaction() as session:
            return intakes.list_intakes(session, supplier_id)


def _visible_intake(session, intake_id):
    intake, lines, supplier = intakes.get_intake(session, intake_id)
    own = _own_supplier()
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
            return _intake_out(intake, lines)


@intakes_blp.route("/<uuid:intake_id>/receipt.pdf")
class IntakeReceipt(MethodView):
    @requires("manager", "supplier")
    @intakes_blp.response(200, description="Nota titip (PDF)", content_type=PDF)
    def get(self, intake_id):
        """The numbered intake receipt (nota titip) the supplier keeps."""
        with current_runtime().transaction() as session:
            intake, lines, supplier = _visible_intake(session, intake_id)
        return _pdf(
            documents.intake_receipt(intake, lines, supplier.name if supplier else intake.supplier_id),
            f"{intake.number}.pdf",
        )


# -- stock ----------------------------------------------------------------------------------------------
@stock_blp.route("/stock")
class StockListing(MethodView):
    @requires("manager", "supplier", "service")
    @stock_blp.arguments(SupplierFilter, location="query")
    @stock_blp.response(200, StockRowOut(many=True))
    def get(self, query):
        """On hand per product at this outlet (a supplier sees only their own products)."""
        supplier_id = _own_supplier() or (str(query["supplier_id"]) if query.get("supplier_id") else None)
        with current_runtime().transaction() as session:
            return queries.stock_listing(session, _outlet(), supplier_id)


@stock_blp.route("/stock/invariant")
class StockInvariant(MethodView):
    @requires("manager", "service")
    @stock_blp.response(200, InvariantOut)
    def get(self):
        """Checks that every product's and lot's on-hand equals the sum of its movements."""
        with current_runtime().transaction() as session:
            return queries.check_invariant(session)


@stock_blp.route("/write-offs")
class WriteOffs(MethodView):
    @requires("manager")
    @stock_blp.arguments(WriteOffIn)
    @stock_blp.response(201, WriteOffOut)
    def post(self, data):
        """Write off damaged, expired or lost goods (from one lot, or first-expiry-first-out). Who bears the
        loss defaults to the supplier agreement; the movement goes to the suppliers service."""
        with current_runtime().transaction() as session:
            record, movements = write_offs.write_off(session, data, _actor(), _outlet())
            return {
                **{
                    k: getattr(record, k)
                    for k in (
                        "id",
                        "product_id",
                        "supplier_id",
                        "lot_id",
                        "qty",
                        "reason",
                        "borne_by",
                        "note",
                        "recorded_by",
                        "recorded_at",
                    )
                },
                "movements": movements,
            }


@stock_blp.route("/reconciliation/movements")
class ReconciliationMovements(MethodView):
    @requires("manager", "service")
    @stock_blp.arguments(PeriodQuery, location="query")
    @stock_blp.response(200, description="JSON array of movements, streamed", content_type="application/json")
    def get(self, query):
        """Every movement with ``from <= occurred_at < to``, oldest first, streamed as one JSON array.
        ``from``/``to`` are ISO timestamps, or dates meaning whole Jakarta days (``to`` inclusive):
        ``[{movement_id, kind, reference_id, line_reference, product_id, supplier_id, lot_id, qty,
        unit_price, borne_by, outlet_id, occurred_at}]``."""
        runtime = current_runtime()

        def movements():
            with runtime.session_factory() as session:
                yield from queries.movements_between(session, query["start"], query["end"])

        return json_array_stream(movements())


# -- counts ---------------------------------------------------------------------------------------------
class CountSummaryOut(Schema):
    id = fields.String()
    number = fields.String()
    status = fields.String()
    note = fields.String(allow_none=True)
    opened_by = fields.String()
    opened_at = fields.AwareDateTime()
    closed_by = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)


class CountQuery(Schema):
    status = fields.String(validate=validate.OneOf(["open", "approved", "cancelled"]))


@counts_blp.route("")
class Counts(MethodView):
    @requires("manager")
    @counts_blp.arguments(CountQuery, location="query")
    @counts_blp.response(200, CountSummaryOut(many=True))
    def get(self, query):
        """Count sessions, newest first (optionally only open, approved or cancelled ones)."""
        with current_runtime().transaction() as session:
            return counts.list_counts(session, query.get("status"))

    @requires("manager")
    @counts_blp.arguments(CountOpenIn)
    @counts_blp.response(201, CountOut)
    def post(self, data):
        """Open a count session for the given products (all active products when none are given)."""
        with current_runtime().transaction() as session:
            count = counts.open_count(session, data, _actor(), _outlet())
            return counts.variance_report(session, count.id)


@counts_blp.route("/<uuid:count_id>")
class CountById(MethodView):
    @requires("manager")
    @counts_blp.response(200, CountOut)
    def get(self, count_id):
        """The count's variance report: expected against counted, in units and rupiah."""
        with current_runtime().transaction() as session:
            return counts.variance_report(session, count_id)


@counts_blp.route("/<uuid:count_id>/lines")
class CountLines(MethodView):
    @requires("manager")
    @counts_blp.arguments(CountEntriesIn)
    @counts_blp.response(200, CountOut)
    def post(self, data, count_id):
        """Enter counted quantities by product id or scanned barcode (``counted`` sets, ``add`` adds).
        Only while the session is open (409 otherwise)."""
        with current_runtime().transaction() as session:
            counts.record_counts(session, count_id, data["lines"], _actor())
            return counts.variance_report(session, count_id)


@counts_blp.route("/<uuid:count_id>/approve")
class CountApproval(MethodView):
    @requires("manager")
    @counts_blp.arguments(CountApproveIn)
    @counts_blp.response(200, CountOut)
    def post(self, data, count_id):
        """Approve the count: posts a ``count_adjustment`` per differing product and closes the session."""
        with current_runtime().transaction() as session:
            counts.approve_count(session, count_id, _actor(), data.get("reason"))
            return counts.variance_report(session, count_id)


@counts_blp.route("/<uuid:count_id>/cancel")
class CountCancellation(MethodView):
    @requires("manager")
    @counts_blp.response(200, CountOut)
    def post(self, count_id):
        """Cancel an open count without adjusting anything."""
        with current_runtime().transaction() as session:
            counts.cancel_count(session, count_id, _actor())
            return counts.variance_report(session, count_id)


# -- returns --------------------------------------------------------------------------------------------
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
                _outlet(),
                near_expiry_days=query["near_expiry_days"],
                slow_mover_days=query["slow_mover_days"],
            )


class ReturnSummaryOut(Schema):
    id = fields.String()
    number = fields.String()
    supplier_id = fields.String()
    collected_by = fields.String()
    recorded_by = fields.String()
    collected_at = fields.AwareDateTime()


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
            note = returns.record_return(session, data, _actor(), _outlet())
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
        return _pdf(
            documents.return_note(note, lines, supplier.name if supplier else note.supplier_id), f"{note.number}.pdf"
        )


# -- alerts ---------------------------------------------------------------------------------------------
@alerts_blp.route("")
class Alerts(MethodView):
    @requires("manager")
    @alerts_blp.arguments(AlertQuery, location="query")
    @alerts_blp.response(200, AlertOut(many=True))
    def get(self, query):
        """Alerts (open by default): low stock, near expiry, consignment ended, negative on-hand."""
        status = None if query["status"] == "all" else query["status"]
        supplier_id = str(query["supplier_id"]) if query.get("supplier_id") else None
        with current_runtime().transaction() as session:
            return alerts.list_alerts(session, status, query.get("kind"), supplier_id)


@alerts_blp.route("/scan")
class AlertScan(MethodView):
    @requires("manager", "service")
    @alerts_blp.arguments(AlertScanIn)
    @alerts_blp.response(200, AlertScanOut)
    def post(self, data):
        """Raise near-expiry and consignment-ended alerts for lots on the shelf (also run by the worker)."""
        with current_runtime().transaction() as session:
            return {"raised": alerts.scan_alerts(session, _outlet(), near_expiry_days=data["near_expiry_days"])}


@alerts_blp.route("/<uuid:alert_id>/resolve")
class AlertResolution(MethodView):
    @requires("manager")
    @alerts_blp.response(200, AlertOut)
    def post(self, alert_id):
        """Mark an alert as dealt with."""
        with current_runtime().transaction() as session:
            return alerts.resolve_alert(session, alert_id)
