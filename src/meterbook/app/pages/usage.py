"""The Usage page: every imported record, filtered and sorted, with the selected one in full.

The table is a UsageTableModel (ids only, rows read as they scroll into view), so the page
opens at once on a million records. The filter bar narrows by period, vendor, model, project
and free text; each change re-reads the ids on a reader thread. The line above the table
totals what the filters select (records, requests, cost and unpriced records), counting money
as `meterbook cost --source auto` does. A billed cost line shows the vendor's bill; unpriced
records (neither a bill nor a plan) are amber, and the detail panel says why and where to
fix it.
"""

from __future__ import annotations

import html
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QEvent, QLocale, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPalette, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.context import AppContext
from meterbook.app.formatting import count, missing_rates_text, money, plural, warning_color
from meterbook.app.models.usage_model import (
    COLUMNS,
    TIME,
    UsageTableModel,
    both_amounts,
    exact_money,
    local_time,
    row_priced_by,
)  # fmt: skip
from meterbook.app.pages.base import Page
from meterbook.app.tables import configure_table, give_way
from meterbook.app.tasks import Latest
from meterbook.core.periods import local_midnight_us, parse_month, zone
from meterbook.core.records import from_epoch_us
from meterbook.store.usage_query import (
    FilterChoices,
    UsageFilter,
    UsageRow,
    UsageTotals,
    filter_choices,
)  # fmt: skip

ANY_VENDOR, ANY_MODEL, ANY_PROJECT, NO_PROJECT = ("All vendors", "All models", "All projects",
                                                  "(no project)")
ALL_DATES, CUSTOM = "All dates", "Custom dates"
DEBOUNCE_MS = 250  # typing pauses this long before the search runs
COPY_LIMIT = 10_000  # rows put on the clipboard at most: each one is read from the database
_WIDTHS = (116, 72, 136, 68, 64, 62, 62, 72, 120)  # per column, in pixels


class FlowLayout(QLayout):
    """Widgets left to right, wrapped onto more lines when there is no room; an Expanding
    widget takes what its line has left. (Qt has no such layout; this is its flow example.)"""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._items = []
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):
        return Qt.Orientation.Horizontal

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # everything on one line
        gap = self.spacing() * max(len(self._items) - 1, 0)
        return QSize(sum(i.sizeHint().width() for i in self._items) + gap,
                     max((i.sizeHint().height() for i in self._items), default=0))

    def minimumSize(self) -> QSize:  # the widest item, alone on its line
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _place(self, rect: QRect, move: bool) -> int:
        """Lay the items out in rect (when `move`); the height they take."""
        gap, width = self.spacing(), rect.width()
        lines, line, used = [], [], 0
        for item in (i for i in self._items if not i.isEmpty()):
            w = item.sizeHint().width()
            if line and used + gap + w > width:
                lines.append(line)
                line, used = [], 0
            used += (gap if line else 0) + w
            line.append(item)
        if line:
            lines.append(line)
        y = rect.y()
        for items in lines:
            height = max(i.sizeHint().height() for i in items)
            spare = width - sum(i.sizeHint().width() for i in items) - gap * (len(items) - 1)
            growing = [i for i in items if i.expandingDirections() & Qt.Orientation.Horizontal]
            x = rect.x()
            for item in items:
                w = item.sizeHint().width() + (max(spare, 0) // len(growing)
                                               if item in growing else 0)
                if move:
                    item.setGeometry(QRect(QPoint(x, y), QSize(min(w, width), height)))
                x += w + gap
            y += height + gap
        return y - rect.y() - (gap if lines else 0)


class UsageTable(QTableView):
    """The records table; Edit ▸ Copy puts the selected rows on the clipboard as TSV."""

    def copy(self) -> None:
        model = self.model()
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})[:COPY_LIMIT]
        if not rows:
            return
        lines = ["\t".join(title for title, _key in COLUMNS)]
        lines += ["\t".join(str(model.index(r, c).data() or "") for c in range(len(COLUMNS)))
                  for r in rows]
        QApplication.clipboard().setText("\n".join(lines) + "\n")


