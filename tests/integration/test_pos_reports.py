"""The daily report and the reconciliation feeds (paginated) that the suppliers service reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.business_time import JAKARTA
from tests.pos_support import SUPPLIER_BATIK, SUPPLIER_DODOL


def test_the_daily_report_splits_sales_by_method_cashier_hour_category_and_supplier(pos, token):
    pos.deliver("supplier.registered", {"supplier_id": SUPPLIER_BATIK, "name": "Batik Bekasi Asri", "status": "active"})
    r1 = pos.register("R01")
    r2 = pos.register("R02")
    ani = token("cashier", user_id="kasir-a", name="Ani")
    pos.open_shift(r1)
    pos.open_shift(r2, headers=ani)
    pos.sell(r1, [{"barcode": "8991234500011", "qty": 2}], [{"method": "cash", "amount": 50_000}])
    pos.sell(
        r2,
        [{"barcode": "8991234500035", "qty": 1}],
        [{"method": "card", "amount": 350_000, "approval_code": "X"}],
        headers=ani,
    )
    pos.sell(
        r2,
        [{"barcode": "8991234500011", "qty": 1}, {"barcode": "8991234500028", "qty": 3}],
        [{"method": "qris", "amount": 70_000}],
        headers=ani,
    )  # left pending: not in the report
    today = datetime.now(JAKARTA).date()
    report = pos.client.get(f"/reports/daily?date={today.isoformat()}", headers=pos.manager)
    assert report.status_code == 200
    data = report.json
    assert data["sales"] == {"count": 2, "gross": 400_000, "discounts": 0, "net": 400_000, "ppn": 0}
    assert data["by_payment_method"] == [
        {"method": "card", "count": 1, "amount": 350_000},
        {"method": "cash", "count": 1, "amount": 50_000},
    ]
    assert {(c["cashier_id"], c["total"]) for c in data["by_cashier"]} == {("kasir-1", 50_000), ("kasir-a", 350_000)}
    assert sum(h["total"] for h in data["by_hour"]) == 400_000
    assert data["by_hour"][0]["hour"] == datetime.now(JAKARTA).hour or len(data["by_hour"]) == 2
    assert data["by_category"] == [
        {"category": "Kerajinan", "qty": 1, "total": 350_000},
        {"category": "Makanan", "qty": 2, "total": 50_000},
    ]
    assert data["by_supplier"] == [
        {"supplier_id": SUPPLIER_BATIK, "supplier_name": "Batik Bekasi Asri", "qty": 1, "total": 350_000},
        {"supplier_id": SUPPLIER_DODOL, "supplier_name": None, "qty": 2, "total": 50_000},
    ]
    assert data["top_products"][0]["name"] == "Dodol Betawi Ibu Sari 250 g" and data["top_products"][0]["qty"] == 2
    other_day = pos.client.get(
        f"/reports/daily?date={(today - timedelta(days=1)).isoformat()}", headers=pos.manager
    ).json
    assert other_day["sales"]["count"] == 0
    assert pos.client.get(f"/reports/daily?date={today}", headers=pos.cashier).status_code == 403
    assert pos.client.get("/reports/daily?date=27-11-2026", headers=pos.manager).status_code == 422


def test_reconciliation_lists_every_completed_sale_and_refund_across_pages(pos, token):
    register_id = pos.ready()
    sales = [pos.cash_sale(register_id) for _ in range(7)]
    refunded = sales[0]
    assert (
        pos.client.post(
            "/refunds",
            headers={**pos.cashier, "Idempotency-Key": "rec-1"},
            json={
                "receipt_no": refunded["receipt_no"],
                "lines": [{"sale_line_id": refunded["lines"][0]["id"], "qty": 1}],
                "reason": "x",
                "back_to_stock": True,
                "method": "original",
                "approval": {"approval_token": pos.grant("refund")},
            },
        ).status_code
        == 201
    )
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    service = token("service", user_id="suppliers-service")
    seen, cursor, pages = [], None, 0
    while True:
        query = {"from": start, "to": end, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = pos.client.get("/reconciliation/sales", query_string=query, headers=service)
        assert page.status_code == 200
        seen += page.json
        pages += 1
        cursor = page.headers.get("X-Next-Cursor")
        if not cursor:
            break
    assert pages == 3
    assert [s["sale_id"] for s in seen] == [s["id"] for s in sales]
    assert seen[0]["lines"][0] == {
        "line_id": refunded["lines"][0]["id"],
        "product_id": refunded["lines"][0]["product_id"],
        "supplier_id": SUPPLIER_DODOL,
        "qty": 1,
        "unit_price": 25_000,
        "discount": 0,
        "line_total": 25_000,
    }
    refunds = pos.client.get(
        "/reconciliation/refunds", query_string={"from": start, "to": end}, headers=pos.manager
    ).json
    assert [(r["sale_id"], r["total"]) for r in refunds] == [(refunded["id"], 25_000)]
    assert refunds[0]["lines"][0]["line_id"] == refunded["lines"][0]["id"]
    assert (
        pos.client.get(
            "/reconciliation/sales", query_string={"from": start, "to": end}, headers=pos.cashier
        ).status_code
        == 403
    )
    naive = pos.client.get(
        "/reconciliation/sales", query_string={"from": "2026-01-01T00:00:00", "to": end}, headers=service
    )
    assert naive.status_code == 422
    empty = pos.client.get("/reconciliation/sales", query_string={"from": end, "to": end}, headers=service)
    assert empty.status_code == 422  # an empty or reversed period is a mistake
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    assert pos.client.get("/reconciliation/sales", query_string={"from": end, "to": later}, headers=service).json == []
    today = datetime.now(JAKARTA).date().isoformat()
    whole_day = pos.client.get("/reconciliation/sales", query_string={"from": today, "to": today}, headers=service)
    assert whole_day.status_code == 200 and "X-Next-Cursor" not in whole_day.headers
    assert [s["sale_id"] for s in whole_day.json] == [s["id"] for s in sales]  # no limit: the whole period


def test_without_a_limit_the_whole_period_streams_across_many_batches(pos, token, monkeypatch):
    from services.pos.api import reconciliation

    monkeypatch.setattr(reconciliation, "STREAM_BATCH", 2)
    register_id = pos.ready()
    sales = [pos.cash_sale(register_id) for _ in range(5)]
    today = datetime.now(JAKARTA).date().isoformat()
    response = pos.client.get(
        "/reconciliation/sales",
        query_string={"from": today, "to": today},
        headers=token("service", user_id="suppliers-service"),
    )
    assert [s["sale_id"] for s in response.json] == [s["id"] for s in sales]


def test_the_sales_report_of_a_period_buckets_by_day_week_and_month_and_refuses_unbounded_periods(pos, token):
    register_id = pos.ready()
    pos.cash_sale(register_id)
    pos.cash_sale(register_id)
    today = datetime.now(JAKARTA).date()
    start = today - timedelta(days=9)
    by_day = pos.client.get(f"/reports/sales?from={start}&to={today}", headers=pos.manager)
    assert by_day.status_code == 200, by_day.json
    data = by_day.json
    assert (data["from"], data["to"], data["granularity"]) == (start.isoformat(), today.isoformat(), "day")
    assert [b["period"] for b in data["by_period"]] == [(start + timedelta(days=n)).isoformat() for n in range(10)]
    assert [b["count"] for b in data["by_period"]] == [0] * 9 + [2]
    assert data["by_period"][-1]["total"] == data["sales"]["net"] > 0
    assert {m["method"] for m in data["by_payment_method"]} == {"cash"}
    weekly = pos.client.get(f"/reports/sales?from={start}&to={today}&granularity=week", headers=pos.manager).json
    assert weekly["by_period"][0]["period"] == (start - timedelta(days=start.weekday())).isoformat()
    assert sum(b["total"] for b in weekly["by_period"]) == data["sales"]["net"]
    monthly = pos.client.get(f"/reports/sales?from={start}&to={today}&granularity=month", headers=pos.manager).json
    assert all(b["period"].endswith("-01") for b in monthly["by_period"])
    for bad, field in (
        (f"from={today}&to={start}", "to"),
        (f"from={today - timedelta(days=366)}&to={today}", "to"),
        (f"from={start}&to={today}&granularity=year", "granularity"),
        (f"from=kemarin&to={today}", "from"),
        (f"to={today}", "from"),
    ):
        refused = pos.client.get(f"/reports/sales?{bad}", headers=pos.manager)
        assert refused.status_code == 422 and refused.mimetype == "application/problem+json", bad
        assert field in refused.json["errors"]["query"], (bad, refused.json)
    assert pos.client.get(f"/reports/sales?from={start}&to={today}", headers=pos.cashier).status_code == 403
