"""Words for the values the services store in English (statuses, kinds, roles, schedules), and the
list of Indonesian banks a supplier's account can be at. A page never shows the stored word itself."""

from __future__ import annotations

from flask_babel import lazy_gettext as _

from shared import banks

#: ``{group: {stored value: words}}``; the status badge partial and the ``word`` filter read it.
WORDS = {
    "supplier_status": {"active": _("Active"), "suspended": _("Suspended"), "ended": _("Ended")},
    "agreement_type": {"commission": _("Commission"), "fixed_price": _("Fixed supplier prices")},
    "payout_schedule": {"weekly": _("Weekly"), "biweekly": _("Every two weeks"), "monthly": _("Monthly")},
    "shrinkage_borne_by": {"centre": _("The centre"), "supplier": _("The supplier")},
    "run_status": {"draft": _("Draft"), "approved": _("Approved")},
    "line_status": {
        "proposed": _("Proposed"),
        "approved": _("Approved"),
        "held": _("Held"),
        "excluded": _("Excluded"),
        "paid": _("Paid"),
        "failed": _("Failed"),
    },
    "unit": {"pcs": _("piece"), "pack": _("pack"), "kg": _("kg")},
    "role": {"cashier": _("Cashier"), "supplier": _("Supplier"), "manager": _("Manager"), "admin": _("Admin")},
    "user_status": {"active": _("Active"), "inactive": _("Deactivated")},
    "audit_action": {
        "login.succeeded": _("Logged in"),
        "login.failed": _("Failed log-in"),
        "login.locked": _("Log-in locked after failed attempts"),
        "login.refused_inactive": _("Log-in of a deactivated account refused"),
        "logout": _("Logged out"),
        "user.created": _("User created"),
        "user.changed": _("User changed"),
        "user.upserted": _("User set up from the command line"),
        "sale.discount_approved": _("Discount approved"),
        "sale.voided": _("Sale voided"),
        "sale.refunded": _("Refund"),
        "approval.failed": _("Wrong manager PIN"),
    },
    "service": {"inventory": _("Stock"), "pos": _("Counter"), "suppliers": _("Suppliers and payouts")},
    "event_type": {
        "supplier.registered": _("Supplier registered"),
        "supplier.updated": _("Supplier changed"),
        "product.upserted": _("Product saved"),
        "sale.completed": _("Sale completed"),
        "sale.refunded": _("Sale refunded"),
        "stock.moved": _("Stock moved"),
        "stock.alert_raised": _("Stock alert"),
        "lot.received": _("Lot received"),
        "payout.paid": _("Payout paid"),
        "reconciliation.requested": _("Reconciliation requested"),
    },
    "dead_letter_status": {"open": _("Waiting"), "retried": _("Sent again")},
    "alert_kind": {
        "low_stock": _("Low stock"),
        "near_expiry": _("Near expiry"),
        "consignment_ended": _("Consignment ended"),
        "negative_on_hand": _("Sold below zero"),
    },
    "write_off_reason": {"damaged": _("Damaged"), "expired": _("Expired"), "lost": _("Lost")},
    "count_status": {"open": _("Open"), "approved": _("Approved"), "cancelled": _("Cancelled")},
    "delivery_status": {"announced": _("Announced"), "received": _("Received"), "cancelled": _("Cancelled")},
    # money side: reconciliation, ledger, reports
    "reconciliation_status": {"queued": _("Waiting"), "done": _("Finished"), "failed": _("Failed")},
    "finding": {"missing": _("Missing"), "duplicated": _("Recorded twice"), "mismatched": _("Different")},
    "record_kind": {"sale": _("Sale"), "refund": _("Refund"), "movement": _("Stock movement")},
    "source": {"pos": _("Till (POS)"), "inventory": _("Stock"), "ledger": _("Ledger")},
    "mismatch_field": {"amount": _("amount"), "qty": _("quantity")},
    "sale_status": {"pending_payment": _("Waiting for payment"), "completed": _("Completed"), "voided": _("Voided")},
    "payment_method": {
        "cash": _("Cash"),
        "qris": _("QRIS"),
        "card": _("Card"),
        "ewallet": _("E-wallet"),
        "transfer": _("Bank transfer"),
    },
    "movement_kind": {
        "intake": _("Intake"),
        "sale": _("Sale"),
        "refund": _("Refund back to stock"),
        "return_to_supplier": _("Return to supplier"),
        "count_adjustment": _("Count adjustment"),
        "write_off": _("Write-off"),
    },
    "ledger_account": {
        "sales_clearing": _("Money taken at the tills"),
        "commission_revenue": _("Centre's commission"),
        "shrinkage_expense": _("Losses the centre bears"),
        "bank": _("Bank"),
        "supplier_payable": _("Owed to the supplier"),
    },
    "granularity": {"day": _("Day"), "week": _("Week"), "month": _("Month")},
    "return_reason": {
        "expired": _("Expired"),
        "near_expiry": _("Near expiry"),
        "consignment_ended": _("Consignment period over"),
        "slow_mover": _("Not selling"),
    },
}

#: The tone of a status badge (a CSS class) by stored value.
TONES = {
    "active": "ok",
    "approved": "ok",
    "paid": "ok",
    "suspended": "warn",
    "draft": "warn",
    "proposed": "warn",
    "held": "warn",
    "ended": "off",
    "excluded": "off",
    "failed": "bad",
    "open": "warn",
    "cancelled": "off",
    "queued": "warn",
    "done": "ok",
    "inactive": "off",
    "retried": "ok",
    "announced": "warn",
    "received": "ok",
}

#: Banks (and the sharia banks UMKM use) with their Bank Indonesia clearing codes, for the supplier form.
BANKS = banks.BANKS
BANK_NAMES = {name for _code, name in BANKS}


def word(value: object, group: str) -> str:
    """The words for a stored value (the value itself only if the group does not know it)."""
    known = WORDS.get(group, {})
    return str(known[value]) if value in known else ("–" if value in (None, "") else str(value))


def bank_label(code: str, name: str) -> str:
    return f"{name} ({code})"
