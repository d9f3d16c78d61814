"""The one catalogue turning the services' problems into sentences for people, in the page's language.

A problem's ``code`` chooses its sentence (:data:`SENTENCES`); a problem without a known code gets the sentence of
its HTTP status. Field errors (``errors`` in the problem, nested for lines: ``{"lines": {"0": {"qty": [...]}}}``)
become ``{"lines.0.qty": [sentence, ...]}`` to be shown beside their fields; each known English message of a
service has its sentence in :data:`FIELD_SENTENCES`, and an unknown one reads "This value is not valid" rather
than reaching an Indonesian page in English.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext

from services.gateway import errors
from services.gateway.backend import ServiceProblem

_ = lazy_gettext

#: Sentence by problem ``code`` (inventory's services/inventory/errors.py, pos's, suppliers', the gateway's own;
#: tests/unit/test_gateway_problem_sentences.py fails on a code of theirs missing here).
SENTENCES = {
    # inventory
    "unknown_supplier": _("This supplier is not known to the stock service yet. Wait a moment and try again."),
    "supplier_ended": _("This supplier's consignment has ended; no new products can be added."),
    "product_exists": _("This product has already been saved."),
    "barcode_taken": _("Another product already has this barcode."),
    "sku_taken": _("Another product already has this SKU."),
    "product_created_concurrently": _("Another product was saved with the same code just now. Try again."),
    "unknown_product": _("This product does not exist."),
    "unknown_lot": _("This lot does not exist for this product."),
    "invalid_label_items": _("Some products of the label sheet are not valid."),
    "invalid_intake_lines": _("Some lines of the intake are not valid; see the messages beside them."),
    "intake_exists": _("This intake has already been recorded."),
    "insufficient_stock": _("There is not that much stock on hand."),
    "invalid_count_lines": _("Some counted lines are not valid."),
    "count_not_open": _("This count is closed; nothing more can be changed."),
    "invalid_return_lines": _("Some lines of the return are not valid."),
    "unknown_category": _("This category does not exist or is no longer in use."),
    "category_name_taken": _("Another category already has this name."),
    "invalid_delivery_lines": _("Some lines of the delivery are not valid; see the messages beside them."),
    "delivery_not_announced": _("This delivery has already been received or cancelled."),
    "nothing_received": _("Nothing of this delivery arrived: enter at least one quantity above 0."),
    "supplier_not_active": _(
        "Your consignment is suspended or has ended, so you cannot announce a delivery. Contact the centre's manager."
    ),
    "cancel_reason_required": _("Say why the delivery is cancelled; the supplier reads it."),
    "invalid_import_rows": _("Some rows of the file are not valid; nothing was imported."),
    # suppliers
    "more_than_available": _("The amount is more than the supplier's available balance."),
    "approver_is_creator": _(
        "You created this payout run, so you may not approve it. Another manager must approve it."
    ),
    "invalid_bank_file": _("The bank file cannot be made: some details do not follow the bank's rules; see below."),
    "no_lines_for_bank": _("No line of this run goes to an account at this bank. Choose another layout."),
    "supplier_name_taken": _("A supplier with this name is already registered."),
    # pos
    "register_code_taken": _("Another register already has this code."),
    "shift_already_open": _("A shift is already open on this register."),
    "shift_closed": _("This shift is already closed."),
    "no_open_shift": _("There is no open shift."),
    "unknown_or_unsellable_product": _("This product cannot be sold."),
    "price_not_current": _("A price in the sale was not the product's price when the sale was made."),
    "payments_do_not_match_total": _("The payments do not add up to the total."),
    "refund_exceeds_sale": _("The refund is more than the sale."),
    "approval_required": _("A manager's approval is needed."),
    "approval_invalid": _("The approval is not valid."),
    "approval_locked": _("Too many wrong PINs. Approval by PIN is locked for a few minutes."),
    "payment_expired": _("The QRIS has expired. Make a new QRIS or pay with another method."),
    "sales_pending": _("Some sales of this shift still wait for payment."),
    "idempotency_in_flight": _("This request is still being processed. Wait a moment."),
    "sale_completed": _("This sale is already completed."),
    "sale_voided": _("This sale was voided."),
    "no_printer": _("This register has no network printer enabled."),
    "printer_unreachable": _("The printer cannot be reached. Check that it is on and connected to the network."),
    "approver_name_taken": _("Another manager already approves with this name."),
    "printer_timeout": _("The printer did not answer in time. Check that it is on and connected to the network."),
    "shift_open": _("This shift is still open: its Z report is made when it closes."),
    "sale_id_taken": _("This sale number is already used by another sale."),
    "sale_pending_payment": _("This sale is still waiting for payment."),
    "not_qris": _("Only a QRIS payment can be tried again."),
    "payment_pending": _("This payment is still waiting to be paid."),
    "payment_confirmed": _("This payment has already been received."),
    "payment_cancelled": _("This payment was cancelled."),
    "idempotency_key_missing": _("This request has no request key. Reload the page and try again."),
    "idempotency_key_reused": _(
        "This request key was already used for a different request. Reload the page and try again."
    ),
    "bad_signature": _("The payment provider's notice was refused: its signature is not valid."),
    "stale_callback": _("The payment provider's notice was refused: it is too old, or its clock is wrong."),
    "replayed_callback": _("The payment provider's notice was already received."),
    # the gateway
    "service_unreachable": _("The service cannot be reached right now. Try again in a moment."),
    errors.BAD_CREDENTIALS: _("Wrong username or password."),
    errors.ACCOUNT_INACTIVE: _("This account has been deactivated. Contact a manager."),
    errors.LOGIN_RATE_LIMITED: _("Too many failed attempts. Try again in a few minutes."),
    errors.CSRF_FAILED: _("This form has expired. Reload the page and try again."),
    errors.USERNAME_TAKEN: _("This username is already taken."),
    errors.SELF_LOCKOUT: _("You cannot deactivate yourself or change your own role."),
}

#: Sentence by HTTP status, for problems without a known ``code``.
STATUS_SENTENCES = {
    400: _("The request is not valid."),
    401: _("Your session has ended. Please log in again."),
    403: _("You may not do this."),
    404: _("This item was not found."),
    409: _("This cannot be done in the item's current state."),
    422: _("Some fields are not valid; see the messages beside them."),
    429: _("Too many attempts. Try again in a few minutes."),
}
UNKNOWN_FAILURE = _("Something went wrong. Try again; if it happens again, tell the administrator.")

#: Sentence by the English message a service puts on a field (exact text, or a pattern).
FIELD_SENTENCES = {
    "Missing data for required field.": _("Required."),
    "Field may not be null.": _("Required."),
    "Required.": _("Required."),
    "Required for this product.": _("Required for this product."),
    "Must not be before the intake date.": _("Must not be before the intake date."),
    "Unknown product.": _("Unknown product."),
    "This product belongs to another supplier.": _("This product belongs to another supplier."),
    "Not a line of this delivery.": _("Not a line of this delivery."),
    "Given twice.": _("Given twice."),
    "Nothing arrived.": _("Nothing arrived."),
    "Unknown supplier.": _("Unknown supplier."),
    "Supplier has ended.": _("This supplier's consignment has ended."),
    "Already exists.": _("Already exists."),
    "Already used by another product.": _("Already used by another product."),
    "Not a valid date.": _("Not a valid date."),
    "Not a valid email address.": _("Not a valid email address."),
    "Not a valid UUID.": _("Choose an item from the list."),
    "Not a valid integer.": _("Must be a whole number."),
    "Must be a whole number (an integer, not a float or string).": _("Must be a whole number."),
    "Must be zero or more rupiah.": _("Must be zero or more rupiah."),
    "Must be at least Rp1.": _("Must be at least Rp1."),
    "Must be at least 1.": _("Must be at least 1."),
    "Must be between 0 and 10000 basis points.": _("Must be between 0 and 100 %."),
    "Must be 8 to 15 digits, optionally starting with +.": _("Must be 8 to 15 digits, optionally starting with +."),
    "NIB has 13 digits.": _("The NIB has 13 digits."),
    "NPWP has 15 or 16 digits.": _("The NPWP has 15 or 16 digits."),
    "P-IRT has 15 to 20 digits.": _("The P-IRT number has 15 to 20 digits."),
    "5 to 20 digits.": _("5 to 20 digits."),
    "A fixed-price agreement needs at least one product price.": _(
        "A fixed-price agreement needs at least one product price."
    ),
    "Each product at most once.": _("Each product at most once."),
    "The period ends before it starts.": _("The period ends before it starts."),
    "A P-IRT number has at least 15 digits.": _("The P-IRT number has at least 15 digits."),
    "Give permit_type and permit_number together.": _("Give the permit type and number together."),
    "No product has this barcode.": _("No product has this barcode."),
    "This product is not part of this count.": _("This product is not part of this count."),
    "Unknown lot.": _("Unknown lot."),
    "Not a lot of this product at this outlet.": _("Unknown lot."),
    "This lot belongs to another supplier.": _("This lot belongs to another supplier."),
    # bank files and reports (suppliers, pos, inventory)
    "Unknown bank.": _("Unknown bank: choose it from the list on the supplier's page."),
    "Only digits.": _("Only digits."),
    "Not a name the bank's file can carry.": _(
        "The account holder's name is too long for this bank's file or has a comma, semicolon, quote or |."
    ),
    "Only letters and digits.": _("Only letters and digits."),
    "Must be from today to 31 days ahead.": _("Must be from today to 31 days ahead."),
    "The period is longer than 366 days.": _("The period is longer than 366 days."),
    "Unknown category.": _("This category does not exist or is no longer in use."),
    "Another category has this name.": _("Another category already has this name."),
    "2 to 5 capital letters.": _("2 to 5 capital letters."),
    "A supplier with this name is already registered.": _("A supplier with this name is already registered."),
    "Wrong CRC-16 in tag 63.": _("This is not a valid QRIS: its check code (CRC) does not match."),
    "An NPWP (15 or 16 digits).": _("The NPWP has 15 or 16 digits."),
    "Required when PPN-registered.": _("Required when the outlet is registered for PPN."),
    "1–8 capital letters or digits.": _("1 to 8 capital letters or digits."),
    "4–8 digits.": _("4 to 8 digits."),
    "3 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.": _(
        "3 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."
    ),
    "At least 6 characters.": _("At least 6 characters."),
    "Must not be only spaces.": _("Must not be only spaces."),
    "A supplier user needs the supplier id it belongs to.": _("Choose the supplier this login belongs to."),
    "Only supplier users belong to a supplier.": _("Only a supplier's login belongs to a supplier."),
    "Not a valid string.": _("This value is not valid."),
}
FIELD_PATTERNS = [
    (
        re.compile(r"^An account at this bank has \d+ digits\.$"),
        _("The account number does not have this bank's digits."),
    ),
    (re.compile(r"^(Longer than maximum length|Shorter than minimum length|Length must be)"), _("Wrong length.")),
    (re.compile(r"^Line \d+ is missing\.$"), _("A line of the delivery is missing.")),
    (re.compile(r"^Must be one of"), _("Choose a value from the list.")),
    (re.compile(r"^Must be between 0 and \d+ rupiah\.$"), _("Must be zero or more rupiah.")),
    (
        re.compile(r"^Must be (greater|less) than|^Must be between -?\d+ and -?\d+( rupiah)?\.$"),
        _("The number is out of range."),
    ),
    (re.compile(r"^At most -?\d+\.$|has only -?\d+ on hand"), _("More than is on hand.")),
    (re.compile(r"(?i)barcode|check digit|GTIN|EAN|UPC"), _("Not a valid barcode (EAN-13, EAN-8 or UPC-A).")),
]
UNKNOWN_FIELD_MESSAGE = _("This value is not valid.")


def sentence(problem: ServiceProblem) -> str:
    """The one sentence saying what went wrong."""
    if problem.code in SENTENCES:
        return str(SENTENCES[problem.code])
    if problem.status in (502, 503, 504):
        return str(SENTENCES["service_unreachable"])
    return str(STATUS_SENTENCES.get(problem.status, UNKNOWN_FAILURE))


def field_sentence(message: Any) -> str:
    text = str(message)
    if text in FIELD_SENTENCES:
        return str(FIELD_SENTENCES[text])
    for pattern, translated in FIELD_PATTERNS:
        if pattern.search(text):
            return str(translated)
    return str(UNKNOWN_FIELD_MESSAGE)


def field_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"lines": {"0": {"qty": ["..."]}}}`` → ``{"lines.0.qty": [sentence]}``; a list of messages at the top
    (a schema-level error) goes under ``""`` prefixed key ``_schema``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            flat.update(field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(errors, list) and all(isinstance(m, str) for m in errors):
        flat[prefix or "_schema"] = [field_sentence(m) for m in errors]
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            flat.update(field_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    elif errors is not None:
        flat[prefix or "_schema"] = [field_sentence(errors)]
    return flat
