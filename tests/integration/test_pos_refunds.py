"""Refunds: by receipt number, never more than sold minus refunded, manager approval and audit, idempotency,
refund method, and the ``sale.refunded`` event."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta


def refund(pos, sale, items, key, headers=None, method="original", approval="manager", **extra):
    body = {
        "receipt_no": sale["receipt_no"],
        "lines": items,
        "reason": "rusak",
        "back_to_stock": True,
        "method": method,
        **extra,
    }
    if approval == "manager":
        body["approval"] = {"approval_token": pos.grant("refund")}
    elif approval is not None:
        body["approval"] = approval
    return pos.client.post("/refunds", json=body, headers={**(headers or pos.cashier), "Idempotency-Key": key})


def three_line_sale(pos, register_id):
    response = pos.sell(
        register_id,
        [{"barcode": "8991234500011", "qty": 3}, {"barcode": "8991234500028", "qty": 1}],
        [{"method": "card", "amount": 60_000, "approval_code": "E1"}, {"method": "cash", "amount": 29_000}],
        discount=1_000,
    )
    assert response.status_code == 201, response.json
    return response.json


def test_a_refund_returns_the_lines_exact_share_and_publishes_sale_refunded(pos):
    register_id = pos.ready()
    sale = three_line_sale(pos, register_id)
    dodol = sale["lines"][0]
    assert dodol["line_total"] == 74_167  # 75 000 less its share of the Rp1.000 sale discount
    response = refund(pos, sale, [{"sale_line_id": dodol["id"], "qty": 1}], "r-1")
    assert response.status_code == 201, response.json
    assert response.json["total"] == 74_167 // 3
    assert response.json["payments"] == [{"method": "card", "amount": 24_722, "payment_id": sale["payments"][0]["id"]}]
    [row, _] = pos.outbox("sale.refunded")
    payload = json.loads(row.envelope)["payload"]
    assert payload["sale_id"] == sale["id"] and payload["back_to_stock"] is True
    assert payload["lines"] == [
        {
            "sale_line_id": dodol["id"],
            "product_id": dodol["product_id"],
            "supplier_id": dodol["supplier_id"],
            "qty": 1,
            "amount": 24_722,
        }
    ]
    rest = refund(pos, sale, [{"sale_line_id": dodol["id"], "qty": 2}], "r-2")
    assert rest.status_code == 201
    assert response.json["total"] + rest.json["total"] == dodol["line_total"]
    audit = [e for e in pos.client.get("/audit", headers=pos.manager).json if e["action"] == "sale.refunded"]
    assert len(audit) == 2 and {e["approver_id"] for e in audit} == {"manajer-1"}


def test_the_audit_log_is_filtered_by_who_did_or_approved_what_and_when(pos):
    register_id = pos.ready()
    sale = three_line_sale(pos, register_id)
    assert refund(pos, sale, [{"sale_line_id": sale["lines"][0]["id"], "qty": 1}], "r-audit").status_code == 201
    approved_by_manager = pos.client.get("/audit?user_id=manajer-1", headers=pos.manager).json
    assert {e["action"] for e in approved_by_manager} >= {"sale.refunded"}
    assert all("manajer-1" in (e["actor_id"], e["approver_id"]) for e in approved_by_manager)
    refunds = pos.client.get("/audit?action=sale.refunded&limit=50", headers=pos.manager).json
    assert len(refunds) == 1 and refunds[0]["detail"]["receipt_no"] == sale["receipt_no"]
    assert pos.client.get("/audit?user_id=nobody", headers=pos.manager).json == []
    future = pos.client.get("/audit", query_string={"since": "2099-01-01T00:00:00+07:00"}, headers=pos.manager)
    assert future.status_code == 200 and future.json == [], future.json
    assert pos.client.get("/audit?since=yesterday", headers=pos.manager).status_code == 422


def test_refunding_more_than_sold_minus_refunded_is_a_422_and_writes_nothing(pos):
    register_id = pos.ready()
    sale = three_line_sale(pos, register_id)
    line = sale["lines"][1]
    assert refund(pos, sale, [{"sale_line_id": line["id"], "qty": 1}], "r-a").status_code == 201
    before = pos.row_counts()
    too_many = refund(pos, sale, [{"sale_line_id": line["id"], "qty": 1}], "r-b")
    assert too_many.status_code == 422 and too_many.content_type == "application/problem+json"
    assert too_many.json["code"] == "refund_exceeds_sale"
    over = refund(pos, sale, [{"sale_line_id": sale["lines"][0]["id"], "qty": 4}], "r-c")
    assert over.status_code == 422
    foreign = refund(pos, sale, [{"sale_line_id": "3d0c1b5e-0000-4000-8000-00000000abcd", "qty": 1}], "r-d")
    assert foreign.status_code == 422
    for bad in ({"sale_line_id": line["id"], "qty": 0}, {"sale_line_id": line["id"], "qty": 1.5}):
        assert refund(pos, sale, [bad], "r-e").status_code == 422
    assert (
        refund(pos, {"receipt_no": "R01-20000101-0001"}, [{"sale_line_id": line["id"], "qty": 1}], "r-f").status_code
        == 404
    )
    assert pos.row_counts() == before


def test_a_cashier_refund_needs_a_manager_approval_token_or_pin(pos, token):
    register_id = pos.ready()
    sale = three_line_sale(pos, register_id)
    item = [{"sale_line_id": sale["lines"][1]["id"], "qty": 1}]
    before = pos.row_counts()
    assert refund(pos, sale, item, "a-1", approval=None).status_code == 403
    cashier_token = token("cashier", user_id="kasir-3")["Authorization"][7:]
    assert refund(pos, sale, item, "a-2", approval={"approval_token": cashier_token}).status_code == 403
    assert refund(pos, sale, item, "a-3", approval={"username": "Budi", "pin": "1234"}).status_code == 403
    after = pos.row_counts()
    # the refusals changed nothing but the record of the wrong PIN (its failure and its audit entry)
    assert (after.pop("approval_failures"), after.pop("audit_log")) == (1, before.pop("audit_log") + 1)
    before.pop("approval_failures")
    assert after == before
    pos.client.put("/approvers/me", json={"pin": "1234"}, headers=pos.manager)
    assert refund(pos, sale, item, "a-4", approval={"username": "Budi", "pin": "1234"}).status_code == 201


def test_a_refund_key_replays_and_rejects_a_different_body(pos):
    register_id = pos.ready()
    sale = three_line_sale(pos, register_id)
    item = [{"sale_line_id": sale["lines"][0]["id"], "qty": 1}]
    approval = {"approval_token": pos.grant("refund")}  # a retry sends the very same body
    first = refund(pos, sale, item, "same", approval=approval)
    again = refund(pos, sale, item, "same", approval=approval)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    other = refund(pos, sale, [{"sale_line_id": sale["lines"][0]["id"], "qty": 2}], "same")
    assert other.status_code == 422
    assert len(pos.outbox("sale.refunded")) == 2  # one event, two subscribers


def test_a_cash_refund_comes_out_of_the_callers_open_shift(pos):
    register_id = pos.ready()
    sale = three_line_sale(pos, register_id)
    item = [{"sale_line_id": sale["lines"][1]["id"], "qty": 1}]
    by_manager_without_shift = refund(pos, sale, item, "c-1", headers=pos.manager, method="cash", approval=None)
    assert by_manager_without_shift.status_code == 409 and by_manager_without_shift.json["code"] == "no_open_shift"
    by_cashier = refund(pos, sale, item, "c-2", method="cash")
    assert by_cashier.status_code == 201 and by_cashier.json["payments"] == [
        {"method": "cash", "amount": 14_833, "payment_id": None}
    ]
    assert by_cashier.json["shift_id"] is not None


def test_a_manager_refunds_without_a_separate_approval(pos):
    register_id = pos.ready()
    sale = three_line_sale(pos, register_id)
    response = refund(
        pos, sale, [{"sale_line_id": sale["lines"][0]["id"], "qty": 1}], "m-1", headers=pos.manager, approval=None
    )
    assert response.status_code == 201 and response.json["approved_by"] == "manajer-1"


def test_five_wrong_pins_lock_approval_by_pin_for_that_manager_and_that_cashier(pos, token):
    """A four-digit PIN cannot be guessed: after five wrong ones even the right PIN is refused (429), for the
    manager's name from any cashier and for the guessing cashier with any name; every failure is audited."""
    register_id = pos.ready()
    sale = three_line_sale(pos, register_id)
    item = [{"sale_line_id": sale["lines"][1]["id"], "qty": 1}]
    pos.client.put("/approvers/me", json={"pin": "2468"}, headers=pos.manager)
    for n in range(5):
        wrong = refund(pos, sale, item, f"guess-{n}", approval={"username": "Budi", "pin": f"000{n}"})
        assert wrong.status_code == 403 and wrong.json["code"] == "approval_invalid"
    locked = refund(pos, sale, item, "right-pin", approval={"username": "Budi", "pin": "2468"})
    assert locked.status_code == 429 and locked.json["code"] == "approval_locked"
    other_cashier = token("cashier", user_id="kasir-2")
    assert (
        refund(pos, sale, item, "other", headers=other_cashier, approval={"username": "Budi", "pin": "2468"}).json[
            "code"
        ]
        == "approval_locked"
    )
    audit = pos.client.get("/audit", headers=pos.manager).json
    assert sum(entry["action"] == "approval.failed" for entry in audit) == 5
    with_token = refund(pos, sale, item, "by-token")  # a manager's own approval on their device still works
    assert with_token.status_code == 201


