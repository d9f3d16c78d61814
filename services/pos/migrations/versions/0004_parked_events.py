"""parked events (an event waiting for an earlier fact, e.g. a refund before its sale)

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parked_events",
        sa.Column("consumer", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("waits_for", sa.String(length=100), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("parked_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    with op.batch_alter_table("parked_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parked_events_waits_for"), ["waits_for"], unique=False)
        batch_op.create_index(batch_op.f("ix_parked_events_parked_at"), ["parked_at"], unique=False)


def downgrade() -> None:
    op.drop_table("parked_events")
