"""``/api/<service>/...`` through the gateway to services served over real HTTP: the real suppliers app, and an
echo service that reports what reached it (to check what the gateway forwards on the wire)."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

import pytest
import requests
from flask import Flask, Response, jsonify, request

from services.gateway import accounts, create_app, proxy
from shared.auth import verify_access_token
from tests.support import TEST_JWT_SECRET, ServedApp, eventually, free_port


def echo_app() -> Flask:
    app = Flask("echo")

    @app.route("/readyz")
    def readyz():
        return jsonify(status="ready")

    @app.route("/echo/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo(rest):
        return jsonify(
            method=request.method,
            path=request.path,
            query=request.query_string.decode(),
            body=request.get_data(as_text=True),
            headers=dict(request.headers),
        ), 207

    @app.route("/download.csv")
    def download():
        def rows():
            yield "id,amount\n"
            for n in range(2000):
                yield f"{n},{n * 1000}\n"

        return Response(
            rows(), mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="laporan.csv"'}
        )

    @app.route("/slow")
    def slow():
        time.sleep(2)
        return jsonify(late=True)

    return app


@pytest.fixture
def gateway_overrides() -> dict:
    """Settings of the gateway on top of the test defaults (a test parametrizes this)."""
    return {}


@pytest.fixture
def stack(make_settings, gateway_overrides):
    """A gateway whose ``suppliers`` is the real suppliers app, ``inventory`` the echo service and ``pos`` a
    port where nothing listens."""
    from services.suppliers import create_app as suppliers_app

    suppliers_settings = make_settings("suppliers")
    suppliers = ServedApp(suppliers_app(suppliers_settings))
    echo = ServedApp(echo_app())
    urls = {"suppliers": suppliers.url, "inventory": echo.url, "pos": f"http://127.0.0.1:{free_port()}"}
    gateway_settings = make_settings("gateway")
    gateway = create_app(
        replace(gateway_settings, service_urls={**gateway_settings.service_urls, **urls}, **gateway_overrides)
    )
    with gateway.extensions["sentra"].transaction() as session:
        accounts.upsert_user(session, "manajer", "Dewi", "manager", "manajer-pass-1")
        accounts.upsert_user(session, "kasir", "Rudi", "cashier", "kasir-pass-1")
    yield gateway, urls, echo
    suppliers.stop()
    echo.stop()


def bearer(client, username) -> dict:
    response = client.post("/api/auth/login", json={"username": username, "password": f"{username}-pass-1"})
    return {"Authorization": f"Bearer {response.json['token']}"}


DODOL = {"business_name": "Dodol Betawi Mpok Yati", "owner_name": "Yati Suryani", "phone": "081311120001"}


def test_a_manager_registers_and_reads_a_supplier_through_the_gateway(stack):
    gateway, _, _ = stack
    client = gateway.test_client()
    manager = bearer(client, "manajer")
    created = client.post("/api/suppliers/suppliers", json=DODOL, headers=manager)
    assert created.status_code == 201, created.json
    assert created.content_type == "application/json"
    assert created.json["business_name"] == DODOL["business_name"]
    read = client.get(f"/api/suppliers/suppliers/{created.json['id']}", headers=manager)
    assert read.status_code == 200 and read.json["id"] == created.json["id"]


def test_the_services_problems_pass_through_with_their_status_and_fields(stack):
    gateway, _, _ = stack
    client = gateway.test_client()
    bad = client.post(
        "/api/suppliers/suppliers", json={"business_name": 5, "extra": 1}, headers=bearer(client, "manajer")
    )
    assert bad.status_code == 422
    assert bad.content_type == "application/problem+json"
    assert {"business_name", "owner_name", "phone", "extra"} <= set(bad.json["errors"])
    forbidden = client.post("/api/suppliers/suppliers", json=DODOL, headers=bearer(client, "kasir"))
    assert forbidden.status_code == 403 and forbidden.content_type == "application/problem+json"
    missing = client.get(f"/api/suppliers/suppliers/{uuid.uuid4()}", headers=bearer(client, "manajer"))
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"


def test_a_request_without_a_token_reaches_the_service_which_answers_401(stack):
    gateway, _, _ = stack
    response = gateway.test_client().get("/api/suppliers/suppliers")
    assert response.status_code == 401 and response.content_type == "application/problem+json"


def test_method_path_query_body_and_headers_are_forwarded_with_the_callers_token(stack):
    gateway, _, _ = stack
    client = gateway.test_client()
    manager = bearer(client, "manajer")
    response = client.patch(
        "/api/inventory/echo/products/8991234500010?from=2026-11-01&to=2026-11-30",
        data='{"price": 27500}',
        headers={
            **manager,
            "Content-Type": "application/json",
            "Idempotency-Key": "key-1",
            "X-Request-ID": "req-from-the-till",
            "Cookie": "other=1",
        },
    )
    assert response.status_code == 207
    seen = response.json
    assert seen["method"] == "PATCH"
    assert seen["path"] == "/echo/products/8991234500010"
    assert seen["query"] == "from=2026-11-01&to=2026-11-30"
    assert seen["body"] == '{"price": 27500}'
    assert seen["headers"]["Content-Type"] == "application/json"
    assert seen["headers"]["Idempotency-Key"] == "key-1"
    assert seen["headers"]["X-Request-Id"] == "req-from-the-till"
    forwarded = seen["headers"]["Authorization"].removeprefix("Bearer ")
    assert forwarded != manager["Authorization"].removeprefix("Bearer ")  # the login token never reaches a service
    assert verify_access_token(TEST_JWT_SECRET, forwarded).name == "Dewi"
    assert "Cookie" not in seen["headers"]
    assert response.headers["X-Request-ID"] == "req-from-the-till"


def test_a_request_id_is_made_when_the_caller_sent_none(stack):
    gateway, _, _ = stack
    response = gateway.test_client().get("/api/inventory/echo/x", headers=bearer(gateway.test_client(), "kasir"))
    made = response.json["headers"]["X-Request-Id"]
    assert uuid.UUID(made) and response.headers["X-Request-ID"] == made


def test_the_session_cookie_becomes_an_access_token_for_the_service(stack):
    gateway, _, _ = stack
    client = gateway.test_client()
    token = client.post("/api/auth/login", json={"username": "manajer", "password": "manajer-pass-1"}).json["token"]
    seen = client.get("/api/inventory/echo/stock").json
    forwarded = seen["headers"]["Authorization"].removeprefix("Bearer ")
    assert forwarded != token and verify_access_token(TEST_JWT_SECRET, forwarded).name == "Dewi"
    assert client.post("/api/suppliers/suppliers", json=DODOL).status_code == 401  # no CSRF header
    created = client.post("/api/suppliers/suppliers", json=DODOL, headers={"X-Requested-With": "sentra"})
    assert created.status_code == 201


def test_an_invalid_or_ended_session_is_refused_at_the_gateway(stack):
    gateway, _, _ = stack
    client = gateway.test_client()
    garbage = client.get("/api/inventory/echo/x", headers={"Authorization": "Bearer not-a-token"})
    assert garbage.status_code == 401 and garbage.content_type == "application/problem+json"
    kasir, manager = bearer(client, "kasir"), bearer(client, "manajer")
    kasir_id = client.get("/api/users?role=cashier", headers=manager).json[0]["id"]
    client.patch(f"/api/users/{kasir_id}", json={"active": False}, headers=manager)
    assert client.get("/api/inventory/echo/x", headers=kasir).status_code == 401


def test_a_download_streams_through_with_its_content_disposition(stack):
    gateway, _, _ = stack
    response = gateway.test_client().get("/api/inventory/download.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="laporan.csv"'
    assert response.content_type.startswith("text/csv")
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "id,amount" and lines[-1] == "1999,1999000" and len(lines) == 2001


def test_a_service_that_does_not_answer_is_a_502_problem(stack):
    gateway, _, _ = stack
    client = gateway.test_client()
    response = client.get("/api/pos/registers", headers=bearer(client, "kasir"))
    assert response.status_code == 502
    assert response.content_type == "application/problem+json"
    assert response.json["service"] == "pos"


def test_a_service_that_answers_too_late_is_a_504_problem(stack, monkeypatch):
    gateway, _, _ = stack
    monkeypatch.setattr(proxy, "READ_TIMEOUT_SECONDS", 0.5)
    response = gateway.test_client().get("/api/inventory/slow")
    assert response.status_code == 504 and response.content_type == "application/problem+json"


def test_an_unknown_service_or_a_dot_dot_path_is_a_404_problem(stack):
    gateway, _, _ = stack
    client = gateway.test_client()
    for path in ("/api/gateway/users", "/api/ledger/x", "/api/inventory/../readyz"):
        response = client.get(path)
        assert response.status_code == 404 and response.content_type == "application/problem+json", path


def test_readiness_reports_each_service_and_is_200_only_when_all_are_ready(stack):
    gateway, urls, echo = stack
    client = gateway.test_client()
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    checks = not_ready.json["checks"]
    assert checks["suppliers"] == "ok" and checks["inventory"] == "ok" and checks["pos"].startswith("error")
    assert checks["database"] == "ok" and checks["redis"] == "ok"
    all_up = create_app(
        replace(
            gateway.config["SENTRA_SETTINGS"],
            service_urls={**gateway.config["SENTRA_SETTINGS"].service_urls, "pos": echo.url},
        )
    )
    ready = all_up.test_client().get("/readyz")
    assert ready.status_code == 200, ready.json
    assert set(ready.json["checks"]) == {"database", "redis", "inventory", "pos", "suppliers"}


def test_the_gateway_is_served_over_real_http_too(stack):
    gateway, _, _ = stack
    served = ServedApp(gateway)
    try:
        session = requests.Session()
        token = session.post(
            f"{served.url}/api/auth/login", json={"username": "manajer", "password": "manajer-pass-1"}
        ).json()["token"]
        created = session.post(
            f"{served.url}/api/suppliers/suppliers", json=DODOL, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201 and created.json()["phone"] == DODOL["phone"]
    finally:
        served.stop()


def test_in_production_metrics_and_api_docs_are_not_served_through_the_public_gateway(stack):
    gateway, urls, _ = stack
    settings = gateway.extensions["sentra"].settings
    public = create_app(replace(settings, environment="production")).test_client()
    for path in ("/metrics", "/docs", "/openapi.json", "/api/suppliers/metrics", "/api/inventory/docs"):
        hidden = public.get(path)
        assert hidden.status_code == 404 and hidden.content_type == "application/problem+json", path
    assert public.get("/healthz").status_code == 200
    assert gateway.test_client().get("/openapi.json").status_code == 200  # development keeps them at hand


#: A short access-token life, so the bound is seen passing (the default is two minutes).
ACCESS_SECONDS = 2


@pytest.mark.parametrize("gateway_overrides", [{"access_token_seconds": ACCESS_SECONDS}])
def test_a_service_on_its_own_port_refuses_logged_out_and_deactivated_users_within_the_access_token_life(stack):
    gateway, urls, _ = stack
    client = gateway.test_client()
    manager, kasir = bearer(client, "manajer"), bearer(client, "kasir")
    suppliers = f"{urls['suppliers']}/suppliers"  # the suppliers service itself, not the gateway

    def minted_for(login: dict) -> dict:
        """The access token the gateway forwards for this session (as the echo service received it)."""
        return {"Authorization": client.get("/api/inventory/echo/x", headers=login).json["headers"]["Authorization"]}

    for login in (manager, kasir):
        assert requests.get(suppliers, headers=login, timeout=5).status_code == 401  # a login token, live or not
    manager_access, kasir_access = minted_for(manager), minted_for(kasir)
    assert requests.get(suppliers, headers=manager_access, timeout=5).status_code == 200
    assert requests.get(suppliers, headers=kasir_access, timeout=5).status_code == 403  # known, not allowed

    assert client.post("/api/auth/logout", headers=manager).status_code == 204
    kasir_id = client.get("/api/users?role=cashier", headers=bearer(client, "manajer")).json[0]["id"]
    deactivated = client.patch(f"/api/users/{kasir_id}", json={"active": False}, headers=bearer(client, "manajer"))
    assert deactivated.status_code == 200
    ended = time.monotonic()
    for login in (manager, kasir):
        assert client.get("/api/suppliers/suppliers", headers=login).status_code == 401  # the gateway: at once
        assert requests.get(suppliers, headers=login, timeout=5).status_code == 401
    eventually(
        lambda: (
            requests.get(suppliers, headers=manager_access, timeout=5).status_code == 401
            and requests.get(suppliers, headers=kasir_access, timeout=5).status_code == 401
        ),
        timeout=ACCESS_SECONDS + 2,
        message="the service refuses the ended sessions' last access tokens",
    )
    assert time.monotonic() - ended <= ACCESS_SECONDS + 2
