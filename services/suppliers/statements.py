"""Supplier statements for a period: opening balance, every movement of the payable, closing balance.

CSV is streamed a page of rows at a time, each page read in its own short transaction (keyset pagination);
the PDF (in Bahasa Indonesia) is drawn page by page with reportlab's canvas from rows fetched in batches.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from services.suppliers import ledger, rules
from services.suppliers.models import JournalEntry, PayableItem, PayableKind, Posting, Supplier
from shared.business_time import business_day, day_start
from shared.db import get_or_404, transaction
from shared.money import format_rupiah

KIND_LABELS: dict[str, str] = {
    PayableKind.SALE: "Penjualan",
    PayableKind.REFUND: "Retur",
    PayableKind.WRITE_OFF: "Penyesuaian (stok hilang/rusak ditanggung sentra)",
    PayableKind.PAYOUT: "Pembayaran",
    PayableKind.PAYOUT_FAILED: "Pembayaran gagal (dikembalikan)",
}
PAGE_SIZE = 2000
CSV_HEADER = ["date", "kind", "reference", "product", "qty", "unit_price", "gross", "commission", "share", "balance"]


@dataclass(frozen=True)
class StatementHeader:
    supplier_id: str
    supplier_name: str
    start: date
    end: date
    opening_balance: int


def opening_balance(session: Session, supplier_id: str, start: date) -> int:
    """The supplier's payable at the start of ``start`` (Jakarta), summed from the postings."""
    lower = day_start(start)
    value = session.execute(
        select(func.coalesce(func.sum(Posting.credit) - func.sum(Posting.debit), 0))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.account_code == ledger.payable_account(supplier_id), JournalEntry.occurred_at < lower)
    ).scalar_one()
    return int(value)


def header(session: Session, supplier_id: str, start: date, end: date) -> StatementHeader:
    supplier = get_or_404(session, Supplier, supplier_id, what="supplier")
    rules.period_bounds(start, end)
    return StatementHeader(
        supplier.id, supplier.business_name, start, end, opening_balance(session, supplier.id, start)
    )


def movements(session: Session, supplier_id: str, start: date, end: date) -> Iterator[PayableItem]:
    """The payable's movements in the period, oldest first, fetched in batches."""
    lower, upper = rules.period_bounds(start, end)
    yield from session.execute(
        select(PayableItem)
        .where(
            PayableItem.supplier_id == supplier_id, PayableItem.occurred_at >= lower, PayableItem.occurred_at < upper
        )
        .order_by(PayableItem.occurred_at, PayableItem.id)
        .execution_options(yield_per=1000)
    ).scalars()


def movement_pages(
    session_factory: sessionmaker, supplier_id: str, start: date, end: date, page_size: int = PAGE_SIZE
) -> Iterator[list[PayableItem]]:
    """The same movements as :func:`movements`, one page per short transaction (keyset pagination), so a long
    download never holds a database transaction open between chunks."""
    lower, upper = rules.period_bounds(start, end)
    after: tuple | None = None
    while True:
        query = (
            select(PayableItem)
            .where(
                PayableItem.supplier_id == supplier_id,
                PayableItem.occurred_at >= lower,
                PayableItem.occurred_at < upper,
            )
            .order_by(PayableItem.occurred_at, PayableItem.id)
            .limit(page_size)
        )
        if after is not None:
            query = query.where(tuple_(PayableItem.occurred_at, PayableItem.id) > tuple_(*after))
        with transaction(session_factory) as session:
            page = list(session.execute(query).scalars())
        if not page:
            return
        yield page
        after = (page[-1].occurred_at, page[-1].id)
        if len(page) < page_size:
            return


