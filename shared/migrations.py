"""Alembic, one migration history per service (``services/<name>/migrations``), run programmatically."""

from __future__ import annotations

import sys

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from shared.config import PROJECT_ROOT, load_settings
from shared.db import make_engine


def alembic_config(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "services" / service / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


def upgrade(service: str, database_url: str) -> None:
    """Bring ``service``'s database to the newest migration."""
    command.upgrade(alembic_config(service, database_url), "head")


def run_env(metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py`` (online mode, SQLite batch mode for ALTERs)."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic_config() sets sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def _regenerate_initial(service: str) -> None:
    """Development only, before the first release: rewrite ``0001_initial`` from the models."""
    import tempfile

    versions = PROJECT_ROOT / "services" / service / "migrations" / "versions"
    for old in versions.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as scratch:
        config = alembic_config(service, f"sqlite:///{scratch}/empty.db")
        command.revision(config, "initial", autogenerate=True, rev_id="0001")
    for made in versions.glob("0001_*.py"):
        made.rename(versions / "0001_initial.py")
    print(f"{service}: wrote {versions / '0001_initial.py'}")


def main(argv: list[str] | None = None) -> None:
    """``python -m shared.migrations upgrade [service ...]``, ``revision <service> <message>``,
    or ``initial <service>`` (rewrite the first migration from the models, before the first release)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    action = argv.pop(0) if argv else "upgrade"
    if action == "upgrade":
        for service in argv or ("inventory", "pos", "suppliers", "gateway"):
            upgrade(service, load_settings(service).database_url)
            print(f"{service}: migrated")
    elif action == "initial":
        _regenerate_initial(argv[0])
    elif action == "revision":
        service, message = argv[0], " ".join(argv[1:]) or "change"
        command.revision(alembic_config(service, load_settings(service).database_url), message, autogenerate=True)
    else:
        raise SystemExit(f"unknown action {action!r}")


if __name__ == "__main__":
    main()
