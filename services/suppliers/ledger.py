"""The double-entry journal: posting balanced entries, balances derived from postings, and the invariants.

Accounts (credit-normal balance = Σ credit − Σ debit):
``supplier_payable:<id>`` what the centre owes a supplier; ``commission_revenue`` the centre's income;
``sales_clearing`` money taken at the tills (debit-normal, so its balance is negative); ``shrinkage_expense``
losses the centre bears (debit-normal); ``bank`` money paid out (credit when paying).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, case, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from services.suppliers.models import (
    Account,
    JournalEntry,
    PayableItem,
    PayableKind,
    PayoutLine,
    PayoutLineStatus,
    Posting,
)
from shared.business_time import business_day
from shared.db import insert_many, insert_or_skip, insert_or_skip_many, new_id, table_of, utcnow

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


_entries = table_of(JournalEntry)
_POSTED = select(_entries.c.id).where(
    _entries.c.source_type == bindparam("type"), _entries.c.source_id == bindparam("id")
)


def is_posted(session: Session, source_type: str, source_id: str) -> bool:
    """Whether the business fact ``source_type``/``source_id`` (a sale, a refund ...) has its journal entry."""
    return session.connection().execute(_POSTED, {"type": source_type, "id": str(source_id)}).first() is not None


@dataclass(frozen=True)
class EntryDraft:
    """A journal entry before it is written (:func:`post_entries`)."""

    source_type: str
    source_id: str
    description: str
    occurred_at: datetime
    legs: list[Leg]


def post_entry(
    session: Session,
    *,
    source_type: str,
    source_id: str,
    description: str,
    occurred_at: datetime,
    legs: list[Leg],
) -> str | None:
    """Write one immutable, balanced journal entry (:func:`post_entries` with one); its id, ``None`` when its
    source was posted before (nothing is written then)."""
    return post_entries(session, [EntryDraft(source_type, str(source_id), description, occurred_at, legs)])[0]


def post_entries(session: Session, drafts: list[EntryDraft]) -> list[str | None]:
    """Write immutable, balanced journal entries, in one statement per table for all of them; their ids, in
    order. Balances are derived from the postings when read (:func:`payable_balances`): nothing else moves.

    Each business fact posts once: an entry's source (``source_type``, ``source_id``) is the journal's unique
    key, and a draft whose source has an entry already is skipped (``None`` in its place; an insert-or-skip, so
    a concurrent posting of the same fact waits for the first and then skips), whatever event brought it again.
    Legs on the same account are netted within an entry; zero legs are dropped. An account posted to for the
    first time is opened first.
    """
    posted_at = utcnow()
    entries: list[dict] = []
    nets: list[dict[str, int]] = []
    for draft in drafts:
        net: dict[str, int] = {}
        for leg in draft.legs:
            if isinstance(leg.amount, bool) or not isinstance(leg.amount, int):
                raise TypeError("ledger amounts are integer rupiah")
            net[leg.account] = net.get(leg.account, 0) + leg.amount
        if sum(net.values()) != 0:
            raise UnbalancedEntry(f"entry for {draft.source_type}:{draft.source_id} does not balance: {net}")
        entries.append(
            {
                "id": new_id(),
                "source_type": draft.source_type,
                "source_id": str(draft.source_id),
                "description": draft.description[:300],
                "occurred_at": draft.occurred_at,
                "posted_at": posted_at,
            }
        )
        nets.append(net)
    if not entries:
        return []
    connection = session.connection()
    written = set(insert_or_skip_many(connection, _entries, entries, "id"))
    postings: list[dict] = []
    for entry, net in zip(entries, nets, strict=True):
        if entry["id"] not in written:
            continue
        for account in sorted(code for code, amount in net.items() if amount != 0):
            amount = net[account]
            postings.append(
                {
                    "entry_id": entry["id"],
                    "account_code": account,
                    "debit": amount if amount > 0 else 0,
                    "credit": -amount if amount < 0 else 0,
                }
            )
    if postings:
        _open_accounts(session, {posting["account_code"] for posting in postings})
        insert_many(connection, table_of(Posting), postings)
    return [entry["id"] if entry["id"] in written else None for entry in entries]


_accounts = table_of(Account)
#: Which of the ``codes`` are open accounts (built once: no cache key derived again per posting).
_OPEN_ACCOUNTS = select(_accounts.c.code).where(_accounts.c.code.in_(bindparam("codes", expanding=True)))


def _open_accounts(session: Session, codes: set[str]) -> None:
    """Open those of the accounts ``codes`` that were never posted to (one read; a write only for a new one)."""
    opened = set(session.connection().execute(_OPEN_ACCOUNTS, {"codes": sorted(codes)}).scalars())
    for code in sorted(codes - opened):
        _open_account(session, code)


def _open_account(session: Session, code: str) -> None:
    """Create the account (insert-or-skip: a concurrent posting may open it too)."""
    if code.startswith("supplier_payable:"):
        kind, supplier_id = "supplier_payable", code.split(":", 1)[1]
    else:
        kind, supplier_id = CENTRE_ACCOUNTS[code], None
    insert_or_skip(session.connection(), _accounts, {"code": code, "kind": kind, "supplier_id": supplier_id})


#: The payable-detail columns a row may leave out, with their values then.
_PAYABLE_DEFAULTS = {
    "line_id": None,
    "reference": "",
    "product_id": None,
    "product_name": "",
    "qty": 0,
    "unit_price": 0,
    "gross": 0,
    "commission": 0,
    "agreement_id": None,
}


def add_payable_item(session: Session, entry_id: str, **fields) -> None:
    """One row of the supplier's payable detail under the entry ``entry_id`` (:func:`add_payable_items`)."""
    add_payable_items(session, [{"entry_id": entry_id, **fields}])


