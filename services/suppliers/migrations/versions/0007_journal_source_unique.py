"""a journal entry's source is unique: ledger_sources and claimed_keys dropped

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # every entry was posted under its source's claim in ledger_sources, so no source has two entries
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_journal_entries_source")
        batch_op.create_index("ix_journal_entries_source", ["source_type", "source_id"], unique=True)
    op.drop_table("ledger_sources")
    op.drop_table("claimed_keys")


def downgrade() -> None:
    op.create_table(
        "claimed_keys",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "ledger_sources",
        sa.Column("source_key", sa.String(length=100), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=True),
        sa.Column("recorded_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_key"),
    )
    op.execute(
        "INSERT INTO ledger_sources (source_key, entry_id, recorded_at) "
        "SELECT source_type || ':' || source_id, id, posted_at FROM journal_entries "
        "WHERE source_type IN ('sale', 'refund', 'write_off')"
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_journal_entries_source")
        batch_op.create_index("ix_journal_entries_source", ["source_type", "source_id"], unique=False)
