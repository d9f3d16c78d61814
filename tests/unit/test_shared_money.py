import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.money import apply_rate, format_rupiah, ppn_included, split_commission, split_fixed_price


@pytest.mark.parametrize(
    "amount, text",
    [(0, "Rp0"), (500, "Rp500"), (1_250_000, "Rp1.250.000"), (1_000, "Rp1.000"), (-5_000, "-Rp5.000")],
)
def test_rupiah_is_written_with_dots_between_thousands_and_no_space(amount, text):
    assert format_rupiah(amount) == text


def test_formatting_refuses_floats():
    with pytest.raises(TypeError):
        format_rupiah(1.5)


def test_commission_rounds_half_up_to_the_rupiah():
    assert split_commission(12_345, 2_000) == (9_876, 2_469)  # 2469.0 exactly
    assert split_commission(10_005, 1_000) == (9_004, 1_001)  # 1000.5 → 1001
    assert split_commission(10_004, 1_000) == (9_004, 1_000)  # 1000.4 → 1000


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_share_and_commission_always_add_up_to_the_line_total(line_total, rate):
    share, commission = split_commission(line_total, rate)
    assert share + commission == line_total
    assert 0 <= commission <= line_total
    assert commission == apply_rate(line_total, rate)


def test_a_rate_outside_zero_to_hundred_percent_is_refused():
    with pytest.raises(ValueError):
        split_commission(1_000, 10_001)
    with pytest.raises(ValueError):
        split_commission(1_000, -1)


def test_fixed_price_share_is_quantity_times_the_agreed_supplier_price():
    assert split_fixed_price(line_total=75_000, qty=3, supplier_unit_price=20_000) == (60_000, 15_000)


def test_ppn_inside_an_inclusive_price_is_eleven_percent_of_the_price_before_tax():
    before_tax, base, ppn = ppn_included(111_000)
    assert (before_tax, base, ppn) == (100_000, 91_667, 11_000)
    assert ppn == round(base * 12 / 100)


@given(st.integers(min_value=0, max_value=10**12))
def test_price_before_tax_and_ppn_add_up_to_the_inclusive_price(gross):
    before_tax, base, ppn = ppn_included(gross)
    assert before_tax + ppn == gross
    assert base <= before_tax
