"""Tables of the inventory service (its own database). Statuses and kinds are ``StrEnum``s next to the model
that stores them; the columns stay plain strings holding the same values."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import IdString, Money, UTCDateTime, new_id, utcnow
from shared.messaging import Messaging


class Base(DeclarativeBase):
    pass


messaging = Messaging(Base.metadata, "inventory")


class SupplierStatus(StrEnum):
    """A supplier's status as the suppliers service publishes it."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


class BorneBy(StrEnum):
    """Who bears a loss (shrinkage, write-off): the centre or the supplier."""

    CENTRE = "centre"
    SUPPLIER = "supplier"


class SupplierReplica(Base):
    """What inventory knows of a supplier, fed by ``supplier.registered`` / ``supplier.updated``."""

    __tablename__ = "supplier_replicas"

    id: Mapped[str] = mapped_column(IdString, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    consignment_days: Mapped[int | None] = mapped_column(Integer)
    shrinkage_borne_by: Mapped[str] = mapped_column(String(16), default=BorneBy.SUPPLIER)
    #: ``occurred_at`` of the event this row reflects, so an older event arriving late changes nothing.
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)


class Counter(Base):
    """Monotonic counters (in-store barcode serials, document numbers); incremented with an atomic UPDATE."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Category(Base):
    """A product category the manager keeps: ``code`` is what products store (made from the first name and never
    changed), ``sku_prefix`` starts the SKUs issued to its products, and ``requires_expiry`` is the default of its
    new products (food and drink: true). A category is retired (``active`` false), never deleted."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    sku_prefix: Mapped[str] = mapped_column(String(5))
    requires_expiry: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    barcode: Mapped[str] = mapped_column(String(14))
    #: The barcode as a GTIN-14: unique, so a UPC-A and its EAN-13 form cannot name two products.
    gtin: Mapped[str] = mapped_column(String(14), unique=True)
    barcode_in_store: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(8))
    price: Mapped[int] = mapped_column(Money)
    supplier_id: Mapped[str] = mapped_column(IdString, index=True)
    requires_expiry: Mapped[bool] = mapped_column(Boolean)
    reorder_point: Mapped[int] = mapped_column(Integer, default=0)
    permit_type: Mapped[str | None] = mapped_column(String(16))
    permit_number: Mapped[str | None] = mapped_column(String(64))
    halal_cert_number: Mapped[str | None] = mapped_column(String(64))
    halal_expires_on: Mapped[date | None] = mapped_column(Date)
    net_weight: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Goes up with every published change, so the POS replica can ignore stale ``product.upserted``.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProductFacts(Protocol):
    """What posting stock and raising its alerts read of a product: a :class:`Product`, or a plain row with
    these columns (a consumer batch reads them with Core, no ORM instance per product)."""

    @property
    def id(self) -> str: ...
    @property
    def supplier_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def price(self) -> int: ...
    @property
    def reorder_point(self) -> int: ...


class PriceChange(Base):
    """Every price a product has had: who changed it, when, from what to what (never updated)."""

    __tablename__ = "price_changes"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    old_price: Mapped[int | None] = mapped_column(Money)
    new_price: Mapped[int] = mapped_column(Money)
    changed_by: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProductStock(Base):
    """One product at one outlet: the row its movements lock, its count flag, and the units it holds outside any
    lot (``unallocated``: negative when more was sold than its lots held). Its on-hand is that plus its lots'
    (:data:`services.inventory.stock.ledger.ON_HAND`), so a movement of a lot does not write this row."""

    __tablename__ = "product_stock"

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True)
    outlet_id: Mapped[str] = mapped_column(IdString, primary_key=True)
    unallocated: Mapped[int] = mapped_column(Integer, default=0)
    flagged_for_count: Mapped[bool] = mapped_column(Boolean, default=False)


