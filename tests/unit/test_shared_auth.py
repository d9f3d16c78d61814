"""Login and access tokens: each refused where the other is expected, their per-process caches (bounded, each entry
valid until the token expires), and the access token's short life."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from shared.auth import (
    ACCESS_TOKEN_LIFETIME,
    Principal,
    Unauthorized,
    VerifiedTokens,
    issue_access_token,
    issue_grant,
    issue_token,
    verified_access_tokens,
    verified_tokens,
    verify_access_token,
    verify_token,
)

SECRET = "unit-test-secret-0123456789abcdef-0123"
CASHIER = Principal("kasir-1", "Siti", "cashier", outlet_id="00000000-0000-4000-8000-000000000001")


def test_a_verified_token_is_answered_from_the_cache_until_it_expires():
    now = [1_000_000.0]
    cache = VerifiedTokens(size=8, clock=lambda: now[0])
    cache.put(SECRET, "token", CASHIER, expires_at=now[0] + 60)
    assert cache.get(SECRET, "token") == CASHIER
    assert cache.get("another-secret", "token") is None  # keyed by the secret too
    now[0] += 60
    assert cache.get(SECRET, "token") is None  # expired: gone, verified afresh next time
    assert len(cache) == 0


def test_the_cache_is_bounded_and_evicts_the_least_recently_used():
    cache = VerifiedTokens(size=2)
    far = 4_000_000_000.0
    cache.put(SECRET, "a", CASHIER, far)
    cache.put(SECRET, "b", CASHIER, far)
    assert cache.get(SECRET, "a") == CASHIER  # "a" is now the most recently used
    cache.put(SECRET, "c", CASHIER, far)
    assert len(cache) == 2
    assert cache.get(SECRET, "b") is None
    assert cache.get(SECRET, "a") == cache.get(SECRET, "c") == CASHIER


def test_verify_token_caches_what_verified_and_nothing_else():
    verified_tokens.clear()
    token = issue_token(SECRET, CASHIER)
    assert verify_token(SECRET, token) == CASHIER
    assert verified_tokens.get(SECRET, token) == CASHIER
    assert verify_token(SECRET, token) == CASHIER
    with pytest.raises(Unauthorized):
        verify_token("not-the-secret-0123456789abcdef-0123", token)  # another secret is verified, and fails
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(Unauthorized):
        verify_token(SECRET, tampered)
    grant = issue_grant(SECRET, Principal("m", "Manajer", "manager"), "refund")
    with pytest.raises(Unauthorized):
        verify_token(SECRET, grant)
    with pytest.raises(Unauthorized):
        verify_token(SECRET, grant)  # a grant is never cached as a login
    expired = issue_token(SECRET, CASHIER, lifetime=timedelta(seconds=-1))
    with pytest.raises(Unauthorized):
        verify_token(SECRET, expired)
    assert len(verified_tokens) == 1


def test_a_service_takes_only_access_tokens_and_the_gateway_only_login_tokens():
    verified_tokens.clear()
    verified_access_tokens.clear()
    login, access = issue_token(SECRET, CASHIER), issue_access_token(SECRET, CASHIER)
    assert verify_access_token(SECRET, access) == CASHIER
    assert verify_token(SECRET, login) == CASHIER  # both now cached, each in its own cache
    with pytest.raises(Unauthorized):
        verify_access_token(SECRET, login)  # a client's login token (maybe logged out) is no good at a service
    with pytest.raises(Unauthorized):
        verify_token(SECRET, access)  # an access token cannot stand in for a session at the gateway
    with pytest.raises(Unauthorized):
        verify_access_token(SECRET, issue_grant(SECRET, Principal("m", "Manajer", "manager"), "refund"))
    claims = jwt.decode(access, SECRET, algorithms=["HS256"], issuer="sentra-gateway")
    assert claims["exp"] - claims["iat"] == ACCESS_TOKEN_LIFETIME.total_seconds() <= 300


def test_an_expired_access_token_is_refused():
    with pytest.raises(Unauthorized):
        verify_access_token(SECRET, issue_access_token(SECRET, CASHIER, lifetime=timedelta(seconds=-1)))


def test_a_login_token_issued_before_tokens_carried_their_use_still_opens_a_session_but_never_a_service():
    claims = jwt.decode(issue_token(SECRET, CASHIER), SECRET, algorithms=["HS256"], issuer="sentra-gateway")
    del claims["use"]
    older = jwt.encode(claims, SECRET, algorithm="HS256")
    assert verify_token(SECRET, older) == CASHIER
    with pytest.raises(Unauthorized):
        verify_access_token(SECRET, older)
