"""Returns to supplier (retur): the pick list and the collected goods with their note."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.inventory import rules
from services.inventory.catalogue import known_supplier, next_counter
from services.inventory.errors import INSUFFICIENT_STOCK, INVALID_RETURN_LINES
from services.inventory.models import (
    Lot,
    Movement,
    MovementKind,
    Product,
    SupplierReplica,
    SupplierReturn,
    SupplierReturnLine,
)
from services.inventory.stock.ledger import NewMovement, available_to_take, lock_stock, post_movements
from shared import business_time
from shared.db import get_or_404, table_of, utcnow
from shared.errors import DomainError

_movements = table_of(Movement)


def pick_list(
    session: Session,
    supplier_id: str,
    outlet_id: str,
    today: date | None = None,
    near_expiry_days: int = rules.DEFAULT_NEAR_EXPIRY_DAYS,
    slow_mover_days: int = rules.DEFAULT_SLOW_MOVER_DAYS,
) -> list[dict]:
    """What should go back to the supplier: expired and near-expiry lots, lots past the consignment period,
    and slow movers (nothing sold for ``slow_mover_days`` since they arrived)."""
    supplier = known_supplier(session, supplier_id)
    today = today or business_time.today()
    last_sales: dict[str, datetime] = {
        product_id: last_sold
        for product_id, last_sold in session.execute(
            select(_movements.c.product_id, func.max(_movements.c.occurred_at))
            .where(
                _movements.c.supplier_id == supplier.id,
                _movements.c.kind == MovementKind.SALE,
                _movements.c.outlet_id == outlet_id,
            )
            .group_by(_movements.c.product_id)
        )
    }
    rows = session.execute(
        select(Lot, Product)
        .join(Product, Product.id == Lot.product_id)
        .where(Lot.supplier_id == supplier.id, Lot.outlet_id == outlet_id, Lot.on_hand > 0)
        .order_by(Product.name, Lot.expiry_date, Lot.received_on, Lot.id)
    ).all()
    items = []
    for lot, product in rows:
        last_sold = last_sales.get(product.id)
        reasons = rules.return_reasons(
            today=today,
            expiry_date=lot.expiry_date,
            received_on=lot.received_on,
            consignment_days=supplier.consignment_days,
            near_expiry_days=near_expiry_days,
            last_sold_on=business_time.business_day(last_sold) if last_sold else None,
            slow_mover_days=slow_mover_days,
        )
        if reasons:
            items.append(
                {
                    "lot_id": lot.id,
                    "product_id": product.id,
                    "sku": product.sku,
                    "name": product.name,
                    "lot_code": lot.lot_code,
                    "expiry_date": lot.expiry_date,
                    "received_on": lot.received_on,
                    "on_hand": lot.on_hand,
                    "reasons": reasons,
                }
            )
    return items


def record_return(session: Session, data: dict, actor: str, outlet_id: str, recorder_name: str) -> SupplierReturn:
    """The supplier collected goods: one ``return_to_supplier`` movement per line, and a numbered note.

    ``actor`` (:func:`shared.auth.current_actor`) is recorded on the movements. ``recorder_name`` is a
    person's name, kept as the note's ``recorded_by`` because the nota retur prints it as "Dicatat oleh": the
    API passes ``current_principal().name``, not the actor."""
    supplier = known_supplier(session, data["supplier_id"])
    errors, resolved = {}, []
    for index, line in enumerate(data["lines"]):
        lot = session.get(Lot, str(line["lot_id"]))
        if lot is None or lot.outlet_id != outlet_id:
            errors[index] = {"lot_id": ["Unknown lot."]}
        elif lot.supplier_id != supplier.id:
            errors[index] = {"lot_id": ["This lot belongs to another supplier."]}
        else:
            resolved.append((lot, line))
    if errors:
        raise DomainError("some return lines are invalid", errors={"lines": errors}, code=INVALID_RETURN_LINES)
    products = {
        p.id: p
        for p in session.scalars(select(Product).where(Product.id.in_({line.product_id for line, _ in resolved})))
    }
    lock_stock(session, outlet_id, products)
    wanted: dict[str, int] = defaultdict(int)
    for lot, line in resolved:
        wanted[lot.id] += line["qty"]
    for index, (lot, _line) in enumerate(resolved):
        available = available_to_take(session, outlet_id, lot.product_id, lot.id)
        if wanted[lot.id] > available:
            errors[index] = {"qty": [f"Lot {lot.lot_code} has only {available} on hand."]}
    if errors:
        raise DomainError("more than is on hand", errors={"lines": errors}, code=INSUFFICIENT_STOCK)
    today = business_time.today()
    note = SupplierReturn(
        number=f"RT-{today:%Y%m%d}-{next_counter(session, f'return:{today:%Y%m%d}'):03d}",
        outlet_id=outlet_id,
        supplier_id=supplier.id,
        collected_by=data["collected_by"],
        recorded_by=recorder_name,
        collected_at=utcnow(),
    )
    session.add(note)
    session.flush()
    returned: list[NewMovement] = []
    for lot, line in resolved:
        reason = line.get("reason") or "retur"
        session.add(
            SupplierReturnLine(
                return_id=note.id, product_id=lot.product_id, lot_id=lot.id, qty=line["qty"], reason=reason
            )
        )
        returned.append(
            (
                products[lot.product_id],
                -line["qty"],
                {
                    "kind": MovementKind.RETURN_TO_SUPPLIER,
                    "lot_id": lot.id,
                    "reason": reason,
                    "reference_id": note.id,
                    "recorded_by": actor,
                },
            )
        )
    post_movements(session, outlet_id, returned)
    session.flush()
    return note


def list_returns(session: Session, supplier_id: str | None = None) -> list[SupplierReturn]:
    query = select(SupplierReturn).order_by(SupplierReturn.collected_at.desc(), SupplierReturn.id)
    if supplier_id:
        query = query.where(SupplierReturn.supplier_id == supplier_id)
    return list(session.scalars(query))


def get_return(session: Session, return_id) -> tuple[SupplierReturn, list[dict], SupplierReplica | None]:
    note = get_or_404(session, SupplierReturn, return_id, what="return")
    rows = session.execute(
        select(SupplierReturnLine, Product, Lot)
        .join(Product, Product.id == SupplierReturnLine.product_id)
        .outerjoin(Lot, Lot.id == SupplierReturnLine.lot_id)
        .where(SupplierReturnLine.return_id == note.id)
        .order_by(Product.name, SupplierReturnLine.id)
    ).all()
    lines = [
        {
            "product_id": p.id,
            "sku": p.sku,
            "name": p.name,
            "lot_id": line.lot_id,
            "lot_code": lot.lot_code if lot else None,
            "expiry_date": lot.expiry_date if lot else None,
            "qty": line.qty,
            "reason": line.reason,
        }
        for line, p, lot in rows
    ]
    return note, lines, session.get(SupplierReplica, note.supplier_id)
