"""Answers `meterbook compare` and the Compare page: the saved plans and alternatives, side by
side on the same stored usage. Nothing is written: the stored charges are read for the saved
plans, and each alternative is priced here by the one engine (core/pricing.py), as
`cost --plans` does.

One read of the records for the whole set of scenarios: the records of the period, widened to
whole billing months (volume tiers and monthly minimums count a plan's whole month, whatever the
scope), then each alternative prices them in memory. The scope (vendor, model, project) chooses
which records are tallied; fixed charges count for the plans of the scope's vendor that priced
something in it (README, "Decisions").

Money: "saved" is the saved plans' own charges (`cost --source computed`), so that both sides
are the engine's price of the same tokens; a vendor's billed cost line carries no tokens for an
alternative to price.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from meterbook.core import compare as calc
from meterbook.core.cost import CostSheet, NotingRates, missing_rates_text
from meterbook.core.fixed_charges import fixed_charges
from meterbook.core.glob import matches
from meterbook.core.money import EXACT, from_nano, to_nano
from meterbook.core.periods import MonthIndex, zone
from meterbook.core.plans import Plan
from meterbook.core.pricing import PricingEngine
from meterbook.core.pricing_columns import columns_of, price_columns
from meterbook.core.quick_plans import Alternative
from meterbook.core.records import from_epoch_us
from meterbook.store import plan_ops
from meterbook.store.cost_query import CostQuery, covered_months, month_after
from meterbook.store.database import Database
from meterbook.store.repricing import scope_start
from meterbook.store.sql import fetch_all, sql
from meterbook.store.usage_store import Meters

SAVED = "saved"
_FAR = 2**62
# Row layout read here: the engine's first nine columns, then the stored charge and plan, then
# the conversation.
_CHARGE, _PLAN, _CONVERSATION, _BILLED = 9, 10, 11, 12


class MissingRates(Exception):
    """An alternative (or saved plan) in a currency without exchange rates: every currency and
    month missing, at once."""

    def __init__(self, pairs: set[tuple[str, str]], home: str):
        self.pairs = pairs
        super().__init__(f"{missing_rates_text(pairs, home)}; add them with `meterbook rates "
                         "set CURRENCY YYYY-MM RATE` or `meterbook rates import FILE`")


@dataclass(frozen=True)
class Scope:
    from_us: int | None = None  # inclusive
    to_us: int | None = None  # exclusive
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    vendor: str | None = None  # case-insensitive, a plan glob for model and project
    model: str | None = None
    project: str | None = None

    def holds(self, key: tuple) -> bool:
        vendor, model, project = key[:3]
        return ((self.vendor is None or vendor.lower() == self.vendor.lower())
                and (self.model is None or matches(self.model, model))
                and (self.project is None or matches(self.project, project)))


@dataclass
class MonthFigures:
    month: str
    usage_cost: Decimal
    fixed_cost: Decimal
    requests: int
    conversations: int

    @property
    def cost(self) -> Decimal:
        return self.usage_cost + self.fixed_cost

    @property
    def cost_per_conversation(self) -> Decimal | None:
        return calc.per_unit(self.cost, self.conversations)


@dataclass
class ScenarioResult:
    name: str
    usage_cost: Decimal
    fixed_cost: Decimal
    requests: int
    unpriced_requests: int
    conversations: int
    months: list[MonthFigures]
    difference: Decimal = Decimal(0)
    difference_percent: Decimal | None = None

    @property
    def cost(self) -> Decimal:
        return self.usage_cost + self.fixed_cost

    @property
    def cost_per_request(self) -> Decimal | None:
        return calc.per_unit(self.cost, self.requests)

    @property
    def cost_per_conversation(self) -> Decimal | None:
        return calc.per_unit(self.cost, self.conversations)


@dataclass
class FlatEquivalent:
    """For a flat per-request alternative: its cost here and the per-token prices that would
    cost the same (None when the saved plans cost nothing here)."""

    scenario: str
    cost: Decimal
    prices: calc.TokenPrices | None


@dataclass
class ModelFigures:
    """One vendor and model in scope: break-even, spread and subsidies."""

    vendor: str
    model: str
    break_even: calc.BreakEven
    spread: calc.Spread | None
    flat: calc.Subsidy  # under the break-even flat price
    alternatives: dict[str, calc.Subsidy]  # scenario name -> subsidy under it
    flat_equivalents: list[FlatEquivalent]
    record_requests: list[int]  # each record's requests
    record_nano: dict[str, list[int | None]]  # scenario -> each record's charge (None: unpriced)

    def request_costs(self, scenario: str = "saved") -> list[Decimal]:
        """Each priced record's cost per request under a scenario, for a histogram (worked
        out when asked: only the page's chosen vendor and model needs it)."""
        charges = self.record_nano.get(scenario, ())
        pairs = zip(self.record_requests, charges, strict=False)
        return [from_nano(v) for v in calc.per_request_nano(pairs)]


