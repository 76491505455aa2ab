"""What a dropped file is, and the column-mapping dialog's model (toolkit-free, like
core/plan_form.py for the plan editor: the Qt dialog only copies choices in and out).

`inspect_file` (plain Python, run on a reader thread) reads a file's first lines for the preview
and recognises its format with FileSource, or finds a header that needs mapping. `MappingForm`
holds what the dialog shows and what people choose: a field for each column (guessed by
mapping_guess, or taken from a saved mapping that fits the header), the vendor, how dates and
numbers are written, the currency of the costs, and the name to remember it all under. Its
`mapping()` is the ColumnMapping to import with and to save, with every choice in it: a date
order the first lines decide is written down, so that next month's file, whose days may all be
12 or less, is read the same way instead of being refused as ambiguous.
"""

from __future__ import annotations

import csv
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from meterbook.core.records import CANONICAL_FIELDS
from meterbook.importers.canonical import open_text
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.mapping import (
    DATE_READ_AHEAD,
    ColumnMapping,
    check_mapping,
    clean_column,
    decide_date_order,
    normalise_currency,
    read_header,
)  # fmt: skip
from meterbook.importers.mapping_guess import guess_mapping
from meterbook.importers.mapping_profiles import check_profile_name, list_profiles, load_profile
from meterbook.importers.sources import FileSource

PREVIEW_LINES = 10  # shown on the Imports page
EXAMPLES = 3  # values shown beside each column in the dialog
FIELD_LABELS = {
    "timestamp": "Date and time", "vendor": "Vendor", "model": "Model",
    "requests": "Number of requests", "input_tokens": "Input tokens (not cached)",
    "cached_input_tokens": "Cached input tokens", "cache_write_tokens": "Cache write tokens",
    "output_tokens": "Output tokens", "units": "Units (images, pages, seconds…)",
    "unit_name": "Unit name", "request_id": "Request id", "conversation_id": "Conversation id",
    "project": "Project", "user": "User", "api_key": "API key", "service_tier": "Service tier",
    "billed_cost": "Billed cost", "currency": "Currency of the cost",
}  # fmt: skip
DECIDE = None  # the date choice "decide from the dates"
DATE_CHOICES = (
    ("Decide from the dates", DECIDE), ("ISO, like 2026-03-01", "ISO"),
    ("Month first, like 03/31/2026", "MM/DD/YYYY"), ("Day first, like 31/03/2026", "DD/MM/YYYY"),
    ("Unix seconds, like 1772323200", "unix"),
)  # fmt: skip
VENDORS = ("openai", "anthropic", "google", "openrouter", "deepseek", "azure", "mistral")
CURRENCIES = ("USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD", "CNY", "INR", "SEK")
_ORDERS = {"MDY": "MM/DD/YYYY", "DMY": "DD/MM/YYYY"}

# "0,52" or "1.234,56": a decimal comma; "1,234" or "1,234.50" is a thousands comma.
_DECIMAL_COMMA = re.compile(r"[+-]?\d{1,3}(\.\d{3})*,\d+|[+-]?\d+,\d+")
_THOUSANDS_COMMA = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
# A currency named in a column's name or a cost cell: "Kosten (EUR)", "1,50 €".
_CURRENCY_SIGNS = {"€": "EUR", "£": "GBP", "$": "USD", "¥": "JPY", "₹": "INR"}
_CURRENCY_CODE = re.compile(r"(?<![A-Za-z])(" + "|".join(CURRENCIES) + r")(?![A-Za-z])")


# --- what a file is (worker threads) -----------------------------------------------------------


@dataclass
class FileInfo:
    """What a dropped file is, before anything is imported."""

    path: str
    name: str
    size: int = 0
    title: str | None = None  # the recognised format
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)  # the first lines, for the preview
    # The first lines the import itself decides the date order from: the form decides from
    # the same lines, so the dialog asks exactly when the import would refuse.
    sample: list[list[str]] = field(default_factory=list)
    needs_mapping: bool = False
    empty: bool = False
    errors: list[LineError] = field(default_factory=list)  # why it cannot be imported at all

    @property
    def mappable(self) -> bool:
        """A CSV with a header: its columns can be mapped by hand, whatever its format."""
        return self.header != ["JSON"] and any(name.strip() for name in self.header)


