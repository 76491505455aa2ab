"""The import pipeline: file -> records -> one batch in the store, priced, or nothing at all.

Streaming: lines are parsed, identified and inserted in chunks inside one transaction, so memory
stays flat whatever the file size, and a refusal or a cancel rolls the whole batch back. No
terminal code lives here: progress and cancel are callbacks, so the CLI and the desktop app use
the same pipeline.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path

from sqlalchemy.engine import Connection

from meterbook.core.bulk import gc_paused
from meterbook.core.forked import die_with, fork_is_safe
from meterbook.core.pause_points import pause_point
from meterbook.core.pricing import PricingEngine
from meterbook.core.records import UsageRecord, to_epoch_us
from meterbook.importers.chunks import Chunks, last_hours
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.mapping import ColumnMapping, OpenedCsv
from meterbook.importers.sources import FileSource, RecordSource
from meterbook.importers.stage_rows import StageRows
from meterbook.store import readers, repricing, rollup
from meterbook.store.alerts import check_alerts_safely
from meterbook.store.database import Database, explain_sqlite_error
from meterbook.store.postgres import CopyWriter, lock_usage_writes
from meterbook.store.sql import sql
from meterbook.store.staging import (
    StagePacker,
    apply_stage,
    attach_stage,
    clear_stage,
)  # fmt: skip
from meterbook.store.usage_store import (
    Meters,
    create_batch,
    insert_charges,
    insert_records,
    next_record_id,
    record_tuple,
    write_meters,
)  # fmt: skip
from meterbook.store.writer_thread import WriterThread

Progress = Callable[[int, int], None]  # (bytes read, bytes in all files)

_CHUNK = 20_000

# A record dated more than this after the import's "now" is imported with a warning: a clock or
# a date column gone wrong (a year typed 2062, a day-first date read month-first...).
FUTURE_MARGIN = timedelta(days=1)
# Warnings listed line by line, then counted: a file of a million such lines still reads.
SHOWN_WARNINGS = 100


def clock() -> datetime:
    """The time an import runs at, when the caller gives none (tests replace it)."""
    return datetime.now(UTC)


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
    # Lines of the files that carried nothing to import (OpenAI's empty days); in `lines`.
    empty_lines: int = 0
    # Lines imported all the same but worth a look: dated more than a day after `now`. The
    # first SHOWN_WARNINGS are listed; future_lines counts them all.
    warnings: list[LineError] = field(default_factory=list)
    future_lines: int = 0

    @property
    def kept_refused_only(self) -> bool:
        """A batch was kept for its refused lines alone (--skip-bad-lines, nothing added)."""
        return self.batch is not None and self.added == 0 and self.refused > 0

    def as_json(self) -> dict:
        """The summary of cli.md (`import --format json`); the fields it does not name appear
        only when they have something to say, as `dry_run` does."""
        # cli.md: `batch` is null when nothing was added. A batch kept for its refused lines
        # alone (--skip-bad-lines, every line bad) added no record: its number goes in
        # `refused_batch`, so that a script can list or undo it.
        kept_only_refused = self.kept_refused_only
        return {
            "batch": None if kept_only_refused else self.batch,
            "files": self.files, "profile": self.profile,
            "lines": self.lines, "added": self.added, "duplicates": self.duplicates,
            "refused": self.refused,
            "errors": [{"file": e.file, "line": e.line, "message": e.detail}
                       for e in self.errors],
            **({"refused_batch": self.batch} if kept_only_refused else {}),
            **({"dry_run": True} if self.dry_run else {}),
            **({"empty_lines": self.empty_lines} if self.empty_lines else {}),
            **({"warnings": [{"file": w.file, "line": w.line, "message": w.detail}
                             for w in self.warnings],
                "future_lines": self.future_lines} if self.warnings else {}),
        }


class _RollBack(Exception):
    """Raised inside the transaction to leave the database exactly as it was."""


def import_files(
    db: Database,
    paths: list[str | Path],
    *,
    profile: str | None = None,
    mapping: ColumnMapping | None = None,
    opened: OpenedCsv | None = None,
    skip_bad_lines: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    now: datetime | None = None,
) -> ImportSummary:
    """Import usage files as one batch. Each file's format is recognised from its header (or
    JSON shape), or named by `profile` (a format or a saved column mapping), or given as a
    `mapping`; `opened`, the first file opened to check the mapping against its header, is
    read on from (the caller closes it). Raises ImportRefused (nothing added) for a file of no
    known format, or when lines are refused and skip_bad_lines is off; ImportCancelled when
    `cancelled()` turns true."""
    with db.engine.connect() as conn:
        sources = [FileSource(Path(p), conn=conn, profile=profile, mapping=mapping,
                              opened=opened if n == 0 else None)
                   for n, p in enumerate(paths)]
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
    now = now or clock()
    summary = ImportSummary(batch=None, files=[s.name for s in sources],
                            profile=",".join(profiles), dry_run=dry_run)
    try:
        with db.engine.begin() as conn:
            _run(conn, sources, summary, skip_bad_lines, progress, cancelled, now)
            if summary.batch is None:
                raise _RollBack()  # refused, a dry run, or nothing new: keep nothing
    except OverflowError:  # a charge beyond the store's 64-bit integers
        raise _too_large(sources) from None
    except sqlite3.Error as exc:  # the staged writer's raw statements (a full disk...)
        if "integer overflow" in str(exc):  # a sum of such charges
            raise _too_large(sources) from None
        told = explain_sqlite_error(db.engine, exc)
        if told is None:
            raise
        raise told from exc
    except _RollBack:
        if summary.errors and not skip_bad_lines:
            refused = ImportRefused(summary.errors)
            # The counts of what was read, for the JSON summary; nothing was added.
            summary.added, summary.duplicates = 0, 0
            refused.summary = summary
            raise refused from None
    if summary.added and not summary.dry_run:
        check_alerts_safely(db, now)  # budget alerts (issue 8), never failing the import
    return summary


def _too_large(sources) -> ImportRefused:
    """Counts and prices whose charges (in billionths) no 64-bit integer holds: each is
    possible alone (a count up to 2**53, any price), not together. The stage rows carry no
    line numbers, so the files as a whole are refused."""
    return ImportRefused([LineError(
        source.name, 0, None, "a charge comes to more than Meterbook can store (over 9 billion "
        "in the plan's currency): check the file's token counts and the plans' prices; "
        "nothing was imported") for source in sources])


def _run(conn: Connection, sources, summary, skip_bad_lines, progress, cancelled, now) -> None:
    """Parse, price and store every record, then the volume-tiered months.

    Records are priced as they are read (they need nothing but their own figures), except
    those of volume-tiered plans, which wait for their whole billing month (reprice_tiered).
    """
    # In a shared PostgreSQL database: wait for other imports, then read the largest ids.
    lock_usage_writes(conn)
    batch_id = create_batch(conn, summary.files, summary.profile, now)
    pause_point("import:batch-created")
    meters = Meters(conn)
    plans = readers.load_plans(conn)
    engine = PricingEngine([plan for _, plan in plans])
    chunks = Chunks(engine, [pid for pid, _ in plans], meters, next_record_id(conn),
                     last_hours(conn))
    reader = _Reader(sources, batch_id, meters, chunks)
    # Meters whose rollup sums the writer did not keep in step (none: staging.py keeps them).
    rebuild: set[int] = set()
    # Millions of rows and no reference cycles: the collector would only rescan them.
    with gc_paused():
        if staged(conn) and _fork_pays(sources):
            added = _read_in_child(conn, reader, batch_id, progress, cancelled)
        else:
            writer_class = (_StagedWriter if staged(conn) else
                            CopyWriter if conn.dialect.name == "postgresql" else _PortableWriter)
            with writer_class(conn, batch_id, chunks.plan_ids, meters) as writer:
                reader.run(writer.put, progress, cancelled)
            added = writer.added
            rebuild |= writer.rollup_meters
    summary.lines, summary.errors = reader.lines, reader.errors
    summary.empty_lines = reader.empty_lines
    _warn_of_the_future(sources, reader.latest, now, summary)
    records_read, refused_rows = reader.records_read, reader.refused_rows
    summary.refused = len(summary.errors)
    summary.added = added
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
    if summary.dry_run:
        return
    if refused_rows and not summary.added:
        # --skip-bad-lines and nothing new: the batch is kept for its refused lines (README).
        summary.batch = batch_id
    if summary.added:
        start = repricing.scope_start(chunks.earliest)
        complete = chunks.tiers_complete(added == records_read)
        if chunks.deferred and not complete:
            charges = repricing.ChargeWriter(conn, cancelled)
            repricing.reprice_tiered(conn, engine, chunks.plan_ids, chunks.deferred, start,
                                     None, charges)
        if not complete:  # tiered rows went in unpriced or priced again: no rollup sums
            rebuild |= chunks.tiered_meters
        if rebuild:
            rollup.rebuild(conn, sorted(rebuild), start)
        summary.batch = batch_id
        pause_point("import:before-commit")


class _Reader:
    """Reads the sources into priced chunks of stage rows: the part that needs no store."""

    def __init__(self, sources, batch_id: int, meters: Meters, chunks: Chunks):
        self.sources, self.batch_id, self.meters, self.chunks = sources, batch_id, meters, chunks
        self.lines = 0
        self.empty_lines = 0  # of `lines`: lines that carried nothing to import
        self.records_read = 0
        self.latest = -1  # the latest record's instant (epoch microseconds), -1 before any
        self.errors: list[LineError] = []
        self.refused_rows: list[tuple] = []
        self.position = 0  # bytes read, of all the sources

    def run(self, put, progress: Progress | None, cancelled) -> None:
        """Hand each chunk to put(new meters, stage rows, their prices, first record id, the
        stage columns that are constant in this source)."""
        total_bytes = sum(source.size for source in self.sources)
        done_bytes = 0
        chunks, errors, refused, batch_id = self.chunks, self.errors, self.refused_rows, \
            self.batch_id
        for source in self.sources:
            stage = StageRows(self.meters, _CHUNK)
            to_row = stage.row
            rows = stage.rows  # a fast path appends here too (canonical.parse_canonical)
            read_before, yielded = self.records_read, 0
            last_line = None
            for line, item, cells in source.items(stage):
                if item is not None:  # None: TICK, a fast path has filled rows
                    if line != last_line:  # a line may hold more than one record
                        self.lines += 1
                        last_line = line
                    if isinstance(item, LineError):
                        errors.append(item)
                        refused.append((batch_id, item.file, item.line, item.detail,
                                        ",".join(cells)))
                        continue
                    rows.append(to_row(item))
                    yielded += 1
                if len(rows) >= _CHUNK:
                    if cancelled and cancelled():
                        raise ImportCancelled()
                    self.records_read += len(rows)
                    self.position = min(done_bytes + source.position(), total_bytes)
                    self.latest = max(self.latest, max(map(_INSTANT, rows)))
                    put(*chunks.prepare(rows), stage.constant)
                    rows.clear()
                    if progress:
                        progress(self.position, total_bytes)
            if rows:
                self.records_read += len(rows)
                self.latest = max(self.latest, max(map(_INSTANT, rows)))
                put(*chunks.prepare(rows), stage.constant)
                rows.clear()
            # The rows a fast path appended: a line each; and the lines that yielded nothing.
            self.lines += self.records_read - read_before - yielded
            self.lines += source.empty_lines
            self.empty_lines += source.empty_lines
            done_bytes += source.size
            self.position = done_bytes
            if progress:
                progress(done_bytes, total_bytes)


_INSTANT = itemgetter(1)  # a stage row's instant (stage_rows.py)


def _warn_of_the_future(sources, latest: int, now: datetime, summary: ImportSummary) -> None:
    """Warn of the lines dated more than FUTURE_MARGIN after `now`, listing them.

    The reader only keeps the latest instant (a max per chunk: stage rows have no line
    numbers); the lines are found by scanning the files' dates again, which costs a second
    read only when there is something to tell.
    """
    limit = now + FUTURE_MARGIN
    if latest <= to_epoch_us(limit):
        return
    shown_now = f"{now.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    refused = {(error.file, error.line) for error in summary.errors}
    for source in sources:
        if not isinstance(source, FileSource):
            continue
        last_line = None
        for line, instant in source.lines_after(limit):
            if line == last_line or (source.name, line) in refused:
                continue
            last_line = line
            summary.future_lines += 1
            if len(summary.warnings) < SHOWN_WARNINGS:
                when = instant.astimezone(UTC)
                message = (f"dated {when:%Y-%m-%d %H:%M} UTC, more than a day after "
                           f"now ({shown_now}); imported, but is the date right?")
                summary.warnings.append(LineError(source.name, line, None, message))


# Reading in a process of its own pays off for big files only (it costs a fork), and is safe
# only where fork is (Linux) and no other thread runs (the desktop app's imports use threads).
_FORK_FROM_BYTES = 32 << 20


def _fork_pays(sources) -> bool:
    return (fork_is_safe()
            and all(isinstance(source, FileSource) for source in sources)
            and sum(source.size for source in sources) >= _FORK_FROM_BYTES)


def _read_in_child(conn: Connection, reader: _Reader, batch_id: int,
                   progress: Progress | None, cancelled) -> int:
    """Read in a forked process while this one writes; returns how many records were new.

    Two threads of one process slow each other down in SQLite (its global locks) as much as
    in Python: measured, each side took twice as long as alone. Two processes don't. The
    child reads, prices and packs (StagePacker); this process copies the chunks in
    (apply_stage) and never lets the child touch the store.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child_reads, args=(reader, send, receive, os.getpid()),
                            daemon=True)
    child.start()
    send.close()
    raw = conn.connection.dbapi_connection
    attach_stage(raw)
    added = 0
    total = sum(source.size for source in reader.sources)
    try:
        while True:
            try:
                message = receive.recv()
            except EOFError:
                raise RuntimeError("the import's reading process stopped unexpectedly") from None
            if message[0] == "chunk":
                _, meters, first_id, count, position = message
                data = receive.recv_bytes()
                if cancelled and cancelled():
                    raise ImportCancelled()
                reader.meters.adopt(meters)
                write_meters(conn, meters)
                added += apply_stage(raw, data, first_id, batch_id, count)
                pause_point("import:chunk-written")
                if progress:
                    progress(position, total)
            elif message[0] == "done":
                _, counts, chunk_state = message
                (reader.lines, reader.empty_lines, reader.latest, reader.records_read,
                 reader.errors, reader.refused_rows) = counts
                for name in Chunks.CARRIED:
                    setattr(reader.chunks, name, chunk_state[name])
                return added
            elif message[0] == "refused":
                raise ImportRefused(message[1])
            else:
                raise RuntimeError(f"reading the import failed: {message[1]}")
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
        clear_stage(raw)


