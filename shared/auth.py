"""JWT issued by the gateway and verified by every service; role checks; the current principal."""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

import jwt
from flask import current_app, g, request

from shared.db import utcnow
from shared.errors import DomainError, Forbidden

P = ParamSpec("P")
R = TypeVar("R")

ROLES = ("cashier", "manager", "admin", "supplier", "service")
ALGORITHM = "HS256"
ISSUER = "sentra-gateway"
TOKEN_LIFETIME = timedelta(hours=12)
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
    """A login token (what the gateway hands out at log-in and forwards to the services as the bearer)."""
    return jwt.encode(_claims(principal, lifetime), secret, algorithm=ALGORITHM)


def issue_grant(secret: str, principal: Principal, purpose: str, lifetime: timedelta = GRANT_LIFETIME) -> str:
    """An approval grant: ``principal`` approves one kind of act (``purpose``, e.g. ``refund``) for a couple of
    minutes. Not a login token (:func:`verify_token` refuses it), and a login token is not a grant."""
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


class VerifiedTokens:
    """A bounded LRU of login tokens already verified in this process: ``(secret, token)`` → the principal, each
    entry valid until the token's ``exp``. A counter sends the same token with every request for its 12 hours,
    so its signature is checked once rather than on every request. Only what verified is kept; whether a login
    was revoked is the gateway's business (it checks that on every request), services only verify signatures.
    Thread-safe (gunicorn's threads share it)."""

    def __init__(self, size: int = 4096, clock: Callable[[], float] = time.time) -> None:
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, secret: str, token: str) -> Principal | None:
        """The cached principal of ``token`` while it has not expired."""
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

    def put(self, secret: str, token: str, principal: Principal, expires_at: float) -> None:
        with self._lock:
            self._entries[(secret, token)] = (principal, expires_at)
            self._entries.move_to_end((secret, token))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


#: The process's cache of verified login tokens (see :class:`VerifiedTokens`).
verified_tokens = VerifiedTokens()


def verify_token(secret: str, token: str) -> Principal:
    """The principal of a valid login token (:class:`Unauthorized` otherwise, an approval grant included).
    A token verified before in this process is answered from :data:`verified_tokens` until it expires."""
    principal = verified_tokens.get(secret, token)
    if principal is not None:
        return principal
    claims = _verified_claims(secret, token)
    if "grant" in claims:
        raise Unauthorized("an approval grant is not a login token")
    principal = _principal(claims)
    verified_tokens.put(secret, token, principal, float(claims["exp"]))
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
    """The bearer token's principal. Services take nothing else: cookies (and CSRF) are the gateway's business,
    which turns its session cookie into this header."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    if not token:
        raise Unauthorized("a bearer token is required")
    return verify_token(current_app.config["SENTRA_SETTINGS"].jwt_secret, token)


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
