"""Reports: sales by day / week / month, payment method, cashier, hour, category and supplier; top products;
sell-through and days on hand per supplier. Charts are server-rendered SVG; every table downloads as CSV or Excel
with the same columns as on the page (money as whole rupiah numbers, so a spreadsheet can add them up)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.dates import format_date
from flask import Response, abort, request
from flask_babel import gettext, lazy_gettext

from services.gateway import charts
from services.gateway.backend import ServiceProblem, call
from services.gateway.console.categories import category_names
from services.gateway.console.common import blp, failure, manager_page, render
from services.gateway.i18n import day, language, percent_of_bps, rupiah
from services.gateway.words import word
from shared.business_time import today

_ = lazy_gettext
#: How a column's values are shown on the page (the download keeps the raw value).
FORMATTERS: dict[str, Callable[[Any], str]] = {
    "text": lambda value: "–" if value in (None, "") else str(value),
    "int": lambda value: "–" if value is None else f"{int(value):,}".replace(",", "." if language() == "id" else ","),
    "money": rupiah,
    "bps": percent_of_bps,
    "days": lambda value: "–" if value is None else gettext("%(days)s days", days=int(value)),
}
EXPORT_FORMATS = ("csv", "xlsx")
#: Characters a spreadsheet reads as the start of a formula: a text cell starting with one is quoted.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Table:
    """One table of the page and of its downloads: ``rows`` hold raw values (rupiah as integers)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)

    def shown(self) -> list[list[str]]:
        return [[FORMATTERS[c.kind](v) for c, v in zip(self.columns, row, strict=True)] for row in self.rows]


def period_label(first_day: str, granularity: str) -> str:
    """A bucket's name: ``30 Nov 2026``, ``Minggu 30 Nov 2026`` (the week starting that Monday), ``November 2026``."""
    start = date.fromisoformat(first_day)
    if granularity == "month":
        return format_date(start, "LLLL y", locale=language())
    if granularity == "week":
        return gettext("Week of %(day)s", day=day(start))
    return day(start)


def hour_label(hour: int) -> str:
    separator = "." if language() == "id" else ":"
    return f"{hour:02d}{separator}00–{(hour + 1) % 24:02d}{separator}00"


def report_tables(sales: dict, stock: list[dict]) -> list[Table]:
    """Every table of the report, in page order, from the POS's sales report and inventory's stock report."""
    granularity = sales.get("granularity", "day")
    money, count = _("Total"), _("Sales")
    return [
        Table(
            "by_period",
            str(_("Sales by %(unit)s", unit=word(granularity, "granularity").lower())),
            [Column(_("Period")), Column(count, "int"), Column(money, "money")],
            [[period_label(r["period"], granularity), r["count"], r["total"]] for r in sales["by_period"]],
        ),
        Table(
            "by_payment_method",
            str(_("By payment method")),
            [Column(_("Payment method")), Column(_("Payments"), "int"), Column(_("Amount"), "money")],
            [[word(r["method"], "payment_method"), r["count"], r["amount"]] for r in sales["by_payment_method"]],
        ),
        Table(
            "by_cashier",
            str(_("By cashier")),
            [Column(_("Cashier")), Column(count, "int"), Column(money, "money")],
            [[r["cashier_name"], r["count"], r["total"]] for r in sales["by_cashier"]],
        ),
        Table(
            "by_hour",
            str(_("By hour (WIB)")),
            [Column(_("Hour")), Column(count, "int"), Column(money, "money")],
            [[hour_label(r["hour"]), r["count"], r["total"]] for r in sales["by_hour"]],
        ),
        Table(
            "by_category",
            str(_("By category")),
            [Column(_("Category")), Column(_("Units"), "int"), Column(money, "money")],
            [[r["category_name"], r["qty"], r["total"]] for r in sales["by_category"]],
        ),
        Table(
            "by_supplier",
            str(_("By supplier")),
            [Column(_("Supplier")), Column(_("Units"), "int"), Column(money, "money")],
            [[r["supplier_name"] or "–", r["qty"], r["total"]] for r in sales["by_supplier"]],
        ),
        Table(
            "top_products",
            str(_("Top products")),
            [Column(_("Product")), Column(_("Units"), "int"), Column(money, "money")],
            [[r["name"], r["qty"], r["total"]] for r in sales["top_products"]],
        ),
        Table(
            "supplier_stock",
            str(_("Sell-through and days on hand per supplier")),
            [
                Column(_("Supplier")),
                Column(_("On hand at the start"), "int"),
                Column(_("Received"), "int"),
                Column(_("Sold"), "int"),
                Column(_("On hand at the end"), "int"),
                Column(_("Sell-through"), "bps"),
                Column(_("Days on hand"), "days"),
            ],
            [
                [
                    r["supplier_name"] or "–",
                    r["opening"],
                    r["received"],
                    r["sold"],
                    r["closing"],
                    r["sell_through_bps"],
                    r["days_on_hand"],
                ]
                for r in stock
            ],
        ),
    ]


