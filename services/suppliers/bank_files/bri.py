"""``bri`` — BRI CMS (Qlola) "Mass FT" (mass fund transfer) upload file: transfers from the centre's BRI account to
*BRI accounts only* (other banks go through CMS's "Mass CN" kliring layout, with the beneficiary's bank and address,
or the Mandiri file).

BRI hands the layout out as its "Converter Mass FT CMS BRI" sheet and does not publish it openly; this file follows
the public software that makes it, where they agree:

- laravelwebdev/simpede ``app/Nova/Actions/ExportTemplateCmsBri.php`` (commit b07bc16, "Export Template CMS BRI
  MASS FT") with ``app/Helpers/Helper.php`` ``makeCollectionForMassFt`` (BRI accounts only): a ``|``-separated
  file with a row naming the columns, one row per transfer, then the ``COUNT``, ``TOTAL``, ``DATE`` and ``TIME``
  rows;
- two reproductions of the converter sheet itself in other public back offices (a claims refund export and a
  payroll transfer export, both titled ``Converter Mass FT CMS BRI``): the same twelve columns under "Sender
  Information", "Beneficiary Information" and "Transaction Information", which are mandatory (No, both account
  numbers, account name, amount, currency, remark, reference number) and which optional (email, charge type,
  voucher code, BI transaction code, date, time), and the ``COUNT`` and ``TOTAL`` rows.

Layout, fields separated by ``|``:

- ``No|Sender Account|Benef Account|Benef Name|eMail|Amount|Currency|Charge Type|Voucher Code|BI Trx Code|Remark|
  Reference Number``;
- per transfer ``<n>|<centre's BRI account 9(15)>|<beneficiary's BRI account 9(15)>|<name>||<amount, whole
  rupiah>|IDR|OUR|||<remark>|<reference>`` (charge type ``OUR``: the centre bears any charge, so the supplier
  receives the whole amount; the remark is letters, digits and spaces, as simpede requires, at most 50);
- ``COUNT|<number of transfers>|…``, ``TOTAL|<sum of the amounts>|…`` (the totals rows the converter checks), and
  the optional ``DATE`` and ``TIME`` rows left empty as every source leaves them (the transfer date is chosen in
  CMS when the file is approved).

Unconfirmed (no source states it): the longest name and reference BRI takes (40 and 16 characters are used
here), line endings (``\\n``, as simpede writes). Check the first file against the converter BRI hands out.
"""

from __future__ import annotations

from services.suppliers.bank_files.common import (
    FileOptions,
    Transfer,
    debit_account_problems,
    file_reference,
    remark,
    total,
)
from shared import banks

NAME_LENGTH = 40
REMARK_LENGTH = 50
REFERENCE_LENGTH = 16
EXTENSION, MEDIA_TYPE = "csv", "text/csv"
COLUMNS = [
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
]
TRAILER = ("COUNT", "TOTAL", "DATE", "TIME")


def carries(transfer: Transfer) -> bool:
    """Only transfers to BRI accounts."""
    return banks.bank_code(transfer.bank_name) == banks.BRI


def option_problems(options: FileOptions) -> dict[str, list[str]]:
    """The centre's BRI account (15 digits) the file debits."""
    return debit_account_problems(banks.BRI, options.debit_account)


def render(transfers: list[Transfer], options: FileOptions) -> str:
    rows = [COLUMNS]
    note = remark(options.value_date)[:REMARK_LENGTH]
    for number, transfer in enumerate(transfers, start=1):
        rows.append(
            [
                str(number),
                options.debit_account,
                transfer.account_number,
                transfer.account_holder.strip()[:NAME_LENGTH],
                "",
                str(transfer.amount),
                "IDR",
                "OUR",
                "",
                "",
                note,
                file_reference(transfer.reference, REFERENCE_LENGTH),
            ]
        )
    blank = [""] * (len(COLUMNS) - 2)
    rows += [["COUNT", str(len(transfers)), *blank], ["TOTAL", str(total(transfers)), *blank]]
    rows += [["DATE", "", *blank], ["TIME", "", *blank]]
    return "".join("|".join(row) + "\n" for row in rows)


def check(text: str) -> list[str]:
    """The ``COUNT`` and ``TOTAL`` rows against the transfer rows, and each row's form: twelve fields, numbered
    1, 2, 3, …, 15-digit BRI accounts, a whole-rupiah amount in IDR."""
    rows = [line.split("|") for line in text.splitlines()]
    if not rows or rows[0] != COLUMNS:
        return ["the first row does not name the columns"]
    if len(rows) < 5 or tuple(r[0] for r in rows[-4:]) != TRAILER:
        return ["the last rows are not COUNT, TOTAL, DATE and TIME"]
    details, (count, summed, _date, _time) = rows[1:-4], rows[-4:]
    issues = []
    for number, row in enumerate(details, start=1):
        if (
            len(row) != len(COLUMNS)
            or row[0] != str(number)
            or any(banks.account_number_problem(banks.BRI, account) for account in row[1:3])
            or not row[5].isdigit()
            or row[6] != "IDR"
        ):
            issues.append(f"row {number} is not in the layout")
    amounts = [int(row[5]) for row in details if len(row) == len(COLUMNS) and row[5].isdigit()]
    if count[1] != str(len(details)):
        issues.append(f"the COUNT row says {count[1]}, the file has {len(details)} rows")
    if summed[1] != str(sum(amounts)):
        issues.append(f"the TOTAL row says {summed[1]}, the rows add up to {sum(amounts)}")
    return issues
