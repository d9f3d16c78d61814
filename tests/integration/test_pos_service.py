"""The POS service's own surface: health, OpenAPI document, problem+json for unknown routes and methods."""

from __future__ import annotations


def test_the_pos_service_documents_its_api_and_answers_health_checks(pos):
    assert pos.client.get("/healthz").json["service"] == "pos"
    paths = pos.client.get("/openapi.json").json["paths"]
    for path in (
        "/sales",
        "/refunds",
        "/registers",
        "/shifts",
        "/catalogue/barcode/{barcode}",
        "/qris/callback",
        "/receipts/{receipt_no}",
        "/reports/daily",
        "/reconciliation/sales",
        "/reconciliation/refunds",
        "/outlets/{outlet_id}/settings",
        "/shifts/{shift_id}/close",
    ):
        assert path in paths, path
    missing = pos.client.get("/nowhere", headers=pos.cashier)
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    wrong_method = pos.client.delete("/sales", headers=pos.cashier)
    assert wrong_method.status_code == 405 and wrong_method.content_type == "application/problem+json"


def test_every_pos_endpoint_needs_a_token(pos):
    for method, path in (
        ("get", "/registers"),
        ("post", "/shifts"),
        ("get", "/catalogue?q=a"),
        ("get", "/catalogue/barcode/1"),
        ("post", "/sales"),
        ("post", "/refunds"),
        ("get", "/reports/daily?date=2026-11-27"),
        ("get", "/audit"),
        ("get", "/reconciliation/sales?from=2026-11-27T00:00:00Z&to=2026-11-28T00:00:00Z"),
        ("get", "/receipts/R01-20261127-0001"),
    ):
        response = getattr(pos.client, method)(path, json={})
        assert response.status_code == 401, (method, path)
    supplier = pos.token("supplier", supplier_id="6f0c4bb8-2a3a-4c1e-9d3e-000000000001")
    assert pos.client.get("/catalogue?q=a", headers=supplier).status_code == 403
    assert (
        pos.client.get(
            "/reconciliation/sales?from=2026-11-27T00:00:00Z&to=2026-11-28T00:00:00Z", headers=supplier
        ).status_code
        == 403
    )


def test_the_counter_helper_starts_with_a_catalogue_and_no_sales(pos):
    counts = pos.row_counts()
    assert counts["catalogue_products"] == 4
    assert counts["sales"] == 0 and counts["outbox"] == 0
