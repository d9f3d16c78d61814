"""approval_failures: wrong manager PINs, counted for the lock-out

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_failures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("cashier_id", sa.String(length=128), nullable=False),
        sa.Column("at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_approval_failures_username_at", "approval_failures", ["username", "at"])
    op.create_index("ix_approval_failures_cashier_at", "approval_failures", ["cashier_id", "at"])


def downgrade() -> None:
    op.drop_table("approval_failures")
