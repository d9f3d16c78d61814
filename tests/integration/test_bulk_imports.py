"""Importing suppliers (suppliers service) and products (inventory service) in one request, all or nothing, on
their real databases: a dry run previews and keeps nothing, one bad row refuses every row with its messages, a
real import creates everything and publishes its events."""

from __future__ import annotations

import json

from sqlalchemy import func, select

SUPPLIER_ROWS = [
    {
        "business_name": "Keripik Bu Sari",
        "owner_name": "Sari",
        "phone": "081234567890",
        "agreement": {"commission_bps": 1500},
    },
    {"business_name": "Batik Cikarang", "owner_name": "Budi", "phone": "081298765432", "bank_name": "BRI"},
]


def _supplier_rows_in_db(app) -> int:
    from services.suppliers.models import Supplier

    with app.extensions["sentra"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(Supplier))


def _outbox_types(app) -> list[str]:
    runtime = app.extensions["sentra"]
    with runtime.engine.connect() as conn:
        rows = conn.execute(runtime.messaging.outbox.select()).all()
    return [json.loads(r.envelope)["type"] for r in rows]


def test_a_supplier_dry_run_previews_the_rows_and_keeps_nothing(suppliers_app, token):
    client = suppliers_app.test_client()
    response = client.post("/suppliers/import", json={"rows": SUPPLIER_ROWS}, headers=token("manager"))
    assert response.status_code == 200, response.json
    assert response.json["dry_run"] is True
    assert [(r["business_name"], r["agreement"]["commission_bps"]) for r in response.json["rows"]] == [
        ("Keripik Bu Sari", 1500),
        ("Batik Cikarang", 2000),
    ]
    assert _supplier_rows_in_db(suppliers_app) == 0 and _outbox_types(suppliers_app) == []


def test_one_bad_supplier_row_refuses_the_import_naming_every_bad_row(suppliers_app, token):
    client = suppliers_app.test_client()
    rows = [*SUPPLIER_ROWS, {"business_name": "Kopi", "owner_name": "Ani", "phone": "12"}, {"owner_name": "Tono"}]
    response = client.post("/suppliers/import", json={"rows": rows, "dry_run": False}, headers=token("manager"))
    assert response.status_code == 422 and response.json["code"] == "invalid_import_rows"
    assert response.json["errors"]["rows"] == {
        "2": {"phone": ["Must be 8 to 15 digits, optionally starting with +."]},
        "3": {"business_name": ["Missing data for required field."], "phone": ["Missing data for required field."]},
    }
    assert _supplier_rows_in_db(suppliers_app) == 0 and _outbox_types(suppliers_app) == []


def test_a_supplier_import_registers_every_row_once(suppliers_app, token):
    client = suppliers_app.test_client()
    manager = token("manager")
    done = client.post("/suppliers/import", json={"rows": SUPPLIER_ROWS, "dry_run": False}, headers=manager)
    assert done.status_code == 201 and len(done.json["rows"]) == 2
    assert _outbox_types(suppliers_app).count("supplier.registered") == 2 * 2  # to inventory and pos
    again = client.post("/suppliers/import", json={"rows": SUPPLIER_ROWS[:1], "dry_run": False}, headers=manager)
    assert again.status_code == 422
    assert again.json["errors"]["rows"] == {
        "0": {"business_name": ["A supplier with this name is already registered."]}
    }
    twice = [{**SUPPLIER_ROWS[0], "business_name": "Dodol Mpok"}, {**SUPPLIER_ROWS[1], "business_name": "DODOL MPOK"}]
    refused = client.post("/suppliers/import", json={"rows": twice, "dry_run": False}, headers=manager)
    assert refused.status_code == 422 and list(refused.json["errors"]["rows"]) == ["1"]
    assert _supplier_rows_in_db(suppliers_app) == 2
    cashier = client.post("/suppliers/import", json={"rows": SUPPLIER_ROWS}, headers=token("cashier"))
    assert cashier.status_code == 403
    assert client.post("/suppliers/import", json={"rows": []}, headers=manager).status_code == 422


def test_a_product_import_is_all_or_nothing_and_a_dry_run_keeps_nothing(inventory):
    supplier_id = inventory.supplier()
    rows = [
        {"supplier_id": supplier_id, "name": "Keripik Singkong", "category": "makanan", "unit": "pcs", "price": 18_000},
        {
            "supplier_id": supplier_id,
            "name": "Tas Anyaman",
            "category": "kerajinan",
            "unit": "pcs",
            "price": 75_000,
            "barcode": "8991234567891",
        },
    ]
    before = inventory.table_counts()
    preview = inventory.post("/products/import", {"rows": rows}, status=200)
    assert preview["dry_run"] is True and [p["sku"][:4] for p in preview["rows"]] == ["MKN-", "KRJ-"]
    assert preview["rows"][0]["barcode_in_store"] is True and preview["rows"][1]["barcode"] == "8991234567891"
    assert inventory.table_counts() == before
    bad = [*rows, {**rows[1], "name": "Tas Kedua"}, {**rows[0], "category": "elektronik", "price": 0}]
    refused = inventory.client.post("/products/import", json={"rows": bad, "dry_run": False}, headers=inventory.manager)
    assert refused.status_code == 422 and refused.json["code"] == "invalid_import_rows"
    assert refused.json["errors"]["rows"] == {
        "2": {"barcode": ["Already used by another product."]},
        "3": {"price": ["Must be at least Rp1."]},
    }
    assert inventory.table_counts() == before
    created = inventory.post("/products/import", {"rows": rows, "dry_run": False})
    assert [p["name"] for p in created["rows"]] == ["Keripik Singkong", "Tas Anyaman"]
    assert [p["name"] for p in inventory.get(f"/products?supplier_id={supplier_id}")] == [
        "Keripik Singkong",
        "Tas Anyaman",
    ]


def test_a_product_row_in_an_unknown_category_is_refused_beside_its_field(inventory):
    supplier_id = inventory.supplier()
    row = {"supplier_id": supplier_id, "name": "Radio", "category": "elektronik", "unit": "pcs", "price": 100_000}
    refused = inventory.client.post("/products/import", json={"rows": [row]}, headers=inventory.manager)
    assert refused.status_code == 422 and refused.json["errors"]["rows"] == {"0": {"category": ["Unknown category."]}}
