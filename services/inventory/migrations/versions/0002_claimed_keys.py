"""claimed business keys (the same fact under a new event id is applied once)

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claimed_keys",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    # Sales and refunds applied before this migration claim their keys now, so a republished one is a duplicate.
    op.execute(
        "INSERT INTO claimed_keys (key, claimed_at) "
        "SELECT 'sale:' || reference_id, MIN(recorded_at) FROM movements "
        "WHERE kind = 'sale' AND reference_id IS NOT NULL GROUP BY reference_id"
    )
    op.execute(
        "INSERT INTO claimed_keys (key, claimed_at) "
        "SELECT 'refund:' || reference_id, MIN(recorded_at) FROM movements "
        "WHERE kind = 'refund' AND reference_id IS NOT NULL GROUP BY reference_id"
    )


def downgrade() -> None:
    op.drop_table("claimed_keys")
