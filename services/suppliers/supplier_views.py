"""Read use cases behind a supplier's own pages: sales by product and day, stock at the centre, alerts, payouts.

Every function takes the supplier id it is scoped to; objects of another supplier are :class:`NotFound`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.suppliers import ledger, registry, rules
from services.suppliers.models import PayableItem, PayoutLine, PayoutLineStatus, Product, StockAlert, StockMovement
from shared.business_time import business_day
from shared.db import utcnow
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
    """Per product at the centre: on hand (Σ movements), sold (net of refunds), near-expiry lots flagged,
    and whether the goods are due for pickup (consignment period over while stock remains)."""
    now = utcnow()
    agreement = registry.current_agreement(session, supplier_id)
    consignment = timedelta(days=agreement.consignment_days if agreement else rules.DEFAULT_CONSIGNMENT_DAYS)
    rows: dict[str, dict] = defaultdict(
        lambda: {
            "on_hand": 0,
            "sold": 0,
            "near_expiry_lots": 0,
            "first_intake_at": None,
            "consignment_ended_alert": False,
        }
    )
    for pid, on_hand in session.execute(
        select(StockMovement.product_id, func.sum(StockMovement.qty))
        .where(StockMovement.supplier_id == supplier_id)
        .group_by(StockMovement.product_id)
    ):
        rows[pid]["on_hand"] = int(on_hand or 0)
    for pid, first_intake in session.execute(
        select(StockMovement.product_id, func.min(StockMovement.occurred_at))
        .where(StockMovement.supplier_id == supplier_id, StockMovement.kind == "intake")
        .group_by(StockMovement.product_id)
    ):
        rows[pid]["first_intake_at"] = first_intake
    for pid, sold in session.execute(
        select(PayableItem.product_id, func.sum(PayableItem.qty))
        .where(PayableItem.supplier_id == supplier_id, PayableItem.kind.in_(ledger.SALE_LINE_KINDS))
        .group_by(PayableItem.product_id)
    ):
        rows[pid]["sold"] = int(sold or 0)
    for pid, kind, lots in session.execute(
        select(
            StockAlert.product_id,
            StockAlert.kind,
            func.count(func.distinct(func.coalesce(StockAlert.lot_id, StockAlert.id))),
        )
        .where(StockAlert.supplier_id == supplier_id, StockAlert.kind.in_(("near_expiry", "consignment_ended")))
        .group_by(StockAlert.product_id, StockAlert.kind)
    ):
        if kind == "near_expiry":
            rows[pid]["near_expiry_lots"] = int(lots)
        else:
            rows[pid]["consignment_ended_alert"] = True
    names = dict(
        session.execute(select(Product.id, Product.name).where(Product.supplier_id == supplier_id)).tuples().all()
    )
    result = []
    for pid in sorted(rows, key=lambda p: names.get(p, p)):
        row = rows[pid]
        first_intake = row.pop("first_intake_at")
        period_over = first_intake is not None and first_intake + consignment <= now
        result.append(
            {
                "product_id": pid,
                "product_name": names.get(pid, ""),
                **row,
                "near_expiry": row["near_expiry_lots"] > 0,
                "due_for_pickup": row["on_hand"] > 0 and (row["consignment_ended_alert"] or period_over),
            }
        )
    return result


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
        "consignment_ended_alert": False,
        "near_expiry": False,
        "due_for_pickup": False,
    }


def alerts(session: Session, supplier_id: str) -> list[StockAlert]:
    return list(
        session.execute(
            select(StockAlert).where(StockAlert.supplier_id == supplier_id).order_by(StockAlert.raised_at.desc())
        ).scalars()
    )


def alert(session: Session, supplier_id: str, alert_id: str) -> StockAlert:
    found = session.get(StockAlert, str(alert_id))
    if found is None or found.supplier_id != supplier_id:
        raise NotFound(f"alert {alert_id} not found")
    return found


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
