"""``shared.db.insert_or_skip_many``, the insert-or-skip primitive every consumer's batch claims and writes with:
the same answer on SQLite (a ``VALUES`` list) and PostgreSQL (one array a column), whatever the batch's size."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table, select
from sqlalchemy.exc import StatementError

from shared.db import UTCDateTime, insert_or_skip, insert_or_skip_many, make_engine

_metadata = MetaData()
_notes = Table(
    "notes",
    _metadata,
    Column("id", String(36), primary_key=True),
    Column("qty", Integer),
    Column("kept", Boolean, nullable=False),
    Column("amount", BigInteger),
    Column("at", UTCDateTime),
)
_AT = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)


@pytest.fixture
def engine(make_database_url):
    engine = make_engine(make_database_url("notes"))
    _metadata.create_all(engine)
    yield engine
    engine.dispose()


def _note(note_id: str, qty: int | None = 1, **fields) -> dict:
    return {"id": note_id, "qty": qty, "kept": True, "amount": None, "at": None, **fields}


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
        ("a", 1, True, None, None),
        ("b", 1, True, 10**15, _AT),
        ("c", None, False, None, None),
        ("d", 1, True, None, None),
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