@dataclass
class Comparison:
    currency: str
    from_label: str | None
    to_label: str | None
    scenarios: list[ScenarioResult]
    models: list[ModelFigures]
    records: int  # records in scope
    # Records in scope that only carry a vendor's bill (a cost export's line): no tokens for
    # any plan to price, so no scenario counts them.
    billed_only: int = 0

    @property
    def empty(self) -> bool:
        return self.records == 0

    def model(self, vendor: str, model: str) -> ModelFigures | None:
        return next((m for m in self.models if (m.vendor, m.model) == (vendor, model)), None)


@dataclass
class _Picked:
    """The records in scope, as positions in the rows read, with what every scenario needs."""

    rows: list[tuple]
    index: list[int]  # positions of the records in scope
    month: list[str]  # each one's month (report zone), parallel to index
    group: list[int]  # each one's (vendor, model) number, parallel to index
    groups: list[tuple[str, str]]
    months: list[str] = field(default_factory=list)  # the months of the records, in order
    cell: list[int] = field(default_factory=list)  # month number x len(groups) + group
    requests: Counter = field(default_factory=Counter)  # month -> requests


def compare(conn: Connection, scope: Scope, saved: list[tuple[int, Plan]],
            alternatives: Sequence[Alternative], home_currency: str = "USD",
            rates: dict | None = None) -> Comparison:
    """The saved plans and each alternative on the usage in scope; MissingRates when a
    currency needs rates the database lacks (all of them named)."""
    noting = NotingRates(rates or {})
    meters = Meters(conn)
    info = meters.info()
    rows = _read_rows(conn, scope)
    picked = _pick(rows, meters, scope)
    months = covered_months(conn, CostQuery(tz=scope.tz, from_us=scope.from_us,
                                            to_us=scope.to_us)) if picked.index else []
    conversations = _conversations(picked)
    scenarios = [(SAVED, dict(saved), [(r[_CHARGE], r[_PLAN]) for r in rows])]
    cols = columns_of(rows) if alternatives else None
    for alt in alternatives:
        scenarios.append((alt.name, dict(enumerate(alt.plans)),
                          _price_alternative(alt, rows, cols, picked, info)))
    results, tallies = [], []
    for name, plans, charges in scenarios:
        tally = _Tally(picked, plans, charges, home_currency, noting)
        tallies.append(tally)
        results.append(tally.result(name, scope, months, conversations))
    if noting.missing:
        raise MissingRates(noting.missing, home_currency)
    for result in results[1:]:
        result.difference, result.difference_percent = calc.difference(result.cost,
                                                                       results[0].cost)
    models = _model_figures(picked, [s[0] for s in scenarios], tallies)
    billed_only = sum(1 for i in picked.index
                      if rows[i][_BILLED] is not None and rows[i][_CHARGE] is None)
    return Comparison(home_currency, _label(scope.from_us, scope.tz),
                      _label(scope.to_us, scope.tz), results, models, len(picked.index),
                      billed_only)


