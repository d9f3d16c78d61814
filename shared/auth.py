"""JWTs issued by the gateway; role checks; the current principal.

Three kinds of token, each refused where another is expected:

- a **login token** (``use: login``, 12 h): what a client gets at log-in and presents to the gateway, which checks
  it against the live account on every request (log-out, deactivation, password reset end it at once). The
  services never accept it, so a token that was logged out cannot be taken to a service's own port.
- an **access token** (``use: access``, :data:`ACCESS_TOKEN_LIFETIME`): what the gateway forwards to a service,
  minted from a session it has just checked; the only token a service takes. A service stays stateless and still
  learns of a revocation within that bound: nobody holds an access token of an ended session for longer.
- an **approval grant** (``grant: <purpose>``, two minutes): a manager's approval of one kind of act.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, ParamSpec, TypeVar

import jwt
from flask import current_app, g, request

from shared.config import DEFAULT_ACCESS_TOKEN_SECONDS
from shared.db import utcnow
from shared.errors import DomainError, Forbidden

P = ParamSpec("P")
R = TypeVar("R")
V = TypeVar("V")

ROLES = ("cashier", "manager", "admin", "supplier", "service")
ALGORITHM = "HS256"
ISSUER = "sentra-gateway"
TOKEN_LIFETIME = timedelta(hours=12)
#: How long a service accepts an access token (``SENTRA_ACCESS_TOKEN_SECONDS`` at the gateway): also the longest a
#: service may act on a session the gateway has ended.
ACCESS_TOKEN_LIFETIME = timedelta(seconds=DEFAULT_ACCESS_TOKEN_SECONDS)
#: The ``use`` claim of login and access tokens (a login token issued before it existed has none).
LOGIN_USE, ACCESS_USE = "login", "access"
#: An approval grant lives long enough to finish the refund or discount it was asked for, and no longer.
GRANT_LIFETIME = timedelta(minutes=2)
#: What a manager's approval grant may be for (one purpose per grant).
GRANT_PURPOSES = ("discount", "refund")


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


@dataclass(frozen=True)
class Principal:
    """Who is calling: user id, display name, role, and for suppliers the supplier they belong to."""

    user_id: str
    name: str
    role: str
    supplier_id: str | None = None
    outlet_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in ("manager", "admin")


def issue_token(secret: str, principal: Principal, lifetime: timedelta = TOKEN_LIFETIME) -> str:
    """A login token: what the gateway hands out at log-in (and accepts, :func:`verify_token`); never a service's."""
    return jwt.encode({**_claims(principal, lifetime), "use": LOGIN_USE}, secret, algorithm=ALGORITHM)


def issue_access_token(secret: str, principal: Principal, lifetime: timedelta = ACCESS_TOKEN_LIFETIME) -> str:
    """An access token: what a service accepts (:func:`verify_access_token`). The gateway mints one from a live
    session for the requests it forwards; a service calling another mints its own ``service`` one."""
    return jwt.encode({**_claims(principal, lifetime), "use": ACCESS_USE}, secret, algorithm=ALGORITHM)


def issue_grant(secret: str, principal: Principal, purpose: str, lifetime: timedelta = GRANT_LIFETIME) -> str:
    """An approval grant: ``principal`` approves one kind of act (``purpose``, e.g. ``refund``) for a couple of
    minutes. Neither a login nor an access token (both verifications refuse it), and neither of those is a grant."""
    if purpose not in GRANT_PURPOSES:
        raise ValueError(f"unknown grant purpose {purpose!r}")
    return jwt.encode({**_claims(principal, lifetime), "grant": purpose}, secret, algorithm=ALGORITHM)


def _claims(principal: Principal, lifetime: timedelta) -> dict[str, object]:
    now = utcnow()
    claims: dict[str, object] = {
        "sub": principal.user_id,
        "name": principal.name,
        "role": principal.role,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        # JWT's iat is whole seconds; the gateway compares a log-out with this, so one in the same second counts.
        "iat_ms": int(now.timestamp() * 1000),
        "exp": int((now + lifetime).timestamp()),
    }
    if principal.supplier_id:
        claims["supplier_id"] = principal.supplier_id
    if principal.outlet_id:
        claims["outlet_id"] = principal.outlet_id
    return claims


