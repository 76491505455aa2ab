"""The pricing engine: a pure function from (plans, usage rows) to per-row charges.

Rules are those of pricing-plans.md. Money is computed in integers: every price of a plan
version is scaled to an integer numerator over one common denominator, so a record's charge is a
single exact integer division, rounded half-to-even to nano-units (10^-9). Nothing here touches
the database, so saved usage can be priced under plans that are not saved (what-if comparisons).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from meterbook.core.glob import compile_glob, specificity
from meterbook.core.money import div_round
from meterbook.core.periods import MonthIndex, zone
from meterbook.core.plans import TIER_PRICE_KEYS, Plan
from meterbook.core.records import PricingRow, to_epoch_us

_MICRO = 10**6
_NANO = 10**9
_NEVER = -(2**62)  # "since always": before any timestamp
_FOREVER = 2**62


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


class _Prices:
    """The six prices of one request, as integers over the version's scale."""

    __slots__ = ("cache_write", "cached_input", "input", "output", "request", "unit_price")

    def __init__(self, scale: int, **prices: Decimal):
        for key in TIER_PRICE_KEYS:
            setattr(self, key, int(prices[key] * scale))


class CompiledVersion:
    """One plan version with its prices turned into integers and its matchers compiled.

    The charge of a row, in nano-units, is numerator / `den` where
    numerator = 1e9 * (tokens x price x unit_size x 1e6 + q x request x token_unit x unit_size
    x 1e6 + units_micro x unit_price x token_unit) x multiplier_num, prices scaled by `scale`.
    """

    def __init__(self, index: int, plan: Plan, start: int, end: int):
        self.index = index
        self.plan = plan
        self.start = start
        self.end = end
        self.trial_end = start + plan.free_trial_days * 86_400_000_000 if start > _NEVER else start
        self.model_match = compile_glob(plan.model)
        self.project_match = compile_glob(plan.project)
        self.specificity = specificity(plan.model)
        prices = [plan.input, plan.output, plan.request, plan.unit_price, plan.multiplier]
        prices += [p for p in (plan.cached_input, plan.cache_write) if p is not None]
        for tier in plan.size_tiers:
            prices += [getattr(tier, k) for k in TIER_PRICE_KEYS if getattr(tier, k) is not None]
        if plan.volume:
            prices += [t.price for t in plan.volume.tiers]
        digits = max(_decimals(p) for p in prices)
        self.scale = scale = 10**digits
        base = {
            "input": plan.input,
            "cached_input": plan.input if plan.cached_input is None else plan.cached_input,
            "cache_write": plan.input if plan.cache_write is None else plan.cache_write,
            "output": plan.output,
            "request": plan.request,
            "unit_price": plan.unit_price,
        }
        self.base = _Prices(scale, **base)
        # Size tiers, highest threshold first: the first whose threshold is below the size wins.
        self.size_tiers: list[tuple[int, _Prices]] = []
        for tier in sorted(plan.size_tiers, key=lambda t: -t.above_input_tokens):
            merged = {k: getattr(tier, k) if getattr(tier, k) is not None else base[k]
                      for k in TIER_PRICE_KEYS}
            # A cache price the plan leaves to default follows the input price in force,
            # which inside a tier is the tier's input price.
            for key in ("cached_input", "cache_write"):
                if getattr(tier, key) is None and getattr(plan, key) is None:
                    merged[key] = merged["input"]
            self.size_tiers.append((tier.above_input_tokens, _Prices(scale, **merged)))
        mult = plan.multiplier
        mult_den = 10 ** _decimals(mult)
        self.mult_num = int(mult * mult_den)
        tu, us = plan.token_unit, plan.unit_size
        self.f_token = us * _MICRO  # per token x price
        self.f_request = tu * us * _MICRO  # per request x price
        self.f_unit = tu  # per micro-unit x price
        self.den = scale * tu * us * _MICRO * mult_den
        self.volume = plan.volume
        if plan.volume:
            # Meter quantities in the unit the engine counts: units are micro-units.
            step = _MICRO if plan.volume.meter == "units" else 1
            self.tier_bounds = [None if t.up_to is None else t.up_to * step
                                for t in plan.volume.tiers]
            self.tier_prices = [int(t.price * scale) for t in plan.volume.tiers]

    def prices_for(self, row: PricingRow) -> _Prices:
        if self.size_tiers:
            size = row.input_tokens + row.cached_input_tokens + row.cache_write_tokens
            q = row.requests or 1  # a bucket of zero requests is sized as one
            for above, prices in self.size_tiers:
                if size > above * q:  # size / q > above, in integers
                    return prices
        return self.base

    def numerator(self, row: PricingRow, p: _Prices, skip: str | None = None) -> int:
        """The row's charge numerator without the volume-metered component `skip`."""
        tokens = (
            (0 if skip == "input_tokens" else row.input_tokens * p.input)
            + row.cached_input_tokens * p.cached_input
            + row.cache_write_tokens * p.cache_write
            + (0 if skip == "output_tokens" else row.output_tokens * p.output)
        )
        total = tokens * self.f_token
        if skip != "requests":
            total += row.requests * p.request * self.f_request
        if skip != "units":
            total += row.units * p.unit_price * self.f_unit
        return total

    def meter_factor(self) -> int:
        """What one metered quantity x tier price is worth in the numerator's terms."""
        meter = self.volume.meter
        if meter == "requests":
            return self.f_request
        if meter == "units":
            return self.f_unit
        return self.f_token

    def finish(self, numerator: int) -> int:
        return div_round(numerator * _NANO * self.mult_num, self.den)


