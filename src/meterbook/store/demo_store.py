"""Saving the demo: its plans, then its usage as one import batch, priced."""

from __future__ import annotations

from meterbook.core.records import UsageRecord, to_epoch_us
from meterbook.importers.canonical import OccurrenceCounter
from meterbook.store import repricing
from meterbook.store.database import Database
from meterbook.store.plan_ops import save_plan_set
from meterbook.store.plan_store import load_plans
from meterbook.store.sql import sql
from meterbook.store.usage_store import (
    Meters,
    batch_record_count,
    create_batch,
    insert_records,
    record_tuple,
)  # fmt: skip


def save_demo(db: Database, plans, records: list[UsageRecord]) -> int:
    """Returns the number of records added (0 when the demo was already there)."""
    save_plan_set(db, plans, "demo plans")
    from sqlmodel import Session

    with Session(db.engine) as session:
        conn = session.connection()
        batch = create_batch(conn, ["demo"], "demo")
        meters = Meters(conn)
        counter = OccurrenceCounter()
        rows = [record_tuple(batch, meters.id_for(r), r, counter.key(r))
                for r in records]
        insert_records(conn, rows)
        added = batch_record_count(conn, batch)
        conn.exec_driver_sql(sql(conn, "UPDATE import_batch SET lines = ?, added = ?, "
                                 "duplicates = ? WHERE id = ?"),
                             (len(rows), added, len(rows) - added, batch))
        earliest = min((to_epoch_us(r.timestamp) for r in records), default=None)
        repricing.reprice(conn, load_plans(session), None, earliest, rebuild_rollup=True)
        session.commit()
    return added
