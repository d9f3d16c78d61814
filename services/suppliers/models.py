"""Tables of the suppliers service (its own database).

- ``suppliers``, ``agreements``, ``agreement_fixed_prices``: profiles and effective-dated terms (never edited in
  place: a change of terms is a new agreement row from a date).
- ``accounts``, ``journal_entries``, ``postings``: the double-entry journal (immutable; corrections are new
  entries). An entry's source (``sale``/<sale id>, ``refund``/<refund id> ...) is unique: the natural key that
  makes each business fact post once even if it arrives under several event ids. An account's balance is
  derived from its postings when read (Σ credit − Σ debit, by the postings' account index): no running total
  to keep in step.
- ``payable_items``: the detail behind every posting to a supplier's payable (sale line, refund line,
  write-off, payout, failed payout) with the time it becomes available, what statements and balances read.
- ``products``, ``stock_movements``, ``lots``, ``stock_alerts``: copies fed by inventory events.
- ``payout_runs``, ``payout_lines``, ``reconciliations``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import IdString, Money, UTCDateTime, new_id, utcnow
from shared.messaging import Messaging


class Base(DeclarativeBase):
    pass


messaging = Messaging(Base.metadata, "suppliers")


class SupplierStatus(StrEnum):
    """Whether a supplier's goods may be sold (inventory and the POS follow ``supplier.updated``)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    business_name: Mapped[str] = mapped_column(String(200))
    owner_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    nib: Mapped[str | None] = mapped_column(String(13))
    npwp: Mapped[str | None] = mapped_column(String(16))
    pirt_number: Mapped[str | None] = mapped_column(String(32))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account_number: Mapped[str | None] = mapped_column(String(40))
    bank_account_holder: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=SupplierStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgreementType(StrEnum):
    """How a sale line is split: a commission rate, or the supplier's fixed price per unit (harga titip)."""

    COMMISSION = "commission"
    FIXED_PRICE = "fixed_price"


class PayoutSchedule(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class BorneBy(StrEnum):
    """Who bears the cost of lost or written-off goods."""

    CENTRE = "centre"
    SUPPLIER = "supplier"


class Agreement(Base):
    """The terms of one supplier from ``effective_from`` until the next agreement's ``effective_from``."""

    __tablename__ = "agreements"
    __table_args__ = (Index("ix_agreements_supplier_effective", "supplier_id", "effective_from"),)

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    supplier_id: Mapped[str] = mapped_column(IdString, ForeignKey("suppliers.id"))
    type: Mapped[str] = mapped_column(String(16))
    commission_bps: Mapped[int] = mapped_column(Integer)
    payout_schedule: Mapped[str] = mapped_column(String(16))
    minimum_payout: Mapped[int] = mapped_column(Money)
    holdback_days: Mapped[int] = mapped_column(Integer)
    shrinkage_borne_by: Mapped[str] = mapped_column(String(16))
    consignment_days: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100), default="")


