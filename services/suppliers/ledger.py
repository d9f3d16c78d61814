"""The double-entry journal: posting balanced entries, balances derived from postings, and the invariants.

Accounts (credit-normal balance = Σ credit − Σ debit):
``supplier_payable:<id>`` what the centre owes a supplier; ``commission_revenue`` the centre's income;
``sales_clearing`` money taken at the tills (debit-normal, so its balance is negative); ``shrinkage_expense``
losses the centre bears (debit-normal); ``bank`` money paid out (credit when paying).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, text, update
from sqlalchemy.orm import Session

from services.suppliers.models import (
    Account,
    AccountBalance,
    JournalEntry,
    LedgerSource,
    PayableItem,
    PayableKind,
    PayoutLine,
    PayoutLineStatus,
    Posting,
)
from shared.db import insert_or_skip, new_id, table_of, utcnow

COMMISSION_REVENUE = "commission_revenue"
SALES_CLEARING = "sales_clearing"
SHRINKAGE_EXPENSE = "shrinkage_expense"
BANK = "bank"
CENTRE_ACCOUNTS = {
    COMMISSION_REVENUE: "revenue",
    SALES_CLEARING: "clearing",
    SHRINKAGE_EXPENSE: "expense",
    BANK: "asset",
}
#: Open payout lines whose amount is reserved (not available for another run).
RESERVED_LINE_STATUSES = (PayoutLineStatus.PROPOSED, PayoutLineStatus.APPROVED)
#: Payable items of sale lines (a refund line reverses part of a sale line).
SALE_LINE_KINDS = (PayableKind.SALE, PayableKind.REFUND)
#: Payable items of money paid out (a failed payout gives it back).
PAYOUT_KINDS = (PayableKind.PAYOUT, PayableKind.PAYOUT_FAILED)


def payable_account(supplier_id: str) -> str:
    return f"supplier_payable:{supplier_id}"


@dataclass(frozen=True)
class Leg:
    """One posting of an entry before it is written: positive ``amount`` = debit, negative = credit."""

    account: str
    amount: int


class UnbalancedEntry(ValueError):
    pass


def claim_source(session: Session, source_key: str) -> bool:
    """Insert-or-skip the natural key of a business fact; ``True`` the first time (post it now)."""
    return insert_or_skip(
        session.connection(), table_of(LedgerSource), {"source_key": source_key, "recorded_at": utcnow()}
    )


def post_entry(
    session: Session,
    *,
    source_type: str,
    source_id: str,
    description: str,
    occurred_at: datetime,
    legs: list[Leg],
) -> JournalEntry:
    """Write one immutable, balanced journal entry and move the derived balances in the same transaction.

    Legs on the same account are netted; zero legs are dropped. Balances are updated in a fixed (sorted)
    account order so concurrent postings never deadlock.
    """
    net: dict[str, int] = {}
    for leg in legs:
        if isinstance(leg.amount, bool) or not isinstance(leg.amount, int):
            raise TypeError("ledger amounts are integer rupiah")
        net[leg.account] = net.get(leg.account, 0) + leg.amount
    if sum(net.values()) != 0:
        raise UnbalancedEntry(f"entry for {source_type}:{source_id} does not balance: {net}")
    entry = JournalEntry(
        id=new_id(),
        source_type=source_type,
        source_id=str(source_id),
        description=description[:300],
        occurred_at=occurred_at,
        posted_at=utcnow(),
    )
    session.add(entry)
    session.flush()
    for account in sorted(code for code, amount in net.items() if amount != 0):
        amount = net[account]
        if not _move_balance(session, account, -amount):
            _open_account(session, account)
            _move_balance(session, account, -amount)
        session.add(
            Posting(
                entry_id=entry.id,
                account_code=account,
                debit=amount if amount > 0 else 0,
                credit=-amount if amount < 0 else 0,
            )
        )
    session.flush()
    return entry


def _move_balance(session: Session, code: str, delta: int) -> bool:
    """Add ``delta`` to the account's derived balance; ``False`` when the account has none yet (never posted).

    A Core statement on the session's connection: no autoflush of the entry's pending postings (their account
    may not exist yet) and no ORM bookkeeping on a statement run for every leg of every posting.
    """
    table = table_of(AccountBalance)
    return (
        session.connection()
        .execute(
            update(table)
            .where(table.c.account_code == code)
            .values(balance=table.c.balance + delta)
            .returning(table.c.account_code)
        )
        .first()
        is not None
    )


def _open_account(session: Session, code: str) -> None:
    """Create the account and its zero balance (insert-or-skip: a concurrent posting may open it too)."""
    if code.startswith("supplier_payable:"):
        kind, supplier_id = "supplier_payable", code.split(":", 1)[1]
    else:
        kind, supplier_id = CENTRE_ACCOUNTS[code], None
    insert_or_skip(session.connection(), table_of(Account), {"code": code, "kind": kind, "supplier_id": supplier_id})
    insert_or_skip(session.connection(), table_of(AccountBalance), {"account_code": code, "balance": 0})


def add_payable_item(session: Session, entry: JournalEntry, **fields) -> PayableItem:
    item = PayableItem(id=new_id(), entry_id=entry.id, **fields)
    session.add(item)
    return item


# -- balances --------------------------------------------------------------------------------------------
def payable_balance(session: Session, supplier_id: str) -> int:
    """What the centre owes the supplier now, from the derived balance table."""
    value = session.execute(
        select(AccountBalance.balance).where(AccountBalance.account_code == payable_account(supplier_id))
    ).scalar_one_or_none()
    return value or 0


def pending_amount(session: Session, supplier_id: str, as_of: datetime) -> int:
    """Sale shares (net of their refunds) still inside the holdback window at ``as_of``."""
    value = session.execute(
        select(func.coalesce(func.sum(PayableItem.amount), 0)).where(
            PayableItem.supplier_id == supplier_id,
            PayableItem.kind.in_(SALE_LINE_KINDS),
            PayableItem.available_at > as_of,
        )
    ).scalar_one()
    return int(value)


def reserved_amount(session: Session, supplier_id: str, exclude_line_id: str | None = None) -> int:
    """Amounts in payout lines that are proposed or approved but not yet paid."""
    query = select(func.coalesce(func.sum(PayoutLine.amount), 0)).where(
        PayoutLine.supplier_id == supplier_id, PayoutLine.status.in_(RESERVED_LINE_STATUSES)
    )
    if exclude_line_id:
        query = query.where(PayoutLine.id != exclude_line_id)
    return int(session.execute(query).scalar_one())


def available_amount(
    session: Session, supplier_id: str, as_of: datetime | None = None, exclude_line_id: str | None = None
) -> int:
    """Payable now: the balance minus what is pending and what open payout lines already reserve."""
    as_of = as_of or utcnow()
    return (
        payable_balance(session, supplier_id)
        - pending_amount(session, supplier_id, as_of)
        - reserved_amount(session, supplier_id, exclude_line_id)
    )


def balance_summary(session: Session, supplier_id: str) -> dict:
    """``{supplier_id, pending, available, paid, lifetime_sales, reserved, payable}`` in integer rupiah."""
    now = utcnow()
    sums = session.execute(
        select(
            func.coalesce(func.sum(case((PayableItem.kind.in_(PAYOUT_KINDS), -PayableItem.amount), else_=0)), 0),
            func.coalesce(func.sum(case((PayableItem.kind.in_(SALE_LINE_KINDS), PayableItem.gross), else_=0)), 0),
        ).where(PayableItem.supplier_id == supplier_id)
    ).one()
    payable = payable_balance(session, supplier_id)
    pending = pending_amount(session, supplier_id, now)
    reserved = reserved_amount(session, supplier_id)
    return {
        "supplier_id": supplier_id,
        "pending": pending,
        "available": payable - pending - reserved,
        "reserved": reserved,
        "payable": payable,
        "paid": int(sums[0]),
        "lifetime_sales": int(sums[1]),
    }


# -- invariants -----------------------------------------------------------------------------------------
def check_invariants(session: Session) -> dict:
    """Recompute from the postings: every entry balances, every balance equals its postings, every supplier's
    detail equals its payable postings, and no payout exceeded what was available when it was paid.

    Three scans in all (postings by entry, postings by account, payable detail by supplier); on PostgreSQL the
    transaction gets enough ``work_mem`` for the per-entry hash aggregate to stay in memory.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '128MB'"))
    unbalanced = [
        {"entry_id": entry_id, "debit": int(debit), "credit": int(credit)}
        for entry_id, debit, credit in session.execute(
            select(Posting.entry_id, func.sum(Posting.debit), func.sum(Posting.credit))
            .group_by(Posting.entry_id)
            .having(func.sum(Posting.debit) != func.sum(Posting.credit))
        )
    ]
    per_account = session.execute(
        select(Posting.account_code, func.sum(Posting.debit), func.sum(Posting.credit)).group_by(Posting.account_code)
    ).all()
    total_debit = sum(int(debit) for _, debit, _ in per_account)
    total_credit = sum(int(credit) for _, _, credit in per_account)
    from_postings = {code: int(credit) - int(debit) for code, debit, credit in per_account}
    stored = dict(session.execute(select(AccountBalance.account_code, AccountBalance.balance)).tuples().all())
    balance_mismatches = [
        {"account": code, "stored": int(stored.get(code, 0)), "from_postings": from_postings.get(code, 0)}
        for code in sorted(set(stored) | set(from_postings))
        if int(stored.get(code, 0)) != from_postings.get(code, 0)
    ]
    split_differs = case(
        (
            PayableItem.kind.in_(SALE_LINE_KINDS) & (PayableItem.amount + PayableItem.commission != PayableItem.gross),
            1,
        ),
        else_=0,
    )
    detail, split_errors = {}, 0
    for supplier_id, amount, differs in session.execute(
        select(PayableItem.supplier_id, func.sum(PayableItem.amount), func.sum(split_differs)).group_by(
            PayableItem.supplier_id
        )
    ):
        detail[supplier_id] = int(amount)
        split_errors += int(differs or 0)
    payable_suppliers = {code.split(":", 1)[1] for code in from_postings if code.startswith("supplier_payable:")}
    detail_mismatches = [
        {
            "supplier_id": supplier_id,
            "detail": detail.get(supplier_id, 0),
            "from_postings": from_postings.get(payable_account(supplier_id), 0),
        }
        for supplier_id in sorted(set(detail) | payable_suppliers)
        if detail.get(supplier_id, 0) != from_postings.get(payable_account(supplier_id), 0)
    ]
    overdrawn = _payouts_exceeding_available(session)
    return {
        "ok": not (unbalanced or balance_mismatches or detail_mismatches or overdrawn or split_errors)
        and total_debit == total_credit,
        "total_debit": total_debit,
        "total_credit": total_credit,
        "unbalanced_entries": unbalanced,
        "balance_mismatches": balance_mismatches,
        "detail_mismatches": detail_mismatches,
        "payouts_exceeding_available": overdrawn,
        "lines_where_share_plus_commission_differs": split_errors,
    }


