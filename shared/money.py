"""Exact money: integer rupiah and integer basis points, never floats."""

from __future__ import annotations

BASIS_POINTS = 10_000


def _require_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    return value


def apply_rate(amount: int, rate_bps: int) -> int:
    """``amount × rate`` rounded half up to the rupiah (for non-negative amounts; symmetric for negative)."""
    _require_int("amount", amount)
    _require_int("rate_bps", rate_bps)
    sign = -1 if amount < 0 else 1
    return sign * ((abs(amount) * rate_bps * 2 + BASIS_POINTS) // (2 * BASIS_POINTS))


def split_commission(line_total: int, rate_bps: int) -> tuple[int, int]:
    """Split a sale line under a commission agreement: ``(supplier_share, commission)``.

    The commission is the line total times the rate, rounded half up; the share is the rest, so the two
    always add up to the line total exactly.
    """
    if not 0 <= rate_bps <= BASIS_POINTS:
        raise ValueError("rate must be between 0 and 10000 basis points")
    commission = apply_rate(line_total, rate_bps)
    return line_total - commission, commission


def split_fixed_price(line_total: int, qty: int, supplier_unit_price: int) -> tuple[int, int]:
    """Split a sale line under a fixed-price agreement (harga titip): ``(supplier_share, centre_margin)``."""
    share = qty * supplier_unit_price
    return share, line_total - share


def format_rupiah(amount: int) -> str:
    """``1250000`` → ``Rp1.250.000`` (negative: ``-Rp5.000``)."""
    _require_int("amount", amount)
    digits = f"{abs(amount):,}".replace(",", ".")
    return f"-Rp{digits}" if amount < 0 else f"Rp{digits}"


def _div_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def ppn_included(gross: int) -> tuple[int, int, int]:
    """The PPN inside a PPN-inclusive price: ``(price_before_tax, tax_base, ppn)``.

    PPN is 12 % of the tax base (DPP), and the DPP of ordinary goods is 11/12 of the price before tax,
    so PPN = 11 % of the price before tax = 11/111 of the inclusive price (rounded half up to the rupiah).
    ``price_before_tax + ppn == gross`` exactly.
    """
    _require_int("gross", gross)
    ppn = _div_half_up(gross * 11, 111)
    before_tax = gross - ppn
    return before_tax, _div_half_up(before_tax * 11, 12), ppn
