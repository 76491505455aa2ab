"""Answers `meterbook compare` and the Compare page: the saved plans and alternatives, side by
side on the same stored usage. Nothing is written: the stored charges are read for the saved
plans, and each alternative is priced here by the one engine (core/pricing.py), as
`cost --plans` does.

One read of the records for the whole set of scenarios: the records of the period, widened to
whole billing months (volume tiers and monthly minimums count a plan's whole month, whatever the
scope), as one int64 matrix; then each alternative prices them in memory, column-wise. Only
integers are read (a million rows of Python values is most of the time): conversations are
counted by the database. The scope (vendor, model, project) chooses
which records are tallied; fixed charges count for the plans of the scope's vendor that priced
something in it (README, "Decisions").

Money: "saved" is the saved plans' own charges (`cost --source computed`), so that both sides
are the engine's price of the same tokens; a vendor's billed cost line carries no tokens for an
alternative to price.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import chain
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.engine import Connection

from meterbook.core import compare as calc
from meterbook.core.bulk import gc_paused
from meterbook.core.compare import int_array
from meterbook.core.cost import CostSheet, NotingRates, missing_rates_text
from meterbook.core.fixed_charges import fixed_charges
from meterbook.core.glob import matches
from meterbook.core.money import EXACT, from_nano, to_nano
from meterbook.core.periods import MonthIndex, zone
from meterbook.core.plans import Plan
from meterbook.core.pricing import METER, REQUESTS, TS, PricingEngine
from meterbook.core.pricing_columns import price_columns
from meterbook.core.quick_plans import Alternative
from meterbook.core.records import from_epoch_us
from meterbook.store.cost_query import CostQuery, covered_months, month_after
from meterbook.store.halves import read_in_halves
from meterbook.store.repricing import scope_start
from meterbook.store.sql import fetch_all, in_list, sql
from meterbook.store.usage_store import Meters

SAVED = "saved"
_FAR = 2**62
# Row layout read here: the engine's first nine columns, then the stored charge (0 when none)
# and its plan version, or for a record without one _UNPRICED, or _BILLED_ONLY when the vendor
# billed it (one column for both: each column read costs a tenth of a second a million rows).
_CHARGE, _PLAN = 9, 10
_WIDTH = 11
_UNPRICED, _BILLED_ONLY = -1, -2
_SLICE = 50_000  # rows converted at a time


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
    records: RecordCharges

    def request_costs(self, scenario: str = "saved") -> list[Decimal]:
        """Each priced record's cost per request under a scenario, for a histogram (worked
        out when asked: only the page's chosen vendor and model needs it)."""
        return self.records.request_costs(scenario)


@dataclass(eq=False)
class RecordCharges:
    """One vendor and model's records: each one's requests and, per scenario, its charge (nano)
    and whether it has one. Kept as arrays (a million records): Python values only for what
    is asked."""

    requests: np.ndarray
    nano: dict[str, np.ndarray]
    priced: dict[str, np.ndarray]

    def request_costs(self, scenario: str) -> list[Decimal]:
        if scenario not in self.nano:
            return []
        counted = self.priced[scenario] & (self.requests != 0)
        costs = calc.per_request_array(self.requests[counted], self.nano[scenario][counted])
        return [from_nano(v) for v in costs.tolist()]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, RecordCharges) and self.nano.keys() == other.nano.keys()
                and np.array_equal(self.requests, other.requests)
                and all(np.array_equal(self.priced[k], other.priced[k])
                        and np.array_equal(self.nano[k][self.priced[k]],
                                           other.nano[k][other.priced[k]]) for k in self.nano))


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
    """The records in scope, as positions in the rows read, with what every scenario needs;
    numpy arrays parallel to `index` (a million records are summed column-wise)."""

    cols: np.ndarray  # every row read (_WIDTH columns, column-major)
    index: np.ndarray  # positions of the records in scope
    month: np.ndarray  # each one's month number (report zone), into `months`
    group: np.ndarray  # each one's (vendor, model) number, into `groups`
    groups: list[tuple[str, str]]
    meters: list[int]  # the meters in scope
    months: list[str] = field(default_factory=list)  # the months of the records, in order
    starts: list[int] = field(default_factory=list)  # when each of `months` starts
    requests: Counter = field(default_factory=Counter)  # month -> requests

    @cached_property
    def cell(self) -> np.ndarray:
        return self.month * len(self.groups) + self.group

    @cached_property
    def record_requests(self) -> np.ndarray:
        return self.of(self.cols[:, REQUESTS])

    def of(self, column: np.ndarray) -> np.ndarray:
        """A column of every row read, for the records in scope (itself when all are)."""
        return column if len(self.index) == len(column) else column[self.index]


