"""Use cases of the catalogue: the supplier replica, products, barcodes and price history.

Called by the HTTP API and the Celery consumers inside one transaction; events leave through the outbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.inventory import rules
from services.inventory.categories import usable_category
from services.inventory.errors import (
    BARCODE_TAKEN,
    INVALID_LABEL_ITEMS,
    PRODUCT_CREATED_CONCURRENTLY,
    PRODUCT_EXISTS,
    SKU_TAKEN,
    SUPPLIER_ENDED,
    UNKNOWN_SUPPLIER,
)
from services.inventory.models import (
    BorneBy,
    Category,
    Counter,
    PriceChange,
    Product,
    ProductStock,
    SupplierReplica,
    SupplierStatus,
    messaging,
)
from shared.db import get_or_404, insert_or_skip, table_of, utcnow
from shared.errors import Conflict, DomainError, NotFound

UNITS = ("pcs", "pack", "kg")


def next_counter(session: Session, name: str) -> int:
    """The next value of counter ``name`` (1, 2, …), never handed out twice: an atomic UPDATE whose row lock
    (PostgreSQL) or write lock (SQLite ``BEGIN IMMEDIATE``) serialises concurrent callers."""
    table = table_of(Counter)
    insert_or_skip(session, table, {"name": name, "value": 0})
    return session.execute(
        update(table).where(table.c.name == name).values(value=table.c.value + 1).returning(table.c.value)
    ).scalar_one()


# -- supplier replica ---------------------------------------------------------------------------------
def upsert_supplier_replica(session: Session, payload: dict, occurred_at: datetime) -> None:
    """Apply ``supplier.registered``/``supplier.updated``; an event older than what we hold changes nothing."""
    supplier_id = str(payload["supplier_id"])
    replica = session.get(SupplierReplica, supplier_id, with_for_update=True)
    if replica is None:
        replica = SupplierReplica(id=supplier_id)
        session.add(replica)
    elif replica.as_of > occurred_at:
        return
    replica.name = payload["name"]
    replica.status = payload["status"]
    replica.consignment_days = payload.get("consignment_days")
    replica.shrinkage_borne_by = payload.get("shrinkage_borne_by") or BorneBy.SUPPLIER
    replica.as_of = occurred_at


def known_supplier(session: Session, supplier_id: str, field: str = "supplier_id") -> SupplierReplica:
    """The replica of ``supplier_id``, or a 422 on ``field`` (the supplier's registration has not reached us)."""
    replica = session.get(SupplierReplica, str(supplier_id))
    if replica is None:
        raise DomainError(
            f"supplier {supplier_id} is not known to inventory",
            errors={field: ["Unknown supplier."]},
            code=UNKNOWN_SUPPLIER,
        )
    return replica


def list_suppliers(session: Session) -> list[SupplierReplica]:
    return list(session.scalars(select(SupplierReplica).order_by(SupplierReplica.name)))


# -- products -----------------------------------------------------------------------------------------
def product_event(product: Product) -> dict:
    return {
        "product_id": product.id,
        "sku": product.sku,
        "barcode": product.barcode,
        "name": product.name,
        "price": product.price,
        "supplier_id": product.supplier_id,
        "category": product.category,
        "unit": product.unit,
        "active": product.active,
        "revision": product.revision,
    }


def _issue_in_store_barcode(session: Session) -> str:
    """The next unused in-store EAN-13 (prefix 20); serials only go up, so a code is never issued twice."""
    while True:
        code = rules.in_store_ean13(next_counter(session, "in_store_barcode"))
        if session.scalar(select(Product.id).where(Product.gtin == code.zfill(14))) is None:
            return code


def _issue_sku(session: Session, category: Category) -> str:
    while True:
        sku = f"{category.sku_prefix}-{next_counter(session, 'sku'):05d}"
        if session.scalar(select(Product.id).where(Product.sku == sku)) is None:
            return sku


def create_product(session: Session, data: dict, actor: str, outlet_id: str) -> Product:
    """A new product of a known supplier (emits ``product.upserted``); a missing barcode gets an in-store
    EAN-13, a missing SKU one of the category's series, a missing ``requires_expiry`` the category's default."""
    supplier = known_supplier(session, data["supplier_id"])
    category = usable_category(session, data["category"])
    if supplier.status == SupplierStatus.ENDED:
        raise DomainError(
            "the supplier's agreement has ended",
            errors={"supplier_id": ["Supplier has ended."]},
            code=SUPPLIER_ENDED,
        )
    data = dict(data)
    product_id = str(data.pop("id", None) or "") or None
    if product_id and session.get(Product, product_id) is not None:
        raise Conflict(f"product {product_id} already exists", errors={"id": ["Already exists."]}, code=PRODUCT_EXISTS)
    barcode = data.pop("barcode", None)
    if barcode:
        gtin = rules.gtin14(barcode)
        if session.scalar(select(Product.id).where(Product.gtin == gtin)) is not None:
            raise Conflict(
                "another product has this barcode",
                errors={"barcode": ["Already used by another product."]},
                code=BARCODE_TAKEN,
            )
        in_store = False
    else:
        barcode, in_store = _issue_in_store_barcode(session), True
    sku = data.pop("sku", None)
    if sku and session.scalar(select(Product.id).where(Product.sku == sku)) is not None:
        raise Conflict(
            "another product has this SKU", errors={"sku": ["Already used by another product."]}, code=SKU_TAKEN
        )
    if "requires_expiry" not in data or data["requires_expiry"] is None:
        data["requires_expiry"] = category.requires_expiry
    if product_id:
        data["id"] = product_id
    product = Product(
        sku=sku or _issue_sku(session, category),
        barcode=barcode,
        gtin=barcode.zfill(14),
        barcode_in_store=in_store,
        supplier_id=supplier.id,
        revision=1,
        active=True,
        **{k: v for k, v in data.items() if k != "supplier_id"},
    )
    session.add(product)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "a product with this SKU or barcode was created at the same time", code=PRODUCT_CREATED_CONCURRENTLY
        ) from None
    session.add(PriceChange(product_id=product.id, old_price=None, new_price=product.price, changed_by=actor))
    session.add(ProductStock(product_id=product.id, outlet_id=outlet_id, unallocated=0, flagged_for_count=False))
    messaging.record(session, "product.upserted", product_event(product))
    return product


