"""The import pipeline: file -> records -> one batch in the store, priced, or nothing at all.

Streaming: lines are parsed, identified and inserted in chunks inside one transaction, so memory
stays flat whatever the file size, and a refusal or a cancel rolls the whole batch back. No
terminal code lives here: progress and cancel are callbacks, so the CLI and the desktop app use
the same pipeline.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Connection

from meterbook.core.bulk import gc_paused
from meterbook.core.pricing import PricingEngine
from meterbook.core.records import UsageRecord
from meterbook.importers.canonical import OccurrenceCounter
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.mapping import ColumnMapping
from meterbook.importers.sources import FileSource, RecordSource
from meterbook.store import readers, repricing, rollup
from meterbook.store.database import Database
from meterbook.store.sql import sql
from meterbook.store.usage_store import (
    Meters,
    create_batch,
    insert_charges,
    insert_records,
    next_record_id,
    record_tuple,
    write_meters,
)  # fmt: skip

Progress = Callable[[int, int], None]  # (bytes read, bytes in all files)

_CHUNK = 20_000


class ImportCancelled(Exception):
    """The user cancelled; the database is exactly as it was."""


@dataclass
class ImportSummary:
    batch: int | None
    files: list[str]
    profile: str
    lines: int = 0
    added: int = 0
    duplicates: int = 0
    refused: int = 0
    errors: list[LineError] = field(default_factory=list)
    dry_run: bool = False

    def as_json(self) -> dict:
        """The summary of cli.md (`import --format json`)."""
        return {
            "batch": self.batch, "files": self.files, "profile": self.profile,
            "lines": self.lines, "added": self.added, "duplicates": self.duplicates,
            "refused": self.refused,
            "errors": [{"file": e.file, "line": e.line, "message": e.detail}
                       for e in self.errors],
            **({"dry_run": True} if self.dry_run else {}),
        }


class _RollBack(Exception):
    """Raised inside the transaction to leave the database exactly as it was."""


def import_files(
    db: Database,
    paths: list[str | Path],
    *,
    profile: str | None = None,
    mapping: ColumnMapping | None = None,
    skip_bad_lines: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    now: datetime | None = None,
) -> ImportSummary:
    """Import usage files as one batch. Each file's format is recognised from its header (or
    JSON shape), or named by `profile` (a format or a saved column mapping), or given as a
    `mapping`. Raises ImportRefused (nothing added) for a file of no known format, or when
    lines are refused and skip_bad_lines is off; ImportCancelled when `cancelled()` turns
    true."""
    with db.engine.connect() as conn:
        sources = [FileSource(Path(p), conn=conn, profile=profile, mapping=mapping)
                   for p in paths]
    return import_sources(db, sources, skip_bad_lines=skip_bad_lines, dry_run=dry_run,
                          progress=progress, cancelled=cancelled, now=now)


def import_records(db: Database, records: Iterable[UsageRecord], *, name: str, profile: str,
                   now: datetime | None = None) -> ImportSummary:
    """Records made by Meterbook itself (the demo) as one batch, like a file's."""
    return import_sources(db, [RecordSource(name, records, profile)], now=now)


def import_sources(db: Database, sources: list, *, skip_bad_lines: bool = False,
                   dry_run: bool = False, progress: Progress | None = None,
                   cancelled: Callable[[], bool] | None = None, now: datetime | None = None
                   ) -> ImportSummary:
    """Import sources (importers/sources.py: files, each with its own format or mapping, or
    records) as one batch; import_files builds them from paths."""
    profiles = list(dict.fromkeys(s.profile for s in sources))  # each once, in file order
    summary = ImportSummary(batch=None, files=[s.name for s in sources],
                            profile=",".join(profiles), dry_run=dry_run)
    try:
        with db.engine.begin() as conn:
            _run(conn, sources, summary, skip_bad_lines, progress, cancelled, now)
            if summary.batch is None:
                raise _RollBack()  # refused, a dry run, or nothing new: keep nothing
    except _RollBack:
        if summary.errors and not skip_bad_lines:
            refused = ImportRefused(summary.errors)
            # The counts of what was read, for the JSON summary; nothing was added.
            summary.added, summary.duplicates = 0, 0
            refused.summary = summary
            raise refused from None
    return summary


