"""The file formats Meterbook reads, and how a file's format is recognised.

A format turns the rows of one kind of export into canonical usage records (usage-data.md). It
is recognised from the header (CSV) or the shape (JSON), so owners drop files without saying
what they are; `--profile NAME` names the format (or a saved column mapping) when they want to.

Each format lives in its own module (one per vendor) and registers a `Format` here. A CSV
format's `read(text, file_name, reading=None)` gets the open file (text, newline="", at its
start: the format reads the header itself; `csv_rows` does the usual part) and yields, per data
row, (line, a record or a LineError, the cells); a placeholder row the vendor writes (an empty
day) yields nothing, and is counted in `reading` (a `Reading`, which also gives the delimiter).
The cell converters of importers/cells.py give every format the same rules and messages.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from meterbook.core.records import UsageRecord
from meterbook.importers.errors import ImportRefused, LineError

Row = tuple[int, list[str]]  # (1-based physical line number, cells)
Item = tuple[int, UsageRecord | LineError, list[str]]  # what the pipeline consumes


@dataclass(frozen=True)
class Format:
    profile: str  # the name --profile takes, e.g. "openai-usage"
    title: str  # for people: "OpenAI usage export"
    kind: str  # "csv" or "json"
    # CSV: given the header's cells (stripped, lower-cased, BOM removed), is this the format?
    # JSON: given the parsed document, is this the format?
    recognise: Callable[[object], bool]
    # CSV: read(text file, file name) -> items. JSON: read(document, file name) -> items.
    read: Callable[..., Iterator[Item]]


@dataclass
class Reading:
    """How a CSV format reads one file, and what it counts on the way (sources.py gives one).

    `delimiter` is the one sniffed before the format was recognised (a recognised export
    re-saved with ';' or tabs reads as the original). `empty_lines` counts the data lines that
    carried nothing to import (a placeholder such as OpenAI's empty day), which yield no item
    but are lines of the file all the same: the summary counts them.
    """

    delimiter: str = ","
    empty_lines: int = 0


_FORMATS: list[Format] = []


def register(fmt: Format) -> Format:
    if any(f.profile == fmt.profile for f in _FORMATS):
        raise ValueError(f"format {fmt.profile!r} is registered twice")
    _FORMATS.append(fmt)
    return fmt


def formats() -> list[Format]:
    """Every registered format, in the order they are tried (most specific first)."""
    _load_all()
    return list(_FORMATS)


def by_profile(name: str) -> Format | None:
    return next((f for f in formats() if f.profile == name), None)


def normalise_header(header: Iterable[str]) -> list[str]:
    return [cell.strip().lstrip("\ufeff").strip().lower() for cell in header]


def recognise_csv(header: list[str]) -> Format | None:
    names = normalise_header(header)
    return next((f for f in formats() if f.kind == "csv" and f.recognise(names)), None)


def recognise_json(document: object) -> Format | None:
    return next((f for f in formats() if f.kind == "json" and f.recognise(document)), None)


# A header is listed in messages up to this many columns, then counted: an unknown header of
# hundreds of thousands of columns must still give a message a person can read.
SHOWN_COLUMNS = 40
# ...and each name up to this many characters: a file whose separator was not recognised has
# one "column" holding the whole header line.
SHOWN_NAME = 40


def listing(header: list[str]) -> str:
    """"'a', 'b', 'c'" of a header's columns (as written), the first SHOWN_COLUMNS of them."""
    shown = ", ".join(repr(_shortened(name.strip().lstrip("\ufeff")))
                      for name in header[:SHOWN_COLUMNS])
    hidden = len(header) - SHOWN_COLUMNS
    return shown if hidden <= 0 else f"{shown} and {hidden:,} more ({len(header):,} columns)"


def _shortened(name: str) -> str:
    return name if len(name) <= SHOWN_NAME else f"{name[:SHOWN_NAME - 1]}…"


def has_columns(*required: str) -> Callable[[object], bool]:
    """A recogniser: every one of these (lower-case) column names is in the header."""
    wanted = set(required)
    return lambda names: wanted <= set(names)


def csv_rows(text: TextIO, file_name: str, delimiter: str = ","
             ) -> tuple[list[str], Iterator[Row]]:
    """The header (as written, BOM removed) and the data rows with the physical line each
    starts on; blank rows are skipped. An empty file refuses the import."""
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRefused([LineError(file_name, 0, None, "the file is empty")]) from None
    except csv.Error as exc:
        raise ImportRefused([LineError(file_name, 1, None, f"cannot read the header: {exc}")]
                            ) from None
    if header:
        header[0] = header[0].lstrip("\ufeff")

    def rows() -> Iterator[Row]:
        end = reader.line_num
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportRefused([LineError(file_name, start, None, str(exc))]) from None
            end = reader.line_num
            if any(cell.strip() for cell in row):
                yield start, row

    return header, rows()


class Columns:
    """Column positions by (lower-case) name, for reading cells of a header's layout.

    `delimiter`: the file's; with ';' or tabs, its numbers and dates may be written as a
    decimal-comma spreadsheet shows them (cells.in_spreadsheet)."""

    def __init__(self, header: list[str], delimiter: str = ","):
        self.header, self.delimiter = header, delimiter
        self.index = {name: i for i, name in enumerate(normalise_header(header))}

    def has(self, name: str) -> bool:
        return name in self.index

    def get(self, cells: list[str], name: str, default: str = "") -> str:
        i = self.index.get(name)
        return default if i is None or i >= len(cells) else cells[i]

    def label(self, name: str) -> str:
        """The column as the file writes it, for messages."""
        i = self.index.get(name)
        return name if i is None else self.header[i].strip()


_LOADED = False


def _load_all() -> None:
    """Import the format modules, which register themselves (once)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import importlib

    for module in _MODULES:
        importlib.import_module(f"meterbook.importers.{module}")


# Tried in this order: vendor formats with distinctive headers first, the canonical CSV last.
_MODULES: tuple[str, ...] = ("openai", "anthropic", "openrouter", "deepseek", "azure",
                             "canonical_format")
