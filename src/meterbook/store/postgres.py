"""What only PostgreSQL needs: one import at a time in a shared database, and bulk writes by COPY.

A team shares one PostgreSQL database, so several people may import at once. Record and meter
ids are assigned by the importer (the next after the largest), so that a record can be priced
before it is stored; two imports reading the same largest id would then collide. Each import
therefore takes a transaction-scoped advisory lock first (`lock_usage_writes`): a second import
waits until the first has committed or rolled back, then reads the ids and the records the first
stored, and skips what is already there. SQLite has one writer at a time anyway; there the lock
is a no-op. Undo and re-pricing take the same lock.

Writes use PostgreSQL's own fast path: each chunk's new records are COPYed straight into
usage_record and their charges into usage_charge, and one INSERT ... SELECT adds them to
usage_rollup, instead of a round trip per row. (Measured on a million lines: COPY into a stage
table, then INSERT ... SELECT ... ON CONFLICT into usage_record, took a fifth longer.)
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from meterbook.core.pause_points import pause_point
from meterbook.core.records import STAGE_COLUMNS
from meterbook.store.errors import DatabaseError
from meterbook.store.rollup import US_PER_HOUR
from meterbook.store.usage_store import request_key, write_meters
from meterbook.store.writer_thread import WriterThread

# Any fixed 64-bit number, the same in every Meterbook: "mb" "usage" in ASCII.
USAGE_LOCK = 0x6D62_7573_6167_65


# The foreign keys that PostgreSQL databases check by statement-level triggers instead
# (migration 0004): tables.py still declares them, as SQLite keeps them.
CHECKED_BY_TRIGGERS = frozenset({"fk_usage_record_batch_id_import_batch",
                                 "fk_usage_record_meter_id_meter"})


def lock_usage_writes(conn: Connection) -> None:
    """Wait for any other import into this PostgreSQL database to finish, and keep others
    waiting until this transaction ends (commit, rollback or a lost connection alike)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({USAGE_LOCK})")


# Records go straight into usage_record by COPY, with no stage table and no INSERT ... SELECT:
# COPY inserts rows in batches, which an INSERT does not, and there is then no second table to
# fill. What ON CONFLICT did is done before the COPY: the chunk's identity keys already stored
# are asked for (one index probe each), and a key met twice in a chunk keeps its first record.
# That is safe because every Meterbook write of records (imports, undo, re-pricing) holds
# USAGE_LOCK; a writer that does not could make the COPY fail on the unique key: the import
# then rolls back whole and says why (_STORED_MEANWHILE).
_RECORD_COLUMNS = ("id", "batch_id", "dedupe_key",
                   *STAGE_COLUMNS[1:STAGE_COLUMNS.index("currency") + 1])
# Text COPY with NULL '': a stage row's absent texts and amounts are "" (core/records.py),
# which the server then reads as NULL, with no per-value work in Python.
_COPY_RECORDS = ("COPY usage_record (" + ", ".join(f'"{c}"' for c in _RECORD_COLUMNS)
                 + ") FROM STDIN (FORMAT text, NULL '')")
_COPY_CHARGES = "COPY usage_charge (record_id, charge_nano, plan_version_id) FROM STDIN"
# The keys travel as one text, split by the server: psycopg turns a list of 20,000 texts into
# an array in Python, which took as long as writing the chunk. \x1e (record separator) is in
# no key a file gives in practice; a chunk with one in a key sends the list as it is.
_SEPARATOR = "\x1e"
_STORED_KEYS = ("SELECT dedupe_key FROM usage_record "
                "WHERE dedupe_key = ANY(string_to_array(%s, E'\\x1e'))")
_STORED_KEYS_LISTED = "SELECT dedupe_key FROM usage_record WHERE dedupe_key = ANY(%s)"
_SUMMED = ("records", "requests", "input_tokens", "cached_input_tokens", "cache_write_tokens",
           "output_tokens", "units_micro", "charge_nano", "billed_nano", "unbilled_charge_nano",
           "unbilled_requests")
# store/staging.py's sums, over the chunk's records as stored (ids first_id .. last_id; ids
# are given under USAGE_LOCK, so no one else's lie there), less those waiting for their month's
# volume tiers; the rollup's columns must be named with the table in DO UPDATE.
_ADD_ROLLUP = f"""
    INSERT INTO usage_rollup AS u (hour, meter_id, plan_version_id, currency,
        {", ".join(_SUMMED)})
    SELECT r.timestamp_us / {US_PER_HOUR}, r.meter_id, coalesce(c.plan_version_id, 0),
        coalesce(r.currency, ''),
        count(*), sum(r.requests), sum(r.input_tokens), sum(r.cached_input_tokens),
        sum(r.cache_write_tokens), sum(r.output_tokens), sum(r.units_micro),
        coalesce(sum(c.charge_nano), 0), coalesce(sum(r.billed_nano), 0),
        coalesce(sum(CASE WHEN r.billed_nano IS NULL THEN c.charge_nano END), 0),
        coalesce(sum(CASE WHEN r.billed_nano IS NULL THEN r.requests END), 0)
    FROM usage_record r LEFT JOIN usage_charge c
        ON c.record_id = r.id AND c.record_id BETWEEN %(first)s AND %(last)s
    {{waiting}}
    WHERE r.id BETWEEN %(first)s AND %(last)s {{not_waiting}}
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (hour, meter_id, plan_version_id, currency) DO UPDATE SET
        {", ".join(f"{c} = u.{c} + excluded.{c}" for c in _SUMMED)}"""
