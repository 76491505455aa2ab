"""Answers `meterbook cost`: sums of stored usage and charges per key, in the home currency.

Three ways to the same figures, chosen for speed:
- the hourly rollup, for day/week/month/vendor/model/project/plan in a zone whose offset is a
  whole number of hours (nearly all): a few thousand rows instead of millions;
- one GROUP BY over the records, for conversations;
- a pass over the records in Python, for single requests, what-if plans (priced here, nothing
  saved) and the rare half-hour zones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from meterbook.core.cost import By, CostReport, CostRow, CostSheet
from meterbook.core.fixed_charges import FixedCharge, fixed_charges
from meterbook.core.money import from_nano
from meterbook.core.periods import (
    US_PER_HOUR,
    MonthIndex,
    is_whole_hour_zone,
    month_labels_between,
    parse_month,
    week_key,
    zone,
)  # fmt: skip
from meterbook.core.plans import Plan
from meterbook.core.pricing import PricingEngine
from meterbook.core.records import from_epoch_us, to_epoch_us
from meterbook.store.repricing import scope_start
from meterbook.store.sql import fetch_all, in_list, sql
from meterbook.store.usage_store import Meters

_FAR = 2**62


@dataclass
class CostQuery:
    by: By = By.MONTH  # text ("month") is taken too
    source: str = "auto"
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    from_us: int | None = None  # inclusive
    to_us: int | None = None  # exclusive
    home_currency: str = "USD"
    rates: dict | None = None  # (currency, month) -> Decimal
    whatif: Sequence[Plan] | None = None  # price with these plans instead of the saved ones
    # Only these meters' usage, and only the fixed charges of their vendors' plans (a report
    # scoped to a vendor or project); None: everything.
    meter_ids: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        self.by = By(self.by)


class _Keyer:
    """Turns (instant, meter, plan) into the row key of the chosen --by, caching local times."""

    def __init__(self, by: str, tz: ZoneInfo, meters: Meters, plan_names: dict[int, str]):
        self.by, self.tz, self.meters, self.plan_names = by, tz, meters, plan_names
        self._local: dict[int, datetime] = {}

    def local(self, ts_us: int) -> datetime:
        return from_epoch_us(ts_us).astimezone(self.tz)

    def hour_local(self, hour: int) -> datetime:
        found = self._local.get(hour)
        if found is None:
            found = self._local[hour] = self.local(hour * US_PER_HOUR)
        return found

    def month(self, hour: int) -> str:
        return f"{self.hour_local(hour):%Y-%m}"

    def key(self, local: datetime, meter_id: int, plan_id: int) -> str:
        by = self.by
        if by == "month":
            return f"{local:%Y-%m}"
        if by == "day":
            return f"{local:%Y-%m-%d}"
        if by == "week":
            return week_key(local)
        if by == "vendor":
            return self.meters.keys[meter_id][0]
        if by == "model":
            return self.meters.keys[meter_id][1]
        if by == "project":
            return self.meters.keys[meter_id][2]
        if by == "plan":
            return self.plan_names.get(plan_id, "")
        raise ValueError(by)


def _add(sheet: CostSheet, key: str, month: str, counts: Sequence[int], billed: int,
         billed_currency: str, charge: int, plan_currency: str, unpriced: int,
         display: str | None = None) -> None:
    """counts: requests, 4 token buckets, units; money already chosen by source.

    int(): PostgreSQL sums 64-bit columns as numeric (Decimal in Python); counts stay whole
    numbers for every reader (a Fraction of a Decimal is refused)."""
    row = sheet.row(key, display)
    row.requests += int(counts[0])
    row.input_tokens += int(counts[1])
    row.cached_input_tokens += int(counts[2])
    row.cache_write_tokens += int(counts[3])
    row.output_tokens += int(counts[4])
    row.units_micro += int(counts[5])
    row.unpriced_requests += int(unpriced)
    sheet.add_money(key, int(billed), billed_currency, month)
    sheet.add_money(key, int(charge), plan_currency, month)


def _by_source(source: str, sums: Sequence[int], priced: bool) -> tuple[int, int, int]:
    """(billed money, computed money, unpriced requests) of sums laid out as _SUMS."""
    requests, charge, billed, unbilled_charge, unbilled_requests = (
        sums[1], sums[7], sums[8], sums[9], sums[10])
    if source == "computed":
        return 0, charge, 0 if priced else requests
    if source == "billed":
        return billed, 0, unbilled_requests
    return billed, unbilled_charge, 0 if priced else unbilled_requests


def run_cost_query(conn: Connection, q: CostQuery, saved: list[tuple[int, Plan]]) -> CostReport:
    meters = Meters(conn)
    # Plans that are not saved get pretend ids, counted from 1 as saved ones are.
    plan_list = saved if q.whatif is None else list(enumerate(q.whatif, start=1))
    plans = {pid: p for pid, p in plan_list}
    if q.meter_ids is not None:
        vendors = {meters.keys[m][0].lower() for m in q.meter_ids if m in meters.keys}
        plans = {pid: p for pid, p in plans.items() if p.vendor.lower() in vendors}
    names = {pid: p.name for pid, p in plan_list}
    currencies = {pid: p.currency for pid, p in plan_list}
    sheet = CostSheet(q.home_currency, q.rates or {})
    keyer = _Keyer(q.by, q.tz, meters, names)
    plan_usage: dict[tuple[str, str], Decimal] | None = None
    if q.whatif is not None or q.by == "request":
        plan_usage = _python_pass(conn, q, sheet, keyer, plan_list, meters)
    elif q.by == "conversation":
        _conversation_pass(conn, q, sheet, currencies)
    elif _rollup_fits(q, conn):
        _rollup_pass(conn, q, sheet, keyer, currencies)
    else:
        plan_usage = _python_pass(conn, q, sheet, keyer, plan_list, meters)
    if q.source != "billed":
        months = covered_months(conn, q)
        if months:
            if plan_usage is None:
                plan_usage = _minimum_usage(conn, plans, months)
            _add_fixed(sheet, q, list(plans.values()), months, plan_usage)
    return sheet.report(q.by, q.source, sort=q.by != "request")


def _rollup_fits(q: CostQuery, conn: Connection) -> bool:
    aligned = all(t is None or t % US_PER_HOUR == 0 for t in (q.from_us, q.to_us))
    if not aligned:
        return False
    if q.by in ("vendor", "model", "project", "plan") and str(q.tz) == "UTC":
        return True
    first, last = _record_span(conn, q)
    return first is None or is_whole_hour_zone(q.tz, first, last)


def _record_span(conn: Connection, q: CostQuery) -> tuple[int | None, int | None]:
    lo = -_FAR if q.from_us is None else q.from_us
    hi = _FAR if q.to_us is None else q.to_us
    first, last = conn.exec_driver_sql(sql(conn, """SELECT min(hour), max(hour) FROM usage_rollup
        WHERE hour >= ? AND hour < ?"""), (lo // US_PER_HOUR, -(-hi // US_PER_HOUR))).one()
    if first is None:
        return None, None
    return first * US_PER_HOUR, (last + 1) * US_PER_HOUR


_ROLLUP_MONEY = {  # (billed money, computed money, unpriced requests) per source
    "computed": ("0", "sum(charge_nano)",
                 "sum(CASE WHEN plan_version_id = 0 THEN requests ELSE 0 END)"),
    "billed": ("sum(billed_nano)", "0", "sum(unbilled_requests)"),
    "auto": ("sum(billed_nano)", "sum(unbilled_charge_nano)",
             "sum(CASE WHEN plan_version_id = 0 THEN unbilled_requests ELSE 0 END)"),
}


def _rollup_pass(conn, q: CostQuery, sheet: CostSheet, keyer: _Keyer, currencies) -> None:
    """Sums per hour (and meter or plan when the key needs them), keyed in Python.

    When every figure is in the home currency, plans and currencies need not be told apart,
    which leaves one row per hour: a year is 8,760 rows whatever the number of records.
    """
    lo = -_FAR if q.from_us is None else q.from_us // US_PER_HOUR
    hi = _FAR if q.to_us is None else q.to_us // US_PER_HOUR
    single = _single_currency(conn, q.home_currency, currencies)
    meter = "meter_id" if q.by in ("vendor", "model", "project") else "0"
    plan = "plan_version_id" if q.by == "plan" or not single else "0"
    currency = "''" if single else "currency"
    group = ", ".join(["hour"] + [c for c in (meter, plan, currency) if c not in ("0", "''")])
    billed, computed, unpriced = _ROLLUP_MONEY[q.source]
    scope, scope_ids = meter_scope_sql(conn, q.meter_ids)
    rows = fetch_all(conn, f"""
        SELECT hour, {meter}, {plan}, {currency}, sum(requests), sum(input_tokens),
            sum(cached_input_tokens), sum(cache_write_tokens), sum(output_tokens),
            sum(units_micro), {billed}, {computed}, {unpriced}
        FROM usage_rollup WHERE hour >= ? AND hour < ?{scope}
        GROUP BY {group}""", (lo, hi, *scope_ids))
    home = q.home_currency
    for hour, meter_id, plan_id, cur, *counts, billed_nano, charge, unpriced_requests in rows:
        local = keyer.hour_local(hour)
        key = keyer.key(local, meter_id, plan_id)
        _add(sheet, key, keyer.month(hour), counts, billed_nano, cur or home, charge,
             home if single else currencies.get(plan_id, ""), unpriced_requests)


def _single_currency(conn, home: str, currencies: dict[int, str]) -> bool:
    if any(c != home for c in currencies.values()):
        return False
    billed = conn.exec_driver_sql(sql(conn, """SELECT count(*) FROM usage_rollup
        WHERE currency <> '' AND currency <> ?"""), (home,)).scalar_one()
    return billed == 0


def home_currency_only(conn, home: str, plans: Sequence[Plan]) -> bool:
    """No plan and no vendor's bill is in another currency: no figure needs a rate."""
    return _single_currency(conn, home, {i: p.currency for i, p in enumerate(plans)})


