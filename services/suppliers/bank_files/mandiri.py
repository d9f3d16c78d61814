"""``mandiri`` — Mandiri Cash Management (MCM / Kopra) "Payroll – Multi Service" upload file, as laid out in Bank
Mandiri's "Payroll - Multi Service - File Structure" sheet (published copy:
https://www.scribd.com/document/738679438/Payroll-Multi-Service-File-Structure). Comma-separated, one header record
then one detail record per transfer, to an account at any bank:

- header ``P,<instruction date yyyyMMdd>,<debit account>,<number of detail records>,<total amount>`` (the header
  *is* the totals row: the bank rejects a file whose count or total differ from its details);
- detail ``<beneficiary account X(35)>,<beneficiary name X(40)>,<address 1>,<address 2>,<address 3>,
  <currency X(3)>,<amount 9(18)v9(2), "." as decimal separator>,<remark X(140)>,<customer reference X(19)>,
  <FT service X(3)>,<beneficiary bank code>,<beneficiary bank name>``. The FT service is ``IBU`` (in-house) for a
  Mandiri account, ``BAU`` (BI-FAST by account number) for another bank up to BI-FAST's Rp250.000.000 per
  transfer, ``RBU`` (RTGS) above it. The addresses are left empty (only international and RTGS transfers read
  them; RTGS defaults them). The optional columns after the bank name (notifications, charges) are not written.
  The bank code is the Bank Indonesia clearing code (sandi bank).
"""

from __future__ import annotations

import csv
import io

from services.suppliers.bank_files.common import (
    FileOptions,
    Transfer,
    debit_account_problems,
    decimal,
    is_decimal,
    total,
)
from shared import banks

NAME_LENGTH = 40
REMARK_LENGTH = 140
REFERENCE_LENGTH = 19
EXTENSION, MEDIA_TYPE = "csv", "text/csv"
#: BI-FAST takes at most this much per transfer; above it a Mandiri transfer to another bank goes by RTGS.
BI_FAST_LIMIT = 250_000_000


def carries(transfer: Transfer) -> bool:
    """Every line: MCM pays into any bank."""
    return True


def option_problems(options: FileOptions) -> dict[str, list[str]]:
    """The centre's Mandiri account (13 digits) the file debits."""
    return debit_account_problems(banks.MANDIRI, options.debit_account)


def service(transfer: Transfer) -> str:
    """The MCM FT service of one transfer: in-house, BI-FAST or RTGS."""
    if banks.bank_code(transfer.bank_name) == banks.MANDIRI:
        return "IBU"
    return "BAU" if transfer.amount <= BI_FAST_LIMIT else "RBU"


def render(transfers: list[Transfer], options: FileOptions) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        ["P", f"{options.value_date:%Y%m%d}", options.debit_account, len(transfers), decimal(total(transfers))]
    )
    for transfer in transfers:
        code = banks.bank_code(transfer.bank_name) or ""
        writer.writerow(
            [
                transfer.account_number,
                transfer.account_holder.strip()[:NAME_LENGTH],
                "",
                "",
                "",
                "IDR",
                decimal(transfer.amount),
                f"Pembayaran konsinyasi {transfer.reference}"[:REMARK_LENGTH],
                transfer.reference[:REFERENCE_LENGTH],
                service(transfer),
                code,
                banks.NAME_BY_CODE.get(code, transfer.bank_name),
            ]
        )
    return buffer.getvalue()


def check(text: str) -> list[str]:
    """The P header's count and total against the detail records, and each amount's form."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0][:1] != ["P"] or len(rows[0]) != 5:
        return ["the first record is not a P header"]
    header, details = rows[0], rows[1:]
    amounts = []
    for row in details:
        if len(row) != 12 or not is_decimal(row[6]):
            return [f"detail record {row[:1]} is not in the layout"]
        amounts.append(int(row[6].split(".")[0]))
    issues = []
    if int(header[3]) != len(details):
        issues.append(f"the header counts {header[3]} records, the file has {len(details)}")
    if not is_decimal(header[4]) or int(header[4].split(".")[0]) != sum(amounts):
        issues.append(f"the header total {header[4]} is not the sum {sum(amounts)}")
    return issues