def _child_reads(reader: _Reader, send, receive=None, parent: int | None = None) -> None:
    """The forked reader: chunks, then counts and what the chunks learnt, through the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if parent is not None:
        die_with(parent)
    # The fork copied the parent's end of the pipe: closed here, a parent that dies (kill -9)
    # leaves no reader of the pipe, so the next send fails and this process ends, instead of
    # waiting for ever on a full pipe.
    if receive is not None:
        receive.close()
    packer = StagePacker(reader.chunks.plan_ids)

    def put(meters: list[tuple], rows: list[tuple], prices: list[tuple], first_id: int,
            constant: frozenset[int]) -> None:
        send.send(("chunk", meters, first_id, len(rows), reader.position))
        send.send_bytes(packer.pack(rows, prices, constant))
        pause_point("import:reader-chunk")

    try:
        reader.run(put, None, None)
        counts = (reader.lines, reader.empty_lines, reader.latest, reader.records_read,
                  reader.errors, reader.refused_rows)
        state = {name: getattr(reader.chunks, name) for name in Chunks.CARRIED}
        send.send(("done", counts, state))
    except ImportRefused as exc:
        send.send(("refused", exc.errors))
    except OverflowError:  # told as the writing side tells it
        send.send(("refused", _too_large(reader.sources).errors))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent is gone: nobody to tell
    except BaseException as exc:  # told to the parent, which raises it
        send.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        with contextlib.suppress(OSError):
            send.close()


def staged(conn: Connection) -> bool:
    """Whether imports go through staging.py (SQLite); other databases take the portable way."""
    return _STAGING and conn.dialect.name == "sqlite"


_STAGING = True  # tests turn it off to run the portable writer on SQLite


class _StagedWriter(WriterThread):
    """Writes chunks on a thread of its own while the next chunk is parsed (staging.py).

    The parsing thread packs each chunk; the writing thread copies it into the store, in
    statements during which SQLite holds no Python lock, so the two overlap on two cores.
    """

    def __init__(self, conn: Connection, batch_id: int, plan_ids: list[int], _meters: Meters):
        super().__init__(conn, batch_id)
        self.packer = StagePacker(plan_ids)

    def _start(self) -> None:
        attach_stage(self.raw)

    def put(self, meters: list[tuple], rows: list[tuple], prices: list[tuple], first_id: int,
            constant: frozenset[int]) -> None:
        self.submit((meters, self.packer.pack(rows, prices, constant), first_id, len(rows)))

    def _write(self, job) -> int:
        meters, data, first_id, count = job
        write_meters(self.conn, meters)
        added = apply_stage(self.raw, data, first_id, self.batch_id, count)
        pause_point("import:chunk-written")
        return added

    def _finish(self) -> None:
        self.packer.close()
        clear_stage(self.raw)


class _PortableWriter:
    """For databases other than SQLite: plain inserts, in the calling thread, and the rollup
    rebuilt afterwards for the meters written."""

    def __init__(self, conn: Connection, batch_id: int, plan_ids: list[int], meters: Meters):
        self.conn, self.batch_id, self.plan_ids, self.meters = conn, batch_id, plan_ids, meters
        self.added = 0
        self.rollup_meters: set[int] = set()

    def __enter__(self) -> _PortableWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        pass

    def put(self, meters: list[tuple], rows: list[tuple], prices: list[tuple], first_id: int,
            _constant: frozenset[int]) -> None:
        write_meters(self.conn, meters)
        vendors = self.meters.keys
        records = [record_tuple(first_id + n, self.batch_id, row, vendors[row[2]][0])
                   for n, row in enumerate(rows)]
        count, inserted = insert_records(self.conn, records)
        self.added += count
        charges = [(charge, self.plan_ids[index], first_id + n)
                   for n, (charge, index) in enumerate(prices)
                   if index is not None and index >= 0
                   and (inserted is None or first_id + n in inserted)]
        insert_charges(self.conn, charges)
        self.rollup_meters.update(row[2] for row in rows)
