"""Use cases: registers, shifts, cash movements, X and Z reports."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.pos.errors import REGISTER_CODE_TAKEN, SALES_PENDING, SHIFT_ALREADY_OPEN, SHIFT_CLOSED, SHIFT_OPEN
from services.pos.models import (
    CashMovement,
    CashMovementKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundPayment,
    Register,
    Sale,
    SaleStatus,
    Shift,
    ShiftStatus,
)
from shared.auth import Principal
from shared.db import get_or_404, new_id, utcnow
from shared.errors import Conflict, NotFound


def create_register(session: Session, data: dict, outlet_id: str) -> Register:
    outlet_id = str(data.get("outlet_id") or outlet_id)
    taken = session.scalar(select(Register.id).where(Register.outlet_id == outlet_id, Register.code == data["code"]))
    if taken:
        raise Conflict(
            f"Register {data['code']} already exists at this outlet.",
            code=REGISTER_CODE_TAKEN,
            errors={"code": ["Already used at this outlet."]},
        )
    register = Register(id=new_id(), outlet_id=outlet_id, code=data["code"], name=data["name"], created_at=utcnow())
    session.add(register)
    session.flush()
    return register


def list_registers(session: Session, outlet_id: str | None = None) -> list[Register]:
    query = select(Register).order_by(Register.code)
    if outlet_id:
        query = query.where(Register.outlet_id == str(outlet_id))
    return list(session.scalars(query))


def open_shift(session: Session, cashier: Principal, register_id: str, opening_float: int) -> Shift:
    """Open a shift; the database's unique ``open_register_id`` keeps it to one open shift per register."""
    register = get_or_404(session, Register, register_id, what="register")
    if session.scalar(select(Shift.id).where(Shift.open_register_id == register.id)):
        raise Conflict("This register already has an open shift.", code=SHIFT_ALREADY_OPEN)
    shift = Shift(
        id=new_id(),
        outlet_id=register.outlet_id,
        register_id=register.id,
        open_register_id=register.id,
        cashier_id=cashier.user_id,
        cashier_name=cashier.name,
        status=ShiftStatus.OPEN,
        opened_at=utcnow(),
        opening_float=opening_float,
    )
    session.add(shift)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("This register already has an open shift.", code=SHIFT_ALREADY_OPEN) from None
    return shift


def get_shift(session: Session, shift_id: str, lock: bool = False) -> Shift:
    return get_or_404(session, Shift, shift_id, lock=lock, what="shift")


def _own_shift(shift: Shift, caller: Principal) -> None:
    if shift.cashier_id != caller.user_id and not caller.is_staff:
        raise NotFound(f"shift {shift.id} not found")


def current_shift(session: Session, register_id: str) -> Shift | None:
    """The open shift of the register, or ``None`` when none is open (an everyday state, not an error)."""
    return session.scalar(select(Shift).where(Shift.open_register_id == str(register_id)))


def add_cash_movement(session: Session, shift_id: str, caller: Principal, data: dict) -> CashMovement:
    shift = get_shift(session, shift_id, lock=True)
    _own_shift(shift, caller)
    if shift.status != ShiftStatus.OPEN:
        raise Conflict("The shift is closed.", code=SHIFT_CLOSED)
    movement = CashMovement(
        id=new_id(),
        shift_id=shift.id,
        kind=data["kind"],
        amount=data["amount"],
        reason=data["reason"],
        created_by=caller.user_id,
        created_at=utcnow(),
    )
    session.add(movement)
    session.flush()
    return movement


