"""Configuration read only from the environment, with development defaults.

``SENTRA_ENV`` is ``development`` (the default), ``test`` or ``production``; any other name is refused, so a typo
(``prod``, ``Production``) cannot silently run with development defaults. Production has no default for any secret
and refuses a weak or public one; development logs a warning whenever it uses the public development secret.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

SERVICES = ("inventory", "pos", "suppliers", "gateway")
DEFAULT_PORTS = {"gateway": 8000, "inventory": 8001, "pos": 8002, "suppliers": 8003}
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "sentra-development-secret-not-for-production"
ENVIRONMENTS = ("development", "test", "production")
#: A production secret must have at least this many bytes (HS256 keys shorter than the hash are weak).
MIN_SECRET_BYTES = 32
#: How long a service accepts an access token the gateway minted: one request's worth (the gateway waits 30 s for
#: an answer) with room for clock skew (see :mod:`shared.auth`).
DEFAULT_ACCESS_TOKEN_SECONDS = 120.0

log = logging.getLogger(__name__)


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


def _env(name: str, default: str) -> str:
    """The variable ``name``, or ``default`` when it is unset or empty."""
    return _optional_env(name) or default


def _optional_env(name: str) -> str | None:
    """The variable ``name``, or ``None`` when it is unset or empty."""
    return os.environ.get(name) or None


@dataclass(frozen=True)
class Settings:
    """Everything a service process needs to know about its surroundings."""

    service: str
    environment: str
    database_url: str
    redis_url: str
    jwt_secret: str
    qris_callback_secret: str
    service_urls: dict[str, str]
    outlet_id: str
    log_json: bool
    #: ``SENTRA_LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR); ``make run`` keeps it at WARNING so the terminal stays quiet.
    log_level: str = "INFO"
    #: The outbox sweep republishes only rows pending at least this long (fresher ones are the relay thread's).
    outbox_sweep_older_than: timedelta = timedelta(seconds=3)
    #: ``SENTRA_DB_BUSY_TIMEOUT``: seconds a SQLite writer waits for the database lock before it fails.
    db_busy_timeout: float = 30.0
    #: ``SENTRA_CONFIRM_DEADLINE``: seconds an outbox row may stay sent but unconfirmed before it is published
    #: again (then with backoff, at most a minute apart).
    confirm_deadline: float = 15.0
    #: ``SENTRA_VISIBILITY_TIMEOUT``: seconds before the broker hands a message its worker took and never
    #: acknowledged (the worker died or hung) to a worker again; the task time limit and the longest retry delay
    #: are derived from it (:class:`shared.celery_factory.Deadlines`).
    visibility_timeout: float = 60.0
    #: ``SENTRA_OUTBOX_RETENTION_DAYS``: how long an unconfirmed outbox row keeps being published again.
    outbox_retention_days: float = 7.0
    #: ``SENTRA_RETENTION_DAYS``: confirmed outbox rows, processed-event rows, idempotency records and callback
    #: nonces older than this are purged daily; longer than ``outbox_retention_days`` (see :func:`load_settings`).
    retention_days: float = 14.0
    #: ``SENTRA_ACCESS_TOKEN_SECONDS`` (gateway): the life of the access tokens it forwards to the services, i.e. the
    #: longest a service may still act for a session the gateway has ended.
    access_token_seconds: float = DEFAULT_ACCESS_TOKEN_SECONDS
    #: ``SENTRA_PASSWORD_HASHING``: the cost of argon2 hashes of passwords and PINs (see :mod:`shared.passwords`):
    #: ``standard``, or ``cheapest`` for the test suite (refused in production).
    password_hashing: str = "standard"

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: How much longer than the republish window the retention must be (a row republished on its last day is
#: delivered, retried and confirmed well within a day).
MIN_RETENTION_MARGIN_DAYS = 1.0
DEFAULT_OUTLET_ID = "00000000-0000-4000-8000-000000000001"


def _secret(name: str, environment: str) -> str:
    """``name``'s secret: required, long and not the public development one in production; the development
    secret (with a warning) elsewhere when unset."""
    value = _optional_env(name)
    if environment == "production":
        if value is None:
            raise ConfigError(f"{name} must be set in production")
        if value == DEV_SECRET or len(value.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"{name} is too weak for production: use a random secret of at least {MIN_SECRET_BYTES} bytes "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return value
    if value is None or value == DEV_SECRET:
        log.warning("%s is the public development secret: never expose this installation", name)
        return DEV_SECRET
    return value


def load_settings(service: str) -> Settings:
    """Read the settings of ``service`` from the environment."""
    if service not in SERVICES:
        raise ConfigError(f"unknown service {service!r}")
    environment = _env("SENTRA_ENV", "development")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"SENTRA_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}")
    data_dir = Path(_env("SENTRA_DATA_DIR", str(PROJECT_ROOT / "var")))
    database_url = _optional_env(f"SENTRA_{service.upper()}_DATABASE_URL")
    if database_url is None and environment != "production":
        database_url = f"sqlite:///{data_dir / (service + '.db')}"
    if database_url is None:
        raise ConfigError(f"SENTRA_{service.upper()}_DATABASE_URL must be set in production")
    outbox_retention_days = float(_env("SENTRA_OUTBOX_RETENTION_DAYS", "7"))
    service_urls = {
        name: _env(f"SENTRA_{name.upper()}_URL", f"http://127.0.0.1:{port}") for name, port in DEFAULT_PORTS.items()
    }
    return Settings(
        service=service,
        environment=environment,
        database_url=database_url,
        redis_url=_env("SENTRA_REDIS_URL", "redis://127.0.0.1:6380/0"),
        jwt_secret=_secret("SENTRA_JWT_SECRET", environment),
        qris_callback_secret=_secret("SENTRA_QRIS_CALLBACK_SECRET", environment),
        service_urls=service_urls,
        outlet_id=_env("SENTRA_OUTLET_ID", DEFAULT_OUTLET_ID),
        log_json=_env("SENTRA_LOG_JSON", "1" if environment == "production" else "0") == "1",
        log_level=_log_level(_env("SENTRA_LOG_LEVEL", "INFO")),
        db_busy_timeout=float(_env("SENTRA_DB_BUSY_TIMEOUT", "30")),
        confirm_deadline=float(_env("SENTRA_CONFIRM_DEADLINE", "15")),
        visibility_timeout=_visibility_timeout(),
        outbox_retention_days=outbox_retention_days,
        retention_days=_retention_days(outbox_retention_days),
        access_token_seconds=float(_env("SENTRA_ACCESS_TOKEN_SECONDS", str(DEFAULT_ACCESS_TOKEN_SECONDS))),
        password_hashing=_password_hashing(environment),
    )


def _password_hashing(environment: str) -> str:
    """``SENTRA_PASSWORD_HASHING``: ``standard`` (the default), or ``cheapest`` outside production."""
    cost = _env("SENTRA_PASSWORD_HASHING", "standard")
    if cost not in ("standard", "cheapest"):
        raise ConfigError(f"SENTRA_PASSWORD_HASHING must be standard or cheapest, not {cost!r}")
    if cost != "standard" and environment == "production":
        raise ConfigError("SENTRA_PASSWORD_HASHING=cheapest is for tests: production hashes passwords at full cost")
    return cost


def _retention_days(republished_for_days: float) -> float:
    """``SENTRA_RETENTION_DAYS``, refused unless longer than the longest window in which an event or a request
    can come back: the outbox republishes an unconfirmed event for ``SENTRA_OUTBOX_RETENTION_DAYS``, and its
    consumer must still find it processed then (a dead letter retried later is a new delivery with a fresh
    attempt count, claimed again by its event id, and the business keys are never purged)."""
    days = float(_env("SENTRA_RETENTION_DAYS", "14"))
    if not days > republished_for_days + MIN_RETENTION_MARGIN_DAYS:
        raise ConfigError(
            f"SENTRA_RETENTION_DAYS ({days:g}) must exceed SENTRA_OUTBOX_RETENTION_DAYS ({republished_for_days:g}) "
            f"by more than {MIN_RETENTION_MARGIN_DAYS:g} day: an event may be republished that long, and its "
            "processed row must still be there to make it a duplicate"
        )
    return days


#: The bounds of ``SENTRA_VISIBILITY_TIMEOUT``: at 12 s an event task still has 4 s before its soft time limit
#: (it needs milliseconds); past an hour a hung worker's messages wait too long to come back.
VISIBILITY_TIMEOUT_BOUNDS = (12.0, 3600.0)


def _visibility_timeout() -> float:
    """``SENTRA_VISIBILITY_TIMEOUT`` (60 s by default), refused outside :data:`VISIBILITY_TIMEOUT_BOUNDS`."""
    text = _env("SENTRA_VISIBILITY_TIMEOUT", "60")
    low, high = VISIBILITY_TIMEOUT_BOUNDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not low <= seconds <= high:
        raise ConfigError(f"SENTRA_VISIBILITY_TIMEOUT must be seconds from {low:g} to {high:g}, not {text!r}")
    return seconds


def _log_level(name: str) -> str:
    level = name.upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"SENTRA_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {name!r}")
    return level
