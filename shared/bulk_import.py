"""Importing many rows at once (suppliers, products), all or nothing.

Every row is checked by the same request schema and the same use case as a single create; the problems of every
bad row are collected (``errors.rows.<index>.<field>``), and when there is any, nothing is written. A dry run
does all of it and then rolls the transaction back, answering what would have been created (the preview).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from marshmallow import Schema, ValidationError, validate
from marshmallow import fields as ma_fields
from sqlalchemy.orm import Session

from shared.errors import DomainError
from shared.runtime import current_runtime
from shared.schemas import Boolean, StrictSchema

#: Problem code of an import with at least one bad row (see ``errors.rows``).
INVALID_IMPORT_ROWS = "invalid_import_rows"
#: At most this many rows in one import.
MAX_ROWS = 1000


class ImportIn(StrictSchema):
    rows = ma_fields.List(
        ma_fields.Dict(), required=True, validate=validate.Length(min=1, max=MAX_ROWS, error="1 to 1000 rows.")
    )
    dry_run = Boolean(load_default=True, metadata={"description": "Check and preview only (the default)"})


class DryRunFinished(Exception):
    """Raised out of the transaction of a dry run so that it rolls back; carries the preview."""

    def __init__(self, created: list[dict[str, Any]]):
        super().__init__("dry run")
        self.created = created


def import_rows(
    rows: list[dict[str, Any]],
    schema: Schema,
    create: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    dry_run: bool,
) -> list[dict[str, Any]]:
    """Load every row with ``schema`` and ``create`` it (inside the caller's transaction); the created rows as
    ``create`` describes them. Any bad row: a 422 naming every bad row's fields. A dry run: :class:`DryRunFinished`
    (the caller's transaction rolls back)."""
    errors: dict[str, Any] = {}
    created: list[dict[str, Any]] = []
    for index, raw in enumerate(rows):
        try:
            data = schema.load(raw)
        except ValidationError as exc:
            errors[str(index)] = exc.messages
            continue
        try:
            created.append(create(data))
        except DomainError as exc:
            errors[str(index)] = exc.errors or {"_schema": [exc.detail]}
    if errors:
        raise DomainError(
            f"{len(errors)} of {len(rows)} rows are not valid; nothing was imported",
            errors={"rows": errors},
            code=INVALID_IMPORT_ROWS,
        )
    if dry_run:
        raise DryRunFinished(created)
    return created


@contextmanager
def import_transaction() -> Iterator[tuple[Session, dict[str, Any]]]:
    """The transaction of an import; ``outcome`` gets ``dry_run`` and ``rows`` (the created or previewed rows),
    whether the transaction committed (a real import) or rolled back (a dry run)."""
    outcome: dict[str, Any] = {"dry_run": False, "rows": []}
    try:
        with current_runtime().transaction() as session:
            yield session, outcome
    except DryRunFinished as finished:
        outcome.update(dry_run=True, rows=finished.created)
