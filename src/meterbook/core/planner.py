"""The budget planner: a year of projected cost for a plan from an expected monthly volume.

The seed's method: expected requests a month times their typical size, grown by a monthly rate
and shaped by seasonal factors per calendar month, priced. The pricing is the engine's
(core/pricing.py), never a formula of its own: each month becomes synthetic usage rows that the
same engine prices as it prices an import, so size tiers, volume tiers (over the month's whole
volume), free trials and plan versions apply exactly as they do to real usage, and the month's
fee and minimum come from core/fixed_charges.py as `cost` adds them.

Kept quick and exact: the engine prices a bucket of requests in one row (a vendor's daily
export is such a bucket), and a size tier is chosen by the bucket's size per request, which is
the typical size. So a month is one row a day (its requests spread evenly, the remainder one
each on the first days), 365 rows a year whatever the volume; a day in a free trial is free.
The one difference from pricing each request alone is rounding: the engine rounds a row's
charge to nano-units once, so a day's bucket differs from a sum of single requests by less
than one nano-unit (10^-9).

Month n (0 for the first) plans requests x (1 + growth)^n x factor(calendar month), compounded
monthly and rounded half-to-even to whole requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from meterbook.core.fixed_charges import fixed_charges
from meterbook.core.money import EXACT, MICRO, from_nano
from meterbook.core.periods import days_of_month, local_midnight_us, next_month, parse_month, zone
from meterbook.core.plan_form import SampleRequest
from meterbook.core.plans import Plan
from meterbook.core.pricing import PricingEngine
from meterbook.core.records import PricingRow


@dataclass(frozen=True)
class Forecast:
    """What the owner expects: requests in the first month, their size, growth and seasons."""

    first_month: str  # YYYY-MM
    requests: int  # in the first month, before its seasonal factor
    size: SampleRequest  # one typical request (the plan editor's sample, requests 1)
    growth: Decimal = Decimal(0)  # per month, as a fraction: 0.05 is 5 % a month
    seasonal: Mapping[int, Decimal] = field(default_factory=dict)  # calendar month -> factor
    months: int = 12

    def __post_init__(self) -> None:
        parse_month(self.first_month)
        size = self.size
        for name in ("input_tokens", "cached_input_tokens", "cache_write_tokens",
                     "output_tokens", "units"):
            if getattr(size, name) < 0:
                raise ValueError(f"a typical request's {name.replace('_', ' ')} cannot be "
                                 f"negative ({getattr(size, name)})")
        if size.units != size.units.quantize(Decimal("0.000001")):
            raise ValueError(f"units are kept to 6 decimal places, not {size.units}")
        if size.requests != 1:
            raise ValueError("the typical size is that of one request")
        if self.requests < 0:
            raise ValueError(f"expected requests cannot be negative ({self.requests})")
        if self.growth <= -1:
            raise ValueError(f"a growth of {self.growth * 100}% a month would leave nothing; "
                             "it must be above -100%")
        for month, factor in self.seasonal.items():
            if not 1 <= month <= 12:
                raise ValueError(f"seasonal factor for month {month}: months are 1 to 12")
            if factor < 0:
                raise ValueError(f"seasonal factor for month {month} cannot be negative "
                                 f"({factor})")
        if not 1 <= self.months <= 120:
            raise ValueError(f"a plan of {self.months} months: 1 to 120 are possible")

    def month_labels(self) -> list[str]:
        y, m = parse_month(self.first_month)
        labels = []
        for _ in range(self.months):
            labels.append(f"{y:04d}-{m:02d}")
            y, m = next_month(y, m)
        return labels

    def requests_in(self, n: int, month: str) -> int:
        """Requests planned in month n (0: the first), whose label is `month`."""
        factor = self.seasonal.get(parse_month(month)[1], Decimal(1))
        exact = EXACT.multiply(EXACT.multiply(Decimal(self.requests),
                                              EXACT.power(1 + self.growth, n)), factor)
        return int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class PlannedMonth:
    month: str
    requests: int
    usage_cost: Decimal  # in the plan's currency
    fixed_cost: Decimal  # the month's fee and minimum true-up

    @property
    def total(self) -> Decimal:
        return self.usage_cost + self.fixed_cost


@dataclass(frozen=True)
class BudgetPlan:
    plan: str
    currency: str
    months: tuple[PlannedMonth, ...]

    @property
    def total(self) -> Decimal:
        return sum((m.total for m in self.months), Decimal(0))


def synthetic_rows(versions: Sequence[Plan], forecast: Forecast) -> dict[str, list[PricingRow]]:
    """Each month's usage as the engine reads it: one row a day at local midnight in the
    plan's billing time zone, metered as the plan's own vendor, model, project and tier."""
    latest = _latest(versions)
    tz = zone(latest.billing_timezone)
    meter = (latest.vendor.lower(), latest.model, latest.project, latest.service_tier or "")
    size = forecast.size
    units_micro = int(size.units * MICRO)
    out: dict[str, list[PricingRow]] = {}
    order = 0
    for n, month in enumerate(forecast.month_labels()):
        days = days_of_month(*parse_month(month))
        each, extra = divmod(forecast.requests_in(n, month), len(days))
        rows = out[month] = []
        for i, day in enumerate(days):
            q = each + (1 if i < extra else 0)
            if not q:
                continue
            rows.append(PricingRow(order, local_midnight_us(day, tz), meter, q,
                                   q * size.input_tokens, q * size.cached_input_tokens,
                                   q * size.cache_write_tokens, q * size.output_tokens,
                                   q * units_micro))
            order += 1
    return out


def plan_budget(versions: Sequence[Plan], forecast: Forecast) -> BudgetPlan:
    """The projected cost of each month under a plan (all its versions, one name)."""
    if not versions:
        raise ValueError("no plan to price with")
    names = {v.name for v in versions}
    if len(names) > 1:
        raise ValueError(f"the planner prices one plan at a time, not {sorted(names)}")
    latest = _latest(versions)
    by_month = synthetic_rows(versions, forecast)
    rows = [row for month_rows in by_month.values() for row in month_rows]
    priced = PricingEngine(versions).price(rows)
    usage: dict[tuple[str, str], Decimal] = {}
    position = 0
    for month, month_rows in by_month.items():
        nano = sum(charge or 0 for charge, _ in priced[position:position + len(month_rows)])
        position += len(month_rows)
        usage[(latest.name, month)] = from_nano(nano)
    fixed = {c.month: c.total for c in fixed_charges(versions, by_month, usage)}
    months = tuple(
        PlannedMonth(month, sum(r.requests for r in by_month[month]),
                     usage[(latest.name, month)], fixed.get(month, Decimal(0)))
        for month in by_month)
    return BudgetPlan(latest.name, latest.currency, months)


def _latest(versions: Sequence[Plan]) -> Plan:
    """The version in force last: its meter and billing zone stand for the plan."""
    return max(versions, key=lambda v: (v.effective_from is not None,
                                        v.effective_from or date.min))
