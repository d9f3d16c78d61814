"""Products, barcodes, price history and the supplier replica of the inventory service (real database)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.inventory import rules
from services.inventory.models import SupplierReplica


def _outbox(inventory, event_type):
    outbox = inventory.runtime.messaging.outbox
    with inventory.runtime.engine.connect() as conn:
        rows = conn.execute(select(outbox).where(outbox.c.event_type == event_type).order_by(outbox.c.created_at)).all()
    return rows


def test_a_product_with_a_valid_barcode_is_created_and_published_to_pos_and_suppliers(inventory):
    supplier_id = inventory.supplier()
    product = inventory.product(
        supplier_id,
        barcode="8991234567891",
        permit_type="P-IRT",
        permit_number="2063216010123-25",
        net_weight="250 g",
        halal_cert_number="ID32110000123450824",
        halal_expires_on="2028-08-31",
    )
    assert product["barcode"] == "8991234567891" and product["barcode_in_store"] is False
    assert product["sku"].startswith("MKN-") and product["active"] is True and product["requires_expiry"] is True
    assert product["permit_number"] == "2063216010123-25" and product["halal_expires_on"] == "2028-08-31"
    rows = _outbox(inventory, "product.upserted")
    assert sorted(row.queue for row in rows) == ["pos", "suppliers"]
    payload = json.loads(rows[0].envelope)["payload"]
    assert payload == {
        "product_id": product["id"],
        "sku": product["sku"],
        "barcode": "8991234567891",
        "name": "Dodol Betawi",
        "price": 25_000,
        "supplier_id": supplier_id,
        "category": "makanan",
        "unit": "pcs",
        "active": True,
        "revision": 1,
    }


def test_a_product_without_a_barcode_gets_a_valid_unique_in_store_ean13(inventory):
    supplier_id = inventory.supplier()
    products = [inventory.product(supplier_id, name=f"Kain majun {i}", category="kerajinan") for i in range(25)]
    codes = [p["barcode"] for p in products]
    assert len(set(codes)) == 25
    for code in codes:
        assert rules.barcode_kind(code) == "EAN-13" and rules.is_in_store_code(code)
    assert all(p["barcode_in_store"] and p["requires_expiry"] is False for p in products)
    found = inventory.get(f"/products/by-barcode/{codes[7]}")
    assert found["id"] == products[7]["id"]


def test_a_generated_code_skips_one_a_supplier_already_printed(inventory):
    supplier_id = inventory.supplier()
    taken = rules.in_store_ean13(1)
    inventory.product(supplier_id, name="Keripik dengan kode toko lain", barcode=taken)
    generated = inventory.product(supplier_id, name="Keripik tanpa kode")["barcode"]
    assert generated != taken and generated == rules.in_store_ean13(2)


def test_a_upc_a_and_its_ean13_form_are_the_same_barcode(inventory):
    supplier_id = inventory.supplier()
    product = inventory.product(supplier_id, barcode="036000291452")
    assert inventory.get("/products/by-barcode/0036000291452")["id"] == product["id"]
    conflict = inventory.post(
        "/products",
        {
            "name": "Copy",
            "category": "makanan",
            "unit": "pcs",
            "price": 1000,
            "supplier_id": supplier_id,
            "barcode": "0036000291452",
        },
        status=409,
    )
    assert "barcode" in conflict["errors"] and conflict["code"] == "barcode_taken"


def test_a_price_change_is_kept_in_history_and_published_with_a_higher_revision(inventory, token):
    supplier_id = inventory.supplier()
    product = inventory.product(supplier_id, price=25_000)
    response = inventory.client.patch(
        f"/products/{product['id']}", json={"price": 27_500}, headers=token("manager", user_id="budi", name="Pak Budi")
    )
    assert response.status_code == 200 and response.json["price"] == 27_500 and response.json["revision"] == 2
    inventory.client.patch(
        f"/products/{product['id']}", json={"name": "Dodol Betawi Ketan", "active": False}, headers=inventory.manager
    )
    history = inventory.get(f"/products/{product['id']}/price-history")
    assert [(h["old_price"], h["new_price"]) for h in history] == [(None, 25_000), (25_000, 27_500)]
    assert history[1]["changed_by"] == "manager:budi" and history[1]["changed_at"]
    revisions = [json.loads(r.envelope)["payload"] for r in _outbox(inventory, "product.upserted") if r.queue == "pos"]
    assert [(p["revision"], p["price"], p["active"]) for p in revisions] == [
        (1, 25_000, True),
        (2, 27_500, True),
        (3, 27_500, False),
    ]


def test_products_are_listed_by_supplier_and_search_and_suppliers_see_only_their_own(inventory, token):
    first, second = inventory.supplier("Dodol Ibu Sari"), inventory.supplier("Batik Bekasi")
    dodol = inventory.product(first, name="Dodol Durian")
    batik = inventory.product(second, name="Batik Tulis Bekasi", category="fashion", price=350_000)
    assert [p["id"] for p in inventory.get(f"/products?supplier_id={first}")] == [dodol["id"]]
    assert [p["id"] for p in inventory.get("/products?q=batik")] == [batik["id"]]
    own = token("supplier", supplier_id=first)
    assert [p["id"] for p in inventory.get("/products", headers=own)] == [dodol["id"]]
    assert inventory.get(f"/products?supplier_id={second}", headers=own) == [inventory.get(f"/products/{dodol['id']}")]
    inventory.get(f"/products/{batik['id']}", status=404, headers=own)
    inventory.get(f"/products/{batik['id']}/stock", status=404, headers=own)
    inventory.get(f"/products/by-barcode/{batik['barcode']}", status=404, headers=own)


def test_the_supplier_replica_follows_updates_and_ignores_an_older_event_arriving_late(inventory):
    supplier_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    base = {"supplier_id": supplier_id, "name": "Kopi Sukamakmur", "status": "active", "consignment_days": 30}
    inventory.publish("supplier.updated", {**base, "status": "suspended", "shrinkage_borne_by": "centre"}, now)
    inventory.publish("supplier.registered", base, now - timedelta(minutes=5))
    with inventory.runtime.session_factory() as session:
        replica = session.get(SupplierReplica, supplier_id)
        assert (replica.status, replica.shrinkage_borne_by, replica.consignment_days) == ("suspended", "centre", 30)


BAD_PRODUCTS = [
    ({"price": 0}, "price"),
    ({"price": -5}, "price"),
    ({"price": 2500.0}, "price"),
    ({"price": "2500"}, "price"),
    ({"barcode": "4006381333932"}, "barcode"),
    ({"barcode": "40063813339"}, "barcode"),
    ({"barcode": "abcdefghijklm"}, "barcode"),
    ({"category": "elektronik"}, "category"),
    ({"unit": "liter"}, "unit"),
    ({"reorder_point": -1}, "reorder_point"),
    ({"permit_type": "SNI", "permit_number": "123456789012345"}, "permit_type"),
    ({"permit_type": "P-IRT", "permit_number": "2063216-25"}, "permit_number"),
    ({"permit_type": "P-IRT"}, "permit_number"),
    ({"halal_expires_on": "soon"}, "halal_expires_on"),
    ({"name": ""}, "name"),
    ({"supplier_id": "not-a-uuid"}, "supplier_id"),
    ({"supplier_id": str(uuid.uuid4())}, "supplier_id"),
    ({"stock": 10}, "stock"),
]


@pytest.mark.parametrize("change,field", BAD_PRODUCTS, ids=[f for _, f in BAD_PRODUCTS])
def test_a_bad_product_is_a_problem_naming_the_field_and_writes_nothing(inventory, change, field):
    supplier_id = inventory.supplier()
    before = inventory.table_counts()
    body = {
        "name": "Kerupuk Kulit",
        "category": "makanan",
        "unit": "pack",
        "price": 15_000,
        "supplier_id": supplier_id,
        **change,
    }
    response = inventory.client.post("/products", json=body, headers=inventory.manager)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert field in response.json["errors"]
    assert inventory.table_counts() == before


def test_a_duplicate_barcode_or_sku_is_a_conflict_and_writes_nothing(inventory):
    supplier_id = inventory.supplier()
    inventory.product(supplier_id, barcode="4006381333931", sku="DODOL-01")
    before = inventory.table_counts()
    for change, field, code in (
        ({"barcode": "4006381333931"}, "barcode", "barcode_taken"),
        ({"sku": "DODOL-01"}, "sku", "sku_taken"),
    ):
        problem = inventory.post(
            "/products",
            {"name": "Lagi", "category": "makanan", "unit": "pcs", "price": 1000, "supplier_id": supplier_id, **change},
            status=409,
        )
        assert field in problem["errors"] and problem["code"] == code
    assert inventory.table_counts() == before


def test_only_managers_change_the_catalogue(inventory, token):
    supplier_id = inventory.supplier()
    product = inventory.product(supplier_id)
    body = {"name": "X", "category": "makanan", "unit": "pcs", "price": 1000, "supplier_id": supplier_id}
    assert inventory.client.post("/products", json=body).status_code == 401
    for role in ("cashier", "supplier", "service"):
        headers = token(role, supplier_id=supplier_id if role == "supplier" else None)
        assert inventory.client.post("/products", json=body, headers=headers).status_code == 403
        assert (
            inventory.client.patch(f"/products/{product['id']}", json={"price": 1}, headers=headers).status_code == 403
        )
    assert inventory.client.post("/products", json=body, headers=token("admin")).status_code == 201
    assert inventory.get(f"/products/{product['id']}", headers=token("cashier"))["id"] == product["id"]
