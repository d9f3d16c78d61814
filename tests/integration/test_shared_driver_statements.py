"""``shared.db.execute_on_driver``: a PostgreSQL hot-path statement run on the psycopg connection itself behaves as
``Connection.execute`` would for its callers: in the session's transaction, rows by column name, and a refusal
raised as SQLAlchemy's exception."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, bindparam, func, select, text
from sqlalchemy.exc import IntegrityError

from shared.db import execute_on_driver, make_engine, make_session_factory, transaction

_INSERT = text("INSERT INTO notes (id, body) VALUES (:id, :body)")
_READ = text("SELECT id, body, CAST(:asked AS integer) AS asked FROM notes ORDER BY id").columns()


@pytest.fixture
def notes(postgres_databases):
    if postgres_databases is None:
        pytest.skip("runs on PostgreSQL (SENTRA_TEST_POSTGRES_URL)")
    engine = make_engine(postgres_databases.create())
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)"))
    yield make_session_factory(engine)
    engine.dispose()


def test_rows_come_by_column_name_and_a_write_returns_none(notes):
    with transaction(notes) as session:
        assert execute_on_driver(session.connection(), _INSERT, {"id": 1, "body": "satu"}) == []
        rows = execute_on_driver(session.connection(), _READ, {"asked": 7})
    assert [(row.id, row.body, row.asked) for row in rows] == [(1, "satu", 7)]


def test_the_statement_is_part_of_the_sessions_transaction(notes):
    with pytest.raises(RuntimeError), transaction(notes) as session:
        execute_on_driver(session.connection(), _INSERT, {"id": 1, "body": "satu"})
        raise RuntimeError("the use case failed")
    with transaction(notes) as session:
        assert execute_on_driver(session.connection(), _READ, {"asked": 0}) == []


def test_a_refusal_is_sqlalchemys_exception_and_the_session_rolls_back(notes):
    with transaction(notes) as session:
        execute_on_driver(session.connection(), _INSERT, {"id": 1, "body": "satu"})
    with pytest.raises(IntegrityError, match="notes_pkey"), transaction(notes) as session:
        execute_on_driver(session.connection(), _INSERT, {"id": 2, "body": "dua"})
        execute_on_driver(session.connection(), _INSERT, {"id": 1, "body": "lagi"})
    with transaction(notes) as session:
        rows = execute_on_driver(session.connection(), _READ, {"asked": 0})
    assert [(row.id, row.body) for row in rows] == [(1, "satu")]


def test_a_core_statement_keeps_the_values_it_fixes_itself(notes):
    """``coalesce(:given, 5)``: the ``5`` is a parameter of the compiled statement, which the caller never gives."""
    statement = select(func.coalesce(bindparam("given", type_=Integer), 5).label("value"))
    with transaction(notes) as session:
        assert execute_on_driver(session.connection(), statement, {"given": None})[0].value == 5
        assert execute_on_driver(session.connection(), statement, {"given": 3})[0].value == 3
