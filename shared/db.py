"""SQLAlchemy 2 engine and session helpers for SQLite (development, tests) and PostgreSQL (production)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

import psycopg
from psycopg import pq
from psycopg.rows import namedtuple_row
from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Engine,
    String,
    Table,
    TextClause,
    TypeDecorator,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.selectable import Select, TextualSelect

from shared.errors import NotFound

T = TypeVar("T")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A new UUID in its canonical text form (ids are made by the service that owns the object)."""
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


#: Money column: exact rupiah, BIGINT everywhere (SQLite's INTEGER is 64-bit).
Money = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")
#: A UUID kept as its 36-character text.
UUID_LENGTH = 36
IdString = String(UUID_LENGTH)


def is_sqlite(url_or_engine: str | Engine | Connection) -> bool:
    name = url_or_engine.dialect.name if isinstance(url_or_engine, Engine | Connection) else str(url_or_engine)
    return name.startswith("sqlite")


def make_engine(url: str, *, busy_timeout: float = 30.0, **kwargs: Any) -> Engine:
    """An engine for ``url``.

    SQLite: WAL journal, foreign keys on, a busy timeout (``busy_timeout`` seconds waiting for a lock before
    "database is locked"), and every transaction ``BEGIN IMMEDIATE`` so two
    writers queue for the lock instead of failing on upgrade (no lost updates, no SQLITE_BUSY deadlocks).
    PostgreSQL: psycopg 3, a pool whose connections are recycled after 30 minutes (no ping per checkout).
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_timeout, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below drive transactions
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No per-checkout ping (a round trip on every request): connections are recycled after half an hour
    # instead, and one broken by a server restart is discarded when it fails (the request answers 5xx/retries).
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: a session whose changes commit together on success and roll back on error."""
    with session_factory() as session, session.begin():
        yield session


#: A statement :func:`execute_on_driver` and :func:`fetch_rows` run.
HotStatement = Select[Any] | TextClause | TextualSelect


