"""The words of the counter page's scripts, in the page's language.

The counter's ES modules (``static/counter/``) build messages while the cashier works; their sentences come from
the gateway's message catalogue like every other page's: :func:`counter_strings` is rendered into the page as a
JSON block (``#counter-strings``, data, not a script) that ``counter/i18n.js`` reads. Placeholders are
``{name}``. Problem answers of the API are turned into sentences by their ``code`` with
:data:`services.gateway.problems.SENTENCES`, the one catalogue of problem sentences.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _

from services.gateway import problems

STRINGS = {
    "error.offline": _("No connection to the server. Try again."),
    "error.unknown": _("Something went wrong. Try again; if it happens again, tell the administrator."),
    "register.none": _("There is no register yet. Ask a manager to add one."),
    "register.load_failed": _("The counter's data cannot be loaded."),
    "shift.none": _("No shift is open."),
    "shift.open_status": _("Shift open · {cashier} · float {float}"),
    "scan.unknown": _("Code {code} is not known. Check the code or search the product by name."),
    "scan.unsellable": _("{name} cannot be sold (inactive, or its supplier is not active)."),
    "display.qris_alt": _("QRIS code to pay {amount}"),
    "cart.empty": _("The cart is empty."),
    "cart.qty_of": _("Quantity of {name}"),
    "cart.discount_of": _("Discount on {name} (Rp)"),
    "cart.remove": _("Remove"),
    "cart.remove_item": _("Remove {name}"),
    "park.done": _("Sale parked. Sales waiting: {count}."),
    "park.entry": _("{time} · {items} items · {total}"),
    "void.default_reason": _("Cancelled by the customer"),
    "void.done": _("The sale was voided."),
    "settings.saved": _("Register settings saved."),
    "settings.printer": _("Receipts and the Z report print on the network printer {host}:{port} ({paper} mm)."),
    "settings.printer_none": _("No network printer is enabled: receipts print through the browser. A manager sets it."),
    "print.sent": _("Sent to the printer."),
    "method.cash": _("Cash"),
    "method.qris": "QRIS",
    "method.card": _("Card (EDC)"),
    "method.ewallet": _("E-wallet"),
    "method.transfer": _("Bank transfer"),
    "pay.cash_received": _("Cash received (Rp)"),
    "pay.amount": _("Amount (Rp)"),
    "pay.tendered": _("received"),
    "pay.remove": _("Remove"),
    "pay.exact": _("Exact"),
    "pay.need_amount": _("Type an amount."),
    "pay.need_code": _("Type the EDC approval code."),
    "pay.need_reference": _("Type the payment's reference."),
    "approval.discount": _("The discount ({amount}) is above the outlet's limit."),
    "approval.cancelled": _("The sale needs a manager's approval."),
    "qris.waiting": _("Waiting for the payment of {amount} · {minutes}:{seconds} left"),
    "qris.expired": _("The QRIS has expired. Make a new QRIS or pay with another method."),
    "cash.in_title": _("Cash in"),
    "cash.out_title": _("Cash out"),
    "cash.saved": _("Saved: {amount}."),
    "report.x_title": _("X report"),
    "report.z_title": _("Z report"),
    "report.cashier": _("Cashier"),
    "report.opening_float": _("Opening float"),
    "report.sales_count": _("Sales"),
    "report.sales_net": _("Net sales"),
    "report.discounts": _("Discounts"),
    "report.refunds": _("Refunds"),
    "report.cash_in": _("Cash in"),
    "report.cash_out": _("Cash out"),
    "report.expected_cash": _("Expected cash"),
    "report.counted_cash": _("Cash counted"),
    "report.variance": _("Variance"),
    "close.count_of": _("Number of {value}"),
    "close.continue": _("Continue"),
    "close.confirm": _("Yes, close the shift"),
    "close.sales_waiting": _("Sales made offline still wait to be sent; the shift closes once they are."),
    "pay.change": _("Change"),
    "net.online": _("Online"),
    "net.offline": _("Offline: sales are kept and sent later"),
    "net.waiting": _("{count} sales waiting to be sent"),
    "offline.no_qris": _("QRIS needs the network. Take cash or card while the counter is offline."),
    "offline.receipt_note": _("Made offline; the receipt number from the server follows when the sale is sent."),
    "refund.not_found": _("No sale has receipt number {receipt}."),
    "refund.qty_of": _("Quantity of {name} to refund (at most {left})"),
    "refund.too_many": _("A quantity is more than what can still be refunded."),
    "refund.pick_lines": _("Choose at least one item to refund."),
    "refund.done": _("Refunded {amount} of receipt {receipt}."),
    "refund.receipt_title": _("Refund receipt"),
    "refund.of_receipt": _("For receipt"),
    "refund.total": _("Refunded"),
    "refund.reason": _("Reason"),
    "refund.to_stock": _("The items went back to stock."),
    "refund.not_to_stock": _("The items did not go back to stock."),
}


def counter_strings() -> dict:
    """Everything ``counter/i18n.js`` needs, as plain strings in the request's language."""
    return {
        "strings": {key: str(value) for key, value in STRINGS.items()},
        "problems": {code: str(sentence) for code, sentence in problems.SENTENCES.items()},
        "statuses": {str(status): str(sentence) for status, sentence in problems.STATUS_SENTENCES.items()},
        "unknown": str(problems.UNKNOWN_FAILURE),
    }
