"""Any other CSV, through a column mapping (usage-data.md: "Anything else is imported through a
column mapping"): `--map COLUMN=FIELD` on the command line, saved as a named profile that
`--profile NAME` reuses for the next file of the same shape (importers/mapping_profiles.py).
The guess of a mapping from an unrecognised header is importers/mapping_guess.py's.

The file is opened with canonical.open_text (UTF-8 with or without BOM, UTF-16 with a BOM as
Excel's "Unicode text" saves it, cp1252/Latin-1 as a fallback); this module sniffs the delimiter,
reads numbers with decimal commas on request, and reads the date formats spreadsheets write.

Decisions where the spec is silent:
- Columns are matched as written (stripped); failing that, case-insensitively. A mapped column
  missing from the file refuses the file: silently reading it as empty would under-count.
- With both a vendor column and a given vendor, the cell wins and the given vendor fills blanks.
- Numbers: without decimal_comma, a comma is accepted only as a strict thousands separator
  ("1,234", "1,234.5"); "0,5" is refused with a hint to use --decimal-comma. With decimal_comma,
  dots are accepted only as strict thousands groups ("1.234,56"), so a stray "0.5" is refused
  rather than read as 5. Spaces between digits ("1 234,56") are thousands separators too.
- Dates: ISO 8601 is always accepted. MM/DD/YYYY and DD/MM/YYYY may use "/", "." or "-", take
  a time after the date ("03/01/2026 14:05", seconds, fractions, AM/PM) and an optional zone
  (Z, UTC, +02:00); no zone is UTC. Only four-digit years. The order is decided from the first
  DATE_READ_AHEAD data lines; dates whose two parts are equal (04/04/2026) read the same either
  way and decide nothing. A later slash date the decision cannot read is refused as a line.
- "unix" takes seconds (fractions allowed); ISO is still accepted in that column.
- Rows are as strict as the canonical CSV: a different cell count than the header is refused
  (trailing empty cells excepted), so an unquoted decimal comma cannot shift columns unseen.
  A NUL or undecodable bytes refuse a line as in every format (rows.cells_problem).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any, TextIO

from meterbook.core.records import CANONICAL_FIELDS, UsageRecord, from_epoch_us
from meterbook.importers import cells
from meterbook.importers.canonical import open_text
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.formats import Format, Row, csv_rows, listing
from meterbook.importers.rows import cells_problem, printable

REQUIRED_FIELDS = ("timestamp", "model")  # and a vendor: a column or ColumnMapping.vendor
DATE_FORMATS = ("ISO", "MM/DD/YYYY", "DD/MM/YYYY", "unix")
DATE_READ_AHEAD = 1000  # data lines buffered to decide between MM/DD and DD/MM
_SNIFF_LINES, _SNIFF_CHARS = 50, 65536

_DATE_NAMES = {
    "iso": "ISO", "yyyy-mm-dd": "ISO", "unix": "unix",
    **{f"mm{s}dd{s}yyyy": "MM/DD/YYYY" for s in "/.-"},
    **{f"dd{s}mm{s}yyyy": "DD/MM/YYYY" for s in "/.-"},
}  # fmt: skip
_DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}


def _fields_listing() -> str:
    return ", ".join(CANONICAL_FIELDS)


def clean_column(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip()


# ---------------------------------------------------------------------------------------------
# The mapping


@dataclass(frozen=True)
class ColumnMapping:
    """How the columns of one shape of CSV become canonical fields.

    `columns`: file column (as written) -> canonical field; no field filled from two columns.
    `vendor`: the vendor of every line, for files without a vendor column. `date_format`: None
    (decide from the dates), "ISO", "MM/DD/YYYY", "DD/MM/YYYY", "unix" (seconds) or a strptime
    pattern. `delimiter`: None sniffs comma, semicolon or tab. `currency`: the currency of
    every billed cost whose line names none (no currency column, or a blank cell); None is USD.
    Invalid values raise ValueError.
    """

    columns: dict[str, str]
    vendor: str | None = None
    decimal_comma: bool = False
    date_format: str | None = None
    delimiter: str | None = None
    currency: str | None = None

    def __post_init__(self) -> None:
        columns: dict[str, str] = {}
        source: dict[str, str] = {}  # field -> column
        for column, field in dict(self.columns).items():
            if not isinstance(column, str) or not isinstance(field, str):
                raise ValueError("a column mapping maps column names to field names (text)")
            name, target = clean_column(column), field.strip().lower()
            if not name:
                raise ValueError(f"a column name is empty (mapped to {field!r})")
            if target not in CANONICAL_FIELDS:
                raise ValueError(f"{field!r} is not a field; the fields are {_fields_listing()}")
            if target in source:
                raise ValueError(f"the field {target} is mapped from both {source[target]!r} "
                                 f"and {name!r}; map each field from one column")
            if name in columns:
                raise ValueError(f"the column {name!r} is mapped twice")
            columns[name], source[target] = target, name
        vendor = (self.vendor.strip().lower() or None) if self.vendor is not None else None
        # Frozen: the normalised values are set once, here.
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "vendor", vendor)
        object.__setattr__(self, "decimal_comma", bool(self.decimal_comma))
        object.__setattr__(self, "date_format", normalise_date_format(self.date_format))
        object.__setattr__(self, "delimiter", normalise_delimiter(self.delimiter))
        object.__setattr__(self, "currency", normalise_currency(self.currency))

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ColumnMapping:
        """The mapping saved by to_json; ValueError when the text is not one."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"a saved column mapping is not valid JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
            raise ValueError("a saved column mapping lacks its columns")
        # Unknown keys are ignored, so that a mapping saved by a later version still loads.
        return cls(columns=data["columns"], vendor=data.get("vendor"),
                   decimal_comma=data.get("decimal_comma") is True,
                   date_format=data.get("date_format"), delimiter=data.get("delimiter"),
                   currency=data.get("currency"))


