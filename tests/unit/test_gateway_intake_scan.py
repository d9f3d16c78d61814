"""Where a scanned product lands on a lines form: the intake, and the supplier's announced delivery (no services,
no browser)."""

import pytest
from flask import Flask

from services.gateway.console.intakes import FIRST_LINES, MAX_LINES, add_scanned, requested_line_count


def test_a_scanned_product_already_on_a_line_gets_one_more_unit_there():
    values = {"lines.0.product_id": "p1", "lines.0.qty": "2", "lines.1.product_id": "p2", "lines.1.qty": "1.000"}
    assert add_scanned(values, 3, "p2") == (3, 1)
    assert values["lines.1.qty"] == "1001" and values["lines.0.qty"] == "2"


def test_a_line_without_a_quantity_yet_counts_the_scan_as_its_first_unit():
    values = {"lines.0.product_id": "p1", "lines.0.qty": ""}
    assert add_scanned(values, 3, "p1") == (3, 0) and values["lines.0.qty"] == "1"


def test_a_new_product_takes_the_first_empty_line_and_a_new_line_when_none_is_empty():
    values = {"lines.0.product_id": "p1", "lines.0.qty": "1", "lines.1.qty": "4"}  # line 1 has a typed quantity
    assert add_scanned(values, 3, "p2") == (3, 2)
    assert (values["lines.2.product_id"], values["lines.2.qty"]) == ("p2", "1")
    assert add_scanned(values, 3, "p3") == (4, 3)
    assert (values["lines.3.product_id"], values["lines.3.qty"]) == ("p3", "1")


def test_a_quantity_that_is_not_a_number_starts_again_at_one_and_a_full_form_takes_no_new_product():
    values = {"lines.0.product_id": "dodol", "lines.0.qty": "dua"}
    assert add_scanned(values, 1, "dodol") == (1, 0) and values["lines.0.qty"] == "1"
    full = {f"lines.{row}.product_id": f"p{row}" for row in range(MAX_LINES)}
    assert add_scanned(full, MAX_LINES, "baru") is None and "lines.100.product_id" not in full
    assert add_scanned(full, MAX_LINES, "p7") == (MAX_LINES, 7)


@pytest.mark.parametrize(
    ("asked", "shown"),
    [("", FIRST_LINES), ("abc", FIRST_LINES), ("-5", FIRST_LINES), ("0", 1), ("7", 7), ("99999999999", FIRST_LINES)],
)
def test_the_rows_a_lines_form_asks_for_are_a_bounded_number_whatever_is_sent(asked, shown):
    with Flask(__name__).test_request_context("/", query_string={"line_count": asked}):
        assert requested_line_count() == shown
    with Flask(__name__).test_request_context("/", query_string={"line_count": str(MAX_LINES + 1)}):
        assert requested_line_count() == MAX_LINES
