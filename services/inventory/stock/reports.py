"""The per-supplier stock report: what was there, received, sold and left in a period, with sell-through and
days on hand (the arithmetic is in :mod:`services.inventory.rules`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.inventory import rules
from services.inventory.models import Movement, MovementKind, SupplierReplica
from shared.business_time import day_bounds


def supplier_stock_report(session: Session, start: date, end: date) -> list[dict]:
    """Per supplier with stock movements until ``end``: units on hand at the start of ``start`` (Jakarta day),
    received, sold (net of refunds back to stock) in ``start``..``end``, on hand at its end; sell-through (basis
    points) and days on hand; best sell-through first."""
    lower, upper = day_bounds(start)[0], day_bounds(end)[1]
    in_period = (Movement.occurred_at >= lower) & (Movement.occurred_at < upper)
    rows = session.execute(
        select(
            Movement.supplier_id,
            func.coalesce(func.sum(case((Movement.occurred_at < lower, Movement.qty), else_=0)), 0),
            func.coalesce(
                func.sum(case((in_period & (Movement.kind == MovementKind.INTAKE), Movement.qty), else_=0)), 0
            ),
            func.coalesce(
                func.sum(
                    case(
                        (in_period & Movement.kind.in_([MovementKind.SALE, MovementKind.REFUND]), -Movement.qty),
                        else_=0,
                    )
                ),
                0,
            ),
            func.coalesce(func.sum(case((Movement.occurred_at < upper, Movement.qty), else_=0)), 0),
        )
        .where(Movement.occurred_at < upper)
        .group_by(Movement.supplier_id)
    ).all()
    names = dict(session.execute(select(SupplierReplica.id, SupplierReplica.name)).tuples().all())
    days = (end - start).days + 1
    report = [
        {
            "supplier_id": supplier_id,
            "supplier_name": names.get(supplier_id),
            "opening": int(opening),
            "received": int(received),
            "sold": int(sold),
            "closing": int(closing),
            "sell_through_bps": rules.sell_through_bps(int(sold), int(opening), int(received)),
            "days_on_hand": rules.days_on_hand(int(closing), int(sold), days),
        }
        for supplier_id, opening, received, sold, closing in rows
    ]
    return sorted(report, key=lambda r: (-(r["sell_through_bps"] or -1), r["supplier_name"] or ""))
