"""The app's reads that the soak benchmark and bench_queries.py time: what the pages ask.

Each ask is a function of (database, month as (year, month)); `ASKS` names them as the reports
print them. Shared by soak.py (asked over and over while importing) and bench_queries.py (timed
on a database as it is), so both measure exactly the same questions.
"""

from __future__ import annotations

from datetime import UTC, datetime

from meterbook.core.periods import month_start_us, next_month, zone
from meterbook.store import overview, readers
from meterbook.store.conversations import conversations_in
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.usage_query import (
    UsageFilter,
    fetch_rows,
    usage_count,
    usage_ids,
    usage_totals,
)  # fmt: skip

TZ = "UTC"


def newest_month(db) -> tuple[int, int] | None:
    """(year, month) of the newest record, in UTC; None for an empty database."""
    with db.engine.connect() as conn:
        last = conn.exec_driver_sql("SELECT max(timestamp_us) FROM usage_record").scalar()
    if last is None:
        return None
    moment = datetime.fromtimestamp(last / 1e6, UTC)
    return moment.year, moment.month


def dashboard(db, month) -> None:
    overview.dashboard(db, TZ, month=f"{month[0]:04d}-{month[1]:02d}")


def usage_first_page(db, _month) -> None:
    with db.engine.connect() as conn:
        everything = UsageFilter()
        ids = usage_ids(conn, everything, limit=200)
        usage_count(conn, everything)
        fetch_rows(conn, ids[:100])
        usage_totals(conn, everything, zone(TZ), readers.home_currency(conn))


def conversations(db, month) -> None:
    tz = zone(TZ)
    with db.engine.connect() as conn:
        conversations_in(conn, tz=tz, from_us=month_start_us(*month, tz),
                         to_us=month_start_us(*next_month(*month), tz))


def cost_by_month(db, _month) -> None:
    with db.engine.connect() as conn:
        run_cost_query(conn, CostQuery(by="month"), readers.load_plans(conn))


ASKS = {"Dashboard overview": dashboard, "Usage first page": usage_first_page,
        "Conversations (newest month)": conversations, "cost --by month": cost_by_month}