def _start_us(plan: Plan) -> int:
    return _NEVER if plan.effective_from is None else to_epoch_us(plan.effective_from)


def compile_plans(plans: Sequence[Plan]) -> list[CompiledVersion]:
    """Versions with the interval each is in force: [effective_from, next version's)."""
    by_name: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for i, plan in enumerate(plans):
        by_name[plan.name].append((_start_us(plan), i))
    compiled = []
    for versions in by_name.values():
        versions.sort()
        for k, (start, i) in enumerate(versions):
            end = versions[k + 1][0] if k + 1 < len(versions) else _FOREVER
            compiled.append(CompiledVersion(i, plans[i], start, end))
    return compiled


class _Timeline:
    """For one meter (vendor, model, project, tier): the winning version over time."""

    __slots__ = ("starts", "winners")

    def __init__(self, candidates: list[CompiledVersion]):
        cuts = sorted({_NEVER} | {c.start for c in candidates} | {c.end for c in candidates})
        self.starts: list[int] = []
        self.winners: list[CompiledVersion | None] = []
        for t in cuts:
            live = [c for c in candidates if c.start <= t < c.end]
            best = max(live, key=_rank, default=None)
            if self.winners and self.winners[-1] is best:
                continue
            self.starts.append(t)
            self.winners.append(best)

    def at(self, ts: int) -> CompiledVersion | None:
        if len(self.starts) == 1:
            return self.winners[0]
        return self.winners[bisect.bisect_right(self.starts, ts) - 1]


def _rank(c: CompiledVersion) -> tuple:
    # Higher priority, then the more specific model pattern; then a fixed order so that a tie
    # (refused when plans are saved, see plan_checks) still prices deterministically.
    return (c.plan.priority, c.specificity, c.plan.name)