@lru_cache(maxsize=256)
def _driver_sql(statement: HotStatement, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """``statement`` in the driver's parameter style, and the values of the parameters it fixes itself (a literal
    such as the ``0`` of ``coalesce(..., 0)``)."""
    compiled = statement.compile(dialect=dialect)
    return str(compiled), {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}


def execute_on_driver(connection: Connection, statement: HotStatement, parameters: dict[str, Any]) -> list[Any]:
    """PostgreSQL hot paths: the rows (named tuples; none for a statement that returns none) of ``statement``
    (textual, or Core without an expanding ``IN``: it is compiled once) run on ``connection``'s psycopg connection
    itself, in its transaction.

    ``connection.execute`` costs about three times the driver's own CPU for a short statement (its execution
    context, parameter processing and result object: measured in ``bench/README.md``); this runs the statement
    as compiled once to the driver's parameter style. The parameters go to the driver as they are (no SQLAlchemy
    type processing: give values the driver adapts). A driver error is raised as SQLAlchemy's (an
    ``IntegrityError`` stays one), and a connection the error shows broken is invalidated, as ``execute`` does."""
    sql, fixed = _driver_sql(statement, connection.dialect)
    if fixed:
        parameters = {**fixed, **parameters}
    driver = cast(psycopg.Connection, connection.connection.driver_connection)  # None only once invalidated
    try:
        with driver.cursor(row_factory=namedtuple_row) as cursor:
            cursor.execute(sql, parameters)
            result = cursor.pgresult  # its status, not ``description``, which builds an object for each column
            return cursor.fetchall() if result is not None and result.status == pq.ExecStatus.TUPLES_OK else []
    except connection.dialect.loaded_dbapi.Error as exc:
        if connection.dialect.is_disconnect(exc, connection.connection, None):
            connection.invalidate(exc)
        raise DBAPIError.instance(sql, parameters, exc, connection.dialect.loaded_dbapi.Error) from exc


def fetch_rows(connection: Connection, statement: HotStatement, parameters: dict[str, Any]) -> Sequence[Any]:
    """The rows of ``statement`` (a read a hot path runs on both dialects), by column name and position: on
    PostgreSQL run on the driver (:func:`execute_on_driver`), on SQLite through ``connection.execute``."""
    if connection.dialect.name == "postgresql":
        return execute_on_driver(connection, statement, parameters)
    return connection.execute(statement, parameters).all()


def table_of(model: type[Any]) -> Table:
    """The Core :class:`Table` behind a mapped class (``Model.__table__``, which SQLAlchemy types loosely as a
    ``FromClause``), for Core statements on the hot paths."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a single table")
    return table


def get_or_404(session: Session, model: type[T], object_id: object, *, lock: bool = False, what: str = "") -> T:
    """The ``model`` row with primary key ``object_id`` (locked ``FOR UPDATE`` with ``lock``), or
    :class:`shared.errors.NotFound` naming ``what`` (default: the table name)."""
    found = session.get(model, str(object_id), with_for_update=lock)
    if found is None:
        raise NotFound(f"{what or getattr(model, '__tablename__', model.__name__)} {object_id} not found")
    return found


def insert_or_skip(executor: Session | Connection, table: Table, values: dict[str, Any]) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING`` of one row: ``True`` when it went in (:func:`insert_or_skip_many`
    with one row)."""
    key = table.primary_key.columns.values()[0].name
    return bool(insert_or_skip_many(executor, table, [values], key))


def insert_or_skip_many(
    executor: Session | Connection, table: Table, rows: Sequence[dict[str, Any]], returning: str
) -> list[Any]:
    """Multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING <returning>`` (the insert-or-skip primitive): the
    ``returning`` values of the rows that went in, in one statement.

    Learns that from ``RETURNING`` (an INSERT's ``rowcount`` is -1 under psycopg 3). The rows are as
    :func:`insert_many` takes them; a row conflicting with another of the same call is skipped like one already
    stored. On PostgreSQL it is :func:`insert_many`'s statement with the conflict clause; SQLite gets a ``VALUES``
    list (SQLAlchemy 2.0 gives a dialect ``insert().on_conflict_do_nothing()`` no cache key, so it would be
    compiled again on every call)."""
    if not rows:
        return []
    connection = executor.connection() if isinstance(executor, Session) else executor
    if connection.dialect.name == "postgresql":
        return [
            row[0]
            for row in _insert_unnest(connection, table, rows, f' ON CONFLICT DO NOTHING RETURNING "{returning}"')
        ]
    names = tuple(rows[0])
    _check_named(table, names)
    if len(rows) == 1:
        params = rows[0]
    else:
        params = {f"{name}_{index}": row[name] for index, row in enumerate(rows) for name in names}
    return list(connection.execute(_insert_or_skip_values(table, names, len(rows), returning), params).scalars())


def insert_many(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` in one statement, whatever their number: the consumers' and the hot paths' bulk insert.

    Every row names the same columns, among them every column with a Python-side default (no default is
    applied: leaving such a column out is refused with ``ValueError``). On PostgreSQL the rows go as one array a
    column (``INSERT ... SELECT * FROM unnest(...)``), compiled once per table and column set and run on the
    driver (:func:`execute_on_driver`): one statement for the server to run, where an executemany is one a row,
    and none to compile again for a new row count, where a ``VALUES`` list would be. SQLite gets an executemany.
    The values pass through their columns' bind processing on both."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        _insert_unnest(connection, table, rows, "")
    else:
        _check_named(table, tuple(rows[0]))
        connection.execute(table.insert(), rows)


def _insert_unnest(connection: Connection, table: Table, rows: Sequence[dict[str, Any]], tail: str) -> list[Any]:
    """Run :func:`_unnest_statement` for ``rows``: each column's values as one list, through its bind processor."""
    names = tuple(rows[0])
    statement, processors = _unnest_statement(table, names, tail, connection.dialect)
    columns = {
        name: [row[name] for row in rows] if process is None else [process(row[name]) for row in rows]
        for name, process in zip(names, processors, strict=True)
    }
    return execute_on_driver(connection, statement, columns)


@lru_cache(maxsize=256)
def _unnest_statement(
    table: Table, names: tuple[str, ...], tail: str, dialect: Dialect
) -> tuple[TextClause, list[Any]]:
    """``INSERT INTO table (names) SELECT * FROM unnest(...) <tail>`` (one array parameter a column, named as the
    column) and each column's bind processor (``None`` where the value goes as it is)."""
    _check_named(table, names)
    columns = [table.c[name] for name in names]
    arrays = ", ".join(f"CAST(:{column.name} AS {column.type.compile(dialect=dialect)}[])" for column in columns)
    quoted = ", ".join(f'"{name}"' for name in names)
    statement = text(f'INSERT INTO "{table.name}" ({quoted}) SELECT * FROM unnest({arrays}){tail}')
    return statement, [column.type.bind_processor(dialect) for column in columns]


@lru_cache(maxsize=256)
def _check_named(table: Table, names: tuple[str, ...]) -> None:
    """Refuse rows that leave out a column whose default is Python's (a bulk insert would leave it NULL)."""
    missing = sorted(column.name for column in table.c if column.default is not None and column.name not in names)
    if missing:
        raise ValueError(f"rows for {table.name} leave out {', '.join(missing)}, which have Python-side defaults")


@lru_cache(maxsize=1024)
def _insert_or_skip_values(table: Table, names: tuple[str, ...], count: int, returning: str) -> TextClause:
    quoted = ", ".join(f'"{name}"' for name in names)
    if count == 1:
        suffixes = [""]
        values = "(" + ", ".join(f":{name}" for name in names) + ")"
    else:
        suffixes = [f"_{index}" for index in range(count)]
        values = ", ".join("(" + ", ".join(f":{name}{suffix}" for name in names) + ")" for suffix in suffixes)
    return text(
        f'INSERT INTO "{table.name}" ({quoted}) VALUES {values} ON CONFLICT DO NOTHING RETURNING "{returning}"'
    ).bindparams(*[bindparam(f"{name}{suffix}", type_=table.c[name].type) for suffix in suffixes for name in names])