#: The hours a chart of sales by hour always shows (opening hours), zero where nothing sold.
CHART_HOURS = range(8, 22)


def report_charts(sales: dict, tables: dict[str, Table]) -> dict[str, Any]:
    """The SVG charts of the page: sales per period (short day labels), per hour (every opening hour, zero where
    nothing sold) and per payment method. The tables beside them carry the same figures."""
    granularity = sales.get("granularity", "day")

    def short(first_day: str) -> str:
        start = date.fromisoformat(first_day)
        return format_date(start, "MMM y" if granularity == "month" else "d MMM", locale=language())

    by_hour = {row["hour"]: row["total"] for row in sales["by_hour"]}
    hours = sorted(set(CHART_HOURS) | set(by_hour))
    series = {
        "by_period": [(short(r["period"]), r["total"]) for r in sales["by_period"]],
        "by_hour": [(f"{hour:02d}", by_hour.get(hour, 0)) for hour in hours],
        "by_payment_method": [(word(r["method"], "payment_method"), r["amount"]) for r in sales["by_payment_method"]],
    }
    return {
        key: charts.bar_chart(
            f"chart-{key}",
            tables[key].title,
            [charts.Bar(label, int(value), rupiah(value)) for label, value in points],
            scale_text=rupiah(max(value for _label, value in points)),
        )
        for key, points in series.items()
        if tables[key].rows
    }


def _query() -> dict[str, str]:
    """The report's period and granularity from the query string (this month so far, by day, by default)."""
    now = today()
    return {
        "from": request.args.get("from") or date(now.year, now.month, 1).isoformat(),
        "to": request.args.get("to") or now.isoformat(),
        "granularity": request.args.get("granularity") or "day",
    }


def _fetch(params: dict[str, str]) -> tuple[dict, list[dict]]:
    sales = call("pos", "GET", "/reports/sales", params=params)
    stock = call("inventory", "GET", "/reports/suppliers", params={"from": params["from"], "to": params["to"]})
    names = category_names()
    for row in sales["by_category"]:
        row["category_name"] = names.get(row["category"], row["category"])
    return sales, stock or []


@blp.get("/reports")
@manager_page
def reports():
    """The report of a period: totals, charts and every table, each downloadable."""
    values = _query()
    try:
        sales, stock = _fetch(values)
    except ServiceProblem as problem:
        return _refused(values, problem)
    tables = report_tables(sales, stock)
    return render(
        "console/reports/page.html",
        section="reports",
        values=values,
        errors={},
        sales=sales,
        tables=tables,
        charts=report_charts(sales, {t.key: t for t in tables}),
        granularities=_granularities(),
        export_formats=EXPORT_FORMATS,
    )


def _refused(values: dict[str, str], problem: ServiceProblem):
    """The page with the reason beside the period's fields when a service refuses it (422); else the failure."""
    if problem.status != 422:
        raise problem
    message, errors = failure(problem)
    errors = {name.removeprefix("query."): sentences for name, sentences in errors.items()}
    return render(
        "console/reports/page.html",
        section="reports",
        values=values,
        errors=errors,
        message=message,
        tables=[],
        granularities=_granularities(),
    ), 422


def _granularities() -> list[tuple[str, str]]:
    return [(g, word(g, "granularity")) for g in ("day", "week", "month")]


@blp.get("/reports/<key>.<any(csv, xlsx):export_format>")
@manager_page
def report_export(key, export_format):
    """One table of the report for the same period, as CSV or as an Excel workbook."""
    values = _query()
    try:
        sales, stock = _fetch(values)
    except ServiceProblem as problem:
        return _refused(values, problem)
    table = next((t for t in report_tables(sales, stock) if t.key == key), None)
    if table is None:
        abort(404)
    name = f"laporan-{key}-{values['from']}-{values['to']}.{export_format}"
    body: str | bytes
    if export_format == "csv":
        body, mimetype = table_csv(table), "text/csv"
    else:
        body, mimetype = table_xlsx(table), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula is quoted (``'=...``); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def table_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(c.label) for c in table.columns])
    writer.writerows([_safe(v) for v in row] for row in table.rows)
    return buffer.getvalue()


def table_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = table.title[:31]
    sheet.append([str(c.label) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_safe(v) for v in row])
    for index, column in enumerate(table.columns, start=1):
        if column.kind == "money":
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = '"Rp"#,##0'
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
            12, len(str(column.label)) + 4
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
