"""Keeps usage_rollup (sums per UTC hour, meter, plan version and billed currency) in step.

Every write to usage_record is followed by rebuild(), over the hours and meters it touched, in
the same transaction. Rebuilding from the records rather than adding deltas keeps the rollup a
pure function of the records: it can never drift.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from meterbook.store.sql import in_list, sql

US_PER_HOUR = 3_600_000_000

_SUMS = """count(*), sum(requests), sum(input_tokens), sum(cached_input_tokens),
    sum(cache_write_tokens), sum(output_tokens), sum(units_micro),
    coalesce(sum(charge_nano), 0), coalesce(sum(billed_nano), 0),
    coalesce(sum(CASE WHEN billed_nano IS NULL THEN charge_nano END), 0),
    coalesce(sum(CASE WHEN billed_nano IS NULL THEN requests END), 0)"""


def rebuild(conn: Connection, meter_ids: list[int] | None, from_us: int | None) -> None:
    """Recompute the rollup for these meters (None: all) from this instant on (None: ever)."""
    where, rollup_where, params, rollup_params = [], [], [], []
    if from_us is not None:
        hour = from_us // US_PER_HOUR
        where.append("timestamp_us >= ?")
        params.append(hour * US_PER_HOUR)
        rollup_where.append("hour >= ?")
        rollup_params.append(hour)
    if meter_ids is not None:
        if not meter_ids:
            return
        for clauses, values in ((where, params), (rollup_where, rollup_params)):
            clauses.append("meter_id IN " + in_list(conn, meter_ids))
            values.extend(meter_ids)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    rollup_cond = (" WHERE " + " AND ".join(rollup_where)) if rollup_where else ""
    conn.exec_driver_sql(sql(conn, "DELETE FROM usage_rollup" + rollup_cond),
                         tuple(rollup_params))
    conn.exec_driver_sql(sql(conn, f"""
        INSERT INTO usage_rollup (hour, meter_id, plan_version_id, currency, records, requests,
            input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, units_micro,
            charge_nano, billed_nano, unbilled_charge_nano, unbilled_requests)
        SELECT timestamp_us / {US_PER_HOUR}, meter_id, coalesce(plan_version_id, 0),
            coalesce(currency, ''), {_SUMS}
        FROM usage_record LEFT JOIN usage_charge ON record_id = id{cond}
        GROUP BY timestamp_us / {US_PER_HOUR}, meter_id, coalesce(plan_version_id, 0),
            coalesce(currency, '')"""), tuple(params))
