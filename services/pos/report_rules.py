"""Pure rules of the sales reports (no database): the day / week / month buckets, and
totals per bucket with the empty buckets kept (a chart shows a day without sales as zero, not as a gap)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

GRANULARITIES = ("day", "week", "month")


def bucket_start(day: date, granularity: str) -> date:
    """The first day of the bucket ``day`` falls in: the day itself, its ISO week's Monday, or its month's 1st."""
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown granularity {granularity!r}")


def buckets(start: date, end: date, granularity: str) -> list[date]:
    """Every bucket of the period, in order (the first and last may be partial)."""
    result, current = [], bucket_start(start, granularity)
    while current <= end:
        result.append(current)
        if granularity == "day":
            current += timedelta(days=1)
        elif granularity == "week":
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return result


def totals_by_bucket(days: Iterable[tuple[date, int, int]], start: date, end: date, granularity: str) -> list[dict]:
    """``(business day, count, total)`` rows → ``[{"period": first day, "count", "total"}]`` for every bucket of
    the period, zero where nothing was sold; a day outside the period is not counted."""
    sums = {bucket: [0, 0] for bucket in buckets(start, end, granularity)}
    for day, count, total in days:
        if not start <= day <= end:
            continue
        bucket = sums[bucket_start(day, granularity)]
        bucket[0] += int(count)
        bucket[1] += int(total)
    return [{"period": period, "count": c, "total": t} for period, (c, t) in sorted(sums.items())]