class AgreementFixedPrice(Base):
    """Harga titip: the supplier's price per unit of one product under a fixed-price agreement."""

    __tablename__ = "agreement_fixed_prices"

    agreement_id: Mapped[str] = mapped_column(IdString, ForeignKey("agreements.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(IdString, primary_key=True)
    supplier_price: Mapped[int] = mapped_column(Money)


class Account(Base):
    """A ledger account: ``supplier_payable:<supplier id>``, ``commission_revenue``, ``sales_clearing``,
    ``shrinkage_expense``, ``bank``."""

    __tablename__ = "accounts"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    supplier_id: Mapped[str | None] = mapped_column(IdString, index=True)


class JournalEntry(Base):
    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_source", "source_type", "source_id", unique=True),)

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Posting(Base):
    """One side of an entry: a debit or a credit (exactly one of them non-zero, both never negative)."""

    __tablename__ = "postings"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    entry_id: Mapped[str] = mapped_column(IdString, ForeignKey("journal_entries.id"), index=True)
    account_code: Mapped[str] = mapped_column(String(64), ForeignKey("accounts.code"), index=True)
    debit: Mapped[int] = mapped_column(Money, default=0)
    credit: Mapped[int] = mapped_column(Money, default=0)


class PayableKind(StrEnum):
    """What moved a supplier's payable: a sale or refund line, a centre-borne write-off, a payout or its failure."""

    SALE = "sale"
    REFUND = "refund"
    WRITE_OFF = "write_off"
    PAYOUT = "payout"
    PAYOUT_FAILED = "payout_failed"


class PayableItem(Base):
    """What moved one supplier's payable, with its detail (``amount`` > 0 raises what the centre owes)."""

    __tablename__ = "payable_items"
    __table_args__ = (
        Index("ix_payable_items_supplier_occurred", "supplier_id", "occurred_at"),
        Index("ix_payable_items_supplier_available", "supplier_id", "available_at"),
        Index("ix_payable_items_source", "source_id"),
    )

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    supplier_id: Mapped[str] = mapped_column(IdString)
    entry_id: Mapped[str] = mapped_column(IdString, ForeignKey("journal_entries.id"))
    kind: Mapped[str] = mapped_column(String(24))  # a PayableKind
    source_id: Mapped[str] = mapped_column(String(80))  # sale id, refund id, movement id, payout line id
    line_id: Mapped[str | None] = mapped_column(String(80), index=True)  # the sale line (sales and refunds)
    reference: Mapped[str] = mapped_column(String(120), default="")
    product_id: Mapped[str | None] = mapped_column(IdString)
    product_name: Mapped[str] = mapped_column(String(200), default="")
    qty: Mapped[int] = mapped_column(Integer, default=0)
    unit_price: Mapped[int] = mapped_column(Money, default=0)
    gross: Mapped[int] = mapped_column(Money, default=0)
    commission: Mapped[int] = mapped_column(Money, default=0)
    amount: Mapped[int] = mapped_column(Money)
    agreement_id: Mapped[str | None] = mapped_column(IdString)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Product(Base):
    """Copy of inventory's product (from ``product.upserted``) for names on statements and views."""

    __tablename__ = "products"

    id: Mapped[str] = mapped_column(IdString, primary_key=True)
    supplier_id: Mapped[str] = mapped_column(IdString, index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    price: Mapped[int] = mapped_column(Money)
    active: Mapped[bool] = mapped_column(default=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockMovement(Base):
    """Copy of an inventory stock movement (from ``stock.moved``); on hand = Σ qty."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_supplier_product", "supplier_id", "product_id"),)

    id: Mapped[str] = mapped_column(IdString, primary_key=True)
    supplier_id: Mapped[str] = mapped_column(IdString)
    product_id: Mapped[str] = mapped_column(IdString)
    lot_id: Mapped[str | None] = mapped_column(IdString)
    kind: Mapped[str] = mapped_column(String(24))
    qty: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Money, default=0)
    borne_by: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(300))
    reference_id: Mapped[str | None] = mapped_column(String(80))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Lot(Base):
    """Copy of an inventory lot's code and expiry (from ``lot.received``); its on hand is Σ its movements."""

    __tablename__ = "lots"

    id: Mapped[str] = mapped_column(IdString, primary_key=True)
    supplier_id: Mapped[str] = mapped_column(IdString, index=True)
    product_id: Mapped[str] = mapped_column(IdString)
    lot_code: Mapped[str] = mapped_column(String(64))
    expiry_date: Mapped[date | None] = mapped_column(Date)
    received_on: Mapped[date] = mapped_column(Date)


class StockAlert(Base):
    __tablename__ = "stock_alerts"

    id: Mapped[str] = mapped_column(IdString, primary_key=True)
    supplier_id: Mapped[str] = mapped_column(IdString, index=True)
    product_id: Mapped[str] = mapped_column(IdString)
    lot_id: Mapped[str | None] = mapped_column(IdString)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String(500))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PayoutRunStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class PayoutRun(Base):
    __tablename__ = "payout_runs"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    cutoff_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=PayoutRunStatus.DRAFT)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PayoutLineStatus(StrEnum):
    PROPOSED = "proposed"
    HELD = "held"
    EXCLUDED = "excluded"
    APPROVED = "approved"
    PAID = "paid"
    FAILED = "failed"


class PayoutLine(Base):
    """One supplier's payout in a run. Status: proposed → approved → paid | failed; or held / excluded."""

    __tablename__ = "payout_lines"
    __table_args__ = (UniqueConstraint("run_id", "supplier_id"), Index("ix_payout_lines_supplier", "supplier_id"))

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(IdString, ForeignKey("payout_runs.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(IdString)
    amount: Mapped[int] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default=PayoutLineStatus.PROPOSED)
    reason: Mapped[str | None] = mapped_column(String(300))
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    bank_account_number: Mapped[str] = mapped_column(String(40), default="")
    bank_account_holder: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    overdue_amount: Mapped[int] = mapped_column(Money, default=0)
    reference: Mapped[str | None] = mapped_column(String(120))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by: Mapped[str | None] = mapped_column(String(100))
    available_before: Mapped[int | None] = mapped_column(Money)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReconciliationStatus(StrEnum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


class Reconciliation(Base):
    __tablename__ = "reconciliations"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ReconciliationStatus.QUEUED)
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class AuditLog(Base):
    """Sensitive actions (payout approval, payments, term changes): who and when."""

    __tablename__ = "audit_log"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
