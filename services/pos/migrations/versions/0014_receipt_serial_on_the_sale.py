"""receipt serial kept on the sale: receipt_counters dropped

The next serial is one more than the register's last that day, read under the register's row lock; the
serial's unique index (business day, register, serial) replaces the business-day index it leads with.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SALES = sa.table(
    "sales",
    sa.column("id", sa.String()),
    sa.column("receipt_no", sa.String()),
    sa.column("receipt_serial", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt_serial", sa.Integer(), nullable=True))
    connection = op.get_bind()
    numbered = connection.execute(sa.select(_SALES.c.id, _SALES.c.receipt_no).where(_SALES.c.receipt_no.is_not(None)))
    serials = [{"sale_id": id_, "serial": int(receipt_no.rsplit("-", 1)[1])} for id_, receipt_no in numbered]
    if serials:
        connection.execute(
            _SALES.update().where(_SALES.c.id == sa.bindparam("sale_id")).values(receipt_serial=sa.bindparam("serial")),
            serials,
        )
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_business_day"))
        batch_op.create_index(
            "ux_sales_business_day_register_serial", ["business_day", "register_id", "receipt_serial"], unique=True
        )
    op.drop_table("receipt_counters")


def downgrade() -> None:
    op.create_table(
        "receipt_counters",
        sa.Column("register_id", sa.String(length=36), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("register_id", "business_day"),
    )
    op.execute(
        "INSERT INTO receipt_counters (register_id, business_day, last_serial)"
        " SELECT register_id, business_day, MAX(receipt_serial) FROM sales"
        " WHERE receipt_serial IS NOT NULL GROUP BY register_id, business_day"
    )
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index("ux_sales_business_day_register_serial")
        batch_op.create_index(batch_op.f("ix_sales_business_day"), ["business_day"], unique=False)
        batch_op.drop_column("receipt_serial")
