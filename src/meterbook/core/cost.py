"""What `meterbook cost` reports: rows of usage and cost per key, in the home currency.

The store feeds sums (per key, month and currency) into a CostSheet; the sheet converts money
into the home currency with the month's exchange rate and keeps everything exact. A missing
rate is an error that names the currency and month, never a silent 1:1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from meterbook.core.money import EXACT, MICRO, from_nano
from meterbook.core.periods import month_labels_between


class By(StrEnum):
    """What `cost --by` groups by. A str, so that By.MONTH == "month" wherever a key is text."""

    REQUEST = "request"
    CONVERSATION = "conversation"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    VENDOR = "vendor"
    MODEL = "model"
    PROJECT = "project"
    PLAN = "plan"

    @property
    def shares_fixed_charges(self) -> bool:
        """Whether a row of this key holds its part of the months' fixed charges (fees,
        minimums). A month's fee is owed whatever was asked, of which model, in which project:
        it belongs to no single request, conversation, model or project, so under those keys
        it is in the total only (CostReport.unshared_fixed). A month, its first day or week,
        the plan's vendor and the plan itself each hold their own."""
        return self not in _FIXED_IN_TOTAL_ONLY


_FIXED_IN_TOTAL_ONLY = frozenset({By.REQUEST, By.CONVERSATION, By.MODEL, By.PROJECT})
BY_KEYS = tuple(by.value for by in By)
SOURCES = ("auto", "computed", "billed")
COUNT_FIELDS = ("requests", "input_tokens", "cached_input_tokens", "cache_write_tokens",
                "output_tokens")


class MissingRate(Exception):
    def __init__(self, currency: str, month: str):
        self.currency = currency
        self.month = month
        super().__init__(f"no exchange rate for {currency} in {month} "
                         f"(meterbook rates set {currency} {month} RATE)")


class NotingRates(dict):
    """Saved exchange rates that note every (currency, month) asked for and missing.

    A missing rate counts as 0 so that one pass of a query finds every missing pair, not only
    the first (a plain dict makes the cost sheet stop at the first, with MissingRate); the
    money of such a pass is never shown while `missing` is not empty.
    """

    def __init__(self, rates: Mapping[tuple[str, str], Decimal]):
        super().__init__(rates)
        self.missing: set[tuple[str, str]] = set()

    def __bool__(self) -> bool:  # an empty one must still reach the query (not `or {}`)
        return True

    def get(self, key, default=None):
        if key in self:
            return self[key]
        self.missing.add(key)
        return Decimal(0)


def missing_rates_text(pairs: Iterable[tuple[str, str]], home: str,
                       month_name: Callable[[str], str] = str) -> str:
    """'no exchange rate into EUR for USD from 2026-07 to 2026-12; GBP in 2026-03': every
    missing (currency, month) at once, runs of consecutive months as one span. `month_name`
    writes a month label ('2026-07') for people (the app gives 'July 2026')."""
    by_currency: dict[str, list[str]] = {}
    for currency, month in sorted(set(pairs)):
        by_currency.setdefault(currency, []).append(month)
    parts = []
    for currency, months in by_currency.items():
        spans: list[list[str]] = []
        for month in months:
            if spans and month_labels_between(spans[-1][-1], month)[1:] == [month]:
                spans[-1].append(month)
            else:
                spans.append([month])
        parts.append(f"{currency} " + ", ".join(
            f"in {month_name(s[0])}" if len(s) == 1 else
            f"from {month_name(s[0])} to {month_name(s[-1])}" for s in spans))
    return f"no exchange rate into {home} for {'; '.join(parts)}"


