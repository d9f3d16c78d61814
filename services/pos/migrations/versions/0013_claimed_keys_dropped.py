"""claimed_keys dropped: a consumer recognises a fact by its own records of it

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0013"
down_revision: str | None = "0012"
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
