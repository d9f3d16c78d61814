"""Hashing of passwords and PINs (argon2id), and the one setting of its cost.

Every service hashes with argon2-cffi's default parameters (RFC 9106's low-memory profile: three passes over
64 MiB in four lanes), about a tenth of a second of a core per hash or check. ``SENTRA_PASSWORD_HASHING=cheapest``
chooses argon2's cheapest parameters instead, for the test suite, which makes and logs in thousands of accounts;
production refuses that setting (:func:`shared.config.load_settings`). A hash carries its own parameters, so it
verifies whatever the setting, and a login rehashes a password whose hash was made with other parameters.
The setting is process-wide, like logging: :func:`shared.runtime.build_runtime` applies it when a process starts.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

#: ``SENTRA_PASSWORD_HASHING`` values and their argon2 parameters.
COSTS = {"standard": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}
_cost = "standard"


def use_cost(name: str) -> None:
    """Hash from now on with the parameters ``name`` (a key of :data:`COSTS`) stands for."""
    global _cost
    if name not in COSTS:
        raise ValueError(f"unknown password hashing cost {name!r}")
    _cost = name


def hash_secret(secret: str) -> str:
    """The argon2id hash of a password or PIN, with the current parameters."""
    return _hasher(_cost).hash(secret)


def verify_secret(secret_hash: str | None, secret: str) -> bool:
    """Whether ``secret`` matches ``secret_hash``. With no hash (an unknown user) a placeholder hash of the current
    cost is checked all the same, so an unknown name takes as long to refuse as a wrong password."""
    try:
        matches = _hasher(_cost).verify(secret_hash or _placeholder_hash(_cost), secret)
    except (VerificationError, InvalidHashError):
        return False
    return matches and bool(secret_hash)


def needs_rehash(secret_hash: str) -> bool:
    """Whether ``secret_hash`` was made with other parameters than the current ones."""
    return _hasher(_cost).check_needs_rehash(secret_hash)


@cache
def _hasher(cost: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(COSTS[cost])


@cache
def _placeholder_hash(cost: str) -> str:
    return _hasher(cost).hash("sentra-unknown-user-placeholder")
