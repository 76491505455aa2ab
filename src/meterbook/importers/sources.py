"""What an import reads: files (any format Meterbook knows, or a column mapping) or records.

A source knows its format before the first record is read, so that the summary can say which
format was recognised and a file that is no known format is refused before anything is done.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from meterbook.core.records import UsageRecord
from meterbook.importers import cells, formats
from meterbook.importers.canonical import open_text, parse_canonical
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.mapping import ColumnMapping, OpenedCsv, as_format, read_header
from meterbook.importers.mapping_guess import unrecognised_header_message
from meterbook.importers.mapping_profiles import load_profile
from meterbook.importers.stage_rows import StageRows

Item = tuple[int, UsageRecord | LineError, list[str]]  # (line, record or error, cells)


def _looks_like_json(path: Path) -> bool:
    with open(path, "rb") as raw:
        head = raw.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def _is_empty(path: Path) -> bool:
    with open(path, "rb") as raw:
        return not raw.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")


# The canonical columns a decimal-comma spreadsheet may have rewritten (cells.SPREADSHEET_FORMS).
_CANONICAL_FORMS: dict[str, Callable[[str], str] | None] = {
    "timestamp": cells.dotted_date,
    **{name: None for name in (  # numbers: the delimiter's form (_spreadsheet_rows)
        "requests", "input_tokens", "cached_input_tokens", "cache_write_tokens",
        "output_tokens", "units", "billed_cost")},
}  # fmt: skip


def _spreadsheet_rows(rows: Iterator[list[str]], delimiter: str) -> Iterator[list[str]]:
    """A canonical file separated by ';' or tabs: its numbers and dates as the canonical
    reader takes them (0,03 -> 0.03, 12.02.2026 -> 2026-02-12), the header first as it is."""
    forms: list[tuple[int, Callable[[str], str]]] | None = None
    numbers = cells.tab_comma_number if delimiter == "\t" else cells.comma_number
    for row in rows:
        if forms is None:
            if any(cell.strip() for cell in row):  # the header
                forms = [(i, _CANONICAL_FORMS[name] or numbers)
                         for i, name in enumerate(formats.normalise_header(row))
                         if name in _CANONICAL_FORMS]
        else:
            for i, form in forms:
                if i < len(row):
                    row[i] = form(row[i])
        yield row


def _unrecognised(file_name: str, header: list[str]) -> str:
    """mapping_guess's message for a header no format knows, over its first columns only: a
    header of 300,000 columns gave a 6.8 MB message after 9.5 s of guessing at every one."""
    shown = header[:formats.SHOWN_COLUMNS]
    message = unrecognised_header_message(file_name, shown)
    message = message.removeprefix(f"{file_name}: ")  # the LineError names the file
    if len(shown) < len(header):
        lines = message.split("\n")
        at = next((n + 1 for n, line in enumerate(lines) if line.startswith("Its columns")),
                  len(lines))
        lines.insert(at, f"(The header has {len(header):,} columns: the first "
                         f"{len(shown)} are listed and guessed at.)")
        message = "\n".join(lines)
    return message


class FileSource:
    """A usage file and its format, recognised from the header or named by a profile."""

    def __init__(self, path: Path, *, conn=None, profile: str | None = None,
                 mapping: ColumnMapping | None = None, opened: OpenedCsv | None = None):
        self.path, self.name, self.size = path, path.name, path.stat().st_size
        self._text = None
        # The file opened by whoever checked `mapping` against its header: read on from it
        # rather than reading the header again (the caller closes it).
        self._opened = opened
        self.document = None
        # The CSV delimiter, sniffed before the format is recognised (so that a recognised
        # export re-saved with ';' or tabs is still recognised and read); None for JSON and
        # for a column mapping, which sniffs for itself.
        self.delimiter: str | None = None
        self.empty_lines = 0  # data lines that carried nothing to import (formats.Reading)
        self.empty = _is_empty(path)
        self.format = None if self.empty else self._choose(conn, profile, mapping)

    @property
    def profile(self) -> str:
        return "empty" if self.format is None else self.format.profile

    def _choose(self, conn, profile: str | None, mapping: ColumnMapping | None
                ) -> formats.Format:
        if mapping is not None:
            return as_format(mapping, profile or "mapping")
        if profile is not None:
            found = formats.by_profile(profile)
            if found is not None:
                if found.kind == "csv":
                    _header, self.delimiter = read_header(self.path)
                return found
            saved = load_profile(conn, profile) if conn is not None else None
            if saved is not None:
                return as_format(saved, profile)
            known = ", ".join(f.profile for f in formats.formats())
            raise ImportRefused([LineError(self.name, 0, None, (
                f"there is no format or saved column mapping called {profile!r}; the formats "
                f"are {known}"))])
        if _looks_like_json(self.path):
            return self._choose_json()
        header, self.delimiter = read_header(self.path)
        found = formats.recognise_csv(header)
        if found is None:
            message = _unrecognised(self.name, header)
            raise ImportRefused([LineError(self.name, 1, None, message)])
        return found

    def _load_json(self) -> object:
        """The file's JSON document; ImportRefused, saying where, when it is not JSON."""
        try:
            with open(self.path, encoding="utf-8-sig") as f:
                return json.load(f, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            line = getattr(exc, "lineno", 0)
            raise ImportRefused([LineError(self.name, line, None,
                                           f"is not valid JSON: {str(exc)[:200]}")]) from None
        except RecursionError:
            raise ImportRefused([LineError(self.name, 0, None, (
                "is not valid JSON for Meterbook: it nests too deeply"))]) from None

    def _choose_json(self) -> formats.Format:
        self.document = self._load_json()
        found = formats.recognise_json(self.document)
        if found is None:
            raise ImportRefused([LineError(self.name, 0, None, (
                "is JSON, but not an export Meterbook knows (it reads the OpenAI Usage API's "
                "pages of buckets)"))])
        return found

    def __iter__(self) -> Iterator[Item]:
        return self.items()

    def items(self, stage: StageRows | None = None) -> Iterator[Item]:
        """(line, record or LineError, cells) per record; with `stage`, a format that can
        (the canonical CSV) gives stage rows (tuples) in place of records."""
        if self.format is None:
            return
        if self.format.kind == "json":
            document = self.document
            if document is None:  # named by --profile: not read yet
                document = self._load_json()
            yield from self.format.read(document, self.name)
            return
        if self._opened is not None:
            opened, self._opened = self._opened, None
            self._text = opened.text
            yield from self.format.read(opened, self.name)
            return
        with open_text(self.path) as text:
            self._text = text
            if self.format.read is parse_canonical:
                yield from self._canonical(text, stage)
            elif self.delimiter is None:  # a column mapping: it sniffs for itself
                yield from self.format.read(text, self.name)
            else:
                reading = formats.Reading(self.delimiter)
                yield from self.format.read(text, self.name, reading=reading)
                self.empty_lines = reading.empty_lines

    def _canonical(self, text, stage: StageRows | None) -> Iterator[Item]:
        if self.delimiter in (None, ","):  # the fast path reads the text itself
            yield from parse_canonical(text, self.name, stage=stage)
            return
        reader = csv.reader(text, delimiter=self.delimiter)
        rows = _spreadsheet_rows(reader, self.delimiter)
        yield from parse_canonical(rows, self.name, reader=reader, stage=stage)

    def lines_after(self, limit: datetime) -> Iterator[tuple[int, datetime]]:
        """(line, instant) of the file's records dated after `limit`, for finding lines by
        their date after an import (pipeline.py's future dates). A canonical file is scanned
        for its timestamp column alone, and a cell whose ISO date is days before `limit` is
        passed over unparsed: reading a million records again took seconds. Lines whose
        timestamp cannot be read give nothing (the import refused them)."""
        if self.format is None or self.format.read is not parse_canonical:
            # Read again from the start: an opened file was read by the import (maybe in a
            # forked process, which moved the position this process' copy does not know).
            self._opened = None
            for line, item, _cells in self.items():
                if isinstance(item, UsageRecord) and item.timestamp > limit:
                    yield line, item.timestamp
            return
        # An offset moves a local date by less than a day; two days keep a margin.
        before = (limit - timedelta(days=2)).date().isoformat()
        with open_text(self.path) as text:
            delimiter = self.delimiter or ","
            reader = csv.reader(text, delimiter=delimiter)
            rows = reader if delimiter == "," else _spreadsheet_rows(reader, delimiter)
            at, end = None, 0
            try:
                for row in rows:
                    start, end = end + 1, reader.line_num
                    if at is None:
                        names = formats.normalise_header(row)
                        at = names.index("timestamp") if "timestamp" in names else None
                    elif at < len(row) and row[at].lstrip()[:10] >= before:
                        with contextlib.suppress(cells.Bad):
                            instant = cells.instant(row[at])
                            if instant > limit:
                                yield start, instant
            except (csv.Error, UnicodeDecodeError):
                return  # the import refused the rest of the file already

    def position(self) -> int:
        try:
            return self._text.buffer.tell()
        except (AttributeError, OSError, ValueError):
            return 0


class RecordSource:
    """Records made by Meterbook itself (the demo)."""

    def __init__(self, name: str, records: Iterable[UsageRecord], profile: str):
        self.name, self.size, self.records, self.profile = name, 0, records, profile
        self.empty_lines = 0

    def __iter__(self) -> Iterator[Item]:
        return self.items()

    def items(self, stage: StageRows | None = None) -> Iterator[Item]:
        return ((n, record, []) for n, record in enumerate(self.records, start=1))

    def position(self) -> int:
        return 0
