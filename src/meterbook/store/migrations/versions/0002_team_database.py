"""64-bit integers for instants, ids, token counts and money units (a shared PostgreSQL database).

SQLite stores every INTEGER in up to 8 bytes already, so there is nothing to do there. PostgreSQL
created these columns as 32-bit `integer`, and a microsecond timestamp (1.7e15) or a nano-unit
charge of more than $2.14 does not fit in one: nothing could be saved. Sequences made for SERIAL
ids are 32-bit too and are widened with their columns.

Revision ID: 0002_team_database
Revises: 0001
Create Date: 2026-12-06 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_team_database"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than read from store/tables.py: a released migration must not change when
# the models do. Left 32-bit: plan priority, tier position, free trial days and line numbers.
WIDENED = {
    "import_batch": ("id", "created_us", "lines", "added", "duplicates", "refused"),
    "mapping_profile": ("created_us",),
    "meter": ("id",),
    "plan_version": ("id", "effective_from_us", "token_unit", "unit_size"),
    "plan_size_tier": ("id", "plan_version_id", "above_input_tokens"),
    "plan_volume_tier": ("id", "plan_version_id", "up_to"),
    "refused_line": ("id", "batch_id"),
    "usage_record": ("id", "batch_id", "timestamp_us", "meter_id", "requests", "input_tokens",
                     "cached_input_tokens", "cache_write_tokens", "output_tokens", "units_micro",
                     "billed_nano"),
    "usage_charge": ("record_id", "charge_nano", "plan_version_id"),
    "usage_rollup": ("hour", "meter_id", "plan_version_id", "records", "requests",
                     "input_tokens", "cached_input_tokens", "cache_write_tokens",
                     "output_tokens", "units_micro", "charge_nano", "billed_nano",
                     "unbilled_charge_nano", "unbilled_requests"),
}


def _change(to: type[sa.types.TypeEngine], sequence_type: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return  # SQLite's INTEGER is 64-bit whatever the declared type
    for table, columns in WIDENED.items():
        for column in columns:
            op.alter_column(table, column, type_=to())
        if "id" in columns and bind.dialect.name == "postgresql":
            sequence = bind.exec_driver_sql(
                f"SELECT pg_get_serial_sequence('{table}', 'id')").scalar()
            if sequence:
                bind.exec_driver_sql(f"ALTER SEQUENCE {sequence} AS {sequence_type}")


def upgrade() -> None:
    _change(sa.BigInteger, "bigint")


def downgrade() -> None:
    _change(sa.Integer, "integer")
