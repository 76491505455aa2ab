"""Budgets and their alerts (issue 8): tables `budget` and `budget_alert`.

Revision ID: 0003_budgets
Revises: 0002_team_database
Create Date: 2026-12-06 22:10:00

Every id and instant is 64-bit (BigInteger): microsecond timestamps overflow 32 bits, and
PostgreSQL, unlike SQLite, keeps INTEGER to 32. On SQLite a primary key must be spelled INTEGER
to number itself (a rowid alias), hence the variant.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_budgets"
down_revision: str | None = "0002_team_database"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "budget",
        sa.Column("id", _ID, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("amount", sa.String(), nullable=False),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("vendor", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("project", sa.String(), nullable=True),
        sa.Column("thresholds", sa.String(), nullable=False),
        sa.Column("forecast_alert", sa.Boolean(), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget")),
        sa.UniqueConstraint("name", name=op.f("uq_budget_name")),
    )
    op.create_table(
        "budget_alert",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("budget_id", sa.BigInteger(), nullable=True),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.String(), nullable=True),
        sa.Column("crossed_at_us", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.String(), nullable=True),
        sa.Column("vendor", sa.String(), nullable=True),
        sa.Column("day", sa.String(), nullable=True),
        sa.Column("norm", sa.String(), nullable=True),
        sa.Column("limit_amount", sa.String(), nullable=True),
        sa.Column("raised_at_us", sa.BigInteger(), nullable=False),
        sa.Column("acknowledged_at_us", sa.BigInteger(), nullable=True),
        sa.Column("withdrawn_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["budget_id"], ["budget.id"], name=op.f("fk_budget_alert_budget_id_budget"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_alert")),
    )
    op.create_index(op.f("ix_budget_alert_budget_id"), "budget_alert", ["budget_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_table("budget_alert")
    op.drop_table("budget")