def csv_chunks(session_factory: sessionmaker, supplier_id: str, start: date, end: date) -> Iterator[str]:
    """The statement as CSV, yielded one page of rows at a time."""
    with transaction(session_factory) as session:
        head = header(session, supplier_id, start, end)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerow([start.isoformat(), "opening_balance", "", "", "", "", "", "", "", head.opening_balance])
    balance = head.opening_balance
    for page in movement_pages(session_factory, supplier_id, start, end):
        for item in page:
            balance += item.amount
            writer.writerow(
                [
                    business_day(item.occurred_at).isoformat(),
                    item.kind,
                    item.reference,
                    item.product_name,
                    item.qty,
                    item.unit_price,
                    item.gross,
                    item.commission,
                    item.amount,
                    balance,
                ]
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    writer.writerow([end.isoformat(), "closing_balance", "", "", "", "", "", "", "", balance])
    yield buffer.getvalue()


def pdf_bytes(session: Session, supplier_id: str, start: date, end: date) -> bytes:
    """The statement as a PDF in Bahasa Indonesia (A4 landscape, one table, drawn page by page)."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas

    head = header(session, supplier_id, start, end)
    output = io.BytesIO()
    page_width, page_height = landscape(A4)
    pdf = canvas.Canvas(output, pagesize=(page_width, page_height), pageCompression=1)
    pdf.setTitle(f"Laporan Rekening {head.supplier_name}")
    columns = [
        (30, "Tanggal"),
        (95, "Jenis"),
        (210, "Keterangan"),
        (470, "Qty"),
        (505, "Harga"),
        (575, "Komisi"),
        (645, "Bagian pemasok"),
        (730, "Saldo"),
    ]
    page = 1

    def page_header() -> float:
        pdf.setFont("Helvetica-Bold", 13)
        pdf.drawString(30, page_height - 40, "Laporan Rekening Pemasok - Sentra Oleh-Oleh Kabupaten Bekasi")
        pdf.setFont("Helvetica", 10)
        pdf.drawString(30, page_height - 58, f"Pemasok: {head.supplier_name}   (ID {head.supplier_id})")
        pdf.drawString(30, page_height - 72, f"Periode: {start:%d-%m-%Y} s.d. {end:%d-%m-%Y} (WIB)   Halaman {page}")
        pdf.setFont("Helvetica-Bold", 9)
        for x, title in columns:
            pdf.drawString(x, page_height - 95, title)
        pdf.setFont("Helvetica", 8)
        return page_height - 110

    y = page_header()
    pdf.drawString(30, y, f"Saldo awal: {format_rupiah(head.opening_balance)}")
    y -= 14
    balance = head.opening_balance
    totals: dict[str, int] = {**dict.fromkeys(PayableKind, 0), "commission": 0}
    rows = pdf.beginText()
    rows.setFont("Helvetica", 8)
    for item in movements(session, supplier_id, start, end):
        if y < 50:
            pdf.drawText(rows)
            pdf.showPage()
            page += 1
            y = page_header()
            rows = pdf.beginText()
            rows.setFont("Helvetica", 8)
        balance += item.amount
        totals[item.kind] += item.amount
        totals["commission"] += item.commission if item.kind in ledger.SALE_LINE_KINDS else 0
        description = item.product_name or item.reference
        if item.kind in ledger.PAYOUT_KINDS:
            description = f"Ref. transfer {item.reference}"
        values = [
            business_day(item.occurred_at).strftime("%d-%m-%Y"),
            KIND_LABELS[item.kind][:22],
            description[:48],
            str(item.qty) if item.qty else "",
            format_rupiah(item.unit_price) if item.unit_price else "",
            format_rupiah(item.commission) if item.kind in ledger.SALE_LINE_KINDS else "",
            format_rupiah(item.amount),
            format_rupiah(balance),
        ]
        for (x, _), value in zip(columns, values, strict=False):
            if value:
                rows.setTextOrigin(x, y)
                rows.textOut(value)
        y -= 12
    pdf.drawText(rows)
    if y < 120:
        pdf.showPage()
        page += 1
        y = page_header()
    pdf.setFont("Helvetica-Bold", 9)
    summary = [
        ("Saldo awal", head.opening_balance),
        ("Bagian pemasok dari penjualan", totals[PayableKind.SALE]),
        ("Retur", totals[PayableKind.REFUND]),
        ("Penyesuaian", totals[PayableKind.WRITE_OFF]),
        ("Pembayaran", totals[PayableKind.PAYOUT] + totals[PayableKind.PAYOUT_FAILED]),
        ("Komisi sentra (bersih)", totals["commission"]),
        ("Saldo akhir", balance),
    ]
    y -= 8
    for label, amount in summary:
        pdf.drawString(30, y, label)
        pdf.drawRightString(330, y, format_rupiah(amount))
        y -= 13
    pdf.setFont("Helvetica", 7)
    pdf.drawString(
        30, 30, "Dokumen ini dibuat otomatis oleh Sentra. Jumlah dalam Rupiah; waktu dalam WIB (Asia/Jakarta)."
    )
    pdf.showPage()
    pdf.save()
    return output.getvalue()