def _price_alternative(alt: Alternative, rows: list[tuple], cols, picked: _Picked,
                       info: dict) -> list[tuple[int | None, int | None]]:
    """(charge, plan index) per row read, priced by the engine's rules: only the rows the
    alternative can price (its vendors') and needs (those in scope, unless a volume tier or a
    monthly minimum counts the plan's whole month); the others are unpriced. Column-wise
    (core/pricing_columns) when it can be exact, else row by row by the engine itself."""
    vendors = {p.vendor.lower() for p in alt.plans}
    covered = {mid for mid, key in info.items() if key[0].lower() in vendors}
    whole_months = any(p.volume is not None or p.monthly_minimum for p in alt.plans)
    candidates = range(len(rows)) if whole_months else picked.index
    positions = [i for i in candidates if rows[i][2] in covered]
    engine = PricingEngine(alt.plans)
    if cols is not None:
        found = price_columns(engine, cols[positions], info)
        if found is not None:
            return _as_charges(len(rows), positions, *found)
    if len(positions) == len(rows):
        return engine.price(rows, info)
    out: list[tuple[int | None, int | None]] = [(None, None)] * len(rows)
    for i, result in zip(positions, engine.price([rows[i] for i in positions], info),
                         strict=True):
        out[i] = result
    return out


def _as_charges(n: int, positions: list[int], charge, plan
                ) -> list[tuple[int | None, int | None]]:
    """The engine's (charge, plan index) per row read from price_columns' arrays over the rows
    at `positions`: (None, None) where unpriced."""
    out: list[tuple[int | None, int | None]] = [(None, None)] * n
    for i, c, p in zip(positions, charge.tolist(), plan.tolist(), strict=True):
        if p >= 0:
            out[i] = (c, p)
    return out


def _read_rows(conn: Connection, scope: Scope) -> list[tuple]:
    """The records of the period widened to whole billing months, with their saved charge."""
    where, params = [], []
    if scope.from_us is not None:
        where.append("timestamp_us >= ?")
        params.append(scope_start(scope.from_us))
    if scope.to_us is not None:
        where.append("timestamp_us < ?")
        params.append(month_after(scope.to_us))
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    # No ORDER BY: the engine orders the rows of volume tiers itself (by instant, then id).
    return fetch_all(conn, sql(conn, f"""SELECT id, timestamp_us, meter_id, requests,
        input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, units_micro,
        charge_nano, plan_version_id, conversation_id, billed_nano
        FROM usage_record LEFT JOIN usage_charge ON record_id = id{cond}"""), tuple(params))


def _pick(rows: list[tuple], meters: Meters, scope: Scope) -> _Picked:
    lo = -_FAR if scope.from_us is None else scope.from_us
    hi = _FAR if scope.to_us is None else scope.to_us
    group_of: dict[int, int] = {}  # meter id -> group number, for meters in scope
    groups: list[tuple[str, str]] = []
    for mid, key in sorted(meters.keys.items(), key=lambda item: item[1]):
        if scope.holds(key):
            if key[:2] not in groups:
                groups.append(key[:2])
            group_of[mid] = groups.index(key[:2])
    index = [i for i, r in enumerate(rows) if r[2] in group_of and lo <= r[1] < hi]
    if not index:
        return _Picked(rows, [], [], [], [])
    first = min(rows[i][1] for i in index)
    months = MonthIndex(scope.tz, first, max(rows[i][1] for i in index) + 1)
    starts, labels = months.starts, months.labels  # MonthIndex.label, inlined: 1M calls
    number = [bisect_right(starts, rows[i][1]) - 1 for i in index]
    month = [labels[m] for m in number]
    group = [group_of[rows[i][2]] for i in index]
    cell = [m * len(groups) + g for m, g in zip(number, group, strict=True)]
    requests: Counter = Counter()
    for i, m in zip(index, month, strict=True):
        requests[m] += rows[i][3]
    return _Picked(rows, index, month, group, groups, months.labels, cell, requests)


