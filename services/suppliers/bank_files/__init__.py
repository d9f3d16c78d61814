"""Bank transfer files of a payout run: the generic CSV and the bulk-transfer upload layouts of the banks UMKM use,
with the rules each layout's lines must follow. Pure (no database): :mod:`services.suppliers.payouts` hands in the
run's lines as :class:`Transfer` rows.

One module a layout, each saying where its layout comes from and what stays unconfirmed:

- :mod:`~services.suppliers.bank_files.mandiri` — Mandiri MCM "Payroll – Multi Service" (any bank), from Bank
  Mandiri's published file structure sheet;
- :mod:`~services.suppliers.bank_files.bca` — KlikBCA Bisnis "Multi Payroll" TXT (BCA accounts only), from the
  public payroll software that writes it (BCA does not publish it);
- :mod:`~services.suppliers.bank_files.bri` — BRI CMS "Mass FT" (BRI accounts only), from the public software that
  writes BRI's converter sheet (BRI does not publish it);
- :mod:`~services.suppliers.bank_files.generic` — the generic CSV any bank's manual entry can be done from.

Each layout module offers the same names: ``carries`` (which transfers it takes), ``option_problems``,
``NAME_LENGTH``, ``render``, ``check`` (its totals check, read back from the text), ``EXTENSION`` and
``MEDIA_TYPE``.
"""

from __future__ import annotations

from types import ModuleType

from services.suppliers.bank_files import bca, bri, common, generic, mandiri
from services.suppliers.bank_files.common import (
    INVALID_BANK_FILE,
    NO_LINES_FOR_BANK,
    FileOptions,
    Transfer,
)
from shared.errors import DomainError

LAYOUTS: dict[str, ModuleType] = {"csv": generic, "bca": bca, "bri": bri, "mandiri": mandiri}
FORMATS = tuple(LAYOUTS)
BI_FAST_LIMIT = mandiri.BI_FAST_LIMIT
mandiri_service = mandiri.service

__all__ = [
    "BI_FAST_LIMIT",
    "FORMATS",
    "INVALID_BANK_FILE",
    "NO_LINES_FOR_BANK",
    "FileOptions",
    "Transfer",
    "check_totals",
    "file_type",
    "line_problems",
    "mandiri_service",
    "render",
    "transfers_for",
]


def _layout(file_format: str) -> ModuleType:
    if file_format not in LAYOUTS:
        raise DomainError("unknown bank file format", errors={"format": [f"Must be one of: {', '.join(FORMATS)}."]})
    return LAYOUTS[file_format]


def transfers_for(file_format: str, transfers: list[Transfer]) -> list[Transfer]:
    """The transfers a layout carries: a BCA file only the lines to BCA accounts, a BRI file only those to BRI
    accounts; the others every line."""
    return [t for t in transfers if _layout(file_format).carries(t)]


def line_problems(file_format: str, transfers: list[Transfer], options: FileOptions) -> dict[str, list[str]]:
    """Every reason the file cannot be made, as field errors (``lines.<line id>.<field>``, or the line's position
    when it has no id, and the file-level fields); empty when it can."""
    layout = _layout(file_format)
    return {**layout.option_problems(options), **common.line_problems(transfers, layout.NAME_LENGTH)}


def render(file_format: str, transfers: list[Transfer], options: FileOptions) -> str:
    """The file's text; :class:`DomainError` (422, ``invalid_bank_file``) with field errors when a line or an
    option breaks the layout's rules, or (409, ``no_lines_for_bank``) when the layout carries no line of the run."""
    layout = _layout(file_format)
    carried = transfers_for(file_format, transfers)
    if not carried:
        raise DomainError("no line of this run goes to this bank", status=409, code=NO_LINES_FOR_BANK)
    problems = line_problems(file_format, carried, options)
    if problems:
        raise DomainError("the bank file cannot be made", errors=problems, code=INVALID_BANK_FILE)
    text = layout.render(carried, options)
    if issues := layout.check(text):
        raise AssertionError(f"the {file_format} file does not pass its own totals check: {issues}")
    return text


def check_totals(file_format: str, text: str) -> list[str]:
    """Read a file of ``file_format`` back and say what in it does not add up (the count and total of its totals
    record against its detail records, each record's form); an empty list when it all does. What the bank's own
    upload check does, run before the file leaves."""
    return _layout(file_format).check(text)


def file_type(file_format: str) -> tuple[str, str]:
    """``(file name extension, media type)`` of a layout's file: ``("txt", "text/plain")`` for BCA."""
    layout = _layout(file_format)
    return layout.EXTENSION, layout.MEDIA_TYPE
