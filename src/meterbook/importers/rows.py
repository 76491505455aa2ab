"""Reading the rows of vendor CSVs and JSON results: what every vendor format shares.

A `Line` reads one row's cells by (lower-case) column name and turns a cells.Bad into a
`Refused` that names the column as the file writes it; `read_csv` checks a vendor CSV's header,
refuses the rows that are not text or not as wide as the header, and yields the pipeline's
(line, record | LineError, cells) items of the rest. The NUL / undecodable check and `printable`
are canonical.py's too, so every format refuses a damaged line the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import NoReturn, TextIO

from meterbook.core.records import UsageRecord
from meterbook.importers import cells
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.formats import Columns, Item, Reading, csv_rows, listing

# Lone surrogates are what the "surrogateescape" error handler turns undecodable bytes into.
SURROGATE = re.compile("[\ud800-\udfff]")

NUL = "contains a NUL byte"
UNDECODABLE = "contains bytes that are not valid in the file's encoding"
NOT_TEXT = "contains characters that are not valid text"  # canonical.py's word for given rows

# ---------------------------------------------------------------------------------------------
# Damaged lines


def cells_problem(row: list[str], undecodable: str = UNDECODABLE) -> str | None:
    """Why a line must be refused whatever it holds: a NUL, or undecodable bytes (which the
    store cannot encode); None when it is clean."""
    joined = "".join(row)
    if "\x00" in joined:
        return NUL
    if not joined.isascii() and SURROGATE.search(joined):
        return undecodable
    return None


def printable(row: list[str]) -> list[str]:
    """Refused cells with undecodable bytes shown as U+FFFD: the store cannot encode surrogates."""
    return [SURROGATE.sub("\ufffd", cell) for cell in row]


# ---------------------------------------------------------------------------------------------
# Lines


class Refused(Exception):
    """A line cannot be read: the column to blame (as written, or None) and what is wrong."""

    def __init__(self, column: str | None, message: str):
        super().__init__(message)
        self.column, self.message = column, message


class Line:
    """The cells of one line, read by (lower-case) column name."""

    def raw(self, name: str) -> str:
        raise NotImplementedError

    def has(self, name: str) -> bool:
        raise NotImplementedError

    def label(self, name: str) -> str:
        return name

    def text(self, name: str) -> str:
        """The cell, stripped ("" when the line has no such column)."""
        return self.raw(name).strip()

    def filled(self, name: str) -> bool:
        return bool(self.raw(name).strip())

    def take(self, name: str, convert: Callable[[str], object]):
        """`convert` of the cell; a cells.Bad refuses the line, blaming this column."""
        try:
            return convert(self.raw(name))
        except cells.Bad as exc:
            raise Refused(self.label(name), str(exc)) from None

    def refuse(self, name: str | None, message: str) -> NoReturn:
        raise Refused(None if name is None else self.label(name), message)


class CsvLine(Line):
    __slots__ = ("cells", "columns")

    def __init__(self, columns: Columns, row: list[str]):
        self.columns, self.cells = columns, row

    def raw(self, name: str) -> str:
        return self.columns.get(self.cells, name)

    def has(self, name: str) -> bool:
        return self.columns.has(name)

    def label(self, name: str) -> str:
        return self.columns.label(name)

    def take(self, name: str, convert: Callable[[str], object]):
        if self.columns.delimiter != ",":
            convert = cells.in_spreadsheet(convert, self.columns.delimiter)
        return super().take(name, convert)


class DictLine(Line):
    """A JSON object's fields as cells: null is empty, true/false as words, numbers as written
    by json (so the cell converters judge them exactly as they judge CSV cells)."""

    __slots__ = ("fields",)

    def __init__(self, fields: Mapping[str, object]):
        self.fields = fields

    def raw(self, name: str) -> str:
        value = self.fields.get(name)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float | Decimal):  # JSON numbers are read as Decimal
            return str(value)
        # A list or object where a value belongs: shown, then refused.
        return json.dumps(value, default=str)

    def has(self, name: str) -> bool:
        return name in self.fields


# ---------------------------------------------------------------------------------------------
# Files

Made = UsageRecord | Iterable[UsageRecord] | None


def read_csv(text: TextIO, file_name: str, needs: Iterable[tuple[str, ...]],
             convert: Callable[[CsvLine], Made], *,
             line_type: Callable[[Columns, list[str]], CsvLine] = CsvLine,
             separator: str = "; ", undecodable: str = UNDECODABLE,
             reading: Reading | None = None) -> Iterator[Item]:
    """The items of a vendor CSV.

    `needs` lists the header's required columns, each as a tuple of alternatives; a header that
    lacks one refuses the file (the missing ones joined by `separator` in the message).
    `convert` makes a line's record, several records (all on the line's number), or None for
    a placeholder line the vendor writes; it raises Refused (or cells.Bad, blaming no column)
    to refuse the line. `line_type` makes the lines `convert` reads; `undecodable` is the
    message for a line with bytes the file's encoding cannot read. `reading` gives the
    delimiter sniffed from the file and counts the lines that yield nothing (formats.Reading).
    """
    reading = reading or Reading()
    header, rows = csv_rows(text, file_name, reading.delimiter)
    columns = Columns(header, reading.delimiter)
    missing = [" or ".join(alternatives) for alternatives in needs
               if not any(columns.has(name) for name in alternatives)]
    if missing:
        found = listing(header)
        message = f"the header lacks the column(s) {separator.join(missing)}; found {found}"
        raise ImportRefused([LineError(file_name, 1, None, message)])
    width = len(header)
    for number, row in rows:
        problem = cells_problem(row, undecodable)
        if problem is None and len(row) != width:
            problem = f"has {len(row)} cells; expected {width} like the header"
        if problem is not None:
            yield number, LineError(file_name, number, None, problem), printable(row)
            continue
        try:
            made = convert(line_type(columns, row))
        except Refused as exc:
            yield number, LineError(file_name, number, exc.column, exc.message), row
            continue
        except cells.Bad as exc:  # a converter called outside Line.take: no column to blame
            yield number, LineError(file_name, number, None, str(exc)), row
            continue
        if isinstance(made, UsageRecord):
            yield number, made, row
            continue
        yielded = False
        for record in made or ():
            yielded = True
            yield number, record, row
        if not yielded:  # a placeholder line: nothing to import, but a line of the file
            reading.empty_lines += 1


def not_canonical(names: set[str]) -> bool:
    """A header naming timestamp and vendor is Meterbook's own CSV, whatever else it holds."""
    return not {"timestamp", "vendor"} <= names