def _payouts_exceeding_available(session: Session) -> list[dict]:
    """Each paid payout against the available amount recorded when it was paid, and against the supplier's
    payable recomputed from the postings of every entry posted before the payout's own."""
    problems = []
    payouts = session.execute(
        select(
            PayableItem.supplier_id,
            PayableItem.source_id,
            PayableItem.amount,
            JournalEntry.posted_at,
            PayoutLine.available_before,
        )
        .join(JournalEntry, JournalEntry.id == PayableItem.entry_id)
        .join(PayoutLine, PayoutLine.id == PayableItem.source_id)
        .where(PayableItem.kind == PayableKind.PAYOUT)
    ).all()
    for supplier_id, line_id, amount, posted_at, available_before in payouts:
        paid = -int(amount)
        before = int(
            session.execute(
                select(func.coalesce(func.sum(Posting.credit) - func.sum(Posting.debit), 0))
                .join(JournalEntry, JournalEntry.id == Posting.entry_id)
                .where(Posting.account_code == payable_account(supplier_id), JournalEntry.posted_at < posted_at)
            ).scalar_one()
        )
        if paid > before or (available_before is not None and paid > available_before):
            problems.append(
                {
                    "supplier_id": supplier_id,
                    "payout_line_id": line_id,
                    "amount": paid,
                    "payable_before": before,
                    "available_before": available_before,
                }
            )
    return problems