def meter_scope_sql(conn, meter_ids: tuple[int, ...] | None, column: str = "meter_id"
                    ) -> tuple[str, tuple[int, ...]]:
    """A scope's condition (" AND column IN (...)") and its parameters; nothing for None."""
    if meter_ids is None:
        return "", ()
    if not meter_ids:
        return " AND 0 = 1", ()
    return f" AND {column} IN {in_list(conn, meter_ids)}", tuple(meter_ids)


def _range_sql(q: CostQuery) -> tuple[str, list[int]]:
    where, params = [], []
    if q.meter_ids is not None:
        where.append("meter_id IN (" + ", ".join("?" * len(q.meter_ids)) + ")" if q.meter_ids
                     else "0 = 1")
        params.extend(q.meter_ids)
    if q.from_us is not None:
        where.append("timestamp_us >= ?")
        params.append(q.from_us)
    if q.to_us is not None:
        where.append("timestamp_us < ?")
        params.append(q.to_us)
    return ((" WHERE " + " AND ".join(where)) if where else ""), params


_RECORD_MONEY = {  # as _ROLLUP_MONEY, over usage_record
    "computed": ("0", "coalesce(sum(charge_nano), 0)",
                 "sum(CASE WHEN plan_version_id IS NULL THEN requests ELSE 0 END)"),
    "billed": ("coalesce(sum(billed_nano), 0)", "0",
               "sum(CASE WHEN billed_nano IS NULL THEN requests ELSE 0 END)"),
    "auto": ("coalesce(sum(billed_nano), 0)",
             "coalesce(sum(CASE WHEN billed_nano IS NULL THEN charge_nano END), 0)",
             "sum(CASE WHEN billed_nano IS NULL AND plan_version_id IS NULL THEN requests "
             "ELSE 0 END)"),
}


