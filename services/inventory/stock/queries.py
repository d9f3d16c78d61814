"""Reading stock: per product and lot, the listing, a product's movements, the ledger invariant and the
reconciliation feed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from services.inventory.catalogue import get_product
from services.inventory.models import (
    CountSession,
    Intake,
    Lot,
    Movement,
    MovementKind,
    Product,
    ProductStock,
    SupplierReturn,
)
from services.inventory.stock.ledger import ON_HAND
from shared.db import table_of

_stock = table_of(ProductStock)
_lots = table_of(Lot)
_movements = table_of(Movement)


def product_stock(session: Session, product_id, outlet_id: str, supplier_id: str | None = None) -> dict:
    product = get_product(session, product_id, supplier_id)
    row = session.execute(
        select(_stock).where(_stock.c.product_id == product.id, _stock.c.outlet_id == outlet_id)
    ).one_or_none()
    lots = session.execute(
        select(_lots)
        .where(_lots.c.product_id == product.id, _lots.c.outlet_id == outlet_id)
        .order_by(_lots.c.expiry_date, _lots.c.received_on, _lots.c.id)
    ).all()
    unallocated = row.unallocated if row else 0
    return {
        "product_id": product.id,
        "outlet_id": outlet_id,
        "on_hand": unallocated + sum(lot.on_hand for lot in lots),
        "flagged_for_count": bool(row.flagged_for_count) if row else False,
        "unallocated": unallocated,
        "lots": [
            {
                "lot_id": lot.id,
                "lot_code": lot.lot_code,
                "expiry_date": lot.expiry_date,
                "received_on": lot.received_on,
                "on_hand": lot.on_hand,
            }
            for lot in fefo_sorted(lots)
        ],
    }


#: The most movements one page of a product's history holds.
MAX_MOVEMENTS_PER_PAGE = 100


def product_movements(
    session: Session,
    product_id,
    outlet_id: str,
    supplier_id: str | None = None,
    *,
    kind: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1,
    per_page: int = 25,
) -> dict:
    """One page of a product's movements at ``outlet_id``, newest first, optionally of one ``kind`` and with
    ``start <= occurred_at < end``: each with its lot's code, who recorded it, and its document in words where
    inventory numbers it (the intake's, count's or return's number). A sale or refund carries the ``sale_id`` the
    till knows it by (a refund's is its sale line's sale), so a page can name the receipt.
    A supplier asking for another supplier's product gets a 404 like a missing one, and never sees who of the
    centre's staff recorded a movement."""
    product = get_product(session, product_id, supplier_id)
    per_page = min(max(per_page, 1), MAX_MOVEMENTS_PER_PAGE)
    page = max(page, 1)
    conditions = [Movement.product_id == product.id, Movement.outlet_id == outlet_id]
    if kind:
        conditions.append(Movement.kind == kind)
    if start is not None:
        conditions.append(Movement.occurred_at >= start)
    if end is not None:
        conditions.append(Movement.occurred_at < end)
    total = session.scalar(select(func.count()).select_from(Movement).where(*conditions)) or 0
    number = case(
        (Movement.kind == MovementKind.INTAKE, Intake.number),
        (Movement.kind == MovementKind.COUNT_ADJUSTMENT, CountSession.number),
        (Movement.kind == MovementKind.RETURN_TO_SUPPLIER, SupplierReturn.number),
        else_=None,
    )
    rows = session.execute(
        select(Movement, Lot.lot_code, number.label("reference_number"))
        .outerjoin(Lot, Lot.id == Movement.lot_id)
        .outerjoin(Intake, and_(Movement.kind == MovementKind.INTAKE, Intake.id == Movement.reference_id))
        .outerjoin(
            CountSession,
            and_(Movement.kind == MovementKind.COUNT_ADJUSTMENT, CountSession.id == Movement.reference_id),
        )
        .outerjoin(
            SupplierReturn,
            and_(Movement.kind == MovementKind.RETURN_TO_SUPPLIER, SupplierReturn.id == Movement.reference_id),
        )
        .where(*conditions)
        .order_by(Movement.occurred_at.desc(), Movement.recorded_at.desc(), Movement.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    sale_of_line = _sales_of_refunded_lines(
        session, {m.line_reference for m, _, _ in rows if m.kind == MovementKind.REFUND and m.line_reference}
    )
    items = []
    for movement, lot_code, reference_number in rows:
        sale_id = None
        if movement.kind == MovementKind.SALE:
            sale_id = movement.reference_id
        elif movement.kind == MovementKind.REFUND:
            sale_id = sale_of_line.get(movement.line_reference or "")
        items.append(
            {
                "movement_id": movement.id,
                "kind": movement.kind,
                "occurred_at": movement.occurred_at,
                "qty": movement.qty,
                "lot_id": movement.lot_id,
                "lot_code": lot_code,
                "unit_price": movement.unit_price,
                "reason": movement.reason,
                "borne_by": movement.borne_by,
                "recorded_by": movement.recorded_by if supplier_id is None else None,
                "reference_id": movement.reference_id,
                "reference_number": reference_number,
                "sale_id": sale_id,
            }
        )
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def _sales_of_refunded_lines(session: Session, line_ids: set[str]) -> dict[str, str]:
    """``{sale line id: sale id}`` read from the sales' own movements."""
    if not line_ids:
        return {}
    return dict(
        session.execute(
            select(_movements.c.line_reference, _movements.c.reference_id)
            .where(_movements.c.kind == MovementKind.SALE, _movements.c.line_reference.in_(line_ids))
            .distinct()
        )
        .tuples()
        .all()
    )


def fefo_sorted(lots):
    return sorted(lots, key=lambda lot: (lot.expiry_date is None, lot.expiry_date or date.max, lot.received_on, lot.id))


def stock_listing(session: Session, outlet_id: str, supplier_id: str | None = None) -> list[dict]:
    query = (
        select(Product, ON_HAND, _stock.c.flagged_for_count)
        .outerjoin(_stock, and_(_stock.c.product_id == Product.id, _stock.c.outlet_id == outlet_id))
        .order_by(Product.name, Product.id)
    )
    if supplier_id:
        query = query.where(Product.supplier_id == str(supplier_id))
    return [
        {
            "product_id": p.id,
            "sku": p.sku,
            "name": p.name,
            "supplier_id": p.supplier_id,
            "unit": p.unit,
            "price": p.price,
            "reorder_point": p.reorder_point,
            "on_hand": qty or 0,
            "flagged_for_count": bool(flag),
            "active": p.active,
        }
        for p, qty, flag in session.execute(query).all()
    ]


def check_invariant(session: Session) -> dict:
    """Whether every lot's on-hand, and every product's units outside any lot, equal the sum of their movements
    (all outlets)."""
    by_product = session.execute(
        select(
            _stock.c.product_id, _stock.c.outlet_id, _stock.c.unallocated, func.coalesce(func.sum(_movements.c.qty), 0)
        )
        .select_from(
            _stock.outerjoin(
                _movements,
                and_(
                    _movements.c.product_id == _stock.c.product_id,
                    _movements.c.outlet_id == _stock.c.outlet_id,
                    _movements.c.lot_id.is_(None),
                ),
            )
        )
        .group_by(_stock.c.product_id, _stock.c.outlet_id, _stock.c.unallocated)
    ).all()
    by_lot = session.execute(
        select(_lots.c.id, _lots.c.product_id, _lots.c.on_hand, func.coalesce(func.sum(_movements.c.qty), 0))
        .select_from(_lots.outerjoin(_movements, _movements.c.lot_id == _lots.c.id))
        .group_by(_lots.c.id, _lots.c.product_id, _lots.c.on_hand)
    ).all()
    mismatches = [
        {"product_id": p, "outlet_id": o, "lot_id": None, "on_hand": held, "sum_of_movements": int(total)}
        for p, o, held, total in by_product
        if held != total
    ]
    mismatches += [
        {"product_id": p, "outlet_id": None, "lot_id": lot, "on_hand": held, "sum_of_movements": int(total)}
        for lot, p, held, total in by_lot
        if held != total
    ]
    return {
        "ok": not mismatches,
        "products_checked": len(by_product),
        "lots_checked": len(by_lot),
        "mismatches": mismatches,
    }


def movements_between(session: Session, start: datetime, end: datetime, batch: int = 1000) -> Iterator[dict]:
    """Every movement with ``start <= occurred_at < end``, oldest first, read in batches (keyset paging)."""
    last: tuple[datetime, str] | None = None
    while True:
        query = (
            select(
                _movements.c.id,
                _movements.c.kind,
                _movements.c.reference_id,
                _movements.c.line_reference,
                _movements.c.product_id,
                _movements.c.supplier_id,
                _movements.c.lot_id,
                _movements.c.qty,
                _movements.c.unit_price,
                _movements.c.borne_by,
                _movements.c.outlet_id,
                _movements.c.occurred_at,
            )
            .where(_movements.c.occurred_at >= start, _movements.c.occurred_at < end)
            .order_by(_movements.c.occurred_at, _movements.c.id)
            .limit(batch)
        )
        if last is not None:
            query = query.where(
                (_movements.c.occurred_at > last[0])
                | and_(_movements.c.occurred_at == last[0], _movements.c.id > last[1])
            )
        rows = session.execute(query).all()
        for row in rows:
            yield {
                "movement_id": row.id,
                "kind": row.kind,
                "reference_id": row.reference_id,
                "line_reference": row.line_reference,
                "product_id": row.product_id,
                "supplier_id": row.supplier_id,
                "lot_id": row.lot_id,
                "qty": row.qty,
                "unit_price": row.unit_price,
                "borne_by": row.borne_by,
                "outlet_id": row.outlet_id,
                "occurred_at": row.occurred_at.isoformat(),
            }
        if len(rows) < batch:
            return
        last = (rows[-1].occurred_at, rows[-1].id)


def movements_of_reference(session: Session, reference_id: str) -> list[dict]:
    """Every movement a business document (a sale, refund, intake...) made, oldest first, with the product's name
    and the lot's code: what inventory holds of it, for the reconciliation's drill-down."""
    rows = session.execute(
        select(Movement, Product.name, Lot.lot_code)
        .join(Product, Product.id == Movement.product_id)
        .outerjoin(Lot, Lot.id == Movement.lot_id)
        .where(Movement.reference_id == str(reference_id))
        .order_by(Movement.occurred_at, Movement.id)
    ).all()
    return [
        {
            "movement_id": movement.id,
            "kind": movement.kind,
            "reference_id": movement.reference_id,
            "line_reference": movement.line_reference,
            "product_id": movement.product_id,
            "product_name": product_name,
            "supplier_id": movement.supplier_id,
            "lot_code": lot_code,
            "qty": movement.qty,
            "unit_price": movement.unit_price,
            "occurred_at": movement.occurred_at,
        }
        for movement, product_name, lot_code in rows
    ]
