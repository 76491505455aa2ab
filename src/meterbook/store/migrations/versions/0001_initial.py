"""The initial schema (generated from store/tables.py, checked by hand).

Revision ID: 0001
Revises:
Create Date: 2026-11-27 08:44:10.837137
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_rate",
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("rate", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("currency", "month", name=op.f("pk_exchange_rate")),
    )
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_us", sa.Integer(), nullable=False),
        sa.Column("files", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("profile", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    op.create_table(
        "mapping_profile",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("mapping", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_mapping_profile")),
    )
    op.create_table(
        "meter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("service_tier", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("unit_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter")),
    )
    op.create_table(
        "plan_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("vendor", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("service_tier", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("effective_from_us", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("token_unit", sa.Integer(), nullable=False),
        sa.Column("input", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("cached_input", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("cache_write", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("output", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("request", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("unit_price", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("unit_size", sa.Integer(), nullable=False),
        sa.Column("multiplier", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("volume_meter", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("volume_mode", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("monthly_fee", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("monthly_minimum", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("free_trial_days", sa.Integer(), nullable=False),
        sa.Column("billing_timezone", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_version")),
    )
    op.create_index(op.f("ix_plan_version_name"), "plan_version", ["name"], unique=False)
    op.create_index(op.f("ix_plan_version_vendor"), "plan_version", ["vendor"], unique=False)

    op.create_table(
        "setting",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )
    op.create_table(
        "usage_rollup",
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_input_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_write_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("units_micro", sa.Integer(), nullable=False),
        sa.Column("charge_nano", sa.Integer(), nullable=False),
        sa.Column("billed_nano", sa.Integer(), nullable=False),
        sa.Column("unbilled_charge_nano", sa.Integer(), nullable=False),
        sa.Column("unbilled_requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "hour", "meter_id", "plan_version_id", "currency", name=op.f("pk_usage_rollup")
        ),
    )
    op.create_table(
        "plan_size_tier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("above_input_tokens", sa.Integer(), nullable=False),
        sa.Column("input", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("cached_input", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("cache_write", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("output", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("request", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("unit_price", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_version.id"],
            name=op.f("fk_plan_size_tier_plan_version_id_plan_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_size_tier")),
    )
    op.create_index(
        op.f("ix_plan_size_tier_plan_version_id"),
        "plan_size_tier",
        ["plan_version_id"],
        unique=False,
    )

    op.create_table(
        "plan_volume_tier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("up_to", sa.Integer(), nullable=True),
        sa.Column("price", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_version.id"],
            name=op.f("fk_plan_volume_tier_plan_version_id_plan_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_volume_tier")),
    )
    op.create_index(
        op.f("ix_plan_volume_tier_plan_version_id"),
        "plan_volume_tier",
        ["plan_version_id"],
        unique=False,
    )

    op.create_table(
        "refused_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("file", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
            name=op.f("fk_refused_line_batch_id_import_batch"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refused_line")),
    )
    op.create_index(op.f("ix_refused_line_batch_id"), "refused_line", ["batch_id"], unique=False)

    op.create_table(
        "usage_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("timestamp_us", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_input_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_write_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("units_micro", sa.Integer(), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("user", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("api_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("billed_nano", sa.Integer(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batch.id"], name=op.f("fk_usage_record_batch_id_import_batch")
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meter.id"], name=op.f("fk_usage_record_meter_id_meter")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_record")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_usage_record_dedupe_key")),
    )
    op.create_index(
        op.f("ix_usage_record_conversation_id"), "usage_record", ["conversation_id"], unique=False
    )
    op.create_index(
        op.f("ix_usage_record_timestamp_us"), "usage_record", ["timestamp_us"], unique=False
    )

    op.create_table(
        "usage_charge",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("charge_nano", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["usage_record.id"],
            name=op.f("fk_usage_charge_record_id_usage_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_usage_charge")),
    )


def downgrade() -> None:
    # Children before the tables they reference; dropping a table drops its indexes.
    op.drop_table("usage_charge")
    op.drop_table("usage_record")
    op.drop_table("refused_line")
    op.drop_table("plan_volume_tier")
    op.drop_table("plan_size_tier")
    op.drop_table("usage_rollup")
    op.drop_table("setting")
    op.drop_table("plan_version")
    op.drop_table("meter")
    op.drop_table("mapping_profile")
    op.drop_table("import_batch")
    op.drop_table("exchange_rate")
