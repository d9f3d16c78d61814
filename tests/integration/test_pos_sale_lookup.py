"""Finding sales at the counter: by receipt number (with what was refunded already) and a shift's sales for a
reprint; another cashier's shift stays hidden."""

from __future__ import annotations

from shared.db import new_id


def test_a_sale_is_found_by_its_receipt_number_with_the_quantity_refunded_so_far(pos):
    register_id = pos.ready()
    sale = pos.cash_sale(register_id, qty=3, price=25_000)
    refund = pos.client.post(
        "/refunds",
        json={
            "receipt_no": sale["receipt_no"],
            "lines": [{"sale_line_id": sale["lines"][0]["id"], "qty": 1}],
            "reason": "rusak",
            "back_to_stock": False,
            "method": "cash",
            "approval": {"approval_token": pos.grant("refund")},
        },
        headers={**pos.cashier, "Idempotency-Key": new_id()},
    )
    assert refund.status_code == 201, refund.json

    found = pos.client.get(f"/sales?receipt_no={sale['receipt_no']}", headers=pos.cashier)
    assert found.status_code == 200
    [only] = found.json
    assert only["id"] == sale["id"] and only["receipt_no"] == sale["receipt_no"]
    assert only["lines"][0]["qty"] == 3 and only["lines"][0]["refunded_qty"] == 1

    assert pos.client.get("/sales?receipt_no=R01-19990101-0001", headers=pos.cashier).json == []


def test_a_shift_lists_its_completed_sales_newest_first_to_its_own_cashier_only(pos, token):
    register_id = pos.ready()
    first = pos.cash_sale(register_id)
    second = pos.cash_sale(register_id, barcode="8991234500028", price=15_000)
    shift_id = first["shift_id"]

    listed = pos.client.get(f"/sales?shift_id={shift_id}", headers=pos.cashier)
    assert listed.status_code == 200
    assert [s["receipt_no"] for s in listed.json] == [second["receipt_no"], first["receipt_no"]]
    assert pos.client.get(f"/sales?shift_id={shift_id}", headers=pos.manager).status_code == 200

    other = token("cashier", user_id="kasir-2", name="Ani")
    assert pos.client.get(f"/sales?shift_id={shift_id}", headers=other).status_code == 404


def test_the_query_needs_exactly_one_of_receipt_number_and_shift(pos):
    assert pos.client.get("/sales", headers=pos.cashier).status_code == 422
    both = pos.client.get(f"/sales?receipt_no=X&shift_id={new_id()}", headers=pos.cashier)
    assert both.status_code == 422
