"""Supplier profiles and agreements (with their events), sales by day, and statements as CSV and PDF."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from tests import suppliers_support as ev
from tests.support import assert_openapi_describes_every_endpoint

FULL_PROFILE = {
    "business_name": "Dodol Betawi Mpok Yati",
    "owner_name": "Yati Suryani",
    "phone": "+6281311120001",
    "email": "yati@example.id",
    "address": "Jl. Raya Setu No. 12, Setu, Kab. Bekasi",
    "nib": "1234567890123",
    "npwp": "1234567890123456",
    "pirt_number": "2063216010123456",
    "bank_name": "BRI",
    "bank_account_number": "002101000123567",
    "bank_account_holder": "Yati Suryani",
}


def outbox(suppliers_app) -> list[dict]:
    runtime = suppliers_app.extensions["sentra"]
    with runtime.engine.connect() as conn:
        rows = conn.execute(runtime.messaging.outbox.select().order_by(runtime.messaging.outbox.c.created_at)).all()
    return [{"queue": r.queue, **json.loads(r.envelope)} for r in rows]


def test_registering_with_a_full_profile_and_agreement_emits_supplier_registered_with_its_terms(suppliers_app, token):
    client = suppliers_app.test_client()
    body = {
        **FULL_PROFILE,
        "agreement": {
            "type": "commission",
            "commission_bps": 2500,
            "payout_schedule": "biweekly",
            "minimum_payout": 50_000,
            "holdback_days": 3,
            "shrinkage_borne_by": "centre",
            "consignment_days": 60,
        },
    }
    response = client.post("/suppliers", json=body, headers=token("manager"))
    assert response.status_code == 201, response.json
    supplier = response.json
    assert {k: supplier[k] for k in FULL_PROFILE} == FULL_PROFILE
    assert supplier["status"] == "active"
    assert {
        k: supplier["agreement"][k]
        for k in (
            "commission_bps",
            "payout_schedule",
            "minimum_payout",
            "holdback_days",
            "shrinkage_borne_by",
            "consignment_days",
        )
    } == {
        "commission_bps": 2500,
        "payout_schedule": "biweekly",
        "minimum_payout": 50_000,
        "holdback_days": 3,
        "shrinkage_borne_by": "centre",
        "consignment_days": 60,
    }
    events = outbox(suppliers_app)
    assert sorted(e["queue"] for e in events) == ["inventory", "pos"]
    assert events[0]["type"] == "supplier.registered"
    assert events[0]["payload"] == {
        "supplier_id": supplier["id"],
        "name": "Dodol Betawi Mpok Yati",
        "status": "active",
        "consignment_days": 60,
        "shrinkage_borne_by": "centre",
    }


def test_without_an_agreement_the_default_20_percent_commission_applies(suppliers_app, token):
    client = suppliers_app.test_client()
    supplier = client.post(
        "/suppliers",
        json={k: FULL_PROFILE[k] for k in ("business_name", "owner_name", "phone")},
        headers=token("manager"),
    ).json
    assert (supplier["agreement"]["type"], supplier["agreement"]["commission_bps"]) == ("commission", 2000)
    assert supplier["agreement"]["holdback_days"] == 7 and supplier["agreement"]["consignment_days"] == 90


def test_a_client_supplied_id_makes_a_retried_registration_recognisable(suppliers_app, token):
    client = suppliers_app.test_client()
    body = {"id": ev.new_uuid(), **{k: FULL_PROFILE[k] for k in ("business_name", "owner_name", "phone")}}
    assert client.post("/suppliers", json=body, headers=token("manager")).json["id"] == body["id"]
    again = client.post("/suppliers", json=body, headers=token("manager"))
    assert again.status_code == 409
    assert len(client.get("/suppliers", headers=token("manager")).json) == 1


def test_patching_the_status_emits_supplier_updated_and_new_terms_keep_the_old_ones(suppliers_app, token):
    client = suppliers_app.test_client()
    manager = token("manager")
    supplier_id = client.post("/suppliers", json=FULL_PROFILE, headers=manager).json["id"]
    patched = client.patch(
        f"/suppliers/{supplier_id}", json={"status": "suspended", "phone": "081200000000"}, headers=manager
    )
    assert patched.status_code == 200 and patched.json["status"] == "suspended"
    added = client.post(
        f"/suppliers/{supplier_id}/agreements",
        headers=manager,
        json={"commission_bps": 1500, "consignment_days": 45, "effective_from": "2026-01-01"},
    )
    assert added.status_code == 201
    assert added.json["effective_from"] == "2025-12-31T17:00:00+00:00"  # midnight in Jakarta
    updates = [e for e in outbox(suppliers_app) if e["type"] == "supplier.updated"]
    assert {e["payload"]["status"] for e in updates} == {"suspended"}
    assert updates[-1]["payload"]["consignment_days"] == 45
    assert [a["commission_bps"] for a in client.get(f"/suppliers/{supplier_id}/agreements", headers=manager).json] == [
        2000,
        1500,
    ]
    assert [s["status"] for s in client.get("/suppliers", headers=manager).json] == ["suspended"]


def _history(suppliers_app, client, token) -> tuple[str, str]:
    """Sales in January and February 2026, a refund, a centre-borne write-off, and a payout in February."""
    manager = token("manager")
    supplier_id = client.post("/suppliers", json=FULL_PROFILE, headers=manager).json["id"]
    product_id = ev.new_uuid()
    ev.deliver(
        suppliers_app, "product.upserted", ev.product(supplier_id, product_id, name="Dodol Betawi Original 250 g")
    )
    jan = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    feb = datetime(2026, 2, 3, 20, 0, tzinfo=UTC)  # 4 February 03:00 in Jakarta
    ev.deliver(suppliers_app, "sale.completed", ev.sale([(supplier_id, product_id, 4, 25_000)], completed_at=jan))
    february_sale = ev.sale([(supplier_id, product_id, 2, 25_000)], completed_at=feb, receipt_no="R-0042")
    ev.deliver(suppliers_app, "sale.completed", february_sale)
    ev.deliver(
        suppliers_app, "sale.refunded", ev.refund(february_sale, [(0, 1, 25_000)], refunded_at=feb + timedelta(hours=1))
    )
    ev.deliver(
        suppliers_app,
        "stock.moved",
        ev.moved(
            ev.movement(
                supplier_id,
                product_id,
                "write_off",
                -1,
                unit_price=25_000,
                borne_by="centre",
                reason="kemasan rusak",
                occurred_at=feb + timedelta(hours=2),
            )
        ),
    )
    return supplier_id, product_id


def test_sales_by_product_and_day_are_net_of_refunds_and_use_jakarta_days(suppliers_app, token):
    client = suppliers_app.test_client()
    supplier_id, product_id = _history(suppliers_app, client, token)
    rows = client.get(f"/suppliers/{supplier_id}/sales?from=2026-01-01&to=2026-02-28", headers=token("manager")).json
    assert rows == [
        {
            "day": "2026-01-10",
            "product_id": product_id,
            "product_name": "Dodol Betawi Original 250 g",
            "qty": 4,
            "gross": 100_000,
            "commission": 20_000,
            "share": 80_000,
        },
        {
            "day": "2026-02-04",
            "product_id": product_id,
            "product_name": "Dodol Betawi Original 250 g",
            "qty": 1,
            "gross": 25_000,
            "commission": 5_000,
            "share": 20_000,
        },
    ]


def test_a_csv_statement_has_opening_balance_every_line_and_closing_balance(suppliers_app, token):
    client = suppliers_app.test_client()
    supplier_id, _ = _history(suppliers_app, client, token)
    response = client.get(
        f"/suppliers/{supplier_id}/statements?from=2026-02-01&to=2026-02-28&format=csv", headers=token("manager")
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["kind"], r["qty"], r["gross"], r["commission"], r["share"], r["balance"]) for r in rows] == [
        ("opening_balance", "", "", "", "", "80000"),
        ("sale", "2", "50000", "10000", "40000", "120000"),
        ("refund", "-1", "-25000", "-5000", "-20000", "100000"),
        ("write_off", "1", "25000", "5000", "20000", "120000"),
        ("closing_balance", "", "", "", "", "120000"),
    ]
    assert rows[1]["date"] == "2026-02-04" and rows[1]["reference"] == "R-0042"


def test_a_pdf_statement_is_in_bahasa_indonesia_with_rupiah_amounts(suppliers_app, token):
    client = suppliers_app.test_client()
    supplier_id, _ = _history(suppliers_app, client, token)
    response = client.get(
        "/me/statements?from=2026-02-01&to=2026-02-28&format=pdf", headers=token("supplier", supplier_id=supplier_id)
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for expected in (
        "Laporan Rekening Pemasok",
        "Dodol Betawi Mpok Yati",
        "Periode: 01-02-2026 s.d. 28-02-2026",
        "Saldo awal: Rp80.000",
        "Penjualan",
        "Retur",
        "Penyesuaian",
        "Saldo akhir",
        "Rp120.000",
        "Dodol Betawi Original 250 g",
    ):
        assert expected in text, expected


def test_a_long_statement_spans_several_pdf_pages_and_csv_chunks(suppliers_app, token):
    client = suppliers_app.test_client()
    supplier_id = client.post("/suppliers", json=FULL_PROFILE, headers=token("manager")).json["id"]
    product_id = ev.new_uuid()
    lines = [(supplier_id, product_id, 1, 1_000)] * 50
    for day in range(1, 29):
        ev.deliver(suppliers_app, "sale.completed", ev.sale(lines, completed_at=datetime(2026, 2, day, 5, tzinfo=UTC)))
    pdf = client.get(f"/suppliers/{supplier_id}/statements?from=2026-02-01&to=2026-02-28", headers=token("manager"))
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) > 20
    response = client.get(
        f"/suppliers/{supplier_id}/statements?from=2026-02-01&to=2026-02-28&format=csv",
        headers=token("manager"),
        buffered=False,
    )
    chunks = list(response.response)
    assert len(chunks) >= 2
    rows = list(csv.reader(io.StringIO("".join(c.decode() if isinstance(c, bytes) else c for c in chunks))))
    assert len(rows) == 1 + 1 + 50 * 28 + 1 and rows[-1][-1] == str(50 * 28 * 800)


def test_the_openapi_document_describes_every_endpoint_of_the_service(suppliers_app):
    paths = assert_openapi_describes_every_endpoint(suppliers_app)
    assert "post" in paths["/suppliers"] and "patch" in paths["/suppliers/{supplier_id}"]
