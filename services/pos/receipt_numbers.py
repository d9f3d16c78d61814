"""Receipt numbers and the business day: ``<register code>-<YYYYMMDD in Jakarta>-<serial>``."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

JAKARTA = ZoneInfo("Asia/Jakarta")


def business_day(moment: datetime) -> date:
    """The Asia/Jakarta calendar day of a UTC-aware moment."""
    return moment.astimezone(JAKARTA).date()


def to_wib(moment: datetime) -> datetime:
    return moment.astimezone(JAKARTA)


def format_receipt_no(register_code: str, day: date, serial: int) -> str:
    """``R01``, 27 Nov 2026, 1 → ``R01-20261127-0001`` (gapless serials are assigned per register and day)."""
    return f"{register_code}-{day:%Y%m%d}-{serial:04d}"
