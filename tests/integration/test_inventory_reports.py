"""Inventory's stock report per supplier and the movements of one document (the reconciliation's drill-down)."""

from __future__ import annotations

from datetime import timedelta

from shared import business_time
from tests.inventory_support import days_from_today, refund_payload


def test_the_supplier_report_gives_sell_through_and_days_on_hand_of_the_period(inventory):
    dodol_supplier, batik_supplier = inventory.supplier("Dodol Ibu Sari"), inventory.supplier("Batik Bekasi Asri")
    dodol = inventory.product(dodol_supplier, name="Dodol Betawi")
    batik = inventory.product(batik_supplier, name="Batik Tulis", category="fashion")
    inventory.intake(
        dodol_supplier, [{"product_id": dodol["id"], "qty": 20, "lot_code": "D1", "expiry_date": days_from_today(90)}]
    )
    inventory.intake(batik_supplier, [{"product_id": batik["id"], "qty": 4}])
    sold = inventory.sale([(dodol, 6)])
    inventory.publish("sale.refunded", refund_payload(sold["payload"], [(0, 1)], back_to_stock=True))
    today = business_time.today()
    start = today - timedelta(days=9)
    report = inventory.get(f"/reports/suppliers?from={start}&to={today}")
    by_name = {row["supplier_name"]: row for row in report}
    assert by_name["Dodol Ibu Sari"] == {
        "supplier_id": dodol_supplier,
        "supplier_name": "Dodol Ibu Sari",
        "opening": 0,
        "received": 20,
        "sold": 5,
        "closing": 15,
        "sell_through_bps": 2500,
        "days_on_hand": 30,  # 15 left at 5 per 10 days
    }
    assert (
        by_name["Batik Bekasi Asri"]["sell_through_bps"] == 0 and by_name["Batik Bekasi Asri"]["days_on_hand"] is None
    )
    assert [row["supplier_name"] for row in report] == ["Dodol Ibu Sari", "Batik Bekasi Asri"]
    before = inventory.get(f"/reports/suppliers?from={start - timedelta(days=30)}&to={start - timedelta(days=1)}")
    assert before == []
    for bad in (f"from={today}&to={start}", f"from={today - timedelta(days=400)}&to={today}", "from=x&to=y", ""):
        response = inventory.client.get(f"/reports/suppliers?{bad}", headers=inventory.manager)
        assert response.status_code == 422 and response.mimetype == "application/problem+json", bad
    cashier = inventory.token("cashier")
    assert inventory.client.get(f"/reports/suppliers?from={start}&to={today}", headers=cashier).status_code == 403


def test_the_movements_of_one_sale_name_the_product_and_lot(inventory):
    supplier = inventory.supplier()
    dodol = inventory.product(supplier, name="Dodol Betawi")
    inventory.intake(
        supplier, [{"product_id": dodol["id"], "qty": 5, "lot_code": "D1", "expiry_date": days_from_today(90)}]
    )
    sale = inventory.sale([(dodol, 2)])["payload"]
    movements = inventory.get(f"/reconciliation/movements/of?reference_id={sale['sale_id']}")
    assert [(m["kind"], m["product_name"], m["lot_code"], m["qty"]) for m in movements] == [
        ("sale", "Dodol Betawi", "D1", -2)
    ]
    assert inventory.get(f"/reconciliation/movements/of?reference_id={supplier}") == []
    assert (
        inventory.client.get("/reconciliation/movements/of?reference_id=1", headers=inventory.manager).status_code
        == 422
    )
