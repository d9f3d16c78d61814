"""The bank files of a payout run against each layout's rules: bank codes, account digits, amounts, totals."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from services.suppliers import bank_files
from services.suppliers.bank_files import FileOptions, Transfer
from shared import banks
from shared.errors import DomainError

OPTIONS = FileOptions(value_date=date(2026, 12, 1), debit_account="1230009876543", batch=2)
BATIK = Transfer("BCA", "1234567890", "Siti Aminah", 1_250_000, "SENTRA-20261130-AAAA1111", "Batik Tarumanegara", "l1")
KERUPUK = Transfer("BRI", "002301000123456", "Hendra Wijaya", 85_000, "SENTRA-20261130-BBBB2222", "Kerupuk", "l2")
DODOL = Transfer("Bank Mandiri", "1560012345678", "Yati", 300_000_000, "SENTRA-20261130-CCCC3333", "Dodol", "l3")


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_bank_codes_are_the_bank_indonesia_clearing_codes_whatever_the_spelling():
    assert [banks.bank_code(n) for n in ("BCA", "bri", " Bank Mandiri ", "mandiri", "BNI", "Bank Antah")] == [
        "014",
        "002",
        "008",
        "008",
        "009",
        None,
    ]


@pytest.mark.parametrize(
    ("code", "number", "problem"),
    [
        ("014", "1234567890", None),
        ("014", "123456789", "An account at this bank has 10 digits."),
        ("002", "002301000123456", None),
        ("002", "0023010001234", "An account at this bank has 15 digits."),
        ("008", "1560012345678", None),
        ("008", "156-0012345678", "Only digits."),
        ("542", "100200300", None),
        ("542", "1234", "5 to 20 digits."),
    ],
)
def test_an_account_number_has_the_digits_its_bank_uses(code, number, problem):
    assert banks.account_number_problem(code, number) == problem


def test_the_mandiri_file_has_a_p_header_carrying_the_count_and_total_and_one_record_per_transfer():
    text = bank_files.render("mandiri", [BATIK, KERUPUK, DODOL], OPTIONS)
    header, *details = rows(text)
    assert header == ["P", "20261201", "1230009876543", "3", "301335000.00"]
    assert [d[0] for d in details] == ["1234567890", "002301000123456", "1560012345678"]
    assert details[0] == [
        "1234567890",
        "Siti Aminah",
        "",
        "",
        "",
        "IDR",
        "1250000.00",
        "Pembayaran konsinyasi SENTRA-20261130-AAAA1111",
        "SENTRA-20261130-AAA",
        "BAU",
        "014",
        "BCA",
    ]
    assert [(d[9], d[10]) for d in details] == [("BAU", "014"), ("BAU", "002"), ("IBU", "008")]
    assert all(len(d[8]) <= 19 and len(d[1]) <= 40 for d in details)
    assert bank_files.check_totals("mandiri", text) == []
    assert text.endswith("\r\n")


def test_a_mandiri_transfer_to_another_bank_above_the_bi_fast_limit_goes_by_rtgs():
    big = Transfer("BCA", "1234567890", "Siti", bank_files.BI_FAST_LIMIT + 1, "R")
    assert bank_files.mandiri_service(big) == "RBU"
    assert bank_files.mandiri_service(Transfer("BCA", "1234567890", "Siti", bank_files.BI_FAST_LIMIT, "R")) == "BAU"


def test_the_bca_file_carries_only_bca_accounts_numbered_with_a_totals_row():
    text = bank_files.render("bca", [BATIK, KERUPUK, Transfer("bca", "0987654321", "Asep", 90_000, "R2")], OPTIONS)
    assert rows(text) == [
        ["Tanggal Efektif", "01/12/2026", "Batch", "02"],
        ["No", "Nomor Rekening", "Nama", "Jumlah", "Keterangan"],
        ["1", "1234567890", "Siti Aminah", "1250000", "SENTRA-20261130-AAAA1111"],
        ["2", "0987654321", "Asep", "90000", "R2"],
        ["TOTAL", "2", "", "1340000", ""],
    ]
    assert bank_files.check_totals("bca", text) == []


def test_a_run_without_a_bca_account_has_no_bca_file():
    with pytest.raises(DomainError) as refused:
        bank_files.render("bca", [KERUPUK], OPTIONS)
    assert refused.value.status == 409 and refused.value.code == bank_files.NO_LINES_FOR_BANK


def test_every_line_that_breaks_the_layout_is_named_and_no_file_is_made():
    bad = [
        Transfer("Bank Antah Berantah", "1234567890", "Siti", 10_000, "R1"),
        Transfer("BRI", "12345", "Hendra", 10_000, "R2"),
        Transfer("BCA", "1234567890", "", 10_000, "R3"),
        Transfer("BCA", "1234567890", "Nama, dengan koma", 0, "R4"),
    ]
    with pytest.raises(DomainError) as refused:
        bank_files.render("mandiri", bad, FileOptions(value_date=date(2026, 12, 1), debit_account="12"))
    assert refused.value.code == bank_files.INVALID_BANK_FILE and refused.value.status == 422
    assert refused.value.errors == {
        "debit_account": ["An account at this bank has 13 digits."],
        "lines.0.bank_name": ["Unknown bank."],
        "lines.1.bank_account_number": ["An account at this bank has 15 digits."],
        "lines.2.bank_account_holder": ["Missing data for required field."],
        "lines.3.bank_account_holder": ["Not a name the bank's file can carry."],
        "lines.3.amount": ["Must be at least Rp1."],
    }


def test_the_mandiri_file_needs_the_centres_debit_account_and_the_bca_file_a_batch_of_the_day():
    assert bank_files.line_problems("mandiri", [BATIK], FileOptions(value_date=date(2026, 12, 1))) == {
        "debit_account": ["Missing data for required field."]
    }
    assert bank_files.line_problems("bca", [BATIK], FileOptions(value_date=date(2026, 12, 1), batch=100)) == {
        "batch": ["Must be between 1 and 99."]
    }


def test_the_totals_check_finds_a_header_or_totals_row_that_does_not_add_up():
    mandiri = bank_files.render("mandiri", [BATIK, KERUPUK], OPTIONS).replace(",2,1335000.00", ",3,1335001.00")
    assert bank_files.check_totals("mandiri", mandiri) == [
        "the header counts 3 records, the file has 2",
        "the header total 1335001.00 is not the sum 1335000",
    ]
    bca = bank_files.render("bca", [BATIK], OPTIONS).replace("TOTAL,1,,1250000", "TOTAL,1,,1250001")
    assert bank_files.check_totals("bca", bca) == ["the totals row says 1250001, the rows add up to 1250000"]
    assert bank_files.check_totals("mandiri", "H,1\r\n") == ["the first record is not a P header"]


def test_the_generic_csv_names_bank_account_holder_amount_and_reference():
    assert rows(bank_files.render("csv", [KERUPUK], OPTIONS)) == [
        ["bank_name", "account_number", "account_holder", "amount", "reference", "supplier", "line_id"],
        ["BRI", "002301000123456", "Hendra Wijaya", "85000", "SENTRA-20261130-BBBB2222", "Kerupuk", "l2"],
    ]