def money_sql(source: str, over_rollup: bool) -> tuple[str, str, str]:
    """A source's rule as SQL sums (billed money, computed money, unpriced requests), over
    usage_rollup or over usage_record joined with usage_charge: for other queries (the app's
    pages) that must count exactly as `cost` does."""
    return (_ROLLUP_MONEY if over_rollup else _RECORD_MONEY)[source]


def record_source(billed: object, charge: object) -> str:
    """The auto rule for one record, as the sums above apply it: "billed" when the export
    carried the vendor's cost, else "computed" when a plan priced it, else "" (unpriced)."""
    if billed is not None:
        return "billed"
    return "computed" if charge is not None else ""


def _conversation_pass(conn, q: CostQuery, sheet: CostSheet, currencies) -> None:
    """One GROUP BY over the records; plans, currencies and months are told apart only when
    some figure is not in the home currency (to convert it at its month's rate)."""
    cond, params = _range_sql(q)
    single = _single_currency(conn, q.home_currency, currencies)
    # Grouped by the bare column, not coalesce(): SQLite then walks the conversation index
    # instead of sorting a million rows (NULLs form one group, keyed "" below).
    dims = ["conversation_id"]
    if not single:
        month_expr, month_labels = _month_case(conn, q)
        dims += ["coalesce(plan_version_id, 0)", "coalesce(currency, '')", month_expr]
    billed, computed, unpriced = _RECORD_MONEY[q.source]
    rows = fetch_all(conn, f"""
        SELECT {", ".join(dims)}, sum(requests), sum(input_tokens), sum(cached_input_tokens),
            sum(cache_write_tokens), sum(output_tokens), sum(units_micro), {billed},
            {computed}, {unpriced}
        FROM usage_record LEFT JOIN usage_charge ON record_id = id{cond}
        GROUP BY {", ".join(dims)}""", tuple(params))
    home = q.home_currency
    if single:
        for conv, req, inp, cached, write, out, units, billed_nano, charge, unpriced_req in rows:
            sheet.put_row(CostRow(conv or "", req, inp, cached, write, out, units,
                                  unpriced_requests=unpriced_req), billed_nano + charge)
        return
    for conv, plan_id, currency, month, *rest in rows:
        *counts, billed_nano, charge, unpriced_requests = rest
        _add(sheet, conv or "", month_labels[month], counts, billed_nano, currency or home, charge,
             currencies.get(plan_id, ""), unpriced_requests)