def test_the_managers_are_told_of_each_pin_lock_out_in_force(pos):
    """What the managers' overview alerts on: the approver name and the cashier locked out, with since and until."""
    register_id = pos.ready()
    sale = three_line_sale(pos, register_id)
    item = [{"sale_line_id": sale["lines"][1]["id"], "qty": 1}]
    assert pos.client.get("/approval-lockouts", headers=pos.manager).json == []
    for n in range(4):
        refund(pos, sale, item, f"guess-{n}", approval={"username": "Budi", "pin": f"000{n}"})
    assert pos.client.get("/approval-lockouts", headers=pos.manager).json == []  # four wrong PINs lock nothing
    refund(pos, sale, item, "guess-4", approval={"username": "Budi", "pin": "0004"})
    lockouts = pos.client.get("/approval-lockouts", headers=pos.manager).json
    assert sorted((lockout["kind"], lockout["who"], lockout["failures"]) for lockout in lockouts) == [
        ("approver", "Budi", 5),
        ("cashier", "kasir-1", 5),
    ]
    for lockout in lockouts:
        locked_at, until = datetime.fromisoformat(lockout["locked_at"]), datetime.fromisoformat(lockout["locked_until"])
        assert timedelta(minutes=14) < until - locked_at <= timedelta(minutes=15)
    assert pos.client.get("/approval-lockouts", headers=pos.cashier).status_code == 403


