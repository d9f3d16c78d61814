"""The stock ledger: locks on products' stock rows, movements and on-hand.

A product's on-hand at an outlet is its lots' on-hand plus the units it holds outside any lot (:data:`ON_HAND`):
a movement moves its lot, or (without a lot) the stock row's ``unallocated``, never both."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session

from services.inventory import rules
from services.inventory.models import (
    AlertKind,
    Lot,
    Movement,
    MovementKind,
    Product,
    ProductFacts,
    ProductStock,
    messaging,
)
from services.inventory.stock.alerts import raise_alert, resolve_alerts
from shared.db import execute_on_driver, insert_many, insert_or_skip_many, new_id, table_of, utcnow
from shared.events import MOVEMENTS_PER_EVENT

_stock = table_of(ProductStock)
_lots = table_of(Lot)
_movements = table_of(Movement)
#: The statements of every posting, built once (SQLAlchemy neither rebuilds them nor derives their cache key again).
_LOCK_STOCK_ROWS = (
    select(_stock.c.product_id)
    .where(
        _stock.c.outlet_id == bindparam("outlet_id"), _stock.c.product_id.in_(bindparam("product_ids", expanding=True))
    )
    .order_by(_stock.c.product_id)
    .with_for_update()
)
#: A product's on-hand at an outlet, for a query over ``product_stock``: its unallocated units plus its lots'.
ON_HAND = (
    _stock.c.unallocated
    + select(func.coalesce(func.sum(_lots.c.on_hand), 0))
    .where(_lots.c.product_id == _stock.c.product_id, _lots.c.outlet_id == _stock.c.outlet_id)
    .scalar_subquery()
).label("on_hand")
_ON_HAND_OF = select(_stock.c.product_id, ON_HAND).where(
    _stock.c.outlet_id == bindparam("outlet_id"), _stock.c.product_id.in_(bindparam("product_ids", expanding=True))
)
_MOVE_LOT = update(_lots).where(_lots.c.id == bindparam("b_lot")).values(on_hand=_lots.c.on_hand + bindparam("b_qty"))
#: :data:`_MOVE_LOT` for all the lots a batch moves, in one statement on PostgreSQL (an array of lot ids and one of
#: quantities; the stock locks the caller holds order it against any other change to those lots).
_MOVE_LOTS_POSTGRESQL = text(
    "UPDATE lots SET on_hand = lots.on_hand + moved.qty"
    " FROM unnest(CAST(:lot_ids AS VARCHAR(36)[]), CAST(:qtys AS INTEGER[])) AS moved(id, qty)"
    " WHERE lots.id = moved.id"
)
_MOVE_UNALLOCATED = (
    update(_stock)
    .where(_stock.c.product_id == bindparam("b_product"), _stock.c.outlet_id == bindparam("b_outlet"))
    .values(unallocated=_stock.c.unallocated + bindparam("b_qty"))
)


def lock_stock(session: Session, outlet_id: str, product_ids) -> None:
    """Make sure each product has a stock row at ``outlet_id`` (one multi-row insert-or-skip) and lock those rows
    in a fixed (id) order (one ``SELECT … FOR UPDATE``)."""
    ids = sorted({str(p) for p in product_ids})
    if not ids:
        return
    insert_or_skip_many(
        session,
        _stock,
        [
            {"product_id": product_id, "outlet_id": outlet_id, "unallocated": 0, "flagged_for_count": False}
            for product_id in ids
        ],
        "product_id",
    )
    session.execute(_LOCK_STOCK_ROWS, {"outlet_id": outlet_id, "product_ids": ids}).all()


def on_hand(session: Session, outlet_id: str, product_id: str) -> int:
    return (
        session.execute(
            select(ON_HAND).where(_stock.c.outlet_id == outlet_id, _stock.c.product_id == product_id)
        ).scalar_one_or_none()
        or 0
    )


def lot_balances(session: Session, outlet_id: str, product_id: str) -> list[rules.LotBalance]:
    """The product's lots at the outlet that still hold stock (read after :func:`lock_stock`)."""
    return lots_with_stock(session, outlet_id, [product_id]).get(product_id, [])


def lots_with_stock(session: Session, outlet_id: str, product_ids) -> dict[str, list[rules.LotBalance]]:
    """The lots at the outlet that still hold stock, per product, in one query (read after :func:`lock_stock`)."""
    rows = session.execute(
        select(_lots.c.id, _lots.c.product_id, _lots.c.on_hand, _lots.c.expiry_date, _lots.c.received_on).where(
            _lots.c.outlet_id == outlet_id, _lots.c.product_id.in_({str(p) for p in product_ids}), _lots.c.on_hand > 0
        )
    ).all()
    lots: dict[str, list[rules.LotBalance]] = {}
    for r in rows:
        lots.setdefault(r.product_id, []).append(rules.LotBalance(r.id, r.on_hand, r.expiry_date, r.received_on))
    return lots


