"""``bca`` — KlikBCA Bisnis "Multi Payroll" upload file (the TXT BCA's Multi Payroll converter makes from its
``Template MAT Multi Payroll`` sheet), transfers *between BCA accounts only* (transfer type ``BCA``; other banks
need LLG/RTGS rows with SWIFT codes, which Sentra's bank list does not hold — use the Mandiri file for them).

BCA gives the template and converter to KlikBCA Bisnis customers and does not publish the layout openly; this file
follows what public payroll software that uploads it writes, where the sources agree:

- the pipe-separated TXT: Arenzha-Media-Teknologi/laundry-hrd ``app/Http/Controllers/web/PayrollBcaController.php``
  (``exportTransactionTxt``, commit b64dca6), and a second, independent converter in a public Flask back office
  (its repository not identified by the index searched) that writes the same header and detail records (same
  field order, the 8-digit file number, the 2-digit hour and the 5-digit record count);
- the detail columns and their limits: the template's own "Data" sheet and "Legend", as used by
  Cipta-Grafika/absensicipta ``app/Exports/BcaMatPayrollExport.php`` (commit bad5f28: Transaction ID at most 18,
  unique; Receiver Name at most 70, upper case; Remark at most 18) and the same 13 columns in the same order in
  several other public payroll exports (Laravel, NetSuite and TypeScript ones).

Layout, one record a line, fields separated by ``|``:

- header ``0|PY|<corporate ID>|<company code>|<file number 9(8)>|<effective date yyyyMMdd>|<hour 9(2)>|
  <debited account>|<number of detail records 9(5)>|||`` — the header is the file's totals record (the record
  count; neither source writes a total amount); the two fields after the count (laundry-hrd writes a business
  type and a remark there, the Flask converter leaves them empty) are left empty;
- detail ``1|<transaction ID, zero-padded to 18>|BCA|<beneficiary ID: empty>|<credited account 9(10)>|
  <receiver name X(70)>|<amount, two decimals, "." separator>|<NIP: empty>|<remark X(18)>|<email: empty>|
  <SWIFT code: empty>|<customer type: empty>|<customer residence: empty>`` (the last four are for LLG/RTGS rows).

Unconfirmed (no source states it): the date's form in the header (yyyyMMdd is laundry-hrd's), what the hour means
to the bank, the limits of the corporate ID and company code, line endings (``\\n``, as both sources write), the
receiver name's place (laundry-hrd writes the amount there, the Flask converter the name), and whether KlikBCA
Bisnis asks for the checksum the Flask back office computes over the file's lines (not made here). Check the first
file against the converter BCA hands out before uploading it.
"""

from __future__ import annotations

from services.suppliers.bank_files.common import (
    ONLY_LETTERS_AND_DIGITS,
    REQUIRED,
    FileOptions,
    Transfer,
    debit_account_problems,
    decimal,
    file_reference,
    is_decimal,
    remark,
)
from shared import banks

NAME_LENGTH = 70
TRANSACTION_ID_LENGTH = 18
REMARK_LENGTH = 18
#: Corporate ID and company code: no published limit; this many letters and digits at most.
CODE_LENGTH = 20
EXTENSION, MEDIA_TYPE = "txt", "text/plain"
HEADER_FIELDS, DETAIL_FIELDS = 12, 13


def carries(transfer: Transfer) -> bool:
    """Only transfers to BCA accounts."""
    return banks.bank_code(transfer.bank_name) == banks.BCA


def option_problems(options: FileOptions) -> dict[str, list[str]]:
    """The centre's BCA account (10 digits), its KlikBCA Bisnis corporate ID and company code, a file number of
    the day and an hour."""
    problems = debit_account_problems(banks.BCA, options.debit_account)
    for name in ("corporate_id", "company_code"):
        value = getattr(options, name)
        if not value:
            problems[name] = [REQUIRED]
        elif not (value.isascii() and value.isalnum() and len(value) <= CODE_LENGTH):
            problems[name] = [ONLY_LETTERS_AND_DIGITS]
    if not 1 <= options.batch <= 99:
        problems["batch"] = ["Must be between 1 and 99."]
    if not 0 <= options.value_hour <= 23:
        problems["value_hour"] = ["Must be between 0 and 23."]
    return problems


def transaction_id(transfer: Transfer) -> str:
    """The line's transaction ID, unique and at most 18 characters, zero-padded to 18 as the converter writes it."""
    return file_reference(transfer.reference, TRANSACTION_ID_LENGTH).rjust(TRANSACTION_ID_LENGTH, "0")


def render(transfers: list[Transfer], options: FileOptions) -> str:
    header = [
        "0",
        "PY",
        options.corporate_id.upper(),
        options.company_code.upper(),
        f"{options.batch:08d}",
        f"{options.value_date:%Y%m%d}",
        f"{options.value_hour:02d}",
        options.debit_account,
        f"{len(transfers):05d}",
        "",
        "",
        "",
    ]
    lines = ["|".join(header)]
    note = remark(options.value_date)[:REMARK_LENGTH]
    for transfer in transfers:
        detail = [
            "1",
            transaction_id(transfer),
            "BCA",
            "",
            transfer.account_number,
            transfer.account_holder.strip().upper()[:NAME_LENGTH],
            decimal(transfer.amount),
            "",
            note,
            "",
            "",
            "",
            "",
        ]
        lines.append("|".join(detail))
    return "\n".join(lines) + "\n"


def check(text: str) -> list[str]:
    """The header's record count against the detail records, and each record's form: the field count, the 18
    characters of the transaction ID, the transfer type, a 10-digit BCA account and the amount's two decimals."""
    records = [line.split("|") for line in text.splitlines()]
    if not records or records[0][:2] != ["0", "PY"] or len(records[0]) != HEADER_FIELDS:
        return ["the first record is not a 0|PY header"]
    header, details = records[0], records[1:]
    issues = []
    for number, detail in enumerate(details, start=1):
        if (
            len(detail) != DETAIL_FIELDS
            or detail[0] != "1"
            or len(detail[1]) != TRANSACTION_ID_LENGTH
            or detail[2] != "BCA"
            or banks.account_number_problem(banks.BCA, detail[4]) is not None
            or not is_decimal(detail[6])
        ):
            issues.append(f"detail record {number} is not in the layout")
    if not (header[8].isdigit() and len(header[8]) == 5) or int(header[8]) != len(details):
        issues.append(f"the header counts {header[8]} records, the file has {len(details)}")
    ids = [d[1] for d in details if len(d) > 1]
    if len(set(ids)) != len(ids):
        issues.append("two detail records have the same transaction ID")
    return issues