def _preview(path: Path, info: FileInfo) -> bool:
    """Fill the preview of a file; True when it is JSON (shown as text lines)."""
    with open(path, "rb") as raw:
        head = raw.read(8192)  # a minified JSON file is one huge line: read a little of it
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        text = head.decode("utf-8-sig", errors="replace")
        info.header = ["JSON"]
        info.rows = [[line[:300]] for line in text.splitlines()[:PREVIEW_LINES]]
        return True
    try:
        info.header, delimiter = read_header(path)
        with open_text(path) as text:
            rows = csv.reader(text, delimiter=delimiter)
            next(rows, None)
            info.sample = list(itertools.islice(rows, DATE_READ_AHEAD))
            info.rows = info.sample[:PREVIEW_LINES]
    except (ImportRefused, csv.Error, UnicodeDecodeError):
        pass  # FileSource says what is wrong
    return False


def inspect_file(db, path: str) -> FileInfo:
    """Preview a file and recognise its format (FileSource); never raises."""
    p = Path(path)
    info = FileInfo(path=str(p), name=p.name)
    is_json = False
    try:
        info.size = p.stat().st_size
        if p.is_dir():
            raise IsADirectoryError(21, "it is a folder")
        is_json = _preview(p, info)
        with db.engine.connect() as conn:
            source = FileSource(p, conn=conn)
        info.empty = source.empty
        info.title = None if source.format is None else source.format.title
    except ImportRefused as exc:
        # A CSV header no format knows is what the mapping dialog is for; anything else (not
        # text, JSON of another shape) cannot be imported at all.
        info.needs_mapping = not is_json and info.mappable
        if not info.needs_mapping:
            info.errors = exc.errors
    except OSError as exc:
        info.errors = [LineError(p.name, 0, None, f"cannot be read: {exc.strerror or exc}")]
    return info


def saved_profiles(db) -> dict[str, ColumnMapping]:
    """Every saved mapping that still loads (a damaged one is left out of the offer)."""
    found = {}
    with db.engine.connect() as conn:
        for name in list_profiles(conn):
            try:
                mapping = load_profile(conn, name)
            except ValueError:
                continue
            if mapping is not None:
                found[name] = mapping
    return found


def fitting_profiles(profiles: dict[str, ColumnMapping], header: list[str]
                     ) -> dict[str, ColumnMapping]:
    """The saved mappings whose every column is in this header (any case)."""
    names = {clean_column(name).lower() for name in header}
    return {name: mapping for name, mapping in profiles.items()
            if all(column.lower() in names for column in mapping.columns)}


# --- guesses from the first lines --------------------------------------------------------------


def guess_decimal_comma(rows: list[list[str]]) -> bool:
    """True when some number in the first lines is written with a decimal comma."""
    for row in rows:
        for cell in row:
            text = cell.strip()
            if _DECIMAL_COMMA.fullmatch(text) and not _THOUSANDS_COMMA.fullmatch(text):
                return True
    return False


def guess_currency(texts: list[str]) -> str | None:
    """The currency the first of these texts names ("Kosten (EUR)", "1,50 €"), or None."""
    for text in texts:
        for sign, code in _CURRENCY_SIGNS.items():
            if sign in text:
                return code
        found = _CURRENCY_CODE.search(text)
        if found:
            return found[1]
    return None


def _profile_name_for(file_name: str) -> str:
    """A name for a mapping from the file's name, less dates and numbers: "acme_2026-03.csv"
    -> "acme"."""
    stem = file_name.rsplit(".", 1)[0]
    words = [w for w in re.split(r"[\s_\-.]+", stem) if w and not any(c.isdigit() for c in w)]
    return " ".join(words)[:60] or "my export"


# --- the form ---------------------------------------------------------------------------------