@dataclass
class _Charges:
    """One scenario's charge of every row read: nano (0 where unpriced), whether priced, and
    the plan (version id or index; -1 for none)."""

    nano: np.ndarray
    priced: np.ndarray
    plan: np.ndarray

    @classmethod
    def of(cls, pairs: list[tuple[int | None, int | None]]) -> _Charges:
        """From the engine's (charge, plan) per row (None, None: unpriced)."""
        return cls(int_array([0 if c is None else c for c, _ in pairs]),
                   np.array([c is not None for c, _ in pairs], dtype=bool),
                   np.array([-1 if p is None else p for _, p in pairs], dtype=np.int64))


def compare(conn: Connection, scope: Scope, saved: list[tuple[int, Plan]],
            alternatives: Sequence[Alternative], home_currency: str = "USD",
            rates: dict | None = None) -> Comparison:
    """The saved plans and each alternative on the usage in scope; MissingRates when a
    currency needs rates the database lacks (all of them named)."""
    noting = NotingRates(rates or {})
    meters = Meters(conn)
    info = meters.info()
    picked = _pick(_read_columns(conn, scope), meters, scope)
    months = covered_months(conn, CostQuery(tz=scope.tz, from_us=scope.from_us,
                                            to_us=scope.to_us)) if len(picked.index) else []
    conversations = _conversations(conn, scope, picked,
                                   len(picked.meters) == len(meters.keys))
    cols = picked.cols
    stored_plan = cols[:, _PLAN]
    priced = stored_plan >= 0
    scenarios = [(SAVED, dict(saved), _Charges(cols[:, _CHARGE], priced,
                                               np.where(priced, stored_plan, -1)))]
    for alt in alternatives:
        scenarios.append((alt.name, dict(enumerate(alt.plans)),
                          _price_alternative(alt, picked, info)))
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
    billed_only = int(np.count_nonzero(stored_plan[picked.index] == _BILLED_ONLY))
    return Comparison(home_currency, _label(scope.from_us, scope.tz),
                      _label(scope.to_us, scope.tz), results, models, len(picked.index),
                      billed_only)


def _price_alternative(alt: Alternative, picked: _Picked, info: dict) -> _Charges:
    """Every row read priced by the engine's rules: only the rows the alternative can price
    (its vendors') and needs (those in scope, unless a volume tier or a monthly minimum counts
    the plan's whole month); the others are unpriced. Column-wise (core/pricing_columns) when
    that is exact, else row by row by the engine itself."""
    cols = picked.cols
    n = len(cols)
    vendors = {p.vendor.lower() for p in alt.plans}
    covered = [mid for mid, key in info.items() if key[0].lower() in vendors]
    whole_months = any(p.volume is not None or p.monthly_minimum for p in alt.plans)
    can = np.isin(cols[:, METER], covered)
    positions = np.flatnonzero(can) if whole_months else picked.index[can[picked.index]]
    engine = PricingEngine(alt.plans)
    out = _Charges(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool),
                   np.full(n, -1, dtype=np.int64))
    found = price_columns(engine, cols if len(positions) == n else cols[positions], info)
    if found is None:
        rows = [tuple(r) for r in cols[positions, :9].tolist()]
        priced = _Charges.of(engine.price(rows, info))
        out.nano = out.nano.astype(priced.nano.dtype)
        out.nano[positions], out.priced[positions] = priced.nano, priced.priced
        out.plan[positions] = priced.plan
    else:
        out.nano[positions], out.plan[positions] = found
        out.priced = out.plan >= 0
    return out


