"""claimed_keys dropped: a sale or refund already applied is recognised by its stock movements

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("claimed_keys")


def downgrade() -> None:
    op.create_table(
        "claimed_keys",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.execute(
        "INSERT INTO claimed_keys (key, claimed_at) "
        "SELECT kind || ':' || reference_id, MIN(recorded_at) FROM movements "
        "WHERE kind IN ('sale', 'refund') AND reference_id IS NOT NULL GROUP BY kind, reference_id"
    )
