"""The web pages: log-in, the language switch, each role's home page (cashier → ``/cashier``, supplier →
``/supplier``, manager and admin → ``/manager``, whose other pages are in :mod:`services.gateway.console`).

A page asked for by another role redirects to that role's own page, and without a session to ``/login``.
The cashier's page and the manager's overview are scripts calling ``/api/...``; the supplier's portal is
rendered here from the suppliers and inventory services (phone first, no script needed), its forms are in
:mod:`services.gateway.portal`.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Response,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from services.gateway import accounts, errors, i18n, problems, rules
from services.gateway.backend import ServiceProblem, call
from services.gateway.counter import counter_strings
from services.gateway.sessions import (
    CsrfRejected,
    acting_user,
    clear_session_cookie,
    identify,
    login_form_csrf,
    login_form_csrf_satisfied,
    optional_caller,
    presented_token,
    set_session_cookie,
    start_session,
)
from shared import business_time
from shared.auth import TOKEN_LIFETIME, Unauthorized
from shared.runtime import current_runtime

blp = Blueprint("pages", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")

ROLE_OF_PAGE = {
    "cashier": {"cashier"},
    "customer_display": {"cashier"},
    "supplier": {"supplier"},
    "manager": {"manager", "admin"},
}


def _caller_or_none():
    try:
        return optional_caller()
    except Unauthorized:
        return None


def _safe_next(target: str | None) -> str | None:
    """Only a local path may be the place to go after login (no open redirect)."""
    if not target:
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@blp.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers ask for on their own (pages link the same SVG)."""
    return send_from_directory(blp.static_folder or "", "favicon.svg", mimetype="image/svg+xml", max_age=86400)


@blp.get("/")
def home():
    caller = _caller_or_none()
    return redirect(rules.home_page(caller.principal.role) if caller else url_for("pages.login"))


