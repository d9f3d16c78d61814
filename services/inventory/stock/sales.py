"""Sales and refunds from the POS events, applied to the lots first-expiry-first-out."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from services.inventory import rules
from services.inventory.models import Lot, Movement, MovementKind, Product, ProductFacts
from services.inventory.stock.ledger import NewMovement, lock_stock, post_movements, take_fefo_many
from shared.celery_factory import Rejected, RetryLater
from shared.db import table_of

_lots = table_of(Lot)
_movements = table_of(Movement)
_products_table = table_of(Product)
#: What posting a sale's movements reads of its products (:class:`ProductFacts`), as plain rows.
_PRODUCT_FACTS = select(
    _products_table.c.id,
    _products_table.c.supplier_id,
    _products_table.c.name,
    _products_table.c.price,
    _products_table.c.reorder_point,
).where(_products_table.c.id.in_(bindparam("ids", expanding=True)))


def _read_products(session: Session, product_ids) -> dict[str, ProductFacts]:
    """Those of the products of ``product_ids`` inventory has (:data:`_PRODUCT_FACTS`), by id."""
    ids = sorted({str(p) for p in product_ids})
    return {row.id: row for row in session.execute(_PRODUCT_FACTS, {"ids": ids})}


def _products(session: Session, product_ids) -> dict[str, ProductFacts]:
    """The products of ``product_ids`` (:func:`_read_products`); retried later when one is not known yet."""
    found = _read_products(session, product_ids)
    missing = {str(p) for p in product_ids} - found.keys()
    if missing:
        raise RetryLater(f"products not known yet: {sorted(missing)}")
    return found


def apply_sale(session: Session, sale: dict) -> list[dict]:
    """``sale.completed``: take each line's units FEFO (:func:`apply_sales` with one)."""
    return apply_sales(session, [sale])


def apply_sales(session: Session, sales: list[dict]) -> list[dict]:
    """``sale.completed`` for a batch of sales: per outlet, the stock rows of every product sold are locked once
    (in id order), the lots read once, and each line's units taken FEFO in sale order, written together. A sale
    whose movements are in the ledger already (read under the locks, so a copy applied concurrently is seen) is
    skipped. On-hand may go negative (flagged). A sale of a product inventory does not have is refused
    (:class:`~shared.celery_factory.Rejected`: inventory owns the products, so none can arrive later); the
    products of the whole batch are read once."""
    products = _read_products(session, [line["product_id"] for sale in sales for line in sale["lines"]])
    by_outlet: dict[str, dict[str, dict]] = {}
    for sale in sales:
        unknown = {str(line["product_id"]) for line in sale["lines"]} - products.keys()
        if unknown:
            raise Rejected(f"sale {sale['sale_id']} has products inventory does not have: {sorted(unknown)}")
        by_outlet.setdefault(str(sale["outlet_id"]), {}).setdefault(str(sale["sale_id"]), sale)
    movements: list[dict] = []
    for outlet_id, outlet_sales in sorted(by_outlet.items()):
        lock_stock(
            session, outlet_id, {str(line["product_id"]) for sale in outlet_sales.values() for line in sale["lines"]}
        )
        for sale_id in _applied(session, MovementKind.SALE, list(outlet_sales)):
            del outlet_sales[sale_id]
        takes = [
            (
                products[str(line["product_id"])],
                line["qty"],
                {
                    "kind": MovementKind.SALE,
                    "occurred_at": sale["completed_at"],
                    "unit_price": line["unit_price"],
                    "reference_id": str(sale["sale_id"]),
                    "line_reference": str(line["line_id"]),
                    "recorded_by": sale.get("cashier_id") or None,
                },
            )
            for sale in outlet_sales.values()
            for line in sorted(sale["lines"], key=lambda line: (str(line["product_id"]), str(line["line_id"])))
        ]
        movements += take_fefo_many(session, outlet_id, takes)
    return movements


#: The references (sale or refund ids) among ``ids`` that movements of ``kind`` name.
_APPLIED = select(_movements.c.reference_id).where(
    _movements.c.kind == bindparam("kind"), _movements.c.reference_id.in_(bindparam("ids", expanding=True))
)


def _applied(session: Session, kind: MovementKind, reference_ids: list[str]) -> set[str]:
    return set(session.execute(_APPLIED, {"kind": kind, "ids": reference_ids}).scalars())


def is_applied(session: Session, kind: MovementKind, reference_id: str) -> bool:
    """Whether the sale or refund ``reference_id`` is in the stock ledger (movements of ``kind`` name it)."""
    return bool(_applied(session, kind, [str(reference_id)]))


def apply_refund(session: Session, refund: dict) -> list[dict]:
    """``sale.refunded``: when the goods go back to stock, into the lots the sale took them from (once: a refund
    already in the ledger is skipped). Needs the sale's movements: a refund that arrives before its sale is
    retried later. The refund's lines name
    distinct sale lines (POS refuses a line listed twice), so each line's earlier refunds are read once."""
    if not refund["back_to_stock"]:
        return []
    sale_id = str(refund["sale_id"])
    sold = session.execute(
        select(
            _movements.c.line_reference,
            _movements.c.lot_id,
            _movements.c.qty,
            _movements.c.unit_price,
            _lots.c.expiry_date,
            _lots.c.received_on,
        )
        .select_from(_movements.outerjoin(_lots, _lots.c.id == _movements.c.lot_id))
        .where(_movements.c.reference_id == sale_id, _movements.c.kind == MovementKind.SALE)
    ).all()
    if not sold:
        raise RetryLater(f"sale {sale_id} has not reached inventory yet")
    outlet_id = str(refund["outlet_id"])
    lines = sorted(refund["lines"], key=lambda line: (str(line["product_id"]), str(line["sale_line_id"])))
    products = _products(session, [line["product_id"] for line in lines])
    lock_stock(session, outlet_id, products)
    if is_applied(session, MovementKind.REFUND, refund["refund_id"]):  # read under the locks
        return []
    back: list[NewMovement] = []
    for line in lines:
        line_id = str(line["sale_line_id"])
        taken_rows = sorted(
            (r for r in sold if r.line_reference == line_id),
            key=lambda r: (r.lot_id is None, r.expiry_date or date.max, r.received_on or date.max, r.lot_id or ""),
        )
        taken = [(r.lot_id, -r.qty) for r in taken_rows]
        refunded: dict[str | None, int] = {
            lot_id: qty
            for lot_id, qty in session.execute(
                select(_movements.c.lot_id, func.sum(_movements.c.qty))
                .where(_movements.c.kind == MovementKind.REFUND, _movements.c.line_reference == line_id)
                .group_by(_movements.c.lot_id)
            )
        }
        unit_price = taken_rows[0].unit_price if taken_rows else None
        for lot_id, units in rules.allocate_refund(line["qty"], taken, refunded):
            back.append(
                (
                    products[str(line["product_id"])],
                    units,
                    {
                        "kind": MovementKind.REFUND,
                        "lot_id": lot_id,
                        "occurred_at": refund["refunded_at"],
                        "unit_price": unit_price,
                        "reference_id": str(refund["refund_id"]),
                        "line_reference": line_id,
                    },
                )
            )
    return post_movements(session, outlet_id, back)
