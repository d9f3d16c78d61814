"""``csv`` — the generic file any bank's manual entry can be done from: one header row, then bank, account, holder,
amount, reference, supplier and line id per transfer."""

from __future__ import annotations

import csv
import io

from services.suppliers.bank_files.common import FileOptions, Transfer

NAME_LENGTH = 200
EXTENSION, MEDIA_TYPE = "csv", "text/csv"
HEADER = ["bank_name", "account_number", "account_holder", "amount", "reference", "supplier", "line_id"]


def carries(transfer: Transfer) -> bool:
    """Every line, whatever its bank."""
    return True


def option_problems(options: FileOptions) -> dict[str, list[str]]:
    return {}


def render(transfers: list[Transfer], options: FileOptions) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for t in transfers:
        writer.writerow([t.bank_name, t.account_number, t.account_holder, t.amount, t.reference, t.supplier, t.line_id])
    return buffer.getvalue()


def check(text: str) -> list[str]:
    """The generic file has no totals record; nothing to add up."""
    return []