def _run(conn: Connection, sources, summary, skip_bad_lines, progress, cancelled, now) -> None:
    """Parse, price and store every record, then the tiered months and the rollup.

    Records are priced as they are read (they need nothing but their own figures), except
    those of volume-tiered plans, which wait for their whole billing month (reprice_tiered).
    """
    batch_id = create_batch(conn, summary.files, summary.profile, now)
    meters = Meters(conn)
    plans = readers.load_plans(conn)
    engine = PricingEngine([plan for _, plan in plans])
    plan_ids = [pid for pid, _ in plans]
    record_id = next_record_id(conn)
    vendors: set[str] = set()
    deferred: set[str] = set()
    earliest: int | None = None
    records_read = 0
    refused_rows: list[tuple] = []
    total_bytes = sum(source.size for source in sources)
    done_bytes = 0
    with _Writer(conn) as writer:
        for source in sources:
            chunk: list[tuple] = []
            occurrences = OccurrenceCounter()
            last_line = None
            for line, item, cells in source:
                if line != last_line:  # a line may hold more than one record
                    summary.lines += 1
                    last_line = line
                if isinstance(item, LineError):
                    summary.errors.append(item)
                    refused_rows.append((batch_id, item.file, item.line, item.detail,
                                         ",".join(cells)))
                    continue
                records_read += 1
                key = occurrences.key(item)
                chunk.append(record_tuple(record_id, batch_id, meters.id_for(item), item, key))
                record_id += 1
                vendors.add(item.vendor)
                if len(chunk) >= _CHUNK:
                    if cancelled and cancelled():
                        raise ImportCancelled()
                    earliest = _hand_over(chunk, meters, engine, plan_ids, deferred, writer,
                                          earliest)
                    chunk = []
                    if progress:
                        progress(min(done_bytes + source.position(), total_bytes), total_bytes)
            earliest = _hand_over(chunk, meters, engine, plan_ids, deferred, writer, earliest)
            done_bytes += source.size
            if progress:
                progress(done_bytes, total_bytes)
    summary.refused = len(summary.errors)
    summary.added = writer.added
    # Records already stored (a line may hold more than one record, so count records).
    summary.duplicates = records_read - summary.added
    if summary.errors and not skip_bad_lines:
        return
    if refused_rows:
        conn.exec_driver_sql(sql(conn, "INSERT INTO refused_line (batch_id, file, line, "
                                 "message, text) VALUES (?, ?, ?, ?, ?)"), refused_rows)
    conn.exec_driver_sql(sql(conn, "UPDATE import_batch SET lines = ?, added = ?, "
                             "duplicates = ?, refused = ? WHERE id = ?"),
                         (summary.lines, summary.added, summary.duplicates, summary.refused,
                          batch_id))
    if summary.added and not summary.dry_run:
        start = repricing.scope_start(earliest)
        if deferred:
            charges = repricing.ChargeWriter(conn, cancelled)
            repricing.reprice_tiered(conn, engine, plan_ids, deferred, start, None, charges)
        rollup.rebuild(conn, meters.ids_for_vendors(vendors), start)
        summary.batch = batch_id


def _hand_over(chunk, meters, engine, plan_ids, deferred, writer, earliest):
    """Price a chunk of new records and queue it, with its charges, for the writer."""
    if not chunk:
        return earliest
    with gc_paused():
        # Record tuples start id, batch, timestamp, meter, then the five counts and units:
        # the engine's row layout once the batch is left out.
        rows = [(r[0], r[2], r[3], *r[4:10]) for r in chunk]
        results, names = engine.price_untiered(rows, meters.keys)
        deferred |= names
        charges = [(charge, plan_ids[index], row[0])
                   for row, (charge, index) in zip(rows, results, strict=True)
                   if index is not None and index != -1]
    first = min(r[1] for r in rows)
    writer.put(meters.take_pending(), chunk, charges)
    return first if earliest is None or first < earliest else earliest


class _Writer:
    """Inserts chunks of records on a thread of its own while the next chunk is parsed.

    SQLite does its part of an insert without holding Python's lock, so parsing and writing
    overlap on two cores. The queue holds two chunks at most: memory stays flat. The main
    thread does not touch the connection until the writer has finished (close()).
    """

    def __init__(self, conn: Connection):
        self.conn = conn
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.added = 0  # records inserted (those already stored are skipped)
        self.thread = threading.Thread(target=self._work, name="meterbook-import-writer",
                                       daemon=True)

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def put(self, meters: list[tuple], records: list[tuple], charges: list[tuple]) -> None:
        if self.error is not None:
            raise self.error
        if meters or records:
            self.queue.put((meters, records, charges))

    def _work(self) -> None:
        while True:
            job = self.queue.get()
            if job is None:
                return
            if self.error is not None:
                continue  # drain: the main thread will raise
            meters, records, charges = job
            try:
                write_meters(self.conn, meters)
                count, inserted = insert_records(self.conn, records)
                self.added += count
                if inserted is not None:  # some were already stored: no charge for those
                    charges = [c for c in charges if c[2] in inserted]
                insert_charges(self.conn, charges)
            except BaseException as exc:  # handed to the main thread
                self.error = exc

    def __exit__(self, exc_type, exc, tb) -> None:
        self.queue.put(None)
        self.thread.join()
        if exc_type is None and self.error is not None:
            raise self.error