def _read_columns(conn: Connection, scope: Scope) -> np.ndarray:
    """The records of the period widened to whole billing months, with their saved charge,
    as a column-major int64 matrix (_WIDTH columns). A big SQLite file is read in two halves
    at once (store/halves.py), else in one statement."""
    where, params = _period_sql(None if scope.from_us is None else scope_start(scope.from_us),
                                None if scope.to_us is None else month_after(scope.to_us))
    # No ORDER BY: the engine orders the rows of volume tiers itself (by instant, then id).
    statement = sql(conn, f"""SELECT id, timestamp_us, meter_id, requests,
        input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, units_micro,
        coalesce(charge_nano, 0), coalesce(plan_version_id, CASE WHEN billed_nano IS NULL
        THEN {_UNPRICED} ELSE {_BILLED_ONLY} END)
        FROM usage_record LEFT JOIN usage_charge ON record_id = id
        WHERE {" AND ".join(where) or "1 = 1"}""")
    parts = read_in_halves(conn, statement, params, _int_blocks, _WIDTH)
    if parts is None:
        cursor = conn.connection.cursor()
        try:
            cursor.execute(statement, params)
            parts = _int_blocks(cursor)
        finally:
            cursor.close()
    if not parts:
        return np.zeros((0, _WIDTH), dtype=np.int64, order="F")
    return np.concatenate(parts, axis=1).T  # (rows, _WIDTH), each column contiguous


def _int_blocks(cursor) -> list[np.ndarray]:
    """A cursor's rows as (_WIDTH, n) int64 blocks: in slices, the tuples of one slice at a
    time (not a million at once, several hundred MB), each turned column-major while it is
    still in the cache."""
    parts = []
    with gc_paused():  # tuples without cycles: the collector would only rescan them
        while rows := cursor.fetchmany(_SLICE):
            # Every column is an integer column of the database (int64 in both backends).
            flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64,
                               count=len(rows) * _WIDTH)
            parts.append(np.ascontiguousarray(flat.reshape(len(rows), _WIDTH).T))
            del rows  # freed while the collector sleeps: else its next pass walks them
    return parts


def _period_sql(start: int | None, end: int | None) -> tuple[list[str], tuple]:
    """Conditions on timestamp_us for [start, end) (None: no bound), and their parameters."""
    where, params = [], []
    if start is not None:
        where.append("timestamp_us >= ?")
        params.append(start)
    if end is not None:
        where.append("timestamp_us < ?")
        params.append(end)
    return where, tuple(params)


def _pick(cols: np.ndarray, meters: Meters, scope: Scope) -> _Picked:
    lo = -_FAR if scope.from_us is None else scope.from_us
    hi = _FAR if scope.to_us is None else scope.to_us
    group_of: dict[int, int] = {}  # meter id -> group number, for meters in scope
    groups: list[tuple[str, str]] = []
    for mid, key in sorted(meters.keys.items(), key=lambda item: item[1]):
        if scope.holds(key):
            if key[:2] not in groups:
                groups.append(key[:2])
            group_of[mid] = groups.index(key[:2])
    meter = cols[:, METER]
    known = np.array(sorted(group_of), dtype=np.int64)
    at = np.minimum(np.searchsorted(known, meter), max(len(known) - 1, 0))
    ts = cols[:, TS]
    index = np.flatnonzero((known[at] == meter) & (ts >= lo) & (ts < hi)) if len(known) else []
    if not len(index):
        empty = np.zeros(0, dtype=np.int64)
        return _Picked(cols, empty, empty, empty, [], [])
    ts = ts[index]
    months = MonthIndex(scope.tz, int(ts.min()), int(ts.max()) + 1)
    number = np.searchsorted(np.array(months.starts, dtype=np.int64), ts, side="right") - 1
    group = np.array([group_of[m] for m in known.tolist()], dtype=np.int64)[at[index]]
    per_month = _sums(number, cols[index, REQUESTS], len(months.labels))
    present = np.unique(number).tolist()
    requests = Counter({months.labels[m]: per_month[m] for m in present})
    return _Picked(cols, index, number, group, groups, sorted(group_of), months.labels,
                   months.starts, requests)


def _sums(keys: np.ndarray, values: np.ndarray, size: int) -> list[int]:
    """values summed per key (0 .. size - 1), exactly: in int64 unless a sum might not fit."""
    if len(values) and (values.dtype == object or max(abs(int(values.max())), abs(int(
            values.min()))) * len(values) >= 2**63):
        out = [0] * size
        for k, v in zip(keys.tolist(), values.tolist(), strict=True):
            out[k] += v
        return out
    found = np.zeros(size, dtype=np.int64)
    np.add.at(found, keys, values)
    return found.tolist()