@blp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; it posts to itself (works without JavaScript) with its CSRF token (see
    :data:`services.gateway.sessions.LOGIN_FORM_COOKIE`)."""
    if request.method == "GET":
        caller = _caller_or_none()
        if caller:
            return redirect(rules.home_page(caller.principal.role))
        return _login_form(next=request.args.get("next", ""))
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    target = _safe_next(request.form.get("next"))
    if not login_form_csrf_satisfied():
        return _login_form(403, error=str(problems.SENTENCES[errors.CSRF_FAILED]), username=username, next=target or "")
    try:
        token, user = start_session(username, password)
    except Unauthorized as exc:
        return _login_form(exc.status, error=_login_message(exc), username=username, next=target or "")
    allowed_next = target and any(
        target.startswith("/" + page) and user["role"] in roles for page, roles in ROLE_OF_PAGE.items()
    )
    response = redirect(target if target and allowed_next else rules.home_page(user["role"]))
    set_session_cookie(response, token, int(TOKEN_LIFETIME.total_seconds()))
    if user.get("language") in i18n.LANGUAGES:  # the user's own language, also once they log out here
        i18n.remember_in_cookie(response, user["language"])
    return response


def _login_form(status: int = 200, *, error: str | None = None, username: str = "", next: str = "") -> Response:
    response = make_response("", status)
    csrf = login_form_csrf(response)
    response.set_data(render_template("login.html", error=error, username=username, next=next, login_csrf=csrf))
    return response


def _login_message(exc: Unauthorized) -> str:
    return str(problems.SENTENCES.get(exc.code or "", problems.SENTENCES[errors.BAD_CREDENTIALS]))


@blp.post("/language/<code>")
def choose_language(code: str):
    """The language switch of every page (a small form, since it changes what is remembered): the choice goes on
    the logged-in user's account (their pages follow it wherever they log in) and in this browser's cookie (for
    the login page), then back to the page (``next``). Logged in, the form carries the session's CSRF token;
    logged out (the login page), the login form's own (:func:`~services.gateway.sessions.login_form_csrf`) and
    only the cookie changes. Without its token nothing changes (403)."""
    try:
        caller = optional_caller()
    except CsrfRejected:
        return _csrf_refused()
    except Unauthorized:  # an ended session: the visitor is logged out
        caller = None
    if caller is None and not login_form_csrf_satisfied():
        return _csrf_refused()
    response = redirect(_safe_next(request.form.get("next")) or url_for("pages.home"))
    if code in i18n.LANGUAGES:
        if caller is not None:
            with current_runtime().transaction() as session:
                accounts.remember_language(session, caller.principal.user_id, code)
        i18n.remember_in_cookie(response, code)
    return response


def _csrf_refused() -> tuple[str, int]:
    return render_template("error.html", message=str(problems.SENTENCES[errors.CSRF_FAILED])), 403


@blp.post("/logout")
def logout():
    """End the session (from the page header's button) and go back to the login page."""
    caller = None
    token, from_cookie = presented_token()
    if token:  # a plain form post: no CSRF header, and a cross-site one carries no Lax cookie anyway
        try:
            caller = identify(token, from_cookie)
        except Unauthorized:
            pass  # an expired or ended session: just clear the cookie
    if caller is not None:
        with current_runtime().transaction() as session:
            accounts.log_out(session, caller.principal.user_id, acting_user(caller))
    response = redirect(url_for("pages.login"))
    clear_session_cookie(response)
    return response


def _page(name: str, **context):
    caller = _caller_or_none()
    if caller is None:
        return redirect(url_for("pages.login", next=request.path))
    if caller.principal.role not in ROLE_OF_PAGE[name]:
        return redirect(rules.home_page(caller.principal.role))
    return render_template(f"{name}.html", user=caller.principal, username=caller.username, page=name, **context)


@blp.get("/cashier")
def cashier():
    """The counter: its scripts (``static/counter/``) get their words in the page's language."""
    return _page("cashier", counter_strings=counter_strings())


@blp.get("/cashier/display")
def customer_display():
    """The customer's display: a second window the counter opens facing the customer (cart total, the QRIS code,
    the change), kept in step by the counter page through a ``BroadcastChannel`` (no server round trip)."""
    return _page("customer_display", counter_strings=counter_strings())


@blp.get("/counter-sw.js")
def counter_service_worker() -> Response:
    """The counter's service worker, from the site's root so that it may control ``/cashier`` (never cached by
    the browser's HTTP cache: a new version must be seen at once)."""
    response = send_from_directory(blp.static_folder or "", "counter/sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.get("/supplier")
def supplier():
    """The supplier's portal: balance (with the days pending money becomes available), stock lot by lot, goods to
    pick up, alerts, recent sales, statements, payouts and announced deliveries (see
    :mod:`services.gateway.portal`); each part that cannot be loaded says so in words, the rest still shows."""
    caller = _caller_or_none()
    if caller is None or caller.principal.role != "supplier":
        return _page("supplier")
    today = business_time.today()
    parts: dict[str, object] = {}
    failures: dict[str, str] = {}
    sources = {
        "balance": ("suppliers", "/me/balance"),
        "stock": ("suppliers", "/me/stock"),
        "sales": ("suppliers", f"/me/sales?from={today - timedelta(days=30)}&to={today}"),
        "payouts": ("suppliers", "/me/payouts"),
        "pickups": ("suppliers", "/me/pickups"),
        "alerts": ("suppliers", "/me/alerts"),
        "deliveries": ("inventory", "/deliveries"),
    }
    for name, (service, path) in sources.items():
        try:
            parts[name] = call(service, "GET", path)
        except ServiceProblem as problem:
            failures[name] = problems.sentence(problem)
    return render_template(
        "supplier.html",
        user=caller.principal,
        username=caller.username,
        page="supplier",
        parts=parts,
        failures=failures,
        statement_from=today.replace(day=1).isoformat(),
        statement_to=today.isoformat(),
    )


@blp.get("/manager")
def manager():
    return _page("manager")
