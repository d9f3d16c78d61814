"""Registers and shifts: one open shift per register, cash movements, X report, closing with a Z report that
adds up to the rupiah."""

from __future__ import annotations


def test_registers_are_created_by_managers_with_unique_codes(pos):
    created = pos.client.post("/registers", json={"code": "R01", "name": "Kasa depan"}, headers=pos.manager)
    assert created.status_code == 201
    assert set(created.json) == {"id", "code", "name", "outlet_id"}
    assert created.json["outlet_id"] == pos.settings.outlet_id
    assert pos.client.post("/registers", json={"code": "R01", "name": "lagi"}, headers=pos.manager).status_code == 409
    assert pos.client.post("/registers", json={"code": "r-1", "name": "x"}, headers=pos.manager).status_code == 422
    assert pos.client.post("/registers", json={"code": "R02", "name": "x"}, headers=pos.cashier).status_code == 403
    assert [r["code"] for r in pos.client.get("/registers", headers=pos.cashier).json] == ["R01"]


def test_only_one_shift_can_be_open_on_a_register(pos, token):
    register_id = pos.register()
    shift_id = pos.open_shift(register_id)
    second = pos.client.post(
        "/shifts", json={"register_id": register_id, "opening_float": 0}, headers=token("cashier", user_id="kasir-2")
    )
    assert second.status_code == 409 and second.json["code"] == "shift_already_open"
    current = pos.client.get(f"/shifts/current?register_id={register_id}", headers=pos.cashier)
    assert current.status_code == 200 and current.json["id"] == shift_id and current.json["status"] == "open"
    assert (
        pos.client.post(f"/shifts/{shift_id}/close", json={"counted_cash": 500_000}, headers=pos.cashier).status_code
        == 200
    )
    after_close = pos.client.get(f"/shifts/current?register_id={register_id}", headers=pos.cashier)
    assert after_close.status_code == 200 and after_close.json is None
    pos.open_shift(register_id, headers=token("cashier", user_id="kasir-2"))


def test_bad_shift_input_is_refused(pos):
    register_id = pos.register()
    for body in (
        {"register_id": register_id, "opening_float": -1},
        {"register_id": register_id, "opening_float": 1.5},
        {"register_id": "nope", "opening_float": 0},
        {"register_id": register_id},
    ):
        response = pos.client.post("/shifts", json=body, headers=pos.cashier)
        assert response.status_code == 422 and response.content_type == "application/problem+json"
    unknown = pos.client.post(
        "/shifts", json={"register_id": "9b1c7a6e-0000-4000-8000-000000000000", "opening_float": 0}, headers=pos.cashier
    )
    assert unknown.status_code == 404
    shift_id = pos.open_shift(register_id)
    bad_move = pos.client.post(
        f"/shifts/{shift_id}/cash-movements", json={"kind": "out", "amount": 0, "reason": "x"}, headers=pos.cashier
    )
    assert bad_move.status_code == 422