def _conversations(conn: Connection, scope: Scope, picked: _Picked, every_meter: bool
                   ) -> dict[str | None, int]:
    """Distinct conversations per month (None: the whole period) of the records in scope;
    records without one count for none. Counted by the database from the distinct (month,
    conversation) pairs: far fewer than the records, and no text column read per record."""
    if not len(picked.index):
        return {None: 0}
    # The month number of a record as _pick gives it (month k starts at picked.starts[k]);
    # integers of our own, written into the text so that both backends type them alike.
    whens = " ".join(f"WHEN timestamp_us < {int(start)} THEN {k}"
                     for k, start in enumerate(picked.starts[1:]))
    month = f"CASE {whens} ELSE {len(picked.starts) - 1} END" if whens else "0"
    where, params = _period_sql(scope.from_us, scope.to_us)
    where.append("conversation_id <> ''")  # neither none nor empty
    if not every_meter:
        where.append("meter_id IN " + in_list(conn, picked.meters))
        params += tuple(picked.meters)
    pairs = fetch_all(conn, f"""SELECT DISTINCT {month}, conversation_id
        FROM usage_record WHERE {" AND ".join(where)}""", params)
    counts: dict[str | None, int] = dict(Counter(picked.months[m] for m, _ in pairs))
    counts[None] = len({conv for _, conv in pairs})
    return counts


