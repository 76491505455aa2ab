"""Meterbook's own CSV format (usage-data.md, "Canonical CSV"): reading it. (A record's identity
for idempotent imports is importers/identity.py's.)

Speed matters here: a benchmark imports a million lines against a floor that only runs the csv
module and SQLite (it parses 1,000,000 gen_usage.py lines in about 2 s). So each row first goes
through a fast path: one straight-line function, written out for the file's header layout, that
leans on the C converters (int, Decimal, datetime.fromisoformat) and lets them raise on anything
odd. Any exception sends the row to `_slow`, which checks one field at a time and says exactly
what is wrong. `_slow` is the definition of what is accepted; the fast path accepts a subset of
it and builds the same record (tests/importers/test_canonical.py checks this on random rows).

Decisions where usage-data.md is silent:
- `billed_cost` may be negative: vendors' cost exports carry credits and refunds as negative
  lines, and refusing them would make billed totals wrong.
- `currency` defaults to USD when a line has a billed cost but no currency (every vendor export
  we know bills in USD); a currency given without a billed cost is kept as given (validated).
- whole numbers may be written "1500.0" or "1.5e3" (spreadsheets re-save them so); "12.5" is
  refused. Limits: counts <= 2**53, units <= 10**12, |billed_cost| <= 10**9; anything larger is
  a broken export, and these bounds keep micro- and nano-units inside SQLite's 64-bit integers.
- `units` has at most 6 significant decimal places ("1.5000000" is fine: it is 1.5).
- billed_cost keeps every decimal place given; the store rounds it to nano-units.
- every text cell is stripped; `vendor` and `service_tier` are lower-cased; `currency`
  upper-cased.
- timestamps: anything datetime.fromisoformat accepts after stripping and upper-casing
  (so "t" and "z" work too); fractions beyond microseconds are truncated.
- a line whose cells are all empty (",,,," as spreadsheets write) counts as blank and is skipped.
- a line that is not valid UTF-8 (when read through `open_text`) is refused like a NUL line;
  `open_text` calls a file binary only when over 1% of its first 8 KB are NULs (or it is neither
  UTF-8 nor Latin-1), so that a stray NUL refuses its line rather than the whole file.
- a header naming a canonical field twice refuses the file.
- the line number of a row is the physical line where it starts (a quoted cell may span lines).
"""

from __future__ import annotations

import codecs
import csv
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from meterbook.core.money import MICRO, to_nano
from meterbook.core.records import CANONICAL_FIELDS, EPOCH, ONE_US, STAGE_ROW, UsageRecord
from meterbook.importers import cells as convert
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.formats import listing
from meterbook.importers.rows import (
    NOT_TEXT,
    NUL,
    SURROGATE,
    UNDECODABLE,
    cells_problem,
    printable,
)

if TYPE_CHECKING:
    from meterbook.importers.stage_rows import StageRows

HEADER_FIELDS = CANONICAL_FIELDS
REQUIRED_FIELDS = ("timestamp", "vendor", "model")

_SNIFF_BYTES = 8192


# ---------------------------------------------------------------------------------------------
# Header


