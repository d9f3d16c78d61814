"""A supplier sees only its own data: every supplier-facing endpoint, asked with another supplier's ids, is 404."""

from __future__ import annotations

from tests import suppliers_support as ev
from tests.support import assert_every_endpoint_needs_a_token

PERIOD = "from=2025-01-01&to=2027-12-31"


def _supplier_with_history(suppliers_app, client, token, name: str) -> dict:
    """A supplier with a product, a sale, stock, an alert and a paid payout: every kind of object it can see."""
    response = client.post(
        "/suppliers",
        headers=token("manager"),
        json={
            "business_name": name,
            "owner_name": "Pemilik",
            "phone": "081311120001",
            "bank_name": "BNI",
            "bank_account_number": "9876543210",
            "bank_account_holder": name,
        },
    )
    supplier_id = response.json["id"]
    product_id = ev.new_uuid()
    ev.deliver(suppliers_app, "product.upserted", ev.product(supplier_id, product_id, name=f"Produk {name}"))
    ev.deliver(suppliers_app, "stock.moved", ev.moved(ev.movement(supplier_id, product_id, "intake", 10)))
    ev.deliver(suppliers_app, "sale.completed", ev.sale([(supplier_id, product_id, 2, 50_000)], completed_at=ev.at(20)))
    alert = ev.alert(supplier_id, product_id)
    ev.deliver(suppliers_app, "stock.alert_raised", alert)
    return {"supplier_id": supplier_id, "name": name, "product_id": product_id, "alert_id": alert["alert_id"]}


def _pay_everyone(client, token) -> dict[str, str]:
    manager = token("manager")
    run = client.post("/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=manager).json
    client.post(f"/payout-runs/{run['id']}/approve", headers=token("manager", user_id="another-manager"))
    payouts = {}
    for line in run["lines"]:
        client.post(f"/payout-runs/{run['id']}/lines/{line['id']}/paid", json={"reference": "TRF"}, headers=manager)
        payouts[line["supplier_id"]] = line["id"]
    return payouts


def _supplier_facing_urls(ids: dict) -> list[str]:
    """Every supplier-facing endpoint that names an object, filled with ``ids``."""
    supplier_id = ids["supplier_id"]
    return [
        f"/suppliers/{supplier_id}",
        f"/suppliers/{supplier_id}/balance",
        f"/suppliers/{supplier_id}/agreements",
        f"/suppliers/{supplier_id}/sales?{PERIOD}",
        f"/suppliers/{supplier_id}/stock",
        f"/suppliers/{supplier_id}/payouts",
        f"/suppliers/{supplier_id}/statements?{PERIOD}&format=csv",
        f"/suppliers/{supplier_id}/statements?{PERIOD}&format=pdf",
        f"/me/sales?{PERIOD}&product_id={ids['product_id']}",
        f"/me/stock/{ids['product_id']}",
        f"/me/alerts/{ids['alert_id']}",
        f"/me/payouts/{ids['payout_id']}",
    ]


def test_each_supplier_gets_404_for_every_object_of_another_supplier_and_200_for_its_own(suppliers_app, token):
    client = suppliers_app.test_client()
    suppliers = [
        _supplier_with_history(suppliers_app, client, token, name) for name in ("Dodol Mpok Yati", "Kopi Sukamakmur")
    ]
    payouts = _pay_everyone(client, token)
    for ids in suppliers:
        ids["payout_id"] = payouts[ids["supplier_id"]]

    for me in suppliers:
        headers = token("supplier", supplier_id=me["supplier_id"])
        for other in suppliers:
            expected = 200 if other is me else 404
            for url in _supplier_facing_urls(other):
                response = client.get(url, headers=headers)
                response.get_data()  # consume streamed bodies
                assert response.status_code == expected, (
                    url,
                    response.status_code,
                    response.get_data(as_text=True)[:300],
                )
                if expected == 404:
                    assert response.content_type == "application/problem+json"
                    assert other["name"] not in response.get_data(as_text=True)


def test_the_me_endpoints_list_only_the_callers_own_data(suppliers_app, token):
    client = suppliers_app.test_client()
    first, second = (_supplier_with_history(suppliers_app, client, token, name) for name in ("Batik A", "Batik B"))
    _pay_everyone(client, token)
    headers = token("supplier", supplier_id=first["supplier_id"])
    assert client.get("/me", headers=headers).json["id"] == first["supplier_id"]
    assert client.get("/me/balance", headers=headers).json["supplier_id"] == first["supplier_id"]
    assert [a["id"] for a in client.get("/me/alerts", headers=headers).json] == [first["alert_id"]]
    assert [s["product_id"] for s in client.get("/me/stock", headers=headers).json] == [first["product_id"]]
    assert {s["product_id"] for s in client.get(f"/me/sales?{PERIOD}", headers=headers).json} == {first["product_id"]}
    assert {p["supplier_id"] for p in client.get("/me/payouts", headers=headers).json} == {first["supplier_id"]}
    assert [a["supplier_id"] for a in client.get("/me/agreements", headers=headers).json] == [first["supplier_id"]]
    statement = client.get(f"/me/statements?{PERIOD}&format=csv", headers=headers).get_data(as_text=True)
    assert "Produk Batik A" in statement and "Produk Batik B" not in statement


def test_suppliers_and_cashiers_cannot_use_manager_endpoints_and_nobody_gets_in_without_a_token(suppliers_app, token):
    client = suppliers_app.test_client()
    ids = _supplier_with_history(suppliers_app, client, token, "Kue Bu Ratna")
    supplier = token("supplier", supplier_id=ids["supplier_id"])
    for method, url in [
        ("get", "/suppliers"),
        ("post", "/suppliers"),
        ("patch", f"/suppliers/{ids['supplier_id']}"),
        ("post", f"/suppliers/{ids['supplier_id']}/agreements"),
        ("get", "/payout-runs"),
        ("post", "/payout-runs"),
        ("get", "/payout-runs/dues"),
        ("post", "/reconciliations"),
    ]:
        assert getattr(client, method)(url, json={}, headers=supplier).status_code == 403, url
        assert getattr(client, method)(url, json={}, headers=token("cashier")).status_code == 403, url
    assert client.get("/me/balance", headers=token("manager")).status_code == 403
    assert assert_every_endpoint_needs_a_token(suppliers_app) >= 35
