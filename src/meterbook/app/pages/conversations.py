"""The Conversations page: cost, requests and tokens per conversation, and each one's requests.

A month (or all time) is read on a worker thread with `store.conversations`; the table sorts
and filters in memory, which is instant for tens of thousands of conversations. Double-click
or Enter opens a conversation's requests in the panel below, read on a worker thread too.
Each read is "latest answer wins" (app/tasks.py): a month picked while another is read drops
the older answer.

Money is `meterbook cost --source auto`'s: billed cost lines (a vendor's cost export: money,
no requests) count their bill. The summary says what it counts (conversations, requests,
billed lines), that the month's fees are in no conversation, and names every month whose
exchange rate is missing rather than show a figure in another currency.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.context import AppContext
from meterbook.app.formatting import (
    count,
    missing_rates_text,
    month_title,
    plural,
    warning_color,
)  # fmt: skip
from meterbook.app.models.conversations_model import (
    NO_CONVERSATION,
    ConversationsModel,
    RequestsModel,
    conversation_cost_text,
    summary_money,
)  # fmt: skip
from meterbook.app.pages.base import Page
from meterbook.app.tables import configure_table, give_way
from meterbook.app.tasks import Latest
from meterbook.app.view_state import settle_widths, widths_settled
from meterbook.core.periods import month_start_us, next_month, parse_month, zone
from meterbook.store import readers
from meterbook.store.conversations import (
    ConversationRow,
    Conversations,
    RequestRow,
    conversation_requests,
    conversations_in,
    usage_months,
)  # fmt: skip

REQUEST_LIMIT = 2000  # "(no conversation)" may hold a million records: show the first ones
ALL_TIME = ""  # the month selector's value for "All time"


@dataclass
class _Loaded:
    tz: ZoneInfo
    currency: str
    months: list[str]
    month: str  # the month read, or ALL_TIME
    found: Conversations


def _bounds(month: str, tz: ZoneInfo) -> tuple[int | None, int | None]:
    if month == ALL_TIME:
        return None, None
    y, m = parse_month(month)
    return month_start_us(y, m, tz), month_start_us(*next_month(y, m), tz)


def _table(model) -> QTableView:
    view = QTableView()
    view.setModel(model)
    configure_table(view)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


class ConversationsPage(Page):
    key, title = "conversations", "Conversations"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.tz = ZoneInfo("UTC")
        self.currency = "USD"
        self.month: str | None = None  # None: the newest month with usage, when first read
        self.opened: ConversationRow | None = None
        self._loads = Latest(ctx.tasks, self, "read the conversations")
        self._request_reads = Latest(ctx.tasks, self, "read a conversation's requests")
        self.found: Conversations | None = None
        self.model = ConversationsModel(self)
        self.requests_model = RequestsModel(self)
        self._build()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(QLabel("<h2>Conversations</h2>"))

        bar = QHBoxLayout()
        self.month_box = QComboBox()
        self.month_box.setMinimumContentsLength(14)
        self.month_box.currentIndexChanged.connect(self._month_chosen)
        month_label = QLabel("&Month:")
        month_label.setBuddy(self.month_box)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by conversation or model")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaximumWidth(320)
        self.filter.textChanged.connect(self._filter_changed)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)  # wraps in a narrow window rather than widening it
        self.summary.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.summary.setToolTip("Usage charges of the conversations shown, as `meterbook cost` "
                                "counts them (the vendor's bill where the export carried one). "
                                "Monthly fees belong to no conversation: the Dashboard's "
                                "month totals include them.")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(month_label)
        bar.addWidget(self.month_box)
        bar.addSpacing(12)
        bar.addWidget(self.filter, 1)
        bar.addStretch(0)
        bar.addWidget(self.summary, 1)
        layout.addLayout(bar)

        self.view = _table(self.model)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(6, Qt.SortOrder.DescendingOrder)  # costliest first
        self.view.activated.connect(self._open_index)  # double-click (or the style's click)
        # Enter as a shortcut of the view: on macOS, Return does not emit `activated`.
        self.open_action = QAction("&Open conversation", self.view)
        self.open_action.setShortcuts([QKeySequence(Qt.Key.Key_Return),
                                       QKeySequence(Qt.Key.Key_Enter)])
        self.open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.open_action.triggered.connect(
            lambda: self._open_index(self.view.currentIndex()))
        self.view.addAction(self.open_action)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.view.setAccessibleName("Conversations")

        panel = QWidget()
        panel_layout = QVBoxLayout(panel)
        panel_layout.setContentsMargins(0, 6, 0, 0)
        self.panel_title = QLabel("Double-click a conversation, or press Enter, to see its "
                                  "requests.")
        self.panel_title.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.panel_title.setTextFormat(Qt.TextFormat.RichText)  # ids are escaped
        self.panel_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.requests_view = _table(self.requests_model)
        self.requests_view.setAccessibleName("Requests of the conversation")
        self._fit_columns(self.view, 0)  # headers span the width before any data
        self._fit_columns(self.requests_view, 8)
        give_way(self.view, ("Cached", "Input", "Output", "First request"))
        give_way(self.requests_view, ("Cached", "Requests", "Input", "Output"))
        panel_layout.addWidget(self.panel_title)
        panel_layout.addWidget(self.requests_view, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, 1)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

    def _fit_columns(self, view: QTableView, stretch: int) -> None:
        """Size columns to their text once data is in; `stretch` takes the spare width.

        Computed here rather than with resizeColumnsToContents, whose widths leave no room
        for the sort arrow and, with a stretched column, push the last ones out of sight.
        """
        header = view.horizontalHeader()
        header.setStretchLastSection(False)
        for column in range(header.count()):
            if column == stretch:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
                continue
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            width = max(view.sizeHintForColumn(column), header.sectionSizeHint(column))
            header.resizeSection(column, width + 20)

    def _fit_once(self, view: QTableView, stretch: int) -> None:
        """Fit the columns to the first rows shown, and never again: a width the person
        dragged, or the window restored from its settings, must survive every reload."""
        header = view.horizontalHeader()
        if view.model().rowCount() and not widths_settled(header):
            self._fit_columns(view, stretch)
            settle_widths(header)

    # -- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        self._load(self.month)

    def _load(self, month: str | None) -> None:
        db, ctx = self.ctx.db, self.ctx

        def job() -> _Loaded:
            tz = zone(ctx.report_timezone())
            with db.engine.connect() as conn:
                months = usage_months(conn, tz)
                chosen = month if month == ALL_TIME or month in months else (
                    months[0] if months else ALL_TIME)
                lo, hi = _bounds(chosen, tz)
                home = readers.home_currency(conn)
                found = conversations_in(conn, tz=tz, from_us=lo, to_us=hi, home_currency=home)
            return _Loaded(tz, home, months, chosen, found)

        self.summary.setText("Reading…")
        self._loads.read(job, self._show, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText("")
        self.error.setText(f"The conversations could not be read: {exc}")
        self.error.setStyleSheet(f"color: {warning_color(self.palette()).name()};")
        self.error.show()

    def _show(self, loaded: _Loaded) -> None:
        self.error.hide()
        self.tz, self.currency, self.month = loaded.tz, loaded.currency, loaded.month
        self.found = loaded.found
        self.month_box.blockSignals(True)
        self.month_box.clear()
        for label in loaded.months:
            self.month_box.addItem(month_title(label), label)
        self.month_box.addItem("All time", ALL_TIME)
        self.month_box.setCurrentIndex(self.month_box.findData(loaded.month))
        self.month_box.blockSignals(False)
        self.model.set_rows(loaded.found.rows, loaded.currency, loaded.tz)
        self._fit_once(self.view, 0)
        self._show_summary()
        # Keep the open conversation open when it is still there (e.g. after an import).
        still = next((r for r in loaded.found.rows if self.opened is not None
                      and r.conversation == self.opened.conversation), None)
        if still is not None:
            self.open_conversation(still)
        else:
            self._close_conversation()

    def _show_summary(self) -> None:
        self.summary.setText(summary_text(self.model.rows(), self.found, self.currency,
                                          warning_color(self.palette()).name()))

    def _month_chosen(self, index: int) -> None:
        if index >= 0:
            self._load(self.month_box.itemData(index))

    def _filter_changed(self, text: str) -> None:
        self.model.set_filter(text)
        self._show_summary()

    # -- one conversation ----------------------------------------------------------------------

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_conversation(self.model.row_at(index.row()))

    def open_conversation(self, row: ConversationRow) -> None:
        self.opened = row
        db, tz, month = self.ctx.db, self.tz, self.month
        lo, hi = _bounds(month or ALL_TIME, tz)
        name = html.escape(row.conversation or NO_CONVERSATION)

        def job() -> list[RequestRow]:
            with db.engine.connect() as conn:
                return conversation_requests(conn, row.conversation, tz=tz, from_us=lo,
                                             to_us=hi, limit=REQUEST_LIMIT)

        def done(requests: list[RequestRow]) -> None:
            self._show_requests(row, requests)

        def failed(exc: BaseException) -> None:
            self.panel_title.setText(f"The requests of {name} could not be read: {exc}")

        self.panel_title.setText(f"Reading the requests of {name}…")
        self._request_reads.read(job, done, failed)

    def _show_requests(self, row: ConversationRow, requests: list[RequestRow]) -> None:
        self.requests_model.set_rows(requests, self.currency, self.tz)
        self._fit_once(self.requests_view, 8)
        name = html.escape(row.conversation or NO_CONVERSATION)
        cost = conversation_cost_text(row, self.currency)
        text = f"<b>{name}</b> · {counted_text(row.requests, row.billed_records)} · {cost}"
        if row.unpriced_requests and not row.fully_unpriced:
            color = warning_color(self.palette()).name()
            text += (f" · <span style='color:{color}'>{count(row.unpriced_requests)} "
                     "unpriced, not included</span>")
        if len(requests) >= REQUEST_LIMIT:
            text += f" · the first {count(REQUEST_LIMIT)} records shown"
        self.panel_title.setText(text)
        self.panel_title.setForegroundRole(QPalette.ColorRole.WindowText)

    def _close_conversation(self) -> None:
        self.opened = None
        self._request_reads.drop()
        self.requests_model.set_rows([], self.currency, self.tz)
        self.panel_title.setText("Double-click a conversation, or press Enter, to see its "
                                 "requests.")
        self.panel_title.setForegroundRole(QPalette.ColorRole.PlaceholderText)


def counted_text(requests: int, billed_lines: int) -> str:
    """"3 requests", "24 billed cost lines" or both: billed lines count no requests, so a
    page of only those must not read "0 requests" above its money."""
    parts = []
    if requests or not billed_lines:
        parts.append(plural(requests, "request"))
    if billed_lines:
        parts.append(plural(billed_lines, "billed cost line"))
    return " · ".join(parts)


def summary_text(rows: list[ConversationRow], found: Conversations | None, currency: str,
                 amber: str) -> str:
    """The line above the table: what it counts, its money, and what is in no row."""
    talks = sum(1 for r in rows if r.conversation)
    requests = sum(r.requests for r in rows)
    billed = sum(r.billed_records for r in rows)
    unpriced = sum(r.unpriced_requests for r in rows)
    text = counted_text(requests, billed)
    if talks or requests or not billed:
        text = f"{plural(talks, 'conversation')} · {text}"
    elif billed:
        text += " (in no conversation)"
    if found is not None and found.missing_rates:
        return (text + f" · <span style='color:{amber}'>cost unavailable: "
                + html.escape(missing_rates_text(found.missing_rates, currency,
                                                 capital=False)) + "</span>")
    if requests > unpriced or billed:  # when nothing was priced, a sum would read as $0.00
        cost = sum((r.cost or Decimal(0) for r in rows), Decimal(0))
        text += f" · {summary_money(cost, currency)}"
    if unpriced:
        text += (f" · <span style='color:{amber}'>{plural(unpriced, 'request')} "
                 "unpriced</span>")
    fees = None if found is None else found.fixed_cost
    if fees:  # the Dashboard's month total includes them: say why this one is lower
        text += (f"<br>+ monthly fees {summary_money(fees, currency)}, which are in no "
                 "conversation")
    return text
