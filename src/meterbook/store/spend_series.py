"""The series the charts draw: spend per day, week or month by vendor, model or project; the
spread of cost per request and per conversation; the top models and projects.

Every amount follows `meterbook cost --source auto` (billed where billed, computed otherwise):
the sums come from `cost_query.money_sql` and whole reports from `run_cost_query`, never from a
copy of the rule. Monthly fees and minimums belong to no vendor's day of usage: they are a
series of their own, FEES, on the bucket that holds the month's first day (where `cost --by
day` puts them), so the bars of a range add up to `cost` over the same range.

Days are counted in the report zone. Whole-hour zones (nearly all) sum the hourly rollup, other
zones the records; either way SQL groups by local day (its offset changes written as a CASE), so
three years of twenty series is a few tens of thousands of rows, not millions.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from meterbook.core.cost import By, CostReport, CostSheet, NotingRates
from meterbook.core.money import from_nano
from meterbook.core.periods import (
    US_PER_DAY,
    US_PER_HOUR,
    is_whole_hour_zone,
    local_midnight_us,
)  # fmt: skip
from meterbook.core.plans import Plan
from meterbook.core.records import from_epoch_us
from meterbook.core.stats import median, percentile
from meterbook.store import readers
from meterbook.store.cost_query import (
    CostQuery,
    home_currency_only,
    money_sql,
    run_cost_query,
)  # fmt: skip
from meterbook.store.sql import fetch_all, sql
from meterbook.store.usage_store import Meters

GROUPINGS = ("day", "week", "month")
DIMENSIONS = ("vendor", "model", "project")
TOP = 6  # series drawn on their own; the rest are OTHER (charts.md: top six and "other")
OTHER = "other"
FEES = "monthly fees"
NO_PROJECT = "(no project)"
COLOURS_KEY = "chart_colours"  # setting: {"vendor": {"openai": "#0072B2", ...}, ...}
Pairs = tuple[tuple[str, str], ...]


@dataclass
class SpendSeries:
    """Spend per bucket and series, in the home currency; lists run parallel to `starts`.

    A bucket is [starts[i], ends[i]) in local dates, clipped to the range asked for. Amounts
    never include unpriced usage: its request count is in `unpriced` (charts mark it, never a
    $0 bar). `missing_rates` lists the rates some amount needed and nobody saved: the amounts
    are then incomplete and must not be shown as money.
    """

    grouping: str
    by: str
    currency: str
    first: date
    after: date  # the day after the last
    starts: list[date] = field(default_factory=list)
    ends: list[date] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # largest first, then OTHER, then FEES
    amounts: dict[str, list[Decimal]] = field(default_factory=dict)
    requests: dict[str, list[int]] = field(default_factory=dict)
    unpriced: dict[str, list[int]] = field(default_factory=dict)
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)  # OTHER's series
    missing_rates: Pairs = ()

    def totals(self) -> list[Decimal]:
        """Each bucket's spend, every series together."""
        return [sum((self.amounts[n][i] for n in self.names), Decimal(0))
                for i in range(len(self.starts))]

    def total(self, name: str) -> Decimal:
        return sum(self.amounts[name], Decimal(0))

    def unpriced_per_bucket(self) -> list[int]:
        return [sum(self.unpriced[n][i] for n in self.names) for i in range(len(self.starts))]


@dataclass
class Distribution:
    """Cost of each priced request (or conversation), sorted, with its median and 90th
    percentile; `unpriced` counts those left out because part of them has no price."""

    kind: str  # "request" or "conversation"
    currency: str
    values: list[Decimal]
    unpriced: int
    median: Decimal | None
    p90: Decimal | None
    missing_rates: Pairs = ()


@dataclass
class Ranking:
    """The costliest models or projects of a range, largest first."""

    by: str
    currency: str
    names: list[str]
    amounts: list[Decimal]
    requests: list[int]
    unpriced: list[int]
    missing_rates: Pairs = ()


