"""The one table writer of the command line: every command that prints a table uses it.

Columns are aligned whatever a cell holds. On a terminal the table is fitted to its width by
narrowing only the columns that can give way, where that costs the fewest cells (a table that
cannot fit even so is left whole, for the terminal to wrap):
- `KEEP` (numbers, dates, codes): never narrowed, since a cut number is a wrong number;
- `ELIDE` (identifiers: model names, request ids): shortened with "…" in the middle, where
  dated names differ ("claude-haiku-4-5-20251001"), or off it where the middle is what tells
  two values apart, and never so far that two different values of the column read the same;
- `WRAP` (names people type, prices in words): wrapped onto more lines at spaces.
A cell may hold several lines ("a.csv\nb.csv": one file a line).
Output that is not a terminal (a pipe, a file) keeps every cell whole: scripts get all of it
(and `--format json` is there for programs).
"""

from __future__ import annotations

import bisect
import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum

GAP = "  "
_MEASURED_ROWS = 400  # above this, fitting counts cut cells, not lines (it stays quick)
_SEARCHED_VALUES = 100  # up to this many values, an elided column may move its "…"
ELLIPSIS = "…"


class Fit(Enum):
    KEEP = "keep"
    ELIDE = "elide"
    WRAP = "wrap"


@dataclass(frozen=True)
class Column:
    header: str
    right: bool = False  # numbers and money are right-aligned
    fit: Fit = Fit.KEEP
    narrowest: int = 8  # below this a shortened name or a wrapped phrase says little
    # ELIDE: how many characters more than half are kept before the "…" (set by _fit)
    lean: int = 0


def terminal_width() -> int | None:
    """The width to fit tables to: the terminal's (or $COLUMNS) when stdout is a terminal."""
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns  # $COLUMNS first, as the shell sets it