def _column_key(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower()


def is_canonical_header(columns: list[str]) -> bool:
    """True when the header names timestamp, vendor and model (any case, any order)."""
    names = {_column_key(column) for column in columns}
    return all(field in names for field in REQUIRED_FIELDS)


def _header_index(header: list[str], file_name: str, line: int) -> dict[str, int]:
    """Canonical field -> column position; ImportRefused when the header will not do."""
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        key = _column_key(name)
        if key not in HEADER_FIELDS:
            continue  # unknown columns are ignored (usage-data.md)
        if key in index:
            message = f"column '{key}' appears twice in the header"
            raise ImportRefused([LineError(file_name, line, None, message)])
        index[key] = position
    missing = [field for field in REQUIRED_FIELDS if field not in index]
    if missing:
        message = (
            f"the header lacks the required column(s) {', '.join(missing)}; expected a header "
            f"naming at least timestamp, vendor and model; found {listing(header)}"
        )
        raise ImportRefused([LineError(file_name, line, None, message)])
    return index


# ---------------------------------------------------------------------------------------------
_CONVERTERS: dict[str, Callable[[str], object]] = {
    "timestamp": convert.instant,
    "vendor": convert.required_text("vendor"),
    "model": convert.required_text("model"),
    "requests": lambda raw: convert.whole(raw, 1),
    "input_tokens": lambda raw: convert.whole(raw, 0),
    "cached_input_tokens": lambda raw: convert.whole(raw, 0),
    "cache_write_tokens": lambda raw: convert.whole(raw, 0),
    "output_tokens": lambda raw: convert.whole(raw, 0),
    "units": convert.units,
    "unit_name": convert.text,
    "request_id": convert.text,
    "conversation_id": convert.text,
    "project": convert.text,
    "user": convert.text,
    "api_key": convert.text,
    "service_tier": convert.lower_text,
    "billed_cost": convert.money,
    "currency": convert.currency,
}
assert tuple(_CONVERTERS) == CANONICAL_FIELDS


def _slow(cells: list[str], positions: tuple[int, ...]) -> UsageRecord | tuple[int, str]:
    """The record of a padded row, or (position of the bad column, message)."""
    values = []
    for field, position in zip(CANONICAL_FIELDS, positions, strict=True):
        try:
            values.append(_CONVERTERS[field](cells[position]))
        except convert.Bad as exc:
            return position, str(exc)
    record = UsageRecord(*values)  # type: ignore[arg-type]
    if record.billed_cost is not None and record.currency is None:
        record.currency = "USD"
    return record


# ---------------------------------------------------------------------------------------------
# Cells: the fast path


class _Slow(Exception):
    """Raised by the fast path to hand a row to the slow one."""


_COUNT_DEFAULTS = {
    "requests": 1, "input_tokens": 0, "cached_input_tokens": 0, "cache_write_tokens": 0,
    "output_tokens": 0,
}  # fmt: skip
_PLAIN_TEXTS = ("unit_name", "request_id", "conversation_id", "project", "user", "api_key")


def _fast_source(present: dict[str, int], staged: bool = False) -> str:
    """Source of `fast(cells)` for one header layout (field -> column of the fields it has).

    The function is written out per layout, as namedtuple and dataclasses do, because absent
    columns then cost nothing (a constant instead of a cell to fetch and test) and every cell
    is one list index: this is about 30% faster than generic code on typical files.
    Each step mirrors the slow-path converter of the same field.

    `staged`: return the import's stage row (store/staging.py) instead of a UsageRecord, the
    same row `StageRows.row` makes of the record (a test checks this), without building the
    record, its datetime arithmetic or its Decimals in between.
    """
    code = ["def fast(cells):"]
    add = code.append

    def cell(field: str) -> str:
        return f"cells[{present[field]}]"

    add(f"    timestamp = fromiso({cell('timestamp')})")
    add("    tz = timestamp.tzinfo")
    add("    if tz is not utc:")
    add("        if tz is None:")
    add("            timestamp = timestamp.replace(tzinfo=utc)")
    add("        else:")
    add("            timestamp = timestamp.astimezone(utc)")
    add(f"    vendor = {cell('vendor')}.strip().lower()")
    add(f"    model = {cell('model')}.strip()")
    add("    if not vendor or not model:")
    add("        raise _Slow")
    counts = [field for field in _COUNT_DEFAULTS if field in present]
    for field, default in _COUNT_DEFAULTS.items():
        if field in present:
            add(f"    {field} = {cell(field)}")
            add(f"    {field} = int({field}) if {field} else {default}")
        else:
            add(f"    {field} = {default}")
    if counts:
        # One test for all counts: an OR of ints is negative when any is, and >= the largest.
        # It may send a valid row (2**53 | 1) to the slow path, never lets a bad one through.
        add(f"    bits = {' | '.join(counts)}")
        add("    if bits < 0 or bits > max_count:")
        add("        raise _Slow")
    if "units" in present:
        add(f"    units = {cell('units')}")
        add("    if units:")
        add("        units = Decimal(units)")
        add("        if not zero <= units <= max_units or places(units) > unit_places:")
        add("            raise _Slow")
        add("    else:")
        add("        units = zero")
    else:
        add("    units = zero")
    absent = '""' if staged else "None"  # the stage keeps an absent text as ""
    for field in _PLAIN_TEXTS:
        add(
            f"    {field} = {cell(field)}.strip()" + ("" if staged else " or None")
            if field in present
            else f"    {field} = {absent}"
        )
    if "service_tier" in present:
        add(f"    service_tier = {cell('service_tier')}.strip().lower()"
            + ("" if staged else " or None"))
    else:
        add(f"    service_tier = {absent}")
    if "billed_cost" in present:
        add(f"    billed_cost = {cell('billed_cost')}")
        add("    if billed_cost:")
        add("        billed_cost = Decimal(billed_cost)")
        add("        if not -max_billed <= billed_cost <= max_billed:")
        add("            raise _Slow")
        add("    else:")
        add("        billed_cost = None")
    else:
        add("    billed_cost = None")
    if "currency" in present:
        add(f"    currency = {cell('currency')}.strip().upper()")
        add("    if currency:")
        add("        if len(currency) != 3 or not currency.isascii() or not currency.isalpha():")
        add("            raise _Slow")
        add("    else:")
        add('        currency = None if billed_cost is None else "USD"')
    elif "billed_cost" in present:
        add('    currency = None if billed_cost is None else "USD"')
    else:
        add("    currency = None")
    if staged:
        code.extend(_STAGED_TAIL)
        # The row, column by column of STAGE_ROW: the local variable of the column's name,
        # unless said here. An absent field is a constant, not an expression run per row.
        made = {
            "dedupe_key": "key", "timestamp_us": "(timestamp - epoch) // one_us",
            "meter_id": "meter",
            "units_micro": "int(units * micro) if units else 0" if "units" in present else "0",
            "billed_nano": "'' if billed_cost is None else to_nano(billed_cost)",
            "currency": "'' if billed_cost is None else currency",
        }  # fmt: skip
        if "billed_cost" not in present:
            made["billed_nano"] = made["currency"] = "''"
        add(f"    return ({', '.join(made.get(c.name, c.name) for c in STAGE_ROW)})")
    else:
        add(f"    return record({', '.join(CANONICAL_FIELDS)})")
    return "\n".join(code)


# The end of a staged fast path: meter and identity; the stage row follows (StageRows.row's
# twin).
_STAGED_TAIL = [
    "    meter_key = (vendor, model, project, service_tier, unit_name)",
    "    meter = meter_ids.get(meter_key)",
    "    if meter is None:",
    "        meter = new_meter(meter_key)",
    "    if request_id:",
    "        key = ''  # the store builds r:<vendor>:<request_id> (stage_rows.py)",
    "    else:",
    "        key = content_key(record(timestamp, vendor, model, requests, input_tokens,"
    " cached_input_tokens, cache_write_tokens, output_tokens, units, unit_name or None, None,"
    " conversation_id or None, project or None, user or None, api_key or None,"
    " service_tier or None, billed_cost, currency))",
]


def _make_fast(present: dict[str, int], stage: StageRows | None = None
               ) -> Callable[[list[str]], UsageRecord | tuple]:
    """The fast converter for one header layout; raises on any row it is not sure about.
    With `stage`, it returns stage rows made with that file's meters and identities."""
    namespace = {
        "fromiso": datetime.fromisoformat, "utc": UTC, "record": UsageRecord, "Decimal": Decimal,
        "zero": convert.ZERO, "max_count": convert.MAX_COUNT, "max_units": convert.MAX_UNITS,
        "max_billed": convert.MAX_BILLED, "places": convert.places,
        "unit_places": convert.UNIT_PLACES, "_Slow": _Slow,
    }  # fmt: skip
    if stage is not None:
        namespace.update(
            meter_ids=stage.meters.ids, new_meter=stage.meters.new_id,
            content_key=stage.occurrences.key, epoch=EPOCH, one_us=ONE_US, micro=MICRO,
            to_nano=to_nano,
        )  # fmt: skip
    # The source holds only field names and column numbers, never text from the file.
    source = _fast_source(present, staged=stage is not None)
    exec(compile(source, "<canonical fast path>", "exec"), namespace)
    return namespace["fast"]  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# Lines


def _screen(lines: Iterable[str], flagged: deque[tuple[int, str]]) -> Iterator[str]:
    """Pass physical lines to csv.reader, noting those that must be refused whatever they hold.

    Checking the raw line (rather than cells) catches a NUL in any column, known or not, at the
    cost of one C-level scan per line; isascii() keeps the undecodable-bytes check off the
    common path.
    """
    for number, line in enumerate(lines, 1):
        if "\x00" in line:
            flagged.append((number, NUL))
        elif not line.isascii() and SURROGATE.search(line):
            flagged.append((number, UNDECODABLE))
        yield line


def _take_flags(flagged: deque[tuple[int, str]], end: int) -> str | None:
    """Drop the flags of lines up to `end`; the first one's message, if any."""
    message = None
    while flagged and flagged[0][0] <= end:
        found = flagged.popleft()[1]
        message = message or found
    return message


TICK = (0, None, [])  # parse_canonical with a stage: stage.rows may be taken


def parse_canonical(
    lines: Iterable[list[str]] | TextIO, file_name: str, *, reader: object = None,
    stage: StageRows | None = None,
) -> Iterator[tuple[int, UsageRecord | tuple | LineError, list[str]]]:
    """Read a canonical CSV, streaming: (line number, record or LineError, raw cells) per data line.

    `lines` is a text file opened with newline="" (see `open_text`; fastest), or rows of cells
    starting with the header: a csv.reader, whose line_num gives the line numbers, or any
    iterable of lists, one per physical line unless `reader` (e.g. the csv.reader the rows come
    from) is given for its line_num. Blank lines are skipped. Raises ImportRefused (on the first
    next()) when the file is empty, the header lacks a required column, or the text cannot be
    decoded. With `stage` (the import pipeline's), rows the fast path takes are not yielded but
    appended to `stage.rows` as stage rows, in order with the records and errors that are
    yielded; TICK is yielded whenever stage.rows holds `stage.tick` rows or more.
    """
    flagged: deque[tuple[int, str]] = deque()
    if hasattr(lines, "read"):
        rows: Iterator[list[str]] = csv.reader(_screen(lines, flagged))  # type: ignore[arg-type]
        check_cells = False
    else:
        rows = iter(lines)  # type: ignore[arg-type]
        check_cells = True
    numbering = reader if reader is not None else rows
    counted = hasattr(numbering, "line_num")
    end = 0  # the physical line the last row ended on

    # The header: the first non-blank line.
    while True:
        start = end + 1
        try:
            header = next(rows, None)
        except csv.Error as exc:
            message = f"the header cannot be read as CSV ({exc})"
            raise ImportRefused([LineError(file_name, start, None, message)]) from None
        except UnicodeDecodeError as exc:
            raise _undecodable(file_name, start, exc) from None
        if header is None:
            message = "is empty; expected a header line naming at least timestamp, vendor, model"
            raise ImportRefused([LineError(file_name, 0, None, message)])
        if isinstance(header, str):
            raise TypeError("parse_canonical takes a text file or rows of cells, not lines")
        end = numbering.line_num if counted else start  # type: ignore[attr-defined]
        if any(cell.strip() for cell in header):
            break
    problem = cells_problem(header, NOT_TEXT) if check_cells else _take_flags(flagged, end)
    if problem:
        raise ImportRefused([LineError(file_name, start, None, f"the header {problem}")])
    index = _header_index(header, file_name, start)

    width = len(header)
    fast = _make_fast(index, stage)
    # Staged: the fast path's rows go straight into stage.rows (a generator step per line
    # cost a tenth of a million-line import), with a TICK whenever it holds stage.tick rows.
    sink, tick = (None, 0) if stage is None else (stage.rows, stage.tick)
    if stage is not None:
        stage.lacks(field for field in CANONICAL_FIELDS if field not in index)
    # The slow path reads absent fields from one empty cell appended to the row.
    positions = tuple(index.get(field, width) for field in CANONICAL_FIELDS)

    # This loop runs once per line, so it is written for speed: a plain `for` over the reader,
    # with csv and decoding errors caught around it. After a csv.Error the reader carries on
    # with the next line, and so does the `while`.
    while True:
        try:
            for row in rows:
                start = end + 1
                end = numbering.line_num if counted else start  # type: ignore[attr-defined]
                if flagged and flagged[0][0] <= end:
                    message = _take_flags(flagged, end) or ""
                    yield start, LineError(file_name, start, None, message), printable(row)
                    continue
                if not row:
                    continue
                if check_cells:
                    problem = cells_problem(row, NOT_TEXT)
                    if problem:
                        yield start, LineError(file_name, start, None, problem), printable(row)
                        continue
                if len(row) != width:
                    if any(cell.strip() for cell in row):
                        found, wanted = _cells(len(row)), _cells(width)
                        message = f"has {found}; expected {wanted} like the header"
                        yield start, LineError(file_name, start, None, message), row
                    continue
                try:
                    record = fast(row)
                except Exception:  # anything odd: let the exact path decide, and explain
                    if not any(cell.strip() for cell in row):
                        continue  # ",,,,": a blank line as spreadsheets write it
                    outcome = _slow([*row, ""], positions)
                    if isinstance(outcome, UsageRecord):
                        yield start, outcome, row
                    else:
                        column = header[outcome[0]].strip().lstrip("\ufeff")
                        yield start, LineError(file_name, start, column, outcome[1]), row
                else:
                    if sink is None:
                        yield start, record, row
                        continue
                    sink.append(record)
                    if len(sink) >= tick:
                        yield TICK
            return
        except csv.Error as exc:  # e.g. a cell above csv.field_size_limit()
            start = end + 1
            end = numbering.line_num if counted else start  # type: ignore[attr-defined]
            _take_flags(flagged, end)
            yield start, LineError(file_name, start, None, f"cannot be read as CSV ({exc})"), []
        except UnicodeDecodeError as exc:
            raise _undecodable(file_name, end + 1, exc) from None


def _cells(count: int) -> str:
    return "1 cell" if count == 1 else f"{count} cells"


def _undecodable(file_name: str, line: int, exc: UnicodeDecodeError) -> ImportRefused:
    message = f"cannot be decoded as {exc.encoding} text ({exc.reason}) at or after this line"
    return ImportRefused([LineError(file_name, line, None, message)])


# ---------------------------------------------------------------------------------------------
# Opening a file


def _sniff(head: bytes, file_name: str) -> tuple[str, str]:
    """(encoding, error handler) for a file that starts with `head`; ImportRefused if binary.

    UTF-8 and UTF-16/32 with a byte-order mark are what spreadsheets and vendors write; UTF-8
    is read with "surrogateescape" so that a stray bad byte refuses its line, not the file.
    Files that are not UTF-8 but look like Latin-1 text (no control bytes) are read as
    cp1252, Excel's "CSV" on Windows. A sample more than 1% NUL bytes is binary (so is UTF-16
    without a BOM); fewer NULs are taken as damaged lines, refused one by one.
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00
        return "utf-32", "strict"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "strict"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "surrogateescape"

    def refuse(why: str) -> ImportRefused:
        return ImportRefused([LineError(file_name, 0, None, f"is not a text file ({why})")])

    # Binary formats (SQLite, UTF-16 without BOM...) are full of NULs; a text file with a stray
    # NUL in a line or two is still text, and parse_canonical refuses just those lines.
    nuls = head.count(b"\x00")
    if nuls * 100 > len(head):
        raise refuse(f"NUL bytes in its first {_SNIFF_BYTES // 1024} KB")
    sample = head.replace(b"\x00", b"") if nuls else head
    try:
        # final=False: the sample may end in the middle of a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(head) < _SNIFF_BYTES)
        return "utf-8-sig", "surrogateescape"
    except UnicodeDecodeError:
        pass
    controls = set(range(32)) - {9, 10, 12, 13}
    if controls.isdisjoint(sample):
        return "cp1252", "surrogateescape"
    raise refuse("neither UTF-8 nor Latin-1 text")


def open_text(path: str | Path) -> TextIO:
    """Open a usage file for `parse_canonical` (or csv.reader): text, newline="", streaming.

    Only the first 8 KB are read to choose the encoding; a BOM is consumed. Raises
    ImportRefused ("FILE: is not a text file (...)") for binary files; OSError as usual.
    """
    name = Path(path).name  # as the pipeline names files in its errors
    with open(path, "rb") as raw:
        head = raw.read(_SNIFF_BYTES)
    encoding, errors = _sniff(head, name)
    return open(path, encoding=encoding, errors=errors, newline="")
