"""Figures for the app's overview: this month's spend and unpriced usage (from the rollup)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from meterbook.core.periods import parse_day, zone
from meterbook.store import readers
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.database import Database


def month_bounds(tz_name: str, now: datetime | None = None, back: int = 0
                 ) -> tuple[str, int, int]:
    """The label and [start, end) instants of this month (or `back` months before) in tz."""
    tz = zone(tz_name)
    local = (now or datetime.now(UTC)).astimezone(tz)
    y, m = local.year, local.month - back
    while m <= 0:
        y, m = y - 1, m + 12
    y2, m2 = (y + 1, 1) if m == 12 else (y, m + 1)
    return (f"{y:04d}-{m:02d}", parse_day(f"{y:04d}-{m:02d}-01", tz),
            parse_day(f"{y2:04d}-{m2:02d}-01", tz))


def month_status(db: Database, tz_name: str, now: datetime | None = None
                 ) -> tuple[Decimal, str, int]:
    """(this month's cost, home currency, unpriced requests this month)."""
    _label, start, end = month_bounds(tz_name, now)
    with db.engine.connect() as conn:
        home = readers.home_currency(conn)
        query = CostQuery(by="month", tz=zone(tz_name), from_us=start, to_us=end,
                          home_currency=home, rates=readers.rates_for(conn))
        report = run_cost_query(conn, query, readers.load_plans(conn))
    return report.total.cost, home, report.total.unpriced_requests
