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

from meterbook.core.cost import CostReport, NotingRates
from meterbook.core.money import from_nano
from meterbook.core.periods import (
    US_PER_HOUR,
    hour_start,
    month_labels_between,
    month_start_us,
    next_month,
    parse_month,
    zone,
)  # fmt: skip
from meterbook.core.plans import Plan
from meterbook.core.records import from_epoch_us
from meterbook.store import readers
from meterbook.store.cost_query import (
    CostQuery,
    home_currency_only,
    money_sql,
    run_cost_query,
)  # fmt: skip
from meterbook.store.database import Database
from meterbook.store.sql import fetch_all, sql

Pairs = tuple[tuple[str, str], ...]  # (currency, month) pairs, sorted


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
        lo, hi = (None, None) if month is None else self._bounds(month)
        rates = NotingRates(self.rates)
        report = run_cost_query(self.conn, CostQuery(
            by=by, source=source, tz=tz, from_us=lo, to_us=hi, home_currency=self.home,
            rates=rates), self.plans)
        return report, tuple(sorted(rates.missing))

    def _bounds(self, month: str) -> tuple[int, int]:
        """[start, end) of a month in the report zone, in microseconds."""
        y, m = parse_month(month)
        tz = zone(self.tz_name)
        return month_start_us(y, m, tz), month_start_us(*next_month(y, m), tz)

    def month(self, month: str) -> MonthFigures:
        total, missing = self.query("month", month)
        t = total.total
        billed_total = Decimal(0)
        if self._has_bills(month):  # else the billed part is 0: spare the second pass
            billed, missing_billed = self.query("month", month, source="billed")
            billed_total = billed.total.cost
            missing = tuple(sorted(set(missing) | set(missing_billed)))
        known = not missing
        return MonthFigures(
            month=month, requests=t.requests, unpriced_requests=t.unpriced_requests,
            cost=t.cost if known else None, fixed_cost=t.fixed_cost if known else None,
            usage_cost=t.usage_cost if known else None,
            billed=billed_total if known else None, missing_rates=missing)

    def _has_bills(self, month: str) -> bool:
        lo, hi = self._bounds(month)
        return bool(self.conn.exec_driver_sql(sql(self.conn, """SELECT EXISTS (SELECT 1
            FROM usage_rollup WHERE hour >= ? AND hour < ? AND billed_nano <> 0)"""),
            (lo // US_PER_HOUR, -(-hi // US_PER_HOUR))).scalar_one())

    def choose(self, now: datetime | None, month: str | None) -> MonthChoice:
        """The month to show: `month` when given, else this month, unless this month has no
        usage and an earlier one does: then the latest month with usage."""
        months = self.usage_months()
        current = _this_month(now, self.tz_name)
        latest_instead = False
        if month is None:
            month = _month_to_open(current, months[-1] if months else None)
            latest_instead = month != current
        return MonthChoice(month, current, months, latest_instead, self.missing_rates())

    def usage_months(self) -> tuple[str, ...]:
        """The months that hold a record, in the report zone, oldest first: one look-up in
        the rollup's hour index per month between the first and the last record."""
        tz = zone(self.tz_name)
        first, last = (self.conn.exec_driver_sql(
            f"SELECT {f}(hour) FROM usage_rollup").scalar_one() for f in ("min", "max"))
        if first is None:
            return ()
        months = []
        for label in month_labels_between(f"{hour_start(first).astimezone(tz):%Y-%m}",
                                          f"{hour_start(last).astimezone(tz):%Y-%m}"):
            lo, hi = self._bounds(label)
            # Hours that overlap the month: in a half-hour zone an hour may straddle its start.
            if self.conn.exec_driver_sql(sql(self.conn, """SELECT EXISTS (SELECT 1
                    FROM usage_rollup WHERE hour >= ? AND hour < ?)"""),
                    (lo // US_PER_HOUR, -(-hi // US_PER_HOUR))).scalar_one():
                months.append(label)
        return tuple(months)

    def conversations(self, month: str) -> tuple[int, int, Decimal | None]:
        """The month's conversations, those fully priced, and the usage cost of these (None
        when a rate is missing). Records without a conversation are in none."""
        if not home_currency_only(self.conn, self.home, [p for _id, p in self.plans]):
            # Money to convert at each month's rate: the cost query's rows, one a conversation.
            report, missing = self.query("conversation", month)
            talks = [r for r in report.rows if r.key]
            priced = [r for r in talks if not r.unpriced_requests]
            return (len(talks), len(priced),
                    None if missing else sum((r.usage_cost for r in priced), Decimal(0)))
        # All in the home currency: the same sums as the cost query's conversation pass
        # (money_sql), counted in the database instead of tens of thousands of rows in Python.
        # The month bounds the inner GROUP BY; the outer filter keeps SQLite from walking
        # the whole conversation index for a "conversation_id IS NOT NULL" of its own.
        billed, computed, unpriced = money_sql("auto", over_rollup=False)
        lo, hi = self._bounds(month)
        talks, priced, nano = self.conn.exec_driver_sql(sql(self.conn, f"""
            SELECT count(*), coalesce(sum(CASE WHEN unpriced = 0 THEN 1 ELSE 0 END), 0),
                coalesce(sum(CASE WHEN unpriced = 0 THEN money ELSE 0 END), 0)
            FROM (SELECT conversation_id AS talk, {billed} + {computed} AS money,
                    {unpriced} AS unpriced
                FROM usage_record LEFT JOIN usage_charge ON record_id = id
                WHERE timestamp_us >= ? AND timestamp_us < ?
                GROUP BY conversation_id) AS talks
            WHERE talk IS NOT NULL AND talk <> ''"""), (lo, hi)).one()
        return int(talks), int(priced), from_nano(int(nano))

    def missing_rates(self) -> Pairs:
        """Every missing rate over all the usage, from one pass of the cost query (skipped
        when nothing is in another currency than the home one: it could find none)."""
        if home_currency_only(self.conn, self.home, [p for _id, p in self.plans]):
            return ()
        return self.query("month")[1]


@dataclass(frozen=True)
class MonthChoice:
    """Which month an overview shows, and the months there are to choose from."""

    month: str  # "2026-02"
    current: str  # the clock's month, in the report zone
    months: tuple[str, ...]  # months that hold a record, oldest first
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
        return reader.home, reader.missing_rates()


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
        talks, priced_talks, talks_cost = reader.conversations(choice.month)
        imports = latest_imports(conn)
    return Dashboard(
        choice=choice, this=this, last=last, currency=reader.home, timezone=tz_name,
        conversations=talks,
        average_per_request=_average(this.usage_cost, this.requests - this.unpriced_requests),
        average_per_conversation=_average(talks_cost, priced_talks),
        conversations_unpriced=talks - priced_talks,
        imports=imports,
    )


def _this_month(now: datetime | None, tz_name: str) -> str:
    return f"{(now or datetime.now(UTC)).astimezone(zone(tz_name)):%Y-%m}"


def _month_to_open(current: str, latest: str | None) -> str:
    """This month, unless the latest month with usage is an earlier one: then that one."""
    return latest if latest is not None and latest < current else current


def opening_month(conn: Connection, tz_name: str, now: datetime | None = None) -> str:
    """'YYYY-MM': the month the Dashboard opens on, by MonthChoice's rule, from one look-up
    of the rollup's latest hour (not a look-up per month): the Dashboard's charts are read
    with it beside the figures at start, not after them (issue 8, item 8)."""
    last = conn.exec_driver_sql("SELECT max(hour) FROM usage_rollup").scalar_one()
    latest = None if last is None else f"{hour_start(last).astimezone(zone(tz_name)):%Y-%m}"
    return _month_to_open(_this_month(now, tz_name), latest)
