"""The gateway's web pages in headless Chromium: each role logs in and lands on its own page, a wrong
password shows the error, pages of other roles redirect, and a page shows the problem when a service is down."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.gateway import accounts, create_app
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in
from tests.support import ServedApp, free_port

pytestmark = pytest.mark.browser

SUPPLIER_ID = "6f1d3c1e-8a51-4a57-9b62-0c2e8c6f0a11"
USERS = [  # username, name, role, password, supplier id
    ("admin", "Admin Sentra", "admin", "admin-pass-1", None),
    ("manajer", "Dewi Manajer", "manager", "manajer-pass-1", None),
    ("kasir", "Rudi Kasir", "cashier", "kasir-pass-1", None),
    ("dodol", "Dodol Mpok Yati", "supplier", "dodol-pass-1", SUPPLIER_ID),
]


@pytest.fixture
def gateway(make_settings):
    """The gateway over real HTTP with a user of each role; no service behind it answers."""
    settings = make_settings("gateway")
    nowhere = {name: f"http://127.0.0.1:{free_port()}" for name in ("inventory", "pos", "suppliers")}
    app = create_app(replace(settings, service_urls={**settings.service_urls, **nowhere}))
    with app.extensions["sentra"].transaction() as session:
        for username, name, role, password, supplier_id in USERS:
            accounts.upsert_user(session, username, name, role, password, supplier_id)
    served = ServedApp(app)
    yield served
    served.stop()


@pytest.mark.parametrize(
    "username, landing", [("kasir", "/cashier"), ("dodol", "/supplier"), ("manajer", "/manager"), ("admin", "/manager")]
)
def test_each_role_logs_in_and_lands_on_its_own_page(gateway, page, username, landing):
    user = next(u for u in USERS if u[0] == username)
    log_in(page, gateway.url, username, user[3])
    page.wait_for_url(f"{gateway.url}{landing}")
    assert user[1] in page.inner_text("[data-testid=who]")
    page.wait_for_load_state("networkidle")
    assert_accessible(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == "sentra_token")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # the token is out of the page scripts' reach


def test_a_wrong_password_shows_the_error_and_stays_on_the_login_page(gateway, page):
    log_in(page, gateway.url, "kasir", "not-the-password")
    error = page.locator("[data-testid=login-error]")
    error.wait_for()
    assert "salah" in error.inner_text()
    assert_accessible(page)
    assert page.url.startswith(f"{gateway.url}/login")
    assert page.input_value("#username") == "kasir"
    assert not any(c["name"] == "sentra_token" for c in page.context.cookies())


def test_a_page_of_another_role_redirects_to_the_users_own_page(gateway, page):
    log_in(page, gateway.url, "kasir", "kasir-pass-1")
    page.wait_for_url(f"{gateway.url}/cashier")
    page.goto(f"{gateway.url}/manager")
    assert page.url == f"{gateway.url}/cashier"
    page.goto(f"{gateway.url}/supplier")
    assert page.url == f"{gateway.url}/cashier"
    page.goto(f"{gateway.url}/")
    assert page.url == f"{gateway.url}/cashier"


def test_without_a_session_a_page_asks_for_login_and_returns_there_afterwards(gateway, page):
    page.goto(f"{gateway.url}/supplier")
    assert page.url.startswith(f"{gateway.url}/login")
    page.fill("#username", "dodol")
    page.fill("#password", "dodol-pass-1")
    page.click("#login-button")
    page.wait_for_url(f"{gateway.url}/supplier")


def test_logging_out_ends_the_session(gateway, page):
    log_in(page, gateway.url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{gateway.url}/manager")
    page.click("text=Keluar")
    page.wait_for_url(f"{gateway.url}/login")
    page.goto(f"{gateway.url}/manager")
    assert page.url.startswith(f"{gateway.url}/login")


def test_the_supplier_page_shows_the_problem_when_the_suppliers_service_is_down(gateway, page):
    log_in(page, gateway.url, "dodol", "dodol-pass-1")
    page.wait_for_url(f"{gateway.url}/supplier")
    assert "Layanan sedang tidak dapat dihubungi" in page.inner_text("#stock .error")
    assert "tidak dapat dihubungi" in page.inner_text("#message")
    assert page.inner_text("#balance [data-key=available]") == "–"
    with page.expect_navigation():
        page.click("[data-testid=language-en]")
    assert "The service cannot be reached right now" in page.inner_text("#stock .error")
    assert page.get_attribute("html", "lang") == "en"


def test_the_cashier_page_says_when_the_counter_service_is_down(gateway, page):
    log_in(page, gateway.url, "kasir", "kasir-pass-1")
    page.wait_for_url(f"{gateway.url}/cashier")
    page.locator("#message").wait_for()
    assert "Layanan sedang tidak dapat dihubungi" in page.inner_text("#message")
    assert page.inner_text("#shift-status") == "Data kasir tidak dapat dimuat."


def test_the_language_switch_is_on_every_page_and_remembered_across_log_ins(gateway, page):
    page.goto(f"{gateway.url}/login")
    page.focus("[data-testid=language-en]")  # a button in a small form: the keyboard reaches and presses it
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("h1") == "Log in"
    log_in(page, gateway.url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{gateway.url}/manager")
    assert page.inner_text("h1") == "Back office"
    page.click("text=Log out")
    page.wait_for_url(f"{gateway.url}/login")
    assert page.inner_text("h1") == "Log in"  # the choice outlives the session
    with page.expect_navigation():
        page.click("[data-testid=language-id]")
    assert page.inner_text("h1") == "Masuk"