def _month_case(conn, q: CostQuery) -> tuple[str, list[str]]:
    """A SQL expression numbering each record's month in the report zone, and the labels.

    Only needed to convert foreign currencies at the right month's rate.
    """
    # A constant month number is written 0+0: SQL reads a bare 0 in GROUP BY as "column 0".
    first, last = _record_span(conn, q)
    if first is None:
        return "0+0", ["-"]
    index = MonthIndex(q.tz, first, last)
    parts = [f"WHEN timestamp_us < {s} THEN {i - 1}" for i, s in enumerate(index.starts) if i]
    expr = f"CASE {' '.join(parts)} ELSE {len(index.starts) - 1} END" if parts else "0+0"
    return expr, index.labels


def _python_pass(conn, q: CostQuery, sheet, keyer, plan_list, meters):
    """Every record in range through Python: per-request rows, what-if pricing, odd zones.

    Returns each plan's usage charges per billing month when it priced with what-if plans.
    """
    cond, params = _range_sql(q)
    start = q.from_us
    if q.whatif is not None:
        start = scope_start(q.from_us)  # whole billing months, for volume tiers
        cond, params = _range_sql(CostQuery(from_us=start, to_us=month_after(q.to_us),
                                            meter_ids=q.meter_ids))
    rows = fetch_all(conn, f"""
        SELECT id, timestamp_us, meter_id, requests, input_tokens, cached_input_tokens,
            cache_write_tokens, output_tokens, units_micro, charge_nano, plan_version_id,
            billed_nano, currency, request_id, conversation_id
        FROM usage_record LEFT JOIN usage_charge ON record_id = id{cond}
        ORDER BY timestamp_us, id""", tuple(params))
    plans = dict(plan_list)
    usage: dict[tuple[str, str], Decimal] | None = None
    if q.whatif is not None:
        engine = PricingEngine([p for _, p in plan_list])
        priced = engine.price(rows, meters.info())
        rows = [(*r[:9], charge, None if idx is None else idx + 1, *r[11:])
                for r, (charge, idx) in zip(rows, priced, strict=True)]
        usage = _usage_by_billing_month(rows, plans)
    lo = -_FAR if q.from_us is None else q.from_us
    hi = _FAR if q.to_us is None else q.to_us
    per_request = q.by == "request"
    for r in rows:
        ts = r[1]
        if not lo <= ts < hi:
            continue
        local = keyer.local(ts)
        plan_id = r[10] or 0
        plan = plans.get(plan_id)
        if per_request:
            key, display = str(r[0]), r[13] or ""
        elif q.by == "conversation":
            key, display = r[14] or "", None
        else:
            key, display = keyer.key(local, r[2], plan_id), None
        billed = r[11]
        sums = (1, r[3], r[4], r[5], r[6], r[7], r[8], r[9] or 0, billed or 0,
                (r[9] or 0) if billed is None else 0, r[3] if billed is None else 0)
        billed_nano, charge, unpriced = _by_source(q.source, sums, plan is not None)
        _add(sheet, key, f"{local:%Y-%m}", sums[1:7], billed_nano, r[12] or "", charge,
             plan.currency if plan else "", unpriced, display)
        if per_request:
            m = meters.keys[r[2]]
            sheet.row(key).details.update(
                timestamp=from_epoch_us(ts).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), vendor=m[0],
                model=m[1], project=m[2], plan=plan.name if plan else "")
    return usage


