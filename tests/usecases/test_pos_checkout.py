"""POS checkout called directly with a database session (the register and shift are set up by the counter
fixture): prices from the catalogue replica, change, the sale.completed event in the same transaction, a
replayed client sale id, and a refusal that writes nothing."""

from __future__ import annotations

import json

import pytest

from services.pos import checkout, idempotency, outlets
from shared.auth import Principal
from shared.errors import Conflict, DomainError, NotFound
from shared.events import contract, load_event

CASHIER = Principal(user_id="kasir-1", name="Siti", role="cashier")


def _cash_sale(register_id: str, **extra) -> dict:
    return {
        "register_id": register_id,
        "lines": [{"barcode": "8991234500011", "qty": 2}, {"barcode": "8991234500028", "qty": 1}],
        "payments": [{"method": "cash", "amount": 65_000, "tendered": 100_000}],
        **extra,
    }


def test_checkout_prices_from_the_catalogue_and_records_its_event_in_the_same_transaction(pos):
    register_id = pos.ready()
    with pos.runtime.transaction() as session:
        view, created = checkout.checkout(session, pos.settings, CASHIER, _cash_sale(register_id))
    assert created is True
    assert (view["status"], view["total"], view["change"]) == ("completed", 65_000, 35_000)
    rows = pos.outbox("sale.completed")
    assert sorted(row.queue for row in rows) == ["inventory", "suppliers"]  # one row per consumer
    assert all(view["id"] in row.envelope for row in rows)


def test_a_replayed_client_sale_id_returns_the_recorded_sale_and_emits_nothing_more(pos):
    register_id = pos.ready()
    body = _cash_sale(register_id, sale_id="5b0e4c8a-1111-4222-8333-944455550001")
    with pos.runtime.transaction() as session:
        first, _ = checkout.checkout(session, pos.settings, CASHIER, body)
    with pos.runtime.transaction() as session:
        again, created = checkout.checkout(session, pos.settings, CASHIER, body)
    assert created is False and again["id"] == first["id"] and again["receipt_no"] == first["receipt_no"]
    assert len(pos.outbox("sale.completed")) == 2  # still the first sale's row for each consumer


def test_checkout_without_the_cashiers_open_shift_is_refused_and_writes_nothing(pos):
    register_id = pos.register("R02")
    before = pos.row_counts()
    with pytest.raises(Conflict) as refused, pos.runtime.transaction() as session:
        checkout.checkout(session, pos.settings, CASHIER, _cash_sale(register_id))
    assert refused.value.code == "no_open_shift"
    assert pos.row_counts() == before


def test_the_sale_completed_event_written_at_checkout_keeps_its_contract(pos):
    """Checkout writes ``sale.completed`` without validating it on every sale: held to the contract here."""
    register_id = pos.ready()
    body = _cash_sale(
        register_id, discount=5_000, payments=[{"method": "card", "amount": 60_000, "approval_code": "123456"}]
    )
    with pos.runtime.transaction() as session:
        view, _ = checkout.checkout(session, pos.settings, CASHIER, body)
    [text] = {row.envelope for row in pos.outbox("sale.completed")}  # the same envelope for both consumers
    envelope = json.loads(text)
    spec = contract("sale.completed")
    spec.producer_schema.load(envelope["payload"])  # strict: unknown or missing fields raise
    meta, payload = load_event(envelope)
    assert (meta["type"], meta["source"], meta["version"]) == ("sale.completed", "pos", spec.version)
    assert str(payload["sale_id"]) == view["id"] and payload["receipt_no"] == view["receipt_no"]
    assert [line["line_total"] for line in payload["lines"]] == [line["line_total"] for line in view["lines"]]
    assert sum(line["discount"] for line in payload["lines"]) == view["discount_total"] == 5_000


def test_a_sale_id_recorded_before_is_answered_even_after_its_shift_closed(pos):
    """Checkout reads the open shift and the recorded sale together; with no open shift left to read, a
    replayed ``sale_id`` still gets the sale it recorded (a counter resending after the shift was closed)."""
    register_id = pos.register("R03")
    shift_id = pos.open_shift(register_id)
    body = _cash_sale(register_id, sale_id="5b0e4c8a-1111-4222-8333-944455550002")
    with pos.runtime.transaction() as session:
        first, _ = checkout.checkout(session, pos.settings, CASHIER, body)
    closed = pos.client.post(f"/shifts/{shift_id}/close", json={"counted_cash": 565_000}, headers=pos.cashier)
    assert closed.status_code == 200, closed.json
    with pos.runtime.transaction() as session:
        again, created = checkout.checkout(session, pos.settings, CASHIER, body)
    assert created is False and again == first


def test_a_sale_id_of_another_cashiers_sale_is_refused(pos):
    register_id = pos.ready()
    body = _cash_sale(register_id, sale_id="5b0e4c8a-1111-4222-8333-944455550003")
    with pos.runtime.transaction() as session:
        checkout.checkout(session, pos.settings, CASHIER, body)
    other = Principal(user_id="kasir-2", name="Dewi", role="cashier")
    with pytest.raises(Conflict) as refused, pos.runtime.transaction() as session:
        checkout.checkout(session, pos.settings, other, body)
    assert refused.value.code == "sale_id_taken"


