"""a product's on-hand is its lots' plus product_stock.unallocated (what it holds outside any lot)

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

_LOTS_OF_ROW = (
    "COALESCE((SELECT SUM(lots.on_hand) FROM lots"
    " WHERE lots.product_id = product_stock.product_id AND lots.outlet_id = product_stock.outlet_id), 0)"
)


def upgrade() -> None:
    op.execute(f"UPDATE product_stock SET on_hand = on_hand - {_LOTS_OF_ROW}")
    with op.batch_alter_table("product_stock", schema=None) as batch_op:
        batch_op.alter_column("on_hand", new_column_name="unallocated", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("product_stock", schema=None) as batch_op:
        batch_op.alter_column("unallocated", new_column_name="on_hand", existing_type=sa.Integer(), nullable=False)
    op.execute(f"UPDATE product_stock SET on_hand = on_hand + {_LOTS_OF_ROW}")