def month_after(to_us: int | None) -> int | None:
    if to_us is None:
        return None
    moment = from_epoch_us(to_us)
    y, m = moment.year + (moment.month // 12), moment.month % 12 + 1
    return to_epoch_us(datetime(y, m, 1, tzinfo=moment.tzinfo)) + 14 * US_PER_HOUR


def _usage_by_billing_month(rows, plans: dict[int, Plan]) -> dict[tuple[str, str], Decimal]:
    nano: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        plan = plans.get(r[10] or 0)
        if plan is not None and r[9]:
            local = from_epoch_us(r[1]).astimezone(zone(plan.billing_timezone))
            nano[(plan.name, f"{local:%Y-%m}")] += r[9]
    return {k: from_nano(v) for k, v in nano.items()}


def saved_fixed_charges(conn, plans: list[tuple[int, Plan]], months: list[str]
                        ) -> list[FixedCharge]:
    """The months' fixed charges (fees, minimum true-ups) of the saved plans, as `cost` counts
    them: for budgets, which place them at each month's first instant."""
    return fixed_charges([p for _, p in plans], months, _minimum_usage(conn, dict(plans), months))


def _minimum_usage(conn, plans: dict[int, Plan], months: list[str]):
    """Usage charges per plan name and billing month of the plans with a monthly minimum (the
    only ones whose fixed charge depends on usage)."""
    with_minimum = {i: p for i, p in plans.items() if p.monthly_minimum}
    return _saved_plan_usage(conn, with_minimum, months) if with_minimum else {}


def _saved_plan_usage(conn, plans: dict[int, Plan], months: list[str]):
    """Usage charges per plan name and billing month, from the rollup (hour resolution)."""
    # Billing months begin within 14 hours of the UTC month: two days either side is enough.
    first_y, first_m = parse_month(months[0])
    last_y, last_m = parse_month(months[-1])
    lo = to_epoch_us(datetime(first_y, first_m, 1, tzinfo=UTC)) // US_PER_HOUR - 48
    end_y, end_m = (last_y + 1, 1) if last_m == 12 else (last_y, last_m + 1)
    hi = to_epoch_us(datetime(end_y, end_m, 1, tzinfo=UTC)) // US_PER_HOUR + 48
    rows = conn.exec_driver_sql(sql(conn, """
        SELECT hour, plan_version_id, sum(charge_nano) FROM usage_rollup
        WHERE hour >= ? AND hour < ? AND plan_version_id IN """ + in_list(conn, plans) + """
        GROUP BY hour, plan_version_id"""), (lo, hi, *plans))
    nano: dict[tuple[str, str], int] = defaultdict(int)
    for hour, plan_id, charge in rows:
        plan = plans.get(plan_id)
        if plan is None:
            continue
        local = from_epoch_us(hour * US_PER_HOUR).astimezone(zone(plan.billing_timezone))
        nano[(plan.name, f"{local:%Y-%m}")] += charge
    return {k: from_nano(v) for k, v in nano.items()}


def _usage_span(conn) -> tuple[int | None, int | None]:
    """First and last record instants. Two queries: SQLite answers a lone min() or max() from
    the index, but scans every record for both in one SELECT."""
    first = conn.exec_driver_sql("SELECT min(timestamp_us) FROM usage_record").scalar_one()
    last = conn.exec_driver_sql("SELECT max(timestamp_us) FROM usage_record").scalar_one()
    return first, last


def covered_months(conn, q: CostQuery) -> list[str]:
    """Billing months whose first day lies in [from, to) (report zone); without a range, every
    month from the first to the last that holds a record."""
    if q.from_us is None and q.to_us is None:
        first, last = _usage_span(conn)
        if first is None:
            return []
        return month_labels_between(f"{from_epoch_us(first).astimezone(q.tz):%Y-%m}",
                                    f"{from_epoch_us(last).astimezone(q.tz):%Y-%m}")
    lo = from_epoch_us(q.from_us).astimezone(q.tz) if q.from_us is not None else None
    hi = from_epoch_us(q.to_us).astimezone(q.tz) if q.to_us is not None else None
    if lo is None or hi is None:
        # An open end reaches as far as the usage does: to the first day of the first month
        # that holds a record, or past the last one.
        first, last = _usage_span(conn)
        if first is None:
            return []
        if lo is None:
            start = from_epoch_us(first).astimezone(q.tz)
            lo = datetime(start.year, start.month, 1, tzinfo=q.tz)
        if hi is None:
            hi = from_epoch_us(last).astimezone(q.tz) + timedelta(microseconds=1)
    months = []
    y, m = lo.year, lo.month
    while (y, m) <= (hi.year, hi.month):
        first_day = datetime(y, m, 1, tzinfo=q.tz)
        if lo <= first_day < hi:
            months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _fixed_key(by: By, plan: str, vendor: str, month: str) -> str | None:
    """Where a month's fixed charge goes: its month, first day or week, vendor or plan; None
    (the total only) for a key that has no share of it (By.shares_fixed_charges)."""
    if not by.shares_fixed_charges:
        return None
    y, m = parse_month(month)
    first = date(y, m, 1)
    return {By.MONTH: month, By.DAY: first.isoformat(), By.WEEK: week_key(first),
            By.VENDOR: vendor, By.PLAN: plan}[by]


def _add_fixed(sheet: CostSheet, q: CostQuery, plans, months, usage) -> None:
    for charge in fixed_charges(plans, months, usage):
        key = _fixed_key(q.by, charge.plan, charge.vendor, charge.month)
        sheet.add_fixed(key, charge.total, charge.currency, charge.month)