class VerifiedTokens(Generic[V]):
    """A bounded LRU of what this process knows of tokens: ``(secret, token)`` → a value (the principal of a token
    already verified; at the gateway, the access token minted for a session), each entry valid until its own
    ``expires_at``. A counter sends the same token with every request, so its signature is checked once rather
    than on every request. Only what verified is kept; whether a login was revoked is the gateway's business (it
    checks that on every request). Thread-safe (gunicorn's threads share it)."""

    def __init__(self, size: int = 4096, clock: Callable[[], float] = time.time) -> None:
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[V, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, secret: str, token: str) -> V | None:
        """The cached value of ``token`` while it has not expired."""
        key = (secret, token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self.clock() >= entry[1]:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, secret: str, token: str, value: V, expires_at: float) -> None:
        with self._lock:
            self._entries[(secret, token)] = (value, expires_at)
            self._entries.move_to_end((secret, token))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


#: The process's caches of verified login tokens (the gateway's) and access tokens (the services').
verified_tokens: VerifiedTokens[Principal] = VerifiedTokens()
verified_access_tokens: VerifiedTokens[Principal] = VerifiedTokens()


def verify_token(secret: str, token: str) -> Principal:
    """The principal of a valid login token (:class:`Unauthorized` otherwise: an access token or an approval grant
    included). Whether its session is still live is for the gateway to check."""
    return _verified(secret, token, (LOGIN_USE, None), verified_tokens)


def verify_access_token(secret: str, token: str) -> Principal:
    """The principal of a valid, unexpired access token: the only bearer a service takes (a login token or an
    approval grant is :class:`Unauthorized`)."""
    return _verified(secret, token, (ACCESS_USE,), verified_access_tokens)


def _verified(secret: str, token: str, uses: tuple[str | None, ...], cache: VerifiedTokens[Principal]) -> Principal:
    """The principal of ``token`` if it verifies and its ``use`` is one of ``uses``; answered from ``cache`` (until
    the token expires) once verified."""
    principal = cache.get(secret, token)
    if principal is not None:
        return principal
    claims = _verified_claims(secret, token)
    if "grant" in claims:
        raise Unauthorized("an approval grant is not a login or access token")
    if claims.get("use") not in uses:
        raise Unauthorized(f"a {claims.get('use') or LOGIN_USE} token is not accepted here")
    principal = _principal(claims)
    cache.put(secret, token, principal, float(claims["exp"]))
    return principal


def verify_grant(secret: str, token: str, purpose: str) -> Principal:
    """The approver of a valid, unexpired grant for exactly ``purpose`` (:class:`Unauthorized` otherwise)."""
    claims = _verified_claims(secret, token)
    if claims.get("grant") != purpose:
        raise Unauthorized(f"not an approval grant for {purpose}")
    return _principal(claims)


def _verified_claims(secret: str, token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub"]}
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}") from None
    return claims


def _principal(claims: dict[str, Any]) -> Principal:
    if claims.get("role") not in ROLES:
        raise Unauthorized("token has no valid role")
    if claims["role"] == "supplier" and not claims.get("supplier_id"):
        raise Unauthorized("supplier token without supplier id")
    return Principal(
        user_id=claims["sub"],
        name=claims.get("name", ""),
        role=claims["role"],
        supplier_id=claims.get("supplier_id"),
        outlet_id=claims.get("outlet_id"),
    )


def current_principal() -> Principal:
    """The authenticated caller of this request (after :func:`requires`)."""
    principal: Principal = g.principal
    return principal


def current_actor() -> str:
    """How the caller is recorded as the one who did something (audit entries, ``created_by``, four-eyes
    checks): ``role:user_id``, stable and unique where a display name is neither."""
    principal = current_principal()
    return f"{principal.role}:{principal.user_id}"


def _authenticate() -> Principal:
    """The bearer access token's principal. Services take nothing else: login sessions, cookies (and CSRF) are the
    gateway's business, which turns them into an access token for each request it forwards."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    if not token:
        raise Unauthorized("a bearer token is required")
    return verify_access_token(current_app.config["SENTRA_SETTINGS"].jwt_secret, token)


def requires(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: the caller must be authenticated and have one of ``roles`` (admin may do anything staff can)."""
    allowed = set(roles)
    if "manager" in allowed:
        allowed.add("admin")

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            principal = _authenticate()
            if principal.role not in allowed:
                raise Forbidden(f"role {principal.role!r} may not do this")
            g.principal = principal
            return view(*args, **kwargs)

        return wrapper

    return decorator
