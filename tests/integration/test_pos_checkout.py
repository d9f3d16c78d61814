"""Checkout: prices from the replica, discounts and approval, PPN, split payments, and bad input refused."""

from __future__ import annotations

import json

import pytest

from tests.pos_support import SUPPLIER_DODOL


def test_a_cash_sale_is_priced_from_the_catalogue_and_gets_change_and_a_receipt_number(pos):
    register_id = pos.ready("R01")
    response = pos.sell(
        register_id,
        [{"barcode": "8991234500011", "qty": 2}, {"barcode": "8991234500028", "qty": 1}],
        [{"method": "cash", "amount": 65_000, "tendered": 100_000}],
    )
    assert response.status_code == 201, response.json
    sale = response.json
    assert sale["status"] == "completed"
    assert sale["subtotal"] == 65_000 and sale["total"] == 65_000 and sale["discount_total"] == 0
    assert sale["change"] == 35_000
    assert sale["tax"] is None
    assert sale["receipt_no"].startswith("R01-") and sale["receipt_no"].endswith("-0001")
    assert [line["line_total"] for line in sale["lines"]] == [50_000, 15_000]
    [event] = {row.event_id: row for row in pos.outbox("sale.completed")}.values()
    payload = json.loads(event.envelope)["payload"]
    assert payload["receipt_no"] == sale["receipt_no"] and payload["total"] == 65_000
    assert sorted(row.queue for row in pos.outbox("sale.completed")) == ["inventory", "suppliers"]


def test_split_payment_over_card_and_cash_must_add_up_exactly(pos):
    register_id = pos.ready()
    response = pos.sell(
        register_id,
        [{"barcode": "8991234500035", "qty": 1}],
        [
            {"method": "card", "amount": 300_000, "approval_code": "EDC123"},
            {"method": "cash", "amount": 50_000, "tendered": 50_000},
        ],
    )
    assert response.status_code == 201, response.json
    assert [(p["method"], p["amount"], p["status"]) for p in response.json["payments"]] == [
        ("card", 300_000, "confirmed"),
        ("cash", 50_000, "confirmed"),
    ]


def test_line_and_sale_discounts_are_spread_exactly_over_the_lines(pos):
    register_id = pos.ready()
    response = pos.sell(
        register_id,
        [{"barcode": "8991234500011", "qty": 1, "discount": 5_000}, {"barcode": "8991234500028", "qty": 2}],
        [{"method": "ewallet", "amount": 40_000, "reference": "OVO-1"}],
        discount=10_000,
    )
    assert response.status_code == 201, response.json
    sale = response.json
    assert sale["subtotal"] == 55_000 and sale["discount_total"] == 15_000 and sale["total"] == 40_000
    assert sum(line["line_total"] for line in sale["lines"]) == sale["total"]


def test_a_discount_above_the_limit_needs_a_manager_and_is_audited(pos, token):
    register_id = pos.ready()
    lines = [{"barcode": "8991234500035", "qty": 1, "discount": 100_000}]
    payments = [{"method": "cash", "amount": 250_000}]
    refused = pos.sell(register_id, lines, payments)
    assert refused.status_code == 403 and refused.json["code"] == "approval_required"
    wrong = pos.sell(
        register_id, lines, payments, approval={"approval_token": token("cashier").get("Authorization")[7:]}
    )
    assert wrong.status_code == 403
    login_token = pos.manager["Authorization"][7:]
    as_login = pos.sell(register_id, lines, payments, approval={"approval_token": login_token})
    assert as_login.status_code == 403  # a login token is not an approval
    for_refunds = pos.sell(register_id, lines, payments, approval={"approval_token": pos.grant("refund")})
    assert for_refunds.status_code == 403  # nor is a grant for another purpose
    approved = pos.sell(register_id, lines, payments, approval={"approval_token": pos.grant("discount")})
    assert approved.status_code == 201, approved.json
    assert approved.json["approved_by"] == "manajer-1"
    audit = pos.client.get("/audit", headers=pos.manager).json
    assert audit[0]["action"] == "sale.discount_approved" and audit[0]["approver_id"] == "manajer-1"
    assert audit[0]["actor_id"] == "kasir-1"


def test_a_manager_pin_approves_a_large_discount(pos):
    register_id = pos.ready()
    assert pos.client.put("/approvers/me", json={"pin": "2468"}, headers=pos.manager).status_code == 200
    lines = [{"barcode": "8991234500035", "qty": 1, "discount": 100_000}]
    payments = [{"method": "cash", "amount": 250_000}]
    assert pos.sell(register_id, lines, payments, approval={"username": "Budi", "pin": "0000"}).status_code == 403
    ok = pos.sell(register_id, lines, payments, approval={"username": "Budi", "pin": "2468"})
    assert ok.status_code == 201 and ok.json["approved_by"] == "manajer-1"


