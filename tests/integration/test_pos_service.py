"""The POS service's own surface: health, OpenAPI document, problem+json for unknown routes and methods."""

from __future__ import annotations

import uuid

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


def test_the_idempotency_key_header_is_declared_on_every_operation_that_takes_it(pos):
    paths = pos.client.get("/openapi.json").json["paths"]
    declaring = {
        (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method != "parameters"
        and any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    assert declaring == {("POST", "/sales"), ("POST", "/refunds")}
    for path in ("/sales", "/refunds"):
        [header] = [p for p in paths[path]["post"]["parameters"] if p["name"] == "Idempotency-Key"]
        assert header["required"] is True and header["schema"] == {"type": "string", "maxLength": 200}
    missing = pos.client.post("/refunds", json={}, headers=pos.cashier)
    assert missing.status_code == 422  # the body is checked first, as before the header was declared
    body = {"receipt_no": "R01", "lines": [{"sale_line_id": str(uuid.uuid4()), "qty": 1}], "reason": "x"}
    body.update(back_to_stock=True, method="cash")
    no_key = pos.client.post("/refunds", json=body, headers=pos.cashier)
    assert no_key.status_code == 400 and no_key.json["code"] == "idempotency_key_missing"
    too_long = pos.client.post("/refunds", json=body, headers={**pos.cashier, "Idempotency-Key": "k" * 201})
    assert too_long.status_code == 400 and "Idempotency-Key" in too_long.json["errors"]


def test_the_documented_sale_is_what_checkout_answers(pos):
    spec = pos.client.get("/openapi.json").json
    schemas = spec["components"]["schemas"]
    documented = spec["paths"]["/sales"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert documented == {"$ref": "#/components/schemas/SaleOut"}
    register_id = pos.ready()
    cash = pos.cash_sale(register_id)
    qris = pos.sell(register_id, [{"barcode": "8991234500028", "qty": 1}], [{"method": "qris", "amount": 15_000}])
    assert set(cash) == set(schemas["SaleOut"]["properties"])
    assert set(cash["lines"][0]) == set(schemas["SaleLineOut"]["properties"])
    assert set(cash["tax"] or {}) <= set(schemas["TaxOut"]["properties"])
    qris_payment = qris.json["payments"][0]
    assert set(qris_payment) == set(schemas["PaymentOut"]["properties"])
    assert set(cash["payments"][0]) == set(schemas["PaymentOut"]["properties"]) - {
        "qris_payload",
        "expires_at",
        "qr_image_url",
        "qr_png_url",
    }
    assert qris_payment["status"] in schemas["PaymentOut"]["properties"]["status"]["enum"]


def test_a_service_refuses_the_session_cookie_and_takes_only_a_bearer_token(pos):
    """Cookies (and their CSRF) belong to the gateway: on its own port a service ignores them."""
    token = pos.cashier["Authorization"].removeprefix("Bearer ")
    pos.client.set_cookie("sentra_token", token)
    refused = pos.client.get("/registers")
    assert refused.status_code == 401 and refused.content_type == "application/problem+json"
    assert pos.client.get("/registers", headers=pos.cashier).status_code == 200
