"""The use-case tier: use cases called directly with a real database session (SQLite, and PostgreSQL when
configured) on a migrated copy of the service's database — rules that need a database but not HTTP."""

from __future__ import annotations

import pytest

from shared.db import make_engine, make_session_factory, transaction


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/usecases/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.usecase)


@pytest.fixture
def unit_of_work(make_settings):
    """``unit_of_work(service)`` → a context manager giving one committed-or-rolled-back session on a fresh
    migrated database of ``service`` (the same database on every call within a test)."""
    engines = {}

    def begin(service: str):
        if service not in engines:
            engines[service] = make_engine(make_settings(service).database_url)
        return transaction(make_session_factory(engines[service]))

    yield begin
    for engine in engines.values():
        engine.dispose()
