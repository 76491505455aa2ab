"""The canonical usage record (usage-data.md) and the narrow row the pricing engine reads."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

CANONICAL_FIELDS = (
    "timestamp", "vendor", "model", "requests", "input_tokens", "cached_input_tokens",
    "cache_write_tokens", "output_tokens", "units", "unit_name", "request_id", "conversation_id",
    "project", "user", "api_key", "service_tier", "billed_cost", "currency",
)  # fmt: skip


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
