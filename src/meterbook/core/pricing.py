"""The pricing engine: a pure function from (plans, usage rows) to per-row charges.

Rules are those of pricing-plans.md. Money is computed in integers: every price of a plan
version is scaled to an integer numerator over one common denominator, so a record's charge is a
single exact integer division, rounded half-to-even to nano-units (10^-9). Nothing here touches
the database, so saved usage can be priced under plans that are not saved (what-if comparisons).
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from meterbook.core.bulk import gc_paused
from meterbook.core.glob import matches, specificity
from meterbook.core.periods import MonthIndex, zone
from meterbook.core.plans import TIER_PRICE_KEYS, Plan
from meterbook.core.records import to_epoch_us

_MICRO = 10**6
_NANO = 10**9
_NEVER = -(2**62)  # "since always": before any timestamp
_FOREVER = 2**62

# Layout of the rows the engine reads (see records.PricingRow).
ORDER, TS, METER, REQUESTS, INPUT, CACHED, WRITE, OUTPUT, UNITS = range(9)
# Where each volume meter is in a row, and which coefficient (below) it replaces.
_METER_COLUMN = {"requests": REQUESTS, "units": UNITS, "input_tokens": INPUT,
                 "output_tokens": OUTPUT}
_METER_COEF = {"requests": 4, "units": 5, "input_tokens": 0, "output_tokens": 3}


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


class CompiledVersion:
    """One plan version with its prices turned into integer coefficients.

    A row's charge in nano-units is (input x c0 + cached x c1 + write x c2 + output x c3 +
    requests x c4 + units_micro x c5) / den, rounded half-to-even. The coefficients fold in the
    token unit, unit size, multiplier and the nano scale, and are divided by their common
    factor with `den`: for ordinary prices den becomes 1 and a charge is one exact sum.
    """

    def __init__(self, index: int, plan: Plan, start: int, end: int):
        self.index = index
        self.plan = plan
        self.start = start
        self.end = end
        self.trial_end = start + plan.free_trial_days * 86_400_000_000 if start > _NEVER else start
        self.specificity = specificity(plan.model)
        prices = [plan.input, plan.output, plan.request, plan.unit_price, plan.multiplier]
        prices += [p for p in (plan.cached_input, plan.cache_write) if p is not None]
        for tier in plan.size_tiers:
            prices += [getattr(tier, k) for k in TIER_PRICE_KEYS if getattr(tier, k) is not None]
        if plan.volume:
            prices += [t.price for t in plan.volume.tiers]
        scale = 10 ** max(_decimals(p) for p in prices)
        mult_den = 10 ** _decimals(plan.multiplier)
        k = _NANO * int(plan.multiplier * mult_den)
        tu, us = plan.token_unit, plan.unit_size
        # Per token, per request and per micro-unit, each price x this = numerator share.
        factors = (us * _MICRO,) * 4 + (tu * us * _MICRO, tu)
        den = scale * tu * us * _MICRO * mult_den

        base = {
            "input": plan.input,
            "cached_input": plan.input if plan.cached_input is None else plan.cached_input,
            "cache_write": plan.input if plan.cache_write is None else plan.cache_write,
            "output": plan.output,
            "request": plan.request,
            "unit_price": plan.unit_price,
        }

        def coefs(prices: dict[str, Decimal]) -> list[int]:
            return [int(prices[key] * scale) * f * k
                    for key, f in zip(TIER_PRICE_KEYS, factors, strict=True)]

        base_coefs = coefs(base)
        # Size tiers, highest threshold first: the first whose threshold is below the size wins.
        tiers: list[tuple[int, list[int]]] = []
        for tier in sorted(plan.size_tiers, key=lambda t: -t.above_input_tokens):
            merged = {key: getattr(tier, key) if getattr(tier, key) is not None else base[key]
                      for key in TIER_PRICE_KEYS}
            # A cache price the plan leaves to default follows the input price in force,
            # which inside a tier is the tier's input price.
            for key in ("cached_input", "cache_write"):
                if getattr(tier, key) is None and getattr(plan, key) is None:
                    merged[key] = merged["input"]
            tiers.append((tier.above_input_tokens, coefs(merged)))
        self.volume = plan.volume
        volume_coefs: list[int] = []
        if plan.volume:
            meter = plan.volume.meter
            step = _MICRO if meter == "units" else 1  # tier bounds in the engine's units
            self.meter_column = _METER_COLUMN[meter]
            self.tier_bounds = [None if t.up_to is None else t.up_to * step
                                for t in plan.volume.tiers]
            f = factors[_METER_COEF[meter]]
            volume_coefs = [int(t.price * scale) * f * k for t in plan.volume.tiers]
            # The tiers replace the meter's own price: zero it in every coefficient set.
            for c in [base_coefs] + [c for _, c in tiers]:
                c[_METER_COEF[meter]] = 0
        g = math.gcd(den, *base_coefs, *(x for _, c in tiers for x in c), *volume_coefs)
        self.den = den // g
        self.base = tuple(x // g for x in base_coefs)
        self.size_tiers = [(above, tuple(x // g for x in c)) for above, c in tiers]
        self.tier_coefs = [x // g for x in volume_coefs]

    def coefs_for(self, row) -> tuple[int, ...]:
        if self.size_tiers:
            size = row[INPUT] + row[CACHED] + row[WRITE]
            q = row[REQUESTS] or 1  # a bucket of zero requests is sized as one
            for above, coefs in self.size_tiers:
                if size > above * q:  # size / q > above, in integers
                    return coefs
        return self.base


def _charge(num: int, den: int) -> int:
    if den == 1:
        return num
    q, r = divmod(num, den)
    twice = 2 * r
    if twice > den or (twice == den and q & 1):
        q += 1
    return q


def _numerator(row, c) -> int:
    return (row[INPUT] * c[0] + row[CACHED] * c[1] + row[WRITE] * c[2] + row[OUTPUT] * c[3]
            + row[REQUESTS] * c[4] + row[UNITS] * c[5])


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
        cuts = sorted({_NEVER} | {c.start for c in candidates}
                      | {c.end for c in candidates if c.end < _FOREVER})
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
        return self.winners[bisect.bisect_right(self.starts, ts) - 1]


def _rank(c: CompiledVersion) -> tuple:
    # Higher priority, then the more specific model pattern; then a fixed order so that a tie
    # (refused when plans are saved, see plan_checks) still prices deterministically.
    return (c.plan.priority, c.specificity, c.plan.name)


@dataclass
class TierState:
    """What pricing a billing month in slices carries from slice to slice: the month's total
    per (plan name, month), counted in a first pass over the slices (`counting`), then the
    running position as the second pass prices them in time order."""

    counting: bool = True
    totals: dict[tuple[str, str], int] = field(default_factory=dict)
    positions: dict[tuple[str, str], int] = field(default_factory=dict)

    def start_pricing(self) -> None:
        self.counting = False
        self.positions.clear()


MeterInfo = tuple[str, ...]  # vendor (lower-case), model, project, service_tier[, more]
DEFERRED = (None, -1)  # price_untiered: this row waits for its billing month


class PricingEngine:
    """Prices rows under one set of plans; reusable across calls (caches matching per meter).

    Rows are tuples laid out as records.PricingRow. Their `meter` is looked up in the
    `meters` mapping given to price(), or, without one, is itself a MeterInfo tuple.
    """

    def __init__(self, plans: Sequence[Plan]):
        self.plans = list(plans)
        self.versions = compile_plans(self.plans)
        self._by_vendor: dict[str, list[CompiledVersion]] = defaultdict(list)
        for v in self.versions:
            self._by_vendor[v.plan.vendor.lower()].append(v)
        self._timelines: dict[MeterInfo, _Timeline] = {}

    def timeline(self, vendor: str, model: str, project: str, tier: str) -> _Timeline:
        key = (vendor, model, project, tier)
        found = self._timelines.get(key)
        if found is None:
            candidates = [
                v for v in self._by_vendor.get(vendor.lower(), ())
                if matches(v.plan.model, model) and matches(v.plan.project, project)
                and (v.plan.service_tier is None or v.plan.service_tier == tier)
            ]
            found = self._timelines[key] = _Timeline(candidates)
        return found

    def price(self, rows: Sequence[tuple], meters: Mapping[Hashable, MeterInfo] | None = None,
              state: TierState | None = None) -> list[tuple[int | None, int | None]]:
        """(charge_nano, plan index) for each row, in the order given; (None, None): unpriced.

        Rows of volume-tiered plans are priced after all others, per plan name and billing
        month in timestamp order (equal timestamps in `order`), as the tiers require: give
        them whole billing months, or slices of them in time order with one `state` that
        carries the months' positions and totals from slice to slice.
        """
        with gc_paused():
            return self._price(rows, meters, defer=None, state=state)

    def price_untiered(self, rows: Sequence[tuple],
                       meters: Mapping[Hashable, MeterInfo] | None = None
                       ) -> tuple[list[tuple[int | None, int | None]], set[str]]:
        """Like price(), for rows that need no other row: a row that a volume-tiered plan
        prices gets DEFERRED instead, and the plan's name is in the returned set. Lets the
        store price any slice of the records, keeping memory flat, and price the tiered ones
        by billing month afterwards."""
        deferred: set[str] = set()
        with gc_paused():
            return self._price(rows, meters, defer=deferred, state=None), deferred

    def price_in_stream(self, rows: Sequence[tuple], state: TierState,
                        meters: Mapping[Hashable, MeterInfo] | None = None
                        ) -> tuple[list[tuple[int | None, int | None]], dict[str, list[int]]]:
        """Like price(rows, meters, state) for rows given in the order they were recorded:
        rows of volume-tiered plans at the same instant are priced in the order given (their
        `order` is not read). Also returns, per volume-tiered plan name, the positions of
        its rows. The import prices its chunks so, one after the other."""
        tiered: dict[str, list[tuple[int, CompiledVersion]]] = {}
        with gc_paused():
            out = self._price(rows, meters, defer=None, state=state, tiered=tiered)
        return out, {name: [i for i, _ in entries] for name, entries in tiered.items()}

    def tiered_names(self, vendor: str, model: str, project: str, tier: str) -> set[str]:
        """Names of the volume-tiered plans that price some of this meter's usage."""
        return {v.plan.name for v in self.timeline(vendor, model, project, tier).winners
                if v is not None and v.volume is not None}

    def _price(self, rows: Sequence[tuple], meters: Mapping[Hashable, MeterInfo] | None,
               defer: set[str] | None, state: TierState | None,
               tiered: dict[str, list[tuple[int, CompiledVersion]]] | None = None
               ) -> list[tuple[int | None, int | None]]:
        out: list[tuple[int | None, int | None]] = [(None, None)] * len(rows)
        in_stream = tiered is not None  # price_in_stream: equal instants keep their order
        tiered = defaultdict(list) if tiered is None else tiered
        # Per meter: the start of its last timeline interval and the version from then on, so
        # that the usual case (usage after the latest price change) needs no search.
        latest: dict[Hashable, tuple[int, CompiledVersion | None, _Timeline]] = {}
        for i, row in enumerate(rows):
            meter, ts = row[METER], row[TS]
            found = latest.get(meter)
            if found is None:
                info = meter if meters is None else meters[meter]
                tl = self.timeline(*info[:4])
                found = latest[meter] = (tl.starts[-1], tl.winners[-1], tl)
            v = found[1] if ts >= found[0] else found[2].at(ts)
            if v is None:
                continue
            if ts < v.trial_end:
                out[i] = (0, v.index)
            elif v.volume is None:
                c = v.coefs_for(row) if v.size_tiers else v.base
                num = (row[INPUT] * c[0] + row[CACHED] * c[1] + row[WRITE] * c[2]
                       + row[OUTPUT] * c[3] + row[REQUESTS] * c[4] + row[UNITS] * c[5])
                out[i] = (num if v.den == 1 else _charge(num, v.den), v.index)
            elif defer is not None:
                defer.add(v.plan.name)
                out[i] = DEFERRED
            else:
                found_entries = tiered.get(v.plan.name)
                if found_entries is None:
                    found_entries = tiered[v.plan.name] = []
                found_entries.append((i, v))
        for entries in tiered.values():
            self._price_tiered(rows, entries, out, state, in_stream)
        return out

    def _price_tiered(self, rows, entries, out, state: TierState | None,
                      in_stream: bool = False) -> None:
        if in_stream:  # a stable sort by instant keeps the given order of equal instants
            entries.sort(key=lambda e: rows[e[0]][TS])
        else:
            entries.sort(key=lambda e: (rows[e[0]][TS], rows[e[0]][ORDER]))
        months: dict[str, list[tuple[int, CompiledVersion]]] = defaultdict(list)
        first, last = rows[entries[0][0]][TS], rows[entries[-1][0]][TS]
        indexes: dict[str, MonthIndex] = {}
        for i, v in entries:
            tz_name = v.plan.billing_timezone
            index = indexes.get(tz_name)
            if index is None:
                index = indexes[tz_name] = MonthIndex(zone(tz_name), first, last + 1)
            months[index.label(rows[i][TS])].append((i, v))
        name = entries[0][1].plan.name
        for label, month_entries in months.items():
            quantity = sum(rows[i][v.meter_column] for i, v in month_entries)
            if state is None:
                total, position = quantity, 0
            elif state.counting:
                state.totals[(name, label)] = state.totals.get((name, label), 0) + quantity
                continue
            else:
                total = state.totals.get((name, label), quantity)
                position = state.positions.get((name, label), 0)
            for i, v in month_entries:
                row = rows[i]
                qty = row[v.meter_column]
                num = _numerator(row, v.coefs_for(row) if v.size_tiers else v.base)
                if v.volume.mode == "graduated":
                    num += _graduated(v.tier_bounds, v.tier_coefs, position, qty)
                else:
                    num += qty * _tier_price_at(v.tier_bounds, v.tier_coefs, total)
                position += qty
                out[i] = (_charge(num, v.den), v.index)
            if state is not None:
                state.positions[(name, label)] = position


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


def price_rows(plans: Sequence[Plan], rows: Sequence[tuple],
               meters: Mapping[Hashable, MeterInfo] | None = None):
    """One call with a fresh engine: (charge_nano, plan index) per row."""
    return PricingEngine(plans).price(rows, meters)
