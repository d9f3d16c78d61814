"""outlet_settings: the receipt's own header and footer lines

Revision ID: 0010
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outlet_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt_header", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("receipt_footer", sa.String(length=400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outlet_settings", schema=None) as batch_op:
        batch_op.drop_column("receipt_footer")
        batch_op.drop_column("receipt_header")
