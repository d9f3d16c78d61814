"""The stock ledger: locks on products' stock rows, movements and on-hand."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.inventory import rules
from services.inventory.models import AlertKind, Lot, Movement, MovementKind, Product, ProductStock, messaging
from services.inventory.stock.alerts import raise_alert, resolve_alerts
from shared.db import insert_or_skip, new_id, table_of, utcnow

_stock = table_of(ProductStock)
_lots = table_of(Lot)
_movements = table_of(Movement)


def lock_stock(session: Session, outlet_id: str, product_ids) -> None:
    """Make sure each product has a stock row at ``outlet_id`` and lock those rows in a fixed (id) order."""
    ids = sorted({str(p) for p in product_ids})
    for product_id in ids:
        insert_or_skip(
            session,
            _stock,
            {"product_id": product_id, "outlet_id": outlet_id, "on_hand": 0, "flagged_for_count": False},
        )
    if ids:
        session.execute(
            select(_stock.c.product_id)
            .where(_stock.c.outlet_id == outlet_id, _stock.c.product_id.in_(ids))
            .order_by(_stock.c.product_id)
            .with_for_update()
        ).all()


def on_hand(session: Session, outlet_id: str, product_id: str) -> int:
    return (
        session.execute(
            select(_stock.c.on_hand).where(_stock.c.outlet_id == outlet_id, _stock.c.product_id == product_id)
        ).scalar_one_or_none()
        or 0
    )


def lot_balances(session: Session, outlet_id: str, product_id: str) -> list[rules.LotBalance]:
    """The product's lots at the outlet that still hold stock (read after :func:`lock_stock`)."""
    rows = session.execute(
        select(_lots.c.id, _lots.c.on_hand, _lots.c.expiry_date, _lots.c.received_on).where(
            _lots.c.outlet_id == outlet_id, _lots.c.product_id == product_id, _lots.c.on_hand > 0
        )
    ).all()
    return [rules.LotBalance(r.id, r.on_hand, r.expiry_date, r.received_on) for r in rows]


def post_movement(
    session: Session,
    product: Product,
    outlet_id: str,
    kind: MovementKind,
    qty: int,
    *,
    lot_id: str | None = None,
    occurred_at: datetime | None = None,
    unit_price: int | None = None,
    reason: str | None = None,
    borne_by: str | None = None,
    reference_id: str | None = None,
    line_reference: str | None = None,
    recorded_by: str | None = None,
) -> dict:
    """Append one movement and move the lot's and product's on-hand with it (caller holds the stock lock)."""
    if qty == 0:
        raise ValueError("a movement moves something")
    occurred_at = occurred_at or utcnow()
    movement = {
        "id": new_id(),
        "outlet_id": outlet_id,
        "product_id": product.id,
        "supplier_id": product.supplier_id,
        "lot_id": lot_id,
        "kind": kind,
        "qty": qty,
        "unit_price": product.price if unit_price is None else unit_price,
        "reason": reason,
        "borne_by": borne_by,
        "reference_id": reference_id,
        "line_reference": line_reference,
        "recorded_by": recorded_by,
        "occurred_at": occurred_at,
        "recorded_at": utcnow(),
    }
    session.execute(_movements.insert().values(**movement))
    if lot_id is not None:
        session.execute(update(_lots).where(_lots.c.id == lot_id).values(on_hand=_lots.c.on_hand + qty))
    after = session.execute(
        update(_stock)
        .where(_stock.c.product_id == product.id, _stock.c.outlet_id == outlet_id)
        .values(on_hand=_stock.c.on_hand + qty)
        .returning(_stock.c.on_hand)
    ).scalar_one()
    messaging.record(
        session,
        "stock.moved",
        {
            **{
                k: movement[k]
                for k in (
                    "outlet_id",
                    "product_id",
                    "supplier_id",
                    "lot_id",
                    "kind",
                    "qty",
                    "unit_price",
                    "reason",
                    "borne_by",
                    "reference_id",
                    "occurred_at",
                )
            },
            "movement_id": movement["id"],
            "on_hand_after": after,
        },
    )
    _after_movement(session, product, outlet_id, qty, after)
    movement["on_hand_after"] = after
    return movement


def _after_movement(session: Session, product: Product, outlet_id: str, qty: int, after: int) -> None:
    """Alerts that follow from a new on-hand: negative (flag for a count), low stock, or back above both."""
    if after < 0:
        set_count_flag(session, outlet_id, product.id, True)
        raise_alert(
            session,
            product,
            outlet_id,
            AlertKind.NEGATIVE_ON_HAND,
            f"{product.name}: on hand is {after}; the shelf needs a count",
        )
    elif qty < 0 and product.reorder_point > 0 and after <= product.reorder_point:
        raise_alert(
            session,
            product,
            outlet_id,
            AlertKind.LOW_STOCK,
            f"{product.name}: {after} left (reorder point {product.reorder_point})",
        )
    if qty > 0 and after > product.reorder_point:
        resolve_alerts(session, product.id, outlet_id, AlertKind.LOW_STOCK)


def set_count_flag(session: Session, outlet_id: str, product_id: str, flagged: bool) -> None:
    """Flag the product's shelf for a count (on-hand went negative) or clear the flag (a count was approved)."""
    session.execute(
        update(_stock)
        .where(_stock.c.product_id == product_id, _stock.c.outlet_id == outlet_id)
        .values(flagged_for_count=flagged)
    )


def take_fefo(
    session: Session, product: Product, outlet_id: str, kind: MovementKind, qty: int, **movement
) -> list[dict]:
    """Take ``qty`` units out first-expiry-first-out; what the lots lack comes from unallocated stock."""
    allocation = rules.allocate_fefo(qty, lot_balances(session, outlet_id, product.id))
    return [
        post_movement(session, product, outlet_id, kind, -units, lot_id=lot_id, **movement)
        for lot_id, units in allocation
    ]


def available_to_take(session: Session, outlet_id: str, product_id: str, lot_id: str | None) -> int:
    if lot_id is None:
        return max(on_hand(session, outlet_id, product_id), 0)
    return max(session.execute(select(_lots.c.on_hand).where(_lots.c.id == lot_id)).scalar_one(), 0)
