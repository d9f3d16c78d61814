"""Use case: the printable receipt of a completed sale (58 mm and 80 mm thermal paper) and the Z report print."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.pos.models import PaymentStatus, Sale
from services.pos.outlets import outlet_settings
from shared.business_time import to_wib
from shared.db import get_or_404
from shared.errors import NotFound

PAPER_WIDTHS = {58: {"mm": 48, "chars": 32}, 80: {"mm": 72, "chars": 48}}


def receipt_context(session: Session, receipt_no: str, width: int) -> dict:
    """Everything a receipt shows: outlet header (NPWP when PPN-registered), WIB time, cashier, register, lines,
    discounts, totals, tax lines, payments, change."""
    sale = session.scalar(select(Sale).where(Sale.receipt_no == receipt_no))
    if sale is None:
        raise NotFound(f"receipt {receipt_no} not found")
    if sale.completed_at is None:
        raise RuntimeError(f"Sale {sale.id} has receipt {receipt_no} but no completion time.")
    outlet = outlet_settings(session, sale.outlet_id)
    return {
        "sale": sale,
        "outlet": outlet,
        "show_npwp": bool(outlet.ppn_registered and outlet.npwp),
        "completed_wib": to_wib(sale.completed_at),
        "paper": PAPER_WIDTHS[width],
        "width": width,
        "payments": [p for p in sale.payments if p.status == PaymentStatus.CONFIRMED],
    }


def z_report_context(session: Session, figures: dict) -> dict:
    from datetime import datetime

    from services.pos.models import Register, Shift

    shift = get_or_404(session, Shift, figures["shift_id"], what="shift")
    outlet = outlet_settings(session, shift.outlet_id)
    register = session.get(Register, shift.register_id)
    return {
        "z": figures,
        "outlet": outlet,
        "register": register,
        "opened_wib": to_wib(datetime.fromisoformat(figures["opened_at"])),
        "closed_wib": to_wib(datetime.fromisoformat(figures["closed_at"])) if figures.get("closed_at") else None,
        "paper": PAPER_WIDTHS[80],
        "width": 80,
    }
