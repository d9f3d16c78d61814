"""Tables of the suppliers service (its own database)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import IdString, UTCDateTime, new_id, utcnow
from shared.messaging import Messaging


class Base(DeclarativeBase):
    pass


messaging = Messaging(Base.metadata, "suppliers")


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[str] = mapped_column(IdString, primary_key=True, default=new_id)
    business_name: Mapped[str] = mapped_column(String(200))
    owner_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