_ADD_ALL = _ADD_ROLLUP.format(waiting="", not_waiting="")
_ADD_BUT_WAITING = _ADD_ROLLUP.format(
    waiting="LEFT JOIN unnest(%(waiting)s::bigint[]) AS w(id) ON w.id = r.id",
    not_waiting="AND w.id IS NULL")
# Only a program that writes records without USAGE_LOCK can make the key check miss one.
_STORED_MEANWHILE = (
    "while this import ran, another program (not Meterbook, which waits its turn) stored a "
    "record with the same identity as one of the file's; nothing was imported: import the "
    "file again")
_VENDOR, _METER, _REQUEST_ID = 0, 2, STAGE_COLUMNS.index("request_id")


class CopyWriter(WriterThread):
    """Writes an import's chunks into PostgreSQL by COPY, on a thread of its own
    (store/writer_thread.py), while the next chunk is parsed; the rollup is kept in step
    chunk by chunk, as staging.py does."""

    def __init__(self, conn: Connection, batch_id: int, plan_ids: list[int], meters):
        super().__init__(conn, batch_id)
        self.plan_ids = plan_ids
        self.vendors = meters.keys  # meter id -> key, whose first field is the vendor

    def _start(self) -> None:
        with self.raw.cursor() as cursor:
            # The check of a chunk's batch and meter (migration 0004) holds the chunk's records
            # in memory, not in a temporary file (the default 4 MB is less than a chunk); for
            # this transaction only.
            cursor.execute("SET LOCAL work_mem = '64MB'")

    def put(self, meters: list[tuple], rows: list[tuple], prices: list[tuple], first_id: int,
            _constant: frozenset[int]) -> None:
        # A copy of the list: the reader clears and refills `rows` for the next chunk.
        self.submit((meters, rows[:], prices, first_id))

    def _write(self, job) -> int:
        from psycopg.errors import UniqueViolation  # here: psycopg is there only for PostgreSQL

        meters, rows, prices, first_id = job
        write_meters(self.conn, meters)
        # A record with a request id has "" for its key in the stage row: it is built here.
        vendors = self.vendors
        keys = [row[0] or request_key(vendors[row[_METER]][_VENDOR], row[_REQUEST_ID])
                for row in rows]
        with self.raw.cursor() as cursor:
            joined = _SEPARATOR.join(keys)
            if joined.count(_SEPARATOR) == len(keys) - 1:
                stored = {key for key, in cursor.execute(_STORED_KEYS, (joined,))}
            else:
                stored = {key for key, in cursor.execute(_STORED_KEYS_LISTED, (keys,))}
            kept = _first_of_each(keys, stored)
            if not kept:
                return 0
            try:
                with cursor.copy(_COPY_RECORDS) as copy:
                    write = copy.write_row
                    batch_id = self.batch_id
                    for n in kept:
                        write((first_id + n, batch_id, keys[n], *rows[n][1:]))
            except UniqueViolation:
                raise DatabaseError(_STORED_MEANWHILE) from None
            plan_ids = self.plan_ids
            waiting = []  # priced later, by month (volume tiers): no charge, no rollup yet
            with cursor.copy(_COPY_CHARGES) as copy:
                write = copy.write_row
                for n in kept:
                    charge, index = prices[n]
                    if index is not None:
                        if index >= 0:
                            write((first_id + n, charge, plan_ids[index]))
                        else:
                            waiting.append(first_id + n)
            last_id = first_id + len(rows) - 1
            if waiting:
                cursor.execute(_ADD_BUT_WAITING, {"waiting": waiting, "first": first_id,
                                                  "last": last_id})
            else:
                cursor.execute(_ADD_ALL, {"first": first_id, "last": last_id})
        pause_point("import:chunk-written")
        return len(kept)


def _first_of_each(keys: list[str], stored: set[str]) -> list[int]:
    """The positions of the keys not stored, the first of each only."""
    if not stored and len(set(keys)) == len(keys):
        return list(range(len(keys)))
    seen = set(stored)
    kept = []
    for n, key in enumerate(keys):
        if key not in seen:
            seen.add(key)
            kept.append(n)
    return kept
