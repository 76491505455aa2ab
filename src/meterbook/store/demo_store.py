"""Saving the demo: its plans, then its usage as one import batch, priced."""

from __future__ import annotations

from meterbook.core.plans import Plan
from meterbook.core.records import UsageRecord
from meterbook.importers.pipeline import import_records
from meterbook.store.database import Database
from meterbook.store.plan_ops import save_plan_set


def save_demo(db: Database, plans: list[Plan], records: list[UsageRecord]) -> int:
    """Returns the number of records added (0 when the demo was already there)."""
    save_plan_set(db, plans, "demo plans")
    return import_records(db, records, name="demo", profile="demo").added
