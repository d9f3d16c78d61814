"""Password and PIN hashing: argon2id at the cost the process chose, checked whatever cost made a hash."""

import pytest
from argon2.low_level import Type

from shared import passwords


@pytest.fixture
def cost():
    """Choose a cost for one test and put the standard one back after it."""
    yield passwords.use_cost
    passwords.use_cost("standard")


def _parameters(secret_hash: str) -> str:
    return secret_hash.split("$")[3]


def test_the_standard_cost_is_argon2id_over_64_mib_in_three_passes_and_four_lanes(cost):
    cost("standard")
    secret_hash = passwords.hash_secret("rahasia-kasir")
    assert secret_hash.startswith(f"$argon2{Type.ID.name.lower()}$")
    assert _parameters(secret_hash) == "m=65536,t=3,p=4"
    assert passwords.verify_secret(secret_hash, "rahasia-kasir")
    assert not passwords.verify_secret(secret_hash, "rahasia-kasiR")


def test_a_hash_verifies_under_either_cost_and_a_cheaper_one_asks_to_be_rehashed(cost):
    cost("cheapest")
    cheap = passwords.hash_secret("1234")
    assert _parameters(cheap) == "m=8,t=1,p=1"
    assert not passwords.needs_rehash(cheap)
    cost("standard")
    assert passwords.verify_secret(cheap, "1234")
    assert passwords.needs_rehash(cheap)
    assert not passwords.needs_rehash(passwords.hash_secret("1234"))


@pytest.mark.parametrize("secret_hash", [None, "", "not-a-hash", "$argon2id$v=19$m=8,t=1,p=1$broken"])
def test_no_hash_or_a_malformed_one_never_matches(cost, secret_hash):
    cost("cheapest")
    assert passwords.verify_secret(secret_hash, "sentra-unknown-user-placeholder") is False


def test_an_unknown_cost_is_refused():
    with pytest.raises(ValueError, match="unknown password hashing cost"):
        passwords.use_cost("fast")
