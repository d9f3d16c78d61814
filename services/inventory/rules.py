"""Pure stock rules of the inventory service: barcodes, FEFO allocation, refunds to lots, count variance,
and which lots should go back to their supplier. No database, no framework: plain values in and out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

#: Lengths of the retail barcodes we accept, by symbology.
BARCODE_KINDS = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13"}
#: GS1 restricted-circulation prefixes for codes made in the store (20–29); we issue from this one.
IN_STORE_PREFIX = "20"
IN_STORE_SERIAL_DIGITS = 10


class InvalidBarcode(ValueError):
    """A barcode that is not a well-formed EAN-13, EAN-8 or UPC-A (wrong length, not digits, bad check digit)."""


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of ``body`` (all digits but the last): weights 3,1,3,… from the right."""
    if not body.isdigit():
        raise InvalidBarcode("a barcode has digits only")
    total = sum(int(digit) * (3 if position % 2 == 0 else 1) for position, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def barcode_kind(code: str) -> str:
    """``"EAN-13"``, ``"EAN-8"`` or ``"UPC-A"`` for a valid ``code``; raises :class:`InvalidBarcode` otherwise."""
    if not isinstance(code, str) or not code.isascii() or not code.isdigit():
        raise InvalidBarcode("a barcode has digits only")
    kind = BARCODE_KINDS.get(len(code))
    if kind is None:
        raise InvalidBarcode("a barcode has 8 (EAN-8), 12 (UPC-A) or 13 (EAN-13) digits")
    if gs1_check_digit(code[:-1]) != int(code[-1]):
        raise InvalidBarcode(f"the check digit of this {kind} is wrong (expected {gs1_check_digit(code[:-1])})")
    return kind


def gtin14(code: str) -> str:
    """The barcode as a 14-digit GTIN, so a UPC-A and its EAN-13 form (leading 0) are the same item."""
    barcode_kind(code)
    return code.zfill(14)


def is_in_store_code(code: str) -> bool:
    """Whether ``code`` is an EAN-13 in the GS1 restricted-circulation range (prefix 20–29)."""
    return len(code) == 13 and code[:2].isdigit() and 20 <= int(code[:2]) <= 29


def in_store_ean13(serial: int, prefix: str = IN_STORE_PREFIX) -> str:
    """The in-store EAN-13 for a serial number: ``prefix`` + 10-digit serial + check digit."""
    if not (len(prefix) == 2 and prefix.isdigit() and 20 <= int(prefix) <= 29):
        raise ValueError("in-store prefixes are 20–29")
    if not 0 < serial < 10**IN_STORE_SERIAL_DIGITS:
        raise ValueError("serial out of range")
    body = f"{prefix}{serial:0{IN_STORE_SERIAL_DIGITS}d}"
    return body + str(gs1_check_digit(body))


@dataclass(frozen=True)
class LotBalance:
    """What FEFO needs to know about one lot."""

    lot_id: str
    on_hand: int
    expiry_date: date | None
    received_on: date


def fefo_order(lots: list[LotBalance]) -> list[LotBalance]:
    """Lots in the order sales take from them: earliest expiry first, lots without expiry last, then oldest."""
    return sorted(
        lots, key=lambda lot: (lot.expiry_date is None, lot.expiry_date or date.max, lot.received_on, lot.lot_id)
    )


def allocate_fefo(qty: int, lots: list[LotBalance]) -> list[tuple[str | None, int]]:
    """Split ``qty`` units over ``lots`` first-expiry-first-out: ``[(lot_id, units)]``.

    What the lots cannot cover is returned with lot ``None``: a sale is never refused, the shortfall is
    taken from the product's unallocated stock (which then goes negative and asks for a count).
    """
    if qty <= 0:
        raise ValueError("allocate a positive quantity")
    remaining = qty
    allocation: list[tuple[str | None, int]] = []
    for lot in fefo_order(lots):
        if remaining == 0:
            break
        take = min(lot.on_hand, remaining)
        if take > 0:
            allocation.append((lot.lot_id, take))
            remaining -= take
    if remaining:
        allocation.append((None, remaining))
    return allocation


def allocate_refund(
    qty: int, taken: list[tuple[str | None, int]], refunded: dict[str | None, int]
) -> list[tuple[str | None, int]]:
    """Where ``qty`` refunded units go back: into the lots the sale line took them from, last-taken first,
    never more per lot than was taken minus what earlier refunds already put back. Units beyond what the
    line took (a refund larger than its sale) go back unallocated."""
    if qty <= 0:
        raise ValueError("refund a positive quantity")
    room: dict[str | None, int] = {}
    order: list[str | None] = []
    for lot_id, units in taken:
        if lot_id not in room:
            order.append(lot_id)
        room[lot_id] = room.get(lot_id, 0) + units
    for lot_id, units in refunded.items():
        if lot_id in room:
            room[lot_id] -= units
    remaining = qty
    placed: list[tuple[str | None, int]] = []
    for lot_id in reversed(order):
        put = min(max(room[lot_id], 0), remaining)
        if put:
            placed.append((lot_id, put))
            remaining -= put
    if remaining:
        placed.append((None, remaining))
    return placed


@dataclass(frozen=True)
class Variance:
    """A counted line against what the ledger expected, in units and rupiah (at the selling price)."""

    expected: int
    counted: int
    units: int
    rupiah: int


def count_variance(expected: int, counted: int, unit_price: int) -> Variance:
    units = counted - expected
    return Variance(expected=expected, counted=counted, units=units, rupiah=units * unit_price)


#: Days ahead within which a lot's expiry raises an alert and puts it on the pick list (default).
DEFAULT_NEAR_EXPIRY_DAYS = 30
#: Days without a sale after which a lot on the shelf counts as a slow mover (default).
DEFAULT_SLOW_MOVER_DAYS = 60
#: Why a lot is on a supplier's return pick list.
EXPIRED = "expired"
NEAR_EXPIRY = "near_expiry"
CONSIGNMENT_ENDED = "consignment_ended"
SLOW_MOVER = "slow_mover"


def return_reasons(
    *,
    today: date,
    expiry_date: date | None,
    received_on: date,
    consignment_days: int | None,
    near_expiry_days: int,
    last_sold_on: date | None,
    slow_mover_days: int,
) -> list[str]:
    """Why a lot still on the shelf should go back to its supplier (empty: it may stay)."""
    reasons = []
    if expiry_date is not None:
        if expiry_date < today:
            reasons.append(EXPIRED)
        elif expiry_date <= today + timedelta(days=near_expiry_days):
            reasons.append(NEAR_EXPIRY)
    if consignment_days is not None and received_on + timedelta(days=consignment_days) < today:
        reasons.append(CONSIGNMENT_ENDED)
    on_shelf_since = max(received_on, last_sold_on) if last_sold_on else received_on
    if (today - on_shelf_since).days >= slow_mover_days:
        reasons.append(SLOW_MOVER)
    return reasons


# -- supplier stock reports --------------------------------------------------------------------------------
def sell_through_bps(sold: int, opening: int, received: int) -> int | None:
    """Sell-through of a period in basis points: units sold (net of refunds back to stock) over the units there
    were to sell (on hand at the start plus received), rounded half up; ``None`` when there was nothing to sell."""
    available = opening + received
    if available <= 0:
        return None
    return (max(sold, 0) * 20_000 + available) // (2 * available)


def days_on_hand(closing: int, sold: int, period_days: int) -> int | None:
    """How many days the stock at the end of the period lasts at the period's average daily sales, rounded half
    up; ``None`` when nothing sold (it does not run out) or nothing is left to count."""
    if sold <= 0 or period_days <= 0 or closing < 0:
        return None
    return (closing * period_days * 2 + sold) // (2 * sold)