def normalise_date_format(value: str | None) -> str | None:
    """None, one of DATE_FORMATS (any case; "DD.MM.YYYY" and such are aliases), or a strptime
    pattern; ValueError for anything else."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if "%" in text:
        return text
    named = _DATE_NAMES.get(text.lower())
    if named is None:
        raise ValueError(f"{value!r} is not a date format; use {', '.join(DATE_FORMATS)} or a "
                         f"strptime pattern like '%d.%m.%Y %H:%M'")
    return named


def normalise_currency(value: str | None) -> str | None:
    """None or a three-letter currency code in capitals; ValueError for anything else."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a currency code; {cells.EXPECT_CURRENCY}")
    try:
        return cells.currency(value)
    except cells.Bad as exc:
        raise ValueError(str(exc)) from None


def normalise_delimiter(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    text = _DELIMITER_NAMES.get(value.strip().lower(), value)
    if len(text) != 1 or text.isalnum() or text in "\"\r\n ":
        raise ValueError(f"{value!r} is not a delimiter; use comma, semicolon, tab or one "
                         f"punctuation character")
    return text


def _find_column(header: list[str], column: str) -> list[int]:
    """Positions of `column` in the header: exact (stripped) match first, else any case."""
    wanted = clean_column(column)
    exact = [i for i, name in enumerate(header) if clean_column(name) == wanted]
    if exact:
        return exact
    return [i for i, name in enumerate(header) if clean_column(name).lower() == wanted.lower()]


def parse_map_args(items: list[str], header: list[str] | None) -> dict[str, str]:
    """`--map COLUMN=FIELD` strings -> {column (as the header writes it): field}.

    ValueError, one line per problem, for: not COLUMN=FIELD, an unknown field (the valid ones
    are listed), a column the header lacks (its columns are listed), a field or a column mapped
    twice. Without a header the columns are not checked.
    """
    problems: list[str] = []
    columns: dict[str, str] = {}
    source: dict[str, str] = {}
    for item in items:
        # The last "=": a field name never holds one, a column name might.
        column, equals, field = item.rpartition("=")
        column, field = clean_column(column), field.strip().lower()
        where = f"--map {item!r}"
        if not equals or not column or not field:
            problems.append(f'{where}: expected COLUMN=FIELD, like --map "Created At=timestamp"')
            continue
        if field not in CANONICAL_FIELDS:
            if column.lower() in CANONICAL_FIELDS:
                written = item.rpartition("=")[2].strip()
                problems.append(f'{where}: the column comes first: --map "{written}={column}"')
            else:
                problems.append(f"{where}: {field!r} is not a field; the fields are "
                                f"{_fields_listing()}")
            continue
        if header is not None:
            found = _find_column(header, column)
            if not found:
                problems.append(f"{where}: the file has no column {column!r}; its columns are "
                                f"{listing(header)}")
                continue
            if len(found) > 1:
                problems.append(f"{where}: the header has {len(found)} columns named {column!r}")
                continue
            column = clean_column(header[found[0]])
        if field in source:
            problems.append(f"{where}: {field} is already mapped from {source[field]!r}; one "
                            f"field takes one column")
        elif column in columns:
            problems.append(f"{where}: the column {column!r} is already mapped to "
                            f"{columns[column]}")
        else:
            columns[column], source[field] = field, column
    if problems:
        raise ValueError("\n".join(problems))
    return columns


def check_mapping(mapping: ColumnMapping, header: list[str] | None = None) -> list[str]:
    """What keeps the mapping from importing (a file with this header): [] when nothing."""
    problems = []
    fields = set(mapping.columns.values())
    for field in REQUIRED_FIELDS:
        if field not in fields:
            problems.append(f'no column is mapped to {field}: add --map "COLUMN={field}"')
    if "vendor" not in fields and not mapping.vendor:
        problems.append('no vendor: give --vendor NAME for the whole file, or map a column '
                        'with --map "COLUMN=vendor"')
    if header is not None:
        for column in mapping.columns:
            found = _find_column(header, column)
            if not found:
                problems.append(f"the file has no column {column!r}; its columns are "
                                f"{listing(header)}")
            elif len(found) > 1:
                problems.append(f"the header has {len(found)} columns named {column!r}; "
                                f"cannot tell which one is meant")
    return problems


# ---------------------------------------------------------------------------------------------
# Delimiter


def sniff_delimiter(sample: str) -> str:
    """Comma, semicolon or tab: the one whose first lines agree on a column count (of more than
    one column), then the one giving more columns; comma on a tie or when nothing fits."""
    lines = list(io.StringIO(sample, newline=""))[:_SNIFF_LINES]
    if len(lines) > 1 and not lines[-1].endswith(("\n", "\r")):
        lines.pop()  # the sample may stop in the middle of a line
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in (",", ";", "\t"):
        widths: list[int] = []
        # A csv.Error (a quoted cell cut off by the end of the sample) keeps the rows before it.
        with contextlib.suppress(csv.Error):
            for row in csv.reader(lines, delimiter=delimiter):
                if any(cell.strip() for cell in row):
                    widths.append(len(row))
        if not widths:
            continue
        agree = sum(width == widths[0] for width in widths) / len(widths)
        score = (widths[0] > 1, agree, widths[0])
        if score > best_score:  # strictly: earlier candidates (comma first) win ties
            best, best_score = delimiter, score
    return best


def _head_lines(text: TextIO) -> list[str]:
    """The first whole lines of a file, for sniffing; the reading continues after them."""
    lines: list[str] = []
    size = 0
    while len(lines) < _SNIFF_LINES and size < _SNIFF_CHARS:
        line = text.readline()
        if not line:
            break
        lines.append(line)
        size += len(line)
    return lines


class OpenedCsv:
    """A CSV file opened and its header read, the rest still to read: a `--map` import checks
    its columns against `header` and then reads on from here (read_mapped), so that the header
    is read once, not once for the check and again for the import. Close it (or use `with`)
    when it may not be read to the end. Raises ImportRefused for an empty or binary file."""

    def __init__(self, path: str | Path, delimiter: str | None = None):
        self.path = Path(path)
        self.name = self.path.name
        self.text = open_text(path)
        try:
            self.header, self.delimiter, self.rows = _open_rows(self.text, self.name, delimiter)
        except BaseException:
            self.text.close()
            raise

    def close(self) -> None:
        self.text.close()

    def __enter__(self) -> OpenedCsv:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _open_rows(text: TextIO, file_name: str, delimiter: str | None
               ) -> tuple[list[str], str, Iterator[Row]]:
    """The header, the delimiter (the one given, or sniffed from the first lines) and the data
    rows of a CSV text; ImportRefused for an empty or undecodable head."""
    try:
        head = _head_lines(text)
    except UnicodeDecodeError as exc:
        raise _undecodable(file_name, 1, exc) from None
    delimiter = normalise_delimiter(delimiter) or sniff_delimiter("".join(head))
    header, rows = csv_rows(chain(head, text), file_name, delimiter)  # type: ignore[arg-type]
    return header, delimiter, rows


def read_header(path: str | Path, delimiter: str | None = None) -> tuple[list[str], str]:
    """A file's header (as written, BOM removed) and its delimiter (the one given, or sniffed).
    Raises ImportRefused for an empty or binary file."""
    with OpenedCsv(path, delimiter) as opened:
        return opened.header, opened.delimiter


def _undecodable(file_name: str, line: int, exc: UnicodeDecodeError) -> ImportRefused:
    message = f"cannot be decoded as {exc.encoding} text ({exc.reason}) at or after this line"
    return ImportRefused([LineError(file_name, line, None, message)])


# ---------------------------------------------------------------------------------------------
# Numbers

_US_GROUPS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_EU_GROUPS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?")
_DIGIT_SPACE = re.compile(r"(?<=\d)\s+(?=\d)")  # "1 234,56"; \s includes no-break spaces


def plain_number(raw: str, decimal_comma: bool) -> str:
    """The number as Decimal() reads it (a point, no separators); cells.Bad when the way it is
    written does not fit the file's convention."""
    text = _DIGIT_SPACE.sub("", raw.strip())
    if decimal_comma:
        if _EU_GROUPS.fullmatch(text):
            return text.replace(".", "").replace(",", ".")
        if "." in text or text.count(",") > 1:
            raise cells.Bad(f"{cells.show(raw)} is not written with a decimal comma (like "
                            f"1.234,56 or 0,5) as --decimal-comma says")
        return text.replace(",", ".")
    if "," in text:
        if _US_GROUPS.fullmatch(text):
            return text.replace(",", "")
        raise cells.Bad(f"{cells.show(raw)} has a decimal comma; import with --decimal-comma "
                        f"if the file writes numbers like 0,5")
    return text


def _numeric(convert: Callable[[str], Any], decimal_comma: bool) -> Callable[[str], Any]:
    def read(raw: str) -> Any:
        text = plain_number(raw, decimal_comma)
        try:
            return convert(text)
        except cells.Bad as exc:  # say what the file holds, not the rewritten number
            raise cells.Bad(str(exc).replace(cells.show(text), cells.show(raw), 1)) from None

    return read


# ---------------------------------------------------------------------------------------------
# Dates

_SLASH = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})"
    r"(?:(?:\s+|T)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:\s*([AP]M))?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
)
_UNIX = re.compile(r"[+-]?\d+(\.\d+)?")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_ORDER_NAMES = {"MDY": "MM/DD/YYYY", "DMY": "DD/MM/YYYY"}
_CHOOSE = "choose with --date-format MM/DD/YYYY or --date-format DD/MM/YYYY"


