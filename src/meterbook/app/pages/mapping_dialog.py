"""What a dropped file is, and the column-mapping dialog for a CSV no format knows.

`inspect_file` (plain Python, run on a reader thread) reads a file's first lines for the preview
and recognises its format with FileSource, or finds a header that needs mapping. The dialog then
offers each column of the file a combo of the canonical fields, pre-filled by guess_mapping (or
by a saved profile that fits the header), beside a few of its values so that people can see
what the column holds. The dialog only builds a ColumnMapping and a profile name; saving the
profile and importing are the Imports page's work, on the writer.

The dialog is opened with open(), not exec(): the window stays responsive and tests can fill it
in as a person would.
"""

from __future__ import annotations

import csv
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.tables import configure_table
from meterbook.core.records import CANONICAL_FIELDS
from meterbook.importers.canonical import open_text
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.mapping import ColumnMapping, _clean, read_header
from meterbook.importers.mapping_guess import guess_mapping
from meterbook.importers.mapping_profiles import (
    check_profile_name,
    list_profiles,
    load_profile,
)  # fmt: skip
from meterbook.importers.sources import FileSource

PREVIEW_LINES = 10
FIELD_LABELS = {
    "timestamp": "Date and time", "vendor": "Vendor", "model": "Model",
    "requests": "Number of requests", "input_tokens": "Input tokens (not cached)",
    "cached_input_tokens": "Cached input tokens", "cache_write_tokens": "Cache write tokens",
    "output_tokens": "Output tokens", "units": "Units (images, pages, seconds…)",
    "unit_name": "Unit name", "request_id": "Request id", "conversation_id": "Conversation id",
    "project": "Project", "user": "User", "api_key": "API key", "service_tier": "Service tier",
    "billed_cost": "Billed cost", "currency": "Currency of the cost",
}  # fmt: skip
DATE_CHOICES = (
    ("Decide from the dates", None), ("ISO, like 2026-03-01", "ISO"),
    ("Month first, like 03/31/2026", "MM/DD/YYYY"), ("Day first, like 31/03/2026", "DD/MM/YYYY"),
    ("Unix seconds, like 1772323200", "unix"),
)  # fmt: skip
VENDORS = ("openai", "anthropic", "google", "openrouter", "deepseek", "azure", "mistral")
EXAMPLES = 3  # values shown beside each column

# "0,52" or "1.234,56": a decimal comma; "1,234" or "1,234.50" is a thousands comma.
_DECIMAL_COMMA = re.compile(r"[+-]?\d{1,3}(\.\d{3})*,\d+|[+-]?\d+,\d+")
_THOUSANDS_COMMA = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


# --- what a file is (worker threads: no widgets here) ------------------------------------------


@dataclass
class FileInfo:
    """What a dropped file is, before anything is imported."""

    path: str
    name: str
    size: int = 0
    title: str | None = None  # the recognised format
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)  # the first lines, for the preview
    needs_mapping: bool = False
    empty: bool = False
    errors: list[LineError] = field(default_factory=list)  # why it cannot be imported at all


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
            info.rows = list(itertools.islice(rows, PREVIEW_LINES))
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
        info.needs_mapping = not is_json and any(name.strip() for name in info.header)
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


def guess_decimal_comma(rows: list[list[str]]) -> bool:
    """True when some number in the first lines is written with a decimal comma."""
    for row in rows:
        for cell in row:
            text = cell.strip()
            if _DECIMAL_COMMA.fullmatch(text) and not _THOUSANDS_COMMA.fullmatch(text):
                return True
    return False


def fitting_profiles(profiles: dict[str, ColumnMapping], header: list[str]
                     ) -> dict[str, ColumnMapping]:
    """The saved mappings whose every column is in this header (any case)."""
    names = {_clean(name).lower() for name in header}
    return {name: mapping for name, mapping in profiles.items()
            if all(column.lower() in names for column in mapping.columns)}


# --- the dialog --------------------------------------------------------------------------------