def elide_middle(text: str, width: int, lean: int = 0) -> str:
    """`text` in at most `width` characters: its start and end around "…", half and half, or
    `lean` characters more of the start (fewer if negative)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    keep = width - 1
    head = max(0, min(keep, (keep + 1) // 2 + lean))
    return text[:head] + ELLIPSIS + text[len(text) - (keep - head):]


def render(columns: Sequence[Column], rows: Iterable[Sequence[str]], *,
           width: int | None = None, footer: Sequence[str] | None = None,
           rules: bool = False, empty: str | None = None) -> list[str]:
    """The lines of a table: the header, the rows and the footer (a total), each line without
    trailing spaces. `rules` draws a line of dashes under the header and above the footer;
    `empty` is the line shown in place of rows when there are none."""
    body = list(rows)
    every = [[c.header for c in columns], *body, *([footer] if footer else [])]
    by_column = list(zip(*every, strict=True))
    several = any("\n" in "".join(cells) for cells in by_column)  # C speed, 100,000 rows
    natural = [max(map(_longest if several else len, cells)) for cells in by_column]
    columns, widths = _fit(columns, every, natural, width)
    rule = GAP.join("-" * w for w in widths)
    out = [*_lines(columns, every[0], widths, header=True)]
    if rules:
        out.append(rule)
    if widths == natural and not several:
        # Every cell whole on one line (a pipe, a table that fits): one format a row, which
        # writes a hundred thousand requests in a fraction of the time cell by cell takes.
        template = GAP.join(f"{{:{'>' if c.right else '<'}{w}}}"
                            for c, w in zip(columns, widths, strict=True))
        out += [template.format(*row).rstrip() for row in body]
    else:
        drawn = [_lines(columns, row, widths) for row in body]
        # Rows of several lines would run into each other: a blank line tells them apart.
        spaced = any(len(lines) > 1 for lines in drawn)
        for n, lines in enumerate(drawn):
            out += [""] * (spaced and n > 0) + lines
    if not body and empty is not None:
        out.append(empty)
    if footer:
        if rules:
            out.append(rule)
        out += _lines(columns, footer, widths)
    return out


def _fit(columns: Sequence[Column], every: list[list[str]], natural: list[int],
         width: int | None) -> tuple[Sequence[Column], list[int]]:
    """The columns (an elided one with its `lean`) and their widths."""
    if width is None:
        return columns, natural
    widths = list(natural)
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
    if excess <= 0:
        return columns, widths
    lows = [n if c.fit is Fit.KEEP else min(n, max(len(c.header), c.narrowest))
            for c, n in zip(columns, natural, strict=True)]
    found = [_floor(c, [row[i] for row in every[1:]], natural[i])
             for i, c in enumerate(columns)] if sum(natural) - sum(lows) >= excess else []
    floors = [floor for floor, _lean in found]
    if not found or sum(natural) - sum(floors) < excess:
        # Too wide even at its narrowest (many number columns): cutting names would lose them
        # and still not fit, so the table stays whole and the terminal wraps its lines. (The
        # first check spares searching 100,000 request ids for a table that cannot fit.)
        return columns, natural
    columns = [replace(c, lean=lean) for c, (_floor_, lean) in zip(columns, found, strict=True)]
    # One character at a time from the column where it costs least: the fewest lines added
    # to the table (a row already of several lines takes more at no cost), then the fewest
    # cells cut, then the widest. Rows stay on one line as long as they can.
    cells = [[row[i] for row in every[1:]] for i in range(len(columns))]
    lengths = [sorted(map(_longest, column)) for column in cells]
    measure = len(every) <= _MEASURED_ROWS
    heights: dict[tuple[int, int], list[int]] = {}

    def height(i: int, w: int) -> list[int]:
        if (i, w) not in heights:
            heights[i, w] = [len(_cell(columns[i], c, w, False)) for c in cells[i]]
        return heights[i, w]

    def cost(i: int) -> tuple[int, int, int]:
        added = 0
        if measure:
            now = [height(j, w) for j, w in enumerate(widths)]
            after = [*now[:i], height(i, widths[i] - 1), *now[i + 1:]]
            added = sum(map(max, zip(*after, strict=True))) - sum(map(max, zip(*now,
                                                                                  strict=True)))
        cut = len(lengths[i]) - bisect.bisect_right(lengths[i], widths[i] - 1)
        return added, cut, -widths[i]

    while excess > 0:
        give = [i for i, w in enumerate(widths) if w > floors[i]]
        widths[min(give, key=cost)] -= 1
        excess -= 1
    return columns, widths


def _floor(column: Column, cells: list[str], natural: int) -> tuple[int, int]:
    """The narrowest a column may become, and for ELIDE where its "…" goes (see lean). A
    wider cut with the same lean keeps more of both ends: values told apart stay apart."""
    if column.fit is Fit.KEEP:
        return natural, 0
    low = min(natural, max(len(column.header), column.narrowest))  # as lows in _fit
    if column.fit is Fit.WRAP:
        return low, 0
    # ELIDE: the narrowest width at which different values still read differently, keeping
    # as much of their start as of their end where that tells them apart, else moving the
    # "…" ("anthropic.claude-h…-20251001-v1:0" needs a long start, a date a long end).
    values = {line for cell in cells for line in cell.split("\n")}

    def apart(w: int, lean: int) -> bool:
        return len({elide_middle(v, w, lean) for v in values}) == len(values)

    if len(values) <= _SEARCHED_VALUES:
        for w in range(low, natural):
            half = w // 2
            for lean in sorted(range(-half, w - half), key=abs):
                if apart(w, lean):
                    return w, lean
        return natural, 0
    # Many values (request ids): the "…" in the middle; bisect the width.
    if apart(low, 0):
        return low, 0
    lo, hi = low, natural  # apart at `hi`, not at `lo`
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if apart(mid, 0):
            hi = mid
        else:
            lo = mid
    return hi, 0


def _longest(text: str) -> int:
    return len(text) if "\n" not in text else max(map(len, text.split("\n")))


def _lines(columns: Sequence[Column], row: Sequence[str], widths: list[int],
           header: bool = False) -> list[str]:
    cells = [_cell(c, text, w, header) for c, text, w in zip(columns, row, widths, strict=True)]
    height = max(len(c) for c in cells)
    out = []
    for n in range(height):
        parts = [(lines[n] if n < len(lines) else "").rjust(w) if c.right else
                 (lines[n] if n < len(lines) else "").ljust(w)
                 for c, lines, w in zip(columns, cells, widths, strict=True)]
        out.append(GAP.join(parts).rstrip())
    return out


def _cell(column: Column, text: str, width: int, header: bool) -> list[str]:
    """A cell's lines: one per line of its text ("a.csv\nb.csv"), each fitted to `width`.
    In a cell of several lines, a wrapped line goes on indented, so that the end of one file
    name is not read as the next file."""
    lines = text.split("\n")
    out = []
    for line in lines:
        if len(line) <= width or header or column.fit is Fit.KEEP:
            out.append(line)
        elif column.fit is Fit.ELIDE:
            out.append(elide_middle(line, width, column.lean))
        else:
            out += _wrap(line, width, hang=2 if len(lines) > 1 and width > 4 else 0)
    return out


_WORD_PARTS = re.compile(r"[^-_/]*[-_/]+|[^-_/]+")


def _wrap(text: str, width: int, hang: int = 0) -> list[str]:
    """Words onto lines of at most `width`, broken at spaces; lines after the first indented by
    `hang`. A word longer than a line (a file name) is broken after a "-", "_" or "/", else
    anywhere: it goes on, never lost. Never at a ".": "10.00" stays whole."""
    lines: list[str] = []
    line = ""

    def room() -> int:
        return width - (hang if lines else 0)

    def flush() -> None:
        nonlocal line
        lines.append(" " * hang + line if lines else line)
        line = ""

    for word in text.split():
        if line and len(line) + 1 + len(word) <= room():
            line += " " + word
            continue
        if line:
            flush()
        if len(word) <= room():
            line = word
            continue
        for part in _WORD_PARTS.findall(word):
            if line and len(line) + len(part) > room():
                flush()
            while len(part) > room():
                line, part = part[:room()], part[room():]
                flush()
            line += part
    flush()
    return lines
