"""Use cases: the catalogue replica fed by ``product.upserted`` and supplier events, and its lookups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Row,
    String,
    Subquery,
    any_,
    bindparam,
    false,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from services.pos.models import CataloguePrice, CatalogueProduct, CatalogueSupplier, SupplierStatus
from shared.errors import NotFound

UNSELLABLE_SUPPLIER_STATUSES = (SupplierStatus.SUSPENDED, SupplierStatus.ENDED)
SEARCH_LIMIT = 50


#: Bump the one catalogue sequence row by ``:count`` and answer the new last number. The row stays locked until
#: the caller's transaction ends, so numbers are taken in commit order: a reader that has seen number ``n`` has
#: seen every change numbered below it (a timestamp or a database sequence can tie or commit out of order).
_BUMP_SEQUENCE = text(
    "INSERT INTO catalogue_sequence (id, last_seq) VALUES (1, :count)"
    " ON CONFLICT (id) DO UPDATE SET last_seq = catalogue_sequence.last_seq + :count RETURNING last_seq"
).columns(last_seq=Integer)


def next_sequence(session: Session, count: int = 1) -> int:
    """Reserve ``count`` numbers of the catalogue's change sequence; answers the last of them."""
    return session.connection().execute(_BUMP_SEQUENCE, {"count": count}).scalar_one()


def apply_product_upserted(session: Session, payload: dict, envelope: dict) -> None:
    """Keep the newest revision of a product: an older ``revision`` than the one held changes nothing (its price
    still joins the product's price history)."""
    product_id = str(payload["product_id"])
    product = session.get(CatalogueProduct, product_id, with_for_update=True)
    if session.get(CataloguePrice, (product_id, payload["revision"])) is None:
        session.add(
            CataloguePrice(
                product_id=product_id,
                revision=payload["revision"],
                price=payload["price"],
                effective_at=envelope["occurred_at"],
            )
        )
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
    product.change_seq = next_sequence(session)


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
    was_sellable = supplier.status not in UNSELLABLE_SUPPLIER_STATUSES if supplier.status else True
    supplier.name = payload["name"]
    supplier.status = payload["status"]
    supplier.changed_at = occurred_at
    if was_sellable != (supplier.status not in UNSELLABLE_SUPPLIER_STATUSES):
        _renumber_products_of(session, supplier_id)


def _renumber_products_of(session: Session, supplier_id: str) -> None:
    """Put the supplier's products back in the delta feed: whether they can be sold has changed."""
    product_ids = session.scalars(
        select(CatalogueProduct.product_id)
        .where(CatalogueProduct.supplier_id == supplier_id)
        .order_by(CatalogueProduct.product_id)
        .with_for_update()  # product rows before the sequence row, as a product's own change takes them
    ).all()
    if not product_ids:
        return
    last = next_sequence(session, len(product_ids))
    for offset, product_id in enumerate(product_ids, start=last - len(product_ids) + 1):
        session.execute(
            update(CatalogueProduct).where(CatalogueProduct.product_id == product_id).values(change_seq=offset)
        )


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


def _line_products(barcodes_in: ColumnElement[bool], ids_in: ColumnElement[bool]) -> dict[tuple[bool, bool], Subquery]:
    """The products of a basket's lines, keyed by ``(any barcodes, any ids)``, found with ``barcodes_in`` and
    ``ids_in``."""
    return {
        (True, False): _WITH_SUPPLIER_STATUS.where(barcodes_in).subquery("line_products"),
        (False, True): _WITH_SUPPLIER_STATUS.where(ids_in).subquery("line_products"),
        (True, True): _WITH_SUPPLIER_STATUS.where(or_(barcodes_in, ids_in)).subquery("line_products"),
        (False, False): _WITH_SUPPLIER_STATUS.where(false()).subquery("line_products"),
    }


