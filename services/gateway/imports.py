"""Import files: reading a CSV or Excel (XLSX) sheet of suppliers or products into rows the services' import
endpoints take, and the template files to fill in.

A file has one header row naming its columns (Indonesian names, any order, case and spaces ignored); the
columns a kind needs are in :data:`KINDS`. Cells are text; this module turns a row into the service's fields
(numbers, percentages, the bank by name or code, the supplier by its name, the category by name or code) and
says, per row and field, what it could not turn (so those messages sit beside the service's own).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zipfile import BadZipFile

from flask_babel import lazy_gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from services.gateway.words import BANKS

#: At most this many data rows in one file (the services' import limit).
MAX_ROWS = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportFileProblem(Exception):
    """The file as a whole cannot be read (its format, its header row, its size); ``message`` says why."""

    def __init__(self, message: Any):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Column:
    """One column of an import file: its ``header``, the service field it fills, an example value, and whether
    a row needs it."""

    header: str
    field: str
    example: str
    required: bool = False


@dataclass(frozen=True)
class ImportKind:
    columns: tuple[Column, ...]
    #: Service field → what a cell's text becomes (default: the trimmed text).
    converters: dict[str, Callable[[str, References], Any]] = field(default_factory=dict)

    def header_of(self, field_name: str) -> str:
        """The column that fills ``field_name`` (a nested field like ``agreement.commission_bps`` included)."""
        for column in self.columns:
            if column.field == field_name or field_name.startswith(column.field + "."):
                return column.header
        return ""


@dataclass
class References:
    """What a row's names are looked up in: suppliers by business name, categories by name or code."""

    suppliers: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)


class CellProblem(ValueError):
    """A cell that cannot become its field's value; the message is a sentence for the page."""

    def __init__(self, message: Any):
        super().__init__(str(message))
        self.message = message


def name_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _whole_number(text: str, _refs: References) -> int:
    cleaned = text.replace(".", "").replace(" ", "").removeprefix("Rp").removeprefix("rp")
    if not re.fullmatch(r"-?[0-9]{1,13}", cleaned):
        raise CellProblem(_("Must be a whole number."))
    return int(cleaned)


def _percent_as_bps(text: str, _refs: References) -> int:
    cleaned = text.replace("%", "").replace(" ", "").replace(",", ".")
    if not re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,2})?", cleaned):
        raise CellProblem(_("A percentage, e.g. 15 or 12,5."))
    return round(float(cleaned) * 100)


def _bank_keys(name: str) -> set[str]:
    """How a bank may be written: ``Bank Mandiri``, ``Mandiri``; ``BSI (Bank Syariah Indonesia)``, ``BSI``."""
    full = name_key(name)
    short = full.split(" (")[0]
    return {full, short, full.removeprefix("bank "), short.removeprefix("bank ")}


_BANKS_BY_KEY = {key: name for _code, name in BANKS for key in _bank_keys(name)} | {code: name for code, name in BANKS}


def _bank(text: str, _refs: References) -> str:
    name = _BANKS_BY_KEY.get(name_key(text)) or _BANKS_BY_KEY.get(text.strip().zfill(3))
    if name is None:
        raise CellProblem(_("Not a bank of the list; write its name (e.g. BRI) or its code (e.g. 002)."))
    return name


def _supplier(text: str, refs: References) -> str:
    supplier_id = refs.suppliers.get(name_key(text))
    if supplier_id is None:
        raise CellProblem(_("No supplier has this name; register the supplier first."))
    return supplier_id


def _category(text: str, refs: References) -> str:
    code = refs.categories.get(name_key(text))
    if code is None:
        raise CellProblem(_("No category has this name."))
    return code


def _unit(text: str, _refs: References) -> str:
    return text.strip().lower()


