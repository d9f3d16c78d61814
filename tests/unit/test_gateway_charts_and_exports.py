"""The report page's server-rendered SVG charts and its table downloads (pure parts, no app needed)."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from services.gateway import charts
from services.gateway.console.reports import Column, Table, table_csv, table_xlsx


def test_bars_scale_to_the_largest_value_and_every_bar_has_its_label_and_value_for_screen_readers():
    svg = charts.bar_chart(
        "chart-x",
        "Penjualan per hari",
        [charts.Bar("1 Nov", 100, "Rp100"), charts.Bar("2 Nov", 50, "Rp50"), charts.Bar("3 Nov", 0, "Rp0")],
        scale_text="Rp100",
    )
    assert svg.startswith('<svg id="chart-x"') and 'role="img"' in svg and 'aria-labelledby="chart-x-title"' in svg
    assert '<title id="chart-x-title">Penjualan per hari</title>' in svg
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert heights == [charts.HEIGHT - charts.TOP - charts.BOTTOM, (charts.HEIGHT - charts.TOP - charts.BOTTOM) / 2, 0]
    assert "<title>2 Nov: Rp50</title>" in svg and ">Rp100</text>" in svg
    assert "style=" not in svg  # presentation attributes only: nothing for the Content-Security-Policy to refuse


def test_labels_are_escaped_and_thinned_out_when_they_do_not_fit():
    svg = charts.bar_chart("c", "<b>", [charts.Bar(f"<{n:02d}>", n, str(n)) for n in range(60)])
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert 0 < svg.count("</text>") < 60


def test_a_table_downloads_as_csv_and_excel_with_numbers_as_numbers_and_no_formula_run():
    table = Table(
        "top_products",
        "Produk terlaris",
        [Column("Produk"), Column("Unit", "int"), Column("Total", "money")],
        [['=HYPERLINK("x")', 2, 50_000], ["Dodol Betawi", 1, 25_000]],
    )
    assert list(csv.reader(io.StringIO(table_csv(table)))) == [
        ["Produk", "Unit", "Total"],
        ['\'=HYPERLINK("x")', "2", "50000"],
        ["Dodol Betawi", "1", "25000"],
    ]
    sheet = load_workbook(io.BytesIO(table_xlsx(table))).active
    assert sheet.title == "Produk terlaris"
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Produk", "Unit", "Total"],
        ['\'=HYPERLINK("x")', 2, 50_000],
        ["Dodol Betawi", 1, 25_000],
    ]
    assert sheet["C2"].number_format == '"Rp"#,##0' and sheet["A1"].font.bold
