"""Bank transfer files of a payout run: the generic CSV and the bulk-transfer upload layouts of two banks UMKM
use, with the rules each layout's lines must follow. Pure (no database): :mod:`services.suppliers.payouts` hands
in the run's lines as :class:`Transfer` rows.

Layouts implemented, and where they come from:

``mandiri`` — Mandiri Cash Management (MCM / Kopra) "Payroll – Multi Service" upload file, as laid out in
    Bank Mandiri's "Payroll - Multi Service - File Structure" sheet (published copy:
    https://www.scribd.com/document/738679438/Payroll-Multi-Service-File-Structure). Comma-separated, one header
    record then one detail record per transfer:

    - header ``P,<instruction date yyyyMMdd>,<debit account>,<number of detail records>,<total amount>``
      (the header *is* the totals row: the bank rejects a file whose count or total differ from its details);
    - detail ``<beneficiary account X(35)>,<beneficiary name X(40)>,<address 1>,<address 2>,<address 3>,
      <currency X(3)>,<amount 9(18)v9(2), "." as decimal separator>,<remark X(140)>,<customer reference X(19)>,
      <FT service X(3)>,<beneficiary bank code>,<beneficiary bank name>``. The FT service is ``IBU`` (in-house) for a
      Mandiri account, ``BAU`` (BI-FAST by account number) for another bank up to BI-FAST's Rp250.000.000 per
      transfer, ``RBU`` (RTGS) above it. The addresses are left empty (only international and RTGS transfers
      read them; RTGS defaults them). The optional columns after the bank name (notifications, charges) are not
      written. The bank code is the Bank Indonesia clearing code (sandi bank).

``bca`` — KlikBCA Bisnis bulk transfer to BCA accounts ("Multi Payroll", transfers *between BCA accounts only*;
    other banks go through LLG/RTGS files or the Mandiri file). Sources: BCA's KlikBCA Bisnis service page
    (https://bca.co.id/en/bisnis/layanan/e-banking-bisnis/klikbca-bisnis) and the payroll providers' guides to its
    upload (https://support.hreasilygroup.com/en/support/solutions/articles/72000646425 — value date and a
    two-digit batch number per file, BCA-to-BCA only; StaffAny's "Download BCA XLSX bank file"). BCA does not
    publish the converter's column layout openly, so this file is the converter's input sheet as CSV:
    a header ``No,Nomor Rekening,Nama,Jumlah,Keterangan`` (with the value date and batch number in a first
    ``Tanggal Efektif,<dd/mm/yyyy>,Batch,<nn>`` line), one row per transfer (a BCA account has 10 digits;
    whole rupiah), and a totals row ``TOTAL,<number of rows>,,<sum>,``. Check it against the template BCA gives
    with KlikBCA Bisnis before the first upload.

``csv`` — the generic file any bank's manual entry can be done from (bank, account, holder, amount, reference).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from shared import banks
from shared.errors import DomainError
from shared.schemas import MAX_MONEY

FORMATS = ("csv", "bca", "mandiri")
#: BI-FAST takes at most this much per transfer; above it a Mandiri transfer to another bank goes by RTGS.
BI_FAST_LIMIT = 250_000_000
NAME_LENGTH = {"mandiri": 40, "bca": 35, "csv": 200}
REMARK_LENGTH = 140
REFERENCE_LENGTH = 19
#: Problem code of a bank file that cannot be made (field errors say which line and why).
INVALID_BANK_FILE = "invalid_bank_file"
NO_LINES_FOR_BANK = "no_lines_for_bank"


@dataclass(frozen=True)
class Transfer:
    """One payout line as a bank file needs it."""

    bank_name: str
    account_number: str
    account_holder: str
    amount: int
    reference: str
    supplier: str = ""
    line_id: str = ""


@dataclass(frozen=True)
class FileOptions:
    """What the file needs besides the transfers: the date the bank executes it, the centre's account it debits
    (Mandiri), and the batch number of the day (BCA)."""

    value_date: date
    debit_account: str = ""
    batch: int = 1


def transfers_for(file_format: str, transfers: list[Transfer]) -> list[Transfer]:
    """The transfers a layout carries: a BCA file only the lines to BCA accounts; the others every line."""
    if file_format == "bca":
        return [t for t in transfers if banks.bank_code(t.bank_name) == banks.BCA]
    return list(transfers)


def line_problems(file_format: str, transfers: list[Transfer], options: FileOptions) -> dict[str, list[str]]:
    """Every reason the file cannot be made, as field errors (``lines.<line id>.<field>``, or the line's position
    when it has no id, and the file-level fields); empty when it can."""
    problems: dict[str, list[str]] = {}
    if file_format == "mandiri":
        debit = options.debit_account
        if not debit:
            problems["debit_account"] = ["Missing data for required field."]
        elif (why := banks.account_number_problem(banks.MANDIRI, debit)) is not None:
            problems["debit_account"] = [why]
    if file_format == "bca" and not 1 <= options.batch <= 99:
        problems["batch"] = ["Must be between 1 and 99."]
    for number, transfer in enumerate(transfers):
        code = banks.bank_code(transfer.bank_name)
        where = f"lines.{transfer.line_id or number}"
        if code is None:
            problems[f"{where}.bank_name"] = ["Unknown bank."]
        elif (why := banks.account_number_problem(code, transfer.account_number)) is not None:
            problems[f"{where}.bank_account_number"] = [why]
        holder = transfer.account_holder.strip()
        if not holder:
            problems[f"{where}.bank_account_holder"] = ["Missing data for required field."]
        elif len(holder) > NAME_LENGTH[file_format] or any(ch in holder for ch in ',;"\n\r'):
            problems[f"{where}.bank_account_holder"] = ["Not a name the bank's file can carry."]
        if not (isinstance(transfer.amount, int) and 1 <= transfer.amount <= MAX_MONEY):
            problems[f"{where}.amount"] = ["Must be at least Rp1."]
    return problems


def mandiri_service(transfer: Transfer) -> str:
    """The MCM FT service of one transfer: in-house, BI-FAST or RTGS."""
    code = banks.bank_code(transfer.bank_name)
    if code == banks.MANDIRI:
        return "IBU"
    return "BAU" if transfer.amount <= BI_FAST_LIMIT else "RBU"


def render(file_format: str, transfers: list[Transfer], options: FileOptions) -> str:
    """The file's text; :class:`DomainError` (422, ``invalid_bank_file``) with field errors when a line or an
    option breaks the layout's rules, or (409, ``no_lines_for_bank``) when the layout carries no line of the run."""
    if file_format not in FORMATS:
        raise DomainError("unknown bank file format", errors={"format": [f"Must be one of: {', '.join(FORMATS)}."]})
    carried = transfers_for(file_format, transfers)
    if not carried:
        raise DomainError("no line of this run goes to this bank", status=409, code=NO_LINES_FOR_BANK)
    problems = line_problems(file_format, carried, options)
    if problems:
        raise DomainError("the bank file cannot be made", errors=problems, code=INVALID_BANK_FILE)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if file_format == "mandiri":
        writer.writerow(
            ["P", f"{options.value_date:%Y%m%d}", options.debit_account, len(carried), _decimal(_total(carried))]
        )
        for transfer in carried:
            code = banks.bank_code(transfer.bank_name) or ""
            writer.writerow(
                [
                    transfer.account_number,
                    transfer.account_holder.strip()[: NAME_LENGTH["mandiri"]],
                    "",
                    "",
                    "",
                    "IDR",
                    _decimal(transfer.amount),
                    f"Pembayaran konsinyasi {transfer.reference}"[:REMARK_LENGTH],
                    transfer.reference[:REFERENCE_LENGTH],
                    mandiri_service(transfer),
                    code,
                    banks.NAME_BY_CODE.get(code, transfer.bank_name),
                ]
            )
    elif file_format == "bca":
        writer.writerow(["Tanggal Efektif", f"{options.value_date:%d/%m/%Y}", "Batch", f"{options.batch:02d}"])
        writer.writerow(["No", "Nomor Rekening", "Nama", "Jumlah", "Keterangan"])
        for number, transfer in enumerate(carried, start=1):
            writer.writerow(
                [
                    number,
                    transfer.account_number,
                    transfer.account_holder.strip(),
                    transfer.amount,
                    transfer.reference[:REMARK_LENGTH],
                ]
            )
        writer.writerow(["TOTAL", len(carried), "", _total(carried), ""])
    else:
        writer.writerow(["bank_name", "account_number", "account_holder", "amount", "reference", "supplier", "line_id"])
        for t in carried:
            writer.writerow(
                [t.bank_name, t.account_number, t.account_holder, t.amount, t.reference, t.supplier, t.line_id]
            )
    return buffer.getvalue()


