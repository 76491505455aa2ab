"""Each budget's period: what is spent (as `meterbook cost` counts it), when each alert
threshold was crossed, the forecast, and the day-by-day cumulative spend the Dashboard draws.

Money is the `cost --source auto` rule, taken from cost_query (money_sql over the hourly rollup,
record_source for single records, saved_fixed_charges for fees and minimums), so a budget's
spent equals `cost` for the same period and scope.

Fast on millions of records: sums come from the hourly rollup (a month is a few thousand rows);
the records themselves are read only inside the one hour where a threshold is crossed, to find
the record at which the running total reached it (cli.md): fixed charges first, at the first
instant of their month, then records in time order, each with its final charge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from meterbook.core.budgets import Budget, period_bounds, threshold_amount
from meterbook.core.cost import CostSheet
from meterbook.core.forecast import Forecast, ForecastSettings, forecast
from meterbook.core.money import EXACT, from_nano
from meterbook.core.periods import (
    US_PER_HOUR,
    is_whole_hour_zone,
    local_midnight_us,
    month_labels_between,
    zone,
)  # fmt: skip
from meterbook.core.records import from_epoch_us
from meterbook.store import readers
from meterbook.store.budgets import forecast_settings, load_budgets
from meterbook.store.cost_query import (
    home_currency_only,
    money_sql,
    record_source,
    saved_fixed_charges,
)  # fmt: skip
from meterbook.store.database import Database
from meterbook.store.sql import fetch_all, in_list, sql
from meterbook.store.usage_store import Meters

# In a zone whose offset is not a whole number of hours (India, Nepal...), records are summed
# per quarter hour instead of read from the hourly rollup: every zone's offset is a multiple.
_QUARTER_HOUR_US = US_PER_HOUR // 4
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Crossing:
    threshold: int  # percent
    crossed_at: datetime  # UTC: the record at which the running total reached it


@dataclass(frozen=True)
class BudgetFigures:
    budget: Budget
    budget_id: int | None
    first: date
    last: date
    spent: Decimal
    percent: Decimal  # of the amount, to 2 places
    forecast: Forecast
    crossings: tuple[Crossing, ...]
    # Spend at the end of each day from `first` to today (or `last`, once the period is over),
    # fixed charges included on their month's first day: the Dashboard's budget chart.
    cumulative: list[tuple[date, Decimal]] = field(default_factory=list)


@dataclass(frozen=True)
class BudgetStatus:
    month: str  # YYYY-MM asked for; quarters and years are those holding it
    currency: str
    today: date
    budgets: list[BudgetFigures]


def budget_status(db_or_conn: Database | Connection, year: int, month: int, today: date,
                  tz_name: str | None = None, budgets: Sequence[tuple[int | None, Budget]]
                  | None = None, settings: ForecastSettings | None = None) -> BudgetStatus:
    """The saved budgets (or `budgets`) for the period holding year-month, as of `today` (a
    date in the report zone, which is `tz_name` or the saved one)."""
    if isinstance(db_or_conn, Database):
        with db_or_conn.engine.connect() as conn:
            return budget_status(conn, year, month, today, tz_name, budgets, settings)
    conn = db_or_conn
    tz = zone(tz_name or readers.effective_timezone(conn))
    chosen = load_budgets(conn) if budgets is None else list(budgets)
    settings = settings or forecast_settings(conn)
    sums = _Sums(conn, tz)
    out = []
    for budget_id, budget in chosen:
        first, last = period_bounds(budget.period, year, month)
        period = sums.period(first, last, settings.window_days)
        out.append(period.figures(budget, budget_id, today, settings))
    return BudgetStatus(f"{year:04d}-{month:02d}", sums.sheet.home, today, out)


class _Sums:
    """What the budgets share: meters, plans, rates, and each period's sums (read once)."""

    def __init__(self, conn: Connection, tz: ZoneInfo):
        self.conn, self.tz = conn, tz
        self.meters = Meters(conn)
        self.plans = readers.load_plans(conn)
        self.plan_currency = {pid: p.currency for pid, p in self.plans}
        self.sheet = CostSheet(readers.home_currency(conn), readers.rates_for(conn))
        self.single = home_currency_only(conn, self.sheet.home, [p for _, p in self.plans])
        self._periods: dict[tuple[date, date], _Period] = {}

    def period(self, first: date, last: date, window_days: int) -> _Period:
        found = self._periods.get((first, last))
        if found is None:
            found = self._periods[(first, last)] = _Period(self, first, last, window_days)
        return found

    def value(self, billed: int, currency: str, charge: int, plan_id: int,
              month: str) -> Decimal:
        """Money of one bucket or record in the home currency: a vendor's bill in its own
        currency, a computed charge in its plan's."""
        sheet, home = self.sheet, self.sheet.home
        total = Decimal(0)
        if billed:
            total += sheet.convert(from_nano(billed), currency or home, month)
        if charge:
            total += sheet.convert(from_nano(charge), self.plan_currency.get(plan_id, home),
                                   month)
        return total


