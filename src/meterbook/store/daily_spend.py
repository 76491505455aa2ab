"""Each vendor's spend per day in the report time zone, and the spike alerts it raises.

The money is `cost --source auto`'s (billed where a record carries the vendor's bill, computed
by the plans otherwise), taken from cost_query's own rule (`money_sql`) and converted into the
home currency by the same CostSheet at the same month's rate, so a vendor's days add up to its
row of `cost --by vendor`, less the months' fixed charges: a fee falls on the month's first
day by design, it is not usage and must not look like a runaway day.

Sums come from the hourly rollup (a year is a few thousand rows per vendor), or, in the rare
zone whose offset is not a whole number of hours, from the records grouped by quarter hour
(every zone's offset is a multiple of 15 minutes).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Connection

from meterbook.core.cost import CostSheet, NotingRates
from meterbook.core.periods import US_PER_HOUR, is_whole_hour_zone, local_midnight_us, zone
from meterbook.core.records import from_epoch_us
from meterbook.core.spikes import DEFAULT_RULE, Spike, SpikeRule, find_spikes_by_vendor
from meterbook.store import readers
from meterbook.store.cost_query import money_sql
from meterbook.store.database import Database
from meterbook.store.sql import fetch_all

_US_PER_QUARTER = US_PER_HOUR // 4

DailySeries = dict[str, dict[date, Decimal]]  # vendor -> day -> spend in the home currency


def daily_spend(conn: Connection, first: date, last: date, tz_name: str | None = None, *,
                lacking_rates: set[str] | None = None) -> DailySeries:
    """{vendor: {day: spend}} for the days first..last (inclusive) in tz_name (None: the
    report time zone); a day without spend is absent. A missing exchange rate raises
    MissingRate as `cost` does, unless `lacking_rates` is given: then the vendors whose money
    needs one are left out and their names added to it."""
    tz = zone(tz_name or readers.effective_timezone(conn))
    lo = local_midnight_us(first, tz)
    hi = local_midnight_us(last + timedelta(days=1), tz)
    over_rollup = is_whole_hour_zone(tz, lo, hi)
    billed, computed, _ = money_sql("auto", over_rollup)
    if over_rollup:
        slot = US_PER_HOUR
        rows = fetch_all(conn, f"""
            SELECT hour, vendor, plan_version_id, currency, {billed}, {computed}
            FROM usage_rollup JOIN meter ON meter.id = meter_id
            WHERE hour >= ? AND hour < ? GROUP BY hour, vendor, plan_version_id, currency""",
            (lo // US_PER_HOUR, hi // US_PER_HOUR))
    else:
        slot = _US_PER_QUARTER
        rows = fetch_all(conn, f"""
            SELECT timestamp_us / {slot}, vendor, coalesce(plan_version_id, 0),
                coalesce(currency, ''), {billed}, {computed}
            FROM usage_record LEFT JOIN usage_charge ON record_id = usage_record.id
                JOIN meter ON meter.id = meter_id
            WHERE timestamp_us >= ? AND timestamp_us < ?
            GROUP BY timestamp_us / {slot}, vendor, coalesce(plan_version_id, 0),
                coalesce(currency, '')""", (lo, hi))
    home = readers.home_currency(conn)
    plan_currency = {pid: p.currency for pid, p in readers.load_plans(conn)}
    saved_rates = readers.rates_for(conn)
    sheets: dict[str, CostSheet] = {}
    days: dict[int, datetime] = {}  # slot -> local time, computed once per slot
    for slot_no, vendor, plan_id, currency, billed_nano, charge_nano in rows:
        local = days.get(slot_no)
        if local is None:
            local = days[slot_no] = from_epoch_us(slot_no * slot).astimezone(tz)
        sheet = sheets.get(vendor)
        if sheet is None:
            rates = NotingRates(saved_rates) if lacking_rates is not None else saved_rates
            sheet = sheets[vendor] = CostSheet(home, rates)
        key, month = local.date().isoformat(), f"{local:%Y-%m}"
        sheet.row(key)
        sheet.add_money(key, billed_nano, currency or home, month)
        sheet.add_money(key, charge_nano, plan_currency.get(plan_id, home), month)
    out: DailySeries = {}
    for vendor, sheet in sorted(sheets.items()):
        report = sheet.report("day", "auto")
        if isinstance(sheet.rates, NotingRates) and sheet.rates.missing:
            lacking_rates.add(vendor)
            continue
        out[vendor] = {date.fromisoformat(r.key): r.usage_cost for r in report.rows
                       if r.usage_cost}
    return out


def spikes_between(db: Database, first: date, last: date, tz_name: str | None = None, *,
                   rule: SpikeRule = DEFAULT_RULE) -> list[Spike]:
    """The spike alerts on the days first..last, each judged against the `rule.window` days
    before it. A vendor whose money lacks an exchange rate is not judged (its spend is not
    known); the Dashboard already names the missing rates."""
    with db.engine.connect() as conn:
        return spikes_in(conn, first, last, tz_name, rule=rule)


def spikes_in(conn: Connection, first: date, last: date, tz_name: str | None = None, *,
              rule: SpikeRule = DEFAULT_RULE) -> list[Spike]:
    """spikes_between on a connection already open (the alert check's transaction)."""
    series = daily_spend(conn, first - timedelta(days=rule.window), last, tz_name,
                         lacking_rates=set())
    return find_spikes_by_vendor(series, rule=rule, since=first)

