"""Tables of the POS service (its own database): registers, shifts, the catalogue replica, sales, payments,
refunds, idempotency records, approvers and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import IdString, Money, UTCDateTime, new_id, table_of, utcnow
from shared.messaging import Messaging


class Base(DeclarativeBase):
    pass


messaging = Messaging(Base.metadata, "pos")


class OutletSettings(Base):
    """What a receipt, a QRIS and a discount check need to know about the outlet."""

    __tablename__ = "outlet_settings"

    outlet_id: Mapped[str] = mapped_column(IdString, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400))
    npwp: Mapped[str | None] = mapped_column(String(32))
    ppn_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    static_qris_payload: Mapped[str] = mapped_column(String(512))
    discount_approval_limit: Mapped[int] = mapped_column(Money)
    qris_expiry_minutes: Mapped[int] = mapped_column(Integer)
    #: Printed under the address (e.g. opening hours, WhatsApp); none: nothing.
    receipt_header: Mapped[str | None] = mapped_column(String(400))
    #: Printed at the bottom of every receipt; none: the default thank-you line.
    receipt_footer: Mapped[str | None] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(128))


class SupplierStatus(StrEnum):
    """A supplier's status as the suppliers service publishes it."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


class CatalogueSupplier(Base):
    """The status of a supplier as last heard from the suppliers service."""

    __tablename__ = "catalogue_suppliers"

    supplier_id: Mapped[str] = mapped_column(IdString, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CatalogueProduct(Base):
    """The replica of a product from ``product.upserted`` (the newest revision wins)."""

    __tablename__ = "catalogue_products"

    product_id: Mapped[str] = mapped_column(IdString, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    barcode: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    price: Mapped[int] = mapped_column(Money)
    supplier_id: Mapped[str] = mapped_column(IdString, index=True)
    category: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(16), default="pcs")
    active: Mapped[bool] = mapped_column(Boolean)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Position in the delta feed: every change of the product (or of its supplier's status) takes the next
    #: number of :class:`CatalogueSequence`, in commit order (see :func:`services.pos.catalogue.next_sequence`).
    change_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), default=0, index=True)


class CatalogueSequence(Base):
    """The last number given to a catalogue change (one row): bumping it locks the row until commit, so changes
    are numbered in the order they become visible and the feed's cursor never skips one."""

    __tablename__ = "catalogue_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))


class CataloguePrice(Base):
    """A product's price from one revision on (``effective_at`` is the event's time): what lets a sale made offline
    be recorded at the price the counter charged, when that price was the product's at the time."""

    __tablename__ = "catalogue_prices"

    product_id: Mapped[str] = mapped_column(IdString, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    price: Mapped[int] = mapped_column(Money)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutletFavourite(Base):
    """A product on the outlet's favourites grid at the counter (items without a label: crafts, loose snacks),
    chosen by a manager, in ``position`` order."""

    __tablename__ = "outlet_favourites"

    outlet_id: Mapped[str] = mapped_column(IdString, primary_key=True)
    product_id: Mapped[str] = mapped_column(IdString, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Register(Base):
    __tablename__ = "registers"
    __table_args__ = (UniqueConstraint("outlet_id", "code", name="uq_registers_outlet_code"),)

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    outlet_id: Mapped[str] = mapped_column(IdString)
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegisterPrinter(Base):
    """A register's ESC/POS network printer (raw TCP, port 9100 on most models); without one, or while it is
    disabled, the counter prints through the browser's print view."""

    __tablename__ = "register_printers"

    register_id: Mapped[str] = mapped_column(IdString, ForeignKey("registers.id"), primary_key=True)
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer)
    paper_width: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean)
    #: Kick the cash drawer open when a cash sale's receipt prints (the drawer hangs off the printer).
    open_drawer: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(128))


class ShiftStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Shift(Base):
    """A cashier's session on a register. ``open_register_id`` is set only while open (unique: one open shift
    per register, enforced by the database)."""

    __tablename__ = "shifts"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    outlet_id: Mapped[str] = mapped_column(IdString)
    register_id: Mapped[str] = mapped_column(IdString, ForeignKey("registers.id"), index=True)
    open_register_id: Mapped[str | None] = mapped_column(IdString, unique=True)
    cashier_id: Mapped[str] = mapped_column(String(128))
    cashier_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=ShiftStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opening_float: Mapped[int] = mapped_column(Money)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counted_cash: Mapped[int | None] = mapped_column(Money)
    z_report: Mapped[str | None] = mapped_column(Text)


class CashMovementKind(StrEnum):
    """Cash put into (``in``) or taken out of (``out``) the drawer during a shift."""

    IN = "in"
    OUT = "out"