class PricingEngine:
    """Prices rows under one set of plans; reusable across calls (caches matching per meter)."""

    def __init__(self, plans: Sequence[Plan]):
        self.plans = list(plans)
        self.versions = compile_plans(self.plans)
        self._by_vendor: dict[str, list[CompiledVersion]] = defaultdict(list)
        for v in self.versions:
            self._by_vendor[v.plan.vendor.lower()].append(v)
        self._timelines: dict[tuple[str, str, str, str], _Timeline] = {}

    def timeline(self, vendor: str, model: str, project: str, tier: str) -> _Timeline:
        key = (vendor, model, project, tier)
        found = self._timelines.get(key)
        if found is None:
            candidates = [
                v for v in self._by_vendor.get(vendor.lower(), ())
                if v.model_match(model) and v.project_match(project)
                and (v.plan.service_tier is None or v.plan.service_tier == tier)
            ]
            found = self._timelines[key] = _Timeline(candidates)
        return found

    def price(self, rows: Iterable[PricingRow]) -> list[tuple[int | None, int | None]]:
        """(charge_nano, plan index) for each row, in the order given.

        Rows of volume-tiered plans are priced after all others, per plan name and billing
        month in timestamp order (equal timestamps in `order`), as the tiers require.
        """
        rows = rows if isinstance(rows, list) else list(rows)
        out: list[tuple[int | None, int | None]] = [(None, None)] * len(rows)
        tiered: dict[str, list[tuple[int, CompiledVersion]]] = defaultdict(list)
        timelines = self._timelines
        for i, row in enumerate(rows):
            key = (row.vendor, row.model, row.project, row.service_tier)
            tl = timelines.get(key) or self.timeline(*key)
            v = tl.winners[0] if len(tl.starts) == 1 else tl.at(row.ts)
            if v is None:
                continue
            if row.ts < v.trial_end:
                out[i] = (0, v.index)
            elif v.volume is None:
                p = v.prices_for(row)
                out[i] = (v.finish(v.numerator(row, p)), v.index)
            else:
                tiered[v.plan.name].append((i, v))
        for entries in tiered.values():
            self._price_tiered(rows, entries, out)
        return out

    def _price_tiered(self, rows, entries, out) -> None:
        entries.sort(key=lambda e: (rows[e[0]].ts, rows[e[0]].order))
        months: dict[str, list[tuple[int, CompiledVersion]]] = defaultdict(list)
        first, last = rows[entries[0][0]].ts, rows[entries[-1][0]].ts
        indexes: dict[str, MonthIndex] = {}
        for i, v in entries:
            tz_name = v.plan.billing_timezone
            index = indexes.get(tz_name)
            if index is None:
                index = indexes[tz_name] = MonthIndex(zone(tz_name), first, last + 1)
            months[index.label(rows[i].ts)].append((i, v))
        for month_entries in months.values():
            quantities = [_meter_quantity(rows[i], v.volume.meter) for i, v in month_entries]
            total = sum(quantities)
            position = 0
            for (i, v), qty in zip(month_entries, quantities, strict=True):
                row = rows[i]
                p = v.prices_for(row)
                num = v.numerator(row, p, skip=v.volume.meter)
                if v.volume.mode == "graduated":
                    metered = _graduated(v.tier_bounds, v.tier_prices, position, qty)
                else:
                    metered = qty * _tier_price_at(v.tier_bounds, v.tier_prices, total)
                position += qty
                out[i] = (v.finish(num + metered * v.meter_factor()), v.index)


def _meter_quantity(row: PricingRow, meter: str) -> int:
    return getattr(row, meter)


def _graduated(bounds: list[int | None], prices: list[int], before: int, qty: int) -> int:
    """Sum of quantity x tier price for units before+1 .. before+qty of the month."""
    total = 0
    lower = 0
    start, stop = before, before + qty
    for up_to, price in zip(bounds, prices, strict=True):
        upper = stop if up_to is None else up_to
        overlap = min(stop, upper) - max(start, lower)
        if overlap > 0:
            total += overlap * price
        if up_to is None or up_to >= stop:
            break
        lower = up_to
    return total


def _tier_price_at(bounds: list[int | None], prices: list[int], total: int) -> int:
    for up_to, price in zip(bounds, prices, strict=True):
        if up_to is None or total <= up_to:
            return price
    return prices[-1]


def price_rows(plans: Sequence[Plan], rows: Iterable[PricingRow]):
    """One call with a fresh engine: (charge_nano, plan index) per row."""
    return PricingEngine(plans).price(rows)
