"""What every bank file layout shares: the transfer and option records, and the rules a line must follow whatever
the bank (a known bank, the account digits that bank uses, a name the file can carry, at least Rp1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared import banks
from shared.schemas import MAX_MONEY

#: Problem code of a bank file that cannot be made (field errors say which line and why).
INVALID_BANK_FILE = "invalid_bank_file"
#: Problem code of a layout that carries none of the run's lines (a BCA file for a run without a BCA account).
NO_LINES_FOR_BANK = "no_lines_for_bank"
#: Characters no layout's name field may hold: the separators of the comma- and pipe-separated files, quotes and
#: line breaks.
FORBIDDEN_IN_NAMES = ',;"|\n\r'
REQUIRED = "Missing data for required field."
NOT_A_NAME = "Not a name the bank's file can carry."
AMOUNT_TOO_SMALL = "Must be at least Rp1."
ONLY_LETTERS_AND_DIGITS = "Only letters and digits."


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
    """What a file needs besides the transfers: the date the bank executes it, the centre's account it debits
    (Mandiri, BCA, BRI), the batch number of the day (BCA's file number), and what KlikBCA Bisnis knows the centre
    by (its corporate ID and payroll company code) with the hour the BCA transfers run."""

    value_date: date
    debit_account: str = ""
    batch: int = 1
    corporate_id: str = ""
    company_code: str = ""
    value_hour: int = 0


def where(number: int, transfer: Transfer) -> str:
    """The field-error prefix of a line: its id, or its position when it has none."""
    return f"lines.{transfer.line_id or number}"


def line_problems(transfers: list[Transfer], name_length: int) -> dict[str, list[str]]:
    """The problems of each line any layout refuses: an unknown bank, an account without its bank's digits, a
    missing name or one longer than ``name_length`` or holding a separator, an amount below Rp1."""
    problems: dict[str, list[str]] = {}
    for number, transfer in enumerate(transfers):
        at = where(number, transfer)
        code = banks.bank_code(transfer.bank_name)
        if code is None:
            problems[f"{at}.bank_name"] = ["Unknown bank."]
        elif (why := banks.account_number_problem(code, transfer.account_number)) is not None:
            problems[f"{at}.bank_account_number"] = [why]
        holder = transfer.account_holder.strip()
        if not holder:
            problems[f"{at}.bank_account_holder"] = [REQUIRED]
        elif len(holder) > name_length or any(ch in holder for ch in FORBIDDEN_IN_NAMES):
            problems[f"{at}.bank_account_holder"] = [NOT_A_NAME]
        if not (isinstance(transfer.amount, int) and 1 <= transfer.amount <= MAX_MONEY):
            problems[f"{at}.amount"] = [AMOUNT_TOO_SMALL]
    return problems


def debit_account_problems(bank: str, debit_account: str) -> dict[str, list[str]]:
    """The problem of the centre's account the file debits: missing, or without the digits of ``bank``."""
    if not debit_account:
        return {"debit_account": [REQUIRED]}
    why = banks.account_number_problem(bank, debit_account)
    return {"debit_account": [why]} if why is not None else {}


def file_reference(reference: str, length: int) -> str:
    """A payout line's reference as a bank's transaction id: its letters and digits (upper case) without the
    ``SENTRA`` prefix, at most ``length`` of them from the end (``SENTRA-20261130-AAAA1111`` → ``20261130AAAA1111``:
    the run's cut-off date and the line's own id, unique within the run and across runs)."""
    letters_and_digits = "".join(ch for ch in reference.upper() if ch.isascii() and ch.isalnum())
    return letters_and_digits.removeprefix("SENTRA")[-length:]


def remark(value_date: date) -> str:
    """What the supplier reads on their account statement: ``KONSINYASI ddmmyy`` (17 characters, letters, digits
    and a space, within every layout's remark limit)."""
    return f"KONSINYASI {value_date:%d%m%y}"


def total(transfers: list[Transfer]) -> int:
    return sum(t.amount for t in transfers)


def decimal(amount: int) -> str:
    """Whole rupiah with two decimals and a "." separator: ``250000`` → ``250000.00``."""
    return f"{amount}.00"


def is_decimal(text: str) -> bool:
    whole, _, cents = text.partition(".")
    return whole.isdigit() and cents == "00"
