"""Use case: refunding lines of a completed sale (manager approval, never more than sold minus refunded),
publishing ``sale.refunded``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.pos import approvals
from services.pos.errors import NO_OPEN_SHIFT, REFUND_EXCEEDS_SALE, SALE_IN_STATUS
from services.pos.models import (
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundLine,
    RefundMethod,
    RefundPayment,
    Sale,
    SaleStatus,
    Shift,
    ShiftStatus,
    messaging,
)
from services.pos.pricing import refund_amount
from shared.auth import Principal
from shared.config import Settings
from shared.db import new_id, utcnow
from shared.errors import Conflict, DomainError, NotFound


def _refunded_so_far(session: Session, sale_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """``({sale_line_id: qty refunded}, {payment_id: amount paid back})`` for a sale."""
    quantities = session.execute(
        select(RefundLine.sale_line_id, func.sum(RefundLine.qty))
        .join(Refund, Refund.id == RefundLine.refund_id)
        .where(Refund.sale_id == sale_id)
        .group_by(RefundLine.sale_line_id)
    ).tuples()
    paid_back = session.execute(
        select(RefundPayment.payment_id, func.sum(RefundPayment.amount))
        .join(Refund, Refund.id == RefundPayment.refund_id)
        .where(Refund.sale_id == sale_id, RefundPayment.payment_id.is_not(None))
        .group_by(RefundPayment.payment_id)
    ).tuples()
    return (
        {line_id: int(qty) for line_id, qty in quantities},
        {payment_id: int(amount) for payment_id, amount in paid_back if payment_id is not None},
    )


def _refund_shift(session: Session, caller: Principal, register_id: str | None) -> Shift | None:
    query = select(Shift).where(Shift.status == ShiftStatus.OPEN, Shift.cashier_id == caller.user_id)
    if register_id:
        query = query.where(Shift.register_id == str(register_id))
    return session.scalars(query.order_by(Shift.opened_at.desc())).first()


def _allocate_to_methods(
    sale: Sale, total: int, method: str, paid_back: dict[str, int]
) -> list[tuple[str | None, str, int]]:
    """``[(payment_id, method, amount)]``: all cash, or back over the sale's own payments in their order."""
    if method == RefundMethod.CASH:
        return [(None, PaymentMethod.CASH, total)]
    parts: list[tuple[str | None, str, int]] = []
    left = total
    for payment in sale.payments:
        if left == 0:
            break
        if payment.status != PaymentStatus.CONFIRMED:
            continue
        room = payment.amount - paid_back.get(payment.id, 0)
        if room > 0:
            take = min(room, left)
            parts.append((payment.id, payment.method, take))
            left -= take
    if left:
        parts.append((None, PaymentMethod.CASH, left))
    return parts


