"""Saving the demo (core/demo.py's recipe) into a database: its plans, then its usage as one
import batch, priced.

The one place that does it, for `meterbook demo`, `meterbook --demo` and the app. It lives with
the importers because the usage goes in through the import pipeline, like any file's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from meterbook.core.demo import demo_data
from meterbook.importers.pipeline import import_records
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
    """Save the demo's plans and `months` months of usage up to `now`; the number of records
    added (0 when this demo was already there)."""
    plans, records = demo_data(end=now or datetime.now(UTC), months=months)
    save_plan_set(db, plans, "demo plans")
    return import_records(db, records, name="demo", profile="demo").added


def fresh_demo_database(folder: Path, months: int = 6, now: datetime | None = None) -> Path:
    """A new database in `folder` holding only the demo; its path."""
    path = folder / DEMO_FILE
    with open_database(str(path)) as db:
        save_demo(db, months, now)
    return path
