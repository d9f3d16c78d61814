"""Printable PDFs of the inventory service (reportlab): barcode label sheets, intake receipts (nota titip)
and return notes (nota retur)."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from services.inventory.models import Product
from services.inventory.rules import barcode_kind
from shared.business_time import to_wib
from shared.money import format_rupiah

CENTRE_NAME = "Sentra Oleh-Oleh Khas Kabupaten Bekasi"
_SYMBOLOGY = {"EAN-13": "EAN13", "EAN-8": "EAN8", "UPC-A": "UPCA"}
LABEL_COLUMNS, LABEL_ROWS = 3, 8
LABEL_WIDTH, LABEL_HEIGHT = 64 * mm, 33.9 * mm
SHEET_MARGIN_X, SHEET_MARGIN_Y = 9 * mm, 13 * mm


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label_sheet(items: list[tuple[Product, int]]) -> bytes:
    """A4 sheets of 3 × 8 labels: product name, price, barcode (with its digits), SKU and label data."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle("Label harga")
    page_height = A4[1]
    slot = 0
    for product, copies in items:
        symbology = _SYMBOLOGY[barcode_kind(product.barcode)]
        for _ in range(copies):
            if slot == LABEL_COLUMNS * LABEL_ROWS:
                canvas.showPage()
                slot = 0
            column, row = slot % LABEL_COLUMNS, slot // LABEL_COLUMNS
            x = SHEET_MARGIN_X + column * LABEL_WIDTH
            top = page_height - SHEET_MARGIN_Y - row * LABEL_HEIGHT
            canvas.setFont("Helvetica-Bold", 8)
            canvas.drawString(x + 3 * mm, top - 5 * mm, _shorten(product.name, 34))
            canvas.setFont("Helvetica-Bold", 11)
            canvas.drawString(x + 3 * mm, top - 10 * mm, format_rupiah(product.price))
            canvas.setFont("Helvetica", 6)
            details = [product.sku]
            if product.net_weight:
                details.append(f"Netto {product.net_weight}")
            if product.permit_type and product.permit_number:
                details.append(f"{product.permit_type} {product.permit_number}")
            canvas.drawString(x + 3 * mm, top - 13.5 * mm, _shorten(" · ".join(details), 60))
            drawing = createBarcodeDrawing(
                symbology, value=product.barcode[:-1], barHeight=12 * mm, humanReadable=True, fontSize=7
            )
            renderPDF.draw(drawing, canvas, x + 3 * mm, top - LABEL_HEIGHT + 3 * mm)
            slot += 1
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _document(
    title: str,
    number: str,
    heading_rows: list[tuple[str, str]],
    columns: list[tuple[str, float]],
    rows: list[list[str]],
    signatures: tuple[str, str],
) -> bytes:
    """A one-or-more-page A4 document: title, number, header fields, a table and two signature boxes."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(f"{title} {number}")
    width, height = A4
    left = 18 * mm

    def page_header() -> float:
        canvas.setFont("Helvetica-Bold", 13)
        canvas.drawString(left, height - 20 * mm, CENTRE_NAME)
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawString(left, height - 28 * mm, f"{title} No. {number}")
        canvas.setFont("Helvetica", 9)
        y = height - 36 * mm
        for label, value in heading_rows:
            canvas.drawString(left, y, f"{label}: {value}")
            y -= 5 * mm
        y -= 3 * mm
        canvas.setFont("Helvetica-Bold", 9)
        x = left
        for name, column_width in columns:
            canvas.drawString(x, y, name)
            x += column_width * mm
        canvas.line(left, y - 1.5 * mm, width - left, y - 1.5 * mm)
        canvas.setFont("Helvetica", 9)
        return y - 6 * mm

    y = page_header()
    for row in rows:
        if y < 45 * mm:
            canvas.showPage()
            y = page_header()
        x = left
        for (_name, column_width), value in zip(columns, row, strict=False):
            canvas.drawString(x, y, _shorten(str(value), int(column_width / 1.9)))
            x += column_width * mm
        y -= 5.5 * mm
    y -= 12 * mm
    for index, who in enumerate(signatures):
        x = left + index * 90 * mm
        canvas.drawString(x, y, who)
        canvas.line(x, y - 18 * mm, x + 60 * mm, y - 18 * mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _when(moment: datetime) -> str:
    return to_wib(moment).strftime("%d-%m-%Y %H:%M WIB")


def _day(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else "-"


def intake_receipt(intake, lines: list[dict], supplier_name: str, delivery_number: str | None = None) -> bytes:
    """The nota titip the supplier keeps: what the centre received from them, lot by lot, with the number of the
    delivery they announced when it was received from one (``KRM-…``, what the supplier's portal shows)."""
    total_units = sum(line["qty"] for line in lines)
    rows = [
        [
            str(line["line_no"]),
            line["sku"],
            line["name"],
            line["lot_code"],
            _day(line["expiry_date"]),
            f"{line['qty']} {line['unit']}",
        ]
        for line in lines
    ]
    rows.append(["", "", "Jumlah", "", "", str(total_units)])
    return _document(
        "Nota Titip",
        intake.number,
        [
            ("Pemasok", supplier_name),
            ("Tanggal terima", _day(intake.received_on)),
            ("Diterima oleh", intake.received_by),
            *([("Pengiriman", delivery_number)] if delivery_number else []),
            ("Catatan", intake.note or "-"),
        ],
        [("No", 8), ("SKU", 22), ("Produk", 62), ("Kode lot", 30), ("Kedaluwarsa", 24), ("Jumlah", 20)],
        rows,
        ("Pemasok", f"Penerima ({intake.received_by})"),
    )


def return_note(note, lines: list[dict], supplier_name: str) -> bytes:
    """The nota retur: what the supplier collected, lot by lot, signed by both sides."""
    rows = [
        [
            line["sku"],
            line["name"],
            line["lot_code"] or "-",
            _day(line["expiry_date"]),
            line["reason"],
            str(line["qty"]),
        ]
        for line in lines
    ]
    rows.append(["", "Jumlah", "", "", "", str(sum(line["qty"] for line in lines))])
    return _document(
        "Nota Retur",
        note.number,
        [
            ("Pemasok", supplier_name),
            ("Diambil pada", _when(note.collected_at)),
            ("Diambil oleh", note.collected_by),
            ("Dicatat oleh", note.recorded_by),
        ],
        [("SKU", 22), ("Produk", 60), ("Kode lot", 30), ("Kedaluwarsa", 24), ("Alasan", 26), ("Jumlah", 14)],
        rows,
        (f"Pengambil ({note.collected_by})", "Petugas sentra"),
    )
