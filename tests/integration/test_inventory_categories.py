"""Product categories kept by managers in the inventory service (real database): the list, adding, renaming,
retiring, products choosing from it, and the migration that turned the former fixed list into rows."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from shared.db import make_engine
from shared.migrations import alembic_config


def test_the_former_fixed_categories_are_there_with_their_sku_prefixes(inventory):
    listed = inventory.get("/categories")
    assert [(c["code"], c["name"], c["sku_prefix"], c["requires_expiry"]) for c in listed] == [
        ("fashion", "Fashion", "FSH", False),
        ("kerajinan", "Kerajinan", "KRJ", False),
        ("lainnya", "Lainnya", "LNY", False),
        ("makanan", "Makanan", "MKN", True),
        ("minuman", "Minuman", "MNM", True),
    ]
    cashier = inventory.token("cashier")
    assert len(inventory.get("/categories", headers=cashier)) == 5


def test_a_new_category_takes_products_with_its_sku_series_and_expiry_default(inventory):
    category = inventory.post(
        "/categories", {"name": "Kue Kering & Camilan", "sku_prefix": "KUE", "requires_expiry": True}
    )
    assert category == {
        "code": "kue-kering-camilan",
        "name": "Kue Kering & Camilan",
        "sku_prefix": "KUE",
        "requires_expiry": True,
        "active": True,
    }
    product = inventory.product(inventory.supplier(), name="Nastar Keju", category="kue-kering-camilan")
    assert product["sku"].startswith("KUE-") and product["requires_expiry"] is True


def test_a_category_name_is_unique_and_its_prefix_is_capital_letters(inventory):
    before = inventory.table_counts()
    taken = inventory.client.post(
        "/categories", json={"name": "makanan", "sku_prefix": "MKX"}, headers=inventory.manager
    )
    assert taken.status_code == 409 and taken.json["code"] == "category_name_taken" and "name" in taken.json["errors"]
    bad = inventory.client.post("/categories", json={"name": "Tas", "sku_prefix": "t4"}, headers=inventory.manager)
    assert bad.status_code == 422 and "sku_prefix" in bad.json["errors"]
    cashier = inventory.client.post(
        "/categories", json={"name": "Tas", "sku_prefix": "TAS"}, headers=inventory.token("cashier")
    )
    assert cashier.status_code == 403
    assert inventory.table_counts() == before


def test_a_renamed_category_keeps_its_code_and_a_retired_one_takes_no_new_products(inventory):
    supplier_id = inventory.supplier()
    kept = inventory.product(supplier_id, name="Batik Tulis", category="fashion")
    renamed = inventory.client.patch("/categories/fashion", json={"name": "Busana"}, headers=inventory.manager)
    assert renamed.status_code == 200 and renamed.json["code"] == "fashion" and renamed.json["name"] == "Busana"
    retired = inventory.client.patch("/categories/fashion", json={"active": False}, headers=inventory.manager)
    assert retired.json["active"] is False
    assert [c["code"] for c in inventory.get("/categories?active=true")] == [
        "kerajinan",
        "lainnya",
        "makanan",
        "minuman",
    ]
    refused = inventory.client.post(
        "/products",
        json={"name": "Kebaya", "category": "fashion", "unit": "pcs", "price": 200_000, "supplier_id": supplier_id},
        headers=inventory.manager,
    )
    assert refused.status_code == 422 and refused.json["code"] == "unknown_category"
    assert inventory.get(f"/products/{kept['id']}")["category"] == "fashion"  # products keep their category
    assert (
        inventory.client.patch("/categories/nothing", json={"active": False}, headers=inventory.manager).status_code
        == 404
    )


def test_a_product_moves_to_another_active_category(inventory):
    product = inventory.product(inventory.supplier(), name="Tas Anyaman", category="lainnya")
    moved = inventory.client.patch(
        f"/products/{product['id']}", json={"category": "kerajinan"}, headers=inventory.manager
    )
    assert moved.status_code == 200 and moved.json["category"] == "kerajinan" and moved.json["revision"] == 2
    refused = inventory.client.patch(
        f"/products/{product['id']}", json={"category": "elektronik"}, headers=inventory.manager
    )
    assert refused.status_code == 422 and "category" in refused.json["errors"]


def test_the_migration_makes_a_row_of_every_category_products_already_have(make_database_url):
    url = make_database_url("inventory")
    config = alembic_config("inventory", url)
    command.upgrade(config, "0004")
    engine = make_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for number, category in enumerate(["makanan", "oleh-oleh"]):
            connection.execute(
                sa.text(
                    "INSERT INTO products (id, sku, barcode, gtin, barcode_in_store, name, category, unit, price,"
                    " supplier_id, requires_expiry, reorder_point, active, revision, created_at, updated_at)"
                    " VALUES (:id, :sku, :barcode, :gtin, false, 'Produk', :category, 'pcs', 1000, :supplier, false,"
                    " 0, true, 1, :now, :now)"
                ),
                {
                    "id": f"00000000-0000-4000-8000-00000000000{number}",
                    "sku": f"X-{number}",
                    "barcode": f"200000000000{number}",
                    "gtin": f"0200000000000{number}",
                    "category": category,
                    "supplier": "00000000-0000-4000-8000-0000000000aa",
                    "now": now,
                },
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT code, name, sku_prefix FROM categories ORDER BY code")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("fashion", "Fashion", "FSH"),
        ("kerajinan", "Kerajinan", "KRJ"),
        ("lainnya", "Lainnya", "LNY"),
        ("makanan", "Makanan", "MKN"),
        ("minuman", "Minuman", "MNM"),
        ("oleh-oleh", "Oleh-oleh", "OLE"),
    ]
