"""The pure rules of the reports: day / week / month buckets with the empty ones kept, sell-through and days on
hand per supplier."""

from __future__ import annotations

from datetime import date

import pytest

from services.inventory import rules as stock_rules
from services.pos import report_rules


@pytest.mark.parametrize(
    ("day", "granularity", "start"),
    [
        (date(2026, 11, 30), "day", date(2026, 11, 30)),
        (date(2026, 11, 30), "week", date(2026, 11, 30)),  # a Monday
        (date(2026, 12, 6), "week", date(2026, 11, 30)),  # the Sunday of the same ISO week
        (date(2026, 12, 31), "month", date(2026, 12, 1)),
    ],
)
def test_a_day_falls_in_the_bucket_of_its_day_iso_week_or_month(day, granularity, start):
    assert report_rules.bucket_start(day, granularity) == start


def test_every_bucket_of_the_period_is_listed_even_partial_ones():
    assert report_rules.buckets(date(2026, 11, 28), date(2026, 12, 2), "day") == [
        date(2026, 11, 28),
        date(2026, 11, 29),
        date(2026, 11, 30),
        date(2026, 12, 1),
        date(2026, 12, 2),
    ]
    assert report_rules.buckets(date(2026, 11, 28), date(2026, 12, 8), "week") == [
        date(2026, 11, 23),
        date(2026, 11, 30),
        date(2026, 12, 7),
    ]
    assert report_rules.buckets(date(2026, 1, 31), date(2026, 3, 1), "month") == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]


def test_totals_by_bucket_add_up_the_days_and_keep_days_without_sales_as_zero():
    days = [(date(2026, 11, 30), 2, 50_000), (date(2026, 12, 2), 1, 25_000), (date(2026, 12, 6), 3, 10_000)]
    assert report_rules.totals_by_bucket(days, date(2026, 11, 30), date(2026, 12, 2), "day") == [
        {"period": date(2026, 11, 30), "count": 2, "total": 50_000},
        {"period": date(2026, 12, 1), "count": 0, "total": 0},
        {"period": date(2026, 12, 2), "count": 1, "total": 25_000},
    ]
    weekly = report_rules.totals_by_bucket(days, date(2026, 11, 30), date(2026, 12, 6), "week")
    assert weekly == [{"period": date(2026, 11, 30), "count": 6, "total": 85_000}]
    monthly = report_rules.totals_by_bucket(days, date(2026, 11, 1), date(2026, 12, 31), "month")
    assert [(m["period"], m["total"]) for m in monthly] == [(date(2026, 11, 1), 50_000), (date(2026, 12, 1), 35_000)]


@pytest.mark.parametrize(
    ("sold", "opening", "received", "bps"),
    [(5, 10, 10, 2500), (1, 2, 1, 3333), (2, 2, 1, 6667), (0, 5, 0, 0), (3, 0, 0, None), (-1, 4, 0, 0)],
)
def test_sell_through_is_sold_over_what_there_was_to_sell_in_basis_points_rounded_half_up(sold, opening, received, bps):
    assert stock_rules.sell_through_bps(sold, opening, received) == bps


@pytest.mark.parametrize(
    ("closing", "sold", "days", "expected"),
    [(20, 10, 30, 60), (5, 10, 7, 4), (1, 3, 1, 0), (0, 4, 30, 0), (10, 0, 30, None), (-2, 4, 30, None)],
)
def test_days_on_hand_is_what_is_left_at_the_periods_daily_rate(closing, sold, days, expected):
    assert stock_rules.days_on_hand(closing, sold, days) == expected
