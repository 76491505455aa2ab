"""Re-pricing stored usage with the pricing engine, only where plans can have changed a charge.

All plans competing for a record share its vendor, and volume tiers accumulate within one plan
and billing month, so re-pricing every record of the affected vendors from the start of the
affected billing month on is complete: no record outside that scope can change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from meterbook.core.bulk import gc_paused
from meterbook.core.plans import Plan
from meterbook.core.pricing import PricingEngine
from meterbook.core.records import from_epoch_us, to_epoch_us
from meterbook.store import rollup
from meterbook.store.sql import fetch_all, in_list, sql
from meterbook.store.usage_store import Meters

Progress = Callable[[int, int], None]  # (done, total)

_CHUNK = 50_000


def scope_start(from_us: int | None) -> int | None:
    """An instant early enough to include the whole billing month of `from_us` in any zone.

    Billing months start at local midnight, between UTC-12 and UTC+14: the UTC month before
    the day before `from_us`, less 14 hours, is safely before that month's first instant.
    """
    if from_us is None:
        return None
    day_before = from_epoch_us(from_us) - timedelta(days=1)
    month = datetime(day_before.year, day_before.month, 1, tzinfo=UTC)
    return to_epoch_us(month - timedelta(hours=14))


def plan_scope(plans: Iterable[Plan]) -> tuple[set[str], int | None]:
    """The vendors and earliest instant a set of changed or removed plan versions can touch."""
    vendors, starts = set(), []
    for plan in plans:
        vendors.add(plan.vendor.lower())
        starts.append(None if plan.effective_from is None else to_epoch_us(plan.effective_from))
    earliest = None if (not starts or None in starts) else min(starts)
    return vendors, earliest


def reprice(
    conn: Connection,
    plans: list[tuple[int, Plan]],
    vendors: set[str] | None,
    from_us: int | None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    rebuild_rollup: bool = False,
) -> int:
    """Price the records in scope with the saved plans; returns how many charges changed.

    Runs in the caller's transaction; raise from `cancelled` (or roll back) to undo it.
    """
    meters = Meters(conn)
    meter_ids = None if vendors is None else meters.ids_for_vendors(vendors)
    if meter_ids == []:
        return 0  # no record of these vendors: nothing to price, nothing to roll up
    start = scope_start(from_us)
    where, params = [], []
    if start is not None:
        where.append("timestamp_us >= ?")
        params.append(start)
    if meter_ids is not None:
        where.append("meter_id IN " + in_list(conn, meter_ids))
        params.extend(meter_ids)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    with gc_paused():
        changed = _changed_charges(conn, plans, meters, cond, params)
    total = len(changed)
    upsert = sql(conn, """INSERT INTO usage_charge (charge_nano, plan_version_id, record_id)
        VALUES (?, ?, ?) ON CONFLICT (record_id) DO UPDATE
        SET charge_nano = excluded.charge_nano, plan_version_id = excluded.plan_version_id""")
    delete = sql(conn, "DELETE FROM usage_charge WHERE record_id = ?")
    for done in range(0, total, _CHUNK):
        if cancelled and cancelled():
            raise RepriceCancelled()
        chunk = changed[done:done + _CHUNK]
        priced = [c for c in chunk if c[1] is not None]
        if priced:
            conn.exec_driver_sql(upsert, priced)
        if len(priced) < len(chunk):
            conn.exec_driver_sql(delete, [(c[2],) for c in chunk if c[1] is None])
        if progress:
            progress(min(done + _CHUNK, total), total)
    if changed or rebuild_rollup:
        rollup.rebuild(conn, meter_ids, start)
    return total


def _changed_charges(conn, plans, meters: Meters, cond: str, params: list) -> list[tuple]:
    """(charge, plan id, record id) of every record in scope whose charge or plan changes."""
    # Rows as the engine reads them (records.PricingRow), then the stored charge and plan. In
    # table order: the engine puts the rows that tiers depend on in time order itself, and a
    # plain scan is cheaper than walking the time index; the updates then go in id order too.
    rows = fetch_all(conn, f"""
        SELECT id, timestamp_us, meter_id, requests, input_tokens, cached_input_tokens,
               cache_write_tokens, output_tokens, units_micro, charge_nano, plan_version_id
        FROM usage_record LEFT JOIN usage_charge ON record_id = id{cond}""", tuple(params))
    engine = PricingEngine([plan for _, plan in plans])
    ids = [pid for pid, _ in plans]
    results = engine.price(rows, meters.info())
    changed = []
    for r, (charge, index) in zip(rows, results, strict=True):
        plan_id = None if index is None else ids[index]
        if charge != r[9] or plan_id != r[10]:
            changed.append((charge, plan_id, r[0]))
    return changed


class RepriceCancelled(Exception):
    pass
