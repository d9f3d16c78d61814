"""Pure stock rules: barcode check digits, in-store codes, FEFO allocation, refunds to lots, variance and
the reasons a lot goes back to its supplier."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.inventory import rules
from services.inventory.rules import LotBalance

PUBLISHED_EXAMPLES = [
    ("4006381333931", "EAN-13"),  # the Wikipedia EAN-13 example
    ("9780201379624", "EAN-13"),  # ISBN-13 of "The C++ Programming Language" 3rd ed. (Bookland EAN)
    ("036000291452", "UPC-A"),  # the Wikipedia UPC-A example
    ("96385074", "EAN-8"),  # the Wikipedia EAN-8 example
]


@pytest.mark.parametrize("code,kind", PUBLISHED_EXAMPLES)
def test_published_barcodes_have_valid_check_digits(code, kind):
    assert rules.barcode_kind(code) == kind
    assert rules.gs1_check_digit(code[:-1]) == int(code[-1])


@pytest.mark.parametrize("code", ["4006381333932", "9780201379625", "036000291453", "96385075"])
def test_a_wrong_check_digit_is_rejected(code):
    with pytest.raises(rules.InvalidBarcode, match="check digit"):
        rules.barcode_kind(code)


@pytest.mark.parametrize(
    "code", ["", "123", "40063813339311", "400638133393a", " 4006381333931", "４００６３８１３３３９３１"]
)
def test_malformed_barcodes_are_rejected(code):
    with pytest.raises(rules.InvalidBarcode):
        rules.barcode_kind(code)


def test_a_upc_a_and_its_ean13_form_share_one_gtin():
    assert rules.gtin14("036000291452") == rules.gtin14("0036000291452") == "00036000291452"


@given(st.integers(min_value=1, max_value=10**10 - 1))
def test_every_in_store_code_is_a_valid_restricted_circulation_ean13(serial):
    code = rules.in_store_ean13(serial)
    assert rules.barcode_kind(code) == "EAN-13" and rules.is_in_store_code(code) and code.startswith("20")


def test_in_store_codes_of_different_serials_differ():
    codes = {rules.in_store_ean13(serial) for serial in range(1, 5001)}
    assert len(codes) == 5000


def test_in_store_codes_only_use_prefixes_20_to_29():
    assert rules.in_store_ean13(7, prefix="29").startswith("29")
    with pytest.raises(ValueError):
        rules.in_store_ean13(7, prefix="30")
    with pytest.raises(ValueError):
        rules.in_store_ean13(0)


TODAY = date(2026, 11, 28)


def _lot(lot_id, on_hand, expiry_days, received_days_ago=10):
    expiry = None if expiry_days is None else TODAY + timedelta(days=expiry_days)
    return LotBalance(lot_id, on_hand, expiry, TODAY - timedelta(days=received_days_ago))


def test_fefo_takes_the_earliest_expiry_first_and_lots_without_expiry_last():
    lots = [_lot("none", 5, None), _lot("late", 5, 90), _lot("early", 2, 5), _lot("mid", 3, 30)]
    assert rules.allocate_fefo(9, lots) == [("early", 2), ("mid", 3), ("late", 4)]
    assert rules.allocate_fefo(15, lots) == [("early", 2), ("mid", 3), ("late", 5), ("none", 5)]


def test_fefo_breaks_expiry_ties_by_the_older_delivery():
    lots = [_lot("newer", 4, 30, received_days_ago=1), _lot("older", 4, 30, received_days_ago=20)]
    assert rules.allocate_fefo(5, lots) == [("older", 4), ("newer", 1)]


def test_what_the_lots_cannot_cover_is_taken_unallocated():
    assert rules.allocate_fefo(7, [_lot("a", 3, 10), _lot("empty", 0, 1)]) == [("a", 3), (None, 4)]
    assert rules.allocate_fefo(2, []) == [(None, 2)]


@given(
    st.integers(min_value=1, max_value=200),
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=50), st.one_of(st.none(), st.integers(-30, 300))), max_size=8
    ),
)
def test_fefo_allocates_exactly_the_quantity_and_never_more_than_a_lot_holds(qty, spec):
    lots = [_lot(f"lot{i}", on_hand, expiry) for i, (on_hand, expiry) in enumerate(spec)]
    allocation = rules.allocate_fefo(qty, lots)
    assert sum(units for _, units in allocation) == qty
    held = {lot.lot_id: lot.on_hand for lot in lots}
    assert all(0 < units <= held[lot_id] for lot_id, units in allocation if lot_id is not None)
    taken_from = [lot_id for lot_id, _ in allocation if lot_id is not None]
    expiries = [next(line for line in lots if line.lot_id == i).expiry_date or date.max for i in taken_from]
    assert expiries == sorted(expiries)


def test_a_refund_goes_back_into_the_last_taken_lots_first_and_never_beyond_what_was_taken():
    taken = [("early", 2), ("mid", 3), (None, 1)]
    assert rules.allocate_refund(2, taken, {}) == [(None, 1), ("mid", 1)]
    assert rules.allocate_refund(4, taken, {None: 1, "mid": 1}) == [("mid", 2), ("early", 2)]
    assert rules.allocate_refund(3, [("a", 2)], {}) == [("a", 2), (None, 1)]


def test_variance_is_counted_minus_expected_in_units_and_rupiah():
    assert rules.count_variance(14, 11, 25_000) == rules.Variance(14, 11, -3, -75_000)
    assert rules.count_variance(0, 2, 40_000).rupiah == 80_000


def test_return_reasons_cover_expired_near_expiry_consignment_and_slow_movers():
    def reasons(**kw):
        base = dict(
            today=TODAY,
            expiry_date=None,
            received_on=TODAY - timedelta(days=5),
            consignment_days=None,
            near_expiry_days=14,
            last_sold_on=TODAY,
            slow_mover_days=60,
        )
        return rules.return_reasons(**{**base, **kw})

    assert reasons() == []
    assert reasons(expiry_date=TODAY - timedelta(days=1)) == ["expired"]
    assert reasons(expiry_date=TODAY + timedelta(days=14)) == ["near_expiry"]
    assert reasons(expiry_date=TODAY + timedelta(days=15)) == []
    assert reasons(consignment_days=3) == ["consignment_ended"]
    assert reasons(consignment_days=5) == []
    assert reasons(received_on=TODAY - timedelta(days=70), last_sold_on=None) == ["slow_mover"]
    assert reasons(received_on=TODAY - timedelta(days=70), last_sold_on=TODAY - timedelta(days=3)) == []
