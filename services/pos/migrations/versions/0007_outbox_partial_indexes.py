"""outbox: partial indexes on the unconfirmed rows (pending by age, sent by republish time) instead of the full
status and republish-time indexes, so the relay and the sweep never read the confirmed rows

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status")
        batch_op.drop_index("ix_outbox_republish_at")
    for name, status, column in (
        ("ix_outbox_pending_created_at", "pending", "created_at"),
        ("ix_outbox_sent_republish_at", "sent", "republish_at"),
    ):
        where = sa.text(f"status = '{status}'")
        op.create_index(name, "outbox", [column], postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    op.drop_index("ix_outbox_sent_republish_at", table_name="outbox")
    op.drop_index("ix_outbox_pending_created_at", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_republish_at", ["republish_at"], unique=False)
        batch_op.create_index("ix_outbox_status", ["status"], unique=False)