def test_lines_by_barcode_and_by_product_id_are_priced_and_unknown_ones_refused(pos):
    register_id = pos.ready()
    batik = pos.product("8991234500035", 350_000, "Batik Tulis Bekasi")
    mixed = _cash_sale(
        register_id,
        lines=[{"barcode": "8991234500011", "qty": 1}, {"product_id": batik, "qty": 1}],
        payments=[{"method": "cash", "amount": 375_000}],
    )
    with pos.runtime.transaction() as session:
        view, _ = checkout.checkout(session, pos.settings, CASHIER, mixed)
    assert [(line["name"], line["line_total"]) for line in view["lines"]] == [
        ("Dodol Betawi Ibu Sari 250 g", 25_000),
        ("Batik Tulis Bekasi", 350_000),
    ]
    unknown = _cash_sale(register_id, lines=[{"product_id": "5b0e4c8a-1111-4222-8333-94445555ffff", "qty": 1}])
    before = pos.row_counts()
    with pytest.raises(DomainError) as refused, pos.runtime.transaction() as session:
        checkout.checkout(session, pos.settings, CASHIER, unknown)
    assert refused.value.code == "unknown_or_unsellable_product"
    assert refused.value.errors == {"lines": {0: {"product_id": ["Unknown product."]}}}
    assert pos.row_counts() == before


def test_an_outlet_never_saved_is_checked_out_under_the_demo_defaults():
    defaults = outlets.default_settings("outlet-1")
    assert checkout._DEFAULT_RULES == checkout.OutletRules(
        defaults.ppn_registered,
        defaults.discount_approval_limit,
        defaults.static_qris_payload,
        defaults.qris_expiry_minutes,
    )


def test_checkout_under_a_key_stores_the_response_it_answers_and_a_replay_gets_it(pos):
    """On PostgreSQL the sale's write statement writes the key's record with the response; on SQLite
    ``run_once`` stores it after. Either way the record holds the text answered, and a replay answers it."""
    register_id = pos.ready()
    body = _cash_sale(register_id)

    def use_case(session, claim):
        view, created = checkout.checkout(session, pos.settings, CASHIER, body, claim)
        stored_by_the_write = claim.response is not None
        assert stored_by_the_write == (pos.runtime.engine.dialect.name == "postgresql")
        return claim.response or idempotency.StoredResponse(201 if created else 200, json.dumps(view))

    first = idempotency.run_once(pos.runtime.session_factory, "sale", "key-1", "hash-1", use_case)
    again = idempotency.run_once(pos.runtime.session_factory, "sale", "key-1", "hash-1", use_case)
    assert again == first and first.status == 201 and json.loads(first.body)["status"] == "completed"
    with pos.runtime.session_factory() as session:
        record = idempotency.held_record(session, "sale", "key-1")
        assert (record.request_hash, record.response_status, record.response_body) == ("hash-1", 201, first.body)
    assert len(pos.outbox("sale.completed")) == 2  # one sale


def test_a_confirmed_qris_completes_the_sale_once_and_what_it_answers_is_what_was_written(pos):
    """The confirmation reads and changes the sale with Core statements: the sale it answers is the sale read
    back afterwards, completed with the register's next receipt number and one ``sale.completed`` per consumer;
    confirming again changes nothing."""
    register_id = pos.ready()
    with pos.runtime.transaction() as session:
        cash, _ = checkout.checkout(session, pos.settings, CASHIER, _cash_sale(register_id))
        pending, _ = checkout.checkout(
            session, pos.settings, CASHIER, _cash_sale(register_id, payments=[{"method": "qris", "amount": 65_000}])
        )
    assert (pending["status"], pending["receipt_no"]) == ("pending_payment", None)
    [payment] = pending["payments"]
    for _ in range(2):
        with pos.runtime.transaction() as session:
            confirmed = checkout.sale_view(
                checkout.confirm_payment(session, pending["id"], payment["id"], CASHIER.user_id, cashier=CASHIER)
            )
    with pos.runtime.session_factory() as session:
        assert checkout.sale_view(checkout.load_sale(session, pending["id"])) == confirmed
    assert confirmed["status"] == "completed" and confirmed["payments"][0]["status"] == "confirmed"
    assert (cash["receipt_no"][-5:], confirmed["receipt_no"]) == ("-0001", cash["receipt_no"][:-4] + "0002")
    completed = [json.loads(row.envelope)["payload"]["sale_id"] for row in pos.outbox("sale.completed")]
    assert sorted(completed) == sorted([cash["id"], pending["id"]] * 2)


def test_another_cashiers_sale_cannot_be_confirmed_and_nothing_changes(pos):
    register_id = pos.ready()
    with pos.runtime.transaction() as session:
        pending, _ = checkout.checkout(
            session, pos.settings, CASHIER, _cash_sale(register_id, payments=[{"method": "qris", "amount": 65_000}])
        )
    before = pos.row_counts()
    other = Principal(user_id="kasir-2", name="Budi", role="cashier")
    with pytest.raises(NotFound), pos.runtime.transaction() as session:
        checkout.confirm_payment(session, pending["id"], pending["payments"][0]["id"], "kasir-2", cashier=other)
    with pos.runtime.session_factory() as session:
        assert checkout.sale_view(checkout.load_sale(session, pending["id"]))["status"] == "pending_payment"
    assert pos.row_counts() == before
