"""Figures for the app's overview: this month's spend and unpriced usage (from the rollup),
and everything the dashboard shows (no Qt here: the page only lays these figures out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from meterbook.core.periods import parse_day, zone
from meterbook.core.records import from_epoch_us
from meterbook.store import readers
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.database import Database
from meterbook.store.sql import fetch_all


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


# --- the dashboard -----------------------------------------------------------------------------

_NANO_PLACES = Decimal("1e-9")
LATEST_IMPORTS = 5


@dataclass(frozen=True)
class ImportLine:
    """One import batch as the dashboard lists it."""

    id: int
    created: datetime  # aware, UTC
    files: tuple[str, ...]
    added: int
    duplicates: int
    refused: int


@dataclass(frozen=True)
class Dashboard:
    """The figures of the dashboard, all in the home currency, months in the report zone.

    Averages divide usage charges (monthly fees left out: they do not grow with use) by what
    was priced: unpriced requests would otherwise pull an average down as if they cost $0.
    An average is None when nothing was priced this month.
    """

    month: str  # "2026-06"
    last_month: str
    currency: str
    timezone: str
    cost: Decimal  # this month so far, monthly fees included
    fixed_cost: Decimal  # the monthly fees in `cost`
    requests: int
    unpriced_requests: int
    last_month_cost: Decimal
    last_month_requests: int
    last_month_unpriced: int
    conversations: int  # conversations with a request this month
    average_per_request: Decimal | None
    average_per_conversation: Decimal | None
    conversations_unpriced: int  # conversations left out of the average: not fully priced
    imports: tuple[ImportLine, ...] = ()


def _average(total: Decimal, n: int) -> Decimal | None:
    if n <= 0:
        return None
    return (total / n).quantize(_NANO_PLACES, rounding=ROUND_HALF_EVEN)


def latest_imports(conn, limit: int = LATEST_IMPORTS) -> tuple[ImportLine, ...]:
    rows = fetch_all(conn, """SELECT id, created_us, files, added, duplicates, refused
        FROM import_batch ORDER BY id DESC LIMIT ?""", (limit,))
    return tuple(ImportLine(bid, from_epoch_us(created), tuple(f for f in files.split("\n") if f),
                            added, duplicates, refused)
                 for bid, created, files, added, duplicates, refused in rows)


def dashboard(db: Database, tz_name: str, now: datetime | None = None) -> Dashboard:
    """This month's and last month's figures, the averages and the latest imports.

    `now` fixes "this month" (tests); by default it is the clock's. Three reads: two month
    totals from the rollup and one GROUP BY over this month's records for the conversations.
    """
    tz = zone(tz_name)
    month, start, end = month_bounds(tz_name, now)
    last_month, last_start, last_end = month_bounds(tz_name, now, back=1)
    with db.engine.connect() as conn:
        home = readers.home_currency(conn)
        rates = readers.rates_for(conn)
        plans = readers.load_plans(conn)

        def query(by: str, lo: int, hi: int):
            return run_cost_query(conn, CostQuery(by=by, tz=tz, from_us=lo, to_us=hi,
                                                  home_currency=home, rates=rates), plans)

        this = query("month", start, end).total
        last = query("month", last_start, last_end).total
        talks = [r for r in query("conversation", start, end).rows if r.key]
        imports = latest_imports(conn)
    priced_talks = [r for r in talks if not r.unpriced_requests]
    return Dashboard(
        month=month, last_month=last_month, currency=home, timezone=tz_name,
        cost=this.cost, fixed_cost=this.fixed_cost, requests=this.requests,
        unpriced_requests=this.unpriced_requests, last_month_cost=last.cost,
        last_month_requests=last.requests, last_month_unpriced=last.unpriced_requests,
        conversations=len(talks),
        average_per_request=_average(this.usage_cost, this.requests - this.unpriced_requests),
        average_per_conversation=_average(sum((r.usage_cost for r in priced_talks), Decimal(0)),
                                          len(priced_talks)),
        conversations_unpriced=len(talks) - len(priced_talks),
        imports=imports,
    )
