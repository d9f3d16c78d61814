"""Pure consignment rules (no database): terms, splitting a line, refund reversals, Jakarta days, due dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from services.suppliers.models import AgreementType, PayoutSchedule
from shared.business_time import business_day, day_start
from shared.money import split_commission, split_fixed_price

DEFAULT_COMMISSION_BPS = 2000
DEFAULT_HOLDBACK_DAYS = 7
DEFAULT_CONSIGNMENT_DAYS = 90
#: A lot expiring within this many days is due for pickup (inventory's near-expiry scan has the same default).
NEAR_EXPIRY_DAYS = 30
#: Why goods are due for pickup: about to expire (or expired), or their consignment period is over.
NEAR_EXPIRY, CONSIGNMENT_ENDED = "near_expiry", "consignment_ended"
#: Small suppliers must be paid within 15 days (Permendag 70/2013 art. 13): older dues are flagged.
OVERDUE_AFTER = timedelta(days=15)
SCHEDULE_PERIODS: dict[str, timedelta] = {
    PayoutSchedule.WEEKLY: timedelta(days=7),
    PayoutSchedule.BIWEEKLY: timedelta(days=14),
    PayoutSchedule.MONTHLY: timedelta(days=30),
}
#: When no ``effective_from`` is given for the first agreement, it covers every earlier sale too.
BEGINNING_OF_TIME = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Terms:
    """The agreement terms that apply to one sale line."""

    agreement_id: str | None
    type: str = AgreementType.COMMISSION
    commission_bps: int = DEFAULT_COMMISSION_BPS
    holdback_days: int = DEFAULT_HOLDBACK_DAYS
    fixed_prices: dict[str, int] = field(default_factory=dict)


DEFAULT_TERMS = Terms(agreement_id=None)


@dataclass(frozen=True)
class Split:
    """A sale line divided between the supplier (``share``) and the centre (``commission``)."""

    share: int
    commission: int


def split_line(terms: Terms, product_id: str, qty: int, line_total: int) -> Split:
    """Split a sale line under ``terms``; ``share + commission == line_total`` always.

    Fixed-price (harga titip): share = qty × the agreed supplier price for the product; a product without an
    agreed price falls back to the agreement's commission rate.
    """
    if terms.type == AgreementType.FIXED_PRICE and str(product_id) in terms.fixed_prices:
        share, margin = split_fixed_price(line_total, qty, terms.fixed_prices[str(product_id)])
        return Split(share, margin)
    share, commission = split_commission(line_total, terms.commission_bps)
    return Split(share, commission)


def refund_reversal(original: Split, line_total: int, refunded_before: int, refund_amount: int) -> Split:
    """The part of ``original`` that a refund of ``refund_amount`` reverses, given ``refunded_before``.

    Computed cumulatively (share reversed so far = original share × refunded so far / line total, rounded half
    up), so several partial refunds of a line add up to exactly the original split, in whatever order they come.
    """
    if refund_amount < 0 or refunded_before < 0 or refunded_before + refund_amount > line_total:
        raise ValueError("refund exceeds what is left of the line")
    if refunded_before + refund_amount == line_total:
        share_after = original.share
    else:
        share_after = _proportion(original.share, refunded_before + refund_amount, line_total)
    share_before = (
        _proportion(original.share, refunded_before, line_total) if refunded_before < line_total else original.share
    )
    share = share_after - share_before
    return Split(share, refund_amount - share)


def _proportion(amount: int, part: int, whole: int) -> int:
    if whole == 0:
        return 0
    numerator = amount * part
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + whole) // (2 * whole))


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """``[start 00:00 WIB, the day after end 00:00 WIB)`` in UTC."""
    if end < start:
        raise ValueError("the period ends before it starts")
    return day_start(start), day_start(end + timedelta(days=1))


def due_date(oldest_available_at: datetime | None, schedule: str) -> date | None:
    """The day a supplier's oldest unpaid money falls due under their payout schedule."""
    if oldest_available_at is None:
        return None
    return business_day(oldest_available_at + SCHEDULE_PERIODS.get(schedule, SCHEDULE_PERIODS[PayoutSchedule.MONTHLY]))


def is_overdue(oldest_available_at: datetime | None, now: datetime) -> bool:
    """Money available for more than 15 days and still unpaid is flagged."""
    return oldest_available_at is not None and now - oldest_available_at > OVERDUE_AFTER


def pickup_reasons(
    on_hand: int,
    expiry_date: date | None,
    received_on: date | None,
    consignment_days: int,
    today: date,
    alerted: frozenset[str] = frozenset(),
) -> list[tuple[str, date | None]]:
    """Why a lot still on the shelf is due for pickup, each reason with its day (the expiry date, or the last day
    of the consignment period: as in inventory's return rule, the lot is due the day after), by its own dates or
    by an alert inventory raised about it (``alerted`` kinds) when the dates are not known here. Nothing for a lot
    with nothing on hand."""
    if on_hand <= 0:
        return []
    reasons: list[tuple[str, date | None]] = []
    near = expiry_date is not None and expiry_date <= today + timedelta(days=NEAR_EXPIRY_DAYS)
    if near or NEAR_EXPIRY in alerted:
        reasons.append((NEAR_EXPIRY, expiry_date))
    ends_on = received_on + timedelta(days=consignment_days) if received_on is not None else None
    if (ends_on is not None and ends_on < today) or CONSIGNMENT_ENDED in alerted:
        reasons.append((CONSIGNMENT_ENDED, ends_on))
    return reasons


def same_person(recorded_actor: str | None, actor: str) -> bool:
    """Whether two actors (``role:user_id``, as :func:`shared.auth.current_actor` records them) are one account,
    whatever role it held then: the four-eyes check of a payout run compares the accounts, not the roles."""
    if not recorded_actor:
        return False
    return recorded_actor.split(":", 1)[-1] == actor.split(":", 1)[-1]
