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
_CHARGE, _PLAN, _CONVERSATION = 9, 10, 11


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
    request_costs: dict[str, list[Decimal]]  # scenario -> per-request cost a record


@dataclass
class Comparison:
    currency: str
    from_label: str | None
    to_label: str | None
    scenarios: list[ScenarioResult]
    models: list[ModelFigures]
    records: int  # records in scope

    @property
    def empty(self) -> bool:
        return self.records == 0

    def model(self, vendor: str, model: str) -> ModelFigures | None:
        return next((m for m in self.models if (m.vendor, m.model) == (vendor, model)), None)


def compare(conn: Connection, scope: Scope, saved: list[tuple[int, Plan]],
            alternatives: Sequence[Alternative], home_currency: str = "USD",
            rates: dict | None = None) -> Comparison:
    """The saved plans and each alternative on the usage in scope; MissingRates when a
    currency needs rates the database lacks (all of them named)."""
    noting = NotingRates(rates or {})
    meters = Meters(conn)
    info = meters.info()
    in_scope = {mid for mid, key in meters.keys.items() if scope.holds(key)}
    rows = _read_rows(conn, scope)
    lo = -_FAR if scope.from_us is None else scope.from_us
    hi = _FAR if scope.to_us is None else scope.to_us
    picked = [i for i, r in enumerate(rows) if r[2] in in_scope and lo <= r[1] < hi]
    months = covered_months(conn, CostQuery(tz=scope.tz, from_us=scope.from_us,
                                            to_us=scope.to_us)) if picked else []
    index = MonthIndex(scope.tz, min(rows[i][1] for i in picked),
                       max(rows[i][1] for i in picked) + 1) if picked else None
    month_of = {i: index.label(rows[i][1]) for i in picked} if index else {}
    conversations = _conversations(rows, picked, month_of)

    scenario_charges = [(SAVED, dict(saved), [(r[_CHARGE], r[_PLAN]) for r in rows])]
    for alt in alternatives:
        plans = dict(enumerate(alt.plans))
        scenario_charges.append((alt.name, plans, PricingEngine(alt.plans).price(rows, info)))

    results, per_model = [], {}
    for name, plans, charges in scenario_charges:
        sheet = CostSheet(home_currency, noting)
        model_sheet = CostSheet(home_currency, noting)
        result = _tally(name, rows, picked, month_of, plans, charges, sheet, model_sheet,
                        meters, scope, months, conversations)
        results.append(result)
        per_model[name] = (model_sheet, charges, plans)
    if noting.missing:
        raise MissingRates(noting.missing, home_currency)
    saved_result = results[0]
    for result in results[1:]:
        result.difference, result.difference_percent = calc.difference(result.cost,
                                                                       saved_result.cost)
    models = _model_figures(rows, picked, month_of, meters, per_model, noting, home_currency)
    return Comparison(home_currency, _label(scope.from_us, scope.tz),
                      _label(scope.to_us, scope.tz), results, models, len(picked))


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
        charge_nano, plan_version_id, conversation_id
        FROM usage_record LEFT JOIN usage_charge ON record_id = id{cond}"""), tuple(params))


def _conversations(rows, picked, month_of) -> dict[str | None, int]:
    """Distinct conversations per month (None: the whole period); records without one count
    for none."""
    per_month: dict[str, set] = defaultdict(set)
    for i in picked:
        conv = rows[i][_CONVERSATION]
        if conv:
            per_month[month_of[i]].add(conv)
    counts: dict[str | None, int] = {m: len(s) for m, s in per_month.items()}
    counts[None] = len(set().union(*per_month.values())) if per_month else 0
    return counts


def _tally(name, rows, picked, month_of, plans, charges, sheet, model_sheet, meters, scope,
           months, conversations) -> ScenarioResult:
    keys = meters.keys
    requests: Counter = Counter()
    unpriced: Counter = Counter()
    pricing_plans = set()
    for i in picked:
        row = rows[i]
        charge, plan_id = charges[i]
        month = month_of[i]
        requests[month] += row[3]
        plan = None if plan_id is None else plans.get(plan_id)
        if plan is None:
            unpriced[month] += row[3]
            continue
        pricing_plans.add(plan.name)
        sheet.add_money(month, charge, plan.currency, month)
        vendor, model = keys[row[2]][:2]
        model_sheet.add_money(f"{vendor}\0{model}", charge, plan.currency, month)
    for month in months:
        sheet.row(month)  # a month of the period without usage still shows, at 0
    usage = _usage_by_billing_month(rows, plans, charges)
    fixed_plans = [p for p in plans.values() if p.name in pricing_plans
                   and (scope.vendor is None or p.vendor.lower() == scope.vendor.lower())]
    for charge in fixed_charges(fixed_plans, months, usage):
        sheet.add_fixed(charge.month, charge.total, charge.currency, charge.month)
    report = sheet.report("month", "computed")
    figures = [MonthFigures(r.key, r.usage_cost, r.fixed_cost, requests[r.key],
                            conversations.get(r.key, 0)) for r in report.rows]
    total = report.total
    return ScenarioResult(name, total.usage_cost, total.fixed_cost, sum(requests.values()),
                          sum(unpriced.values()), conversations[None], figures)


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


def _model_figures(rows, picked, month_of, meters, per_model, rates, home) -> list[ModelFigures]:
    keys = meters.keys
    saved_sheet, saved_charges, saved_plans = per_model[SAVED]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in picked:
        groups[keys[rows[i][2]][:2]].append(i)
    out = []
    for (vendor, model), indexes in sorted(groups.items()):
        key = f"{vendor}\0{model}"
        saved_nano = _home_nano(rows, indexes, month_of, saved_charges, saved_plans, rates, home)
        priced = [(rows[i][3], saved_nano[i]) for i in indexes if i in saved_nano]
        saved_cost = saved_sheet.usage_cost(key)
        costs = {SAVED: calc.per_request_costs(priced)}
        subsidies, equivalents = {}, []
        for name, (sheet, charges, plans) in per_model.items():
            if name == SAVED:
                continue
            alt_nano = _home_nano(rows, indexes, month_of, charges, plans, rates, home)
            costs[name] = calc.per_request_costs((rows[i][3], alt_nano[i]) for i in indexes
                                                 if i in alt_nano)
            subsidies[name] = calc.alternative_subsidy(
                (rows[i][3], saved_nano[i], alt_nano[i]) for i in indexes
                if i in saved_nano and i in alt_nano)
            flat = _main_plan(indexes, charges, plans, rows)
            if flat is not None and calc.is_flat_per_request(flat):
                base = _main_plan(indexes, saved_charges, saved_plans, rows)
                cost = sheet.usage_cost(key)
                prices = (None if base is None else
                          calc.equivalent_token_prices(base, saved_cost, cost))
                equivalents.append(FlatEquivalent(name, cost, prices))
        out.append(ModelFigures(
            vendor, model, calc.BreakEven(sum(n for n, _ in priced), saved_cost),
            calc.spread(costs[SAVED]), calc.flat_subsidy(priced), subsidies, equivalents,
            costs))
    return out


def _home_nano(rows, indexes, month_of, charges, plans, rates, home) -> dict[int, int]:
    """Each priced record's charge in nano-units of the home currency (converted at its
    month's rate when its plan's currency is another)."""
    out = {}
    for i in indexes:
        charge, plan_id = charges[i]
        plan = None if plan_id is None else plans.get(plan_id)
        if plan is None:
            continue
        if plan.currency != home and charge:
            rate = rates.get((plan.currency, month_of[i]))
            charge = to_nano(EXACT.multiply(from_nano(charge), rate))
        out[i] = charge
    return out


def _main_plan(indexes, charges, plans, rows) -> Plan | None:
    """The plan that priced the most requests of these records."""
    counts: Counter = Counter()
    for i in indexes:
        plan_id = charges[i][1]
        if plan_id is not None and plan_id in plans:
            counts[plan_id] += rows[i][3] or 1
    if not counts:
        return None
    return plans[counts.most_common(1)[0][0]]


def _label(us: int | None, tz: ZoneInfo) -> str | None:
    if us is None:
        return None
    return f"{from_epoch_us(us).astimezone(tz):%Y-%m-%d}"


def save_alternative(db: Database, alternative: Alternative) -> plan_ops.SavedPlans:
    """"Save as plan": the alternative's versions saved through the plan-saving path (checked
    with the saved plans, re-priced), after which it prices as any plan."""
    return plan_ops.save_plan_set(db, list(alternative.plans), f"compare: {alternative.name}")