class MappingDialog(QDialog):
    """Map the columns of `header` (the first lines in `rows`) for the files `file_names`."""

    def __init__(self, parent: QWidget | None, file_names: list[str], header: list[str],
                 rows: list[list[str]], profiles: dict[str, ColumnMapping] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Map the columns")
        self.setModal(True)
        self.resize(760, 620)
        self.header = [_clean(name) for name in header]
        self.profiles = fitting_profiles(profiles or {}, header)
        self.combos: list[QComboBox] = []
        layout = QVBoxLayout(self)
        shown = ", ".join(file_names[:3]) + (" …" if len(file_names) > 3 else "")
        intro = QLabel(
            f"<b>{shown}</b> is not an export Meterbook recognises. Tell it what each column "
            "holds (the guesses come from the column names: check them). The date, the model "
            "and the vendor are needed; columns left as “not imported” are skipped.")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(intro)

        self.start_combo = QComboBox()
        self.start_combo.addItem("Guessed from the column names", None)
        for name in sorted(self.profiles):
            self.start_combo.addItem(f"Saved mapping “{name}”", name)
        self.start_combo.currentIndexChanged.connect(self._start_from)
        if self.profiles:
            row = QHBoxLayout()
            row.addWidget(QLabel("Start from:"))
            row.addWidget(self.start_combo, 1)
            layout.addLayout(row)

        # Made before the fields, whose signals update them.
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #b91c1c;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        self.table = self._build_table(rows)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._build_options(file_names))
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)

        self._apply(guess_mapping(self.header), None, None, guess_decimal_comma(rows))
        if self.profiles:  # the newest habit first: a saved mapping that fits this header
            self.start_combo.setCurrentIndex(1)
        self._check()
        self._focus_order()

    # -- building --------------------------------------------------------------------------------

    def _build_table(self, rows: list[list[str]]) -> QTableWidget:
        table = QTableWidget(len(self.header), 3)
        table.setHorizontalHeaderLabels(["Column in your file", "Values in the first lines",
                                         "Meterbook field"])
        configure_table(table)
        table.verticalHeader().hide()
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        head = table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for i, name in enumerate(self.header):
            values = [row[i].strip() for row in rows if i < len(row) and row[i].strip()]
            table.setItem(i, 0, QTableWidgetItem(name))
            example = QTableWidgetItem("  ·  ".join(values[:EXAMPLES]))
            example.setForeground(Qt.GlobalColor.darkGray)
            table.setItem(i, 1, example)
            combo = QComboBox()
            combo.addItem("— not imported —", "")
            for name_of_field in CANONICAL_FIELDS:
                combo.addItem(f"{FIELD_LABELS[name_of_field]}  ({name_of_field})",
                              name_of_field)
            combo.currentIndexChanged.connect(lambda _i, row=i: self._picked(row))
            table.setCellWidget(i, 2, combo)
            self.combos.append(combo)
        return table

    def _build_options(self, file_names: list[str]) -> QFormLayout:
        form = QFormLayout()
        self.vendor_edit = QComboBox()
        self.vendor_edit.setEditable(True)
        self.vendor_edit.addItems(["", *VENDORS])
        self.vendor_edit.lineEdit().setPlaceholderText("e.g. mistral")
        self.vendor_edit.currentTextChanged.connect(self._check)
        form.addRow("Vendor of every line:", self.vendor_edit)
        self.date_combo = QComboBox()
        for text, value in DATE_CHOICES:
            self.date_combo.addItem(text, value)
        form.addRow("Dates are written:", self.date_combo)
        self.decimal_comma = QCheckBox("Numbers use a decimal comma (0,5 means one half)")
        form.addRow("", self.decimal_comma)
        save_row = QHBoxLayout()
        self.save_check = QCheckBox("Remember this mapping as")
        self.save_check.setChecked(True)
        self.save_name = QLineEdit(_profile_name_for(file_names[0]) if file_names else "")
        self.save_check.toggled.connect(self.save_name.setEnabled)
        self.save_check.toggled.connect(self._check)
        self.save_name.textChanged.connect(self._check)
        save_row.addWidget(self.save_check)
        save_row.addWidget(self.save_name, 1)
        form.addRow("", save_row)
        hint = QLabel("A remembered mapping is offered again for the next file with these "
                      "columns.")
        hint.setStyleSheet("color: palette(mid);")
        form.addRow("", hint)
        return form

    def _focus_order(self) -> None:
        # Tab goes down the page as it reads: each column's field, then the options, then
        # Import (the buttons were made first, which would put them first in the chain).
        chain = [self.start_combo] if self.profiles else []
        chain += [*self.combos, self.vendor_edit, self.date_combo, self.decimal_comma,
                  self.save_check, self.save_name, self.import_button,
                  self.buttons.button(QDialogButtonBox.StandardButton.Cancel)]
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its fields take the focus
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- filling ---------------------------------------------------------------------------------

    def _apply(self, columns: dict[str, str], vendor: str | None, date_format: str | None,
               decimal_comma: bool) -> None:
        wanted = {column.lower(): field for column, field in columns.items()}
        for name, combo in zip(self.header, self.combos, strict=True):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(wanted.get(name.lower(), ""))))
            combo.blockSignals(False)
        self.vendor_edit.setCurrentText(vendor or "")
        index = self.date_combo.findData(date_format)
        if index < 0:  # a strptime pattern from a saved profile: offer it as it is
            self.date_combo.addItem(f"As “{date_format}”", date_format)
            index = self.date_combo.count() - 1
        self.date_combo.setCurrentIndex(index)
        self.decimal_comma.setChecked(decimal_comma)
        self._check()

    def _start_from(self, _index: int) -> None:
        name = self.start_combo.currentData()
        if name is None:
            self._apply(guess_mapping(self.header), None, None, self.decimal_comma.isChecked())
            return
        mapping = self.profiles[name]
        self._apply(mapping.columns, mapping.vendor, mapping.date_format, mapping.decimal_comma)
        self.save_name.setText(name)  # saving again updates the same profile

    def _picked(self, row: int) -> None:
        """One field takes one column: picking a field frees the column that had it."""
        field = self.combos[row].currentData()
        if field:
            for other, combo in enumerate(self.combos):
                if other != row and combo.currentData() == field:
                    combo.setCurrentIndex(0)
        self._check()

    # -- reading ---------------------------------------------------------------------------------

    def field_combo(self, column: str) -> QComboBox:
        """The combo of a column, by its name as the file writes it."""
        return self.combos[self.header.index(column)]

    def columns(self) -> dict[str, str]:
        return {name: combo.currentData() for name, combo in zip(self.header, self.combos,
                                                                 strict=True)
                if combo.currentData()}

    def mapping(self) -> ColumnMapping:
        return ColumnMapping(columns=self.columns(),
                             vendor=self.vendor_edit.currentText().strip() or None,
                             decimal_comma=self.decimal_comma.isChecked(),
                             date_format=self.date_combo.currentData())

    def profile_name(self) -> str | None:
        """The name to save the mapping under, or None when it is not to be remembered."""
        return self.save_name.text().strip() if self.save_check.isChecked() else None

    def problems_found(self) -> list[str]:
        fields = set(self.columns().values())
        problems = []
        if "timestamp" not in fields:
            problems.append("Choose the column that holds the date and time.")
        if "model" not in fields:
            problems.append("Choose the column that holds the model.")
        if "vendor" not in fields and not self.vendor_edit.currentText().strip():
            problems.append("Choose a vendor column, or type the vendor of every line.")
        if self.save_check.isChecked():
            try:
                check_profile_name(self.save_name.text())
            except ValueError as exc:
                problems.append(f"The mapping's name: {exc}.")
        return problems

    def _check(self, *_args) -> None:
        problems = self.problems_found()
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))
        self.import_button.setEnabled(not problems)

    def accept(self) -> None:
        if self.problems_found():  # the button is disabled; Enter in a field must not pass
            return
        super().accept()


def _profile_name_for(file_name: str) -> str:
    """A name for a mapping from the file's name, less dates and numbers: "acme_2026-03.csv"
    -> "acme"."""
    stem = file_name.rsplit(".", 1)[0]
    words = [w for w in re.split(r"[\s_\-.]+", stem) if w and not any(c.isdigit() for c in w)]
    return " ".join(words)[:60] or "my export"
