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


BCA_OPTIONS = FileOptions(
    value_date=date(2026, 12, 1),
    debit_account="0987654321",
    batch=2,
    corporate_id="kbb12345",
    company_code="SNTR01",
    value_hour=7,
)
BRI_OPTIONS = FileOptions(value_date=date(2026, 12, 1), debit_account="002301000999999")


def records(text: str) -> list[list[str]]:
    return [line.split("|") for line in text.splitlines()]


def test_the_bca_file_is_the_multi_payroll_txt_a_0_py_header_counting_one_record_per_bca_transfer():
    asep = Transfer("bca", "0987654321", "Asep", 90_000, "SENTRA-20261130-DDDD4444", "Keripik", "l4")
    text = bank_files.render("bca", [BATIK, KERUPUK, asep], BCA_OPTIONS)
    header, *details = records(text)
    # header: 0|PY|corporate ID|company code|file number 9(8)|yyyyMMdd|hour 9(2)|debited account|count 9(5)|||
    assert header == ["0", "PY", "KBB12345", "SNTR01", "00000002", "20261201", "07", "0987654321", "00002", "", "", ""]
    # detail: 1|transaction ID (18)|BCA|beneficiary ID|credited account|receiver name|amount|NIP|remark|email|SWIFT|
    # customer type|customer residence — the BRI line is not carried
    assert details == [
        ["1", "0020261130AAAA1111", "BCA", "", "1234567890", "SITI AMINAH", "1250000.00", "", "KONSINYASI 011226"]
        + [""] * 4,
        ["1", "0020261130DDDD4444", "BCA", "", "0987654321", "ASEP", "90000.00", "", "KONSINYASI 011226"] + [""] * 4,
    ]
    assert all(len(d[1]) == 18 and len(d[8]) <= 18 and len(d[5]) <= 70 for d in details)
    assert text.endswith("\n") and "\r" not in text
    assert bank_files.check_totals("bca", text) == []
    assert bank_files.file_type("bca") == ("txt", "text/plain")


def test_a_bca_receiver_name_is_cut_at_70_characters_and_a_longer_one_refused():
    seventy = Transfer("BCA", "1234567890", "A" * 70, 10_000, "SENTRA-20261130-EEEE5555", "", "l5")
    assert records(bank_files.render("bca", [seventy], BCA_OPTIONS))[1][5] == "A" * 70
    with pytest.raises(DomainError) as refused:
        bank_files.render("bca", [Transfer("BCA", "1234567890", "A" * 71, 10_000, "R", "", "l6")], BCA_OPTIONS)
    assert refused.value.errors == {"lines.l6.bank_account_holder": ["Not a name the bank's file can carry."]}


def test_the_bca_file_needs_the_centres_bca_account_corporate_id_and_company_code():
    assert bank_files.line_problems("bca", [BATIK], FileOptions(value_date=date(2026, 12, 1))) == {
        "debit_account": ["Missing data for required field."],
        "corporate_id": ["Missing data for required field."],
        "company_code": ["Missing data for required field."],
    }
    wrong = FileOptions(
        value_date=date(2026, 12, 1),
        debit_account="1230009876543",
        corporate_id="KBB-123",
        company_code="SNTR/01",
        batch=100,
        value_hour=24,
    )
    assert bank_files.line_problems("bca", [BATIK], wrong) == {
        "debit_account": ["An account at this bank has 10 digits."],
        "corporate_id": ["Only letters and digits."],
        "company_code": ["Only letters and digits."],
        "batch": ["Must be between 1 and 99."],
        "value_hour": ["Must be between 0 and 23."],
    }


def test_the_bca_check_finds_a_header_count_or_a_record_that_does_not_follow_the_layout():
    text = bank_files.render("bca", [BATIK], BCA_OPTIONS)
    assert bank_files.check_totals("bca", text.replace("|00001|", "|00002|")) == [
        "the header counts 00002 records, the file has 1"
    ]
    assert bank_files.check_totals("bca", text.replace("1250000.00", "1.250.000")) == [
        "detail record 1 is not in the layout"
    ]
    assert bank_files.check_totals("bca", text + text.splitlines()[1] + "\n") == [
        "the header counts 00001 records, the file has 2",
        "two detail records have the same transaction ID",
    ]
    assert bank_files.check_totals("bca", "H|1\n") == ["the first record is not a 0|PY header"]


def test_the_bri_file_is_the_cms_mass_ft_sheet_one_row_per_bri_transfer_then_count_total_date_time():
    budi = Transfer("Bank BRI", "002301000654321", "Budi", 15_000, "SENTRA-20261130-FFFF6666", "Kopi", "l7")
    text = bank_files.render("bri", [BATIK, KERUPUK, budi, DODOL], BRI_OPTIONS)
    assert records(text) == [
        [
            "No",
            "Sender Account",
            "Benef Account",
            "Benef Name",
            "eMail",
            "Amount",
            "Currency",
            "Charge Type",
            "Voucher Code",
            "BI Trx Code",
            "Remark",
            "Reference Number",
        ],
        ["1", "002301000999999", "002301000123456", "Hendra Wijaya", "", "85000", "IDR", "OUR", "", ""]
        + ["KONSINYASI 011226", "20261130BBBB2222"],
        ["2", "002301000999999", "002301000654321", "Budi", "", "15000", "IDR", "OUR", "", ""]
        + ["KONSINYASI 011226", "20261130FFFF6666"],
        ["COUNT", "2"] + [""] * 10,
        ["TOTAL", "100000"] + [""] * 10,
        ["DATE"] + [""] * 11,
        ["TIME"] + [""] * 11,
    ]
    assert bank_files.check_totals("bri", text) == []
    assert bank_files.file_type("bri") == ("csv", "text/csv")