#: The products a basket's lines name, by barcodes, by ids or by both, keyed by ``(any barcodes, any ids)``:
#: subqueries built once, which checkout joins to its read of the open shift (one statement for both).
LINE_PRODUCTS = _line_products(
    _PRODUCTS.c.barcode.in_(bindparam("barcodes", expanding=True)),
    _PRODUCTS.c.product_id.in_(bindparam("product_ids", expanding=True)),
)
#: The same for PostgreSQL, each list one array parameter (``= ANY``): a statement that compiles once, whatever
#: the basket's size, and runs on the driver (:func:`shared.db.fetch_rows`).
LINE_PRODUCTS_POSTGRESQL = _line_products(
    _PRODUCTS.c.barcode == any_(bindparam("barcodes", type_=ARRAY(String))),
    _PRODUCTS.c.product_id == any_(bindparam("product_ids", type_=ARRAY(String))),
)


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


def changes(session: Session, after: int | None, limit: int = CHANGES_LIMIT) -> dict:
    """The catalogue's products changed after change number ``after``, in the order they changed, at most
    ``limit``: the counter keeps its local copy current with these deltas instead of the whole list.

    ``cursor`` (the last change number given) is where the next call starts, unchanged when nothing changed;
    ``more`` says another page waits. A product changed twice appears once, at its latest change.
    """
    query = _with_supplier_status()
    if after is not None:
        query = query.where(CatalogueProduct.change_seq > after)
    rows = session.execute(query.order_by(CatalogueProduct.change_seq).limit(limit + 1)).all()
    page = rows[:limit]
    return {
        "items": [product_view(product, status) for product, status in page],
        "cursor": page[-1][0].change_seq if page else after,
        "more": len(rows) > limit,
    }


#: How far back from when a sale was made a price the counter charged still counts: the counter's local copy of
#: the catalogue is refreshed every 30 s, so it may show a price that changed just before.
PRICE_GRACE = timedelta(minutes=2)


def prices_since(session: Session, product_ids: set[str], moment: datetime) -> dict[str, set[int]]:
    """``{product_id: prices}``: every price each product had from ``moment`` (less :data:`PRICE_GRACE`) to now."""
    since = moment - PRICE_GRACE
    rows = session.execute(
        select(CataloguePrice.product_id, CataloguePrice.price, CataloguePrice.effective_at)
        .where(CataloguePrice.product_id.in_(product_ids))
        .order_by(CataloguePrice.product_id, CataloguePrice.revision)
    ).all()
    prices: dict[str, set[int]] = {}
    in_force: dict[str, int] = {}
    for product_id, price, effective_at in rows:
        if effective_at <= since:
            in_force[product_id] = price  # the price in force at ``since`` (the latest revision before it)
        else:
            prices.setdefault(product_id, set()).add(price)
    for product_id, price in in_force.items():
        prices.setdefault(product_id, set()).add(price)
    return prices


def line_products_query(lines: list[dict]) -> tuple[tuple[bool, bool], dict[str, list[str]]]:
    """Which of :data:`LINE_PRODUCTS` finds the products of ``lines`` (loaded sale lines, each with a
    ``barcode`` or a ``product_id``), and its parameters."""
    barcodes = {line["barcode"] for line in lines if line.get("barcode")}
    product_ids = {str(line["product_id"]) for line in lines if line.get("product_id")}
    return (bool(barcodes), bool(product_ids)), {"barcodes": list(barcodes), "product_ids": list(product_ids)}


def products_by_code_and_id(rows: Iterable[Row[Any]]):
    """``({barcode: (product, supplier_status)}, {product_id: (product, supplier_status)})`` of the rows a
    :data:`LINE_PRODUCTS` query found (``product`` a row with the catalogue product's columns; a row whose
    ``product_id`` is null, from an outer join that found none, is skipped)."""
    found = [(row, row.supplier_status) for row in rows if row.product_id is not None]
    by_id = {row[0].product_id: row for row in found}
    grouped: dict[str, list] = {}
    for row in found:
        grouped.setdefault(row[0].barcode, []).append(row)
    by_code = {code: tuple(_prefer_sellable(same)) for code, same in grouped.items()}
    return by_code, by_id