class _Period:
    """One period: its bounds, its months' fixed charges, and its usage per budget scope."""

    def __init__(self, sums: _Sums, first: date, last: date, window_days: int):
        self.sums, self.first, self.last = sums, first, last
        tz = sums.tz
        self.start_us = local_midnight_us(first, tz)
        self.end_us = local_midnight_us(last + timedelta(days=1), tz)
        read_from = local_midnight_us(first - timedelta(days=window_days), tz)
        self.hourly = is_whole_hour_zone(tz, read_from, self.end_us)
        self.bucket_us = US_PER_HOUR if self.hourly else _QUARTER_HOUR_US
        self.read_from = read_from
        self._local: dict[int, datetime] = {}
        months = month_labels_between(f"{first:%Y-%m}", f"{last:%Y-%m}")
        # (instant, vendor, home money): a month's fixed charges at its first instant.
        self.fixed = [(local_midnight_us(date(int(c.month[:4]), int(c.month[5:]), 1), tz),
                       c.vendor, sums.sheet.convert(c.total, c.currency, c.month))
                      for c in saved_fixed_charges(sums.conn, sums.plans, months)]

    def _read(self, meters: list[int] | None) -> dict[int, Decimal]:
        """Usage money per bucket start of these meters (None: all), from `read_from` (the
        forecast's window before the period) to the period's end.

        One row a bucket when every figure is in the home currency (nearly always): a year is
        8,760 rows whatever the number of records; otherwise plans and currencies are told apart
        to convert each at its month's rate."""
        conn, sums = self.sums.conn, self.sums
        billed, computed, _unpriced = money_sql("auto", over_rollup=self.hourly)
        plan, currency = ("0", "''") if sums.single else (
            ("plan_version_id", "currency") if self.hourly else
            ("coalesce(plan_version_id, 0)", "coalesce(currency, '')"))
        bucket = "hour" if self.hourly else f"timestamp_us / {_QUARTER_HOUR_US}"
        group = ", ".join(c for c in (bucket, plan, currency) if c not in ("0", "''"))
        where = ["hour >= ? AND hour < ?" if self.hourly else
                 "timestamp_us >= ? AND timestamp_us < ?"]
        unit = US_PER_HOUR if self.hourly else 1
        params = [self.read_from // unit, self.end_us // unit]
        if meters is not None:
            where.append("meter_id IN " + in_list(conn, meters))
            params += meters
        table = "usage_rollup" if self.hourly else \
            "usage_record LEFT JOIN usage_charge ON record_id = id"
        rows = fetch_all(conn, sql(conn, f"""
            SELECT {bucket}, {plan}, {currency}, {billed}, {computed} FROM {table}
            WHERE {" AND ".join(where)} GROUP BY {group}"""), tuple(params))
        out: dict[int, Decimal] = defaultdict(Decimal)
        if sums.single:
            for n, _plan, _currency, billed_nano, charge in rows:
                if billed_nano or charge:
                    out[n * self.bucket_us] += from_nano(billed_nano + charge)
            return out
        for n, plan_id, cur, billed_nano, charge in rows:
            if billed_nano or charge:
                start = n * self.bucket_us
                out[start] += sums.value(billed_nano, cur, charge, plan_id,
                                         f"{self.local(start):%Y-%m}")
        return out

    def local(self, start: int) -> datetime:
        moment = self._local.get(start)
        if moment is None:
            moment = self._local[start] = from_epoch_us(start).astimezone(self.sums.tz)
        return moment

    def figures(self, budget: Budget, budget_id: int | None, today: date,
                settings: ForecastSettings) -> BudgetFigures:
        every = self.sums.meters.keys.items()
        meters = sorted(m for m, key in every if budget.covers(*key[:3]))
        scoped = budget.vendor or budget.model or budget.project
        daily: dict[date, Decimal] = defaultdict(Decimal)
        buckets: dict[int, Decimal] = {}
        for start, money in (self._read(meters if scoped else None) if meters else {}).items():
            daily[self.local(start).date()] += money
            if start >= self.start_us:
                buckets[start] = money
        fixed = [(at, money) for at, vendor, money in self.fixed
                 if budget.shares_fixed_charges
                 and (budget.vendor is None or vendor == budget.vendor.lower())]
        in_period = sum((v for d, v in daily.items() if self.first <= d <= self.last),
                        Decimal(0))
        fixed_total = sum((money for _, money in fixed), Decimal(0))
        spent = in_period + fixed_total
        percent = EXACT.divide(spent * _HUNDRED, budget.amount).quantize(
            _CENT, rounding=ROUND_HALF_EVEN)
        return BudgetFigures(
            budget=budget, budget_id=budget_id, first=self.first, last=self.last, spent=spent,
            percent=percent,
            forecast=forecast(daily, self.first, self.last, today, settings, fixed_total),
            crossings=tuple(self._crossings(budget, set(meters), fixed, buckets)),
            cumulative=self._cumulative(daily, fixed, today))

    def _crossings(self, budget: Budget, meters: set[int], fixed, buckets) -> list[Crossing]:
        """Each threshold's crossing: fixed charges first at their month's first instant (a
        tie with a bucket starting then goes to the charge), then buckets in time order; in
        the bucket that reaches a threshold, its records one by one."""
        targets = sorted((threshold_amount(budget, t), t) for t in budget.thresholds)
        events = sorted([(at, 0, money) for at, money in fixed]
                        + [(start, 1, money) for start, money in buckets.items()])
        found, running = [], Decimal(0)
        for at, is_bucket, money in events:
            if not targets:
                break
            if running + money < targets[0][0]:
                running += money
                continue
            if not is_bucket:
                running += money
                while targets and running >= targets[0][0]:
                    found.append(Crossing(targets.pop(0)[1], from_epoch_us(at)))
                continue
            for ts, record_money in self._records(at, meters):
                running += record_money
                while targets and running >= targets[0][0]:
                    found.append(Crossing(targets.pop(0)[1], from_epoch_us(ts)))
        return found

    def _records(self, start: int, meters: set[int]) -> list[tuple[int, Decimal]]:
        """The records of one bucket in scope, in time order (then id), with their money by
        the auto rule."""
        conn, sums = self.sums.conn, self.sums
        rows = fetch_all(conn, sql(conn, f"""
            SELECT timestamp_us, billed_nano, currency, charge_nano, plan_version_id
            FROM usage_record LEFT JOIN usage_charge ON record_id = id
            WHERE timestamp_us >= ? AND timestamp_us < ? AND meter_id IN {in_list(conn, meters)}
            ORDER BY timestamp_us, id"""), (start, start + self.bucket_us, *meters))
        out = []
        for ts, billed, currency, charge, plan_id in rows:
            month = f"{from_epoch_us(ts).astimezone(sums.tz):%Y-%m}"
            source = record_source(billed, charge)
            money = (sums.value(billed, currency, 0, 0, month) if source == "billed" else
                     sums.value(0, "", charge, plan_id, month) if source == "computed" else
                     Decimal(0))
            out.append((ts, money))
        return out

    def _cumulative(self, daily, fixed, today: date) -> list[tuple[date, Decimal]]:
        fixed_by_day: dict[date, Decimal] = defaultdict(Decimal)
        for at, money in fixed:
            fixed_by_day[from_epoch_us(at).astimezone(self.sums.tz).date()] += money
        out, running = [], Decimal(0)
        day = self.first
        while day <= min(today, self.last):
            running += daily.get(day, Decimal(0)) + fixed_by_day.get(day, Decimal(0))
            out.append((day, running))
            day += timedelta(days=1)
        return out