def test_the_bri_file_needs_the_centres_15_digit_bri_account_and_refuses_a_name_with_a_pipe():
    assert bank_files.line_problems("bri", [KERUPUK], FileOptions(value_date=date(2026, 12, 1))) == {
        "debit_account": ["Missing data for required field."]
    }
    piped = Transfer("BRI", "00230100012345", "Hendra | Wijaya", 0, "R", "", "l8")
    with pytest.raises(DomainError) as refused:
        bank_files.render("bri", [piped], FileOptions(value_date=date(2026, 12, 1), debit_account="1234567890"))
    assert refused.value.errors == {
        "debit_account": ["An account at this bank has 15 digits."],
        "lines.l8.bank_account_number": ["An account at this bank has 15 digits."],
        "lines.l8.bank_account_holder": ["Not a name the bank's file can carry."],
        "lines.l8.amount": ["Must be at least Rp1."],
    }
    with pytest.raises(DomainError) as none:
        bank_files.render("bri", [BATIK, DODOL], BRI_OPTIONS)
    assert none.value.status == 409 and none.value.code == bank_files.NO_LINES_FOR_BANK


def test_the_bri_check_finds_count_or_total_rows_that_do_not_add_up():
    text = bank_files.render("bri", [KERUPUK], BRI_OPTIONS)
    assert bank_files.check_totals("bri", text.replace("COUNT|1|", "COUNT|2|").replace("TOTAL|85000|", "TOTAL|1|")) == [
        "the COUNT row says 2, the file has 1 rows",
        "the TOTAL row says 1, the rows add up to 85000",
    ]
    assert bank_files.check_totals("bri", text.replace("|IDR|", "|USD|")) == ["row 1 is not in the layout"]
    assert bank_files.check_totals("bri", "\n".join(text.splitlines()[:-2])) == [
        "the last rows are not COUNT, TOTAL, DATE and TIME"
    ]


def test_a_file_reference_is_the_lines_letters_and_digits_without_the_sentra_prefix():
    assert bank_files.common.file_reference("SENTRA-20261130-AAAA1111", 18) == "20261130AAAA1111"
    assert bank_files.common.file_reference("SENTRA-20261130-AAAA1111", 6) == "AA1111"
    assert bank_files.common.file_reference("r-2", 18) == "R2"


def test_a_run_without_a_bca_account_has_no_bca_file():
    with pytest.raises(DomainError) as refused:
        bank_files.render("bca", [KERUPUK], BCA_OPTIONS)
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


def test_the_mandiri_file_needs_the_centres_debit_account():
    assert bank_files.line_problems("mandiri", [BATIK], FileOptions(value_date=date(2026, 12, 1))) == {
        "debit_account": ["Missing data for required field."]
    }


def test_the_mandiri_check_finds_a_header_that_does_not_add_up():
    mandiri = bank_files.render("mandiri", [BATIK, KERUPUK], OPTIONS).replace(",2,1335000.00", ",3,1335001.00")
    assert bank_files.check_totals("mandiri", mandiri) == [
        "the header counts 3 records, the file has 2",
        "the header total 1335001.00 is not the sum 1335000",
    ]
    assert bank_files.check_totals("mandiri", "H,1\r\n") == ["the first record is not a P header"]


def test_the_generic_csv_names_bank_account_holder_amount_and_reference():
    assert rows(bank_files.render("csv", [KERUPUK], OPTIONS)) == [
        ["bank_name", "account_number", "account_holder", "amount", "reference", "supplier", "line_id"],
        ["BRI", "002301000123456", "Hendra Wijaya", "85000", "SENTRA-20261130-BBBB2222", "Kerupuk", "l2"],
    ]


def test_every_field_error_of_a_bank_file_has_a_sentence_in_the_consoles_catalogue():
    from services.gateway import problems

    bad_line = [Transfer("BRI", "12", "Nama | panjang" * 10, 0, "R", "", "l9"), Transfer("Bank Antah", "1", "", 1, "R")]
    bad_options = FileOptions(value_date=date(2026, 12, 1), corporate_id="KBB-1", batch=0, value_hour=24)
    messages = {
        message
        for file_format in bank_files.FORMATS
        for errors in bank_files.line_problems(file_format, bad_line, bad_options).values()
        for message in errors
    }
    assert len(messages) >= 8
    assert all(problems.field_sentence(m) != str(problems.UNKNOWN_FIELD_MESSAGE) for m in messages), messages