def refund(session: Session, settings: Settings, caller: Principal, data: dict) -> Refund:
    """Refund ``data['lines']`` of the sale with ``data['receipt_no']``.

    Each line may refund at most what was sold minus what was refunded before (422); amounts are the line's
    exact share (refunding every unit returns the line total). A manager approves (token or PIN; a manager
    caller approves themself) and the audit log keeps who and when. Cash paid back comes out of the caller's
    open shift, so a refund with cash needs one.
    """
    sale = session.scalar(select(Sale).where(Sale.receipt_no == data["receipt_no"]).with_for_update())
    if sale is None:
        raise NotFound(f"receipt {data['receipt_no']} not found")
    if sale.status != SaleStatus.COMPLETED:
        raise Conflict(f"The sale is {sale.status}.", code=SALE_IN_STATUS[sale.status])
    approver = approvals.required_approver(session, settings, caller, data.get("approval"), "refund", "A refund")
    lines_by_id = {line.id: line for line in sale.lines}
    refunded_qty, paid_back = _refunded_so_far(session, sale.id)
    errors, refund_lines, seen = {}, [], set()
    for index, item in enumerate(data["lines"]):
        line_id = str(item["sale_line_id"])
        line = lines_by_id.get(line_id)
        if line is None:
            errors[index] = {"sale_line_id": ["Not a line of this sale."]}
            continue
        if line_id in seen:
            errors[index] = {"sale_line_id": ["Listed twice."]}
            continue
        seen.add(line_id)
        already = refunded_qty.get(line_id, 0)
        if already + item["qty"] > line.qty:
            errors[index] = {"qty": [f"At most {line.qty - already} can still be refunded (sold {line.qty})."]}
            continue
        refund_lines.append((line, item["qty"], refund_amount(line.line_total, line.qty, already, item["qty"])))
    if errors:
        raise DomainError("A refund line is not valid.", errors={"lines": errors}, code=REFUND_EXCEEDS_SALE)
    total = sum(amount for _, _, amount in refund_lines)
    parts = _allocate_to_methods(sale, total, data["method"], paid_back)
    shift = _refund_shift(session, caller, data.get("register_id"))
    if shift is None and any(method == PaymentMethod.CASH and amount for _, method, amount in parts):
        raise Conflict(
            "Paying a refund in cash needs your open shift (the cash leaves its drawer).", code=NO_OPEN_SHIFT
        )
    now = utcnow()
    record = Refund(
        id=new_id(),
        sale_id=sale.id,
        receipt_no=sale.receipt_no,
        outlet_id=sale.outlet_id,
        shift_id=shift.id if shift else None,
        method=data["method"],
        reason=data["reason"],
        back_to_stock=data["back_to_stock"],
        total=total,
        refunded_by=caller.user_id,
        approved_by=approver.user_id,
        refunded_at=now,
    )
    record.lines = [
        RefundLine(
            id=new_id(),
            refund_id=record.id,
            sale_line_id=line.id,
            product_id=line.product_id,
            supplier_id=line.supplier_id,
            qty=qty,
            amount=amount,
        )
        for line, qty, amount in refund_lines
    ]
    record.payments = [
        RefundPayment(id=new_id(), refund_id=record.id, payment_id=payment_id, method=method, amount=amount)
        for payment_id, method, amount in parts
    ]
    session.add(record)
    session.flush()
    approvals.audit(
        session,
        "sale.refunded",
        caller,
        approver,
        "refund",
        record.id,
        {"receipt_no": sale.receipt_no, "total": total, "reason": data["reason"]},
    )
    messaging.record(
        session,
        "sale.refunded",
        {
            "refund_id": record.id,
            "sale_id": sale.id,
            "receipt_no": sale.receipt_no,
            "outlet_id": sale.outlet_id,
            "refunded_at": now,
            "back_to_stock": record.back_to_stock,
            "total": total,
            "lines": [
                {
                    "sale_line_id": line.sale_line_id,
                    "product_id": line.product_id,
                    "supplier_id": line.supplier_id,
                    "qty": line.qty,
                    "amount": line.amount,
                }
                for line in record.lines
            ],
        },
    )
    return record


def get_refund(session: Session, refund_id: str) -> Refund:
    """One refund with its lines and payments (404 when the till has none with this id)."""
    record = session.get(Refund, str(refund_id))
    if record is None:
        raise NotFound(f"refund {refund_id} not found")
    return record


def refunds_of_sale(session: Session, sale_id: str) -> list[Refund]:
    """Every refund of one sale, oldest first (none: an empty list, whether or not the sale exists)."""
    return list(
        session.scalars(select(Refund).where(Refund.sale_id == str(sale_id)).order_by(Refund.refunded_at, Refund.id))
    )


def refund_view(record: Refund) -> dict:
    return {
        "id": record.id,
        "sale_id": record.sale_id,
        "receipt_no": record.receipt_no,
        "shift_id": record.shift_id,
        "method": record.method,
        "reason": record.reason,
        "back_to_stock": record.back_to_stock,
        "total": record.total,
        "refunded_by": record.refunded_by,
        "approved_by": record.approved_by,
        "refunded_at": record.refunded_at.isoformat(),
        "lines": [
            {
                "id": line.id,
                "sale_line_id": line.sale_line_id,
                "product_id": line.product_id,
                "supplier_id": line.supplier_id,
                "qty": line.qty,
                "amount": line.amount,
            }
            for line in record.lines
        ],
        "payments": [{"method": p.method, "amount": p.amount, "payment_id": p.payment_id} for p in record.payments],
    }
