"""Who is calling the gateway: the bearer token (API clients) or the ``sentra_token`` cookie (web pages),
checked against the user's account so that log-out, deactivation and password resets take effect at once; and the
short-lived access token the gateway forwards to a service for such a caller (:func:`access_token`)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

import jwt
from flask import current_app, g, request
from werkzeug.wrappers import Response as BaseResponse

from services.gateway import accounts
from services.gateway.errors import ACCOUNT_INACTIVE, BAD_CREDENTIALS, LOGIN_RATE_LIMITED
from shared.auth import (
    TOKEN_LIFETIME,
    Principal,
    Unauthorized,
    VerifiedTokens,
    issue_access_token,
    issue_token,
    verify_token,
)
from shared.errors import Forbidden
from shared.runtime import current_runtime

P = ParamSpec("P")
R = TypeVar("R")

COOKIE_NAME = "sentra_token"
#: Unsafe requests authenticated by the cookie must carry this header (a cross-site form cannot set it) ...
CSRF_HEADER = "X-Requested-With"
#: ... or the session's CSRF token, in this form field (pages' plain forms) or this header (htmx requests).
CSRF_FIELD = "csrf_token"
CSRF_TOKEN_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    principal: Principal
    username: str
    token: str
    from_cookie: bool
    #: The page language the user chose (:attr:`services.gateway.models.User.language`), if they ever did.
    language: str | None = None


def presented_token() -> tuple[str | None, bool]:
    """The token of this request and whether it came from the cookie."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None, False
    cookie = request.cookies.get(COOKIE_NAME)
    return (cookie or None), bool(cookie)


def identify(token: str, from_cookie: bool = False) -> Caller:
    """Verify ``token`` and that its user is still active and its session not ended; raise Unauthorized."""
    settings = current_app.config["SENTRA_SETTINGS"]
    principal = verify_token(settings.jwt_secret, token)
    claims = jwt.decode(token, options={"verify_signature": False})  # verified by verify_token above
    issued_at_ms = int(claims.get("iat_ms", int(claims.get("iat", 0)) * 1000))
    with current_runtime().transaction() as session:
        user = accounts.token_still_valid(session, principal.user_id, issued_at_ms)
        if user is None:
            raise Unauthorized("this session has ended; please log in again")
        username, language = user.username, user.language
    return Caller(principal, username, token, from_cookie, language)


#: The access token minted for each login token, reused for the first half of its life (so a counter's requests
#: carry the same one for a minute, and each service verifies its signature once).
minted_access_tokens: VerifiedTokens[str] = VerifiedTokens()


def access_token(caller: Caller) -> str:
    """The bearer to forward to a service for ``caller`` (identified, so their session is live right now): an
    access token living ``access_token_seconds`` (two minutes), the only kind a service takes. Once the session
    ends the gateway mints none, so a service refuses that user within that bound."""
    settings = current_app.config["SENTRA_SETTINGS"]
    minted = minted_access_tokens.get(settings.jwt_secret, caller.token)
    if minted is None:
        lifetime = timedelta(seconds=settings.access_token_seconds)
        minted = issue_access_token(settings.jwt_secret, caller.principal, lifetime)
        reuse_until = time.time() + lifetime.total_seconds() / 2
        minted_access_tokens.put(settings.jwt_secret, caller.token, minted, reuse_until)
    return minted


def optional_caller() -> Caller | None:
    """The authenticated caller of this request (identified once per request), or ``None`` when it presented
    no token."""
    if "sentra.caller" in request.environ:
        known: Caller = request.environ["sentra.caller"]
        return known
    token, from_cookie = presented_token()
    if not token:
        return None
    caller = identify(token, from_cookie)
    if from_cookie and request.method not in SAFE_METHODS and not _csrf_satisfied(token):
        raise CsrfRejected(
            f"requests authenticated by the session cookie must send the {CSRF_HEADER} header or the CSRF token"
        )
    request.environ["sentra.caller"] = caller
    g.principal = caller.principal
    return caller


class CsrfRejected(Unauthorized):
    """A state change carried by the session cookie without proof that the gateway's own page sent it."""


