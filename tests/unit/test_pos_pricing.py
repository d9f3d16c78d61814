"""Pure pricing rules: discounts spread exactly, PPN lines, payments adding up, change, refund shares."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.pos.pricing import (
    LineInput,
    PaymentInput,
    PricingError,
    allocate_proportionally,
    price_basket,
    refund_amount,
    settle_payments,
    tax_lines,
)
from services.pos.receipt_numbers import format_receipt_no
from shared.business_time import business_day


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=20),
)
def test_a_proportional_split_always_adds_up_exactly(amount, weights):
    parts = allocate_proportionally(amount, weights)
    if sum(weights) == 0:
        assert parts == [0] * len(weights)
    else:
        assert sum(parts) == amount
        assert all(part >= 0 for part in parts)


def test_a_sale_discount_goes_to_lines_in_proportion_with_the_remainder_to_the_largest_fraction():
    assert allocate_proportionally(1_000, [75_000, 15_000]) == [833, 167]
    assert allocate_proportionally(10, [1, 1, 1]) == [4, 3, 3]


@given(st.lists(st.tuples(st.integers(1, 2_000_000), st.integers(1, 50)), min_size=1, max_size=10), st.data())
def test_basket_totals_are_consistent_for_any_basket(lines, data):
    inputs = [LineInput(price, qty, data.draw(st.integers(0, price * qty))) for price, qty in lines]
    nets = sum(line.unit_price * line.qty - line.discount for line in inputs)
    sale_discount = data.draw(st.integers(0, nets))
    basket = price_basket(inputs, sale_discount, ppn_registered=True)
    assert basket.total == basket.subtotal - basket.discount_total == nets - sale_discount
    assert sum(line.line_total for line in basket.lines) == basket.total
    assert all(line.line_total >= 0 for line in basket.lines)
    assert basket.tax.price_before_tax + basket.tax.ppn == basket.total


def test_ppn_inside_a_price_shows_the_tax_base_and_twelve_percent_of_it():
    tax = tax_lines(100_000)
    assert (tax.price_before_tax, tax.tax_base, tax.ppn) == (90_090, 82_583, 9_910)
    assert price_basket([LineInput(25_000, 1)], 0, ppn_registered=False).tax is None


@pytest.mark.parametrize(
    "lines, discount",
    [
        ([], 0),
        ([LineInput(10_000, 0)], 0),
        ([LineInput(10_000, 1, 10_001)], 0),
        ([LineInput(10_000, 1, 5_000)], 5_001),
    ],
)
def test_impossible_baskets_are_refused(lines, discount):
    with pytest.raises(PricingError):
        price_basket(lines, discount, False)


def test_cash_change_comes_only_from_cash_and_payments_must_add_up():
    settled, change = settle_payments(
        65_000, [PaymentInput("card", 15_000, approval_code="A"), PaymentInput("cash", 50_000, tendered=100_000)]
    )
    assert change == 50_000 and [p.change for p in settled] == [0, 50_000]
    with pytest.raises(PricingError):
        settle_payments(65_000, [PaymentInput("cash", 60_000, tendered=100_000)])
    with pytest.raises(PricingError):
        settle_payments(10_000, [PaymentInput("qris", 10_000, tendered=20_000)])
    with pytest.raises(PricingError):
        settle_payments(10_000, [PaymentInput("card", 10_000)])
    assert settle_payments(0, []) == ([], 0)


@given(st.integers(0, 10**9), st.integers(1, 100), st.data())
def test_refunding_every_unit_in_any_steps_returns_the_line_total_exactly(line_total, sold, data):
    refunded, paid_back = 0, 0
    while refunded < sold:
        qty = data.draw(st.integers(1, sold - refunded))
        paid_back += refund_amount(line_total, sold, refunded, qty)
        refunded += qty
    assert paid_back == line_total
    with pytest.raises(PricingError):
        refund_amount(line_total, sold, sold, 1)


def test_receipt_numbers_use_the_jakarta_day():
    late_evening_utc = datetime(2026, 11, 27, 18, 30, tzinfo=UTC)  # 01:30 WIB on the 28th
    assert business_day(late_evening_utc) == date(2026, 11, 28)
    assert format_receipt_no("R01", date(2026, 11, 27), 1) == "R01-20261127-0001"
