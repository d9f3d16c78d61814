"""Login-token verification and its per-process cache (bounded, each entry valid until the token expires)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.auth import Principal, Unauthorized, VerifiedTokens, issue_grant, issue_token, verified_tokens, verify_token

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