#: A movement to post: the product, the signed quantity and the movement's other fields (``kind``, ``lot_id``,
#: ``occurred_at``, ``unit_price``, ``reason``, ``borne_by``, ``reference_id``, ``line_reference``, ``recorded_by``).
NewMovement = tuple[ProductFacts, int, dict]
_MOVEMENT_FIELDS = (
    "lot_id",
    "occurred_at",
    "unit_price",
    "reason",
    "borne_by",
    "reference_id",
    "line_reference",
    "recorded_by",
)
_STOCK_MOVED_FIELDS = (
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


def post_movement(
    session: Session,
    product: Product,
    outlet_id: str,
    kind: MovementKind,
    qty: int,
    **fields,
) -> dict:
    """Append one movement and move the lot's and product's on-hand with it (:func:`post_movements` with one)."""
    return post_movements(session, outlet_id, [(product, qty, {"kind": kind, **fields})])[0]


def post_movements(session: Session, outlet_id: str, new_movements: list[NewMovement]) -> list[dict]:
    """Append movements in order and move the lots' and products' on-hand with them (the caller holds the stock
    locks): one statement per table for all of them — the movements, the lots, the stock rows of what moved
    outside any lot, and one
    ``stock.moved`` event carrying every movement (split past ``MOVEMENTS_PER_EVENT``) — then the alerts that
    follow from each new on-hand. Returns the movements, each with its ``on_hand_after``."""
    if any(qty == 0 for _, qty, _ in new_movements):
        raise ValueError("a movement moves something")
    if not new_movements:
        return []
    now = utcnow()
    product_ids = {product.id for product, _, _ in new_movements}
    on_hand = dict(
        session.execute(_ON_HAND_OF, {"outlet_id": outlet_id, "product_ids": sorted(product_ids)}).tuples().all()
    )
    movements: list[dict] = []
    lot_moves: dict[str, int] = {}
    unallocated_moves: dict[str, int] = {}
    for product, qty, fields in new_movements:
        movement = {name: fields.get(name) for name in _MOVEMENT_FIELDS}
        movement.update(
            id=new_id(),
            outlet_id=outlet_id,
            product_id=product.id,
            supplier_id=product.supplier_id,
            kind=fields["kind"],
            qty=qty,
            occurred_at=fields.get("occurred_at") or now,
            recorded_at=now,
        )
        if movement["unit_price"] is None:
            movement["unit_price"] = product.price
        on_hand[product.id] += qty
        movement["on_hand_after"] = on_hand[product.id]
        movements.append(movement)
        if movement["lot_id"] is not None:
            lot_moves[movement["lot_id"]] = lot_moves.get(movement["lot_id"], 0) + qty
        else:
            unallocated_moves[product.id] = unallocated_moves.get(product.id, 0) + qty
    insert_many(
        session.connection(), _movements, [{k: v for k, v in m.items() if k != "on_hand_after"} for m in movements]
    )
    if lot_moves:
        moves = sorted(lot_moves.items())
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            lot_ids, qtys = [lot_id for lot_id, _ in moves], [qty for _, qty in moves]
            execute_on_driver(connection, _MOVE_LOTS_POSTGRESQL, {"lot_ids": lot_ids, "qtys": qtys})
        else:
            connection.execute(_MOVE_LOT, [{"b_lot": lot_id, "b_qty": qty} for lot_id, qty in moves])
    if unallocated_moves:
        session.execute(
            _MOVE_UNALLOCATED,
            [
                {"b_product": product_id, "b_outlet": outlet_id, "b_qty": qty}
                for product_id, qty in sorted(unallocated_moves.items())
            ],
        )
    moved = [
        {**{k: m[k] for k in _STOCK_MOVED_FIELDS}, "movement_id": m["id"], "on_hand_after": m["on_hand_after"]}
        for m in movements
    ]
    messaging.record_many(
        session,
        "stock.moved",
        [{"movements": moved[i : i + MOVEMENTS_PER_EVENT]} for i in range(0, len(moved), MOVEMENTS_PER_EVENT)],
    )
    for (product, qty, _), movement in zip(new_movements, movements, strict=True):
        _after_movement(session, product, outlet_id, qty, movement["on_hand_after"])
    return movements


def _after_movement(session: Session, product: ProductFacts, outlet_id: str, qty: int, after: int) -> None:
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
    """Take ``qty`` units out first-expiry-first-out; what the lots lack comes from unallocated stock
    (:func:`take_fefo_many` with one)."""
    return take_fefo_many(session, outlet_id, [(product, qty, {"kind": kind, **movement})])


def take_fefo_many(session: Session, outlet_id: str, takes: list[NewMovement]) -> list[dict]:
    """Take each ``(product, qty, fields)`` out first-expiry-first-out (:func:`fefo_moves`), the movements
    posted together (:func:`post_movements`). The caller holds the stock locks."""
    return post_movements(session, outlet_id, fefo_moves(session, outlet_id, takes))


def fefo_moves(session: Session, outlet_id: str, takes: list[NewMovement]) -> list[NewMovement]:
    """The movements that take each ``(product, qty, fields)`` out first-expiry-first-out, in order (a later
    take of the same product finds the lots as the earlier left them), with the lots of all the products read
    in one query; what the lots lack comes from unallocated stock. Nothing is posted yet."""
    lots = lots_with_stock(session, outlet_id, {product.id for product, _, _ in takes})
    moves: list[NewMovement] = []
    for product, qty, fields in takes:
        balances = lots.get(product.id, [])
        allocation = rules.allocate_fefo(qty, balances)
        taken = dict(allocation)
        lots[product.id] = [replace(lot, on_hand=lot.on_hand - taken.get(lot.lot_id, 0)) for lot in balances]
        moves += [(product, -units, {**fields, "lot_id": lot_id}) for lot_id, units in allocation]
    return moves


def available_to_take(session: Session, outlet_id: str, product_id: str, lot_id: str | None) -> int:
    if lot_id is None:
        return max(on_hand(session, outlet_id, product_id), 0)
    return max(session.execute(select(_lots.c.on_hand).where(_lots.c.id == lot_id)).scalar_one(), 0)
