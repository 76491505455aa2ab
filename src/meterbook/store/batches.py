"""The import history: listing batches and undoing one with everything derived from it."""

from __future__ import annotations

from sqlmodel import Session, col, select

from meterbook.core.pause_points import pause_point
from meterbook.store import repricing
from meterbook.store.alerts import check_alerts_safely
from meterbook.store.database import Database
from meterbook.store.plan_store import load_plans
from meterbook.store.postgres import lock_usage_writes
from meterbook.store.sql import sql
from meterbook.store.tables import ImportBatch, RefusedLine


def list_batches(db: Database) -> list[ImportBatch]:
    with Session(db.engine) as session:
        return list(session.exec(select(ImportBatch).order_by(col(ImportBatch.id))))


def refused_lines(db: Database, batch_id: int) -> list[RefusedLine]:
    """The lines a batch refused under --skip-bad-lines, in file and line order; a batch may
    hold nothing else (every line refused)."""
    with Session(db.engine) as session:
        return list(session.exec(select(RefusedLine).where(RefusedLine.batch_id == batch_id)
                                 .order_by(col(RefusedLine.id))))


def undo_batch(db: Database, batch_id: int) -> int:
    """Remove a batch's records and refused lines, then re-price what depended on them (the
    same vendors from that month on: graduated tiers move when earlier usage goes away).
    Returns how many records were removed; KeyError when there is no such batch."""
    with Session(db.engine) as session:
        if session.get(ImportBatch, batch_id) is None:
            raise KeyError(batch_id)
        conn = session.connection()
        lock_usage_writes(conn)  # a team's database: not while someone imports
        vendors = {v for (v,) in conn.exec_driver_sql(sql(conn, """
            SELECT DISTINCT m.vendor FROM usage_record r JOIN meter m ON m.id = r.meter_id
            WHERE r.batch_id = ?"""), (batch_id,))}
        earliest = conn.exec_driver_sql(sql(conn, """
            SELECT min(timestamp_us) FROM usage_record WHERE batch_id = ?"""),
            (batch_id,)).scalar_one()
        conn.exec_driver_sql(sql(conn, """DELETE FROM usage_charge WHERE record_id IN
            (SELECT id FROM usage_record WHERE batch_id = ?)"""), (batch_id,))
        removed = conn.exec_driver_sql(
            sql(conn, "DELETE FROM usage_record WHERE batch_id = ?"), (batch_id,)).rowcount
        conn.exec_driver_sql(sql(conn, "DELETE FROM refused_line WHERE batch_id = ?"),
                             (batch_id,))
        conn.exec_driver_sql(sql(conn, "DELETE FROM import_batch WHERE id = ?"), (batch_id,))
        pause_point("undo:records-deleted")
        if vendors:
            repricing.reprice(conn, load_plans(session), vendors, earliest, rebuild_rollup=True)
        pause_point("undo:before-commit")
        session.commit()
    check_alerts_safely(db)  # an undo may take spend back under a threshold: withdraw
    return removed
