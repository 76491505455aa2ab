"""What only PostgreSQL needs: one import at a time in a shared database, and bulk writes by COPY.

A team shares one PostgreSQL database, so several people may import at once. Record and meter
ids are assigned by the importer (the next after the largest), so that a record can be priced
before it is stored; two imports reading the same largest id would then collide. Each import
therefore takes a transaction-scoped advisory lock first (`lock_usage_writes`): a second import
waits until the first has committed or rolled back, then reads the ids and the records the first
stored, and skips what is already there. SQLite has one writer at a time anyway; there the lock
is a no-op.

Writes go the way of store/staging.py, with PostgreSQL's own fast path: each chunk is COPYed
into a temporary stage table and moved into usage_record, usage_charge and usage_rollup by the
same few INSERT ... SELECT statements, instead of a round trip per row.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from meterbook.core.records import STAGE_COLUMNS
from meterbook.store.rollup import US_PER_HOUR
from meterbook.store.usage_store import write_meters
from meterbook.store.writer_thread import WriterThread

# Any fixed 64-bit number, the same in every Meterbook: "mb" "usage" in ASCII.
USAGE_LOCK = 0x6D62_7573_6167_65


def lock_usage_writes(conn: Connection) -> None:
    """Wait for any other import into this PostgreSQL database to finish, and keep others
    waiting until this transaction ends (commit, rollback or a lost connection alike)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({USAGE_LOCK})")


_TYPES = {"dedupe_key": "text", "request_id": "text", "conversation_id": "text",
          "user": "text", "api_key": "text", "billed_nano": "text", "currency": "text",
          "plan_index": "integer"}  # every other column is a 64-bit integer
# The stage table's rows are numbered from 1 in each chunk (TRUNCATE ... RESTART IDENTITY):
# a record's id is its number plus the chunk's first id less one, as in staging.py.
_CREATE_STAGE = (
    "CREATE TEMPORARY TABLE mb_stage (n bigint GENERATED ALWAYS AS IDENTITY, "
    + ", ".join(f'"{c}" {_TYPES.get(c, "bigint")}' for c in STAGE_COLUMNS)
    + ") ON COMMIT DROP")
_QUOTED = ", ".join(f'"{c}"' for c in STAGE_COLUMNS)
_COPY_STAGE = f"COPY mb_stage ({_QUOTED}) FROM STDIN"
_TEXTS = ("request_id", "conversation_id", "user", "api_key")
_NULLABLE = ", ".join(f"NULLIF(s.\"{c}\", '')" for c in _TEXTS)
_COPY_RECORDS = f"""
    INSERT INTO usage_record (id, batch_id, timestamp_us, meter_id, requests, input_tokens,
        cached_input_tokens, cache_write_tokens, output_tokens, units_micro, request_id,
        conversation_id, "user", api_key, billed_nano, currency, dedupe_key)
    SELECT s.n + %s, %s, s.timestamp_us, s.meter_id, s.requests, s.input_tokens,
        s.cached_input_tokens, s.cache_write_tokens, s.output_tokens, s.units_micro,
        {_NULLABLE},
        NULLIF(s.billed_nano, '')::bigint, NULLIF(s.currency, ''),
        CASE s.dedupe_key WHEN '' THEN 'r:' || m.vendor || ':' || s.request_id
            ELSE s.dedupe_key END
    FROM mb_stage s JOIN meter m ON m.id = s.meter_id
    ORDER BY s.n  -- of two records with one identity in a chunk, the first is kept
    ON CONFLICT (dedupe_key) DO NOTHING"""
_DROP_DUPLICATES = """
    DELETE FROM mb_stage s WHERE NOT EXISTS (SELECT 1 FROM usage_record r WHERE r.id = s.n + %s)"""
_COPY_CHARGES = """
    INSERT INTO usage_charge (record_id, charge_nano, plan_version_id)
    SELECT s.n + %s, s.charge_nano, p.plan_id
    FROM mb_stage s JOIN mb_plans p ON p.idx = s.plan_index"""
_SUMMED = ("records", "requests", "input_tokens", "cached_input_tokens", "cache_write_tokens",
           "output_tokens", "units_micro", "charge_nano", "billed_nano", "unbilled_charge_nano",
           "unbilled_requests")
# store/staging.py's sums; the rollup's columns must be named with the table in DO UPDATE.
_ADD_ROLLUP = f"""
    INSERT INTO usage_rollup AS u (hour, meter_id, plan_version_id, currency,
        {", ".join(_SUMMED)})
    SELECT s.timestamp_us / {US_PER_HOUR}, s.meter_id, coalesce(p.plan_id, 0), s.currency,
        count(*), sum(s.requests), sum(s.input_tokens), sum(s.cached_input_tokens),
        sum(s.cache_write_tokens), sum(s.output_tokens), sum(s.units_micro),
        coalesce(sum(s.charge_nano), 0), coalesce(sum(NULLIF(s.billed_nano, '')::bigint), 0),
        coalesce(sum(CASE WHEN s.billed_nano = '' THEN s.charge_nano END), 0),
        coalesce(sum(CASE WHEN s.billed_nano = '' THEN s.requests END), 0)
    FROM mb_stage s LEFT JOIN mb_plans p ON p.idx = s.plan_index
    WHERE s.plan_index IS NULL OR s.plan_index >= 0  -- not those waiting for their month
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (hour, meter_id, plan_version_id, currency) DO UPDATE SET
        {", ".join(f"{c} = u.{c} + excluded.{c}" for c in _SUMMED)}"""


class CopyWriter(WriterThread):
    """Writes an import's chunks into PostgreSQL by COPY, on a thread of its own
    (store/writer_thread.py), while the next chunk is parsed; the rollup is kept in step
    chunk by chunk, as staging.py does."""

    def __init__(self, conn: Connection, batch_id: int, plan_ids: list[int], _meters=None):
        super().__init__(conn, batch_id)
        self.plan_ids = plan_ids

    def _start(self) -> None:
        with self.raw.cursor() as cursor:
            # A chunk's records are sorted in memory, not in temporary files (the default
            # 4 MB is a quarter of a chunk); for this transaction only.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(_CREATE_STAGE)
            cursor.execute("CREATE TEMPORARY TABLE mb_plans (idx integer PRIMARY KEY, "
                           "plan_id bigint) ON COMMIT DROP")
            cursor.executemany("INSERT INTO mb_plans VALUES (%s, %s)",
                               list(enumerate(self.plan_ids)))

    def put(self, meters: list[tuple], rows: list[tuple], prices: list[tuple], first_id: int,
            _constant: frozenset[int]) -> None:
        # A copy of the list: the reader clears and refills `rows` for the next chunk.
        self.submit((meters, rows[:], prices, first_id))

    def _write(self, job) -> int:
        meters, rows, prices, first_id = job
        write_meters(self.conn, meters)
        offset = first_id - 1
        with self.raw.cursor() as cursor:
            cursor.execute("TRUNCATE mb_stage RESTART IDENTITY")
            with cursor.copy(_COPY_STAGE) as copy:
                write = copy.write_row
                for row, price in zip(rows, prices, strict=True):
                    write(row + price)
            inserted = cursor.execute(_COPY_RECORDS, (offset, self.batch_id)).rowcount
            if inserted != len(rows):
                cursor.execute(_DROP_DUPLICATES, (offset,))
            if inserted:
                cursor.execute(_COPY_CHARGES, (offset,))
                cursor.execute(_ADD_ROLLUP)
        return inserted
