"""The import pipeline: file -> records -> one batch in the store, priced, or nothing at all.

Streaming: lines are parsed, identified and inserted in chunks inside one transaction, so memory
stays flat whatever the file size, and a refusal or a cancel rolls the whole batch back. No
terminal code lives here: progress and cancel are callbacks, so the CLI and the desktop app use
the same pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Connection

from meterbook.core.records import UsageRecord, to_epoch_us
from meterbook.importers.canonical import OccurrenceCounter, open_text, parse_canonical
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.store import repricing
from meterbook.store.database import Database
from meterbook.store.plan_store import load_plans
from meterbook.store.sql import sql
from meterbook.store.usage_store import (
    Meters,
    batch_record_count,
    create_batch,
    insert_records,
    record_tuple,
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
    skip_bad_lines: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    now: datetime | None = None,
) -> ImportSummary:
    """Import usage files as one batch. Raises ImportRefused (nothing added) when lines are
    refused and skip_bad_lines is off, ImportCancelled when `cancelled()` turns true."""
    sources = [_FileSource(Path(p)) for p in paths]
    return _import(db, sources, "canonical", skip_bad_lines, dry_run, progress, cancelled, now)


def import_records(db: Database, records: Iterable[UsageRecord], *, name: str, profile: str,
                   now: datetime | None = None) -> ImportSummary:
    """Records made by Meterbook itself (the demo) as one batch, like a file's."""
    return _import(db, [_RecordSource(name, records)], profile, False, False, None, None, now)


class _FileSource:
    """A usage file: its records, and how far into it the reading is (for progress)."""

    def __init__(self, path: Path):
        self.path, self.name, self.size = path, path.name, path.stat().st_size
        self._text = None

    def __iter__(self) -> Iterator[tuple[UsageRecord | LineError, list[str]]]:
        with open_text(self.path) as text:
            self._text = text
            for _line, item, cells in parse_canonical(text, self.name):
                yield item, cells

    def position(self) -> int:
        try:
            return self._text.buffer.tell()
        except (AttributeError, OSError, ValueError):
            return 0


class _RecordSource:
    def __init__(self, name: str, records: Iterable[UsageRecord]):
        self.name, self.size, self.records = name, 0, records

    def __iter__(self) -> Iterator[tuple[UsageRecord | LineError, list[str]]]:
        return ((record, []) for record in self.records)

    def position(self) -> int:
        return 0


def _import(db, sources, profile, skip_bad_lines, dry_run, progress, cancelled, now
            ) -> ImportSummary:
    summary = ImportSummary(batch=None, files=[s.name for s in sources], profile=profile,
                            dry_run=dry_run)
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
    batch_id = create_batch(conn, summary.files, summary.profile, now)
    meters = Meters(conn)
    vendors: set[str] = set()
    earliest: int | None = None
    refused_rows: list[tuple] = []
    total_bytes = sum(source.size for source in sources)
    done_bytes = 0
    for source in sources:
        chunk: list[tuple] = []
        occurrences = OccurrenceCounter()
        for item, cells in source:
            summary.lines += 1
            if isinstance(item, LineError):
                summary.errors.append(item)
                refused_rows.append((batch_id, item.file, item.line, item.detail,
                                     ",".join(cells)))
                continue
            key = occurrences.key(item)
            chunk.append(record_tuple(batch_id, meters.id_for(item), item, key))
            vendors.add(item.vendor)
            ts = to_epoch_us(item.timestamp)
            earliest = ts if earliest is None or ts < earliest else earliest
            if len(chunk) >= _CHUNK:
                _flush(conn, chunk, cancelled)
                if progress:
                    progress(min(done_bytes + source.position(), total_bytes), total_bytes)
        _flush(conn, chunk, cancelled)
        done_bytes += source.size
        if progress:
            progress(done_bytes, total_bytes)
    summary.refused = len(summary.errors)
    summary.added = batch_record_count(conn, batch_id)
    summary.duplicates = summary.lines - summary.refused - summary.added
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
        plans = load_plans_for(conn)
        repricing.reprice(conn, plans, vendors, earliest, rebuild_rollup=True,
                          cancelled=cancelled)
        summary.batch = batch_id


def load_plans_for(conn: Connection):
    from sqlmodel import Session

    with Session(bind=conn) as session:
        return load_plans(session)


def _flush(conn: Connection, chunk: list[tuple], cancelled) -> None:
    if cancelled and cancelled():
        raise ImportCancelled()
    insert_records(conn, chunk)
    chunk.clear()
