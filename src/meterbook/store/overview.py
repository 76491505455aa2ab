"""Figures for the app's overview: a month's spend and unpriced usage for the status bar, and
everything the Dashboard shows (no Qt here: the page only lays these figures out).

Every money figure is the cost query's (`store/cost_query.py`, source "auto": billed where a
record carries a vendor's bill, computed by the plans otherwise), with the billed part told
apart by a second query of source "billed". A figure that needs an exchange rate nobody saved
is unavailable (None), never a guess; every missing (currency, month) is listed at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy.engine import Connection

from meterbook.core.cost import CostReport
from meterbook.core.periods import month_start_us, next_month, parse_month, zone
from meterbook.core.plans import Plan
from meterbook.core.records import from_epoch_us
from meterbook.store import readers
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.database import Database
from meterbook.store.sql import fetch_all

Pairs = tuple[tuple[str, str], ...]  # (currency, month) pairs, sorted


class NotingRates(dict):
    """The saved rates, noting every (currency, month) the cost query asks for and lacks.

    A missing rate counts as 0 so that one pass finds every missing pair, not only the first
    (the query would stop at the first); the figures of such a pass are never shown.
    """

    def __init__(self, rates: dict[tuple[str, str], Decimal]):
        super().__init__(rates)
        self.missing: set[tuple[str, str]] = set()

    def __bool__(self) -> bool:  # an empty one must still reach the query (not `or {}`)
        return True

    def get(self, key, default=None):
        if key in self:
            return self[key]
        self.missing.add(key)
        return Decimal(0)


@dataclass
class _Reader:
    """What every query of one overview shares: the connection, zone, currency, rates, plans."""

    conn: Connection
    tz_name: str
    home: str
    rates: dict[tuple[str, str], Decimal]
    plans: list[tuple[int, Plan]]

    @classmethod
    def open(cls, conn: Connection, tz_name: str) -> _Reader:
        return cls(conn, tz_name, readers.home_currency(conn), readers.rates_for(conn),
                   readers.load_plans(conn))

    def query(self, by: str, month: str | None = None, source: str = "auto"
              ) -> tuple[CostReport, Pairs]:
        """The cost report of one month (None: all usage) and the rates it lacked."""
        tz = zone(self.tz_name)
        lo = hi = None
        if month is not None:
            y, m = parse_month(month)
            lo, hi = month_start_us(y, m, tz), month_start_us(*next_month(y, m), tz)
        rates = NotingRates(self.rates)
        report = run_cost_query(self.conn, CostQuery(
            by=by, source=source, tz=tz, from_us=lo, to_us=hi, home_currency=self.home,
            rates=rates), self.plans)
        return report, tuple(sorted(rates.missing))

    def month(self, month: str) -> MonthFigures:
        total, missing = self.query("month", month)
        billed, missing_billed = self.query("month", month, source="billed")
        t = total.total
        missing = tuple(sorted(set(missing) | set(missing_billed)))
        known = not missing
        return MonthFigures(
            month=month, requests=t.requests, unpriced_requests=t.unpriced_requests,
            cost=t.cost if known else None, fixed_cost=t.fixed_cost if known else None,
            usage_cost=t.usage_cost if known else None,
            billed=billed.total.cost if known else None, missing_rates=missing)

    def choose(self, now: datetime | None, month: str | None) -> MonthChoice:
        """The month to show: `month` when given, else this month, unless this month has no
        usage and an earlier one does: then the latest month with usage."""
        everything, missing = self.query("month")
        months = tuple(r.key for r in everything.rows)
        current = f"{(now or datetime.now(UTC)).astimezone(zone(self.tz_name)):%Y-%m}"
        latest_instead = False
        if month is None:
            month = current
            if months and months[-1] < current:
                month, latest_instead = months[-1], True
        return MonthChoice(month, current, months, latest_instead, missing)


@dataclass(frozen=True)
class MonthChoice:
    """Which month an overview shows, and the months there are to choose from."""

    month: str  # "2026-02"
    current: str  # the clock's month, in the report zone
    months: tuple[str, ...]  # months with usage or monthly fees, oldest first
    latest_instead: bool  # `month` is the latest with usage: the current one has none
    missing_rates: Pairs  # every rate missing over all the usage, not only this month's


@dataclass(frozen=True)
class MonthFigures:
    """One month's totals; money is None when a rate it needs is missing (`missing_rates`)."""

    month: str
    requests: int
    unpriced_requests: int
    cost: Decimal | None  # billed where billed, computed otherwise, monthly fees included
    fixed_cost: Decimal | None  # the monthly fees in `cost`
    usage_cost: Decimal | None  # `cost` without the fees
    billed: Decimal | None  # the part of `cost` billed by the vendors themselves
    missing_rates: Pairs = ()


