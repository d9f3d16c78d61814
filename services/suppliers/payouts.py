"""Use cases of payout runs: propose, hold/exclude, approve, export the bank file, mark paid or failed.

A proposed or approved line reserves its amount (it is not available to another run); marking it paid posts
the payout (supplier payable down, bank down) and emits ``payout.paid``; a failed transfer releases the
reservation, or, if it had been marked paid, is reversed by a new entry, so the amount is available again.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.suppliers import bank_files, errors, ledger, rules
from services.suppliers.models import (
    Agreement,
    AuditLog,
    PayableItem,
    PayableKind,
    PayoutLine,
    PayoutLineStatus,
    PayoutRun,
    PayoutRunStatus,
    PayoutSchedule,
    Supplier,
    messaging,
)
from shared.business_time import business_day, day_start
from shared.db import get_or_404, new_id, utcnow
from shared.errors import Conflict, DomainError, Forbidden, NotFound


# -- what is owed -----------------------------------------------------------------------------------------
def dues(session: Session, as_of: datetime | None = None) -> list[dict]:
    """Per supplier, with a few set-based queries: available at ``as_of``, the minimum payout and schedule of
    the terms now in force, the next due date, and the amount owed for more than 15 days (flagged)."""
    now = utcnow()
    as_of = min(as_of or now, now)
    overdue_before = now - rules.OVERDUE_AFTER
    suppliers = session.execute(select(Supplier).order_by(Supplier.business_name)).scalars().all()
    payable = ledger.payable_balances(session)
    sums = {
        supplier_id: (int(pending), int(matured_long_ago), int(debits), first_available)
        for supplier_id, pending, matured_long_ago, debits, first_available in session.execute(
            select(
                PayableItem.supplier_id,
                func.coalesce(
                    func.sum(
                        case(
                            (
                                PayableItem.kind.in_(ledger.SALE_LINE_KINDS) & (PayableItem.available_at > as_of),
                                PayableItem.amount,
                            ),
                            else_=0,
                        )
                    ),
                    0,
                ),
                func.coalesce(
                    func.sum(
                        case(
                            (
                                (PayableItem.amount > 0) & (PayableItem.available_at <= overdue_before),
                                PayableItem.amount,
                            ),
                            else_=0,
                        )
                    ),
                    0,
                ),
                func.coalesce(func.sum(case((PayableItem.amount < 0, -PayableItem.amount), else_=0)), 0),
                func.min(case((PayableItem.amount > 0, PayableItem.available_at))),
            ).group_by(PayableItem.supplier_id)
        )
    }
    reserved = dict(
        session.execute(
            select(PayoutLine.supplier_id, func.sum(PayoutLine.amount))
            .where(PayoutLine.status.in_(ledger.RESERVED_LINE_STATUSES))
            .group_by(PayoutLine.supplier_id)
        )
        .tuples()
        .all()
    )
    last_paid = dict(
        session.execute(
            select(PayoutLine.supplier_id, func.max(PayoutLine.paid_at))
            .where(PayoutLine.status == PayoutLineStatus.PAID)
            .group_by(PayoutLine.supplier_id)
        )
        .tuples()
        .all()
    )
    agreements = _agreements_in_force(session, now)
    result = []
    for supplier in suppliers:
        pending, matured_long_ago, debits, first_available = sums.get(supplier.id, (0, 0, 0, None))
        available = payable.get(supplier.id, 0) - pending - int(reserved.get(supplier.id, 0) or 0)
        overdue_amount = max(0, min(available + int(reserved.get(supplier.id, 0) or 0), matured_long_ago - debits))
        agreement = agreements.get(supplier.id)
        schedule = agreement.payout_schedule if agreement else PayoutSchedule.MONTHLY
        since = last_paid.get(supplier.id) or (_aware(first_available) if first_available else None)
        result.append(
            {
                "supplier_id": supplier.id,
                "business_name": supplier.business_name,
                "available": available,
                "minimum_payout": agreement.minimum_payout if agreement else 0,
                "payout_schedule": schedule,
                "due_date": rules.due_date(since, schedule) if available > 0 else None,
                "overdue_amount": overdue_amount,
                "overdue": overdue_amount > 0,
            }
        )
    return result


def _aware(value):
    if isinstance(value, str):  # SQLite returns MIN() over a CASE as text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _agreements_in_force(session: Session, moment: datetime) -> dict[str, Agreement]:
    """The agreement in force at ``moment`` for every supplier (the earliest one if none is in force yet)."""
    chosen: dict[str, Agreement] = {}
    for agreement in session.execute(
        select(Agreement).order_by(Agreement.supplier_id, Agreement.effective_from, Agreement.created_at)
    ).scalars():
        current = chosen.get(agreement.supplier_id)
        if current is None or agreement.effective_from <= moment:
            chosen[agreement.supplier_id] = agreement
    return chosen


# -- runs --------------------------------------------------------------------------------------------------
def create_run(session: Session, cutoff_date: date, actor: str) -> PayoutRun:
    """A draft run for ``cutoff_date``: one line per supplier whose money available by the end of that Jakarta
    day reaches their minimum payout (and is more than zero), with their bank details."""
    cutoff_end = day_start(cutoff_date + timedelta(days=1))
    run = PayoutRun(
        id=new_id(), cutoff_date=cutoff_date, status=PayoutRunStatus.DRAFT, created_by=actor, created_at=utcnow()
    )
    session.add(run)
    session.flush()
    banks = {s.id: s for s in session.execute(select(Supplier)).scalars()}
    for due in dues(session, as_of=cutoff_end):
        if due["available"] <= 0 or due["available"] < due["minimum_payout"]:
            continue
        supplier = banks[due["supplier_id"]]
        session.add(
            PayoutLine(
                id=new_id(),
                run_id=run.id,
                supplier_id=supplier.id,
                amount=due["available"],
                status=PayoutLineStatus.PROPOSED,
                bank_name=supplier.bank_name or "",
                bank_account_number=supplier.bank_account_number or "",
                bank_account_holder=supplier.bank_account_holder or "",
                due_date=due["due_date"],
                overdue_amount=due["overdue_amount"],
            )
        )
    _audit(session, actor, "payout_run.created", run.id, {"cutoff_date": cutoff_date.isoformat()})
    session.flush()
    return run


def list_runs(session: Session) -> list[PayoutRun]:
    return list(session.execute(select(PayoutRun).order_by(PayoutRun.created_at.desc())).scalars())


def run_lines(session: Session, run_id: str) -> list[PayoutLine]:
    return list(
        session.execute(
            select(PayoutLine)
            .where(PayoutLine.run_id == run_id)
            .order_by(PayoutLine.overdue_amount.desc(), PayoutLine.id)
        ).scalars()
    )


def _line(session: Session, run_id, line_id) -> tuple[PayoutRun, PayoutLine]:
    run = get_or_404(session, PayoutRun, run_id, lock=True, what="payout run")
    line = session.execute(
        select(PayoutLine).where(PayoutLine.id == str(line_id), PayoutLine.run_id == run.id).with_for_update()
    ).scalar_one_or_none()
    if line is None:
        raise NotFound(f"payout line {line_id} not found in run {run_id}")
    return run, line


def _require_draft(run: PayoutRun) -> None:
    if run.status != PayoutRunStatus.DRAFT:
        raise Conflict(f"payout run {run.id} is already {run.status}; only a draft can be changed")


def hold_line(session: Session, run_id, line_id, reason: str, actor: str) -> PayoutLine:
    run, line = _line(session, run_id, line_id)
    _require_draft(run)
    if line.status not in (PayoutLineStatus.PROPOSED, PayoutLineStatus.HELD):
        raise Conflict(f"a {line.status} line cannot be held")
    line.status, line.reason = PayoutLineStatus.HELD, reason
    _audit(session, actor, "payout_line.held", line.id, {"reason": reason})
    return line


def exclude_line(session: Session, run_id, line_id, reason: str, actor: str) -> PayoutLine:
    run, line = _line(session, run_id, line_id)
    _require_draft(run)
    if line.status not in (PayoutLineStatus.PROPOSED, PayoutLineStatus.HELD, PayoutLineStatus.EXCLUDED):
        raise Conflict(f"a {line.status} line cannot be excluded")
    line.status, line.reason = PayoutLineStatus.EXCLUDED, reason
    _audit(session, actor, "payout_line.excluded", line.id, {"reason": reason})
    return line


def release_line(session: Session, run_id, line_id, actor: str) -> PayoutLine:
    """A held line goes back into the run, if its amount is still available."""
    run, line = _line(session, run_id, line_id)
    _require_draft(run)
    if line.status != PayoutLineStatus.HELD:
        raise Conflict(f"only a held line can be released (this one is {line.status})")
    _require_available(session, line, line.amount)
    line.status, line.reason = PayoutLineStatus.PROPOSED, None
    _audit(session, actor, "payout_line.released", line.id, {})
    return line


def change_line_amount(session: Session, run_id, line_id, amount: int, actor: str) -> PayoutLine:
    """Pay less (or, up to what is available, more) than proposed; never more than available."""
    run, line = _line(session, run_id, line_id)
    _require_draft(run)
    if line.status != PayoutLineStatus.PROPOSED:
        raise Conflict(f"the amount of a {line.status} line cannot be changed")
    if amount < 1:
        raise DomainError("a payout must be at least Rp1", errors={"amount": ["Must be at least 1."]})
    _require_available(session, line, amount)
    _audit(session, actor, "payout_line.amount_changed", line.id, {"from": line.amount, "to": amount})
    line.amount = amount
    return line


def _require_available(session: Session, line: PayoutLine, amount: int) -> int:
    _lock_supplier(session, line.supplier_id)
    available = ledger.available_amount(session, line.supplier_id, exclude_line_id=line.id)
    if amount > available:
        raise DomainError(
            f"{amount} is more than the {available} available to supplier {line.supplier_id}",
            errors={"amount": [f"More than available ({available})."]},
            code=errors.MORE_THAN_AVAILABLE,
        )
    return available


def _lock_supplier(session: Session, supplier_id: str) -> None:
    """Serialise money movements of one supplier (row lock on PostgreSQL; SQLite already holds the write lock)."""
    session.execute(select(Supplier.id).where(Supplier.id == supplier_id).with_for_update()).first()


def approve_run(session: Session, run_id, actor: str) -> PayoutRun:
    """Approve a draft run: its proposed lines become payable. Four-eyes where money leaves: the manager who
    created the run may not approve it (403 ``approver_is_creator``), another manager must."""
    run = get_or_404(session, PayoutRun, run_id, lock=True, what="payout run")
    _require_draft(run)
    if rules.same_person(run.created_by, actor):
        raise Forbidden(
            f"payout run {run.id} was created by {actor}; another manager must approve it",
            code=errors.APPROVER_IS_CREATOR,
        )
    for line in run_lines(session, run.id):
        if line.status == PayoutLineStatus.PROPOSED:
            line.status = PayoutLineStatus.APPROVED
    run.status, run.approved_by, run.approved_at = PayoutRunStatus.APPROVED, actor, utcnow()
    _audit(session, actor, "payout_run.approved", run.id, {})
    return run


def run_transfers(session: Session, run_id) -> list[bank_files.Transfer]:
    """The transfers of an approved run (its approved and paid lines), for its bank files."""
    run = get_or_404(session, PayoutRun, run_id, what="payout run")
    if run.status != PayoutRunStatus.APPROVED:
        raise Conflict(f"payout run {run.id} is not approved; there is no bank file yet")
    names = dict(session.execute(select(Supplier.id, Supplier.business_name)).tuples().all())
    return [
        bank_files.Transfer(
            bank_name=line.bank_name,
            account_number=line.bank_account_number,
            account_holder=line.bank_account_holder,
            amount=line.amount,
            reference=transfer_reference(run, line),
            supplier=names.get(line.supplier_id, ""),
            line_id=line.id,
        )
        for line in run_lines(session, run.id)
        if line.status in (PayoutLineStatus.APPROVED, PayoutLineStatus.PAID)
    ]


def bank_file(session: Session, run_id, file_format: str, options: bank_files.FileOptions) -> str:
    """The bank file of an approved run in ``file_format`` (see :mod:`services.suppliers.bank_files`)."""
    return bank_files.render(file_format, run_transfers(session, run_id), options)


def bank_file_csv(session: Session, run_id) -> str:
    return bank_file(session, run_id, "csv", bank_files.FileOptions(value_date=business_day(utcnow())))


def transfer_reference(run: PayoutRun, line: PayoutLine) -> str:
    return f"SENTRA-{run.cutoff_date:%Y%m%d}-{line.id[:8].upper()}"


def mark_paid(session: Session, run_id, line_id, reference: str, actor: str) -> PayoutLine:
    """The transfer went through: post the payout and emit ``payout.paid`` (once; the same reference again is
    a no-op, a different one a conflict)."""
    run, line = _line(session, run_id, line_id)
    if run.status != PayoutRunStatus.APPROVED:
        raise Conflict(f"payout run {run.id} is not approved; approve it before paying")
    if line.status == PayoutLineStatus.PAID:
        if line.reference == reference:
            return line
        raise Conflict(f"payout line {line.id} was already paid with reference {line.reference}")
    if line.status != PayoutLineStatus.APPROVED:
        raise Conflict(f"a {line.status} line cannot be paid")
    available = _require_available(session, line, line.amount)
    now = utcnow()
    entry = ledger.post_entry(
        session,
        source_type="payout",
        source_id=line.id,
        description=f"Pembayaran {reference}",
        occurred_at=now,
        legs=[ledger.Leg(ledger.payable_account(line.supplier_id), line.amount), ledger.Leg(ledger.BANK, -line.amount)],
    )
    if entry is None:
        raise Conflict(f"payout line {line.id} is in the journal already")
    ledger.add_payable_item(
        session,
        entry,
        dedupe_key=f"payout:{line.id}",
        supplier_id=line.supplier_id,
        kind=PayableKind.PAYOUT,
        source_id=line.id,
        reference=reference,
        amount=-line.amount,
        occurred_at=now,
        available_at=now,
    )
    line.status, line.reference, line.paid_at, line.paid_by, line.available_before = (
        PayoutLineStatus.PAID,
        reference,
        now,
        actor,
        available,
    )
    _audit(session, actor, "payout_line.paid", line.id, {"reference": reference, "amount": line.amount})
    session.flush()
    messaging.record(
        session,
        "payout.paid",
        {
            "payout_id": line.id,
            "run_id": run.id,
            "supplier_id": line.supplier_id,
            "amount": line.amount,
            "reference": reference,
            "paid_at": now,
        },
    )
    return line


def mark_failed(session: Session, run_id, line_id, reason: str, actor: str) -> PayoutLine:
    """The transfer failed: the amount becomes available again (reversed by a new entry if it was posted)."""
    run, line = _line(session, run_id, line_id)
    if run.status != PayoutRunStatus.APPROVED:
        raise Conflict(f"payout run {run.id} is not approved; nothing was sent to the bank")
    if line.status not in (PayoutLineStatus.APPROVED, PayoutLineStatus.PAID):
        raise Conflict(f"a {line.status} line cannot fail")
    now = utcnow()
    if line.status == PayoutLineStatus.PAID:
        entry = ledger.post_entry(
            session,
            source_type="payout_failed",
            source_id=line.id,
            description=f"Transfer gagal {line.reference}: {reason}",
            occurred_at=now,
            legs=[
                ledger.Leg(ledger.BANK, line.amount),
                ledger.Leg(ledger.payable_account(line.supplier_id), -line.amount),
            ],
        )
        if entry is None:
            raise Conflict(f"the failure of payout line {line.id} is in the journal already")
        ledger.add_payable_item(
            session,
            entry,
            dedupe_key=f"payout_failed:{line.id}",
            supplier_id=line.supplier_id,
            kind=PayableKind.PAYOUT_FAILED,
            source_id=line.id,
            reference=line.reference or "",
            amount=line.amount,
            occurred_at=now,
            available_at=now,
        )
    line.status, line.reason, line.failed_at = PayoutLineStatus.FAILED, reason, now
    _audit(session, actor, "payout_line.failed", line.id, {"reason": reason})
    session.flush()
    return line


def _audit(session: Session, actor: str, action: str, object_id: str, detail: dict) -> None:
    session.add(
        AuditLog(
            id=new_id(),
            actor=actor,
            action=action,
            object_id=object_id,
            detail=json.dumps(detail, default=str),
            at=utcnow(),
        )
    )
