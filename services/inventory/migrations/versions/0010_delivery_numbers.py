"""deliveries get a number people use (KRM-<year>-<serial>) and the reason they were cancelled

Revision ID: 0010
Revises: 0009
"""

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db
from shared import business_time

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
    deliveries = sa.table(
        "deliveries",
        sa.column("id", sa.String(36)),
        sa.column("announced_at", shared.db.UTCDateTime(timezone=True)),
        sa.column("number", sa.String(32)),
    )
    counters = sa.table("counters", sa.column("name", sa.String(64)), sa.column("value", sa.Integer))
    bind = op.get_bind()
    serials: Counter[int] = Counter()
    rows = bind.execute(sa.select(deliveries.c.id, deliveries.c.announced_at).order_by(deliveries.c.announced_at))
    for delivery_id, announced_at in rows.all():
        year = business_time.business_day(announced_at).year
        serials[year] += 1
        bind.execute(
            deliveries.update().where(deliveries.c.id == delivery_id).values(number=f"KRM-{year}-{serials[year]:06d}")
        )
    if serials:
        op.bulk_insert(counters, [{"name": f"delivery:{year}", "value": last} for year, last in serials.items()])
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("number", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint("uq_deliveries_number", ["number"])


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM counters WHERE name LIKE 'delivery:%'"))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_deliveries_number", type_="unique")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("number")
