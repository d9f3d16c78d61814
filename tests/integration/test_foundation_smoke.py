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