def get_product(session: Session, product_id, supplier_id: str | None = None) -> Product:
    """One product; a supplier asking for another supplier's product gets a 404 like a missing one."""
    product = session.get(Product, str(product_id))
    if product is None or (supplier_id is not None and product.supplier_id != supplier_id):
        raise NotFound(f"product {product_id} not found")
    return product


def product_by_barcode(session: Session, code: str, supplier_id: str | None = None) -> Product:
    try:
        gtin = rules.gtin14(code)
    except rules.InvalidBarcode:
        raise NotFound(f"no product has barcode {code}") from None
    product = session.scalar(select(Product).where(Product.gtin == gtin))
    if product is None or (supplier_id is not None and product.supplier_id != supplier_id):
        raise NotFound(f"no product has barcode {code}")
    return product


def product_by_code(session: Session, code: str, supplier_id: str | None = None) -> Product:
    """The product a scanned or typed code names: its barcode (compared as GTIN-14, so a UPC-A finds its EAN-13
    form) or else its SKU — exactly, or with case and surrounding spaces ignored when that names one product
    only; a 404 when none is (``supplier_id``'s)."""
    code = code.strip()
    try:
        return product_by_barcode(session, code, supplier_id)
    except NotFound:
        pass
    owned = select(Product) if supplier_id is None else select(Product).where(Product.supplier_id == str(supplier_id))
    product = session.scalar(owned.where(Product.sku == code)) if code else None
    if product is None and code:
        alike = session.scalars(owned.where(func.lower(Product.sku) == code.lower()).limit(2)).all()
        product = alike[0] if len(alike) == 1 else None
    if product is None:
        raise NotFound(f"no product has barcode or SKU {code}")
    return product


def list_products(
    session: Session, supplier_id: str | None = None, q: str | None = None, active: bool | None = None
) -> list[Product]:
    query = select(Product).order_by(Product.name, Product.id)
    if supplier_id:
        query = query.where(Product.supplier_id == str(supplier_id))
    if active is not None:
        query = query.where(Product.active == active)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(or_(Product.name.ilike(pattern), Product.sku.ilike(pattern), Product.barcode == q))
    return list(session.scalars(query))


def update_product(session: Session, product_id, changes: dict, actor: str) -> Product:
    """Change price, name, category, active flag, reorder point or label data; a price change is kept in the
    history. Every effective change bumps ``revision`` and is published as ``product.upserted``."""
    product = get_or_404(session, Product, product_id, lock=True, what="product")
    if "category" in changes and changes["category"] != product.category:
        usable_category(session, changes["category"])
    changed = {k: v for k, v in changes.items() if getattr(product, k) != v}
    if not changed:
        return product
    if "price" in changed:
        session.add(
            PriceChange(
                product_id=product.id,
                old_price=product.price,
                new_price=changed["price"],
                changed_by=actor,
                changed_at=utcnow(),
            )
        )
    for key, value in changed.items():
        setattr(product, key, value)
    product.revision += 1
    product.updated_at = utcnow()
    session.flush()
    messaging.record(session, "product.upserted", product_event(product))
    return product


def price_history(session: Session, product_id) -> list[PriceChange]:
    get_product(session, product_id)
    return list(
        session.scalars(
            select(PriceChange)
            .where(PriceChange.product_id == str(product_id))
            .order_by(PriceChange.changed_at, PriceChange.id)
        )
    )


def products_for_labels(session: Session, items: list[dict]) -> list[tuple[Product, int]]:
    """The products and copies of a label sheet; an unknown product is a 422 on its item."""
    errors, chosen = {}, []
    for index, item in enumerate(items):
        product = session.get(Product, str(item["product_id"]))
        if product is None:
            errors[index] = {"product_id": ["Unknown product."]}
        else:
            chosen.append((product, item["copies"]))
    if errors:
        raise DomainError("some label items are invalid", errors={"items": errors}, code=INVALID_LABEL_ITEMS)
    return chosen
