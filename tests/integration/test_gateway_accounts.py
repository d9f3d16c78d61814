"""Log-in, sessions, user management and the audit log of the gateway, on its real database."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import func, select

from services.gateway import accounts, create_app, rules
from services.gateway.models import LoginAttempt, User
from shared.db import utcnow
from tests.support import (
    TEST_JWT_SECRET,
    accounts_made_earlier,
    assert_every_endpoint_needs_a_token,
    assert_openapi_describes_every_endpoint,
    issued_earlier,
    service_env,
)

SUPPLIER_ID = "6f1d3c1e-8a51-4a57-9b62-0c2e8c6f0a11"
PASSWORDS = {"admin": "admin-pass-1", "manajer": "manajer-pass-1", "kasir": "kasir-pass-1", "dodol": "dodol-pass-1"}


@pytest.fixture
def gateway(make_settings):
    """The gateway app on a fresh database with an admin, a manager, a cashier and a supplier user."""
    app = create_app(make_settings("gateway"))
    with app.extensions["sentra"].transaction() as session:
        accounts.upsert_user(session, "admin", "Admin Sentra", "admin", PASSWORDS["admin"])
        accounts.upsert_user(session, "manajer", "Dewi", "manager", PASSWORDS["manajer"])
        accounts.upsert_user(session, "kasir", "Rudi", "cashier", PASSWORDS["kasir"])
        accounts.upsert_user(session, "dodol", "Dodol Mpok Yati", "supplier", PASSWORDS["dodol"], SUPPLIER_ID)
    accounts_made_earlier(app)
    return app


def login(client, username, password=None, ip="10.0.0.1"):
    return client.post(
        "/api/auth/login",
        json={"username": username, "password": password or PASSWORDS[username]},
        environ_base={"REMOTE_ADDR": ip},
    )


def bearer(client, username) -> dict:
    response = login(client, username)
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def user_count(app) -> int:
    with app.extensions["sentra"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(User))


def test_a_good_password_returns_a_token_naming_the_user_and_sets_an_httponly_lax_cookie(gateway):
    response = login(gateway.test_client(), "kasir")
    assert response.status_code == 200
    body = response.json
    assert body["user"]["username"] == "kasir" and body["user"]["role"] == "cashier"
    assert body["user"]["supplier_id"] is None and body["user"]["name"] == "Rudi"
    claims = jwt.decode(body["token"], TEST_JWT_SECRET, algorithms=["HS256"], issuer="sentra-gateway")
    assert claims["sub"] == body["user"]["id"] and claims["role"] == "cashier" and "supplier_id" not in claims
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"sentra_token={body['token']}") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Cache-Control"] == "no-store"


def test_a_supplier_users_token_carries_its_supplier_id(gateway):
    body = login(gateway.test_client(), "dodol").json
    claims = jwt.decode(body["token"], TEST_JWT_SECRET, algorithms=["HS256"], issuer="sentra-gateway")
    assert claims["role"] == "supplier" and claims["supplier_id"] == SUPPLIER_ID
    assert body["user"]["supplier_id"] == SUPPLIER_ID


def test_usernames_are_not_case_sensitive_at_login(gateway):
    assert login(gateway.test_client(), "KASIR", PASSWORDS["kasir"]).status_code == 200


def test_a_wrong_password_and_an_unknown_user_get_the_same_401_problem(gateway):
    client = gateway.test_client()
    wrong = login(client, "kasir", "not-the-password")
    unknown = login(client, "nobody", "whatever-it-is")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.content_type == "application/problem+json"
        assert response.json["detail"] == "Wrong username or password."
        assert "Set-Cookie" not in response.headers


def test_an_inactive_user_cannot_log_in(gateway):
    client = gateway.test_client()
    manager = bearer(client, "admin")
    kasir_id = client.get("/api/users?role=cashier", headers=manager).json[0]["id"]
    assert client.patch(f"/api/users/{kasir_id}", json={"active": False}, headers=manager).status_code == 200
    refused = login(client, "kasir")
    assert refused.status_code == 403 and refused.json["code"] == "account_inactive"
    assert login(client, "kasir", "a-wrong-password").status_code == 401


def test_five_failures_lock_that_username_from_that_address_with_a_429_even_for_the_right_password(gateway):
    client = gateway.test_client()
    for _ in range(5):
        assert login(client, "kasir", "guess-again").status_code == 401
    locked = login(client, "kasir")
    assert locked.status_code == 429
    assert locked.content_type == "application/problem+json"
    assert 1 <= int(locked.headers["Retry-After"]) <= 300
    assert login(client, "kasir", ip="10.0.0.2").status_code == 200  # another counter
    assert login(client, "manajer").status_code == 200  # another username


def test_the_lock_holds_across_gateway_processes_sharing_the_database(gateway):
    second_worker = create_app(gateway.config["SENTRA_SETTINGS"])
    first, second = gateway.test_client(), second_worker.test_client()
    for client in (first, second, first, second, first):
        assert login(client, "kasir", "guess-again").status_code == 401
    assert login(second, "kasir").status_code == 429


def test_failures_older_than_five_minutes_no_longer_lock_and_are_pruned(gateway):
    long_ago = utcnow() - timedelta(minutes=5, seconds=5)
    with gateway.extensions["sentra"].transaction() as session:
        for _ in range(5):
            session.add(LoginAttempt(username="kasir", client_ip="10.0.0.1", succeeded=False, at=long_ago))
    assert login(gateway.test_client(), "kasir").status_code == 200
    with gateway.extensions["sentra"].session_factory() as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at == long_ago)) == 0


def test_a_successful_login_starts_the_failure_count_again(gateway):
    client = gateway.test_client()
    for _ in range(4):
        login(client, "kasir", "guess-again")
    assert login(client, "kasir").status_code == 200
    for _ in range(4):
        assert login(client, "kasir", "guess-again").status_code == 401
    assert login(client, "kasir").status_code == 200


def test_bad_login_input_is_a_422_problem(gateway):
    client = gateway.test_client()
    response = client.post("/api/auth/login", json={"username": "kasir", "pasword": "x"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"password", "pasword"}


def test_me_answers_for_the_token_or_the_cookie_and_needs_one(gateway):
    client = gateway.test_client()
    assert client.get("/api/auth/me").status_code == 401
    headers = bearer(client, "dodol")
    assert client.get("/api/auth/me", headers=headers).json["supplier_id"] == SUPPLIER_ID
    assert client.get("/api/auth/me").json["username"] == "dodol"  # the cookie set by the login


def test_logging_out_clears_the_cookie_and_ends_the_session_of_the_token(gateway):
    client = gateway.test_client()
    token = login(client, "kasir").json["token"]
    headers = {"Authorization": f"Bearer {issued_earlier(token)}"}  # issued before the log-out's second
    response = client.post("/api/auth/logout", headers=headers)
    assert response.status_code == 204
    assert "sentra_token=;" in response.headers["Set-Cookie"]
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    assert client.get("/api/auth/me", headers=bearer(client, "kasir")).status_code == 200


def test_a_token_signed_with_another_secret_is_refused(gateway):
    forged = jwt.encode(
        {"sub": "x", "role": "admin", "iss": "sentra-gateway", "exp": 2_000_000_000, "iat": 1},
        "another-secret-of-enough-length-123",
        algorithm="HS256",
    )
    response = gateway.test_client().get("/api/users", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.content_type == "application/problem+json"


def test_a_manager_creates_cashier_and_supplier_users_but_not_managers_or_admins(gateway):
    client = gateway.test_client()
    manager = bearer(client, "manajer")
    cashier = client.post(
        "/api/users",
        headers=manager,
        json={"username": "kasir2", "name": "Sinta", "role": "cashier", "password": "kasir2-pass"},
    )
    assert cashier.status_code == 201, cashier.json
    assert cashier.json["role"] == "cashier" and cashier.json["active"] is True and "password" not in cashier.json
    supplier = client.post(
        "/api/users",
        headers=manager,
        json={"username": "kopi", "role": "supplier", "supplier_id": str(uuid.uuid4()), "password": "kopi-pass"},
    )
    assert supplier.status_code == 201
    before = user_count(gateway)
    for role in ("manager", "admin"):
        refused = client.post(
            "/api/users", headers=manager, json={"username": f"new-{role}", "role": role, "password": "strong-pass"}
        )
        assert refused.status_code == 403 and refused.content_type == "application/problem+json"
    assert user_count(gateway) == before
    assert login(client, "kasir2", "kasir2-pass").status_code == 200


def test_an_admin_creates_a_manager(gateway):
    client = gateway.test_client()
    created = client.post(
        "/api/users",
        headers=bearer(client, "admin"),
        json={"username": "manajer2", "role": "manager", "password": "manajer2-pass"},
    )
    assert created.status_code == 201
    assert login(client, "manajer2", "manajer2-pass").json["user"]["role"] == "manager"


def test_cashiers_and_suppliers_may_not_see_or_manage_users(gateway):
    client = gateway.test_client()
    for username in ("kasir", "dodol"):
        headers = bearer(client, username)
        assert client.get("/api/users", headers=headers).status_code == 403
        assert (
            client.post(
                "/api/users", headers=headers, json={"username": "x-user", "role": "cashier", "password": "strong-pass"}
            ).status_code
            == 403
        )
    assert gateway.test_client().get("/api/users").status_code == 401


@pytest.mark.parametrize(
    "body, field",
    [
        ({"username": "pemasok", "role": "supplier", "password": "strong-pass"}, "supplier_id"),
        (
            {"username": "kasir3", "role": "cashier", "password": "strong-pass", "supplier_id": SUPPLIER_ID},
            "supplier_id",
        ),
        ({"username": "kasir3", "role": "cashier", "password": "123"}, "password"),
        ({"username": "Kasir Tiga", "role": "cashier", "password": "strong-pass"}, "username"),
        ({"username": "kasir3", "role": "owner", "password": "strong-pass"}, "role"),
        ({"username": "kasir3", "role": "cashier", "password": "strong-pass", "active": True}, "active"),
        (
            {"username": "kasir3", "role": "cashier", "password": "strong-pass", "supplier_id": "not-a-uuid"},
            "supplier_id",
        ),
    ],
)
def test_bad_user_fields_are_a_422_problem_naming_the_field_and_write_nothing(gateway, body, field):
    client = gateway.test_client()
    before = user_count(gateway)
    response = client.post("/api/users", headers=bearer(client, "admin"), json=body)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert field in response.json["errors"]
    assert user_count(gateway) == before


def test_a_taken_username_is_a_409(gateway):
    client = gateway.test_client()
    response = client.post(
        "/api/users",
        headers=bearer(client, "admin"),
        json={"username": "Kasir", "role": "cashier", "password": "strong-pass"},
    )
    assert response.status_code == 409 and response.json["code"] == "username_taken"


def test_deactivating_a_user_ends_its_sessions_at_once(gateway):
    client = gateway.test_client()
    kasir = bearer(client, "kasir")
    manager = bearer(client, "manajer")
    kasir_id = client.get("/api/auth/me", headers=kasir).json["id"]
    changed = client.patch(f"/api/users/{kasir_id}", headers=manager, json={"active": False})
    assert changed.status_code == 200 and changed.json["active"] is False
    assert client.get("/api/auth/me", headers=kasir).status_code == 401
    assert client.patch(f"/api/users/{kasir_id}", headers=manager, json={"active": True}).status_code == 200
    assert login(client, "kasir").status_code == 200


def test_a_password_reset_replaces_the_old_password(gateway):
    client = gateway.test_client()
    manager = bearer(client, "manajer")
    kasir_id = client.get("/api/users?role=cashier", headers=manager).json[0]["id"]
    assert (
        client.patch(f"/api/users/{kasir_id}", headers=manager, json={"password": "brand-new-pass"}).status_code == 200
    )
    assert login(client, "kasir").status_code == 401
    assert login(client, "kasir", "brand-new-pass").status_code == 200


def test_a_manager_may_not_change_an_admin_promote_a_cashier_relink_a_supplier_login_nor_deactivate_itself(gateway):
    client = gateway.test_client()
    manager = bearer(client, "manajer")
    users = {u["username"]: u["id"] for u in client.get("/api/users", headers=manager).json}
    assert client.patch(f"/api/users/{users['admin']}", headers=manager, json={"active": False}).status_code == 403
    assert client.patch(f"/api/users/{users['kasir']}", headers=manager, json={"role": "manager"}).status_code == 403
    relinked = client.patch(f"/api/users/{users['dodol']}", headers=manager, json={"supplier_id": str(uuid.uuid4())})
    assert relinked.status_code == 403 and relinked.content_type == "application/problem+json"
    assert client.get(f"/api/users/{users['dodol']}", headers=manager).json["supplier_id"] == SUPPLIER_ID
    admin = bearer(client, "admin")
    moved = client.patch(f"/api/users/{users['dodol']}", headers=admin, json={"supplier_id": SUPPLIER_ID})
    assert moved.status_code == 200
    itself = client.patch(f"/api/users/{users['admin']}", headers=admin, json={"active": False})
    assert itself.status_code == 422 and itself.json["code"] == "self_lockout"
    assert client.patch(f"/api/users/{uuid.uuid4()}", headers=admin, json={"active": False}).status_code == 404
    assert client.patch(f"/api/users/{users['kasir']}", headers=admin, json={"active": 0}).status_code == 422


def test_the_audit_log_records_logins_failures_and_user_changes_with_who_did_them(gateway):
    client = gateway.test_client()
    login(client, "kasir", "guess-again")
    admin = bearer(client, "admin")
    created = client.post(
        "/api/users", headers=admin, json={"username": "kasir4", "role": "cashier", "password": "strong-pass"}
    ).json
    client.patch(f"/api/users/{created['id']}", headers=admin, json={"password": "another-pass"})
    entries = client.get("/api/audit", headers=admin).json
    actions = [(e["action"], e["actor_username"], e["target_user_id"]) for e in entries]
    assert ("user.created", "admin", created["id"]) in actions
    assert ("user.changed", "admin", created["id"]) in actions
    assert any(a == "login.succeeded" and who == "admin" for a, who, _ in actions)
    failed = [e for e in entries if e["action"] == "login.failed"]
    assert failed and failed[0]["detail"]["username"] == "kasir" and failed[0]["client_ip"] == "10.0.0.1"
    changed = next(e for e in entries if e["action"] == "user.changed")
    assert changed["detail"] == {"password_reset": True}  # never the password itself
    assert client.get("/api/audit", headers=bearer(client, "kasir")).status_code == 403


def test_the_audit_log_is_filtered_by_who_what_and_when(gateway):
    client = gateway.test_client()
    admin = bearer(client, "admin")
    manager = bearer(client, "manajer")
    client.post(
        "/api/users", headers=manager, json={"username": "kasir5", "role": "cashier", "password": "strong-pass"}
    )
    ids = {u["username"]: u["id"] for u in client.get("/api/users", headers=admin).json}
    by_manager = client.get(f"/api/audit?actor_user_id={ids['manajer']}", headers=admin).json
    assert {e["action"] for e in by_manager} == {"login.succeeded", "user.created"}
    created = client.get("/api/audit?action=user.created", headers=admin).json
    assert {e["action"] for e in created} == {"user.created"}
    assert ("manajer", ids["kasir5"]) in [(e["actor_username"], e["target_user_id"]) for e in created]
    assert len(created) == 5  # the four users of the fixture (by the command line) and kasir5
    now = utcnow()
    later = client.get("/api/audit", headers=admin, query_string={"since": (now + timedelta(hours=1)).isoformat()})
    assert later.status_code == 200 and later.json == []
    earlier = client.get("/api/audit", headers=admin, query_string={"until": (now - timedelta(days=400)).isoformat()})
    assert earlier.json == []
    assert client.get("/api/audit?actor_user_id=someone", headers=admin).status_code == 422


def test_a_cookie_session_must_send_the_csrf_header_for_changes(gateway):
    client = gateway.test_client()
    login(client, "manajer")  # the cookie only
    body = {"username": "kasir5", "role": "cashier", "password": "strong-pass"}
    refused = client.post("/api/users", json=body)
    assert refused.status_code == 401
    assert client.post("/api/users", json=body, headers={"X-Requested-With": "sentra"}).status_code == 201


def test_the_command_line_creates_a_user_once_and_updates_it_when_run_again(gateway):
    settings = gateway.config["SENTRA_SETTINGS"]
    command = [
        sys.executable,
        "-m",
        "services.gateway.accounts",
        "create-user",
        "--username",
        "kue",
        "--name",
        "Kue Kering Bu Ratna",
        "--role",
        "supplier",
        "--supplier-id",
        SUPPLIER_ID,
        "--password",
        "kue-pass-1",
    ]
    first = subprocess.run(command, env=service_env(settings), capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created supplier kue")
    again = subprocess.run(command[:-1] + ["kue-pass-2"], env=service_env(settings), capture_output=True, text=True)
    assert again.returncode == 0 and again.stdout.startswith("updated supplier kue")
    client = gateway.test_client()
    assert login(client, "kue", "kue-pass-1").status_code == 401
    body = login(client, "kue", "kue-pass-2").json
    assert body["user"]["supplier_id"] == SUPPLIER_ID and body["user"]["name"] == "Kue Kering Bu Ratna"
    assert [u["username"] for u in client.get("/api/users", headers=bearer(client, "admin")).json].count("kue") == 1
    bad = subprocess.run(
        command[:9] + ["--password", "kue-pass-2"], env=service_env(settings), capture_output=True, text=True
    )
    assert bad.returncode == 2 and "supplier" in bad.stderr


def test_a_log_out_in_the_same_second_as_the_login_still_ends_that_session(gateway):
    client = gateway.test_client()
    headers = bearer(client, "kasir")
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_password_spraying_from_one_address_is_throttled_across_usernames(gateway):
    """Twenty failures from one address lock it out whatever the usernames; another address is untouched."""
    client = gateway.test_client()
    for n in range(rules.ADDRESS_FAILURE_LIMIT):
        assert login(client, f"tebak{n}", "sandi-tebakan", ip="10.9.9.9").status_code == 401
    sprayed = login(client, "kasir", ip="10.9.9.9")
    assert sprayed.status_code == 429 and int(sprayed.headers["Retry-After"]) > 0
    assert login(client, "kasir", ip="10.0.0.2").status_code == 200


def test_a_manager_gets_a_short_single_purpose_approval_grant_only_while_logged_in(gateway):
    client = gateway.test_client()
    manager = bearer(client, "manajer")
    made = client.post("/api/auth/grants", headers=manager, json={"purpose": "refund"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    claims = jwt.decode(made.json["grant"], TEST_JWT_SECRET, algorithms=["HS256"], issuer="sentra-gateway")
    assert claims["grant"] == "refund" and claims["exp"] - claims["iat"] <= 120
    as_login = client.get("/api/auth/me", headers={"Authorization": f"Bearer {made.json['grant']}"})
    assert as_login.status_code == 401  # a grant is not a login token
    cashier = bearer(client, "kasir")
    assert client.post("/api/auth/grants", headers=cashier, json={"purpose": "refund"}).status_code == 403
    assert client.post("/api/auth/grants", headers=manager, json={"purpose": "anything"}).status_code == 422
    assert client.post("/api/auth/logout", headers=manager).status_code == 204
    assert client.post("/api/auth/grants", headers=manager, json={"purpose": "refund"}).status_code == 401


GATEWAY_PUBLIC = {
    "/api/auth/login": "where a token is obtained",
    "/api/auth/logout": "clears the cookie; with a token it also ends that session",
}
#: Web pages (the pages, console and portal blueprints) answer a browser without a session with a redirect to /login;
#: tests/integration/test_gateway_page_routes.py checks that for every one of them.
PAGE_BLUEPRINTS = ("pages.", "console.", "portal.")


def test_every_gateway_api_endpoint_needs_a_token_and_is_described_in_its_openapi(gateway):
    pages = {
        rule.rule: "a web page (redirects to /login without a session)"
        for rule in gateway.url_map.iter_rules()
        if rule.endpoint.startswith(PAGE_BLUEPRINTS)
    }
    proxied = {
        rule: "forwarded as it comes (a bad or ended token is refused); the service behind checks for a token"
        for rule in ("/api/<service>", "/api/<service>/<path:path>")
    }
    assert assert_every_endpoint_needs_a_token(gateway, {**GATEWAY_PUBLIC, **pages, **proxied}) >= 6
    assert_openapi_describes_every_endpoint(gateway, {**GATEWAY_PUBLIC, **pages, **proxied})
