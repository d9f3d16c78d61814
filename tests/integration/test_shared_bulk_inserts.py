"""``shared.db.insert_many`` and ``insert_or_skip_many``, the bulk inserts every consumer's batch claims and writes
with: the same answer on SQLite and on PostgreSQL (one array a column), whatever the batch's size."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table, select
from sqlalchemy.exc import IntegrityError, StatementError

from shared.db import UTCDateTime, insert_many, insert_or_skip, insert_or_skip_many, make_engine

_metadata = MetaData()
_notes = Table(
    "notes",
    _metadata,
    Column("id", String(36), primary_key=True),
    Column("qty", Integer),
    Column("kept", Boolean, nullable=False),
    Column("amount", BigInteger),
    Column("at", UTCDateTime),
    Column("label", String(20), default="none"),
)
_AT = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)


@pytest.fixture
def engine(make_database_url):
    engine = make_engine(make_database_url("notes"))
    _metadata.create_all(engine)
    yield engine
    engine.dispose()


def _note(note_id: str, qty: int | None = 1, **fields) -> dict:
    return {"id": note_id, "qty": qty, "kept": True, "amount": None, "at": None, "label": "catatan", **fields}


def test_the_new_rows_go_in_and_their_keys_come_back(engine):
    with engine.begin() as connection:
        assert insert_or_skip_many(connection, _notes, [_note("a"), _note("b", amount=10**15, at=_AT)], "id") == [
            "a",
            "b",
        ]
        again = [_note("b", qty=9), _note("c", qty=None, kept=False), _note("c", qty=7)]
        assert insert_or_skip_many(connection, _notes, again, "id") == ["c"]
        assert insert_or_skip(connection, _notes, _note("d")) is True
        assert insert_or_skip(connection, _notes, _note("d")) is False
        rows = connection.execute(select(_notes).order_by(_notes.c.id)).all()
    assert [tuple(row) for row in rows] == [
        ("a", 1, True, None, None, "catatan"),
        ("b", 1, True, 10**15, _AT, "catatan"),
        ("c", None, False, None, None, "catatan"),
        ("d", 1, True, None, None, "catatan"),
    ]


@pytest.mark.parametrize("size", [1, 2, 37, 400])
def test_any_batch_size_writes_every_row_once(engine, size):
    with engine.begin() as connection:
        insert_or_skip_many(connection, _notes, [_note(f"old-{i}") for i in range(0, size, 2)], "id")
        batch = [_note(f"old-{i}") for i in range(size)] + [_note(f"new-{i}", qty=i) for i in range(size)]
        went_in = insert_or_skip_many(connection, _notes, batch, "id")
        count = len(connection.execute(select(_notes.c.id)).all())
    assert sorted(went_in) == sorted([f"old-{i}" for i in range(1, size, 2)] + [f"new-{i}" for i in range(size)])
    assert count == 2 * size


def test_values_pass_their_columns_bind_processing(engine):
    """A naive timestamp is refused as ``UTCDateTime`` refuses it, and nothing is written."""
    with pytest.raises((ValueError, StatementError), match="naive"), engine.begin() as connection:
        insert_or_skip_many(connection, _notes, [_note("a"), _note("b", at=datetime(2026, 12, 1, 21, 30))], "id")
    with engine.begin() as connection:
        assert connection.execute(select(_notes.c.id)).all() == []


@pytest.mark.parametrize("size", [1, 3, 250])
def test_insert_many_writes_every_row(engine, size):
    with engine.begin() as connection:
        insert_many(connection, _notes, [_note(f"n-{i}", qty=i, at=_AT if i % 2 else None) for i in range(size)])
        rows = connection.execute(select(_notes.c.id, _notes.c.qty, _notes.c.at)).all()
    assert sorted((row.qty, row.at) for row in rows) == [(i, _AT if i % 2 else None) for i in range(size)]


def test_insert_many_refuses_to_leave_out_a_python_side_default(engine):
    """The bulk statement would leave the column NULL where an ORM or Core insert writes its default."""
    without_label = [{key: value for key, value in _note("a").items() if key != "label"}]
    with pytest.raises(ValueError, match="label"), engine.begin() as connection:
        insert_many(connection, _notes, without_label)
    with pytest.raises(ValueError, match="label"), engine.begin() as connection:
        insert_or_skip_many(connection, _notes, without_label, "id")
    with pytest.raises(IntegrityError), engine.begin() as connection:
        insert_many(connection, _notes, [_note("a"), _note("a")])
    with engine.begin() as connection:
        assert connection.execute(select(_notes.c.id)).all() == []