def test_a_ppn_registered_outlet_shows_tax_base_and_ppn_inside_the_price(pos):
    outlet = pos.settings.outlet_id
    response = pos.client.put(
        f"/outlets/{outlet}/settings", json={"ppn_registered": True, "npwp": "0123456789012345"}, headers=pos.manager
    )
    assert response.status_code == 200, response.json
    register_id = pos.ready()
    sale = pos.sell(register_id, [{"barcode": "8991234500011", "qty": 4}], [{"method": "cash", "amount": 100_000}]).json
    assert sale["tax"] == {"tax_base": 82_583, "ppn": 9_910}
    assert sale["total"] == 100_000


def test_outlet_settings_have_demo_defaults_and_reject_floats(pos):
    outlet = pos.settings.outlet_id
    defaults = pos.client.get(f"/outlets/{outlet}/settings", headers=pos.manager).json
    assert defaults["ppn_registered"] is False and defaults["qris_expiry_minutes"] == 10
    assert defaults["static_qris_payload"].startswith("000201010211")
    bad = pos.client.put(f"/outlets/{outlet}/settings", json={"discount_approval_limit": 10.5}, headers=pos.manager)
    assert bad.status_code == 422 and "discount_approval_limit" in bad.json["errors"]
    assert pos.client.get(f"/outlets/{outlet}/settings", headers=pos.cashier).status_code == 403


def test_products_of_a_suspended_supplier_or_inactive_are_not_sellable(pos):
    register_id = pos.ready()
    pos.deliver("supplier.updated", {"supplier_id": SUPPLIER_DODOL, "name": "Dodol Ibu Sari", "status": "suspended"})
    lookup = pos.client.get("/catalogue/barcode/8991234500011", headers=pos.cashier).json
    assert lookup["sellable"] is False
    response = pos.sell(register_id, [{"barcode": "8991234500011", "qty": 1}], [{"method": "cash", "amount": 25_000}])
    assert response.status_code == 422 and response.json["code"] == "unknown_or_unsellable_product"


BAD_SALES = {
    "empty cart": ({"lines": [], "payments": [{"method": "cash", "amount": 1}]}, 422),
    "zero qty": (
        {"lines": [{"barcode": "8991234500011", "qty": 0}], "payments": [{"method": "cash", "amount": 25_000}]},
        422,
    ),
    "negative qty": (
        {"lines": [{"barcode": "8991234500011", "qty": -1}], "payments": [{"method": "cash", "amount": 25_000}]},
        422,
    ),
    "float qty": (
        {"lines": [{"barcode": "8991234500011", "qty": 1.0}], "payments": [{"method": "cash", "amount": 25_000}]},
        422,
    ),
    "unknown barcode": (
        {"lines": [{"barcode": "0000000000000", "qty": 1}], "payments": [{"method": "cash", "amount": 25_000}]},
        422,
    ),
    "payments short": (
        {"lines": [{"barcode": "8991234500011", "qty": 1}], "payments": [{"method": "cash", "amount": 20_000}]},
        422,
    ),
    "payments over": (
        {
            "lines": [{"barcode": "8991234500011", "qty": 1}],
            "payments": [
                {"method": "cash", "amount": 20_000},
                {"method": "card", "amount": 10_000, "approval_code": "A1"},
            ],
        },
        422,
    ),
    "float money": (
        {"lines": [{"barcode": "8991234500011", "qty": 1}], "payments": [{"method": "cash", "amount": 25000.0}]},
        422,
    ),
    "string money": (
        {"lines": [{"barcode": "8991234500011", "qty": 1}], "payments": [{"method": "cash", "amount": "25000"}]},
        422,
    ),
    "float discount": (
        {
            "lines": [{"barcode": "8991234500011", "qty": 1, "discount": 0.5}],
            "payments": [{"method": "cash", "amount": 25_000}],
        },
        422,
    ),
    "tendered below amount": (
        {
            "lines": [{"barcode": "8991234500011", "qty": 1}],
            "payments": [{"method": "cash", "amount": 25_000, "tendered": 20_000}],
        },
        422,
    ),
    "card without approval code": (
        {"lines": [{"barcode": "8991234500011", "qty": 1}], "payments": [{"method": "card", "amount": 25_000}]},
        422,
    ),
    "unknown method": (
        {"lines": [{"barcode": "8991234500011", "qty": 1}], "payments": [{"method": "bitcoin", "amount": 25_000}]},
        422,
    ),
    "discount above line": (
        {
            "lines": [{"barcode": "8991234500011", "qty": 1, "discount": 30_000}],
            "payments": [{"method": "cash", "amount": 1}],
        },
        422,
    ),
    "unknown field": (
        {
            "lines": [{"barcode": "8991234500011", "qty": 1}],
            "payments": [{"method": "cash", "amount": 25_000}],
            "price_override": 1,
        },
        422,
    ),
    "barcode and product": (
        {
            "lines": [{"barcode": "8991234500011", "product_id": "6f0c4bb8-2a3a-4c1e-9d3e-000000000009", "qty": 1}],
            "payments": [{"method": "cash", "amount": 25_000}],
        },
        422,
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SALES))
def test_bad_checkout_input_is_a_problem_and_writes_nothing(pos, case):
    register_id = pos.ready()
    before = pos.row_counts()
    body, status = BAD_SALES[case]
    response = pos.client.post(
        "/sales", json={"register_id": register_id, **body}, headers={**pos.cashier, "Idempotency-Key": f"bad-{case}"}
    )
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == status
    assert pos.row_counts() == before