class MappingForm:
    """The choices of the column-mapping dialog for files of one header.

    `start` is a mapping to begin from (the one a refused import used); otherwise the newest
    habit: a saved mapping that fits the header, else the guess from the column names.
    """

    def __init__(self, file_names: list[str], header: list[str], sample: list[list[str]],
                 profiles: dict[str, ColumnMapping] | None = None,
                 home_currency: str = "USD", start: ColumnMapping | None = None):
        self.file_names = list(file_names)
        self.header = [clean_column(name) for name in header]
        self.sample = sample
        self.profiles = fitting_profiles(profiles or {}, header)
        self.home_currency = home_currency
        self.fields: dict[str, str] = {}  # column -> field, for the mapped columns
        self.vendor = ""
        self.date_format: str | None = DECIDE
        self.decimal_comma = False
        self.currency = home_currency
        self.save = True
        self.save_name = _profile_name_for(self.file_names[0]) if self.file_names else ""
        self.profile: str | None = None  # the saved mapping started from
        self.start_from(sorted(self.profiles)[0] if self.profiles else None)
        if start is not None:
            self.apply(start)

    # -- what the dialog shows ---------------------------------------------------------------

    def examples(self, column: str) -> list[str]:
        """A few values of the column from the first lines."""
        i = self.header.index(column)
        values = [row[i].strip() for row in self.sample if i < len(row) and row[i].strip()]
        return values[:EXAMPLES]

    def field_of(self, column: str) -> str:
        """The field the column is mapped to; "" when it is not imported."""
        return self.fields.get(column, "")

    # -- choosing ----------------------------------------------------------------------------

    def start_from(self, name: str | None) -> None:
        """Begin again from a saved mapping (by name), or from the guess (None)."""
        self.profile = name
        if name is None:
            texts = [*self.header, *(cell for row in self.sample[:EXAMPLES] for cell in row)]
            self.fields = guess_mapping(self.header)
            self.vendor, self.date_format = "", DECIDE
            self.decimal_comma = guess_decimal_comma(self.sample)
            self.currency = guess_currency(texts) or self.home_currency
            return
        self.apply(self.profiles[name])
        self.save_name = name  # saving again updates the same profile

    def apply(self, mapping: ColumnMapping) -> None:
        """Take every choice of a mapping (columns matched to this header in any case)."""
        by_lower = {name.lower(): name for name in self.header}
        self.fields = {by_lower[column.lower()]: field
                       for column, field in mapping.columns.items()
                       if column.lower() in by_lower}
        self.vendor = mapping.vendor or ""
        self.date_format = mapping.date_format
        self.decimal_comma = mapping.decimal_comma
        self.currency = mapping.currency or "USD"  # a mapping without one read costs as USD

    def pick(self, column: str, field: str) -> None:
        """Map a column to a field ("" for none); one field takes one column, so picking it
        frees the column that had it."""
        if field and field not in CANONICAL_FIELDS:
            raise ValueError(f"{field!r} is not a field")
        self.fields = {c: f for c, f in self.fields.items() if c != column and f != field}
        if field:
            self.fields[column] = field

    # -- reading -------------------------------------------------------------------------------

    def found_date_order(self) -> str | None:
        """"DD/MM/YYYY" or "MM/DD/YYYY" when the first lines' dates decide it; "ambiguous" when
        they are slash dates that do not (03/04/2026 only, or both orders); None otherwise."""
        column = next((c for c, f in self.fields.items() if f == "timestamp"), None)
        if column is None:
            return None
        rows = [(line, row) for line, row in enumerate(self.sample, start=2)]
        try:
            order = decide_date_order(rows, self.header.index(column), column, "",
                                      complete=True)
        except ImportRefused:
            return "ambiguous"
        return None if order is None else _ORDERS[order]

    def decide_text(self) -> str:
        """The "decide from the dates" choice, with what the first lines decide."""
        found = self.found_date_order()
        here = {"DD/MM/YYYY": "day first here", "MM/DD/YYYY": "month first here",
                "ambiguous": "they do not tell here"}.get(found or "")
        return f"{DATE_CHOICES[0][0]} ({here})" if here else DATE_CHOICES[0][0]

    def mapping(self) -> ColumnMapping:
        """The mapping to import with and to save. "Decide from the dates" is written down as
        the order the first lines decide, so the next file of few days reads the same way.
        ValueError when the currency is not a code (problems() says so first)."""
        date_format = self.date_format
        found = self.found_date_order()
        if date_format is DECIDE and found in _ORDERS.values():
            date_format = found
        return ColumnMapping(columns=dict(self.fields), vendor=self.vendor.strip() or None,
                             decimal_comma=self.decimal_comma, date_format=date_format,
                             currency=self.currency.strip() or None)

    def profile_name(self) -> str | None:
        """The name to save the mapping under, or None when it is not to be remembered."""
        return self.save_name.strip() if self.save else None

    def problems(self) -> list[str]:
        """What keeps the choices from importing, for people (not command-line advice)."""
        fields = set(self.fields.values())
        problems = []
        if "timestamp" not in fields:
            problems.append("Choose the column that holds the date and time.")
        if "model" not in fields:
            problems.append("Choose the column that holds the model.")
        if "vendor" not in fields and not self.vendor.strip():
            problems.append("Choose a vendor column, or type the vendor of every line.")
        if self.date_format is DECIDE and self.found_date_order() == "ambiguous":
            problems.append("The dates could be month first or day first (no day above 12 "
                            "tells): choose how they are written.")
        try:
            normalise_currency(self.currency.strip() or None)
        except ValueError:
            problems.append(f"The currency {self.currency.strip()!r} is not a three-letter "
                            "code like USD or EUR.")
        if self.save:
            try:
                check_profile_name(self.save_name)
            except ValueError as exc:
                problems.append(f"The mapping's name: {exc}.")
        if not problems:
            problems += check_mapping(self.mapping(), self.header)
        return problems
