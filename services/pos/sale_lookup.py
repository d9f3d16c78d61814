"""Use case: finding sales at the counter — one by its receipt number (to refund it), or the completed sales of
a shift (to reprint a receipt), each line with the quantity already refunded."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.pos.checkout import sale_view
from services.pos.models import Refund, RefundLine, Sale, SaleStatus, Shift
from shared.auth import Principal
from shared.db import get_or_404
from shared.errors import NotFound

#: The most sales a shift listing answers (newest first).
SHIFT_SALES_LIMIT = 200


def _with_refunded(session: Session, sales: list[Sale]) -> list[dict]:
    """Each sale's view, every line with ``refunded_qty`` (what earlier refunds took back)."""
    refunded: dict[str, int] = {}
    if sales:
        rows = session.execute(
            select(RefundLine.sale_line_id, func.sum(RefundLine.qty))
            .join(Refund, Refund.id == RefundLine.refund_id)
            .where(Refund.sale_id.in_([sale.id for sale in sales]))
            .group_by(RefundLine.sale_line_id)
        ).tuples()
        refunded = {line_id: int(qty) for line_id, qty in rows}
    views = []
    for sale in sales:
        view = sale_view(sale)
        for line in view["lines"]:
            line["refunded_qty"] = refunded.get(line["id"], 0)
        views.append(view)
    return views


def find_sales(session: Session, caller: Principal, receipt_no: str | None, shift_id: str | None) -> list[dict]:
    """The sale with ``receipt_no`` (any cashier's: refunds need a manager's approval anyway), or the completed
    sales of ``shift_id`` newest first (only the shift's own cashier or staff; another's answers 404)."""
    if receipt_no:
        sale = session.scalar(select(Sale).where(Sale.receipt_no == receipt_no.strip()))
        return _with_refunded(session, [sale] if sale is not None else [])
    shift = get_or_404(session, Shift, str(shift_id), what="shift")
    if shift.cashier_id != caller.user_id and not caller.is_staff:
        raise NotFound(f"shift {shift_id} not found")
    sales = session.scalars(
        select(Sale)
        .where(Sale.shift_id == shift.id, Sale.status == SaleStatus.COMPLETED)
        .order_by(Sale.completed_at.desc())
        .limit(SHIFT_SALES_LIMIT)
    ).all()
    return _with_refunded(session, list(sales))