def csrf_token_for(session_token: str) -> str:
    """The synchroniser token of a session: an HMAC of the session token (no server-side state; it changes
    with every log-in and cannot be computed by another site)."""
    secret = current_app.config["SENTRA_SETTINGS"].jwt_secret.encode()
    return hmac.new(secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_token() -> str:
    """The CSRF token of this request's cookie session ("" without one): put in every page form."""
    token, from_cookie = presented_token()
    return csrf_token_for(token) if token and from_cookie else ""


def _csrf_satisfied(session_token: str) -> bool:
    if request.headers.get(CSRF_HEADER):
        return True
    presented = request.headers.get(CSRF_TOKEN_HEADER)
    if presented is None and not request.path.startswith("/api/") and request.mimetype in _FORM_TYPES:
        presented = request.form.get(CSRF_FIELD)
    return bool(presented) and hmac.compare_digest(str(presented), csrf_token_for(session_token))


_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

#: The login form's own cookie: a random value binding the form to the browser it was served to. There is no
#: session yet, so the form's CSRF token is :func:`csrf_token_for` this value: a page of another site can neither
#: read the cookie nor compute the token, so it cannot log a browser into an account of its choosing. The login
#: page's language switch (``/language/<code>``) carries the same token, so the cookie is sent to the whole site.
LOGIN_FORM_COOKIE = "sentra_login_form"


def login_form_csrf(response: BaseResponse) -> str:
    """The CSRF token to put in the login form sent with ``response`` (which gets the form's cookie, kept when the
    browser already has one)."""
    binding = request.cookies.get(LOGIN_FORM_COOKIE) or secrets.token_urlsafe(32)
    response.set_cookie(
        LOGIN_FORM_COOKIE, binding, httponly=True, samesite="Strict", secure=request.is_secure, path="/"
    )
    return csrf_token_for(binding)


def login_form_csrf_satisfied() -> bool:
    """Whether the posted login form carries the CSRF token of this browser's login-form cookie."""
    binding, presented = request.cookies.get(LOGIN_FORM_COOKIE), request.form.get(CSRF_FIELD)
    return bool(binding and presented) and hmac.compare_digest(str(presented), csrf_token_for(str(binding)))


def current_caller() -> Caller:
    """The authenticated caller of this request; :class:`Unauthorized` without a token."""
    caller = optional_caller()
    if caller is None:
        raise Unauthorized("a bearer token is required")
    return caller


def requires_user(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Like :func:`shared.auth.requires` (admin may do what manager may), for the gateway's own endpoints,
    additionally checking the account behind the token."""
    allowed = set(roles) | ({"admin"} if "manager" in roles else set())

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            caller = current_caller()
            if allowed and caller.principal.role not in allowed:
                raise Forbidden(f"role {caller.principal.role!r} may not do this")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def acting_user(caller: Caller | None = None) -> accounts.Actor:
    """Who does what the gateway audits: ``caller`` (by default the request's), with their address."""
    caller = caller or current_caller()
    return accounts.Actor.of(caller.principal, caller.username, client_ip())


def client_ip() -> str:
    return (request.remote_addr or "unknown")[:64]


def set_session_cookie(response: BaseResponse, token: str, max_age: int) -> None:
    """HttpOnly, SameSite=Lax; Secure whenever the page was served over HTTPS."""
    response.set_cookie(
        COOKIE_NAME, token, max_age=max_age, httponly=True, samesite="Lax", secure=request.is_secure, path="/"
    )


def clear_session_cookie(response: BaseResponse) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Lax", secure=request.is_secure)


class TooManyAttempts(Unauthorized):
    status = 429
    title = "Too Many Requests"

    def __init__(self, detail: str, *, retry_after: int, code: str) -> None:
        super().__init__(detail, code=code)
        self.retry_after = retry_after


class AccountInactive(Unauthorized):
    status = 403
    title = "Forbidden"


def start_session(username: str, password: str) -> tuple[str, dict[str, Any]]:
    """Log in: ``(token, user)``; the attempt is committed (and counted) before a failure is raised."""
    settings = current_app.config["SENTRA_SETTINGS"]
    with current_runtime().transaction() as session:
        outcome = accounts.attempt_login(session, username, password, client_ip())
        user = accounts.user_view(outcome.user) if outcome.user else None
    if outcome.failure == "locked":
        raise TooManyAttempts(
            "Too many failed logins; try again later.",
            retry_after=outcome.retry_after_seconds,
            code=LOGIN_RATE_LIMITED,
        )
    if outcome.failure == "inactive":
        raise AccountInactive("This account has been deactivated.", code=ACCOUNT_INACTIVE)
    if outcome.failure or user is None:
        raise Unauthorized("Wrong username or password.", code=BAD_CREDENTIALS)
    principal = Principal(
        user_id=user["id"],
        name=user["name"],
        role=user["role"],
        supplier_id=user["supplier_id"],
        outlet_id=settings.outlet_id,
    )
    return issue_token(settings.jwt_secret, principal, TOKEN_LIFETIME), user