# --- the range and its buckets -------------------------------------------------------------------


def bucket_start(day: date, grouping: str) -> date:
    if grouping == "day":
        return day
    if grouping == "week":  # ISO weeks begin on Monday, as `cost --by week` counts them
        return day - timedelta(days=day.weekday())
    if grouping == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown grouping {grouping!r}: expected day, week or month")


def _next_bucket(start: date, grouping: str) -> date:
    if grouping == "day":
        return start + timedelta(days=1)
    if grouping == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def buckets(first: date, after: date, grouping: str) -> tuple[list[date], list[date]]:
    """(starts, ends) of the buckets covering [first, after), the outer ones clipped."""
    starts, ends = [], []
    start = bucket_start(first, grouping)
    while start < after:
        end = _next_bucket(start, grouping)
        starts.append(max(start, first))
        ends.append(min(end, after))
        start = end
    return starts, ends


def _offset_case(column: str, unit: int, tz: ZoneInfo, lo_us: int, hi_us: int) -> str:
    """SQL for the local day number (days since 1970-01-01, local) of `column` counted in
    `unit` microseconds: the zone's UTC offsets over the range, as a CASE on their changes."""
    changes: list[tuple[int, int]] = []  # (from instant, offset in us)

    def offset(us: int) -> int:
        return int(from_epoch_us(us).astimezone(tz).utcoffset().total_seconds()) * 1_000_000

    t, current = lo_us, offset(lo_us)
    changes.append((lo_us, current))
    while t < hi_us:
        step = min(t + US_PER_DAY, hi_us)
        if offset(step) != current:
            low, high = t, step  # the change lies in (low, high]: find its hour
            while high - low > 1:
                mid = (low + high) // 2
                low, high = (mid, high) if offset(mid) == current else (low, mid)
            current = offset(high)
            changes.append((high, current))
        t = step
    parts = [f"WHEN {column} < {at // unit} THEN {changes[i - 1][1] // unit}"
             for i, (at, _off) in enumerate(changes) if i]
    off = (f"CASE {' '.join(parts)} ELSE {changes[-1][1] // unit} END" if parts
           else str(changes[0][1] // unit))
    return f"(({column} + {off}) / {US_PER_DAY // unit})"


# --- spend per bucket and series ---------------------------------------------------------------


@dataclass
class _Context:
    conn: Connection
    tz: ZoneInfo
    home: str
    rates: NotingRates
    plans: list[tuple[int, Plan]]

    @classmethod
    def open(cls, conn: Connection, tz_name: str) -> _Context:
        return cls(conn, ZoneInfo(tz_name), readers.home_currency(conn),
                   NotingRates(readers.rates_for(conn)), readers.load_plans(conn))

    def report(self, by: str, first: date, after: date) -> CostReport:
        return run_cost_query(self.conn, CostQuery(
            by=by, source="auto", tz=self.tz, from_us=local_midnight_us(first, self.tz),
            to_us=local_midnight_us(after, self.tz), home_currency=self.home,
            rates=self.rates), self.plans)

    @property
    def missing(self) -> Pairs:
        return tuple(sorted(self.rates.missing))


@dataclass(frozen=True)
class DailySpend:
    """What a range holds per local day and series, before grouping: a page keeps it, so that
    changing between days, weeks and months regroups in memory instead of asking again."""

    by: str
    currency: str
    first: date
    after: date
    days: dict[tuple[date, str], tuple[Decimal, int, int]]  # amount, requests, unpriced
    fees: dict[date, Decimal]  # monthly fees per month's first day
    missing_rates: Pairs = ()


def daily_spend(conn: Connection, tz_name: str, first: date, after: date,
                by: str = "vendor") -> DailySpend:
    """Spend over [first, after) (local dates) per day and series of `by`."""
    if by not in DIMENSIONS:
        raise ValueError(f"unknown series {by!r}: expected vendor, model or project")
    c = _Context.open(conn, tz_name)
    if first >= after:
        return DailySpend(by, c.home, first, after, {}, {})
    days = _daily_sums(c, first, after, by)
    fees = _fees_per_month(c, first, after)
    return DailySpend(by, c.home, first, after, days, fees, c.missing)


def spend_series(conn: Connection, tz_name: str, first: date, after: date,
                 grouping: str = "day", by: str = "vendor", top: int = TOP) -> SpendSeries:
    """Spend over [first, after) (local dates) per bucket of `grouping` and series of `by`."""
    return group_spend(daily_spend(conn, tz_name, first, after, by), grouping, top)


def group_spend(daily: DailySpend, grouping: str = "day", top: int = TOP) -> SpendSeries:
    """The days of `daily` in buckets of `grouping`; beyond `top` series, the smallest are
    OTHER (ranked by what they cost over the whole range, names breaking ties)."""
    first, after = daily.first, daily.after
    starts, ends = buckets(first, after, grouping)
    out = SpendSeries(grouping, daily.by, daily.currency, first, after, starts, ends,
                      missing_rates=daily.missing_rates)
    if not starts:
        return out
    totals: dict[str, Decimal] = {}
    for (_day, name), (amount, _r, _u) in daily.days.items():
        totals[name] = totals.get(name, Decimal(0)) + amount
    ranked = sorted(totals, key=lambda n: (-totals[n], n))
    shown = ranked if len(ranked) <= top + 1 else ranked[:top]
    rest = tuple(sorted(n for n in ranked if n not in shown))
    names = shown + ([OTHER] if rest else [])
    slot = {n: n for n in shown} | {n: OTHER for n in rest}
    if daily.fees:
        names.append(FEES)
    n = len(starts)
    out.names = names
    out.amounts = {name: [Decimal(0)] * n for name in names}
    out.requests = {name: [0] * n for name in names}
    out.unpriced = {name: [0] * n for name in names}
    out.members = {OTHER: rest} if rest else {}
    for (day, name), (amount, requests, unpriced) in daily.days.items():
        i = bisect_right(starts, day) - 1
        key = slot[name]
        out.amounts[key][i] += amount
        out.requests[key][i] += requests
        out.unpriced[key][i] += unpriced
    for month_first, amount in daily.fees.items():
        out.amounts[FEES][bisect_right(starts, month_first) - 1] += amount
    return out


def _series_name(meters: Meters, meter_id: int, by: str) -> str:
    vendor, model, project = meters.keys[meter_id][:3]
    if by == "vendor":
        return vendor
    if by == "model":
        return model
    return project or NO_PROJECT


def _daily_sums(c: _Context, first: date, after: date, by: str
                ) -> dict[tuple[date, str], tuple[Decimal, int, int]]:
    """(local day, series) -> (amount in the home currency, requests, unpriced requests)."""
    lo, hi = local_midnight_us(first, c.tz), local_midnight_us(after, c.tz)
    rollup = (lo % US_PER_HOUR == 0 and hi % US_PER_HOUR == 0
              and is_whole_hour_zone(c.tz, lo, hi))
    single = home_currency_only(c.conn, c.home, [p for _i, p in c.plans])
    billed, computed, unpriced = money_sql("auto", over_rollup=rollup)
    if rollup:
        table, time, unit, plan, currency = ("usage_rollup", "hour", US_PER_HOUR,
                                             "plan_version_id", "currency")
    else:
        table, time, unit, plan, currency = (
            "usage_record LEFT JOIN usage_charge ON record_id = id", "timestamp_us", 1,
            "coalesce(plan_version_id, 0)", "coalesce(currency, '')")
    day = _offset_case(time, unit, c.tz, lo, hi)
    # One currency: plans and bills need not be told apart (fewer rows to add up).
    extra = [] if single else [plan, currency]
    group = ", ".join([day, "meter_id", *extra])
    rows = fetch_all(c.conn, f"""
        SELECT {day}, meter_id, {", ".join([*extra, ""])} sum(requests), {billed}, {computed},
            {unpriced}
        FROM {table} WHERE {time} >= ? AND {time} < ? GROUP BY {group}""",
        (lo // unit, hi // unit))
    meters = Meters(c.conn)
    epoch = date(1970, 1, 1)
    plan_currency = {pid: p.currency for pid, p in c.plans}
    sheet = CostSheet(c.home, c.rates)  # converts other currencies at their month's rate
    out: dict[tuple[date, str], tuple[Decimal, int, int]] = {}
    for row in rows:
        day_number, meter_id = row[0], row[1]
        requests, billed_nano, computed_nano, unpriced_requests = row[-4:]
        local = epoch + timedelta(days=day_number)
        if single:
            amount = from_nano((billed_nano or 0) + (computed_nano or 0))
        else:
            month = f"{local:%Y-%m}"
            amount = (sheet.convert(from_nano(billed_nano or 0), row[3] or c.home, month)
                      + sheet.convert(from_nano(computed_nano or 0),
                                      plan_currency.get(row[2], c.home), month))
        key = (local, _series_name(meters, meter_id, by))
        old = out.get(key, (Decimal(0), 0, 0))
        out[key] = (old[0] + amount, old[1] + (requests or 0), old[2] + (unpriced_requests or 0))
    return out


def _fees_per_month(c: _Context, first: date, after: date) -> dict[date, Decimal]:
    """Monthly fees and minimums per month whose first day is in range, as `cost` counts
    them (its report by month: fees sit on their month's row)."""
    if not any(p.monthly_fee or p.monthly_minimum for _i, p in c.plans):
        return {}
    report = c.report(By.MONTH, first, after)
    return {date(int(r.key[:4]), int(r.key[5:7]), 1): r.fixed_cost
            for r in report.rows if r.fixed_cost}


# --- distributions and rankings ----------------------------------------------------------------


def cost_per_request(conn: Connection, tz_name: str, first: date, after: date) -> Distribution:
    """The cost of each priced record over [first, after), divided by its requests when it
    counts several (an aggregated line), by the auto rule."""
    c = _Context.open(conn, tz_name)
    lo, hi = local_midnight_us(first, c.tz), local_midnight_us(after, c.tz)
    single = home_currency_only(conn, c.home, [p for _i, p in c.plans])
    billed, computed, unpriced = money_sql("auto", over_rollup=False)
    extra = "" if single else ", min(timestamp_us), min(coalesce(plan_version_id, 0)), " \
        "min(coalesce(currency, ''))"
    rows = fetch_all(conn, f"""
        SELECT sum(requests), {billed}, {computed}, {unpriced}{extra}
        FROM usage_record LEFT JOIN usage_charge ON record_id = id
        WHERE timestamp_us >= ? AND timestamp_us < ? GROUP BY id""", (lo, hi))
    plan_currency = {pid: p.currency for pid, p in c.plans}
    sheet = CostSheet(c.home, c.rates)
    values, left_out = [], 0
    for row in rows:
        requests, billed_nano, computed_nano, unpriced_requests = row[:4]
        if unpriced_requests:
            left_out += unpriced_requests
            continue
        if single:
            amount = from_nano(billed_nano + computed_nano)
        else:
            month = f"{from_epoch_us(row[4]).astimezone(c.tz):%Y-%m}"
            amount = (sheet.convert(from_nano(billed_nano), row[6] or c.home, month)
                      + sheet.convert(from_nano(computed_nano),
                                      plan_currency.get(row[5], c.home), month))
        values.append(amount / requests if requests > 1 else amount)
    return _distribution("request", c, values, left_out)


def cost_per_conversation(conn: Connection, tz_name: str, first: date, after: date
                          ) -> Distribution:
    """The cost of each conversation with usage in [first, after); one that has an unpriced
    request is left out (counted), as the Dashboard's average leaves it out."""
    c = _Context.open(conn, tz_name)
    report = c.report(By.CONVERSATION, first, after)
    talks = [r for r in report.rows if r.key]
    values = [r.usage_cost for r in talks if not r.unpriced_requests]
    return _distribution("conversation", c, values, len(talks) - len(values))


def _distribution(kind: str, c: _Context, values: list[Decimal], unpriced: int) -> Distribution:
    values.sort()
    return Distribution(kind, c.home, values, unpriced,
                        median(values) if values else None,
                        percentile(values, 90) if values else None, c.missing)


def top_spenders(conn: Connection, tz_name: str, first: date, after: date, by: str,
                 limit: int = 10) -> Ranking:
    """The `limit` costliest models or projects over [first, after) (usage charges: a monthly
    fee belongs to no model or project), from `cost --by model|project`."""
    if by not in ("model", "project", "vendor"):
        raise ValueError(f"unknown ranking {by!r}: expected model or project")
    c = _Context.open(conn, tz_name)
    report = c.report(by, first, after)
    rows = sorted(report.rows, key=lambda r: (-r.usage_cost, r.key))[:limit]
    return Ranking(by, c.home, [r.key or NO_PROJECT for r in rows],
                   [r.usage_cost for r in rows], [r.requests for r in rows],
                   [r.unpriced_requests for r in rows], c.missing)


def usage_span(conn: Connection, tz_name: str) -> tuple[date, date] | None:
    """The first and last local day holding a record; None without usage."""
    first, last = (conn.exec_driver_sql(f"SELECT {f}(hour) FROM usage_rollup").scalar_one()
                   for f in ("min", "max"))
    if first is None:
        return None
    tz = ZoneInfo(tz_name)
    return (datetime.fromtimestamp(first * 3600, UTC).astimezone(tz).date(),
            datetime.fromtimestamp(last * 3600 + 3599, UTC).astimezone(tz).date())


# --- the colours each series keeps ---------------------------------------------------------------


def series_colours(conn: Connection) -> dict[str, dict[str, str]]:
    """The colour given to each vendor (model, project) so far: {"vendor": {name: "#rrggbb"}}."""
    text = readers.get_setting(conn, COLOURS_KEY)
    try:
        found = json.loads(text) if text else {}
    except ValueError:  # a damaged setting costs the colours, not the chart
        return {}
    return found if isinstance(found, dict) else {}


def save_series_colours(conn: Connection, colours: dict[str, dict[str, str]]) -> None:
    """Store the colours (in the caller's transaction), so a vendor keeps its colour across
    sessions."""
    text = json.dumps(colours, sort_keys=True)
    updated = conn.exec_driver_sql(sql(conn, "UPDATE setting SET value = ? WHERE key = ?"),
                                   (text, COLOURS_KEY)).rowcount
    if not updated:
        conn.exec_driver_sql(sql(conn, "INSERT INTO setting (key, value) VALUES (?, ?)"),
                             (COLOURS_KEY, text))



def histogram_bins(values: list[Decimal], per_decade: int = 4
                   ) -> tuple[list[Decimal], list[int]]:
    """Log-spaced bins over sorted positive values: (edges, counts), edges at 10^(k/4) from
    below the smallest to above the largest; a value on an edge belongs to the bin above it.
    Zero costs (free requests) have no place on a log axis: they are counted in the first bin."""
    positive = [v for v in values if v > 0]
    if not positive:
        return [], []
    low = math.floor(math.log10(positive[0]) * per_decade)
    high = math.floor(math.log10(positive[-1]) * per_decade) + 1
    edges = [Decimal(10) ** (Decimal(k) / per_decade) for k in range(low, high + 1)]
    places = [bisect_left(values, e) for e in edges]
    counts = [b - a for a, b in pairwise(places)]
    counts[0] += places[0]  # zeros and anything below the first edge
    counts[-1] += len(values) - places[-1]  # the largest, should float rounding put it on top
    return edges, counts
