"""Words for the values the services store in English (statuses, kinds, roles, schedules), and the
list of Indonesian banks a supplier's account can be at. A page never shows the stored word itself."""

from __future__ import annotations

from flask_babel import lazy_gettext as _

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
    "inactive": "off",
    "retried": "ok",
}

#: Banks (and the sharia banks UMKM use) with their Bank Indonesia clearing codes, for the supplier form.
BANKS = [
    ("002", "BRI"),
    ("008", "Bank Mandiri"),
    ("009", "BNI"),
    ("011", "Bank Danamon"),
    ("013", "Bank Permata"),
    ("014", "BCA"),
    ("016", "Maybank Indonesia"),
    ("019", "Panin Bank"),
    ("022", "CIMB Niaga"),
    ("028", "OCBC Indonesia"),
    ("110", "bank bjb"),
    ("111", "Bank DKI"),
    ("200", "BTN"),
    ("213", "Bank SMBC Indonesia"),
    ("451", "BSI (Bank Syariah Indonesia)"),
    ("490", "Bank Neo Commerce"),
    ("501", "Blu by BCA Digital"),
    ("535", "SeaBank"),
    ("542", "Bank Jago"),
]
BANK_NAMES = {name for _code, name in BANKS}


def word(value: object, group: str) -> str:
    """The words for a stored value (the value itself only if the group does not know it)."""
    known = WORDS.get(group, {})
    return str(known[value]) if value in known else ("–" if value in (None, "") else str(value))


def bank_label(code: str, name: str) -> str:
    return f"{name} ({code})"