def add_payable_items(session: Session, items: list[dict]) -> None:
    """Rows of the suppliers' payable detail (each naming its ``entry_id``), in one statement."""
    if items:
        insert_many(
            session.connection(),
            table_of(PayableItem),
            [{**_PAYABLE_DEFAULTS, "id": new_id(), **item} for item in items],
        )


# -- balances --------------------------------------------------------------------------------------------
#: An account's balance, derived from its postings: Σ credit − Σ debit.
_BALANCE = func.coalesce(func.sum(Posting.credit - Posting.debit), 0)


def payable_balance(session: Session, supplier_id: str) -> int:
    """What the centre owes the supplier now: its payable account's postings summed (read by the account's
    index)."""
    return int(
        session.execute(select(_BALANCE).where(Posting.account_code == payable_account(supplier_id))).scalar_one()
    )


def payable_balances(session: Session) -> dict[str, int]:
    """What the centre owes each supplier it ever owed, by supplier id (one aggregate over the payable
    postings)."""
    return {
        code.split(":", 1)[1]: int(balance)
        for code, balance in session.execute(
            select(Posting.account_code, _BALANCE)
            .where(Posting.account_code.like(payable_account("%")))
            .group_by(Posting.account_code)
        )
    }


def _pending(supplier_id: str, as_of: datetime) -> tuple[ColumnElement[bool], ...]:
    """The payable items of sale shares (and their refunds) still inside the holdback window at ``as_of``."""
    return (
        PayableItem.supplier_id == supplier_id,
        PayableItem.kind.in_(SALE_LINE_KINDS),
        PayableItem.available_at > as_of,
    )


def pending_amount(session: Session, supplier_id: str, as_of: datetime) -> int:
    """Sale shares (net of their refunds) still inside the holdback window at ``as_of``."""
    value = session.execute(
        select(func.coalesce(func.sum(PayableItem.amount), 0)).where(*_pending(supplier_id, as_of))
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


def pending_releases(session: Session, supplier_id: str, as_of: datetime) -> list[dict]:
    """The pending money of :func:`pending_amount` by the Jakarta day it becomes available, soonest first
    (``[{date, amount}]``; a day whose sales were all refunded is left out)."""
    by_day: dict[date, int] = {}
    for available_at, amount in session.execute(
        select(PayableItem.available_at, func.sum(PayableItem.amount))
        .where(*_pending(supplier_id, as_of))
        .group_by(PayableItem.available_at)
    ):
        day = business_day(available_at)
        by_day[day] = by_day.get(day, 0) + int(amount)
    return [{"date": day, "amount": amount} for day, amount in sorted(by_day.items()) if amount]


def balance_summary(session: Session, supplier_id: str) -> dict:
    """``{supplier_id, pending, pending_releases, available, paid, lifetime_sales, reserved, payable}`` in
    integer rupiah (:func:`pending_releases`: when the pending money becomes available)."""
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
        "pending_releases": pending_releases(session, supplier_id, now),
        "available": payable - pending - reserved,
        "reserved": reserved,
        "payable": payable,
        "paid": int(sums[0]),
        "lifetime_sales": int(sums[1]),
    }


# -- invariants -----------------------------------------------------------------------------------------
def check_invariants(session: Session) -> dict:
    """Recompute from the postings: every entry balances, the journal's debits equal its credits, every
    supplier's detail equals its payable postings, and no payout exceeded what was available when it was paid.

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
        "ok": not (unbalanced or detail_mismatches or overdrawn or split_errors) and total_debit == total_credit,
        "total_debit": total_debit,
        "total_credit": total_credit,
        "unbalanced_entries": unbalanced,
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
