"""Pure rules of accounts and sessions (no database): who may manage whom, password policy, the login
rate limit, and which page each role lands on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

USER_ROLES = ("cashier", "manager", "admin", "supplier")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 6
MAX_PASSWORD_LENGTH = 128

#: At most this many failed logins per username and client address inside the window; the next is refused.
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=5)
#: Failed logins from one address, whatever the usernames, within the window (password spraying); a counter PC
#: shared by a few cashiers who mistype now and then stays far below it.
ADDRESS_FAILURE_LIMIT = 20

#: Roles a manager may create and manage; an admin manages every role.
MANAGER_MANAGES = frozenset({"cashier", "supplier"})

HOME_PAGE = {"cashier": "/cashier", "supplier": "/supplier", "manager": "/manager", "admin": "/manager"}


def normalise_username(username: str) -> str:
    return username.strip().lower()


def username_problem(username: str) -> str | None:
    """Why ``username`` (already normalised) is not acceptable, or None."""
    if not USERNAME_PATTERN.match(username):
        return "3 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."
    return None


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"At least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"At most {MAX_PASSWORD_LENGTH} characters."
    if password.strip() == "":
        return "Must not be only spaces."
    return None


def supplier_link_problem(role: str, supplier_id: str | None) -> str | None:
    """A supplier user belongs to exactly one supplier; no other role has one."""
    if role == "supplier" and not supplier_id:
        return "A supplier user needs the supplier id it belongs to."
    if role != "supplier" and supplier_id:
        return "Only supplier users belong to a supplier."
    return None


def may_manage(actor_role: str, target_role: str) -> bool:
    """Whether a user of ``actor_role`` may create or change a user of ``target_role``."""
    if actor_role == "admin":
        return target_role in USER_ROLES
    if actor_role == "manager":
        return target_role in MANAGER_MANAGES
    return False


def may_relink(actor_role: str) -> bool:
    """Only an admin may change a user's role or the supplier a supplier login belongs to (a manager relinking
    a login would hand one producer's money and stock to another)."""
    return actor_role == "admin"


@dataclass(frozen=True)
class LoginLimit:
    """The rate-limit verdict for one username and client address."""

    locked: bool
    retry_after_seconds: int = 0


def login_limit(failure_times: list[datetime], now: datetime, limit: int = LOGIN_FAILURE_LIMIT) -> LoginLimit:
    """Locked while ``limit`` failures lie inside the window (for one username: those since its last success;
    for one address: all of them, ``ADDRESS_FAILURE_LIMIT``); the lock lifts when the oldest of those falls out
    of the window."""
    recent = sorted(t for t in failure_times if now - t < LOGIN_FAILURE_WINDOW)
    if len(recent) < limit:
        return LoginLimit(False)
    oldest_counted = recent[-limit]
    wait = LOGIN_FAILURE_WINDOW - (now - oldest_counted)
    return LoginLimit(True, max(1, int(wait.total_seconds()) + 1))


def home_page(role: str) -> str:
    """The page a user of ``role`` lands on after logging in."""
    return HOME_PAGE.get(role, "/login")