class _Tally:
    """One scenario's sums over the records in scope: money per month and per (vendor, model)
    in each plan currency, unpriced requests, and each record's charge in the home currency
    (nano; `priced` says which have one) for the spread and subsidies. Column-wise: this runs
    over every record once per scenario."""

    def __init__(self, picked: _Picked, plans: dict, charges: _Charges, home: str, rates):
        self.picked, self.plans, self.charges, self.home = picked, plans, charges, home
        self.rates = rates
        self.nano = picked.of(charges.nano)
        self.priced = picked.of(charges.priced)
        self.plan_ids = picked.of(charges.plan)
        # Whether a vendor and model's main plan can be a flat one (else none is looked for).
        self.any_flat = any(calc.is_flat_per_request(p) for p in plans.values())
        self.pricing_plans = {plans[pid].name for pid in calc.distinct(self.plan_ids)
                              if pid in plans}
        unpriced = _sums(picked.month[~self.priced], picked.record_requests[~self.priced],
                         len(picked.months))
        self.unpriced = sum(unpriced)
        currencies = {p.currency for p in plans.values()}
        self.sheet = CostSheet(home, rates)
        self.group_sheet = CostSheet(home, rates)
        n_groups = len(picked.groups)
        cells = picked.cell
        for cur in sorted(currencies):
            counted = self.priced & (self.nano != 0)
            if len(currencies) > 1:
                counted &= np.isin(self.plan_ids, [pid for pid, p in plans.items()
                                                   if p.currency == cur])
            sums = _sums(cells[counted], self.nano[counted], len(picked.months) * n_groups)
            for cell, nano in enumerate(sums):
                if nano:
                    month = picked.months[cell // n_groups]
                    self.sheet.add_money(month, nano, cur, month)
                    self.group_sheet.add_money(str(cell % n_groups), nano, cur, month)
        if currencies - {home}:
            self._convert_records({pid: p.currency for pid, p in plans.items()})

    def _convert_records(self, currency: dict) -> None:
        converted = []
        months = self.picked.months
        for k in np.flatnonzero(self.nano != 0).tolist():
            cur = currency.get(int(self.plan_ids[k]))
            if cur is not None and cur != self.home:
                month = months[self.picked.month[k]]
                rate = self.rates.get((cur, month)) or Decimal(0)
                converted.append((k, to_nano(EXACT.multiply(from_nano(int(self.nano[k])),
                                                            rate))))
        # A copy either way: self.nano may be the scenario's own array (or the matrix read),
        # which must keep the charges in the plans' currencies.
        big = any(abs(v) >= 2**62 for _, v in converted)
        self.nano = self.nano.astype(object if big else self.nano.dtype)
        for k, value in converted:
            self.nano[k] = value

    def result(self, name: str, scope: Scope, months: list[str],
               conversations: dict) -> ScenarioResult:
        for month in months:
            self.sheet.row(month)  # a month of the period without usage still shows, at 0
        usage = _usage_by_billing_month(self.picked.cols, self.plans, self.charges)
        fixed_plans = [p for p in self.plans.values() if p.name in self.pricing_plans
                       and (scope.vendor is None or p.vendor.lower() == scope.vendor.lower())]
        for charge in fixed_charges(fixed_plans, months, usage):
            self.sheet.add_fixed(charge.month, charge.total, charge.currency, charge.month)
        report = self.sheet.report("month", "computed")
        requests = self.picked.requests
        figures = [MonthFigures(r.key, r.usage_cost, r.fixed_cost, requests[r.key],
                                conversations.get(r.key, 0)) for r in report.rows]
        return ScenarioResult(name, report.total.usage_cost, report.total.fixed_cost,
                              sum(requests.values()), self.unpriced,
                              conversations[None], figures)

    def main_plan(self, members: np.ndarray) -> Plan | None:
        """The plan that priced the most of these records (of a vendor and model); of two
        that priced as many, the one that priced the earlier record."""
        ids = self.plan_ids[members]
        ids = ids[ids >= 0]
        if not len(ids):
            return None
        found, first, counts = np.unique(ids, return_index=True, return_counts=True)
        best = max(range(len(found)), key=lambda j: (counts[j], -first[j]))
        return self.plans[int(found[best])]



def _usage_by_billing_month(cols: np.ndarray, plans: dict, charges: _Charges
                            ) -> dict[tuple[str, str], Decimal]:
    """Usage charges per plan name and billing month (its own zone), for monthly minimums:
    only plans that have one are summed."""
    wanted = {pid: p for pid, p in plans.items() if p.monthly_minimum}
    if not wanted:
        return {}
    nano: dict[tuple[str, str], int] = defaultdict(int)
    ts = cols[:, TS]
    counted = charges.priced & (charges.nano != 0)
    for pid, plan in wanted.items():
        mine = counted & (charges.plan == pid)
        if not mine.any():
            continue
        index = MonthIndex(zone(plan.billing_timezone), int(ts.min()), int(ts.max()) + 1)
        number = np.searchsorted(np.array(index.starts, dtype=np.int64), ts[mine],
                                 side="right") - 1
        sums = _sums(number, charges.nano[mine], len(index.labels))
        for m in np.unique(number).tolist():
            nano[(plan.name, index.labels[m])] += sums[m]
    return {k: from_nano(v) for k, v in nano.items()}


def _model_figures(picked: _Picked, names: list[str], tallies: list[_Tally]
                   ) -> list[ModelFigures]:
    order = np.argsort(picked.group, kind="stable")  # positions in picked.index, by group
    bounds = np.searchsorted(picked.group[order], np.arange(len(picked.groups) + 1))
    requests = picked.record_requests
    saved = tallies[0]
    out = []
    for group, (vendor, model) in enumerate(picked.groups):
        ks = order[bounds[group]:bounds[group + 1]]
        n = requests[ks]
        saved_nano, saved_priced = saved.nano[ks], saved.priced[ks]
        saved_cost = saved.group_sheet.usage_cost(str(group))
        records = RecordCharges(n, {SAVED: saved_nano}, {SAVED: saved_priced})
        subsidies, equivalents = {}, []
        counted = (n != 0) & saved_priced
        for name, tally in zip(names[1:], tallies[1:], strict=True):
            records.nano[name], records.priced[name] = tally.nano[ks], tally.priced[ks]
            both = counted & tally.priced[ks]
            subsidies[name] = calc.alternative_subsidy_of(n[both], saved_nano[both],
                                                          tally.nano[ks][both])
            flat = tally.main_plan(ks) if tally.any_flat else None
            if flat is not None and calc.is_flat_per_request(flat):
                base = saved.main_plan(ks)
                cost = tally.group_sheet.usage_cost(str(group))
                prices = (None if base is None else
                          calc.equivalent_token_prices(base, saved_cost, cost))
                equivalents.append(FlatEquivalent(name, cost, prices))
        priced = calc.exact_sum(n[saved_priced])
        out.append(ModelFigures(
            vendor, model, calc.BreakEven(priced, saved_cost),
            calc.spread(calc.per_request_array(n[counted], saved_nano[counted])),
            calc.flat_subsidy_of(n[counted], saved_nano[counted]), subsidies, equivalents,
            records))
    return out


def _label(us: int | None, tz: ZoneInfo) -> str | None:
    if us is None:
        return None
    return f"{from_epoch_us(us).astimezone(tz):%Y-%m-%d}"
