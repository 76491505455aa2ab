"""Writing usage: meters, import batches and records, in bulk, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from meterbook.core.records import UsageRecord, to_epoch_us
from meterbook.store.sql import marks, sql

_RECORD_COLUMNS = (
    "id", "batch_id", "timestamp_us", "meter_id", "requests", "input_tokens", "cached_input_tokens",
    "cache_write_tokens", "output_tokens", "units_micro", "request_id", "conversation_id",
    "\"user\"", "api_key", "billed_nano", "currency", "dedupe_key",
)  # fmt: skip

MeterKey = tuple[str, str, str, str, str]  # vendor, model, project, service_tier, unit_name


class Meters:
    """The meter table as a dict, loaded once per transaction.

    A new meter gets its id here (the next after the largest) and waits in `pending` until
    `write_meters` stores it, before the records that use it: the import pipeline writes on a
    thread of its own, and ids known at once let parsing run ahead of it. Meter ids are always
    given explicitly, so no database sequence is ever relied on.
    """

    def __init__(self, conn: Connection | None):
        """The store's meters; none at all without a connection (a parse with no store)."""
        self.conn = conn
        self.ids: dict[MeterKey, int] = {}
        self.keys: dict[int, MeterKey] = {}
        self.pending: list[tuple] = []
        rows = [] if conn is None else conn.exec_driver_sql(
            "SELECT id, vendor, model, project, service_tier, unit_name FROM meter")
        for mid, *key in rows:
            self.ids[tuple(key)] = mid
            self.keys[mid] = tuple(key)
        self.next_id = max(self.keys, default=0) + 1

    def id_for(self, record: UsageRecord) -> int:
        key = (record.vendor, record.model, record.project or "", record.service_tier or "",
               record.unit_name or "")
        found = self.ids.get(key)
        return self.new_id(key) if found is None else found

    def new_id(self, key: MeterKey) -> int:
        """The id of a meter not seen before (ids.get(key) was None)."""
        found = self.next_id
        self.next_id += 1
        self.ids[key] = found
        self.keys[found] = key
        self.pending.append((found, *key))
        return found

    def adopt(self, meters: list[tuple]) -> None:
        """Learn meters that another process's Meters gave ids (its take_pending())."""
        for found, *key in meters:
            self.ids[tuple(key)] = found
            self.keys[found] = tuple(key)
            self.next_id = max(self.next_id, found + 1)

    def take_pending(self) -> list[tuple]:
        taken, self.pending = self.pending, []
        return taken


    def info(self) -> dict[int, tuple[str, str, str, str]]:
        """meter id -> (vendor, model, project, service_tier), as the pricing engine reads."""
        return {mid: key[:4] for mid, key in self.keys.items()}

    def ids_for_vendors(self, vendors: Iterable[str]) -> list[int]:
        wanted = {v.lower() for v in vendors}
        return sorted(mid for mid, key in self.keys.items() if key[0].lower() in wanted)


def write_meters(conn: Connection, meters: list[tuple]) -> None:
    if meters:
        conn.exec_driver_sql(sql(conn, "INSERT INTO meter (id, vendor, model, project, "
                                 "service_tier, unit_name) VALUES (?, ?, ?, ?, ?, ?)"), meters)


def create_batch(conn: Connection, files: list[str], profile: str, now: datetime | None = None
                 ) -> int:
    """A new batch, numbered after the largest: as SQLite numbers rows, and so on PostgreSQL
    too, whose sequences would skip the numbers of refused imports (the caller holds
    postgres.lock_usage_writes there)."""
    created = to_epoch_us(now or datetime.now(UTC))
    return conn.exec_driver_sql(
        sql(conn, "INSERT INTO import_batch (id, created_us, files, profile, lines, added, "
            "duplicates, refused) SELECT coalesce(max(id), 0) + 1, ?, ?, ?, 0, 0, 0, 0 "
            "FROM import_batch RETURNING id"),
        (created, "\n".join(files), profile)).scalar_one()


def record_tuple(record_id: int, batch_id: int, row: tuple, vendor: str) -> tuple:
    """A usage_record row (_RECORD_COLUMNS) of a stage row (store/staging.py) of `vendor`."""
    (key, ts, meter, requests, input_tokens, cached, written, output, units, request_id,
     conversation_id, user, api_key, billed, currency) = row[:15]
    key = key or request_key(vendor, request_id)
    return (
        record_id, batch_id, ts, meter, requests, input_tokens, cached, written, output, units,
        request_id or None, conversation_id or None, user or None, api_key or None,
        None if billed == "" else billed, currency or None, key,
    )  # fmt: skip


def request_key(vendor: str, request_id: str) -> str:
    """The identity of a record with a request_id (importers/identity.py OccurrenceCounter);
    staging.py builds the same in SQL, postgres.py with this."""
    return f"r:{vendor}:{request_id}"


def insert_records(conn: Connection, rows: list[tuple]) -> tuple[int, set[int] | None]:
    """Insert record tuples (record_tuple); records already stored (same dedupe key) are
    skipped. Returns how many were inserted, and None when that is all of them, else the ids
    of those that were."""
    if not rows:
        return 0, None
    cols = ", ".join(_RECORD_COLUMNS)
    statement = (f"INSERT INTO usage_record ({cols}) VALUES ({marks(conn, len(_RECORD_COLUMNS))})"
                 " ON CONFLICT (dedupe_key) DO NOTHING")
    inserted = conn.exec_driver_sql(statement, rows).rowcount
    if inserted == len(rows):
        return inserted, None
    first, last = min(r[0] for r in rows), max(r[0] for r in rows)
    return inserted, {i for (i,) in conn.exec_driver_sql(
        sql(conn, "SELECT id FROM usage_record WHERE id >= ? AND id <= ?"), (first, last))}


def next_record_id(conn: Connection) -> int:
    """Records get their ids from the importer, so that a record can be priced before it is
    stored; one import writes at a time (one transaction), so the next id is free."""
    last = conn.exec_driver_sql("SELECT max(id) FROM usage_record").scalar_one()
    return (last or 0) + 1


def insert_charges(conn: Connection, charges: list[tuple]) -> None:
    """(charge, plan id, record id) of records just inserted."""
    if charges:
        conn.exec_driver_sql(sql(conn, "INSERT INTO usage_charge (charge_nano, plan_version_id, "
                                 "record_id) VALUES (?, ?, ?)"), charges)
