"""account balances derived from the postings when read: account_balances dropped

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the invariant check held every stored balance equal to its postings: nothing is lost
    op.drop_table("account_balances")


def downgrade() -> None:
    op.create_table(
        "account_balances",
        sa.Column("account_code", sa.String(length=64), nullable=False),
        sa.Column("balance", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["account_code"], ["accounts.code"]),
        sa.PrimaryKeyConstraint("account_code"),
    )
    op.execute(
        "INSERT INTO account_balances (account_code, balance)"
        " SELECT accounts.code, COALESCE(SUM(postings.credit) - SUM(postings.debit), 0)"
        " FROM accounts LEFT JOIN postings ON postings.account_code = accounts.code GROUP BY accounts.code"
    )