class Intake(Base):
    """A consignment delivery from one supplier (nota titip)."""

    __tablename__ = "intakes"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    outlet_id: Mapped[str] = mapped_column(IdString)
    supplier_id: Mapped[str] = mapped_column(IdString, index=True)
    received_on: Mapped[date] = mapped_column(Date)
    received_by: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lot(Base):
    """One intake line's goods: a production/lot code with its expiry, and what of it is still on hand."""

    __tablename__ = "lots"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    outlet_id: Mapped[str] = mapped_column(IdString)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(IdString, index=True)
    intake_id: Mapped[str] = mapped_column(ForeignKey("intakes.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    lot_code: Mapped[str] = mapped_column(String(64))
    expiry_date: Mapped[date | None] = mapped_column(Date)
    received_on: Mapped[date] = mapped_column(Date)
    received_qty: Mapped[int] = mapped_column(Integer)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)


class DeliveryStatus(StrEnum):
    """Where a supplier's announced delivery stands."""

    ANNOUNCED = "announced"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class Delivery(Base):
    """A delivery a supplier announces before bringing the goods; receiving it records its intake."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    #: What people call it (``KRM-2026-000123``): see :func:`services.inventory.deliveries.next_number`.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    outlet_id: Mapped[str] = mapped_column(IdString)
    supplier_id: Mapped[str] = mapped_column(IdString, index=True)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.ANNOUNCED, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    #: Why it was cancelled (a manager must say; a supplier may).
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    announced_by: Mapped[str] = mapped_column(String(128))
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(128))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The intake recorded when the delivery was received.
    intake_id: Mapped[str | None] = mapped_column(ForeignKey("intakes.id"), unique=True)


class DeliveryLine(Base):
    """One product of an announced delivery: what the supplier said they would bring, and what arrived."""

    __tablename__ = "delivery_lines"
    __table_args__ = (UniqueConstraint("delivery_id", "line_no"),)

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    qty: Mapped[int] = mapped_column(Integer)
    lot_code: Mapped[str | None] = mapped_column(String(64))
    expiry_date: Mapped[date | None] = mapped_column(Date)
    received_qty: Mapped[int | None] = mapped_column(Integer)


class MovementKind(StrEnum):
    """What moved the stock (a movement's ``kind``)."""

    INTAKE = "intake"
    SALE = "sale"
    REFUND = "refund"
    RETURN_TO_SUPPLIER = "return_to_supplier"
    COUNT_ADJUSTMENT = "count_adjustment"
    WRITE_OFF = "write_off"


class Movement(Base):
    """The append-only stock ledger: one row per change of a product's (and lot's) quantity."""

    __tablename__ = "movements"
    __table_args__ = (
        Index("ix_movements_product_outlet", "product_id", "outlet_id"),
        Index("ix_movements_occurred", "occurred_at", "id"),
    )

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    outlet_id: Mapped[str] = mapped_column(IdString)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    supplier_id: Mapped[str] = mapped_column(IdString)
    lot_id: Mapped[str | None] = mapped_column(ForeignKey("lots.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    #: Signed: positive into stock, negative out of it.
    qty: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Money, default=0)
    reason: Mapped[str | None] = mapped_column(String(200))
    borne_by: Mapped[str | None] = mapped_column(String(16))
    #: The business document: sale id, refund id, intake id, write-off id, count session id, return id.
    reference_id: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The line inside it (for sales and refunds: the sale line id).
    line_reference: Mapped[str | None] = mapped_column(String(64), index=True)
    recorded_by: Mapped[str | None] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WriteOffReason(StrEnum):
    DAMAGED = "damaged"
    EXPIRED = "expired"
    LOST = "lost"


class WriteOff(Base):
    """Goods taken out of stock as a loss (damaged, expired, lost) and who bears it."""

    __tablename__ = "write_offs"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    outlet_id: Mapped[str] = mapped_column(IdString)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(IdString)
    lot_id: Mapped[str | None] = mapped_column(ForeignKey("lots.id"))
    qty: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(16))
    borne_by: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CountStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    CANCELLED = "cancelled"


class CountSession(Base):
    """A stock count (stock opname) of all products or a chosen set."""

    __tablename__ = "count_sessions"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    outlet_id: Mapped[str] = mapped_column(IdString)
    status: Mapped[str] = mapped_column(String(16), default=CountStatus.OPEN)
    note: Mapped[str | None] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(128))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(128))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CountLine(Base):
    """One product in a count: expected on-hand when counted, the counted quantity, and the reason."""

    __tablename__ = "count_lines"
    __table_args__ = (UniqueConstraint("session_id", "product_id"),)

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(ForeignKey("count_sessions.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    expected: Mapped[int | None] = mapped_column(Integer)
    counted: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(200))
    counted_by: Mapped[str | None] = mapped_column(String(128))
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SupplierReturn(Base):
    """Goods collected by their supplier (retur), with its printable return note."""

    __tablename__ = "supplier_returns"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    outlet_id: Mapped[str] = mapped_column(IdString)
    supplier_id: Mapped[str] = mapped_column(IdString, index=True)
    collected_by: Mapped[str] = mapped_column(String(128))
    recorded_by: Mapped[str] = mapped_column(String(128))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupplierReturnLine(Base):
    __tablename__ = "supplier_return_lines"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    return_id: Mapped[str] = mapped_column(ForeignKey("supplier_returns.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    lot_id: Mapped[str | None] = mapped_column(ForeignKey("lots.id"))
    qty: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(64))


class AlertKind(StrEnum):
    LOW_STOCK = "low_stock"
    NEAR_EXPIRY = "near_expiry"
    CONSIGNMENT_ENDED = "consignment_ended"
    NEGATIVE_ON_HAND = "negative_on_hand"


class AlertStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Alert(Base):
    """Something a manager (and the product's supplier) should act on."""

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    outlet_id: Mapped[str] = mapped_column(IdString)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(IdString, index=True)
    lot_id: Mapped[str | None] = mapped_column(ForeignKey("lots.id"))
    kind: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.OPEN, index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
