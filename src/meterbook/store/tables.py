"""The database tables (SQLModel). Schema changes go through Alembic (store/migrations).

Money is integer nano-units (10^-9 of the currency) or decimal text, never float; instants are
integer microseconds since the Unix epoch, UTC; `units` are integer micro-units (10^-6).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

# Instants in microseconds, ids, token counts and money units need 64 bits (a timestamp is
# about 1.8e15; a charge of $2.15 in nano-units passes 2^31). SQLite's INTEGER is 64-bit
# already, and only "INTEGER PRIMARY KEY" makes a column SQLite's rowid: the variant keeps
# SQLite's schema as it was (migration 0002 widens PostgreSQL's columns).
BIG_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Named constraints let later Alembic batch migrations on SQLite drop or alter a foreign key or
# unique constraint by name; SQLite itself keeps no names for unnamed ones. Must be set before
# the first table class below is defined.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True)
    value: str


class ExchangeRate(SQLModel, table=True):
    """How many units of the home currency one unit of `currency` was worth in `month`."""

    __tablename__ = "exchange_rate"
    currency: str = Field(primary_key=True)  # ISO 4217
    month: str = Field(primary_key=True)  # YYYY-MM
    rate: str  # decimal text


class PlanVersion(SQLModel, table=True):
    """One [[plan]] table of pricing-plans.md. Prices are decimal text; NULL means not given."""

    __tablename__ = "plan_version"
    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_INT)
    name: str = Field(index=True)
    vendor: str = Field(index=True)  # lower-case
    model: str = "*"
    project: str = "*"
    service_tier: str | None = None
    currency: str = "USD"
    effective_from_us: int | None = Field(default=None, sa_type=BIG_INT)
    priority: int = 0
    source: str | None = None
    token_unit: int = Field(default=1_000_000, sa_type=BIG_INT)
    input: str = "0"
    cached_input: str | None = None
    cache_write: str | None = None
    output: str = "0"
    request: str = "0"
    unit_price: str = "0"
    unit_size: int = Field(default=1, sa_type=BIG_INT)
    multiplier: str = "1"
    volume_meter: str | None = None
    volume_mode: str | None = None
    monthly_fee: str = "0"
    monthly_minimum: str = "0"
    free_trial_days: int = 0
    billing_timezone: str = "UTC"


class PlanSizeTier(SQLModel, table=True):
    __tablename__ = "plan_size_tier"
    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_INT)
    plan_version_id: int = Field(foreign_key="plan_version.id", index=True, ondelete="CASCADE",
                                 sa_type=BIG_INT)
    position: int
    above_input_tokens: int = Field(sa_type=BIG_INT)
    input: str | None = None
    cached_input: str | None = None
    cache_write: str | None = None
    output: str | None = None
    request: str | None = None
    unit_price: str | None = None


class PlanVolumeTier(SQLModel, table=True):
    __tablename__ = "plan_volume_tier"
    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_INT)
    plan_version_id: int = Field(foreign_key="plan_version.id", index=True, ondelete="CASCADE",
                                 sa_type=BIG_INT)
    position: int
    up_to: int | None = Field(default=None, sa_type=BIG_INT)  # NULL: the final, open tier
    price: str


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_INT)
    created_us: int = Field(sa_type=BIG_INT)
    files: str  # file names, one per line
    profile: str
    lines: int = Field(default=0, sa_type=BIG_INT)
    added: int = Field(default=0, sa_type=BIG_INT)
    duplicates: int = Field(default=0, sa_type=BIG_INT)
    refused: int = Field(default=0, sa_type=BIG_INT)


class RefusedLine(SQLModel, table=True):
    """A line refused under --skip-bad-lines, kept with its batch so nothing read is lost."""

    __tablename__ = "refused_line"
    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_INT)
    batch_id: int = Field(foreign_key="import_batch.id", index=True, ondelete="CASCADE",
                          sa_type=BIG_INT)
    file: str
    line: int
    message: str
    text: str


class Meter(SQLModel, table=True):
    """What is metered: a vendor's model for a project and service tier.

    Records point here instead of repeating these texts, which keeps the usage table narrow and
    lets the pricing engine match each meter once rather than once per record.
    """

    __tablename__ = "meter"
    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_INT)
    vendor: str  # lower-case
    model: str
    project: str = ""  # "" when the record has none
    service_tier: str = ""
    unit_name: str = ""


class UsageRow(SQLModel, table=True):
    """A canonical usage record (usage-data.md), as imported; its charge is in usage_charge."""

    __tablename__ = "usage_record"
    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_INT)
    # No index on batch_id: only undo looks records up by batch, and one scan then is cheaper
    # than keeping an index up to date through every million-line import.
    batch_id: int = Field(foreign_key="import_batch.id", sa_type=BIG_INT)
    timestamp_us: int = Field(index=True, sa_type=BIG_INT)
    meter_id: int = Field(foreign_key="meter.id", sa_type=BIG_INT)
    requests: int = Field(default=1, sa_type=BIG_INT)
    input_tokens: int = Field(default=0, sa_type=BIG_INT)
    cached_input_tokens: int = Field(default=0, sa_type=BIG_INT)
    cache_write_tokens: int = Field(default=0, sa_type=BIG_INT)
    output_tokens: int = Field(default=0, sa_type=BIG_INT)
    units_micro: int = Field(default=0, sa_type=BIG_INT)
    request_id: str | None = None
    conversation_id: str | None = Field(default=None, index=True)
    user: str | None = None
    api_key: str | None = None
    billed_nano: int | None = Field(default=None, sa_type=BIG_INT)
    currency: str | None = None  # of billed_nano
    # Identity for idempotent imports: "r:<vendor>:<request_id>" or "c:<hash>:<occurrence>".
    dedupe_key: str = Field(unique=True)


class UsageCharge(SQLModel, table=True):
    """What the pricing engine computed for a record: its charge and the plan version.

    Apart from usage_record, which holds what was imported and never changes: re-pricing a
    million records rewrites this narrow table, twice as fast as the wide one. A record
    without a row here is unpriced (never $0).
    """

    __tablename__ = "usage_charge"
    record_id: int = Field(primary_key=True, foreign_key="usage_record.id", ondelete="CASCADE",
                           sa_type=BIG_INT)
    charge_nano: int = Field(sa_type=BIG_INT)
    plan_version_id: int = Field(sa_type=BIG_INT)


class UsageRollup(SQLModel, table=True):
    """Sums of usage per UTC hour, meter, pricing plan version and billed currency.

    Kept in step with usage_record by every write, so month and dashboard figures read a few
    thousand rows instead of millions. plan_version_id 0 is "unpriced", currency "" is "no bill".
    """

    __tablename__ = "usage_rollup"
    # microseconds since epoch // 3_600_000_000
    hour: int = Field(primary_key=True, sa_type=BIG_INT)
    meter_id: int = Field(primary_key=True, sa_type=BIG_INT)
    plan_version_id: int = Field(primary_key=True, sa_type=BIG_INT)
    currency: str = Field(primary_key=True)
    records: int = Field(default=0, sa_type=BIG_INT)
    requests: int = Field(default=0, sa_type=BIG_INT)
    input_tokens: int = Field(default=0, sa_type=BIG_INT)
    cached_input_tokens: int = Field(default=0, sa_type=BIG_INT)
    cache_write_tokens: int = Field(default=0, sa_type=BIG_INT)
    output_tokens: int = Field(default=0, sa_type=BIG_INT)
    units_micro: int = Field(default=0, sa_type=BIG_INT)
    charge_nano: int = Field(default=0, sa_type=BIG_INT)  # computed charges
    billed_nano: int = Field(default=0, sa_type=BIG_INT)  # vendors' own charges
    # computed charges of records that have no billed cost
    unbilled_charge_nano: int = Field(default=0, sa_type=BIG_INT)
    # requests of records without billed cost
    unbilled_requests: int = Field(default=0, sa_type=BIG_INT)


class MappingProfile(SQLModel, table=True):
    """A saved column mapping (importers/mapping.py) that `--profile NAME` reuses."""

    __tablename__ = "mapping_profile"
    name: str = Field(primary_key=True)
    mapping: str  # ColumnMapping.to_json()
    created_us: int = Field(sa_type=BIG_INT)  # when it was saved, microseconds since the epoch


class BudgetRow(SQLModel, table=True):
    """A budget (core/budgets.py Budget): amount as decimal text in the home currency."""

    __tablename__ = "budget"
    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_INT)
    name: str = Field(unique=True)
    amount: str
    period: str = "month"
    vendor: str | None = None
    model: str | None = None
    project: str | None = None
    thresholds: str = "50,80,100"  # percentages, comma-separated
    forecast_alert: bool = True
    created_us: int = Field(sa_type=BigInteger)


class BudgetAlert(SQLModel, table=True):
    """An alert: "threshold" (budget, threshold, period_start, crossed_at_us), "forecast"
    (budget, period_start, amount: the forecast) or "spike" (vendor, day, amount, norm,
    limit_amount; no budget). Standing while withdrawn_at_us is NULL; money is decimal text."""

    __tablename__ = "budget_alert"
    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_INT)
    kind: str
    budget_id: int | None = Field(default=None, foreign_key="budget.id", index=True,
                                  ondelete="CASCADE", sa_type=BigInteger)
    threshold: int | None = None
    period_start: str | None = None  # YYYY-MM-DD, the period's first day
    crossed_at_us: int | None = Field(default=None, sa_type=BigInteger)
    amount: str | None = None
    vendor: str | None = None
    day: str | None = None  # YYYY-MM-DD
    norm: str | None = None
    limit_amount: str | None = None
    raised_at_us: int = Field(sa_type=BigInteger)
    acknowledged_at_us: int | None = Field(default=None, sa_type=BigInteger)
    withdrawn_at_us: int | None = Field(default=None, sa_type=BigInteger)
