"""counter: a change sequence for the catalogue feed, price history, outlet favourites, drawer-kick setting

Revision ID: 0011
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEQ = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "catalogue_sequence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", _SEQ, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("catalogue_products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_seq", _SEQ, nullable=False, server_default="0"))
        batch_op.create_index(batch_op.f("ix_catalogue_products_change_seq"), ["change_seq"], unique=False)
    # the products held so far take numbers in their former feed order
    connection = op.get_bind()
    ids = connection.execute(sa.text("SELECT product_id FROM catalogue_products ORDER BY updated_at, product_id"))
    last = 0
    for last, (product_id,) in enumerate(ids.all(), start=1):
        connection.execute(
            sa.text("UPDATE catalogue_products SET change_seq = :seq WHERE product_id = :id"),
            {"seq": last, "id": product_id},
        )
    connection.execute(sa.text("INSERT INTO catalogue_sequence (id, last_seq) VALUES (1, :last)"), {"last": last})

    op.create_table(
        "catalogue_prices",
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("price", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("effective_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("product_id", "revision"),
    )
    connection.execute(
        sa.text(
            "INSERT INTO catalogue_prices (product_id, revision, price, effective_at)"
            " SELECT product_id, revision, price, updated_at FROM catalogue_products"
        )
    )
    op.create_table(
        "outlet_favourites",
        sa.Column("outlet_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("outlet_id", "product_id"),
    )
    with op.batch_alter_table("register_printers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("open_drawer", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("register_printers", schema=None) as batch_op:
        batch_op.drop_column("open_drawer")
    op.drop_table("outlet_favourites")
    op.drop_table("catalogue_prices")
    with op.batch_alter_table("catalogue_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalogue_products_change_seq"))
        batch_op.drop_column("change_seq")
    op.drop_table("catalogue_sequence")
