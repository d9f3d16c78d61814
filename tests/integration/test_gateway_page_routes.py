"""The gateway's page routes without a browser: the login form, where each role is sent, no open redirect,
and pages that load nothing from outside the gateway."""

from __future__ import annotations

import json
import re

import pytest

from services.gateway import accounts, create_app
from tests.support import SAMPLE_UUID, accounts_made_earlier, issued_earlier, login_form_csrf

SUPPLIER_ID = "6f1d3c1e-8a51-4a57-9b62-0c2e8c6f0a11"


@pytest.fixture
def gateway(make_settings):
    app = create_app(make_settings("gateway"))
    with app.extensions["sentra"].transaction() as session:
        accounts.upsert_user(session, "kasir", "Rudi", "cashier", "kasir-pass-1")
        accounts.upsert_user(session, "dodol", "Dodol", "supplier", "dodol-pass-1", SUPPLIER_ID)
    accounts_made_earlier(app)
    return app


def form_login(client, username, password, next_page=""):
    """Log in with the form as a browser does: the form first (its cookie and CSRF token), then the post."""
    csrf = login_form_csrf(client)
    return client.post(
        "/login", data={"username": username, "password": password, "next": next_page, "csrf_token": csrf}
    )


def test_the_login_form_refuses_a_post_without_its_own_csrf_token(gateway):
    """Login CSRF: another site's page cannot log a browser in (into an account of the attacker's choosing)."""
    credentials = {"username": "kasir", "password": "kasir-pass-1"}
    cross_site = gateway.test_client()  # never saw the form: no form cookie, no token
    refused = cross_site.post("/login", data=credentials)
    assert refused.status_code == 403 and "sentra_token" not in refused.headers.get("Set-Cookie", "")
    assert "Muat ulang halaman" in refused.get_data(as_text=True)  # the sentence, in Indonesian
    as_plain_form = cross_site.post("/api/auth/login", data=json.dumps(credentials), content_type="text/plain")
    assert as_plain_form.status_code == 415  # the JSON login cannot be posted by another site's form either
    other_browser_token = login_form_csrf(gateway.test_client())
    browser = gateway.test_client()
    login_form_csrf(browser)  # this browser has its own form cookie...
    forged = browser.post("/login", data={**credentials, "csrf_token": other_browser_token})
    assert forged.status_code == 403  # ...and a token made for another browser does not match it
    assert browser.get("/cashier").status_code == 302  # not logged in
    assert form_login(browser, "kasir", "kasir-pass-1").status_code == 302
    assert browser.get("/cashier").status_code == 200


def test_the_login_form_sets_the_cookie_and_sends_each_role_to_its_page(gateway):
    for username, page in (("kasir", "/cashier"), ("dodol", "/supplier")):
        client = gateway.test_client()
        response = form_login(client, username, f"{username}-pass-1")
        assert response.status_code == 302 and response.location == page
        assert "HttpOnly" in response.headers["Set-Cookie"]
        assert client.get(page).status_code == 200


@pytest.mark.parametrize(
    "next_page, landing",
    [
        ("/cashier?register=R01", "/cashier?register=R01"),
        ("/manager", "/cashier"),  # not a cashier's page
        ("//evil.example/cashier", "/cashier"),
        ("https://evil.example/cashier", "/cashier"),
    ],
)
def test_after_login_only_a_local_page_of_the_users_role_is_a_destination(gateway, next_page, landing):
    response = form_login(gateway.test_client(), "kasir", "kasir-pass-1", next_page)
    assert response.location == landing


def test_a_wrong_password_renders_the_form_again_with_the_message_and_status(gateway):
    response = form_login(gateway.test_client(), "kasir", "nope-nope")
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.get_data(as_text=True)
    assert "sentra_token" not in response.headers.get("Set-Cookie", "")  # only the form's own cookie


def test_the_login_form_is_rate_limited_too(gateway):
    client = gateway.test_client()
    for _ in range(5):
        form_login(client, "kasir", "nope-nope")
    locked = form_login(client, "kasir", "kasir-pass-1")
    assert locked.status_code == 429 and "Terlalu banyak percobaan" in locked.get_data(as_text=True)


def test_a_page_without_a_session_redirects_to_the_login_with_the_way_back(gateway):
    client = gateway.test_client()
    assert client.get("/supplier").location == "/login?next=/supplier"
    assert client.get("/").location == "/login"


#: Pages anyone may open: logging in, its assets, the icon, the language switch, the counter's service worker.
OPEN_PAGES = (
    "pages.login",
    "pages.logout",
    "pages.static",
    "pages.favicon",
    "pages.choose_language",
    "pages.home",
    "pages.counter_service_worker",  # the counter's service worker script: code, no data
)


def test_every_page_of_the_console_and_portals_sends_a_visitor_without_a_session_to_the_login(gateway):
    """Generated from the url_map, so a new page cannot skip the check."""
    client = gateway.test_client()
    checked = 0
    for rule in gateway.url_map.iter_rules():
        if not rule.endpoint.startswith(("pages.", "console.", "portal.")) or rule.endpoint in OPEN_PAGES:
            continue
        path = re.sub(r"<uuid:\w+>", SAMPLE_UUID, rule.rule)
        path = re.sub(r"<any\(([\w]+)[^>]*>", r"\1", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(path, method=method)
            assert answer.status_code in (302, 303) and answer.location.startswith("/login"), (method, path)
            checked += 1
    assert checked >= 10


def test_the_pages_load_scripts_and_styles_only_from_the_gateway_itself(gateway):
    client = gateway.test_client()
    form_login(client, "kasir", "kasir-pass-1")
    html = client.get("/cashier").get_data(as_text=True) + client.get("/login").get_data(as_text=True)
    assets = [a for a in re.findall(r'(?:src|href)="([^"]+)"', html) if not a.startswith("#")]  # not in-page links
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in {a for a in assets if a.startswith("/assets/")}:
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()


def test_the_logout_button_ends_the_session_not_only_the_cookie(gateway):
    client = gateway.test_client()
    token = client.post("/api/auth/login", json={"username": "kasir", "password": "kasir-pass-1"}).json["token"]
    token = issued_earlier(token)  # issued before the log-out's second
    response = client.post("/logout")
    assert response.status_code == 302 and response.location == "/login"
    assert gateway.test_client().get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
