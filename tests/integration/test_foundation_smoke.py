import json

from services.suppliers import create_app


def test_registering_a_supplier_writes_one_outbox_row_per_subscriber(make_settings, token):
    app = create_app(make_settings("suppliers"))
    client = app.test_client()
    response = client.post(
        "/suppliers",
        json={"business_name": "Dodol Ibu Sari", "owner_name": "Sari", "phone": "081234567890"},
        headers=token("manager"),
    )
    assert response.status_code == 201, response.json
    runtime = app.extensions["sentra"]
    with runtime.engine.connect() as conn:
        rows = conn.execute(runtime.messaging.outbox.select()).all()
    assert sorted(r.queue for r in rows) == ["inventory", "pos"]
    assert json.loads(rows[0].envelope)["payload"]["name"] == "Dodol Ibu Sari"


def test_bad_input_is_a_problem_and_writes_nothing(make_settings, token):
    app = create_app(make_settings("suppliers"))
    client = app.test_client()
    response = client.post("/suppliers", json={"business_name": 5, "phone": "x", "extra": 1}, headers=token("manager"))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert set(response.json["errors"]) == {"business_name", "owner_name", "phone", "extra"}
    assert client.get("/nope").status_code == 404
    assert client.get("/nope").content_type == "application/problem+json"
    assert client.post("/suppliers", json={}).status_code == 401
    assert client.post("/suppliers", json={}, headers=token("cashier")).status_code == 403
    r = client.delete("/suppliers", headers=token("manager"))
    assert r.status_code == 405 and r.content_type == "application/problem+json"


def test_every_response_carries_the_security_headers_and_the_docs_work_offline(make_settings):
    """CSP without inline scripts (the docs page alone runs Swagger UI's start-up script), no framing, no
    sniffing; Swagger UI comes from the service itself, not a CDN."""
    from services.inventory import create_app
    from shared.migrations import upgrade

    settings = make_settings("inventory")
    upgrade("inventory", settings.database_url)
    client = create_app(settings).test_client()
    for path in ("/healthz", "/openapi.json", "/products"):
        headers = client.get(path).headers
        assert "script-src 'self';" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"]) == ("DENY", "nosniff")
    docs = client.get("/docs")
    assert "script-src 'self' 'unsafe-inline'" in docs.headers["Content-Security-Policy"]
    page = docs.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in page and "cdn" not in page
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and b"SwaggerUIBundle" in bundle.data
