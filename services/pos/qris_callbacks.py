"""Use case: the QRIS provider's signed payment callback.

The provider signs ``"<timestamp>.<nonce>." + body`` with the shared secret (HMAC-SHA256, hex, in
``X-QRIS-Signature``). A callback is authenticated before its body is even read (:func:`authenticate`), then
applied once (:func:`apply_callback`): its nonce is remembered, so a replay is refused, and a ``paid`` status
confirms the pending payment, which completes the sale when nothing else is pending.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from enum import StrEnum

from sqlalchemy.orm import Session

from services.pos import checkout
from services.pos.errors import BAD_SIGNATURE, REPLAYED_CALLBACK, STALE_CALLBACK
from services.pos.models import Payment, PaymentStatus, QrisCallbackNonce
from shared.auth import Unauthorized
from shared.db import get_or_404, utcnow
from shared.errors import Conflict

#: A provider callback older (or newer) than this is refused; its nonce is remembered for longer than that.
CALLBACK_TOLERANCE_SECONDS = 300
#: Hex digits of an HMAC-SHA256.
SIGNATURE_LENGTH = 64
#: Who confirmed a payment the provider reported paid.
PROVIDER = "qris-provider"


class CallbackStatus(StrEnum):
    """What the provider says happened to the payment."""

    PAID = "paid"
    FAILED = "failed"


def qris_signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Hex HMAC-SHA256 over ``"<timestamp>.<nonce>." + body`` (what the provider sends in X-QRIS-Signature)."""
    return hmac.new(secret.encode(), f"{timestamp}.{nonce}.".encode() + body, hashlib.sha256).hexdigest()


def authenticate(
    secret: str, timestamp: str, nonce: str, signature: str, body: bytes, now: float | None = None
) -> None:
    """Refuse (401) a callback whose signature does not hold, whose nonce is not 8–128 printable ASCII
    characters, whose timestamp is not Unix seconds (at most 12 ASCII digits), or whose timestamp is more than
    :data:`CALLBACK_TOLERANCE_SECONDS` away from ``now``. Headers of any other shape are refused the same way."""
    well_formed = (
        _ascii_digits(timestamp, max_length=12)
        and 8 <= len(nonce) <= 128
        and nonce.isascii()
        and nonce.isprintable()
        and signature.isascii()
        and len(signature) == SIGNATURE_LENGTH
    )
    if not well_formed or not hmac.compare_digest(qris_signature(secret, timestamp, nonce, body), signature):
        raise Unauthorized("The callback signature is not valid.", code=BAD_SIGNATURE)
    if abs((time.time() if now is None else now) - int(timestamp)) > CALLBACK_TOLERANCE_SECONDS:
        raise Unauthorized("The callback is too old or from the future.", code=STALE_CALLBACK)


def _ascii_digits(text: str, max_length: int) -> bool:
    return 0 < len(text) <= max_length and text.isascii() and text.isdigit()


def apply_callback(session: Session, nonce: str, data: dict) -> dict:
    """Apply an authenticated callback once: ``{payment_id, status}``, and for a paid one the confirmed sale's
    ``sale_status`` and ``receipt_no``. A nonce seen before is a replay (409); an unknown payment is 404; a
    paid amount other than the payment's is refused by :func:`checkout.confirm_payment` (422)."""
    if session.get(QrisCallbackNonce, nonce) is not None:
        raise Conflict("This callback was received before (replay).", code=REPLAYED_CALLBACK)
    session.add(QrisCallbackNonce(nonce=nonce, received_at=utcnow()))
    session.flush()
    payment = get_or_404(session, Payment, data["payment_id"], what="payment")
    if data["status"] != CallbackStatus.PAID:
        return {"payment_id": payment.id, "status": payment.status}
    sale = checkout.confirm_payment(
        session,
        payment.sale_id,
        payment.id,
        PROVIDER,
        amount=data["amount"],
        reference=data["provider_reference"],
    )
    return {
        "payment_id": payment.id,
        "status": PaymentStatus.CONFIRMED,
        "sale_status": sale.status,
        "receipt_no": sale.receipt_no,
    }
