"""Read use cases behind a supplier's own pages: sales by product and day, stock at the centre, alerts, payouts.

Every function takes the supplier id it is scoped to; objects of another supplier are :class:`NotFound`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.suppliers import ledger, registry, rules
from services.suppliers.models import Lot, PayableItem, PayoutLine, PayoutLineStatus, Product, StockAlert, StockMovement
from shared.business_time import business_day
from shared.business_time import today as business_today
from shared.errors import NotFound

#: A supplier sees its payout lines once a manager approved them (proposals, holds and exclusions stay internal).
VISIBLE_PAYOUT_STATUSES = (PayoutLineStatus.APPROVED, PayoutLineStatus.PAID, PayoutLineStatus.FAILED)


def sales_by_product_and_day(
    session: Session, supplier_id: str, start: date, end: date, product_id: str | None = None
) -> list[dict]:
    """Net quantities and amounts (sales minus refunds) per product and Jakarta day in ``[start, end]``."""
    lower, upper = rules.period_bounds(start, end)
    query = (
        select(
            PayableItem.product_id,
            PayableItem.product_name,
            PayableItem.occurred_at,
            PayableItem.qty,
            PayableItem.gross,
            PayableItem.commission,
            PayableItem.amount,
        )
        .where(
            PayableItem.supplier_id == supplier_id,
            PayableItem.kind.in_(ledger.SALE_LINE_KINDS),
            PayableItem.occurred_at >= lower,
            PayableItem.occurred_at < upper,
        )
        .execution_options(yield_per=2000)
    )
    if product_id:
        require_own_product(session, supplier_id, product_id)
        query = query.where(PayableItem.product_id == product_id)
    totals: dict[tuple, dict] = {}
    for pid, name, occurred_at, qty, gross, commission, share in session.execute(query):
        key = (business_day(occurred_at), pid)
        row = totals.setdefault(
            key,
            {"day": key[0], "product_id": pid, "product_name": name, "qty": 0, "gross": 0, "commission": 0, "share": 0},
        )
        row["qty"] += qty
        row["gross"] += gross
        row["commission"] += commission
        row["share"] += share
    return [totals[key] for key in sorted(totals, key=lambda k: (k[0], k[1] or ""))]


def require_own_product(session: Session, supplier_id: str, product_id: str) -> None:
    """A product id the supplier may ask about: one of its own (by inventory's copy or its own history)."""
    owner = session.execute(select(Product.supplier_id).where(Product.id == product_id)).scalar_one_or_none()
    if owner == supplier_id:
        return
    if owner is None:
        for model in (PayableItem, StockMovement):
            if session.execute(
                select(model.id).where(model.supplier_id == supplier_id, model.product_id == product_id).limit(1)
            ).first():
                return
    raise NotFound(f"product {product_id} not found")


def stock_by_product(session: Session, supplier_id: str) -> list[dict]:
    """Per product at the centre: on hand (Σ movements) lot by lot (code, expiry, day received where
    ``lot.received`` told them), sold (net of refunds), near-expiry lots, and whether some of it is due for
    pickup (:func:`pickups_due`)."""
    lots = _lots(session, supplier_id)
    sold_by_product = {
        pid: int(sold or 0)
        for pid, sold in session.execute(
            select(PayableItem.product_id, func.sum(PayableItem.qty))
            .where(PayableItem.supplier_id == supplier_id, PayableItem.kind.in_(ledger.SALE_LINE_KINDS))
            .group_by(PayableItem.product_id)
        )
        if pid is not None
    }
    near_expiry: dict[str, set] = defaultdict(set)
    for pid, lot_key in session.execute(
        select(StockAlert.product_id, func.coalesce(StockAlert.lot_id, StockAlert.id)).where(
            StockAlert.supplier_id == supplier_id, StockAlert.kind == rules.NEAR_EXPIRY
        )
    ):
        near_expiry[pid].add(lot_key)
    by_product: dict[str, list[dict]] = defaultdict(list)
    for lot in lots:
        by_product[lot["product_id"]].append(lot)
        if lot["lot_id"] and any(reason == rules.NEAR_EXPIRY for reason, _ in lot["pickup"]):
            near_expiry[lot["product_id"]].add(lot["lot_id"])  # a lot without an id is near expiry by its alerts
    names = _product_names(session, supplier_id)
    result = []
    for pid in sorted(set(by_product) | set(sold_by_product) | set(near_expiry), key=lambda p: names.get(p, p)):
        product_lots = by_product.get(pid, [])
        result.append(
            {
                "product_id": pid,
                "product_name": names.get(pid, ""),
                "on_hand": sum(lot["on_hand"] for lot in product_lots),
                "sold": sold_by_product.get(pid, 0),
                "near_expiry": bool(near_expiry[pid]),
                "near_expiry_lots": len(near_expiry[pid]),
                "due_for_pickup": any(lot["pickup"] for lot in product_lots),
                "lots": [
                    {key: lot[key] for key in ("lot_id", "lot_code", "expiry_date", "received_on", "on_hand")}
                    for lot in product_lots
                    if lot["on_hand"] != 0
                ],
            }
        )
    return result


def pickups_due(session: Session, supplier_id: str) -> list[dict]:
    """What the supplier should take back, lot by lot: why (near expiry, consignment ended), how many and from
    which day (:func:`rules.pickup_reasons`), soonest first."""
    names = _product_names(session, supplier_id)
    rows = [
        {
            "product_id": lot["product_id"],
            "product_name": names.get(lot["product_id"], ""),
            "lot_id": lot["lot_id"],
            "lot_code": lot["lot_code"],
            "expiry_date": lot["expiry_date"],
            "qty": lot["on_hand"],
            "reason": reason,
            "due_on": due_on,
        }
        for lot in _lots(session, supplier_id)
        for reason, due_on in lot["pickup"]
    ]
    return sorted(rows, key=lambda r: (r["due_on"] is None, r["due_on"] or date.min, r["product_name"], r["reason"]))


def _lots(session: Session, supplier_id: str) -> list[dict]:
    """Every lot of the supplier's that has moved: on hand, code, expiry, day received and pickup reasons.

    Movements without a lot count as one lot of their product (``lot_id`` ``None``). A lot not announced by
    ``lot.received`` (received before the event existed) has no code or expiry; its first intake movement gives
    the day it was received."""
    today = business_today()
    agreement = registry.current_agreement(session, supplier_id)
    consignment_days = agreement.consignment_days if agreement else rules.DEFAULT_CONSIGNMENT_DAYS
    on_hand = session.execute(
        select(StockMovement.product_id, StockMovement.lot_id, func.sum(StockMovement.qty))
        .where(StockMovement.supplier_id == supplier_id)
        .group_by(StockMovement.product_id, StockMovement.lot_id)
    ).all()
    first_intake = {
        (pid, lot_id): first
        for pid, lot_id, first in session.execute(
            select(StockMovement.product_id, StockMovement.lot_id, func.min(StockMovement.occurred_at))
            .where(StockMovement.supplier_id == supplier_id, StockMovement.kind == "intake")
            .group_by(StockMovement.product_id, StockMovement.lot_id)
        )
    }
    known = {lot.id: lot for lot in session.scalars(select(Lot).where(Lot.supplier_id == supplier_id))}
    alerted: dict[tuple, set[str]] = defaultdict(set)
    for pid, lot_id, kind in session.execute(
        select(StockAlert.product_id, StockAlert.lot_id, StockAlert.kind).where(
            StockAlert.supplier_id == supplier_id,
            StockAlert.kind.in_((rules.NEAR_EXPIRY, rules.CONSIGNMENT_ENDED)),
        )
    ):
        alerted[(pid, lot_id)].add(kind)
    result = []
    for pid, lot_id, qty in on_hand:
        lot = known.get(lot_id) if lot_id else None
        first = first_intake.get((pid, lot_id))
        received_on = lot.received_on if lot else (business_day(first) if first else None)
        expiry_date = lot.expiry_date if lot else None
        qty = int(qty or 0)
        result.append(
            {
                "product_id": pid,
                "lot_id": lot_id,
                "lot_code": lot.lot_code if lot else None,
                "expiry_date": expiry_date,
                "received_on": received_on,
                "on_hand": qty,
                "pickup": rules.pickup_reasons(
                    qty, expiry_date, received_on, consignment_days, today, frozenset(alerted[(pid, lot_id)])
                ),
            }
        )
    return sorted(
        result,
        key=lambda lot: (
            lot["expiry_date"] is None,
            lot["expiry_date"] or date.min,
            lot["lot_code"] or "",
            lot["lot_id"] or "",
        ),
    )


def _product_names(session: Session, supplier_id: str) -> dict[str, str]:
    return dict(
        session.execute(select(Product.id, Product.name).where(Product.supplier_id == supplier_id)).tuples().all()
    )


def product_stock(session: Session, supplier_id: str, product_id: str) -> dict:
    require_own_product(session, supplier_id, product_id)
    for row in stock_by_product(session, supplier_id):
        if row["product_id"] == str(product_id):
            return row
    name = session.execute(select(Product.name).where(Product.id == product_id)).scalar_one_or_none() or ""
    return {
        "product_id": product_id,
        "product_name": name,
        "on_hand": 0,
        "sold": 0,
        "near_expiry_lots": 0,
        "near_expiry": False,
        "due_for_pickup": False,
        "lots": [],
    }


def alerts(session: Session, supplier_id: str) -> list[dict]:
    """The supplier's stock alerts, newest first, each with its product's name and its lot's code and expiry
    where known (:func:`alert`)."""
    found = session.scalars(
        select(StockAlert)
        .where(StockAlert.supplier_id == supplier_id)
        .order_by(StockAlert.raised_at.desc(), StockAlert.id)
    ).all()
    names = _product_names(session, supplier_id)
    lots = {lot.id: lot for lot in session.scalars(select(Lot).where(Lot.supplier_id == supplier_id))}
    return [_alert_dict(a, names, lots) for a in found]


def alert(session: Session, supplier_id: str, alert_id: str) -> dict:
    """One alert of the supplier's with its product's name and its lot's code and expiry."""
    found = session.get(StockAlert, str(alert_id))
    if found is None or found.supplier_id != supplier_id:
        raise NotFound(f"alert {alert_id} not found")
    lot = session.get(Lot, found.lot_id) if found.lot_id else None
    return _alert_dict(found, _product_names(session, supplier_id), {lot.id: lot} if lot else {})


def _alert_dict(found: StockAlert, names: dict[str, str], lots: dict[str, Lot]) -> dict:
    lot = lots.get(found.lot_id) if found.lot_id else None
    return {
        "id": found.id,
        "product_id": found.product_id,
        "product_name": names.get(found.product_id, ""),
        "lot_id": found.lot_id,
        "lot_code": lot.lot_code if lot else None,
        "expiry_date": lot.expiry_date if lot else None,
        "kind": found.kind,
        "message": found.message,
        "raised_at": found.raised_at,
    }


def payouts(session: Session, supplier_id: str) -> list[PayoutLine]:
    """The supplier's payouts that left the proposal stage (approved, paid or failed)."""
    return list(
        session.execute(
            select(PayoutLine)
            .where(PayoutLine.supplier_id == supplier_id, PayoutLine.status.in_(VISIBLE_PAYOUT_STATUSES))
            .order_by(PayoutLine.paid_at, PayoutLine.id)
        ).scalars()
    )


def payout(session: Session, supplier_id: str, payout_id: str) -> PayoutLine:
    found = session.get(PayoutLine, str(payout_id))
    if found is None or found.supplier_id != supplier_id or found.status not in VISIBLE_PAYOUT_STATUSES:
        raise NotFound(f"payout {payout_id} not found")
    return found