def test_a_manager_reads_a_refund_and_the_refunds_of_a_sale(pos):
    """What the till holds of refunds, for the reconciliation's drill-down."""
    register_id = pos.ready()
    sale = three_line_sale(pos, register_id)
    dodol, other = sale["lines"][0], sale["lines"][1]
    assert pos.client.get(f"/refunds?sale_id={sale['id']}", headers=pos.manager).json == []
    first = refund(pos, sale, [{"sale_line_id": dodol["id"], "qty": 1}], "rr-1").json
    second = refund(pos, sale, [{"sale_line_id": other["id"], "qty": 1}], "rr-2", back_to_stock=False).json
    listed = pos.client.get(f"/refunds?sale_id={sale['id']}", headers=pos.manager)
    assert listed.status_code == 200 and [r["id"] for r in listed.json] == [first["id"], second["id"]]
    assert listed.json[1]["back_to_stock"] is False
    one = pos.client.get(f"/refunds/{first['id']}", headers=pos.manager)
    assert one.status_code == 200 and one.json == first
    unknown = pos.client.get(f"/refunds/{uuid.uuid4()}", headers=pos.manager)
    assert unknown.status_code == 404 and unknown.content_type == "application/problem+json"
    assert pos.client.get(f"/refunds?sale_id={uuid.uuid4()}", headers=pos.manager).json == []
    for bad in ("", "?sale_id=bukan-id"):
        response = pos.client.get(f"/refunds{bad}", headers=pos.manager)
        assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert pos.client.get(f"/refunds/{first['id']}", headers=pos.cashier).status_code == 403
    assert pos.client.get(f"/refunds?sale_id={sale['id']}", headers=pos.cashier).status_code == 403
