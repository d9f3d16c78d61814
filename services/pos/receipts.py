"""Use case: what a printed receipt and a printed Z report contain, the one place for it.

:func:`receipt_document` and :func:`z_report_document` build a :class:`PrintDocument` (a list of
:class:`PrintLine`) from the database; the HTML print views (templates/document.html, 58 mm and 80 mm thermal paper)
and the ESC/POS printer (:mod:`services.pos.printing`) only lay those lines out, so both always show the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.pos.models import PaymentMethod, PaymentStatus, Register, Sale, Shift
from services.pos.outlets import outlet_settings
from shared.business_time import to_wib
from shared.db import get_or_404
from shared.errors import NotFound
from shared.money import format_rupiah

PAPER_WIDTHS = {58: {"mm": 48, "chars": 32}, 80: {"mm": 72, "chars": 48}}
#: How a payment method is named on paper.
PAYMENT_LABELS: dict[str, str] = {
    PaymentMethod.CASH: "Tunai",
    PaymentMethod.QRIS: "QRIS",
    PaymentMethod.CARD: "Kartu",
    PaymentMethod.EWALLET: "E-wallet",
    PaymentMethod.TRANSFER: "Transfer",
}
FOOTER = "Terima kasih telah berbelanja produk UMKM Kabupaten Bekasi"


@dataclass(frozen=True)
class PrintLine:
    """One line on paper: a text alone (``value`` is None) or a ``label`` … ``value`` row.

    ``style`` holds words: ``title`` (the header, large), ``center``, ``muted`` (smaller), ``total`` (bold),
    ``rule`` (a dashed rule, no text). ``name`` names the value (the HTML class the browser and tests find it by,
    e.g. ``receipt-no``, ``grand-total``)."""

    label: str = ""
    value: str | None = None
    style: str = ""
    name: str = ""

    def has(self, style: str) -> bool:
        return style in self.style.split()


RULE = PrintLine(style="rule")


@dataclass
class PrintDocument:
    """A receipt or a report ready to lay out: its title (the HTML page's), its lines, and whether printing it on
    a register's printer opens the cash drawer (a sale paid, at least partly, in cash)."""

    title: str
    lines: list[PrintLine] = field(default_factory=list)
    cash: bool = False


def _wib(moment: datetime) -> str:
    return to_wib(moment).strftime("%d-%m-%Y %H:%M") + " WIB"


def _rp(amount: int) -> str:
    return format_rupiah(int(amount))


def completed_sale(session: Session, receipt_no: str) -> Sale:
    """The completed sale with ``receipt_no`` (404 when there is none)."""
    sale = session.scalar(select(Sale).where(Sale.receipt_no == receipt_no))
    if sale is None:
        raise NotFound(f"receipt {receipt_no} not found")
    return sale


def receipt_document(session: Session, receipt_no: str) -> PrintDocument:
    """The receipt: outlet header (NPWP when PPN-registered), WIB time, cashier, register, lines, discounts,
    totals, tax lines (DPP and PPN when the outlet is PPN-registered), payments, change."""
    sale = completed_sale(session, receipt_no)
    if sale.completed_at is None:
        raise RuntimeError(f"Sale {sale.id} has receipt {receipt_no} but no completion time.")
    outlet = outlet_settings(session, sale.outlet_id)
    payments = [p for p in sale.payments if p.status == PaymentStatus.CONFIRMED]
    lines = [PrintLine(outlet.name, style="title"), PrintLine(outlet.address, style="center muted")]
    if outlet.ppn_registered and outlet.npwp:
        lines.append(PrintLine(f"NPWP: {outlet.npwp}", style="center muted"))
    if outlet.receipt_header:
        lines.append(PrintLine(outlet.receipt_header, style="center muted", name="receipt-header"))
    lines += [
        RULE,
        PrintLine("No", sale.receipt_no, name="receipt-no"),
        PrintLine("Tanggal", _wib(sale.completed_at)),
        PrintLine("Kasir", sale.cashier_name),
        PrintLine("Kasa", sale.register_code),
        RULE,
    ]
    for line in sale.lines:
        lines += [
            PrintLine(line.name),
            PrintLine(f"{line.qty} x {_rp(line.unit_price)}", _rp(line.qty * line.unit_price)),
        ]
        if line.line_discount:
            lines.append(PrintLine("  Diskon", "-" + _rp(line.line_discount), style="muted"))
    lines += [RULE, PrintLine("Subtotal", _rp(sale.subtotal))]
    if sale.sale_discount:
        lines.append(PrintLine("Diskon transaksi", "-" + _rp(sale.sale_discount)))
    if sale.discount_total:
        lines.append(PrintLine("Total diskon", "-" + _rp(sale.discount_total), style="muted"))
    lines.append(PrintLine("TOTAL", _rp(sale.total), style="total", name="grand-total"))
    if sale.ppn is not None and sale.tax_base is not None:
        lines += [
            PrintLine("DPP", _rp(sale.tax_base), style="muted", name="tax-base"),
            PrintLine("PPN 12%", _rp(sale.ppn), style="muted", name="ppn"),
            PrintLine("Harga sudah termasuk PPN", style="muted"),
        ]
    lines.append(RULE)
    for payment in payments:
        label = PAYMENT_LABELS.get(payment.method, payment.method)
        if payment.approval_code:
            label += f" ({payment.approval_code})"
        lines.append(PrintLine(label, _rp(payment.tendered if payment.tendered is not None else payment.amount)))
    footer = PrintLine(outlet.receipt_footer or FOOTER, style="center muted", name="receipt-footer")
    lines += [PrintLine("Kembali", _rp(sale.change), name="change"), RULE, footer]
    return PrintDocument(
        title=f"Struk {sale.receipt_no}",
        lines=lines,
        cash=any(p.method == PaymentMethod.CASH for p in payments),
    )


def z_report_document(session: Session, figures: dict) -> PrintDocument:
    """The Z report of a closed shift (``figures`` as :func:`services.pos.shifts.z_report` answers them)."""
    shift = get_or_404(session, Shift, figures["shift_id"], what="shift")
    outlet = outlet_settings(session, shift.outlet_id)
    register = get_or_404(session, Register, shift.register_id, what="register")
    lines = [
        PrintLine(outlet.name, style="title"),
        PrintLine(f"LAPORAN Z - Kasa {register.code}", style="center"),
        RULE,
        PrintLine("Kasir", figures["cashier_name"]),
        PrintLine("Buka", _wib(datetime.fromisoformat(figures["opened_at"]))),
    ]
    if figures.get("closed_at"):
        lines.append(PrintLine("Tutup", _wib(datetime.fromisoformat(figures["closed_at"]))))
    sales = figures["sales"]
    lines += [
        RULE,
        PrintLine("Transaksi", str(sales["count"])),
        PrintLine("Penjualan kotor", _rp(sales["gross"])),
        PrintLine("Diskon", "-" + _rp(sales["discounts"])),
        PrintLine("Penjualan bersih", _rp(sales["net"]), style="total"),
        RULE,
    ]
    for method, amount in figures["payments_by_method"].items():
        lines.append(PrintLine(PAYMENT_LABELS.get(method, method), _rp(amount)))
    refunds = figures["refunds"]
    lines += [RULE, PrintLine(f"Refund ({refunds['count']})", "-" + _rp(refunds["total"]))]
    for method, amount in refunds["by_method"].items():
        if amount:
            lines.append(PrintLine("  " + PAYMENT_LABELS.get(method, method), "-" + _rp(amount), style="muted"))
    movements = figures["cash_movements"]
    lines += [
        RULE,
        PrintLine("Modal awal", _rp(figures["opening_float"])),
        PrintLine("Kas masuk", _rp(movements["in"])),
        PrintLine("Kas keluar", "-" + _rp(movements["out"])),
    ]
    for movement in movements["items"]:
        lines.append(PrintLine(f"  {movement['kind']}: {movement['reason']}", _rp(movement["amount"]), style="muted"))
    lines.append(PrintLine("Kas seharusnya", _rp(figures["expected_cash"]), name="expected"))
    if "counted_cash" in figures:
        lines += [
            PrintLine("Kas dihitung", _rp(figures["counted_cash"])),
            PrintLine("Selisih", _rp(figures["variance"]), style="total", name="variance"),
        ]
    return PrintDocument(title=f"Laporan Z {register.code}", lines=lines)


def html_context(document: PrintDocument, width: int) -> dict:
    """What templates/document.html needs to lay ``document`` out on ``width`` mm paper."""
    return {"document": document, "width": width, "paper": PAPER_WIDTHS[width]}
