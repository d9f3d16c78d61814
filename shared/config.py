"""Configuration read only from the environment, with development defaults.

Production (``SENTRA_ENV=production``) has no default for any secret: a missing one is an error at start-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

SERVICES = ("inventory", "pos", "suppliers", "gateway")
DEFAULT_PORTS = {"gateway": 8000, "inventory": 8001, "pos": 8002, "suppliers": 8003}
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "sentra-development-secret-not-for-production"


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


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
    #: The outbox sweep republishes only rows pending at least this long (fresher ones are the relay thread's).
    outbox_sweep_older_than: timedelta = timedelta(seconds=3)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


DEFAULT_OUTLET_ID = "00000000-0000-4000-8000-000000000001"


def _secret(name: str, environment: str) -> str:
    value = _env(name)
    if value is None:
        if environment == "production":
            raise ConfigError(f"{name} must be set in production")
        return DEV_SECRET
    return value


def load_settings(service: str) -> Settings:
    """Read the settings of ``service`` from the environment."""
    if service not in SERVICES:
        raise ConfigError(f"unknown service {service!r}")
    environment = _env("SENTRA_ENV", "development")
    data_dir = Path(_env("SENTRA_DATA_DIR", str(PROJECT_ROOT / "var")))
    default_db = None if environment == "production" else f"sqlite:///{data_dir / (service + '.db')}"
    database_url = _env(f"SENTRA_{service.upper()}_DATABASE_URL", default_db)
    if database_url is None:
        raise ConfigError(f"SENTRA_{service.upper()}_DATABASE_URL must be set in production")
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
    )
