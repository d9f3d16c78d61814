"""idempotency: a record is written once, with its response (no in-flight status)

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a claim only ever committed together with its response: no stored row is in flight
    op.execute("DELETE FROM idempotency_records WHERE status <> 'done'")
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_column("status")
        batch_op.alter_column("response_status", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("response_body", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.alter_column("response_body", existing_type=sa.Text(), nullable=True)
        batch_op.alter_column("response_status", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="done"))
