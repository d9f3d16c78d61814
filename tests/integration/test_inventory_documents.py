"""The inventory service's PDFs open with pypdf and contain what a shelf, a supplier and a pickup need;
its OpenAPI document lists every manager action."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.inventory_support import days_from_today
from tests.support import assert_every_endpoint_needs_a_token, assert_openapi_describes_every_endpoint


def _pdf_text(response) -> tuple[int, str]:
    assert response.status_code == 200, response.get_data()[:300]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_a_label_sheet_shows_name_price_and_barcode_digits_of_each_label(inventory):
    supplier_id = inventory.supplier()
    dodol = inventory.product(
        supplier_id,
        name="Dodol Betawi",
        price=25_000,
        barcode="4006381333931",
        net_weight="250 g",
        permit_type="P-IRT",
        permit_number="2063216010123-25",
    )
    kopi = inventory.product(supplier_id, name="Kopi Robusta", category="minuman", price=1_250_000, barcode="96385074")
    tas = inventory.product(supplier_id, name="Tas Anyaman", category="kerajinan", price=85_000, barcode="036000291452")
    batik = inventory.product(supplier_id, name="Batik Cap", category="fashion", price=150_000)
    response = inventory.client.post(
        "/products/labels.pdf",
        headers=inventory.manager,
        json={
            "items": [
                {"product_id": dodol["id"], "copies": 20},
                {"product_id": kopi["id"], "copies": 2},
                {"product_id": tas["id"]},
                {"product_id": batik["id"], "copies": 2},
            ]
        },
    )
    pages, text = _pdf_text(response)
    assert pages == 2  # 25 labels, 24 a sheet
    for expected in (
        "Dodol Betawi",
        "Rp25.000",
        "Kopi Robusta",
        "Rp1.250.000",
        "Tas Anyaman",
        "Rp85.000",
        "Batik Cap",
        "Rp150.000",
        "P-IRT 2063216010123-25",
        "Netto 250 g",
        dodol["sku"],
    ):
        assert expected in text
    run_together = "".join(text.split())
    for code in ("4006381333931", "96385074", "036000291452", batik["barcode"]):
        assert code in run_together  # the human-readable digits under each bar code
    assert text.count("Dodol Betawi") == 20


def test_a_label_sheet_for_an_unknown_product_is_a_problem(inventory):
    response = inventory.client.post(
        "/products/labels.pdf",
        headers=inventory.manager,
        json={"items": [{"product_id": "6f1c2d3e-1111-4222-8333-944455556666"}]},
    )
    assert response.status_code == 422 and "product_id" in response.json["errors"]["items"]["0"]
    response = inventory.client.post("/products/labels.pdf", headers=inventory.manager, json={"items": []})
    assert response.status_code == 422


def test_the_intake_receipt_lists_number_supplier_lots_and_quantities(inventory, token):
    supplier_id = inventory.supplier("Dodol Ibu Sari")
    dodol = inventory.product(supplier_id, name="Dodol Betawi")
    kerupuk = inventory.product(supplier_id, name="Kerupuk Kulit", price=15_000)
    intake = inventory.intake(
        supplier_id,
        [
            {"product_id": dodol["id"], "qty": 24, "lot_code": "DS-261101", "expiry_date": "2027-03-01"},
            {"product_id": kerupuk["id"], "qty": 12, "lot_code": "KK-261101", "expiry_date": "2027-01-15"},
        ],
        received_on="2026-11-01",
        received_by="Pak Joko",
    )
    pages, text = _pdf_text(inventory.client.get(f"/intakes/{intake['id']}/receipt.pdf", headers=inventory.manager))
    for expected in (
        "Nota Titip",
        intake["number"],
        "Dodol Ibu Sari",
        "01-11-2026",
        "Pak Joko",
        "Dodol Betawi",
        "DS-261101",
        "01-03-2027",
        "24 pcs",
        "Kerupuk Kulit",
        "KK-261101",
        "15-01-2027",
        "12 pcs",
        "36",
    ):
        assert expected in text
    assert "Pengiriman" not in text  # recorded directly, not from an announced delivery
    own = token("supplier", supplier_id=supplier_id)
    assert inventory.client.get(f"/intakes/{intake['id']}/receipt.pdf", headers=own).status_code == 200
    other = token("supplier", supplier_id="6f1c2d3e-1111-4222-8333-944455556666")
    assert inventory.client.get(f"/intakes/{intake['id']}/receipt.pdf", headers=other).status_code == 404


def test_the_intake_receipt_of_an_announced_delivery_prints_the_delivery_number(inventory, token):
    supplier_id = inventory.supplier("Dodol Ibu Sari")
    dodol = inventory.product(supplier_id, name="Dodol Betawi")
    own = token("supplier", supplier_id=supplier_id, user_id="sari")
    line = {"product_id": dodol["id"], "qty": 10, "lot_code": "DS-2612", "expiry_date": days_from_today(90)}
    delivery = inventory.post("/deliveries", {"lines": [line]}, headers=own)
    received = inventory.post(f"/deliveries/{delivery['id']}/receive", {"lines": [{"line_no": 1, "qty": 9}]}, 200)
    assert delivery["number"].startswith("KRM-")
    for headers in (inventory.manager, own):
        _pages, text = _pdf_text(inventory.client.get(f"/intakes/{received['intake_id']}/receipt.pdf", headers=headers))
        assert f"Pengiriman: {delivery['number']}" in text and "DS-2612" in text and "9 pcs" in text


def test_the_return_note_lists_what_was_collected_and_by_whom(inventory):
    supplier_id = inventory.supplier("Keripik Tempe Mak Ijah")
    keripik = inventory.product(supplier_id, name="Keripik Tempe")
    lot = inventory.intake(
        supplier_id, [{"product_id": keripik["id"], "qty": 6, "lot_code": "KT-0925", "expiry_date": days_from_today(3)}]
    )["lines"][0]["lot_id"]
    note = inventory.post(
        "/returns",
        {
            "supplier_id": supplier_id,
            "collected_by": "Mak Ijah",
            "lines": [{"lot_id": lot, "qty": 5, "reason": "near_expiry"}],
        },
    )
    pages, text = _pdf_text(inventory.client.get(f"/returns/{note['id']}/note.pdf", headers=inventory.manager))
    for expected in (
        "Nota Retur",
        note["number"],
        "Keripik Tempe Mak Ijah",
        "Mak Ijah",
        "Keripik Tempe",
        "KT-0925",
        "near_expiry",
        "Bu Manajer",
    ):
        assert expected in text


def test_the_openapi_document_lists_every_manager_action(inventory):
    paths = assert_openapi_describes_every_endpoint(inventory.app)
    write_off = paths["/write-offs"]["post"]
    assert "first-expiry-first-out" in write_off["summary"] + write_off.get("description", "")
    assert inventory.client.get("/docs").status_code == 200


def test_every_inventory_endpoint_needs_a_token(inventory):
    checked = assert_every_endpoint_needs_a_token(inventory.app)
    assert checked >= 30
