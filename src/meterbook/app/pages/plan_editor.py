"""The plan editor panel: one widget per key of pricing-plans.md, adapting core.plan_form.

Widgets hold no rules: every edit goes into the PlanForm, and what it says is wrong is shown in
red beside the field (or under a table, with the cell tinted). The preview prices a sample
request with the engine through the form, so it is exactly what the saved plan would charge.

The fields come first, in two columns that become one on a narrow window (`reflow`); the size
and volume tiers are tabs beside them, so that every table is seen whole down to 1024x640, and
a tab whose table has a problem says so in its title.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import available_timezones

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.formatting import money
from meterbook.app.tables import configure_table
from meterbook.core.plan_form import (
    COLUMNS,
    SIZE_TIERS,
    VOLUME_TIERS,
    PlanForm,
    SampleRequest,
    cell_key,
)  # fmt: skip
from meterbook.core.plans import METERS, MODES, Plan

_PROBLEM_RED = "#b91c1c"
PROBLEM_STYLE = f"color: {_PROBLEM_RED};"
_BAD_CELL = QColor("#fee2e2")
_INT_LIMIT = 2**31 - 1  # QSpinBox holds a C int
_ROW_HEIGHT = 28
_SIDE_BY_SIDE = 780  # the width the two columns of fields need side by side
_DEFAULTS = PlanForm.defaults()
_FIELDS_TAB = "Plan and prices"
_TABS = {SIZE_TIERS: "Size tiers", VOLUME_TIERS: "Volume tiers"}

# (key, label, tooltip) per group; the tooltips say what pricing-plans.md says of the key.
_GROUPS = {
    "plan": ("What it prices", [
        ("name", "Name", "Versions of one plan share its name."),
        ("vendor", "Vendor", "Matched against the vendor of each usage record."),
        ("model", "Model", "Which models: a pattern with * and ?, e.g. gpt-4o*. Empty: all."),
        ("project", "Project", "Which projects: a pattern with * and ?. Empty: all."),
        ("service_tier", "Service tier", "Only usage of this tier (e.g. batch). Empty: any."),
        ("effective_from", "In force from", "The date this version's prices start (UTC)."),
        ("priority", "Priority", "When several plans match a record, the highest wins."),
        ("currency", "Currency", "A 3-letter code such as USD or EUR."),
        ("source", "Source", "Where the prices come from, e.g. the vendor's pricing page."),
    ]),
    "tokens": ("Token prices", [
        ("token_unit", "Per how many tokens", "Token prices are per this many tokens."),
        ("input", "Input", "Uncached input tokens."),
        ("cached_input", "Cached input", "Cache reads. Empty: the input price."),
        ("cache_write", "Cache write", "Cache writes. Empty: the input price."),
        ("output", "Output", "Output tokens."),
    ]),
    "other": ("Requests and units", [
        ("request", "Per request", "A price for each request."),
        ("unit_price", "Unit price", "Images, characters, pages, seconds..."),
        ("unit_size", "Per how many units", "The unit price is per this many units."),
        ("multiplier", "Multiplier", "Scales the whole usage charge, e.g. 0.5 for batch."),
    ]),
    "monthly": ("Monthly charges", [
        ("monthly_fee", "Monthly fee", "A subscription, charged per billing month."),
        ("monthly_minimum", "Monthly minimum", "A commitment: the month is topped up to it."),
        ("free_trial_days", "Free trial days", "Days from the start with no charge at all."),
        ("billing_timezone", "Billing time zone", "Billing months begin at midnight there."),
    ]),
}
_SPIN = {"priority": (-_INT_LIMIT, _INT_LIMIT), "token_unit": (1, _INT_LIMIT),
         "unit_size": (1, _INT_LIMIT), "free_trial_days": (0, 36_500)}
_PLACEHOLDERS = {"model": "* (every model)", "project": "* (every project)",
                 "service_tier": "any tier", "cached_input": "same as input",
                 "cache_write": "same as input", "source": "https://…", "currency": "USD"}
_HEADERS = {
    SIZE_TIERS: ("Input above", "Input", "Cached input", "Cache write", "Output",
                 "Per request", "Unit price"),
    VOLUME_TIERS: ("Up to (empty: all above)", "Price"),
}
_COLUMN_NAMES = {c: h for t in COLUMNS for c, h in zip(COLUMNS[t], _HEADERS[t], strict=True)}


def cost_text(amount: Decimal, currency: str) -> str:
    """Money with the decimals a per-request cost needs ($0.0075), 2 to 6 places."""
    exponent = amount.normalize().as_tuple().exponent
    places = min(max(2, -exponent if isinstance(exponent, int) else 2), 6)
    approx = "≈ " if amount != round(amount, places) else ""
    return approx + money(amount, currency, places)


def _narrow(combo: QComboBox) -> None:
    # A combo is as wide as its longest item by default; zone names would widen the page.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)


def _say(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class PlanEditor(QWidget):
    """Shows one PlanForm; `edited` fires on every change the person makes."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.form = PlanForm.blank()
        self.others: list[Plan] = []  # plans it would be saved beside, for the set checks
        self.problems: dict[str, str] = {}
        self.fields: dict[str, QWidget] = {}
        self.problem_labels: dict[str, QLabel] = {}
        self.tables: dict[str, QTableWidget] = {}
        self._time_of_day = ""  # kept when a version starts at a time: the date edit shows days
        self._loading = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        fields = QWidget()
        self.columns = QBoxLayout(QBoxLayout.Direction.LeftToRight, fields)
        self.columns.setContentsMargins(4, 4, 4, 4)
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(self._group("plan"))
        left.addWidget(self._group("monthly"))
        left.addStretch(1)
        right.addWidget(self._group("tokens"))
        right.addWidget(self._group("other"))
        right.addWidget(self._preview_group())
        right.addStretch(1)
        self.columns.addLayout(left, 1)
        self.columns.addLayout(right, 1)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(fields, _FIELDS_TAB)
        self.tab_pages = {SIZE_TIERS: self._size_group(), VOLUME_TIERS: self._volume_group()}
        for table, page in self.tab_pages.items():
            self.tabs.addTab(page, _TABS[table])
        layout.addWidget(self.tabs)
        layout.addStretch(1)
        self.load(self.form)

    def reflow(self, width: int) -> None:
        """Two columns of fields when `width` (what the editor is shown in) holds them, one
        otherwise: a narrow window scrolls down the fields instead of cutting them."""
        wide = width >= _SIDE_BY_SIDE
        self.columns.setDirection(QBoxLayout.Direction.LeftToRight if wide
                                  else QBoxLayout.Direction.TopToBottom)

    # -- building --------------------------------------------------------------------------------

    def _group(self, name: str) -> QGroupBox:
        title, rows = _GROUPS[name]
        box = QGroupBox(title)
        if name == "tokens":
            self.tokens_box = box
        grid = QGridLayout(box)
        # Names and patterns want width; numbers do not, and leave it to the problems beside.
        wide = name == "plan"
        grid.setColumnStretch(1, 1 if wide else 0)
        grid.setColumnStretch(2, 0 if wide else 1)
        for row, (key, text, tip) in enumerate(rows):
            label = QLabel(text)
            label.setToolTip(tip)
            widget = self._widget(key)
            widget.setToolTip(tip)
            if not wide:
                widget.setFixedWidth(120)
            problem = self._problem_label(key)
            if wide:
                problem.setMinimumWidth(110)  # a few lines, not a word per line
            grid.addWidget(label, row, 0)
            grid.addWidget(widget, row, 1)
            grid.addWidget(problem, row, 2)
        return box

    def _problem_label(self, key: str) -> QLabel:
        label = QLabel()
        label.setStyleSheet(PROBLEM_STYLE)
        label.setWordWrap(True)
        label.setObjectName(f"problem:{key}")
        # Hidden while empty, so fields use the width until there is something to say.
        label.hide()
        self.problem_labels[key] = label
        return label

    def _widget(self, key: str) -> QWidget:
        if key in _SPIN:
            spin = QSpinBox()
            spin.setRange(*_SPIN[key])
            spin.setGroupSeparatorShown(True)
            spin.valueChanged.connect(lambda value, k=key: self._set(k, str(value)))
            widget: QWidget = spin
        elif key == "effective_from":
            widget = self._date_widget()
        elif key == "billing_timezone":
            combo = QComboBox()
            combo.setEditable(True)
            combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            combo.addItems(sorted(available_timezones()))
            combo.lineEdit().setPlaceholderText(_DEFAULTS[key])
            _narrow(combo)
            combo.currentTextChanged.connect(lambda text, k=key: self._set(k, text))
            widget = combo
        else:
            edit = QLineEdit()
            # An empty field is the default: shown greyed, so typing replaces it.
            edit.setPlaceholderText(_PLACEHOLDERS.get(key, _DEFAULTS.get(key, "")))
            edit.textChanged.connect(lambda text, k=key: self._set(k, text))
            widget = edit
        self.fields[key] = widget
        return widget

    def _date_widget(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.always = QCheckBox("always")
        self.always.setToolTip("In force since always: no start date.")
        self.date_edit.dateChanged.connect(self._date_changed)
        self.always.toggled.connect(self._date_changed)
        row.addWidget(self.date_edit, 1)
        row.addWidget(self.always)
        return box

    def _preview_group(self) -> QGroupBox:
        box = QGroupBox("What a request costs")
        grid = QGridLayout(box)
        caption = QLabel("Try a sample request: its tokens, requests and units.")
        caption.setStyleSheet("color: #6b7280;")
        grid.addWidget(caption, 0, 0, 1, 4)
        self.sample: dict[str, QWidget] = {}
        for n, (key, text, value, tip) in enumerate((
                ("input_tokens", "Input", 1000, "Uncached input tokens"),
                ("output_tokens", "Output", 500, "Output tokens"),
                ("cached_input_tokens", "Cached", 0, "Cached input tokens (cache reads)"),
                ("cache_write_tokens", "Cache write", 0, "Tokens written to the cache"),
                ("requests", "Requests", 1, "How many requests the sample counts"))):
            spin = QSpinBox()
            spin.setToolTip(tip)
            # A sample needs no more than a billion; the full int range makes boxes too wide.
            spin.setRange(0, 999_999_999)
            spin.setGroupSeparatorShown(True)
            spin.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)  # typed, not stepped
            spin.setValue(value)
            spin.valueChanged.connect(self.update_preview)
            self.sample[key] = spin
            grid.addWidget(QLabel(text), n // 2 + 1, (n % 2) * 2)
            grid.addWidget(spin, n // 2 + 1, (n % 2) * 2 + 1)
        units = QLineEdit("0")
        units.textChanged.connect(self.update_preview)
        self.sample["units"] = units
        units.setToolTip("Images, characters, pages... (up to 6 decimals)")
        grid.addWidget(QLabel("Units"), 3, 2)
        grid.addWidget(units, 3, 3)
        self.cost_label = QLabel()
        self.cost_label.setObjectName("preview-cost")
        self.cost_label.setWordWrap(True)
        self.cost_label.setTextFormat(Qt.TextFormat.RichText)
        grid.addWidget(self.cost_label, 4, 0, 1, 4)
        return box

    def _table_group(self, table: str, note: str) -> tuple[QWidget, QVBoxLayout]:
        box = QWidget()
        layout = QVBoxLayout(box)
        hint = QLabel(note)
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #6b7280;")
        layout.addWidget(hint)
        widget = QTableWidget(0, len(COLUMNS[table]))
        configure_table(widget)
        widget.setObjectName(table)
        widget.setHorizontalHeaderLabels(_HEADERS[table])
        if table == SIZE_TIERS:
            widget.horizontalHeaderItem(0).setToolTip(
                "The tier applies when a request's input (uncached, cached and cache-write "
                "tokens) is above this many tokens.")
        widget.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        widget.verticalHeader().setVisible(False)
        widget.verticalHeader().setDefaultSectionSize(_ROW_HEIGHT)
        widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        widget.itemChanged.connect(lambda item, t=table: self._cell_changed(t, item))
        self.tables[table] = widget
        buttons = QHBoxLayout()
        add, remove = QPushButton("Add row"), QPushButton("Remove row")
        for button in (add, remove):
            button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        add.clicked.connect(lambda _=False, t=table: self.add_row(t))
        remove.clicked.connect(lambda _=False, t=table: self.remove_row(t))
        setattr(self, f"{table.replace('.', '_')}_buttons", (add, remove))
        layout.addWidget(widget)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addWidget(self._problem_label(table), 1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return box, layout

    def _size_group(self) -> QWidget:
        box, _ = self._table_group(
            SIZE_TIERS,
            "Other prices for a whole request whose input is above a size (long-context "
            "pricing). Leave a price empty to keep the plan's own.")
        return box

    def _volume_group(self) -> QWidget:
        box, layout = self._table_group(
            VOLUME_TIERS,
            "Prices that change with the month's usage: graduated prices each unit at its "
            "tier, volume prices the whole month at the tier its total reaches.")
        row = QHBoxLayout()
        meter = QComboBox()
        meter.addItem("no volume tiers", "")
        for name in METERS:
            meter.addItem(f"counting {name.replace('_', ' ')}", name)
        mode = QComboBox()
        for name in MODES:
            mode.addItem(name, name)
        _narrow(meter)
        _narrow(mode)
        for key, combo in (("volume.meter", meter), ("volume.mode", mode)):
            combo.currentIndexChanged.connect(
                lambda _i, k=key, c=combo: self._set(k, c.currentData()))
            self.fields[key] = combo
        row.addWidget(meter)
        row.addWidget(self._problem_label("volume.meter"))
        row.addWidget(mode)
        row.addWidget(self._problem_label("volume.mode"))
        self.tier_price_hint = QLabel()
        row.addWidget(self.tier_price_hint, 1)
        layout.insertLayout(1, row)
        return box

    # -- form -> widgets -------------------------------------------------------------------------

    def load(self, form: PlanForm, others: list[Plan] | None = None) -> None:
        """Show a form (the editor keeps it and edits it in place)."""
        self.form = form
        if others is not None:
            self.others = others
        self._loading = True
        try:
            for key, widget in self.fields.items():
                text = form.get(key)
                if isinstance(widget, QSpinBox):
                    text = text or _DEFAULTS[key]  # a box always shows a number
                    widget.setValue(int(text) if text.lstrip("-").isdigit() else 0)
                elif isinstance(widget, QLineEdit):
                    widget.setText(text)
                elif key == "billing_timezone":
                    widget.setCurrentText(text)
                elif isinstance(widget, QComboBox):
                    widget.setCurrentIndex(max(0, widget.findData(text)))
            self._show_date(form.get("effective_from"))
            for table in self.tables:
                self._fill_table(table)
        finally:
            self._loading = False
        self.recheck()

    def _show_date(self, text: str) -> None:
        day, _, self._time_of_day = text.partition("T")
        self.always.setChecked(not day)
        self.date_edit.setEnabled(bool(day))
        shown = date.fromisoformat(day) if day else datetime.now(UTC).date()
        self.date_edit.setDate(QDate(shown.year, shown.month, shown.day))

    def _fill_table(self, table: str) -> None:
        widget = self.tables[table]
        widget.blockSignals(True)
        rows = self.form.rows[table]
        widget.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, column in enumerate(COLUMNS[table]):
                widget.setItem(r, c, QTableWidgetItem(values[column]))
        widget.blockSignals(False)
        # As tall as its rows (room for one when empty, at most five), so that an empty
        # table does not take the space of a full one.
        shown = min(max(len(rows), 1), 5)
        widget.setFixedHeight(widget.horizontalHeader().sizeHint().height()
                              + shown * _ROW_HEIGHT + 2 * widget.frameWidth() + 2)

    # -- widgets -> form -------------------------------------------------------------------------

    def _set(self, key: str, text: str) -> None:
        if self._loading:
            return
        self.form.set(key, text)
        self.recheck()
        self.edited.emit()

    def _date_changed(self, *_args) -> None:
        self.date_edit.setEnabled(not self.always.isChecked())
        if self.always.isChecked():
            self._set("effective_from", "")
            return
        text = self.date_edit.date().toString("yyyy-MM-dd")
        self._set("effective_from", f"{text}T{self._time_of_day}" if self._time_of_day else text)

    def _cell_changed(self, table: str, item: QTableWidgetItem) -> None:
        self._set(cell_key(table, item.row(), COLUMNS[table][item.column()]), item.text())

    def add_row(self, table: str) -> None:
        self.form.add_row(table)
        self._fill_table(table)
        widget = self.tables[table]
        self.recheck()
        self.edited.emit()
        # The new row, its first cell being typed into, and what it lacks right under it.
        self.tabs.setCurrentWidget(self.tab_pages[table])
        widget.setCurrentCell(widget.rowCount() - 1, 0)
        widget.setFocus()
        widget.editItem(widget.currentItem())

    def remove_row(self, table: str) -> None:
        widget = self.tables[table]
        row = widget.currentRow() if widget.currentRow() >= 0 else widget.rowCount() - 1
        if row < 0:
            return
        self.form.remove_row(table, row)
        self._fill_table(table)
        self.recheck()
        self.edited.emit()

    # -- problems and preview --------------------------------------------------------------------

    def recheck(self) -> None:
        self.problems = self.form.problems(self.others)
        for key, label in self.problem_labels.items():
            if key in self.tables:
                continue
            _say(label, self.problems.get(key, ""))
        for table in self.tables:
            self._mark_cells(table)
        self._title_tabs()
        token_unit = self.form.get("token_unit").strip() or "1000000"
        per = f"{int(token_unit):,}" if token_unit.isdigit() else token_unit
        currency = self.form.get("currency").strip().upper() or "USD"
        if "currency" in self.problems:
            currency = "USD"  # what it would be if left empty; the field says what is wrong
        self.tokens_box.setTitle(f"Token prices ({currency} per {per} tokens)")
        meter = self.form.get("volume.meter")
        self.tier_price_hint.setText({
            "requests": "prices per request", "units": "prices per unit (or per unit size)",
            "input_tokens": f"prices per {per} input tokens",
            "output_tokens": f"prices per {per} output tokens"}.get(meter, ""))
        self.update_preview()

    def _mark_cells(self, table: str) -> None:
        widget = self.tables[table]
        widget.blockSignals(True)
        lines = [self.problems[table]] if table in self.problems else []
        for r in range(widget.rowCount()):
            for c, column in enumerate(COLUMNS[table]):
                item = widget.item(r, c)
                message = self.problems.get(cell_key(table, r, column))
                item.setBackground(QBrush(_BAD_CELL) if message else QBrush())
                item.setToolTip(message or "")
                if message:
                    lines.append(f"Row {r + 1}, {_COLUMN_NAMES[column].lower()}: {message}")
        widget.blockSignals(False)
        _say(self.problem_labels[table], "\n".join(lines))

    def _title_tabs(self) -> None:
        """Each tier tab says how many rows it holds; a tab with a problem says so, in red."""
        bar, places = self.tabs.tabBar(), self.problem_places()
        red, plain = QColor(_PROBLEM_RED), bar.palette().color(bar.foregroundRole())
        titles = [(_FIELDS_TAB, ""), *((_TABS[table], f" ({len(self.form.rows[table])})")
                                       for table in self.tab_pages)]
        for index, (title, rows) in enumerate(titles):
            bad = title in places
            self.tabs.setTabText(index, title + rows + (" — to fix" if bad else ""))
            bar.setTabTextColor(index, red if bad else plain)

    def problem_places(self) -> list[str]:
        """Where the problems are, as the tabs name them ("Plan and prices", "Size tiers")."""
        places = []
        for key in self.problems:
            place = next((title for table, title in _TABS.items() if _in_table(key, table)),
                         _FIELDS_TAB)
            if place not in places:
                places.append(place)
        return places

    def sample_request(self) -> SampleRequest | None:
        units = self.sample["units"].text().strip() or "0"
        try:
            amount = Decimal(units.replace(",", ""))
        except ArithmeticError:
            return None
        if not amount.is_finite() or amount < 0:
            return None
        values = {k: w.value() for k, w in self.sample.items() if isinstance(w, QSpinBox)}
        return SampleRequest(units=amount, **values)

    def update_preview(self) -> None:
        sample = self.sample_request()
        if sample is None:
            self.cost_label.setText(f"<span style='{PROBLEM_STYLE}'>Units must be a number "
                                    "of 0 or more, with at most 6 decimals.</span>")
            return
        try:
            cost = self.form.preview(sample)
        except ValueError as exc:
            self.cost_label.setText(f"<span style='{PROBLEM_STYLE}'>{exc}</span>")
            return
        if cost is None:
            where = ", ".join(self.problem_places())
            self.cost_label.setText("<i>Fix the fields marked in red to see the cost"
                                    + (f" ({where})" if where else "") + ".</i>")
            return
        currency = (self.form.get("currency").strip() or "USD").upper()
        notes = []
        if sample.requests > 1:
            notes.append(f"for these {sample.requests:,} requests")
        if self.form.rows[VOLUME_TIERS]:
            notes.append("as the month's first usage")
        if (self.form.get("free_trial_days").strip() or "0") != "0":
            notes.append("after the free trial")
        if any((self.form.get(k).strip() or "0") != "0"
               for k in ("monthly_fee", "monthly_minimum")):
            notes.append("monthly charges come on top")
        # A thousand alike is simple arithmetic only without volume tiers, which bend it.
        thousand = "" if self.form.rows[VOLUME_TIERS] else \
            f"&nbsp;&nbsp;{cost_text(cost * 1000, currency)} for 1,000 like it"
        self.cost_label.setText(
            f"<span style='font-size: 15pt; font-weight: 600;'>{cost_text(cost, currency)}"
            f"</span>{thousand}" + (f"<br><small>{'; '.join(notes)}</small>" if notes else ""))


def _in_table(key: str, table: str) -> bool:
    """Whether a problem's key is about a tier table: its cells, or its meter and mode."""
    return key == table or key.startswith(f"{table}[") or (
        table == VOLUME_TIERS and key in ("volume.meter", "volume.mode"))