def test_a_sale_without_an_open_shift_is_refused_and_writes_nothing(pos, token):
    register_id = pos.register("R01")
    before = pos.row_counts()
    response = pos.sell(register_id, [{"barcode": "8991234500011", "qty": 1}], [{"method": "cash", "amount": 25_000}])
    assert response.status_code == 409 and response.json["code"] == "no_open_shift"
    assert response.content_type == "application/problem+json"
    pos.open_shift(register_id, headers=token("cashier", user_id="kasir-2"))
    someone_elses = pos.sell(
        register_id, [{"barcode": "8991234500011", "qty": 1}], [{"method": "cash", "amount": 25_000}]
    )
    assert someone_elses.status_code == 409
    before["shifts"] += 1
    assert pos.row_counts() == before


def test_checkout_needs_a_cashier_token_and_an_idempotency_key(pos):
    register_id = pos.ready()
    body = {
        "register_id": register_id,
        "lines": [{"barcode": "8991234500011", "qty": 1}],
        "payments": [{"method": "cash", "amount": 25_000}],
    }
    assert pos.client.post("/sales", json=body, headers={"Idempotency-Key": "k"}).status_code == 401
    assert (
        pos.client.post(
            "/sales", json=body, headers={**pos.token("supplier", supplier_id=SUPPLIER_DODOL), "Idempotency-Key": "k"}
        ).status_code
        == 403
    )
    missing = pos.client.post("/sales", json=body, headers=pos.cashier)
    assert missing.status_code == 400 and "Idempotency-Key" in missing.json["errors"]


def test_catalogue_lookup_by_barcode_and_name(pos):
    found = pos.client.get("/catalogue/barcode/8991234500028", headers=pos.cashier)
    assert found.status_code == 200
    assert found.json["name"] == "Kerupuk Kulit Cikarang" and found.json["price"] == 15_000 and found.json["sellable"]
    assert pos.client.get("/catalogue/barcode/404", headers=pos.cashier).status_code == 404
    names = [p["name"] for p in pos.client.get("/catalogue?q=dodol", headers=pos.cashier).json]
    assert names == ["Dodol Betawi Ibu Sari 250 g"]


def test_an_older_product_revision_does_not_overwrite_a_newer_one(pos):
    product_id = pos.product("8990000000001", 10_000, "Kopi Robusta", revision=3)
    pos.product("8990000000001", 9_000, "Kopi Robusta lama", revision=2, product_id=product_id)
    assert pos.client.get("/catalogue/barcode/8990000000001", headers=pos.cashier).json["price"] == 10_000
    pos.product("8990000000001", 11_000, "Kopi Robusta", revision=4, product_id=product_id)
    assert pos.client.get("/catalogue/barcode/8990000000001", headers=pos.cashier).json["price"] == 11_000


def test_outlet_settings_refuse_a_static_qris_with_a_wrong_crc_and_ppn_without_npwp(pos):
    outlet = pos.settings.outlet_id
    before = pos.row_counts()
    bad_crc = pos.client.put(
        f"/outlets/{outlet}/settings",
        json={"static_qris_payload": "000201010211" + "5802ID6304ABCD"},
        headers=pos.manager,
    )
    assert bad_crc.status_code == 422 and "static_qris_payload" in bad_crc.json["errors"]
    no_npwp = pos.client.put(f"/outlets/{outlet}/settings", json={"ppn_registered": True}, headers=pos.manager)
    assert no_npwp.status_code == 422 and "npwp" in no_npwp.json["errors"]
    assert pos.row_counts() == before


def test_two_managers_cannot_approve_under_one_name(pos, token):
    assert pos.client.put("/approvers/me", json={"pin": "1111"}, headers=pos.manager).status_code == 200
    namesake = token("manager", user_id="manajer-2", name="Budi")
    assert pos.client.put("/approvers/me", json={"pin": "2222"}, headers=namesake).status_code == 409
    assert pos.client.put("/approvers/me", json={"pin": "12"}, headers=pos.manager).status_code == 422