def _slash_instant(match: re.Match[str], order: str) -> datetime:
    """ValueError (with datetime's reason) for an impossible date or time."""
    first, second, year = int(match[1]), int(match[3]), int(match[4])
    month, day = (first, second) if order == "MDY" else (second, first)
    hour, minute, second_ = int(match[5] or 0), int(match[6] or 0), int(match[7] or 0)
    micro = int(match[8][:6].ljust(6, "0")) if match[8] else 0
    if match[9]:
        if not 1 <= hour <= 12:
            raise ValueError("hour must be in 1..12 with AM/PM")
        hour = hour % 12 + (12 if match[9] == "PM" else 0)
    zone = match[10]
    tz: timezone = UTC
    if zone and zone not in ("Z", "UTC", "GMT"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return cells.utc(datetime(year, month, day, hour, minute, second_, micro, tzinfo=tz))


def _unix_instant(raw: str) -> datetime:
    value = Decimal(raw.strip())
    try:
        # Year 9999 is 2.5e11 seconds: bound the value before int() of a huge one takes long.
        if abs(value) < 10**12:
            return from_epoch_us(int(value.scaleb(6)))
    except OverflowError:
        pass
    hint = " (it looks like milliseconds)" if abs(value) >= 10**11 else ""
    raise cells.Bad(f"{cells.show(raw)} is out of range as unix seconds{hint}")


def _timestamp_reader(date_format: str | None, order: str | None) -> Callable[[str], datetime]:
    """The timestamp converter; `order` ("MDY", "DMY" or None) is the decided or given order."""
    if date_format is not None and "%" in date_format:
        pattern = date_format

        def strptime(raw: str) -> datetime:
            try:
                return cells.utc(datetime.strptime(raw.strip(), pattern))
            except ValueError:
                pass
            try:
                return cells.instant(raw)  # ISO is always accepted
            except cells.Bad:
                raise cells.Bad(f"{cells.show(raw)} does not match the date format "
                                f"{pattern!r} (nor ISO 8601)") from None

        return strptime

    given = date_format in ("MM/DD/YYYY", "DD/MM/YYYY")
    expected = f"expected {_ORDER_NAMES[order]} or ISO 8601" if order else cells.EXPECT_TIME

    def read(raw: str) -> datetime:
        text = raw.strip().upper()
        if date_format == "unix" and _UNIX.fullmatch(text):
            return _unix_instant(text)
        match = _SLASH.fullmatch(text) if date_format is None or given else None
        if match is None:
            try:
                return cells.instant(raw)
            except cells.Bad as exc:
                if date_format == "ISO" and _SLASH.fullmatch(text):
                    raise cells.Bad(f"{cells.show(raw)} is not ISO 8601 as --date-format ISO "
                                    f"says; {_CHOOSE}") from None
                if date_format is None and _UNIX.fullmatch(text) and len(text) >= 9:
                    raise cells.Bad(f"{exc}; for unix seconds use --date-format unix") from None
                if order and text:
                    raise cells.Bad(f"{cells.show(raw)} is not a date or time; {expected}"
                                    ) from None
                raise
        use = order
        if use is None:
            if match[1].lstrip("0") != match[3].lstrip("0"):
                raise cells.Bad(f"cannot tell whether {cells.show(raw)} is MM/DD/YYYY or "
                                f"DD/MM/YYYY: the file's first lines do not tell; {_CHOOSE}")
            use = "MDY"  # 04/04/2026 reads the same either way
        try:
            return _slash_instant(match, use)
        except (ValueError, OverflowError) as exc:
            name = _ORDER_NAMES[use]
            why = "" if given or order is None else (
                f", the order the file's first lines use; if the file mixes orders, {_CHOOSE}")
            raise cells.Bad(f"{cells.show(raw)} is not a valid {name} date ({exc}){why}"
                            ) from None

    return read


def decide_date_order(rows: list[Row], position: int, label: str, file_name: str,
                  complete: bool) -> str | None:
    """The order ("MDY" or "DMY") the read-ahead rows' slash dates show; None when none tells.

    ImportRefused when the rows show both orders, or when dates whose parts differ (03/01)
    leave the order open: guessing would put every such record in the wrong month.
    """
    day_first = month_first = open_one = None  # (line, cell) of the first of each kind
    for line, row in rows:
        if position >= len(row):
            continue
        match = _SLASH.fullmatch(row[position].strip().upper())
        if match is None:
            continue
        first, second = int(match[1]), int(match[3])
        if not (1 <= first <= 31 and 1 <= second <= 31):
            continue  # impossible either way: refused as a line, decides nothing
        found = (line, row[position].strip())
        if first > 12 >= second:
            day_first = day_first or found
        elif second > 12 >= first:
            month_first = month_first or found
        elif first != second and max(first, second) <= 12:
            open_one = open_one or found
    if day_first and month_first:
        message = (f"the dates mix two orders: line {day_first[0]} has {day_first[1]!r}, which "
                   f"can only be DD/MM/YYYY, and line {month_first[0]} has "
                   f"{month_first[1]!r}, which can only be MM/DD/YYYY; fix the file, or "
                   f"{_CHOOSE} (lines in the other order are then refused)")
        raise ImportRefused([LineError(file_name, 0, label, message)])
    if day_first or month_first:
        return "DMY" if day_first else "MDY"
    if open_one:
        line, text = open_one
        match = _SLASH.fullmatch(text.upper())
        assert match is not None
        first, second = int(match[1]), int(match[3])
        scope = "in the file" if complete else f"in its first {len(rows)} lines"
        message = (f"the dates are ambiguous: {text!r} (line {line}) could be MM/DD/YYYY "
                   f"({_MONTHS[first - 1]} {second}) or DD/MM/YYYY ({first} "
                   f"{_MONTHS[second - 1]}), and no date {scope} has a day above 12 to tell; "
                   f"{_CHOOSE}")
        raise ImportRefused([LineError(file_name, 0, label, message)])
    return None


# ---------------------------------------------------------------------------------------------
# Reading


def _converters(mapping: ColumnMapping, order: str | None) -> dict[str, Callable[[str], Any]]:
    comma = mapping.decimal_comma
    count = {field: _numeric(lambda raw, d=default: cells.whole(raw, d), comma)
             for field, default in (("requests", 1), ("input_tokens", 0),
                                    ("cached_input_tokens", 0), ("cache_write_tokens", 0),
                                    ("output_tokens", 0))}
    return {
        "timestamp": _timestamp_reader(mapping.date_format, order),
        "vendor": cells.lower_text,  # may be blank when the mapping gives a vendor
        "model": cells.required_text("model"),
        **count,
        "units": _numeric(cells.units, comma),
        "billed_cost": _numeric(cells.money, comma),
        "service_tier": cells.lower_text,
        "currency": cells.currency,
        **{field: cells.text for field in ("unit_name", "request_id", "conversation_id",
                                           "project", "user", "api_key")},
    }


def _positions(header: list[str], mapping: ColumnMapping, file_name: str) -> dict[str, int]:
    """Field -> column position, in the file's column order; ImportRefused if it will not do."""
    problems = check_mapping(mapping, header)
    if problems:
        raise ImportRefused([LineError(file_name, 1, None, problem) for problem in problems])
    found = {field: _find_column(header, column)[0] for column, field in mapping.columns.items()}
    return dict(sorted(found.items(), key=lambda item: item[1]))


def _decoded(rows: Iterator[Row], file_name: str) -> Iterator[Row]:
    """The rows, with a decoding error (strict UTF-16) refusing the file where it happened."""
    line = 1
    while True:
        try:
            line, row = next(rows)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise _undecodable(file_name, line + 1, exc) from None
        yield line, row


def read_mapped(text: TextIO | str | OpenedCsv, file_name: str, mapping: ColumnMapping
                ) -> Iterator[tuple[int, UsageRecord | LineError, list[str]]]:
    """Read a CSV through a column mapping, streaming: (line, record or LineError, cells).

    `text` is a file from canonical.open_text (or any text opened with newline=""), a str, or
    an OpenedCsv whose header was read already (it goes on from there).
    Raises ImportRefused (on the first next()) when the file is empty or undecodable, when the
    mapping does not fit the header, or when the dates' order is ambiguous or mixed.
    """
    if isinstance(text, OpenedCsv):
        header, raw_rows = text.header, text.rows
    else:
        if isinstance(text, str):
            text = io.StringIO(text, newline="")
        header, _delimiter, raw_rows = _open_rows(text, file_name, mapping.delimiter)
    positions = _positions(header, mapping, file_name)
    labels = {field: clean_column(header[position]) for field, position in positions.items()}
    rows = _decoded(raw_rows, file_name)

    order = {"MM/DD/YYYY": "MDY", "DD/MM/YYYY": "DMY"}.get(mapping.date_format or "")
    ahead: list[Row] = []
    if mapping.date_format is None:
        # Buffer the first lines to decide the order before any record is made from them.
        for row in rows:
            ahead.append(row)
            if len(ahead) >= DATE_READ_AHEAD:
                break
        complete = len(ahead) < DATE_READ_AHEAD
        order = decide_date_order(ahead, positions["timestamp"], labels["timestamp"], file_name,
                              complete)

    convert = _converters(mapping, order)
    width = len(header)
    for line, row in chain(ahead, rows):
        problem = _row_problem(row, width)
        if problem:
            yield line, LineError(file_name, line, None, problem), printable(row)
            continue
        yield line, _record(row, positions, labels, convert, mapping, file_name, line), row


def _row_problem(row: list[str], width: int) -> str | None:
    """Why a line is refused before its cells are read: rows.cells_problem's NUL or undecodable
    bytes, or a width other than the header's (trailing empty cells excepted, unlike rows.py's
    vendor CSVs)."""
    problem = cells_problem(row)
    if problem is not None:
        return problem
    if len(row) < width or (len(row) > width and any(cell.strip() for cell in row[width:])):
        return f"has {len(row)} cells; expected {width} like the header"
    return None


def _record(row: list[str], positions: dict[str, int], labels: dict[str, str],
            convert: dict[str, Callable[[str], Any]], mapping: ColumnMapping, file_name: str,
            line: int) -> UsageRecord | LineError:
    values: dict[str, Any] = {}
    for field, position in positions.items():
        try:
            values[field] = convert[field](row[position])
        except cells.Bad as exc:
            return LineError(file_name, line, labels[field], str(exc))
    if not values.get("vendor"):
        if mapping.vendor is None:
            message = "is empty; every line needs a vendor (or give --vendor for the whole file)"
            return LineError(file_name, line, labels["vendor"], message)
        values["vendor"] = mapping.vendor
    record = UsageRecord(**values)
    if record.billed_cost is not None and record.currency is None:
        # The file's currency, else USD as the canonical CSV: every export we know bills in USD.
        record.currency = mapping.currency or "USD"
    return record


def as_format(mapping: ColumnMapping, profile: str) -> Format:
    """The mapping as a Format (never recognised from a header), for code that reads Formats."""
    return Format(profile=profile, title=f"column mapping {profile!r}", kind="csv",
                  recognise=lambda _names: False,
                  read=lambda text, file_name: read_mapped(text, file_name, mapping))
