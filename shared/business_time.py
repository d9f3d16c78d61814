"""Business time: stored in UTC, shown in WIB, and a business day is the Asia/Jakarta calendar day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.db import utcnow

JAKARTA = ZoneInfo("Asia/Jakarta")


def business_day(moment: datetime) -> date:
    """The Jakarta calendar day of a timezone-aware moment."""
    return moment.astimezone(JAKARTA).date()


def today() -> date:
    """The business day right now."""
    return business_day(utcnow())


def day_start(day: date) -> datetime:
    """The UTC instant at which the Jakarta business day ``day`` begins (00:00 WIB)."""
    return datetime.combine(day, time.min, tzinfo=JAKARTA).astimezone(UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """``[start, end)`` of the Jakarta business day ``day``, as UTC instants."""
    return day_start(day), day_start(day + timedelta(days=1))


def to_wib(moment: datetime) -> datetime:
    """The same moment on Jakarta's clock, for display."""
    return moment.astimezone(JAKARTA)