@dataclass
class CostRow:
    key: str
    requests: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    units_micro: int = 0
    usage_cost: Decimal = Decimal(0)
    fixed_cost: Decimal = Decimal(0)
    unpriced_requests: int = 0
    details: dict[str, str] = field(default_factory=dict)  # e.g. a request's time and model

    @property
    def units(self) -> Decimal:
        return Decimal(self.units_micro) / MICRO

    @property
    def cost(self) -> Decimal:
        return self.usage_cost + self.fixed_cost

    def add(self, other: CostRow) -> None:
        self.requests += other.requests
        self.input_tokens += other.input_tokens
        self.cached_input_tokens += other.cached_input_tokens
        self.cache_write_tokens += other.cache_write_tokens
        self.output_tokens += other.output_tokens
        self.units_micro += other.units_micro
        self.unpriced_requests += other.unpriced_requests
        self.usage_cost += other.usage_cost
        self.fixed_cost += other.fixed_cost


@dataclass
class CostReport:
    currency: str
    by: By
    source: str
    rows: list[CostRow]
    total: CostRow
    # Fixed charges in the total that no row holds (see By.shares_fixed_charges).
    unshared_fixed: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        self.by = By(self.by)


class CostSheet:
    """Accumulates sums per key; money is kept per (currency, month) until converted."""

    def __init__(self, home_currency: str, rates: Mapping[tuple[str, str], Decimal]):
        self.home = home_currency
        self.rates = rates
        self._rows: dict[str, CostRow] = {}
        # key -> (currency, month) -> nano, for money not in the home currency
        self._foreign: dict[str, dict[tuple[str, str], int]] = {}
        self._home_nano: dict[str, int] = {}
        self._fixed: dict[str, Decimal] = {}
        self.extra_fixed = Decimal(0)  # fixed charges that belong to no row (see add_fixed)

    def row(self, key: str, display: str | None = None) -> CostRow:
        """The row for `key`; `display` is the key shown when it differs (one row a record)."""
        found = self._rows.get(key)
        if found is None:
            found = self._rows[key] = CostRow(key if display is None else display)
        return found

    def put_row(self, row: CostRow, home_nano: int) -> None:
        """A complete row, its money all in the home currency (one call a key)."""
        self._rows[row.key] = row
        if home_nano:
            self._home_nano[row.key] = home_nano

    def add_money(self, key: str, nano: int, currency: str, month: str) -> None:
        if not nano:
            return
        if currency == self.home:
            self._home_nano[key] = self._home_nano.get(key, 0) + nano
        else:
            bucket = self._foreign.setdefault(key, {})
            bucket[(currency, month)] = bucket.get((currency, month), 0) + nano

    def add_fixed(self, key: str | None, amount: Decimal, currency: str, month: str) -> None:
        """A month's fixed charge; key None keeps it in the total only (e.g. --by model)."""
        value = self.convert(amount, currency, month)
        if key is None:
            self.extra_fixed += value
        else:
            self.row(key)
            self._fixed[key] = self._fixed.get(key, Decimal(0)) + value

    def convert(self, amount: Decimal, currency: str, month: str) -> Decimal:
        if currency == self.home or not amount:
            return amount
        rate = self.rates.get((currency, month))
        if rate is None:
            raise MissingRate(currency, month)
        return EXACT.multiply(amount, rate)

    def usage_cost(self, key: str) -> Decimal:
        """The usage money added under key, in the home currency (other currencies converted
        at their month's rate)."""
        usage = from_nano(self._home_nano.get(key, 0))
        for (currency, month), nano in self._foreign.get(key, {}).items():
            usage += self.convert(from_nano(nano), currency, month)
        return usage

    def report(self, by: By, source: str, sort: bool = True) -> CostReport:
        """Rows sorted by key, or in the order they were first added (sort=False)."""
        rows = []
        total = CostRow("total")
        fixed = self._fixed
        zero = Decimal(0)
        for key, row in self._rows.items():
            row.usage_cost = self.usage_cost(key)
            row.fixed_cost = fixed.get(key, zero)
            total.add(row)
            rows.append(row)
        total.fixed_cost += self.extra_fixed
        if sort:
            rows.sort(key=lambda r: r.key)
        return CostReport(self.home, by, source, rows, total, unshared_fixed=self.extra_fixed)