def check_totals(file_format: str, text: str) -> list[str]:
    """Read a file of ``file_format`` back and say what in it does not add up (the count and total of its totals
    record against its detail records, each amount's form); an empty list when it all does. What the bank's own
    upload check does, run before the file leaves."""
    rows = list(csv.reader(io.StringIO(text)))
    if file_format == "mandiri":
        if not rows or rows[0][:1] != ["P"] or len(rows[0]) != 5:
            return ["the first record is not a P header"]
        header, details = rows[0], rows[1:]
        amounts = []
        for row in details:
            if len(row) != 12 or not _is_decimal(row[6]):
                return [f"detail record {row[:1]} is not in the layout"]
            amounts.append(int(row[6].split(".")[0]))
        issues = []
        if int(header[3]) != len(details):
            issues.append(f"the header counts {header[3]} records, the file has {len(details)}")
        if not _is_decimal(header[4]) or int(header[4].split(".")[0]) != sum(amounts):
            issues.append(f"the header total {header[4]} is not the sum {sum(amounts)}")
        return issues
    if file_format == "bca":
        if len(rows) < 3 or rows[-1][:1] != ["TOTAL"]:
            return ["the last row is not the totals row"]
        details, totals = rows[2:-1], rows[-1]
        issues = []
        if [int(r[0]) for r in details] != list(range(1, len(details) + 1)):
            issues.append("the rows are not numbered 1, 2, 3, ...")
        if int(totals[1]) != len(details):
            issues.append(f"the totals row counts {totals[1]} rows, the file has {len(details)}")
        if int(totals[3]) != sum(int(r[3]) for r in details):
            issues.append(f"the totals row says {totals[3]}, the rows add up to {sum(int(r[3]) for r in details)}")
        return issues
    return []


def _total(transfers: list[Transfer]) -> int:
    return sum(t.amount for t in transfers)


def _decimal(amount: int) -> str:
    """Whole rupiah in the ``9(18)v9(2)`` form with a "." separator: ``250000`` → ``250000.00``."""
    return f"{amount}.00"


def _is_decimal(text: str) -> bool:
    whole, _, cents = text.partition(".")
    return whole.isdigit() and cents == "00"
