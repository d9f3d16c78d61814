"""drop the outbox/inbox tables: the gateway exchanges no events

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGING_TABLES = ("outbox", "processed_events", "delivery_attempts", "dead_letters")


def upgrade() -> None:
    for table in MESSAGING_TABLES:
        op.drop_table(table)


def downgrade() -> None:
    raise NotImplementedError("the gateway never used these tables; restore them from 0001 if ever needed")
