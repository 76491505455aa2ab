"""Re-pricing stored usage with the pricing engine, only where plans can have changed a charge.

All plans competing for a record share its vendor, and volume tiers accumulate within one plan
and billing month, so re-pricing every record of the affected vendors from the start of the
affected billing month on is complete: no record outside that scope can change.

Memory stays flat however many records are in scope: records that need no other record are
priced in slices of the table, and those of volume-tiered plans one billing month at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from meterbook.core.bulk import gc_paused
from meterbook.core.pause_points import pause_point
from meterbook.core.periods import zone
from meterbook.core.plans import Plan
from meterbook.core.pricing import PricingEngine, TierState
from meterbook.core.records import from_epoch_us, to_epoch_us
from meterbook.store import rollup
from meterbook.store.postgres import lock_usage_writes
from meterbook.store.sql import fetch_all, in_list, sql
from meterbook.store.usage_store import Meters

Progress = Callable[[int, int], None]  # (done, total)

_SLICE = 200_000  # records priced at a time
_HOURS_14 = 14 * 3_600_000_000  # the widest UTC offset: billing months start within it
_COLUMNS = """id, timestamp_us, meter_id, requests, input_tokens, cached_input_tokens,
    cache_write_tokens, output_tokens, units_micro, charge_nano, plan_version_id"""


class RepriceCancelled(Exception):
    pass


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


class ChargeWriter:
    """Writes (charge, plan id, record id) changes: priced ones upserted, unpriced deleted."""

    def __init__(self, conn: Connection, cancelled: Callable[[], bool] | None = None):
        self.conn = conn
        self.cancelled = cancelled
        self.count = 0
        self.upsert = sql(conn, """INSERT INTO usage_charge (charge_nano, plan_version_id,
            record_id) VALUES (?, ?, ?) ON CONFLICT (record_id) DO UPDATE
            SET charge_nano = excluded.charge_nano, plan_version_id = excluded.plan_version_id""")
        self.delete = sql(conn, "DELETE FROM usage_charge WHERE record_id = ?")

    def write(self, changes: list[tuple]) -> None:
        if self.cancelled and self.cancelled():
            raise RepriceCancelled()
        priced = [c for c in changes if c[1] is not None]
        if priced:
            self.conn.exec_driver_sql(self.upsert, priced)
        if len(priced) < len(changes):
            self.conn.exec_driver_sql(self.delete, [(c[2],) for c in changes if c[1] is None])
        self.count += len(changes)
        pause_point("reprice:charges-written")


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
    lock_usage_writes(conn)  # a team's database: not while someone imports
    meters = Meters(conn)
    meter_ids = None if vendors is None else meters.ids_for_vendors(vendors)
    if meter_ids == []:
        return 0  # no record of these vendors: nothing to price, nothing to roll up
    start = scope_start(from_us)
    engine = PricingEngine([plan for _, plan in plans])
    ids = [pid for pid, _ in plans]
    info = meters.info()
    writer = ChargeWriter(conn, cancelled)
    scope = list(info) if meter_ids is None else meter_ids
    # Meters that a volume-tiered plan prices at some time are priced by billing month (all
    # their records in scope); the others in slices of the table.
    tiered_names = {m: engine.tiered_names(*info[m][:4]) for m in scope}
    names = set().union(*tiered_names.values())
    plain = [m for m in scope if not tiered_names[m]]
    where, params = ["id > ?"], [0]
    if start is not None:
        where.append("timestamp_us >= ?")
        params.append(start)
    where.append("meter_id IN " + in_list(conn, plain) if plain else "1 = 0")
    params.extend(plain)
    query = (f"SELECT {_COLUMNS} FROM usage_record LEFT JOIN usage_charge ON record_id = id "
             f"WHERE {' AND '.join(where)} ORDER BY id LIMIT {_SLICE}")
    total = _scope_count(conn, where[1:], params[1:]) if progress else 0
    done = 0
    while plain:
        with gc_paused():
            rows = fetch_all(conn, query, tuple(params))
            if not rows:
                break
            params[0] = rows[-1][0]
            writer.write(_changes(rows, engine.price(rows, info), ids))
        done += len(rows)
        if progress:
            progress(done, total)
    if names:
        reprice_tiered(conn, engine, ids, names, start, None, writer)
    if writer.count or rebuild_rollup:
        pause_point("reprice:before-rollup")
        rollup.rebuild(conn, meter_ids, start)
    return writer.count


def _scope_count(conn: Connection, where: list[str], params: list) -> int:
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    return conn.exec_driver_sql(sql(conn, f"SELECT count(*) FROM usage_record{cond}"),
                                tuple(params)).scalar_one()


def _changes(rows: list[tuple], results, ids: list[int]) -> list[tuple]:
    """(charge, plan id, record id) of the rows whose charge or plan changes."""
    changed = []
    for r, (charge, index) in zip(rows, results, strict=True):
        plan_id = None if index is None else ids[index]
        if charge != r[9] or plan_id != r[10]:
            changed.append((charge, plan_id, r[0]))
    return changed


def reprice_tiered(conn: Connection, engine: PricingEngine, ids: list[int], names: set[str],
                   from_us: int | None, to_us: int | None, writer: ChargeWriter) -> None:
    """Price the records of volume-tiered plans `names`, one billing month at a time.

    Each month's window reaches 14 hours beyond the UTC month on either side, so that it holds
    the whole billing month in any zone; of the rows priced, each month keeps only those it
    owns (its billing month for tiered rows, its UTC month for the others), so every record
    is written once, with a charge computed from its whole month.
    """
    meters = Meters(conn)
    info = meters.info()
    tier_meters = sorted(mid for mid, key in info.items()
                         if engine.tiered_names(*key[:4]) & names)
    if not tier_meters:
        return
    in_meters = "meter_id IN " + in_list(conn, tier_meters)
    needs_totals = any(p.volume is not None and p.volume.mode == "volume" and p.name in names
                       for p in engine.plans)
    bounds = conn.exec_driver_sql(sql(conn, f"""SELECT min(timestamp_us), max(timestamp_us)
        FROM usage_record WHERE {in_meters}"""), tuple(tier_meters)).one()
    if bounds[0] is None:
        return
    first = bounds[0] if from_us is None else max(from_us, bounds[0])
    last = bounds[1] if to_us is None else min(to_us, bounds[1])
    month = from_epoch_us(first - _HOURS_14)
    y, m = month.year, month.month
    # Pages in time order (keyset: after the last instant and id seen), so that a month of
    # any size is priced in slices: a first pass counts its totals, a second prices it.
    page = sql(conn, f"""SELECT {_COLUMNS} FROM usage_record
        LEFT JOIN usage_charge ON record_id = id
        WHERE {in_meters} AND timestamp_us < ?
          AND (timestamp_us > ? OR (timestamp_us = ? AND id > ?))
        ORDER BY timestamp_us, id LIMIT {_SLICE}""")

    def pages(lo: int, hi: int):
        ts, last_id = lo - 1, 0
        while True:
            with gc_paused():
                rows = fetch_all(conn, page, (*tier_meters, hi, ts, ts, last_id))
            if not rows:
                return
            yield rows
            ts, last_id = rows[-1][1], rows[-1][0]

    while True:
        lo = to_epoch_us(datetime(y, m, 1, tzinfo=UTC))
        if lo - _HOURS_14 > last:
            break
        y2, m2 = (y + 1, 1) if m == 12 else (y, m + 1)
        hi = to_epoch_us(datetime(y2, m2, 1, tzinfo=UTC))
        label = f"{y:04d}-{m:02d}"
        state = TierState()
        if needs_totals:  # volume mode prices a month by its total: count it first
            for rows in pages(lo - _HOURS_14, hi + _HOURS_14):
                engine.price(rows, info, state)
        state.start_pricing()
        for rows in pages(lo - _HOURS_14, hi + _HOURS_14):
            results = engine.price(rows, info, state)
            owned_rows, owned_results = [], []
            for row, result in zip(rows, results, strict=True):
                if _owns(row[1], result, engine, label, lo, hi):
                    owned_rows.append(row)
                    owned_results.append(result)
            writer.write(_changes(owned_rows, owned_results, ids))
        y, m = y2, m2


def _owns(ts: int, result, engine: PricingEngine, label: str, lo: int, hi: int) -> bool:
    index = result[1]
    plan = None if index is None else engine.plans[index]
    if plan is None or plan.volume is None:
        return lo <= ts < hi
    if lo + _HOURS_14 <= ts < hi - _HOURS_14:
        return True  # the middle of the month is in it in every zone
    local = from_epoch_us(ts).astimezone(zone(plan.billing_timezone))
    return f"{local:%Y-%m}" == label
