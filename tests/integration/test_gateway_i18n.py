"""The gateway's languages, formats, problem sentences and CSRF tokens, without a browser."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from services.gateway import accounts, create_app, i18n, problems
from services.gateway.backend import ServiceProblem
from tests.support import login_form_csrf

GATEWAY = Path(__file__).resolve().parents[2] / "services" / "gateway"


@pytest.fixture
def gateway(make_settings):
    app = create_app(make_settings("gateway"))
    with app.extensions["sentra"].transaction() as session:
        accounts.upsert_user(session, "manajer", "Dewi", "manager", "manajer-pass-1")
    return app


def logged_in(app):
    client = app.test_client()
    csrf = login_form_csrf(client)
    client.post("/login", data={"username": "manajer", "password": "manajer-pass-1", "csrf_token": csrf})
    return client


def test_money_and_moments_read_the_indonesian_way_and_the_english_way(gateway):
    moment = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)
    with gateway.test_request_context("/"):
        assert i18n.rupiah(1_250_000) == "Rp1.250.000" and i18n.rupiah(-5_000) == "-Rp5.000"
        assert i18n.moment(moment) == "30 Nov 2026 14.05 WIB"
        assert i18n.percent_of_bps(1250) == "12,5 %"
    with gateway.test_request_context("/", headers={"Cookie": f"{i18n.LANGUAGE_COOKIE}=en"}):
        assert i18n.rupiah(1_250_000) == "Rp1,250,000"
        assert i18n.moment(moment) == "30 Nov 2026 14:05 WIB"


def page_csrf(client, path: str) -> str:
    """The CSRF token the forms of the page at ``path`` carry (the language switch's among them)."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'class="language-switch">\s*<input type="hidden" name="csrf_token" value="([^"]*)"', html)
    return found.group(1)


def switch_language(client, code: str, next_page: str, csrf: str | None = None):
    """The language switch of the page ``next_page``, as its form posts it."""
    token = page_csrf(client, next_page) if csrf is None else csrf
    return client.post(f"/language/{code}", data={"csrf_token": token, "next": next_page})


def test_the_language_switch_is_remembered_and_pages_follow_it(gateway):
    client = gateway.test_client()
    assert "Nama pengguna" in client.get("/login").get_data(as_text=True)
    assert page_csrf(client, "/login") == login_form_csrf(client)  # logged out: the login form's own token
    switched = switch_language(client, "en", "/login")
    assert switched.status_code == 302 and switched.location == "/login"
    assert "sentra_lang=en" in switched.headers["Set-Cookie"] and "Max-Age=31536000" in switched.headers["Set-Cookie"]
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html and "Username" in html and "Nama pengguna" not in html
    unknown = switch_language(client, "fr", "//evil.example", csrf=page_csrf(client, "/login"))
    assert unknown.location == "/" and "Set-Cookie" not in unknown.headers  # nothing chosen, no open redirect


def test_the_language_switch_changes_nothing_by_a_get_or_without_its_token(gateway):
    """Choosing a language changes what is remembered, so it is a POST carrying the page's CSRF token: a link
    or a form of another site cannot change a visitor's or a user's language."""
    visitor = gateway.test_client()
    assert visitor.get("/language/en?next=/login").status_code == 405
    for token in ("", "forged"):
        refused = switch_language(visitor, "en", "/login", csrf=token)
        assert refused.status_code == 403 and "Set-Cookie" not in refused.headers
        assert "Formulir ini sudah kedaluwarsa" in refused.get_data(as_text=True)
    assert heading_language(visitor, "/login") == "id"

    user = gateway.test_client()
    login_token = login_form_csrf(user)
    user.post("/login", data={"username": "manajer", "password": "manajer-pass-1", "csrf_token": login_token})
    assert page_csrf(user, "/manager") not in ("", login_token)
    for token in ("", "forged", login_token):  # the login form's token is not the session's
        refused = switch_language(user, "en", "/manager", csrf=token)
        assert refused.status_code == 403 and "Set-Cookie" not in refused.headers
    assert user.get("/language/en?next=/manager").status_code == 405
    assert heading_language(user, "/manager") == "id"
    with gateway.extensions["sentra"].transaction() as session:
        assert [u["language"] for u in accounts.list_users(session)] == [None]
    assert switch_language(user, "en", "/manager").location == "/manager"
    assert heading_language(user, "/manager") == "en"


def log_in_as(client, username: str, password: str) -> None:
    csrf = login_form_csrf(client)
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf})
    assert answer.status_code == 302, answer.get_data(as_text=True)


def log_out(client) -> None:
    assert client.post("/logout").status_code == 302