def test_the_z_report_equals_the_sum_of_sales_refunds_payments_and_cash_movements(pos):
    register_id = pos.register()
    shift_id = pos.open_shift(register_id, opening_float=300_000)
    sales = [
        pos.sell(
            register_id,
            [{"barcode": "8991234500011", "qty": 3}],
            [{"method": "cash", "amount": 75_000, "tendered": 100_000}],
        ),
        pos.sell(
            register_id,
            [{"barcode": "8991234500035", "qty": 1, "discount": 20_000}],
            [{"method": "card", "amount": 200_000, "approval_code": "A7"}, {"method": "cash", "amount": 130_000}],
        ),
        pos.sell(
            register_id,
            [{"barcode": "2001234500042", "qty": 2}, {"barcode": "8991234500028", "qty": 1}],
            [{"method": "ewallet", "amount": 35_000}],
            discount=5_000,
        ),
        pos.sell(register_id, [{"barcode": "8991234500028", "qty": 1}], [{"method": "qris", "amount": 15_000}]),
    ]
    assert all(s.status_code == 201 for s in sales), [s.json for s in sales]
    qris_sale = sales[3].json
    pos.client.post(
        f"/sales/{qris_sale['id']}/payments/{qris_sale['payments'][0]['id']}/confirm", json={}, headers=pos.cashier
    )
    voided = pos.sell(
        register_id, [{"barcode": "8991234500011", "qty": 1}], [{"method": "qris", "amount": 25_000}]
    ).json
    pos.client.post(f"/sales/{voided['id']}/void", json={"reason": "batal"}, headers=pos.cashier)
    for kind, amount, reason in (("in", 100_000, "tambah kembalian"), ("out", 35_000, "beli plastik")):
        assert (
            pos.client.post(
                f"/shifts/{shift_id}/cash-movements",
                json={"kind": kind, "amount": amount, "reason": reason},
                headers=pos.cashier,
            ).status_code
            == 201
        )
    first = sales[0].json
    refund = pos.client.post(
        "/refunds",
        headers={**pos.cashier, "Idempotency-Key": "rf-1"},
        json={
            "receipt_no": first["receipt_no"],
            "lines": [{"sale_line_id": first["lines"][0]["id"], "qty": 1}],
            "reason": "kemasan rusak",
            "back_to_stock": False,
            "method": "cash",
            "approval": {"approval_token": pos.grant("refund")},
        },
    )
    assert refund.status_code == 201, refund.json
    x = pos.client.get(f"/shifts/{shift_id}/x-report", headers=pos.cashier).json

    completed = [s.json for s in sales]
    assert x["sales"]["count"] == 4 and x["sales"]["voided"] == 1
    assert x["sales"]["net"] == sum(s["total"] for s in completed) == 75_000 + 330_000 + 35_000 + 15_000
    assert x["sales"]["gross"] == sum(s["subtotal"] for s in completed)
    assert x["sales"]["discounts"] == sum(s["discount_total"] for s in completed) == 25_000
    assert x["payments_by_method"] == {
        "cash": 205_000,
        "card": 200_000,
        "ewallet": 35_000,
        "qris": 15_000,
        "transfer": 0,
    }
    assert sum(x["payments_by_method"].values()) == x["sales"]["net"]
    assert x["refunds"] == {
        "count": 1,
        "total": 25_000,
        "by_method": {"cash": 25_000, "card": 0, "ewallet": 0, "qris": 0, "transfer": 0},
    }
    assert x["cash_movements"]["in"] == 100_000 and x["cash_movements"]["out"] == 35_000
    expected_cash = 300_000 + 205_000 + 100_000 - 35_000 - 25_000
    assert x["expected_cash"] == expected_cash

    closed = pos.client.post(
        f"/shifts/{shift_id}/close", json={"counted_cash": expected_cash - 2_000}, headers=pos.cashier
    )
    assert closed.status_code == 200
    z = closed.json
    assert z["variance"] == -2_000 and z["counted_cash"] == expected_cash - 2_000 and z["status"] == "closed"
    assert pos.client.get(f"/shifts/{shift_id}/z-report", headers=pos.cashier).json == z
    html = pos.client.get(f"/shifts/{shift_id}/z-report/print", headers=pos.cashier).get_data(as_text=True)
    assert "LAPORAN Z" in html and "-Rp2.000" in html
    assert (
        pos.client.post(f"/shifts/{shift_id}/close", json={"counted_cash": 0}, headers=pos.cashier).status_code == 409
    )
    after = pos.sell(register_id, [{"barcode": "8991234500011", "qty": 1}], [{"method": "cash", "amount": 25_000}])
    assert after.status_code == 409


def test_a_shift_with_a_sale_waiting_for_qris_cannot_close(pos):
    register_id = pos.register()
    shift_id = pos.open_shift(register_id)
    pos.sell(register_id, [{"barcode": "8991234500011", "qty": 1}], [{"method": "qris", "amount": 25_000}])
    response = pos.client.post(f"/shifts/{shift_id}/close", json={"counted_cash": 500_000}, headers=pos.cashier)
    assert response.status_code == 409 and response.json["code"] == "sales_pending"
    assert pos.client.get(f"/shifts/{shift_id}/z-report", headers=pos.cashier).status_code == 409


def test_another_cashier_cannot_see_or_close_my_shift(pos, token):
    register_id = pos.register()
    shift_id = pos.open_shift(register_id)
    other = token("cashier", user_id="kasir-2")
    assert pos.client.get(f"/shifts/{shift_id}/x-report", headers=other).status_code == 404
    assert pos.client.post(f"/shifts/{shift_id}/close", json={"counted_cash": 0}, headers=other).status_code == 404
    assert pos.client.get(f"/shifts/{shift_id}/x-report", headers=pos.manager).status_code == 200
