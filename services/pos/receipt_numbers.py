"""Receipt numbers: ``<register code>-<YYYYMMDD of the Jakarta business day>-<serial>``."""

from __future__ import annotations

from datetime import date


def format_receipt_no(register_code: str, day: date, serial: int) -> str:
    """``R01``, 27 Nov 2026, 1 → ``R01-20261127-0001`` (gapless serials are assigned per register and day)."""
    return f"{register_code}-{day:%Y%m%d}-{serial:04d}"
