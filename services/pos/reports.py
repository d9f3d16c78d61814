"""Use cases: the daily sales report and the reconciliation feeds the suppliers service reads."""

from __future__ import annotations

import base64
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from services.pos import report_rules
from services.pos.models import CatalogueSupplier, Payment, PaymentStatus, Refund, Sale, SaleLine, SaleStatus
from shared.business_time import day_bounds, to_wib
from shared.errors import DomainError

TOP_PRODUCTS = 10


def daily_report(session: Session, day: date, outlet_id: str | None = None) -> dict:
    """Completed sales of one Jakarta business day: totals, by payment method, cashier, hour (WIB), category and
    supplier, the top products, and the refunds made that day."""
    return {"date": day.isoformat(), **sales_report(session, day, day, "day", outlet_id)}


def sales_report(
    session: Session, start: date, end: date, granularity: str = "day", outlet_id: str | None = None
) -> dict:
    """Completed sales of the Jakarta business days ``start``..``end`` (both included; the API bounds it): totals,
    by day / week / month (``granularity``, every bucket, zero where nothing sold), payment method, cashier,
    hour (WIB), category and supplier, the top products, and the refunds made in the period."""
    of_day = (Sale.status == SaleStatus.COMPLETED) & (Sale.business_day >= start) & (Sale.business_day <= end)
    if outlet_id:
        of_day = of_day & (Sale.outlet_id == str(outlet_id))
    count, gross, discounts, net, ppn = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Sale.subtotal), 0),
            func.coalesce(func.sum(Sale.discount_total), 0),
            func.coalesce(func.sum(Sale.total), 0),
            func.coalesce(func.sum(Sale.ppn), 0),
        ).where(of_day)
    ).one()
    by_method = [
        {"method": m, "count": int(c), "amount": int(a)}
        for m, c, a in session.execute(
            select(Payment.method, func.count(), func.sum(Payment.amount))
            .join(Sale, Sale.id == Payment.sale_id)
            .where(of_day, Payment.status == PaymentStatus.CONFIRMED)
            .group_by(Payment.method)
            .order_by(Payment.method)
        )
    ]
    by_cashier = [
        {"cashier_id": cid, "cashier_name": name, "count": int(c), "total": int(t)}
        for cid, name, c, t in session.execute(
            select(Sale.cashier_id, Sale.cashier_name, func.count(), func.sum(Sale.total))
            .where(of_day)
            .group_by(Sale.cashier_id, Sale.cashier_name)
            .order_by(Sale.cashier_id)
        )
    ]
    hours: dict[int, dict] = {}
    for completed_at, total in session.execute(select(Sale.completed_at, Sale.total).where(of_day)):
        bucket = hours.setdefault(to_wib(completed_at).hour, {"count": 0, "total": 0})
        bucket["count"] += 1
        bucket["total"] += total
    line_of_day = select(SaleLine).join(Sale, Sale.id == SaleLine.sale_id).where(of_day).subquery()
    by_category = [
        {"category": cat, "qty": int(q), "total": int(t)}
        for cat, q, t in session.execute(
            select(line_of_day.c.category, func.sum(line_of_day.c.qty), func.sum(line_of_day.c.line_total))
            .group_by(line_of_day.c.category)
            .order_by(func.sum(line_of_day.c.line_total).desc())
        )
    ]
    by_supplier = [
        {"supplier_id": sid, "supplier_name": name, "qty": int(q), "total": int(t)}
        for sid, name, q, t in session.execute(
            select(
                line_of_day.c.supplier_id,
                CatalogueSupplier.name,
                func.sum(line_of_day.c.qty),
                func.sum(line_of_day.c.line_total),
            )
            .outerjoin(CatalogueSupplier, CatalogueSupplier.supplier_id == line_of_day.c.supplier_id)
            .group_by(line_of_day.c.supplier_id, CatalogueSupplier.name)
            .order_by(func.sum(line_of_day.c.line_total).desc())
        )
    ]
    top = [
        {"product_id": pid, "name": name, "qty": int(q), "total": int(t)}
        for pid, name, q, t in session.execute(
            select(
                line_of_day.c.product_id,
                func.max(line_of_day.c.name),
                func.sum(line_of_day.c.qty),
                func.sum(line_of_day.c.line_total),
            )
            .group_by(line_of_day.c.product_id)
            .order_by(func.sum(line_of_day.c.qty).desc(), func.sum(line_of_day.c.line_total).desc())
            .limit(TOP_PRODUCTS)
        )
    ]
    by_day = [
        (business_day, int(count), int(total))
        for business_day, count, total in session.execute(
            select(Sale.business_day, func.count(), func.sum(Sale.total)).where(of_day).group_by(Sale.business_day)
        )
        if business_day is not None
    ]
    lower, upper = day_bounds(start)[0], day_bounds(end)[1]
    refund_count, refund_total = session.execute(
        select(func.count(), func.coalesce(func.sum(Refund.total), 0)).where(
            Refund.refunded_at >= lower, Refund.refunded_at < upper
        )
    ).one()
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "granularity": granularity,
        "by_period": report_rules.totals_by_bucket(by_day, start, end, granularity),
        "sales": {
            "count": int(count),
            "gross": int(gross),
            "discounts": int(discounts),
            "net": int(net),
            "ppn": int(ppn),
        },
        "refunds": {"count": int(refund_count), "total": int(refund_total)},
        "by_payment_method": by_method,
        "by_cashier": by_cashier,
        "by_hour": [{"hour": h, **hours[h]} for h in sorted(hours)],
        "by_category": by_category,
        "by_supplier": by_supplier,
        "top_products": top,
    }


