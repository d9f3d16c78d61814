"""QRIS at the counter: a pending payment with a dynamic payload, confirmation by signed callback or cashier,
replay and signature checks, expiry, retry, switching method, voiding; ``sale.completed`` only when paid."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from services.pos import qris
from services.pos.models import Payment
from services.pos.qris_callbacks import qris_signature
from shared.db import utcnow
from tests.unit.test_pos_qris import parse_emv


def start_qris_sale(pos, register_id, amount=25_000):
    response = pos.sell(
        register_id, [{"barcode": "8991234500011", "qty": amount // 25_000}], [{"method": "qris", "amount": amount}]
    )
    assert response.status_code == 201, response.json
    return response.json


def callback(pos, body: dict, secret: str | None = None, nonce: str | None = None, timestamp: int | None = None):
    raw = json.dumps(body).encode()
    timestamp = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or uuid.uuid4().hex
    signature = qris_signature(secret or pos.settings.qris_callback_secret, timestamp, nonce, raw)
    return pos.client.post(
        "/qris/callback",
        data=raw,
        content_type="application/json",
        headers={"X-QRIS-Timestamp": timestamp, "X-QRIS-Nonce": nonce, "X-QRIS-Signature": signature},
    )


def test_a_qris_sale_waits_for_payment_with_a_dynamic_payload_and_no_event(pos):
    register_id = pos.ready()
    sale = start_qris_sale(pos, register_id, 50_000)
    assert sale["status"] == "pending_payment" and sale["receipt_no"] is None
    [payment] = sale["payments"]
    assert payment["status"] == "pending" and payment["expires_at"]
    fields = parse_emv(payment["qris_payload"])
    assert fields["01"] == "12" and fields["54"] == "50000" and fields["53"] == "360"
    assert pos.outbox("sale.completed") == []
    svg = pos.client.get(payment["qr_image_url"], headers=pos.cashier)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    png = pos.client.get(payment["qr_png_url"], headers=pos.cashier)
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_signed_provider_callback_completes_the_sale_and_publishes_it_once(pos):
    register_id = pos.ready()
    sale = start_qris_sale(pos, register_id)
    payment_id = sale["payments"][0]["id"]
    body = {"payment_id": payment_id, "amount": 25_000, "status": "paid", "provider_reference": "QR-778899"}
    nonce = uuid.uuid4().hex
    response = callback(pos, body, nonce=nonce)
    assert response.status_code == 200, response.json
    assert response.json["sale_status"] == "completed" and response.json["receipt_no"].endswith("-0001")
    replay = callback(pos, body, nonce=nonce)
    assert replay.status_code == 409 and replay.json["code"] == "replayed_callback"
    again_fresh_nonce = callback(pos, body)
    assert again_fresh_nonce.status_code == 200  # the provider repeating itself confirms nothing twice
    assert len({row.event_id for row in pos.outbox("sale.completed")}) == 1
    completed = pos.client.get(f"/sales/{sale['id']}", headers=pos.cashier).json  # as stored
    assert (completed["status"], completed["receipt_no"]) == ("completed", response.json["receipt_no"])
    [paid] = completed["payments"]
    assert (paid["status"], paid["reference"]) == ("confirmed", "QR-778899") and paid["confirmed_at"]


def test_the_callback_refuses_a_bad_signature_a_stale_timestamp_and_a_wrong_amount(pos):
    register_id = pos.ready()
    sale = start_qris_sale(pos, register_id)
    body = {"payment_id": sale["payments"][0]["id"], "amount": 25_000, "status": "paid"}
    forged = callback(pos, body, secret="not-the-secret")
    assert forged.status_code == 401 and forged.content_type == "application/problem+json"
    stale = callback(pos, body, timestamp=int(time.time()) - 3600)
    assert stale.status_code == 401
    tampered_raw = json.dumps({**body, "amount": 1}).encode()
    ts, nonce = str(int(time.time())), uuid.uuid4().hex
    tampered = pos.client.post(
        "/qris/callback",
        data=tampered_raw,
        content_type="application/json",
        headers={
            "X-QRIS-Timestamp": ts,
            "X-QRIS-Nonce": nonce,
            "X-QRIS-Signature": qris_signature(pos.settings.qris_callback_secret, ts, nonce, json.dumps(body).encode()),
        },
    )
    assert tampered.status_code == 401
    wrong_amount = callback(pos, {**body, "amount": 20_000})
    assert wrong_amount.status_code == 422
    assert pos.client.get(f"/sales/{sale['id']}", headers=pos.cashier).json["status"] == "pending_payment"
    assert pos.outbox("sale.completed") == []


def test_the_cashier_can_confirm_their_own_qris_payment_and_no_other_cashier_can(pos, token):
    register_id = pos.ready()
    sale = start_qris_sale(pos, register_id)
    confirm_url = f"/sales/{sale['id']}/payments/{sale['payments'][0]['id']}/confirm"
    other = pos.client.post(confirm_url, json={}, headers=token("cashier", user_id="kasir-2", name="Ani"))
    assert other.status_code == 404 and other.content_type == "application/problem+json"
    assert pos.client.get(f"/sales/{sale['id']}", headers=pos.cashier).json["status"] == "pending_payment"
    response = pos.client.post(
        f"/sales/{sale['id']}/payments/{sale['payments'][0]['id']}/confirm",
        json={"reference": "dilihat di aplikasi"},
        headers=pos.cashier,
    )
    assert response.status_code == 200 and response.json["status"] == "completed"
    assert response.json["receipt_no"] is not None
    assert len(pos.outbox("sale.completed")) == 2  # one row per subscriber


def expire(pos, payment_id):
    with pos.runtime.engine.begin() as conn:
        conn.execute(update(Payment).where(Payment.id == payment_id).values(expires_at=utcnow() - timedelta(seconds=1)))


def test_an_expired_qris_cannot_be_confirmed_and_can_be_retried_with_a_new_payload(pos):
    register_id = pos.ready()
    sale = start_qris_sale(pos, register_id)
    old = sale["payments"][0]
    expire(pos, old["id"])
    assert pos.client.get(f"/sales/{sale['id']}", headers=pos.cashier).json["payments"][0]["status"] == "expired"
    late = pos.client.post(f"/sales/{sale['id']}/payments/{old['id']}/confirm", json={}, headers=pos.cashier)
    assert late.status_code == 409 and late.json["code"] == "payment_expired"
    retried = pos.client.post(f"/sales/{sale['id']}/payments/{old['id']}/retry", headers=pos.cashier)
    assert retried.status_code == 200, retried.json
    statuses = [(p["status"], p["method"]) for p in retried.json["payments"]]
    assert statuses == [("expired", "qris"), ("pending", "qris")]
    new = retried.json["payments"][1]
    assert new["qris_payload"] != old["qris_payload"] and qris.has_valid_crc(new["qris_payload"])
    done = pos.client.post(f"/sales/{sale['id']}/payments/{new['id']}/confirm", json={}, headers=pos.cashier)
    assert done.json["status"] == "completed"


def test_a_pending_qris_can_be_switched_to_cash_with_change(pos):
    register_id = pos.ready()
    sale = pos.sell(
        register_id,
        [{"barcode": "8991234500011", "qty": 2}],
        [{"method": "card", "amount": 20_000, "approval_code": "C1"}, {"method": "qris", "amount": 30_000}],
    ).json
    qris_payment = sale["payments"][1]
    switched = pos.client.post(
        f"/sales/{sale['id']}/payments/{qris_payment['id']}/switch",
        json={"method": "cash", "tendered": 50_000},
        headers=pos.cashier,
    )
    assert switched.status_code == 200, switched.json
    assert switched.json["status"] == "completed" and switched.json["change"] == 20_000
    confirmed = [(p["method"], p["amount"]) for p in switched.json["payments"] if p["status"] == "confirmed"]
    assert confirmed == [("card", 20_000), ("cash", 30_000)]
    stored = pos.client.get(f"/sales/{sale['id']}", headers=pos.cashier).json
    assert (stored["status"], stored["receipt_no"]) == ("completed", switched.json["receipt_no"])
    bad = pos.client.post(
        f"/sales/{sale['id']}/payments/{qris_payment['id']}/switch", json={"method": "cash"}, headers=pos.cashier
    )
    assert bad.status_code == 409


def test_voiding_a_sale_in_progress_records_nothing_as_sold(pos):
    register_id = pos.ready()
    sale = start_qris_sale(pos, register_id)
    voided = pos.client.post(f"/sales/{sale['id']}/void", json={"reason": "pembeli batal"}, headers=pos.cashier)
    assert voided.status_code == 200 and voided.json["status"] == "voided"
    assert voided.json["payments"][0]["status"] == "cancelled"
    late = callback(pos, {"payment_id": sale["payments"][0]["id"], "amount": 25_000, "status": "paid"})
    assert late.status_code == 409
    assert pos.outbox("sale.completed") == []
    completed = pos.cash_sale(register_id)
    assert (
        pos.client.post(f"/sales/{completed['id']}/void", json={"reason": "x"}, headers=pos.cashier).status_code == 409
    )
    audit = pos.client.get("/audit", headers=pos.manager).json
    assert [e["action"] for e in audit] == ["sale.voided"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-QRIS-Signature": "é" * 64},
        {"X-QRIS-Timestamp": "9" * 5000},
        {"X-QRIS-Timestamp": "１７００００００００"},
        {"X-QRIS-Nonce": "ñ" * 16},
        {"X-QRIS-Nonce": ""},
    ],
    ids=["non-ascii-signature", "huge-timestamp", "fullwidth-digits", "non-ascii-nonce", "no-nonce"],
)
def test_a_malformed_callback_header_is_refused_as_unauthorized_not_a_server_error(pos, headers):
    register_id = pos.ready()
    sale = start_qris_sale(pos, register_id)
    raw = json.dumps({"payment_id": sale["payments"][0]["id"], "amount": 25_000, "status": "paid"}).encode()
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    sent = {
        "X-QRIS-Timestamp": timestamp,
        "X-QRIS-Nonce": nonce,
        "X-QRIS-Signature": qris_signature(pos.settings.qris_callback_secret, timestamp, nonce, raw),
        **headers,
    }
    refused = pos.client.post("/qris/callback", data=raw, content_type="application/json", headers=sent)
    assert refused.status_code == 401 and refused.json["code"] == "bad_signature"
    assert pos.client.get(f"/sales/{sale['id']}", headers=pos.cashier).json["status"] == "pending_payment"