def heading_language(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return html.split('<html lang="')[1].split('"')[0]


def test_each_user_gets_their_own_language_after_logging_in_on_a_shared_browser(gateway):
    """The switch is remembered on the account: two managers taking turns on one browser each get their own
    language back at log-in, whatever the other chose last; the cookie is only the logged-out visitor's."""
    with gateway.extensions["sentra"].transaction() as session:
        accounts.upsert_user(session, "budi", "Budi", "manager", "budi-pass-1")
    browser = gateway.test_client()
    log_in_as(browser, "manajer", "manajer-pass-1")
    assert heading_language(browser, "/manager") == "id"
    switch_language(browser, "en", "/manager")
    assert heading_language(browser, "/manager") == "en"
    log_out(browser)
    assert heading_language(browser, "/login") == "en"  # the browser's last choice, for whoever comes next

    log_in_as(browser, "budi", "budi-pass-1")
    assert heading_language(browser, "/manager") == "en"  # Budi never chose: the browser's language
    switch_language(browser, "id", "/manager")
    assert heading_language(browser, "/manager") == "id"
    log_out(browser)

    log_in_as(browser, "manajer", "manajer-pass-1")
    assert heading_language(browser, "/manager") == "en"  # Dewi's own choice, not the browser's last one
    log_out(browser)
    assert heading_language(browser, "/login") == "en"  # applied at log-in: the login page follows her
    log_in_as(browser, "budi", "budi-pass-1")
    assert heading_language(browser, "/manager") == "id"

    elsewhere = gateway.test_client()  # Dewi on another device: her language follows her
    log_in_as(elsewhere, "manajer", "manajer-pass-1")
    assert heading_language(elsewhere, "/manager") == "en"
    assert heading_language(browser, "/manager") == "id"
    with gateway.extensions["sentra"].transaction() as session:
        languages = {u["username"]: u["language"] for u in accounts.list_users(session)}
    assert languages == {"manajer": "en", "budi": "id"}


def test_a_problem_code_and_its_field_errors_become_indonesian_sentences(gateway):
    problem = ServiceProblem(
        422,
        {
            "code": "invalid_intake_lines",
            "errors": {"lines": {"1": {"expiry_date": ["Required for this product."]}, "0": {"qty": ["Weird."]}}},
        },
        "inventory",
    )
    with gateway.test_request_context("/"):
        assert problems.sentence(problem).startswith("Beberapa baris penerimaan tidak sah")
        assert problems.field_errors(problem.errors) == {
            "lines.1.expiry_date": ["Wajib untuk produk ini."],
            "lines.0.qty": ["Isian ini tidak sah."],  # an unknown English message never reaches the page
        }
        assert problems.field_sentence("Must be between 0 and 1000000000000 rupiah.") == "Harus nol rupiah atau lebih."
        unreachable = ServiceProblem(502, {"code": "service_unreachable"}, "suppliers")
        assert problems.sentence(unreachable) == "Layanan sedang tidak dapat dihubungi. Coba lagi sebentar lagi."
        assert problems.sentence(ServiceProblem(409, {"detail": "run is approved"}, "suppliers")).startswith("Tindakan")


def test_a_page_form_needs_the_sessions_csrf_token(gateway):
    client = logged_in(gateway)
    refused = client.post("/manager/payouts", data={"cutoff_date": "2026-11-30"})
    assert refused.status_code == 403 and "Formulir ini sudah kedaluwarsa" in refused.get_data(as_text=True)
    page = client.get("/manager/suppliers").get_data(as_text=True)  # the services are not running here...
    token = client.get("/manager").get_data(as_text=True).split('"X-CSRF-Token": "')[1].split('"')[0]
    accepted = client.post("/manager/payouts", data={"cutoff_date": "2026-11-30", "csrf_token": token})
    assert accepted.status_code == 502  # ... so the form got through to the suppliers service, which is down
    assert "Layanan sedang tidak dapat dihubungi" in accepted.get_data(as_text=True)
    assert "Layanan sedang tidak dapat dihubungi" in page
    wrong = client.post("/manager/payouts", data={"cutoff_date": "2026-11-30", "csrf_token": token[::-1]})
    assert wrong.status_code == 403


def test_every_message_of_the_sources_has_an_indonesian_translation(tmp_path):
    """The catalogue is complete: extracting the sources again finds no message the id catalogue lacks, and
    none of its entries is empty or fuzzy."""
    extracted = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(GATEWAY / "babel.cfg")]
        + ["--no-location", "-o", str(extracted), str(GATEWAY)],
        capture_output=True,
        check=True,
    )
    pot = extracted.read_bytes()
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(io.BytesIO(pot)) if m.id}
    with (GATEWAY / "translations" / "id" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale="id")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and "fuzzy" not in m.flags and (m.string if isinstance(m.string, str) else all(m.string))
    }
    assert wanted - translated == set()