def shift_figures(session: Session, shift: Shift) -> dict:
    """The shift's sales, discounts, payments by method, refunds, cash movements and expected cash, summed in SQL.

    Expected cash = opening float + cash taken on completed sales (amount, change already given back)
    + cash in − cash out − cash paid back on refunds made in this shift.
    """
    completed = (Sale.shift_id == shift.id) & (Sale.status == SaleStatus.COMPLETED)
    count, subtotal, discounts, total, ppn = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Sale.subtotal), 0),
            func.coalesce(func.sum(Sale.discount_total), 0),
            func.coalesce(func.sum(Sale.total), 0),
            func.coalesce(func.sum(Sale.ppn), 0),
        ).where(completed)
    ).one()
    pending = session.execute(
        select(func.count()).where(Sale.shift_id == shift.id, Sale.status == SaleStatus.PENDING_PAYMENT)
    ).scalar_one()
    voided = session.execute(
        select(func.count()).where(Sale.shift_id == shift.id, Sale.status == SaleStatus.VOIDED)
    ).scalar_one()
    by_method = {method.value: 0 for method in PaymentMethod}
    for method, amount in session.execute(
        select(Payment.method, func.sum(Payment.amount))
        .join(Sale, Sale.id == Payment.sale_id)
        .where(completed, Payment.status == PaymentStatus.CONFIRMED)
        .group_by(Payment.method)
    ):
        by_method[method] = int(amount)
    refund_count, refund_total = session.execute(
        select(func.count(), func.coalesce(func.sum(Refund.total), 0)).where(Refund.shift_id == shift.id)
    ).one()
    refunds_by_method = {method.value: 0 for method in PaymentMethod}
    for method, amount in session.execute(
        select(RefundPayment.method, func.sum(RefundPayment.amount))
        .join(Refund, Refund.id == RefundPayment.refund_id)
        .where(Refund.shift_id == shift.id)
        .group_by(RefundPayment.method)
    ):
        refunds_by_method[method] = int(amount)
    movements = list(
        session.scalars(select(CashMovement).where(CashMovement.shift_id == shift.id).order_by(CashMovement.created_at))
    )
    cash_in = sum(m.amount for m in movements if m.kind == CashMovementKind.IN)
    cash_out = sum(m.amount for m in movements if m.kind == CashMovementKind.OUT)
    expected = (
        shift.opening_float + by_method[PaymentMethod.CASH] + cash_in - cash_out - refunds_by_method[PaymentMethod.CASH]
    )
    return {
        "shift_id": shift.id,
        "register_id": shift.register_id,
        "cashier_id": shift.cashier_id,
        "cashier_name": shift.cashier_name,
        "status": shift.status,
        "opened_at": shift.opened_at.isoformat(),
        "closed_at": shift.closed_at.isoformat() if shift.closed_at else None,
        "opening_float": shift.opening_float,
        "sales": {
            "count": int(count),
            "gross": int(subtotal),
            "discounts": int(discounts),
            "net": int(total),
            "ppn": int(ppn),
            "pending": int(pending),
            "voided": int(voided),
        },
        "payments_by_method": by_method,
        "refunds": {"count": int(refund_count), "total": int(refund_total), "by_method": refunds_by_method},
        "cash_movements": {
            "in": cash_in,
            "out": cash_out,
            "items": [
                {
                    "id": m.id,
                    "kind": m.kind,
                    "amount": m.amount,
                    "reason": m.reason,
                    "created_at": m.created_at.isoformat(),
                    "created_by": m.created_by,
                }
                for m in movements
            ],
        },
        "expected_cash": expected,
    }


def x_report(session: Session, shift_id: str, caller: Principal) -> dict:
    shift = get_shift(session, shift_id)
    _own_shift(shift, caller)
    return shift_figures(session, shift)


def close_shift(session: Session, shift_id: str, caller: Principal, counted_cash: int) -> dict:
    """Close the shift with the counted cash: the Z report (expected cash, variance, …) is kept with it."""
    shift = get_shift(session, shift_id, lock=True)
    _own_shift(shift, caller)
    if shift.status != ShiftStatus.OPEN:
        raise Conflict("The shift is already closed.", code=SHIFT_CLOSED)
    figures = shift_figures(session, shift)
    if figures["sales"]["pending"]:
        raise Conflict(
            "Sales of this shift still wait for payment: confirm, switch or void them first.", code=SALES_PENDING
        )
    shift.status = ShiftStatus.CLOSED
    shift.open_register_id = None
    shift.closed_at = utcnow()
    shift.counted_cash = counted_cash
    figures.update(
        status=ShiftStatus.CLOSED,
        closed_at=shift.closed_at.isoformat(),
        counted_cash=counted_cash,
        variance=counted_cash - figures["expected_cash"],
    )
    shift.z_report = json.dumps(figures)
    session.flush()
    return figures


def z_report(session: Session, shift_id: str, caller: Principal) -> dict:
    shift = get_shift(session, shift_id)
    _own_shift(shift, caller)
    if shift.z_report is None:
        raise Conflict(
            "The shift is still open: its Z report is made when it closes (see the X report).", code=SHIFT_OPEN
        )
    return json.loads(shift.z_report)
