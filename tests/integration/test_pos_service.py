"""The POS service's own surface: health, OpenAPI document, problem+json for unknown routes and methods."""

from __future__ import annotations

from tests.support import assert_every_endpoint_needs_a_token, assert_openapi_describes_every_endpoint

POS_PUBLIC = {"/qris/callback": "the QRIS provider calls it, signed with the callback secret (no user token)"}


def test_the_pos_service_documents_its_api_and_answers_health_checks(pos):
    assert pos.client.get("/healthz").json["service"] == "pos"
    assert_openapi_describes_every_endpoint(pos.app)
    missing = pos.client.get("/nowhere", headers=pos.cashier)
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    wrong_method = pos.client.delete("/sales", headers=pos.cashier)
    assert wrong_method.status_code == 405 and wrong_method.content_type == "application/problem+json"


def test_every_pos_endpoint_needs_a_token(pos):
    checked = assert_every_endpoint_needs_a_token(pos.app, POS_PUBLIC)
    assert checked >= 30
    supplier = pos.token("supplier", supplier_id="6f0c4bb8-2a3a-4c1e-9d3e-000000000001")
    assert pos.client.get("/catalogue?q=a", headers=supplier).status_code == 403
    assert (
        pos.client.get(
            "/reconciliation/sales?from=2026-11-27T00:00:00Z&to=2026-11-28T00:00:00Z", headers=supplier
        ).status_code
        == 403
    )


def test_the_catalogue_fed_by_product_events_answers_barcode_lookups_and_emits_nothing(pos):
    found = pos.client.get("/catalogue/barcode/8991234500035", headers=pos.cashier)
    assert found.status_code == 200, found.json
    assert (found.json["name"], found.json["price"], found.json["supplier_id"]) == (
        "Batik Tulis Bekasi",
        350_000,
        "6f0c4bb8-2a3a-4c1e-9d3e-000000000002",
    )
    unknown = pos.client.get("/catalogue/barcode/0000000000000", headers=pos.cashier)
    assert unknown.status_code == 404 and unknown.content_type == "application/problem+json"
    counts = pos.row_counts()
    assert counts["catalogue_products"] == 4
    assert counts["sales"] == 0 and counts["outbox"] == 0  # consuming the feed publishes no events