# -- reconciliation feeds (keyset-paginated) ------------------------------------------------------------------


def encode_cursor(moment: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        moment, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(moment), row_id
    except Exception:
        raise DomainError("The cursor is not valid.", errors={"cursor": ["Not a cursor from this API."]}) from None


def _page(query, time_column, id_column, cursor: str | None, limit: int):
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        query = query.where(or_(time_column > after_time, and_(time_column == after_time, id_column > after_id)))
    return query.order_by(time_column, id_column).limit(limit + 1)


def reconciliation_sales(session: Session, start: datetime, end: datetime, cursor: str | None, limit: int):
    """Completed sales with ``start <= completed_at < end``: ``(items, next_cursor or None)``."""
    query = select(Sale).where(Sale.status == SaleStatus.COMPLETED, Sale.completed_at >= start, Sale.completed_at < end)
    sales = list(session.scalars(_page(query, Sale.completed_at, Sale.id, cursor, limit)))
    more = len(sales) > limit
    sales = sales[:limit]
    items = [
        {
            "sale_id": s.id,
            "receipt_no": s.receipt_no,
            "outlet_id": s.outlet_id,
            "completed_at": s.completed_at.isoformat(),
            "total": s.total,
            "lines": [
                {
                    "line_id": line.id,
                    "product_id": line.product_id,
                    "supplier_id": line.supplier_id,
                    "qty": line.qty,
                    "unit_price": line.unit_price,
                    "discount": line.line_discount + line.sale_discount_share,
                    "line_total": line.line_total,
                }
                for line in s.lines
            ],
        }
        for s in sales
    ]
    return items, (encode_cursor(sales[-1].completed_at, sales[-1].id) if more else None)


def reconciliation_refunds(session: Session, start: datetime, end: datetime, cursor: str | None, limit: int):
    """Refunds with ``start <= refunded_at < end``: ``(items, next_cursor or None)``."""
    query = select(Refund).where(Refund.refunded_at >= start, Refund.refunded_at < end)
    refunds = list(session.scalars(_page(query, Refund.refunded_at, Refund.id, cursor, limit)))
    more = len(refunds) > limit
    refunds = refunds[:limit]
    items = [
        {
            "refund_id": r.id,
            "sale_id": r.sale_id,
            "receipt_no": r.receipt_no,
            "refunded_at": r.refunded_at.isoformat(),
            "back_to_stock": r.back_to_stock,
            "total": r.total,
            "lines": [
                {
                    "line_id": line.sale_line_id,
                    "sale_line_id": line.sale_line_id,
                    "product_id": line.product_id,
                    "supplier_id": line.supplier_id,
                    "qty": line.qty,
                    "amount": line.amount,
                    "line_total": line.amount,
                }
                for line in r.lines
            ],
        }
        for r in refunds
    ]
    return items, (encode_cursor(refunds[-1].refunded_at, refunds[-1].id) if more else None)
