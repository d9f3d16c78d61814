"""Use cases: a register's ESC/POS network printer (its setting) and printing a receipt or a Z report on it.

The printer speaks ESC/POS over raw TCP (port 9100 on an Epson TM-T82 LAN and most others); python-escpos writes
the commands. What is printed comes from :mod:`services.pos.receipts` (the same lines as the HTML print view);
this module only lays those lines out in columns, cuts the paper and, for a cash sale, kicks the cash drawer."""

from __future__ import annotations

import textwrap

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network
from sqlalchemy.orm import Session

from services.pos import errors, receipts, shifts
from services.pos.models import Register, RegisterPrinter, Shift
from services.pos.receipts import PAPER_WIDTHS, PrintDocument
from shared.auth import Principal, current_actor
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, DomainError

DEFAULT_PORT = 9100
#: Seconds to wait for the printer to accept the connection and each write.
TIMEOUT_SECONDS = 3
#: The capability profile python-escpos lays commands out for (the TM-T82 shares the TM-T88 command set).
PROFILE = "TM-T88V"
#: The drawer-kick connector pin (pin 2 is the standard drawer port of Epson receipt printers).
DRAWER_PIN = 2


class PrinterUnavailable(DomainError):
    """The register's printer did not answer in time or refused the connection."""

    status = 503


def printer_of(session: Session, register_id: str) -> RegisterPrinter | None:
    """The register's printer setting (None when none was ever set)."""
    get_or_404(session, Register, str(register_id), what="register")
    return session.get(RegisterPrinter, str(register_id))


def printer_view(session: Session, register_id: str) -> RegisterPrinter | dict:
    """The register's printer as the API shows it (``enabled`` false and no host when none is set)."""
    printer = printer_of(session, register_id)
    if printer is None:
        return {
            "register_id": str(register_id),
            "enabled": False,
            "host": None,
            "port": None,
            "paper_width": None,
            "open_drawer": True,
        }
    return printer


def set_printer(session: Session, register_id: str, data: dict) -> RegisterPrinter:
    """Save the register's printer (host, port, paper width, enabled, drawer kick), replacing the former setting."""
    printer = printer_of(session, register_id)
    if printer is None:
        printer = RegisterPrinter(register_id=str(register_id))
        session.add(printer)
    printer.host = data["host"]
    printer.port = data.get("port", DEFAULT_PORT)
    printer.paper_width = data.get("paper_width", 80)
    printer.enabled = data.get("enabled", True)
    printer.open_drawer = data.get("open_drawer", True)
    printer.updated_at = utcnow()
    printer.updated_by = current_actor()
    session.flush()
    return printer


def enabled_printer(session: Session, register_id: str) -> RegisterPrinter:
    """The register's printer, or 409 ``no_printer`` when it has none enabled (the counter then prints through
    the browser)."""
    printer = printer_of(session, register_id)
    if printer is None or not printer.enabled:
        raise Conflict("This register has no network printer enabled.", code=errors.NO_PRINTER)
    return printer


def _columns(label: str, value: str, chars: int) -> list[str]:
    """``label`` on the left and ``value`` on the right of ``chars`` columns (a long label wraps above)."""
    room = max(chars - len(value) - 1, 1)
    parts = textwrap.wrap(label, room) or [""]
    return [*parts[:-1], parts[-1].ljust(room) + " " + value]


def render(printer: Escpos, document: PrintDocument, paper_width: int, *, open_drawer: bool) -> None:
    """Write ``document`` on ``printer`` (any python-escpos printer) in the columns of ``paper_width`` mm paper,
    cut it, then kick the cash drawer when ``open_drawer``."""
    chars = PAPER_WIDTHS[paper_width]["chars"]
    printer.hw("INIT")
    for line in document.lines:
        if line.has("rule"):
            printer.set_with_default()
            printer.textln("-" * chars)
        elif line.has("title"):
            printer.set_with_default(align="center", bold=True, double_height=True)
            for part in textwrap.wrap(line.label, chars):
                printer.textln(part)
        elif line.value is None:
            printer.set_with_default(align="center" if line.has("center") else "left")
            for part in textwrap.wrap(line.label, chars):
                printer.textln(part)
        else:
            printer.set_with_default(bold=line.has("total"))
            for part in _columns(line.label, line.value, chars):
                printer.textln(part)
    printer.set_with_default()
    printer.cut()
    if open_drawer:
        printer.cashdraw(DRAWER_PIN)


def print_document(printer: RegisterPrinter, document: PrintDocument, *, open_drawer: bool = False) -> None:
    """Send ``document`` to the register's printer over TCP; 503 ``printer_timeout`` / ``printer_unreachable``
    when it does not answer within :data:`TIMEOUT_SECONDS` or refuses the connection."""
    device = Network(printer.host, printer.port, timeout=TIMEOUT_SECONDS, profile=PROFILE)
    try:
        device.open()
        render(device, document, printer.paper_width, open_drawer=open_drawer)
    except (DeviceNotFoundError, OSError) as exc:
        cause = exc.__context__ if isinstance(exc, DeviceNotFoundError) else exc
        if isinstance(cause, TimeoutError):
            raise PrinterUnavailable(
                f"The printer at {printer.host}:{printer.port} did not answer within {TIMEOUT_SECONDS} s.",
                code=errors.PRINTER_TIMEOUT,
            ) from exc
        raise PrinterUnavailable(
            f"The printer at {printer.host}:{printer.port} cannot be reached: {cause}.", code=errors.PRINTER_UNREACHABLE
        ) from exc
    finally:
        device.close()


def print_receipt(session: Session, receipt_no: str, *, reprint: bool = False) -> dict:
    """Print the receipt on the printer of the register that made the sale; the cash drawer opens for a sale
    paid in cash, unless this is a reprint or the register's drawer kick is off."""
    sale = receipts.completed_sale(session, receipt_no)
    printer = enabled_printer(session, sale.register_id)
    document = receipts.receipt_document(session, receipt_no)
    open_drawer = document.cash and not reprint and printer.open_drawer
    print_document(printer, document, open_drawer=open_drawer)
    return {"printer": f"{printer.host}:{printer.port}", "drawer_opened": open_drawer}


def print_z_report(session: Session, shift_id: str, caller: Principal) -> dict:
    """Print the Z report of a closed shift on its register's printer (the drawer stays shut)."""
    figures = shifts.z_report(session, shift_id, caller)
    shift = get_or_404(session, Shift, str(shift_id), what="shift")
    printer = enabled_printer(session, shift.register_id)
    print_document(printer, receipts.z_report_document(session, figures))
    return {"printer": f"{printer.host}:{printer.port}", "drawer_opened": False}
