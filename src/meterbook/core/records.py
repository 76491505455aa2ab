"""The canonical usage record (usage-data.md), the narrow row the pricing engine reads, and the
import's stage row built on it."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple


@dataclass(slots=True)
class UsageRecord:
    """One request, one bucket of requests, or one billed cost line.

    Token buckets are disjoint: `input_tokens` are uncached input only. `units` is a decimal with
    at most 6 places (stored as micro-units). Optional text fields are None when absent.
    """

    timestamp: datetime  # aware, UTC
    vendor: str  # lower-case
    model: str
    requests: int = 1
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    units: Decimal = Decimal(0)
    unit_name: str | None = None
    request_id: str | None = None
    conversation_id: str | None = None
    project: str | None = None
    user: str | None = None
    api_key: str | None = None
    service_tier: str | None = None
    billed_cost: Decimal | None = None
    currency: str | None = None


# The canonical CSV's fields (usage-data.md), in the record's order.
CANONICAL_FIELDS = tuple(field.name for field in fields(UsageRecord))


EPOCH = _EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


def to_epoch_us(moment: datetime) -> int:
    """An aware datetime -> integer microseconds since the Unix epoch (exact, no float)."""
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_epoch_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class PricingRow(NamedTuple):
    """What the engine reads of a record: integers and a meter key.

    `order` breaks ties between records with the same timestamp (import order). `meter` says
    what was metered: a key into the engine's meters mapping, or a (vendor, model, project,
    service_tier) tuple itself, with "" for no project or tier. `units` is in micro-units.
    """

    order: int
    ts: int  # microseconds since the epoch, UTC
    meter: Hashable
    requests: int
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    units: int


class StageColumn(NamedTuple):
    """One column of the import's stage row (store/staging.py)."""

    name: str  # in the stage table, and as the store's usage_record names it
    lacking: str | None = None  # a canonical field: a file without it has `default` in
    default: str | None = None  # every row (SQL text), which the stage then need not bind


# The stage row, the one declaration of its columns and their order: the reader of a file
# makes it (importers/stage_rows.py, and canonical.py's fast path straight from the cells), the
# pricing engine prices it as it is (its first nine columns are a PricingRow's), and the
# store's stage packs and copies it (store/staging.py). Texts and amounts a record lacks are ""
# (binding None is slow); the copy makes them NULL.
STAGE_ROW = (
    StageColumn("dedupe_key"),  # importers/identity.py; "" for a record with a request_id
    StageColumn("timestamp_us"),
    StageColumn("meter_id"),
    StageColumn("requests", "requests", "1"),
    StageColumn("input_tokens", "input_tokens", "0"),
    StageColumn("cached_input_tokens", "cached_input_tokens", "0"),
    StageColumn("cache_write_tokens", "cache_write_tokens", "0"),
    StageColumn("output_tokens", "output_tokens", "0"),
    StageColumn("units_micro", "units", "0"),
    StageColumn("request_id", "request_id", "''"),
    StageColumn("conversation_id", "conversation_id", "''"),
    StageColumn("user", "user", "''"),
    StageColumn("api_key", "api_key", "''"),
    StageColumn("billed_nano", "billed_cost", "''"),
    StageColumn("currency", "billed_cost", "''"),  # no bill, no currency, whatever the file says
)
# The price that travels beside each stage row, as the engine gives it: (charge, plan index).
STAGE_PRICE = ("charge_nano", "plan_index")
STAGE_COLUMNS = (*(column.name for column in STAGE_ROW), *STAGE_PRICE)