KINDS: dict[str, ImportKind] = {
    "suppliers": ImportKind(
        columns=(
            Column("nama_usaha", "business_name", "Keripik Bu Sari", required=True),
            Column("nama_pemilik", "owner_name", "Sari Wulandari", required=True),
            Column("telepon", "phone", "081234567890", required=True),
            Column("email", "email", "sari@example.id"),
            Column("alamat", "address", "Jl. Raya Cikarang No. 5, Kab. Bekasi"),
            Column("nib", "nib", "1234567890123"),
            Column("npwp", "npwp", "012345678901234"),
            Column("pirt", "pirt_number", "206321601012325"),
            Column("bank", "bank_name", "BRI"),
            Column("nomor_rekening", "bank_account_number", "123401000123567"),
            Column("pemilik_rekening", "bank_account_holder", "Sari Wulandari"),
            Column("komisi_persen", "agreement.commission_bps", "15"),
        ),
        converters={"bank_name": _bank, "agreement.commission_bps": _percent_as_bps},
    ),
    "products": ImportKind(
        columns=(
            Column("pemasok", "supplier_id", "Keripik Bu Sari", required=True),
            Column("nama", "name", "Keripik Singkong Pedas 200 g", required=True),
            Column("kategori", "category", "Makanan", required=True),
            Column("satuan", "unit", "pcs", required=True),
            Column("harga", "price", "18000", required=True),
            Column("barcode", "barcode", ""),
            Column("titik_pesan_ulang", "reorder_point", "5"),
            Column("berat_bersih", "net_weight", "200 g"),
        ),
        converters={
            "supplier_id": _supplier,
            "category": _category,
            "unit": _unit,
            "price": _whole_number,
            "reorder_point": _whole_number,
        },
    ),
}


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_sheet(filename: str, content: bytes) -> list[list[str]]:
    """The rows of a ``.csv`` (UTF-8, comma or semicolon) or ``.xlsx`` file (its first sheet) as texts."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError):
            raise ImportFileProblem(_("This Excel file cannot be read.")) from None
        sheet = workbook.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return rows
    if name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileProblem(_("The CSV file must be saved as UTF-8.")) from None
        first_line = text.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    raise ImportFileProblem(_("Choose a CSV or Excel (.xlsx) file."))


def _set(row: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for parent in parents:
        row = row.setdefault(parent, {})
    row[leaf] = value


def parse(kind_name: str, filename: str, content: bytes, refs: References) -> tuple[list[dict], dict[str, dict]]:
    """The rows of the file as the service takes them, and the problems this side found
    (``{row index: {field: [message]}}``). A row with every cell empty is skipped."""
    kind = KINDS[kind_name]
    sheet = [row for row in read_sheet(filename, content) if any(cell for cell in row)]
    if not sheet:
        raise ImportFileProblem(_("The file is empty."))
    headers = [name_key(h) for h in sheet[0]]
    missing = [c.header for c in kind.columns if c.required and c.header not in headers]
    if missing:
        raise ImportFileProblem(
            _("The first row must name the columns; missing: %(columns)s.", columns=", ".join(missing))
        )
    body = sheet[1:]
    if not body:
        raise ImportFileProblem(_("The file has no rows below its header."))
    if len(body) > MAX_ROWS:
        raise ImportFileProblem(_("At most %(count)s rows in one file.", count=MAX_ROWS))
    position = {c.field: headers.index(c.header) for c in kind.columns if c.header in headers}
    rows: list[dict] = []
    problems: dict[str, dict] = {}
    for index, cells in enumerate(body):
        row: dict[str, Any] = {}
        for field_name, at in position.items():
            text = cells[at] if at < len(cells) else ""
            if not text:
                continue
            convert = kind.converters.get(field_name)
            try:
                _set(row, field_name, convert(text, refs) if convert else text)
            except CellProblem as problem:
                problems.setdefault(str(index), {})[field_name] = [str(problem.message)]
        rows.append(row)
    return rows, problems


def template_csv(kind_name: str) -> bytes:
    """A CSV to fill in: the header row and one example row (UTF-8 with a BOM, so Excel reads it right)."""
    columns = KINDS[kind_name].columns
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    writer.writerow([c.example for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(kind_name: str) -> bytes:
    """The same template as an Excel workbook (every cell text, so a phone number keeps its leading zero)."""
    columns = KINDS[kind_name].columns
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = kind_name
    sheet.append([c.header for c in columns])
    sheet.append([c.example for c in columns])
    for row in sheet.iter_rows():
        for cell in row:
            cell.number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
