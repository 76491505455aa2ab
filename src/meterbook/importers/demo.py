"""Saving the demo (core/demo.py's recipe) into a database: its plans, then its usage as one
import batch, priced.

The one place that does it, for `meterbook demo`, `meterbook --demo` and the app. It lives with
the importers because the usage goes in through the import pipeline, like any file's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

from meterbook.core.budgets import Budget
from meterbook.core.demo import SPIKE_VENDOR, demo_data
from meterbook.core.periods import zone
from meterbook.importers.pipeline import import_records
from meterbook.store import readers
from meterbook.store.alerts import check_alerts_safely
from meterbook.store.budget_status import budget_status
from meterbook.store.budgets import save_budget
from meterbook.store.database import Database, open_database
from meterbook.store.plan_ops import save_plan_set

DEMO_FILE = "demo.db"


def what_it_holds(db: Database) -> str | None:
    """"1,234 records and 3 plans" when the database holds usage or plans; None when empty
    (the demo mixed into real data would make both unreadable)."""
    with db.engine.connect() as conn:
        records = conn.exec_driver_sql("SELECT count(*) FROM usage_record").scalar()
        plans = conn.exec_driver_sql("SELECT count(DISTINCT name) FROM plan_version").scalar()
    held = [f"{n:,} {word}{'' if n == 1 else 's'}"
            for n, word in ((records, "record"), (plans, "plan")) if n]
    return " and ".join(held) or None


def save_demo(db: Database, months: int = 6, now: datetime | None = None) -> int:
    """Save the demo's plans, `months` months of usage up to `now` and two budgets; the number
    of records added (0 when this demo was already there)."""
    now = now or datetime.now(UTC)
    plans, records = demo_data(end=now, months=months)
    save_plan_set(db, plans, "demo plans")
    added = import_records(db, records, name="demo", profile="demo", now=now).added
    if added:
        save_demo_budgets(db, now)
    return added


def save_demo_budgets(db: Database, now: datetime) -> list[Budget]:
    """Two budgets, so the Budgets page, the charts and the banner show something at once:
    "All AI", a quarter more than last month's spend or this month's so far (whichever is
    more: never overrun at once); and one for the vendor of the runaway script, with an amount
    this month's spend so far is 82-90 % of (its 50 and 80 % alerts stand).
    The alerts are checked as of `now`."""
    with db.engine.connect() as conn:
        today = now.astimezone(zone(readers.effective_timezone(conn))).date()
    probe = [(None, Budget(name="All AI", amount=Decimal(1))),
             (None, Budget(name=SPIKE_VENDOR.title(), amount=Decimal(1), vendor=SPIKE_VENDOR))]
    last_y, last_m = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    last_month = budget_status(db, last_y, last_m, today, budgets=probe[:1]).budgets[0].spent
    everything, vendor = (f.spent for f in
                          budget_status(db, today.year, today.month, today, budgets=probe).budgets)
    comfortable = round_up(max(last_month, everything) * Decimal("1.25"))
    budgets = [Budget(name="All AI", amount=comfortable),
               Budget(name=probe[1][1].name, amount=round_up(vendor / Decimal("0.9")),
                      vendor=SPIKE_VENDOR)]
    for budget in budgets:
        save_budget(db, budget, replace=True, now=now)
    check_alerts_safely(db, now)
    return budgets


def round_up(amount: Decimal) -> Decimal:
    """Up to two significant figures (a budget people would set): 183.4 -> 190; at least 10."""
    if amount <= 10:
        return Decimal(10)
    step = Decimal(1).scaleb(amount.adjusted() - 1)
    return (amount / step).to_integral_value(rounding=ROUND_CEILING) * step


def fresh_demo_database(folder: Path, months: int = 6, now: datetime | None = None) -> Path:
    """A new database in `folder` holding only the demo; its path."""
    path = folder / DEMO_FILE
    with open_database(str(path)) as db:
        save_demo(db, months, now)
    return path
