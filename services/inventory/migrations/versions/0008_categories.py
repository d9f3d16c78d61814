"""categories managed by managers (were a fixed list in the code); existing product categories become rows

Revision ID: 0008
Revises: 0004
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0008"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The list the code held until now: (code, name, SKU prefix, requires expiry).
FORMER_CATEGORIES = [
    ("makanan", "Makanan", "MKN", True),
    ("minuman", "Minuman", "MNM", True),
    ("kerajinan", "Kerajinan", "KRJ", False),
    ("fashion", "Fashion", "FSH", False),
    ("lainnya", "Lainnya", "LNY", False),
]


def upgrade() -> None:
    categories = op.create_table(
        "categories",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sku_prefix", sa.String(length=5), nullable=False),
        sa.Column("requires_expiry", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("name"),
    )
    now = datetime.now(UTC)
    rows = {code: (name, prefix, food) for code, name, prefix, food in FORMER_CATEGORIES}
    for (code,) in op.get_bind().execute(sa.text("SELECT DISTINCT category FROM products")):
        if code not in rows:  # a value written outside the former list: kept, named after itself
            rows[code] = (code.capitalize()[:100], (code.upper() + "XXX")[:3], False)
    op.bulk_insert(
        categories,
        [
            {
                "code": code,
                "name": name,
                "sku_prefix": prefix,
                "requires_expiry": food,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for code, (name, prefix, food) in rows.items()
        ],
    )


def downgrade() -> None:
    op.drop_table("categories")
