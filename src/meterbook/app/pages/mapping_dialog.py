"""The column-mapping dialog for a CSV no format knows (or one whose import was refused).

The dialog adapts importers/mapping_form.MappingForm: each column of the file gets a combo of
the canonical fields beside a few of its values, then the vendor, how dates and numbers are
written, the currency of the costs and the name to remember the mapping under. Every change goes
to the form and the widgets are filled back from it, so what the dialog shows is what the form
holds. Saving the profile and importing are the Imports page's work, on the writer.

The dialog is opened with open(), not exec(): the window stays responsive and tests can fill it
in as a person would.
"""

from __future__ import annotations

import itertools

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
from meterbook.importers.mapping import ColumnMapping
from meterbook.importers.mapping_form import (
    CURRENCIES,
    DATE_CHOICES,
    FIELD_LABELS,
    VENDORS,
    MappingForm,
)  # fmt: skip


class MappingDialog(QDialog):
    """Map the columns of one file shape: `form` holds the header, first lines and choices."""

    def __init__(self, parent: QWidget | None, form: MappingForm, reason: str | None = None):
        super().__init__(parent)
        self.form = form
        self.setWindowTitle("Map the columns")
        self.setModal(True)
        # Within the window, down to the smallest supported (1024x640).
        self.resize(760, min(640, parent.window().height() - 40) if parent else 640)
        self.header = form.header
        self.combos: list[QComboBox] = []
        layout = QVBoxLayout(self)
        names = form.file_names
        shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
        self.intro = intro = QLabel(reason or (
            f"<b>{shown}</b> is not an export Meterbook recognises. Tell it what each column "
            "holds (the guesses come from the column names: check them). The date, the model "
            "and the vendor are needed; columns left as “not imported” are skipped."))
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(intro)

        self.start_combo = QComboBox()
        self.start_combo.addItem("Guessed from the column names", None)
        for name in sorted(form.profiles):
            self.start_combo.addItem(f"Saved mapping “{name}”", name)
        if form.profile is not None:
            self.start_combo.setCurrentIndex(self.start_combo.findData(form.profile))
        self.start_combo.currentIndexChanged.connect(self._start_from)
        if form.profiles:
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

        self.table = self._build_table()
        layout.addWidget(self.table, 1)
        layout.addLayout(self._build_options())
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        self._fill()
        self._focus_order()

    # -- building --------------------------------------------------------------------------------

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(len(self.header), 3)
        table.setHorizontalHeaderLabels(["Column in your file", "Values in the first lines",
                                         "Meterbook field"])
        configure_table(table)
        table.verticalHeader().hide()
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Nothing to select or edit in the table itself: Tab goes from field combo to field
        # combo and on to the options and Import, instead of walking the cells for ever.
        table.setTabKeyNavigation(False)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        head = table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for i, name in enumerate(self.header):
            table.setItem(i, 0, QTableWidgetItem(name))
            example = QTableWidgetItem("  ·  ".join(self.form.examples(name)))
            example.setForeground(Qt.GlobalColor.darkGray)
            table.setItem(i, 1, example)
            combo = QComboBox()
            combo.addItem("— not imported —", "")
            for name_of_field in CANONICAL_FIELDS:
                combo.addItem(f"{FIELD_LABELS[name_of_field]}  ({name_of_field})",
                              name_of_field)
            combo.currentIndexChanged.connect(lambda _i, column=name: self._picked(column))
            table.setCellWidget(i, 2, combo)
            self.combos.append(combo)
        return table

    def _build_options(self) -> QFormLayout:
        form = QFormLayout()
        self.vendor_edit = QComboBox()
        self.vendor_edit.setEditable(True)
        self.vendor_edit.addItems(["", *VENDORS])
        self.vendor_edit.lineEdit().setPlaceholderText("e.g. mistral")
        self.vendor_edit.currentTextChanged.connect(self._vendor_typed)
        form.addRow("Vendor of every line:", self.vendor_edit)
        self.date_combo = QComboBox()
        for text, value in DATE_CHOICES:
            self.date_combo.addItem(text, value)
        self.date_combo.currentIndexChanged.connect(self._date_chosen)
        form.addRow("Dates are written:", self.date_combo)
        self.decimal_comma = QCheckBox("Numbers use a decimal comma (0,5 means one half)")
        self.decimal_comma.toggled.connect(self._comma_toggled)
        form.addRow("", self.decimal_comma)
        self.currency_edit = QComboBox()
        self.currency_edit.setEditable(True)
        self.currency_edit.addItems(list(CURRENCIES))
        self.currency_edit.currentTextChanged.connect(self._currency_typed)
        form.addRow("Costs are in:", self.currency_edit)
        save_row = QHBoxLayout()
        self.save_check = QCheckBox("Remember this mapping as")
        self.save_name = QLineEdit()
        self.save_check.toggled.connect(self._save_toggled)
        self.save_name.textChanged.connect(self._save_named)
        save_row.addWidget(self.save_check)
        save_row.addWidget(self.save_name, 1)
        form.addRow("", save_row)
        hint = QLabel("A remembered mapping keeps every choice above, and is offered again for "
                      "the next file with these columns.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(mid);")
        form.addRow("", hint)
        return form

    def _focus_order(self) -> None:
        # Tab goes down the page as it reads: each column's field, then the options, then
        # Import (the buttons were made first, which would put them first in the chain).
        chain = [self.start_combo] if self.form.profiles else []
        chain += [*self.combos, self.vendor_edit, self.date_combo, self.decimal_comma,
                  self.currency_edit, self.save_check, self.save_name, self.import_button,
                  self.buttons.button(QDialogButtonBox.StandardButton.Cancel)]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- the form to the widgets -----------------------------------------------------------------

    def _fill(self) -> None:
        """Show what the form holds (signals blocked: the form is the truth, not the widgets)."""
        form = self.form
        widgets = [*self.combos, self.vendor_edit, self.date_combo, self.decimal_comma,
                   self.currency_edit, self.save_check, self.save_name]
        for widget in widgets:
            widget.blockSignals(True)
        for name, combo in zip(self.header, self.combos, strict=True):
            combo.setCurrentIndex(max(0, combo.findData(form.field_of(name))))
        self.vendor_edit.setCurrentText(form.vendor)
        index = self.date_combo.findData(form.date_format)
        if index < 0:  # a strptime pattern from a saved profile: offer it as it is
            self.date_combo.addItem(f"As “{form.date_format}”", form.date_format)
            index = self.date_combo.count() - 1
        self.date_combo.setCurrentIndex(index)
        self.decimal_comma.setChecked(form.decimal_comma)
        self.currency_edit.setCurrentText(form.currency)
        self.save_check.setChecked(form.save)
        self.save_name.setText(form.save_name)
        self.save_name.setEnabled(form.save)
        for widget in widgets:
            widget.blockSignals(False)
        self._check()

    # -- the widgets to the form -----------------------------------------------------------------

    def _start_from(self, _index: int) -> None:
        self.form.start_from(self.start_combo.currentData())
        self._fill()

    def _picked(self, column: str) -> None:
        self.form.pick(column, self.field_combo(column).currentData())
        self._fill()  # the column that had this field is shown freed

    def _vendor_typed(self, text: str) -> None:
        self.form.vendor = text
        self._check()

    def _date_chosen(self, _index: int) -> None:
        self.form.date_format = self.date_combo.currentData()
        self._check()

    def _comma_toggled(self, checked: bool) -> None:
        self.form.decimal_comma = checked

    def _currency_typed(self, text: str) -> None:
        self.form.currency = text
        self._check()

    def _save_toggled(self, checked: bool) -> None:
        self.form.save = checked
        self.save_name.setEnabled(checked)
        self._check()

    def _save_named(self, text: str) -> None:
        self.form.save_name = text
        self._check()

    # -- reading ---------------------------------------------------------------------------------

    def field_combo(self, column: str) -> QComboBox:
        """The combo of a column, by its name as the file writes it."""
        return self.combos[self.header.index(column)]

    def mapping(self) -> ColumnMapping:
        return self.form.mapping()

    def profile_name(self) -> str | None:
        return self.form.profile_name()

    def _check(self) -> None:
        self.date_combo.setItemText(0, self.form.decide_text())
        problems = self.form.problems()
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))
        self.import_button.setEnabled(not problems)

    def accept(self) -> None:
        if self.form.problems():  # the button is disabled; Enter in a field must not pass
            return
        super().accept()
