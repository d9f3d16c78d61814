"""Use cases: the catalogue replica fed by ``product.upserted`` and supplier events, and its lookups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from services.pos.models import CatalogueProduct, CatalogueSupplier, SupplierStatus
from shared.errors import NotFound

UNSELLABLE_SUPPLIER_STATUSES = (SupplierStatus.SUSPENDED, SupplierStatus.ENDED)
SEARCH_LIMIT = 50


def apply_product_upserted(session: Session, payload: dict, envelope: dict) -> None:
    """Keep the newest revision of a product: an older ``revision`` than the one held changes nothing."""
    product_id = str(payload["product_id"])
    product = session.get(CatalogueProduct, product_id, with_for_update=True)
    if product is not None and payload["revision"] < product.revision:
        return
    if product is None:
        product = CatalogueProduct(product_id=product_id)
        session.add(product)
    product.sku = payload["sku"]
    product.barcode = payload["barcode"]
    product.name = payload["name"]
    product.price = payload["price"]
    product.supplier_id = str(payload["supplier_id"])
    product.category = payload["category"]
    product.unit = payload.get("unit") or "pcs"
    product.active = payload["active"]
    product.revision = payload["revision"]
    product.updated_at = envelope["occurred_at"]


def apply_supplier_changed(session: Session, payload: dict, envelope: dict) -> None:
    """Keep a supplier's latest status (by the event's time: a late older event changes nothing)."""
    supplier_id = str(payload["supplier_id"])
    occurred_at: datetime = envelope["occurred_at"]
    supplier = session.get(CatalogueSupplier, supplier_id, with_for_update=True)
    if supplier is not None and occurred_at < supplier.changed_at:
        return
    if supplier is None:
        supplier = CatalogueSupplier(supplier_id=supplier_id)
        session.add(supplier)
    supplier.name = payload["name"]
    supplier.status = payload["status"]
    supplier.changed_at = occurred_at


def is_sellable(product: CatalogueProduct, supplier_status: str | None) -> bool:
    """Active, and its supplier is not suspended or ended (an unknown supplier does not block the counter)."""
    return bool(product.active) and supplier_status not in UNSELLABLE_SUPPLIER_STATUSES


def _with_supplier_status():
    return select(CatalogueProduct, CatalogueSupplier.status).outerjoin(
        CatalogueSupplier, CatalogueSupplier.supplier_id == CatalogueProduct.supplier_id
    )


def product_view(product: CatalogueProduct, supplier_status: str | None) -> dict:
    return {
        "product_id": product.product_id,
        "barcode": product.barcode,
        "sku": product.sku,
        "name": product.name,
        "price": product.price,
        "supplier_id": product.supplier_id,
        "category": product.category,
        "unit": product.unit,
        "sellable": is_sellable(product, supplier_status),
    }


def _prefer_sellable(rows):
    """Of several products with one barcode, the sellable one with the newest revision."""
    return max(rows, key=lambda row: (is_sellable(row[0], row[1]), row[0].revision, row[0].updated_at))


_PRODUCTS, _SUPPLIERS = CatalogueProduct.__table__, CatalogueSupplier.__table__
#: The counter's hottest queries as Core statements built once: plain rows (with the product's attribute names)
#: instead of ORM objects in the identity map.
_WITH_SUPPLIER_STATUS = select(*_PRODUCTS.c, _SUPPLIERS.c.status.label("supplier_status")).select_from(
    _PRODUCTS.outerjoin(_SUPPLIERS, _SUPPLIERS.c.supplier_id == _PRODUCTS.c.supplier_id)
)
_BY_BARCODE = _WITH_SUPPLIER_STATUS.where(_PRODUCTS.c.barcode == bindparam("barcode"))
_BARCODES_IN = _PRODUCTS.c.barcode.in_(bindparam("barcodes", expanding=True))
_IDS_IN = _PRODUCTS.c.product_id.in_(bindparam("product_ids", expanding=True))
#: The products of a basket's lines, by barcodes, by ids or by both (built once; checkout's hottest read).
_FOR_LINES = {
    (True, False): _WITH_SUPPLIER_STATUS.where(_BARCODES_IN),
    (False, True): _WITH_SUPPLIER_STATUS.where(_IDS_IN),
    (True, True): _WITH_SUPPLIER_STATUS.where(or_(_BARCODES_IN, _IDS_IN)),
}


def by_barcode(session: Session, barcode: str) -> dict:
    rows = session.connection().execute(_BY_BARCODE, {"barcode": barcode}).all()
    if not rows:
        raise NotFound(f"no product with barcode {barcode}")
    return product_view(*_prefer_sellable([(row, row.supplier_status) for row in rows]))


def search(session: Session, text: str) -> list[dict]:
    """Products whose name, SKU or barcode contains ``text`` (case-insensitive), by name."""
    pattern = f"%{text.strip().lower()}%"
    rows = session.execute(
        _with_supplier_status()
        .where(
            or_(
                CatalogueProduct.name.ilike(pattern),
                CatalogueProduct.sku.ilike(pattern),
                CatalogueProduct.barcode.like(pattern),
            )
        )
        .order_by(CatalogueProduct.name)
        .limit(SEARCH_LIMIT)
    ).all()
    return [product_view(product, status) for product, status in rows]


CHANGES_LIMIT = 1000


def changes(session: Session, after: tuple[datetime, str] | None, limit: int = CHANGES_LIMIT) -> dict:
    """The catalogue's products changed after ``after`` (a ``(updated_at, product_id)`` position), oldest first, at
    most ``limit``: the counter keeps its local copy current with these deltas instead of the whole list.

    ``cursor`` is where the next call starts (unchanged when nothing changed); ``more`` says another page waits.
    """
    query = _with_supplier_status()
    if after is not None:
        moment, product_id = after
        query = query.where(
            or_(
                CatalogueProduct.updated_at > moment,
                and_(CatalogueProduct.updated_at == moment, CatalogueProduct.product_id > product_id),
            )
        )
    rows = session.execute(
        query.order_by(CatalogueProduct.updated_at, CatalogueProduct.product_id).limit(limit + 1)
    ).all()
    page = rows[:limit]
    cursor = (page[-1][0].updated_at, page[-1][0].product_id) if page else after
    return {
        "items": [product_view(product, status) for product, status in page],
        "cursor": cursor,
        "more": len(rows) > limit,
    }


def products_for_lines(session: Session, barcodes: set[str], product_ids: set[str]):
    """``({barcode: (product, supplier_status)}, {product_id: (product, supplier_status)})`` in one query
    (``product`` a row with the catalogue product's columns)."""
    if not barcodes and not product_ids:
        return {}, {}
    found = session.connection().execute(
        _FOR_LINES[bool(barcodes), bool(product_ids)], {"barcodes": list(barcodes), "product_ids": list(product_ids)}
    )
    rows = [(row, row.supplier_status) for row in found]
    by_id = {row[0].product_id: row for row in rows}
    grouped: dict[str, list] = {}
    for row in rows:
        grouped.setdefault(row[0].barcode, []).append(row)
    by_code = {code: tuple(_prefer_sellable(found)) for code, found in grouped.items()}
    return by_code, by_id