@dataclass(frozen=True)
class MonthStatus:
    """What the status bar shows: the chosen month's spend and unpriced usage."""

    choice: MonthChoice
    figures: MonthFigures
    currency: str


def previous_month(label: str) -> str:
    y, m = parse_month(label)
    return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def missing_rates(db: Database, tz_name: str) -> tuple[str, Pairs]:
    """(home currency, every (currency, month) whose rate into it some figure of the usage
    needs and nobody saved), read together so that they always belong to each other."""
    with db.engine.connect() as conn:
        reader = _Reader.open(conn, tz_name)
        return reader.home, reader.query("month")[1]


def month_status(db: Database, tz_name: str, now: datetime | None = None,
                 month: str | None = None) -> MonthStatus:
    """The status bar's figures for `month` (None: the month the Dashboard opens on)."""
    with db.engine.connect() as conn:
        reader = _Reader.open(conn, tz_name)
        choice = reader.choose(now, month)
        return MonthStatus(choice, reader.month(choice.month), reader.home)


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
    An average is None when nothing was priced in the month, or when a rate is missing.
    """

    choice: MonthChoice
    this: MonthFigures  # the chosen month ("this month" when it is the clock's)
    last: MonthFigures  # the month before it
    currency: str
    timezone: str
    conversations: int  # conversations with a request in the month
    average_per_request: Decimal | None
    average_per_conversation: Decimal | None
    conversations_unpriced: int  # conversations left out of the average: not fully priced
    imports: tuple[ImportLine, ...] = ()

    @property
    def month(self) -> str:
        return self.this.month

    @property
    def last_month(self) -> str:
        return self.last.month

    @property
    def is_current(self) -> bool:
        """The month shown is the clock's month: its figures are "so far"."""
        return self.choice.month == self.choice.current


def _average(total: Decimal | None, n: int) -> Decimal | None:
    if n <= 0 or total is None:
        return None
    return (total / n).quantize(_NANO_PLACES, rounding=ROUND_HALF_EVEN)


def latest_imports(conn, limit: int = LATEST_IMPORTS) -> tuple[ImportLine, ...]:
    rows = fetch_all(conn, """SELECT id, created_us, files, added, duplicates, refused
        FROM import_batch ORDER BY id DESC LIMIT ?""", (limit,))
    return tuple(ImportLine(bid, from_epoch_us(created), tuple(f for f in files.split("\n") if f),
                            added, duplicates, refused)
                 for bid, created, files, added, duplicates, refused in rows)


def dashboard(db: Database, tz_name: str, now: datetime | None = None,
              month: str | None = None) -> Dashboard:
    """A month's and the month before's figures, the averages and the latest imports.

    `month` ("2026-02") is the month to show; None opens on this month, or on the latest month
    with usage when this one has none (see _Reader.choose). `now` fixes "this month" (tests);
    by default it is the clock's.
    """
    with db.engine.connect() as conn:
        reader = _Reader.open(conn, tz_name)
        choice = reader.choose(now, month)
        this = reader.month(choice.month)
        last = reader.month(previous_month(choice.month))
        talks_report, talks_missing = reader.query("conversation", choice.month)
        imports = latest_imports(conn)
    talks = [r for r in talks_report.rows if r.key]
    priced_talks = [r for r in talks if not r.unpriced_requests]
    talks_cost = None if talks_missing else sum((r.usage_cost for r in priced_talks), Decimal(0))
    return Dashboard(
        choice=choice, this=this, last=last, currency=reader.home, timezone=tz_name,
        conversations=len(talks),
        average_per_request=_average(this.usage_cost, this.requests - this.unpriced_requests),
        average_per_conversation=_average(talks_cost, len(priced_talks)),
        conversations_unpriced=len(talks) - len(priced_talks),
        imports=imports,
    )
