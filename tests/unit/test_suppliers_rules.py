"""Pure consignment rules and the reconciliation matching rule, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.suppliers import rules
from services.suppliers.reconciliation import compare
from shared.business_time import business_day

PRODUCT = "11111111-1111-4111-8111-111111111111"


def test_a_commission_line_is_split_half_up_and_the_parts_add_up():
    terms = rules.Terms(agreement_id="a", commission_bps=2000)
    assert rules.split_line(terms, PRODUCT, 1, 10_001) == rules.Split(share=8_001, commission=2_000)
    assert rules.split_line(terms, PRODUCT, 1, 12_503) == rules.Split(share=10_002, commission=2_501)  # 2 500.6 → 2 501


def test_a_fixed_price_line_pays_the_agreed_price_per_unit_and_falls_back_to_the_rate_for_other_products():
    terms = rules.Terms(agreement_id="a", type="fixed_price", commission_bps=1000, fixed_prices={PRODUCT: 18_000})
    assert rules.split_line(terms, PRODUCT, 3, 75_000) == rules.Split(share=54_000, commission=21_000)
    assert rules.split_line(terms, "another", 1, 10_000) == rules.Split(share=9_000, commission=1_000)


@given(
    line_total=st.integers(0, 10**10),
    bps=st.integers(0, 10_000),
    qty=st.integers(1, 1000),
    price=st.integers(0, 10**7),
    fixed=st.booleans(),
)
def test_share_plus_commission_is_always_the_line_total(line_total, bps, qty, price, fixed):
    terms = rules.Terms(
        agreement_id=None,
        type="fixed_price" if fixed else "commission",
        commission_bps=bps,
        fixed_prices={PRODUCT: price},
    )
    split = rules.split_line(terms, PRODUCT, qty, line_total)
    assert split.share + split.commission == line_total


@given(
    line_total=st.integers(1, 10**9),
    bps=st.integers(0, 10_000),
    cuts=st.lists(st.integers(1, 100), min_size=1, max_size=6),
    data=st.data(),
)
def test_partial_refunds_in_any_order_reverse_exactly_the_original_split(line_total, bps, cuts, data):
    original = rules.split_line(rules.Terms(agreement_id=None, commission_bps=bps), PRODUCT, 1, line_total)
    amounts, left = [], line_total
    for percent in cuts:
        amount = max(1, left * percent // 100) if left else 0
        if amount:
            amounts.append(amount)
            left -= amount
    if left:
        amounts.append(left)
    order = data.draw(st.permutations(amounts))
    refunded, shares, commissions = 0, 0, 0
    for amount in order:
        reversal = rules.refund_reversal(original, line_total, refunded, amount)
        assert reversal.share + reversal.commission == amount
        refunded += amount
        shares += reversal.share
        commissions += reversal.commission
    assert (shares, commissions) == (original.share, original.commission)


def test_a_refund_beyond_the_line_is_refused():
    with pytest.raises(ValueError):
        rules.refund_reversal(rules.Split(800, 200), 1_000, 600, 401)


def test_periods_are_jakarta_calendar_days_in_utc():
    lower, upper = rules.period_bounds(date(2026, 2, 1), date(2026, 2, 28))
    assert lower == datetime(2026, 1, 31, 17, tzinfo=UTC)
    assert upper == datetime(2026, 2, 28, 17, tzinfo=UTC)
    assert business_day(datetime(2026, 2, 3, 20, tzinfo=UTC)) == date(2026, 2, 4)
    with pytest.raises(ValueError):
        rules.period_bounds(date(2026, 2, 2), date(2026, 2, 1))


def test_dues_follow_the_payout_schedule_and_are_overdue_after_15_days():
    since = datetime(2026, 3, 1, 1, tzinfo=UTC)
    assert rules.due_date(since, "weekly") == date(2026, 3, 8)
    assert rules.due_date(since, "biweekly") == date(2026, 3, 15)
    assert rules.due_date(since, "monthly") == date(2026, 3, 31)
    assert rules.due_date(None, "weekly") is None
    assert not rules.is_overdue(since, since + timedelta(days=15))
    assert rules.is_overdue(since, since + timedelta(days=15, seconds=1))


def _sale(sale_id, qty=1, total=10_000, product=PRODUCT):
    return {
        "sale_id": sale_id,
        "total": total,
        "lines": [{"line_id": f"{sale_id}-1", "product_id": product, "qty": qty, "line_total": total}],
    }


def _move(movement_id, sale_id, qty=1, product=PRODUCT):
    return {"movement_id": movement_id, "kind": "sale", "reference_id": sale_id, "product_id": product, "qty": -qty}


def test_compare_finds_nothing_when_the_three_sources_agree():
    report = compare(
        [_sale("s1"), _sale("s2", 2, 20_000)],
        [],
        [_move("m1", "s1"), _move("m2", "s2", 2)],
        {"s1": {"entries": 1, "amount": 10_000}, "s2": {"entries": 1, "amount": 20_000}},
        {},
    )
    assert report == {"missing": [], "duplicated": [], "mismatched": []}


def test_compare_reports_missing_duplicated_and_mismatched_ids_with_amounts():
    report = compare(
        pos_sales=[_sale("s1"), _sale("s2"), _sale("s2"), _sale("s3", total=7_000)],
        pos_refunds=[{"refund_id": "r1", "total": 5_000, "lines": [{"amount": 5_000}]}],
        movements=[_move("m1", "s1"), _move("m1", "s1"), _move("m2", "s2"), _move("m3", "s3", 2), _move("m9", "s9")],
        ledger_sales={
            "s1": {"entries": 2, "amount": 10_000},
            "s2": {"entries": 1, "amount": 10_000},
            "s3": {"entries": 1, "amount": 7_500},
            "s8": {"entries": 1, "amount": 4_000},
        },
        ledger_refunds={},
    )
    assert {(m["kind"], m["id"], m["missing_in"], m["amount"]) for m in report["missing"]} == {
        ("refund", "r1", "ledger", 5_000),
        ("sale", "s8", "pos", 4_000),
        ("sale", "s9", "pos", 0),
    }
    assert {(d["source"], d["id"], d["times"]) for d in report["duplicated"]} == {
        ("pos", "s2", 2),
        ("ledger", "s1", 2),
        ("inventory", "m1", 2),
    }
    assert {(m["id"], m["field"], m["difference"]) for m in report["mismatched"]} == {
        ("s3", "amount", 500),
        ("s3", "qty", 1),
    }


def test_the_four_eyes_check_compares_accounts_not_roles():
    assert rules.same_person("manager:dewi", "manager:dewi")
    assert rules.same_person("manager:dewi", "admin:dewi")
    assert not rules.same_person("manager:dewi", "manager:rina")
    assert not rules.same_person(None, "manager:dewi")


def test_a_lot_is_due_for_pickup_when_it_nears_expiry_or_its_consignment_period_is_over():
    today = date(2026, 11, 30)
    received = date(2026, 10, 1)
    assert rules.pickup_reasons(5, date(2027, 6, 30), received, 90, today) == []
    assert rules.pickup_reasons(5, date(2026, 12, 30), received, 90, today) == [("near_expiry", date(2026, 12, 30))]
    assert rules.pickup_reasons(5, date(2026, 12, 31), received, 90, today) == []  # 31 days left
    assert rules.pickup_reasons(5, date(2026, 11, 20), received, 90, today) == [("near_expiry", date(2026, 11, 20))]
    assert rules.pickup_reasons(5, None, received, 59, today) == [("consignment_ended", date(2026, 11, 29))]
    assert rules.pickup_reasons(5, None, received, 60, today) == []  # its last day is today
    assert rules.pickup_reasons(5, date(2026, 12, 1), received, 30, today) == [
        ("near_expiry", date(2026, 12, 1)),
        ("consignment_ended", date(2026, 10, 31)),
    ]


def test_a_lot_without_its_dates_is_due_by_inventory_alerts_and_a_sold_out_lot_never():
    today = date(2026, 11, 30)
    assert rules.pickup_reasons(2, None, None, 90, today, frozenset({"near_expiry"})) == [("near_expiry", None)]
    assert rules.pickup_reasons(2, None, None, 90, today, frozenset({"consignment_ended"})) == [
        ("consignment_ended", None)
    ]
    assert rules.pickup_reasons(0, date(2026, 12, 1), date(2026, 1, 1), 30, today, frozenset({"near_expiry"})) == []
