"""The POS service's problem ``code``s (the ``code`` member of a problem+json answer): clients and the gateway
tell refusals apart by them, so their strings never change."""

from __future__ import annotations

from services.pos.models import PaymentStatus, SaleStatus

# -- registers and shifts --
REGISTER_CODE_TAKEN = "register_code_taken"
SHIFT_ALREADY_OPEN = "shift_already_open"
SHIFT_CLOSED = "shift_closed"
SHIFT_OPEN = "shift_open"
SALES_PENDING = "sales_pending"
NO_OPEN_SHIFT = "no_open_shift"

# -- checkout and payments --
SALE_ID_TAKEN = "sale_id_taken"
UNKNOWN_OR_UNSELLABLE_PRODUCT = "unknown_or_unsellable_product"
PRICE_NOT_CURRENT = "price_not_current"
PAYMENTS_DO_NOT_MATCH_TOTAL = "payments_do_not_match_total"
PAYMENT_EXPIRED = "payment_expired"
NOT_QRIS = "not_qris"
#: ``sale_<status>``: the action needs the sale in another status (e.g. refunding a sale still in progress).
#: Keyed by ``str`` because callers look up the status string a row holds (a StrEnum member equals its value).
SALE_IN_STATUS: dict[str, str] = {status: f"sale_{status}" for status in SaleStatus}
#: ``payment_<status>``: the action needs a pending payment.
PAYMENT_IN_STATUS: dict[str, str] = {status: f"payment_{status}" for status in PaymentStatus}

# -- QRIS provider callback --
BAD_SIGNATURE = "bad_signature"
STALE_CALLBACK = "stale_callback"
REPLAYED_CALLBACK = "replayed_callback"

# -- refunds --
REFUND_EXCEEDS_SALE = "refund_exceeds_sale"

# -- manager approval --
APPROVAL_REQUIRED = "approval_required"
APPROVAL_INVALID = "approval_invalid"
APPROVAL_LOCKED = "approval_locked"
APPROVER_NAME_TAKEN = "approver_name_taken"

# -- Idempotency-Key --
IDEMPOTENCY_KEY_MISSING = "idempotency_key_missing"
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
IDEMPOTENCY_IN_FLIGHT = "idempotency_in_flight"

# -- network printer --
NO_PRINTER = "no_printer"
PRINTER_UNREACHABLE = "printer_unreachable"
PRINTER_TIMEOUT = "printer_timeout"