def _conversations(picked: _Picked) -> dict[str | None, int]:
    """Distinct conversations per month (None: the whole period); records without one count
    for none."""
    per_month: dict[str, set] = defaultdict(set)
    rows = picked.rows
    for i, month in zip(picked.index, picked.month, strict=True):
        conv = rows[i][_CONVERSATION]
        if conv:
            per_month[month].add(conv)
    counts: dict[str | None, int] = {m: len(s) for m, s in per_month.items()}
    counts[None] = len(set().union(*per_month.values())) if per_month else 0
    return counts


class _Tally:
    """One scenario's sums over the records in scope: money per month and per (vendor, model)
    in each plan currency, unpriced requests, and each record's charge in the home currency
    (nano; None: unpriced) for the spread and subsidies. Written as list comprehensions and
    integer-indexed sums: this runs over every record once per scenario."""

    def __init__(self, picked: _Picked, plans: dict, charges: list, home: str, rates):
        self.picked, self.plans, self.charges, self.home = picked, plans, charges, home
        self.rates = rates
        index = picked.index
        self.record_nano: list[int | None] = [charges[i][0] for i in index]
        plan_ids = [charges[i][1] for i in index]
        self.pricing_plans = {plans[pid].name for pid in set(plan_ids) if pid in plans}
        # Records priced per (vendor and model, plan): counted in C by Counter, not a loop.
        self.plan_records = Counter(zip(picked.group, plan_ids, strict=True))
        self.unpriced: Counter = Counter()
        rows = picked.rows
        for k in [k for k, c in enumerate(self.record_nano) if c is None]:
            self.unpriced[picked.month[k]] += rows[index[k]][3]
        currencies = {p.currency for p in plans.values()}
        self.sheet = CostSheet(home, rates)
        self.group_sheet = CostSheet(home, rates)
        n_groups = len(picked.groups)
        for cur in sorted(currencies):
            wanted = None if len(currencies) == 1 else {
                pid for pid, p in plans.items() if p.currency == cur}
            sums = [0] * (len(picked.months) * n_groups)
            for cell, charge, pid in zip(picked.cell, self.record_nano, plan_ids, strict=True):
                if charge and (wanted is None or pid in wanted):
                    sums[cell] += charge
            for cell, nano in enumerate(sums):
                if nano:
                    month = picked.months[cell // n_groups]
                    self.sheet.add_money(month, nano, cur, month)
                    self.group_sheet.add_money(str(cell % n_groups), nano, cur, month)
        if currencies - {home}:
            self._convert_records({pid: p.currency for pid, p in plans.items()})

    def _convert_records(self, currency: dict) -> None:
        charges = self.charges
        for k, (i, month) in enumerate(zip(self.picked.index, self.picked.month, strict=True)):
            cur = currency.get(charges[i][1])
            if cur is not None and cur != self.home and charges[i][0]:
                rate = self.rates.get((cur, month)) or Decimal(0)
                self.record_nano[k] = to_nano(EXACT.multiply(from_nano(charges[i][0]), rate))

    def result(self, name: str, scope: Scope, months: list[str],
               conversations: dict) -> ScenarioResult:
        for month in months:
            self.sheet.row(month)  # a month of the period without usage still shows, at 0
        usage = _usage_by_billing_month(self.picked.rows, self.plans, self.charges)
        fixed_plans = [p for p in self.plans.values() if p.name in self.pricing_plans
                       and (scope.vendor is None or p.vendor.lower() == scope.vendor.lower())]
        for charge in fixed_charges(fixed_plans, months, usage):
            self.sheet.add_fixed(charge.month, charge.total, charge.currency, charge.month)
        report = self.sheet.report("month", "computed")
        requests = self.picked.requests
        figures = [MonthFigures(r.key, r.usage_cost, r.fixed_cost, requests[r.key],
                                conversations.get(r.key, 0)) for r in report.rows]
        return ScenarioResult(name, report.total.usage_cost, report.total.fixed_cost,
                              sum(requests.values()), sum(self.unpriced.values()),
                              conversations[None], figures)

    def main_plan(self, group: int) -> Plan | None:
        """The plan that priced the most records of a (vendor, model)."""
        counts = {pid: n for (g, pid), n in self.plan_records.items()
                  if g == group and pid is not None}
        return self.plans[max(counts, key=counts.__getitem__)] if counts else None


def _usage_by_billing_month(rows, plans: dict, charges) -> dict[tuple[str, str], Decimal]:
    """Usage charges per plan name and billing month (its own zone), for monthly minimums:
    only plans that have one are summed."""
    wanted = {pid: p for pid, p in plans.items() if p.monthly_minimum}
    if not wanted:
        return {}
    nano: dict[tuple[str, str], int] = defaultdict(int)
    indexes: dict[str, MonthIndex] = {}
    first = min(r[1] for r in rows)
    last = max(r[1] for r in rows) + 1
    for row, (charge, plan_id) in zip(rows, charges, strict=True):
        plan = wanted.get(plan_id)
        if plan is None or not charge:
            continue
        found = indexes.get(plan.billing_timezone)
        if found is None:
            found = indexes[plan.billing_timezone] = MonthIndex(zone(plan.billing_timezone),
                                                                first, last)
        nano[(plan.name, found.label(row[1]))] += charge
    return {k: from_nano(v) for k, v in nano.items()}


def _model_figures(picked: _Picked, names: list[str], tallies: list[_Tally]
                   ) -> list[ModelFigures]:
    rows = picked.rows
    members: list[list[int]] = [[] for _ in picked.groups]  # positions in picked.index
    for k, group in enumerate(picked.group):
        members[group].append(k)
    saved = tallies[0]
    out = []
    for group, (vendor, model) in enumerate(picked.groups):
        ks = members[group]
        n = [rows[picked.index[k]][3] for k in ks]
        saved_nano = [saved.record_nano[k] for k in ks]
        saved_cost = saved.group_sheet.usage_cost(str(group))
        record_nano = {SAVED: saved_nano}
        subsidies, equivalents = {}, []
        for name, tally in zip(names[1:], tallies[1:], strict=True):
            alt_nano = record_nano[name] = [tally.record_nano[k] for k in ks]
            subsidies[name] = calc.alternative_subsidy(zip(n, saved_nano, alt_nano, strict=True))
            flat = tally.main_plan(group)
            if flat is not None and calc.is_flat_per_request(flat):
                base = saved.main_plan(group)
                cost = tally.group_sheet.usage_cost(str(group))
                prices = (None if base is None else
                          calc.equivalent_token_prices(base, saved_cost, cost))
                equivalents.append(FlatEquivalent(name, cost, prices))
        priced = sum(x for x, c in zip(n, saved_nano, strict=True) if c is not None)
        out.append(ModelFigures(
            vendor, model, calc.BreakEven(priced, saved_cost),
            calc.spread(calc.per_request_nano(zip(n, saved_nano, strict=True))),
            calc.flat_subsidy(zip(n, saved_nano, strict=True)), subsidies, equivalents, n,
            record_nano))
    return out


def _label(us: int | None, tz: ZoneInfo) -> str | None:
    if us is None:
        return None
    return f"{from_epoch_us(us).astimezone(tz):%Y-%m-%d}"


def save_alternative(db: Database, alternative: Alternative) -> plan_ops.SavedPlans:
    """"Save as plan": the alternative's versions saved through the plan-saving path (checked
    with the saved plans, re-priced), after which it prices as any plan."""
    return plan_ops.save_plan_set(db, list(alternative.plans), f"compare: {alternative.name}")
