"""Pricing plans as the core sees them (pricing-plans.md): one `Plan` per version.

Optional prices that default to another price (`cached_input`, `cache_write`) stay None when the
plan file leaves them out, so that a plan written back out says exactly what was read in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

METERS = ("requests", "units", "input_tokens", "output_tokens")
MODES = ("graduated", "volume")
TIER_PRICE_KEYS = ("input", "cached_input", "cache_write", "output", "request", "unit_price")


@dataclass(frozen=True)
class SizeTier:
    """Prices that replace the base prices for a whole request whose input size is above."""

    above_input_tokens: int
    input: Decimal | None = None
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    output: Decimal | None = None
    request: Decimal | None = None
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class VolumeTier:
    price: Decimal
    up_to: int | None = None  # None: the final, open tier


@dataclass(frozen=True)
class Volume:
    meter: str  # one of METERS
    mode: str  # one of MODES
    tiers: tuple[VolumeTier, ...]


@dataclass(frozen=True)
class Plan:
    """One version of a plan. Versions share a `name` and differ by `effective_from`."""

    name: str
    vendor: str
    model: str = "*"
    project: str = "*"
    service_tier: str | None = None
    currency: str = "USD"
    effective_from: datetime | None = None  # aware UTC; None: in force since always
    priority: int = 0
    source: str | None = None
    token_unit: int = 1_000_000
    input: Decimal = Decimal(0)
    cached_input: Decimal | None = None  # None: the input price
    cache_write: Decimal | None = None  # None: the input price
    output: Decimal = Decimal(0)
    request: Decimal = Decimal(0)
    unit_price: Decimal = Decimal(0)
    unit_size: int = 1
    multiplier: Decimal = Decimal(1)
    size_tiers: tuple[SizeTier, ...] = field(default=())
    volume: Volume | None = None
    monthly_fee: Decimal = Decimal(0)
    monthly_minimum: Decimal = Decimal(0)
    free_trial_days: int = 0
    billing_timezone: str = "UTC"

    @property
    def label(self) -> str:
        """How people tell versions apart: the name and, if set, the date it starts."""
        if self.effective_from is None:
            return self.name
        return f"{self.name} (from {self.effective_from:%Y-%m-%d})"


class PlanProblem(Exception):
    """One thing wrong with a plan, tied to the plan and key it is about."""

    def __init__(self, plan: str, key: str, message: str, line: int | None = None):
        super().__init__(message)
        self.plan = plan
        self.key = key
        self.message = message
        self.line = line

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}plan {self.plan!r}, key {self.key!r}: {self.message}"


class PlanFileError(Exception):
    """A plan file that was refused, with every problem found in it."""

    def __init__(self, path: str, problems: list[PlanProblem]):
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))