class UsagePage(Page):
    key, title = "usage", "Usage"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.tz = ZoneInfo("UTC")
        self.choices = FilterChoices()
        self.model = UsageTableModel(ctx, self)
        self._selected_id: int | None = None
        self._unpriced_only = False  # set from the count's "N unpriced" link
        self._choices = Latest(ctx.tasks, self, "read the filter choices")
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.apply_filter)
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_filters())
        layout.addLayout(self._build_summary())
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_table())
        self.detail = RecordPanel(ctx)
        self.detail.search.connect(self.search_for)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([820, 250])
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)
        self.model.loading.connect(self._loading)
        self.model.loaded.connect(self._loaded)
        self.model.counted.connect(self._counted)
        ctx.usage_slice.connect(lambda wanted: self.show_slice(*wanted))

    # -- building ----------------------------------------------------------------------------------

    def _build_filters(self) -> FlowLayout:
        self.period = QComboBox()
        self.period.setToolTip("Show one month, every date, or the dates you pick")
        self.period.activated.connect(self._period_picked)
        self.from_date, self.to_date = QDateEdit(), QDateEdit()
        for edit, tip in ((self.from_date, "First day shown"), (self.to_date, "Last day shown")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setToolTip(tip)
            edit.dateChanged.connect(self._dates_edited)
        self.vendor, self.model_combo, self.project = QComboBox(), QComboBox(), QComboBox()
        for combo, first in ((self.vendor, ANY_VENDOR), (self.model_combo, ANY_MODEL),
                             (self.project, ANY_PROJECT)):
            combo.addItem(first, None)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.activated.connect(self._combo_picked)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search request, conversation, user, model, project…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(220)
        self.search.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self.apply_filter)
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.clicked.connect(self.clear_filters)
        # Groups that stay together when a narrow window wraps the bar onto more lines.
        flow = FlowLayout()
        flow.addWidget(_group(self.period, self.from_date, QLabel("to"), self.to_date))
        flow.addWidget(_group(self.vendor, self.model_combo, self.project))
        flow.addWidget(self.search)
        flow.addWidget(self.clear_button)
        return flow

    def _build_summary(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.count_label = QLabel()
        self.count_label.setTextFormat(Qt.TextFormat.RichText)
        self.count_label.linkActivated.connect(self._count_link)
        self.busy_label = QLabel()
        row.addWidget(self.count_label)
        row.addStretch(1)
        row.addWidget(self.busy_label)
        return row

    def _build_table(self) -> QWidget:
        self.table = UsageTable()
        self.table.setModel(self.model)
        configure_table(self.table)
        give_way(self.table, ("Requests", "Vendor", "Project", "Output", "Input"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setCornerButtonEnabled(False)
        # Fixed row heights: the view never measures rows, whatever their number.
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        for column, width in enumerate(_WIDTHS):
            header.resizeSection(column, width)
        # The indicator is set before sorting is enabled, which sorts by it at once: it matches
        # what the model already shows, so no query runs for it.
        header.setSortIndicator(TIME, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.empty = QWidget()
        empty_layout = QVBoxLayout(self.empty)
        self.empty_text = QLabel()
        self.empty_text.setWordWrap(True)
        self.empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_button = QPushButton()
        self.empty_button.clicked.connect(self._empty_action)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_text)
        empty_layout.addWidget(self.empty_button, 0, Qt.AlignmentFlag.AlignCenter)
        empty_layout.addStretch(2)

        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(self.empty)
        return self.table_stack

    # -- reading -----------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.tz = _zone_or_utc(self.ctx.report_timezone())
        self.model.set_timezone(self.tz)
        self.detail.tz = self.tz
        engine = self.ctx.db.engine

        def read() -> FilterChoices:
            with engine.connect() as conn:
                return filter_choices(conn)

        self._choices.read(read, self._fill_choices)
        self.model.set_filter(self.current_filter())

    def _fill_choices(self, choices: FilterChoices) -> None:
        self.choices = choices
        _refill(self.vendor, ANY_VENDOR, [(v, v) for v in choices.vendors])
        self._fill_models()  # the models of the vendor picked, once the vendors are current
        projects = [(NO_PROJECT if p == "" else p, p) for p in choices.projects]
        _refill(self.project, ANY_PROJECT, projects)
        self._fill_periods()
        # A vendor or project that is gone (an import undone) falls back to "all" above.
        self.apply_filter()

    def _fill_models(self) -> None:
        vendor = self.vendor.currentData()
        models = (self.choices.models if vendor is None
                  else self.choices.models_by_vendor.get(vendor, []))
        _refill(self.model_combo, ANY_MODEL, [(m, m) for m in models])

    def _fill_periods(self) -> None:
        picked = self.period.currentData()
        self.period.blockSignals(True)
        self.period.clear()
        self.period.addItem(ALL_DATES, "all")
        for year, month in self._months():
            self.period.addItem(f"{_month_name(month)} {year}", f"{year:04d}-{month:02d}")
        self.period.addItem(CUSTOM, "custom")
        found = self.period.findData(picked)
        self.period.setCurrentIndex(max(found, 0))
        self.period.blockSignals(False)
        if self.period.currentData() == "all":
            self._show_dates(*self._span())

    def _months(self) -> list[tuple[int, int]]:
        """The months holding records, newest first (in the report zone)."""
        first, last = self._span()
        months, year, month = [], last.year, last.month
        while (year, month) >= (first.year, first.month) and len(months) < 120:
            months.append((year, month))
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return months

    def _span(self) -> tuple[date, date]:
        c = self.choices
        if c.first_us is None or c.last_us is None:
            today = date.today()
            return today, today
        return (from_epoch_us(c.first_us).astimezone(self.tz).date(),
                from_epoch_us(c.last_us).astimezone(self.tz).date())

    # -- filtering ---------------------------------------------------------------------------------

    def current_filter(self) -> UsageFilter:
        from_us = to_us = None
        if self.period.currentData() not in (None, "all"):
            start = self.from_date.date().toPython()
            end = self.to_date.date().toPython() + timedelta(days=1)
            from_us, to_us = local_midnight_us(start, self.tz), local_midnight_us(end, self.tz)
        return UsageFilter(from_us=from_us, to_us=to_us, vendor=self.vendor.currentData(),
                           model=self.model_combo.currentData(),
                           project=self.project.currentData(), text=self.search.text().strip(),
                           unpriced=self._unpriced_only)

    def apply_filter(self) -> None:
        self._debounce.stop()
        wanted = self.current_filter()
        if wanted != self.model.filter:
            self.model.set_filter(wanted)

    def clear_filters(self) -> None:
        self._unpriced_only = False
        self.search.clear()
        for combo in (self.vendor, self.project):
            combo.setCurrentIndex(0)
        self._fill_models()
        self.period.setCurrentIndex(0)
        self._show_dates(*self._span())
        self.apply_filter()

    def show_slice(self, first: date, last: date, by: str | None = None,
                   name: str | None = None) -> None:
        """Show the records of [first, last] and of one vendor, model or project (a chart's
        bar); the name is offered in its list even before the choices are read."""
        self._unpriced_only = False
        self.search.clear()
        for combo in (self.vendor, self.model_combo, self.project):
            combo.setCurrentIndex(0)
        combo = {"vendor": self.vendor, "model": self.model_combo, "project": self.project}.get(
            by or "")
        if combo is not None and name is not None:
            value = "" if combo is self.project and name == NO_PROJECT else name
            if combo.findData(value) < 0:
                combo.addItem(name, value)
            combo.setCurrentIndex(combo.findData(value))
        if self.period.findData("custom") < 0:
            self.period.addItem(CUSTOM, "custom")
        self.period.setCurrentIndex(self.period.findData("custom"))
        self._show_dates(first, last)
        self.apply_filter()

    def search_for(self, text: str) -> None:
        """Show the records matching this text (the detail panel's "same conversation")."""
        self.search.setText(text)
        self.apply_filter()

    def _combo_picked(self) -> None:
        if self.sender() is self.vendor:
            self._fill_models()
        self.apply_filter()

    def _period_picked(self) -> None:
        picked = self.period.currentData()
        if picked == "all":
            self._show_dates(*self._span())
        elif picked not in (None, "custom"):
            year, month = parse_month(picked)
            after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
            self._show_dates(date(year, month, 1), after - timedelta(days=1))
        self.apply_filter()

    def _dates_edited(self) -> None:
        if self.to_date.date() < self.from_date.date():
            # Dragging one end past the other moves both, rather than showing nothing.
            other = self.to_date if self.sender() is self.from_date else self.from_date
            other.blockSignals(True)
            other.setDate(self.sender().date())
            other.blockSignals(False)
        custom = self.period.findData("custom")
        if custom >= 0:
            self.period.setCurrentIndex(custom)
        self._debounce.start()

    def _show_dates(self, first: date, last: date) -> None:
        for edit, day in ((self.from_date, first), (self.to_date, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    # -- showing -----------------------------------------------------------------------------------

    def _loading(self, busy: bool) -> None:
        sorting = self.model.sort_key != "time" or not self.model.descending
        self.busy_label.setText(("Sorting…" if sorting else "Reading records…") if busy else "")

    def _counted(self, totals: UsageTotals) -> None:
        color = amber_color(self.palette())
        if self.model.filter.unpriced:
            self.count_label.setText(
                f"{plural(totals.records, 'unpriced record')} · "
                '<a href="all">show priced ones too</a>')
            self.count_label.setToolTip("")
            return
        if not self.model.totals_known:
            self.count_label.setText(f"{plural(totals.records, 'record')} · adding up…")
            self.count_label.setToolTip("")
            return
        parts = [plural(totals.records, "record"), plural(totals.requests, "request")]
        if totals.records > totals.unpriced:
            cost = html.escape(cost_summary(totals))
            parts.append(f'<span style="color:{color}">{cost}</span>' if totals.missing_rates
                         else cost)
        if totals.unpriced:
            parts.append(f'<a href="unpriced" style="color:{color}">'
                         f"{count(totals.unpriced)} unpriced</a>")
        elif totals.records:
            parts.append("all priced")
        self.count_label.setText(" · ".join(parts))
        self.count_label.setToolTip(
            "What the filters select. Cost as `meterbook cost` counts it: the vendor's bill "
            "where the export carried one, else what a plan computed; monthly fees belong to "
            "no record (the Dashboard's month totals include them)."
            + ("\nClick “unpriced” to show only the records with neither a bill nor a plan."
               if totals.unpriced else ""))

    def _count_link(self, link: str) -> None:
        self._unpriced_only = link == "unpriced"
        self.apply_filter()

    def _loaded(self) -> None:
        empty = self.model.rowCount() == 0
        self.table_stack.setCurrentWidget(self.empty if empty else self.table)
        if empty and self.model.filter.is_empty:
            self.empty_text.setText("<h3>No usage yet</h3><p>Import a usage export from your AI "
                                    "vendor and every request will be listed here, with what "
                                    "it cost and the plan that priced it.</p>")
            self.empty_button.setText("Import usage…")
        elif empty:
            self.empty_text.setText("<h3>No records match these filters</h3>")
            self.empty_button.setText("Clear filters")
        # Keep the record the user was reading, where it still matches the filter.
        row = -1 if self._selected_id is None else self.model.row_of(self._selected_id)
        if row >= 0:
            index = self.model.index(row, 0)
            if self.table.currentIndex().row() != row:
                self.table.setCurrentIndex(index)
            self.table.scrollTo(index)
            self.detail.show_record(self.model.record(row))
        elif self.model.complete:
            self._selected_id = None
            self.detail.show_record(None)

    def _empty_action(self) -> None:
        if self.model.filter.is_empty:
            self.ctx.open_page.emit("imports")
        else:
            self.clear_filters()

    def _current_changed(self, current, _previous) -> None:
        record = self.model.record(current.row()) if current.isValid() else None
        if record is None and not self.model.complete:
            return  # the list is being read again: _loaded selects the record once it is in
        self._selected_id = None if record is None else record.id
        self.detail.show_record(record)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.model.refresh_colors()
            self._counted(self.model.totals)


def cost_summary(totals: UsageTotals) -> str:
    """The money of a UsageTotals in words: "cost $19.97 (all billed by the vendor)",
    "cost $5.20 ($3.00 billed, $2.20 computed)", or why it is unavailable."""
    if totals.missing_rates:
        return "cost unavailable: " + missing_rates_text(totals.missing_rates, totals.currency,
                                                         capital=False)
    home = totals.currency
    text = f"cost {money(totals.billed + totals.computed, home)}"
    if totals.billed and totals.computed:
        return (text + f" ({money(totals.billed, home)} billed, "
                f"{money(totals.computed, home)} computed)")
    if totals.billed:
        return text + " (all billed by the vendor)"
    return text


def _group(*widgets: QWidget) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        row.addWidget(widget)
    return box


def _refill(combo: QComboBox, first: str, items: list[tuple[str, str]]) -> None:
    """Replace a combo's choices, keeping the current one when it is still offered."""
    picked = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(first, None)
    for text, value in items:
        combo.addItem(text, value)
    combo.setCurrentIndex(max(combo.findData(picked), 0) if picked is not None else 0)
    combo.blockSignals(False)


def _month_name(month: int) -> str:
    return QLocale().standaloneMonthName(month)


def _zone_or_utc(name: str) -> ZoneInfo:
    try:
        return zone(name)
    except ValueError:
        return ZoneInfo("UTC")


# --- the detail panel -----------------------------------------------------------------------------

# (key, label) of every field the panel shows; None as the key starts a section.
_FIELDS = (
    (None, "Record"), ("time", "Time"), ("vendor", "Vendor"), ("model", "Model"),
    ("project", "Project"), ("service_tier", "Service tier"),
    (None, "Usage"), ("requests", "Requests"), ("input", "Input tokens"),
    ("cached", "Cached input"), ("cache_write", "Cache writes"), ("output", "Output tokens"),
    ("units", "Units"),
    (None, "Cost"), ("cost", "Cost"), ("billed", "Vendor's bill"), ("charge", "Computed"),
    ("plan", "Plan"),
    (None, "Identity"), ("request_id", "Request"), ("conversation_id", "Conversation"),
    ("user", "User"), ("api_key", "API key"), ("batch", "Import batch"), ("record", "Record"),
)  # fmt: skip
NONE = "—"


def amber_color(palette: QPalette) -> str:
    """Amber text readable on this palette's window, light or dark."""
    return warning_color(palette).name()


def _muted(palette: QPalette) -> str:
    """Field names: the text colour two thirds of the way from the background, readable in
    any theme (some dark themes leave the placeholder colour near-black)."""
    text, back = palette.color(QPalette.ColorRole.WindowText), palette.color(
        QPalette.ColorRole.Window)
    return "#{:02x}{:02x}{:02x}".format(*(round(b + (t - b) * 0.66) for t, b in (
        (text.red(), back.red()), (text.green(), back.green()), (text.blue(), back.blue()))))


def amber(text: str, palette: QPalette) -> str:
    return f'<span style="color:{amber_color(palette)}">{html.escape(text)}</span>'


class RecordPanel(QWidget):
    """Every field of the selected record; for an unpriced one, why and where to fix it.

    A read-only rich-text view rather than a form of labels: long ids wrap anywhere, and the
    whole record can be selected and copied at once.
    """

    search = Signal(str)  # show the records matching this text (a conversation id)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.tz = ZoneInfo("UTC")
        self.record: UsageRow | None = None
        self.values: dict[str, str] = {}  # key -> the text shown (for tests and copying)
        self.setMinimumWidth(240)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setFrameShape(QFrame.Shape.NoFrame)
        self.text.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.text.setBackgroundRole(QPalette.ColorRole.Window)  # part of the page, not a box
        self.text.viewport().setBackgroundRole(QPalette.ColorRole.Window)
        layout.addWidget(self.text, 1)
        self.plans_button = QPushButton("Open Plans")
        self.plans_button.setToolTip("Add or widen a plan so that this record is priced")
        self.plans_button.clicked.connect(lambda: ctx.open_page.emit("plans"))
        self.conversation_button = QPushButton("Show its conversation")
        self.conversation_button.setToolTip("List every request of this conversation")
        self.conversation_button.clicked.connect(self._show_conversation)
        for button in (self.plans_button, self.conversation_button):
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        self.show_record(None)

    def _show_conversation(self) -> None:
        if self.record is not None and self.record.conversation_id:
            self.search.emit(self.record.conversation_id)

    def show_record(self, record: UsageRow | None) -> None:
        self.record = record
        unpriced = record is not None and not record.priced
        self.plans_button.setVisible(unpriced)
        self.conversation_button.setVisible(record is not None and bool(record.conversation_id))
        if record is None:
            self.values = {}
            self.text.setHtml("<h3>No record selected</h3><p>Pick a row to see everything it "
                              "holds: tokens, charge, plan, ids.</p>")
            return
        palette = self.palette()
        muted = _muted(palette)
        self.values = {key: self._value(record, key) for key, _label in _FIELDS if key}
        parts = [f"<h3>{html.escape(record.vendor)} · {html.escape(record.model)}</h3>"]
        if unpriced:
            parts.append("<p>" + amber(
                f"Unpriced: no saved plan covers {record.vendor} {record.model} at this time "
                "and the export gave no billed cost, so totals leave this record out. Add a "
                "plan for it, or widen one, and it is priced at once.", palette) + "</p>")
        elif record.source == "billed":
            both = both_amounts(record)
            parts.append("<p>" + html.escape(
                both + ": the bill is what counts, as in `meterbook cost`." if both else
                "A billed cost line: the vendor's own figure from the export, which carries "
                "money but no token counts.") + "</p>")
        parts.append('<table width="100%" cellspacing="0" cellpadding="2">')
        for key, label in _FIELDS:
            if key is None:
                parts.append(f'<tr><td colspan="2" style="padding-top:6px"><b>{label}</b></td>'
                             "</tr>")
                continue
            value = self.values[key]
            shown = (amber(value, palette) if key == "cost" and unpriced
                     else html.escape(value))
            parts.append(f'<tr><td width="42%" style="color:{muted}">{label}</td>'
                         f"<td>{shown}</td></tr>")
        parts.append("</table>")
        self.text.setHtml("".join(parts))

    def _value(self, r: UsageRow, key: str) -> str:
        tokens = {"requests": r.requests, "input": r.input_tokens, "output": r.output_tokens,
                  "cached": r.cached_input_tokens, "cache_write": r.cache_write_tokens}
        if key in tokens:
            return count(tokens[key])
        if key == "time":
            when = local_time(r.timestamp_us, self.tz, seconds=True)
            return f"{when} ({self.tz.key.removeprefix('Etc/')})"
        if key == "units":
            return f"{r.units:,} {r.unit_name}".strip() if r.units or r.unit_name else NONE
        if key == "cost":
            amount = r.amount
            if amount is None:
                return "unpriced"
            return f"{exact_money(*amount)} ({row_priced_by(r)})"
        if key == "charge":
            if r.charge is None:
                return NONE if r.billed is not None else "no plan covers it"
            return exact_money(r.charge, r.charge_currency or "")
        if key == "plan":
            if r.plan_name is None:
                return NONE
            if r.plan_from_us is None:
                return r.plan_name
            start = from_epoch_us(r.plan_from_us).astimezone(self.tz).date().isoformat()
            return f"{r.plan_name} (version from {start})"
        if key == "billed":
            if r.billed is None:
                return "not in the export"
            return exact_money(r.billed, r.billed_currency or "")
        if key == "batch":
            return f"#{r.batch_id}"
        if key == "record":
            return f"#{r.id}"
        return getattr(r, key) or NONE