class CashMovement(Base):
    __tablename__ = "cash_movements"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    shift_id: Mapped[str] = mapped_column(IdString, ForeignKey("shifts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SaleStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    COMPLETED = "completed"
    VOIDED = "voided"


class Sale(Base):
    """A sale: ``pending_payment`` while a QRIS waits, then ``completed`` (with its receipt number) or ``voided``.

    A completed sale's receipt serial is unique per Jakarta business day and register, and gapless: the next is
    one more than the register's last that day, read under the register's row lock
    (:func:`services.pos.checkout._completion`)."""

    __tablename__ = "sales"
    __table_args__ = (
        Index("ix_sales_status_completed_at", "status", "completed_at"),
        Index("ux_sales_business_day_register_serial", "business_day", "register_id", "receipt_serial", unique=True),
    )

    id: Mapped[str] = mapped_column(IdString, primary_key=True)
    outlet_id: Mapped[str] = mapped_column(IdString)
    register_id: Mapped[str] = mapped_column(IdString, ForeignKey("registers.id"))
    register_code: Mapped[str] = mapped_column(String(8))
    shift_id: Mapped[str] = mapped_column(IdString, ForeignKey("shifts.id"), index=True)
    cashier_id: Mapped[str] = mapped_column(String(128))
    cashier_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    receipt_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    business_day: Mapped[date | None] = mapped_column(Date)
    receipt_serial: Mapped[int | None] = mapped_column(Integer)
    subtotal: Mapped[int] = mapped_column(Money)
    sale_discount: Mapped[int] = mapped_column(Money)
    discount_total: Mapped[int] = mapped_column(Money)
    total: Mapped[int] = mapped_column(Money)
    tax_base: Mapped[int | None] = mapped_column(Money)
    ppn: Mapped[int | None] = mapped_column(Money)
    change: Mapped[int] = mapped_column(Money, default=0)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[SaleLine]] = relationship(order_by="SaleLine.position", lazy="selectin")
    payments: Mapped[list[Payment]] = relationship(order_by="Payment.position", lazy="selectin")


class SaleLine(Base):
    __tablename__ = "sale_lines"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    sale_id: Mapped[str] = mapped_column(IdString, ForeignKey("sales.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(IdString, index=True)
    supplier_id: Mapped[str] = mapped_column(IdString)
    sku: Mapped[str] = mapped_column(String(64))
    barcode: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    qty: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Money)
    line_discount: Mapped[int] = mapped_column(Money)
    sale_discount_share: Mapped[int] = mapped_column(Money)
    line_total: Mapped[int] = mapped_column(Money)


class PaymentMethod(StrEnum):
    CASH = "cash"
    QRIS = "qris"
    CARD = "card"
    EWALLET = "ewallet"
    TRANSFER = "transfer"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class Payment(Base):
    """One payment of a sale. QRIS starts ``pending`` (with its dynamic payload and expiry), then becomes
    ``confirmed``, ``expired`` or ``cancelled``; the other methods are ``confirmed`` when recorded."""

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    sale_id: Mapped[str] = mapped_column(IdString, ForeignKey("sales.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Money)
    tendered: Mapped[int | None] = mapped_column(Money)
    change: Mapped[int] = mapped_column(Money, default=0)
    approval_code: Mapped[str | None] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    qris_payload: Mapped[str | None] = mapped_column(String(512))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RefundMethod(StrEnum):
    """How a refund is paid back: over the sale's own payments (``original``) or all in cash."""

    ORIGINAL = "original"
    CASH = "cash"


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    sale_id: Mapped[str] = mapped_column(IdString, ForeignKey("sales.id"), index=True)
    receipt_no: Mapped[str] = mapped_column(String(40))
    outlet_id: Mapped[str] = mapped_column(IdString)
    shift_id: Mapped[str | None] = mapped_column(IdString, ForeignKey("shifts.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300))
    back_to_stock: Mapped[bool] = mapped_column(Boolean)
    total: Mapped[int] = mapped_column(Money)
    refunded_by: Mapped[str] = mapped_column(String(128))
    approved_by: Mapped[str] = mapped_column(String(128))
    refunded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    lines: Mapped[list[RefundLine]] = relationship(lazy="selectin")
    payments: Mapped[list[RefundPayment]] = relationship(lazy="selectin")


class RefundLine(Base):
    __tablename__ = "refund_lines"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    refund_id: Mapped[str] = mapped_column(IdString, ForeignKey("refunds.id"), index=True)
    sale_line_id: Mapped[str] = mapped_column(IdString, ForeignKey("sale_lines.id"), index=True)
    product_id: Mapped[str] = mapped_column(IdString)
    supplier_id: Mapped[str] = mapped_column(IdString)
    qty: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Money)


class RefundPayment(Base):
    """How a refund was paid back, per method (for the drawer and the Z report)."""

    __tablename__ = "refund_payments"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    refund_id: Mapped[str] = mapped_column(IdString, ForeignKey("refunds.id"), index=True)
    payment_id: Mapped[str | None] = mapped_column(IdString)
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Money)


class IdempotencyRecord(Base):
    """The first response to a request made with an ``Idempotency-Key``, written once in the request's own
    transaction (:mod:`services.pos.idempotency`): a request that failed leaves none."""

    __tablename__ = "idempotency_records"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QrisCallbackNonce(Base):
    """Nonces of accepted provider callbacks (a replay is refused by the primary key)."""

    __tablename__ = "qris_callback_nonces"

    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Approver(Base):
    """A manager who may approve at the counter with a PIN (argon2 hash)."""

    __tablename__ = "approvers"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApprovalFailure(Base):
    """A wrong manager PIN at the counter: which approver name was tried, by which cashier, when. What the
    lock-out counts (per approver and per cashier), so it holds across processes."""

    __tablename__ = "approval_failures"
    __table_args__ = (
        Index("ix_approval_failures_username_at", "username", "at"),
        Index("ix_approval_failures_cashier_at", "cashier_id", "at"),
    )

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(200))
    cashier_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Who did or approved a sensitive action, when, and on what."""

    __tablename__ = "audit_log"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[str] = mapped_column(String(128))
    approver_id: Mapped[str | None] = mapped_column(String(128))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: Purged once older than the retention with the messaging tables (``pos.purge``): a retried checkout or refund
#: comes back within minutes to hours (the counter's offline queue), a provider callback within
#: ``qris_callbacks.CALLBACK_TOLERANCE_SECONDS`` of its timestamp.
messaging.expire_after_retention(table_of(IdempotencyRecord).c.created_at)
messaging.expire_after_retention(table_of(QrisCallbackNonce).c.received_at)
