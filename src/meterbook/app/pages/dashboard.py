"""The Dashboard: this month's and last month's spend, averages, unpriced usage, latest imports.

Every figure comes from `store.overview.dashboard`, read on a worker thread; this page only lays
them out. Unpriced usage is never shown as $0: it has a card of its own, in amber, and the
month's spend says how many requests it leaves out. The area under the cards is kept for the
charts (another issue): `charts_layout` is theirs to fill.
"""

from __future__ import annotations

import html
from datetime import datetime

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.context import AppContext
from meterbook.app.formatting import (
    count,
    month_title,
    muted_color,
    plural,
    warning_color,
    when_text,
)  # fmt: skip
from meterbook.app.models.conversations_model import summary_money
from meterbook.app.pages.base import Page
from meterbook.app.tables import configure_table
from meterbook.core.periods import zone
from meterbook.core.records import to_epoch_us
from meterbook.store.overview import Dashboard, dashboard

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class FigureCard(QFrame):
    """A titled big number with a line of explanation under it, on the palette's Base."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("figure-card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(2)
        self.title = QLabel(title)
        self.title.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        # The title row has room for an action button (see add_action), so that a card with
        # one keeps the height of the others.
        self.title_row = QHBoxLayout()
        self.title_row.setContentsMargins(0, 0, 0, 0)
        self.title_row.addWidget(self.title, 1)
        self.value = QLabel("…")
        font = QFont(self.value.font())
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption = QLabel(" ")
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setWordWrap(True)
        self.caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        # Two caption lines always: the cards keep one height whatever their text.
        self.caption.setMinimumHeight(2 * self.caption.fontMetrics().lineSpacing())
        self.caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addLayout(self.title_row)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)

    def add_action(self, button: QPushButton) -> None:
        button.setFlat(True)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.title_row.addWidget(button, 0, Qt.AlignmentFlag.AlignRight)

    def show_figure(self, value: str, caption: str, warn: bool = False,
                    warning: str = "") -> None:
        """`caption` and `warning` are plain text; the warning follows in amber."""
        self.value.setText(value)
        amber = warning_color(self.palette()).name()
        text = html.escape(caption)
        if warning:
            text += f"<br><span style='color:{amber}'>{html.escape(warning)}</span>"
        self.caption.setText(text)
        self.value.setStyleSheet(f"color: {amber};" if warn else "")


class DashboardPage(Page):
    key, title = "dashboard", "Dashboard"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 now: datetime | None = None):
        super().__init__(ctx, parent)
        self.now = now  # None: the clock's; tests fix it
        self.figures: Dashboard | None = None
        self._generation = 0
        self._build()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        # In a scroll area, so that a small window scrolls the dashboard instead of being
        # held wider than the screen by the cards.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(12)
        heading = QLabel("<h2>Dashboard</h2>")
        self.subtitle = QLabel(" ")
        self.subtitle.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.subtitle, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(top)

        grid = QGridLayout()
        grid.setSpacing(12)
        self.this_month = FigureCard("This month")
        self.last_month = FigureCard("Last month")
        self.requests = FigureCard("Requests this month")
        self.per_request = FigureCard("Average per request")
        self.per_conversation = FigureCard("Average per conversation")
        self.unpriced = FigureCard("Unpriced usage")
        self.review_unpriced = QPushButton("Review…")
        self.review_unpriced.setToolTip("Open the Usage page to see what no plan prices")
        self.review_unpriced.clicked.connect(lambda: self.ctx.open_page.emit("usage"))
        self.review_unpriced.hide()
        self.unpriced.add_action(self.review_unpriced)
        cards = (self.this_month, self.last_month, self.requests, self.per_request,
                 self.per_conversation, self.unpriced)
        for n, card in enumerate(cards):
            grid.addWidget(card, n // 3, n % 3)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        layout.addLayout(grid)

        lower = QHBoxLayout()
        lower.setSpacing(12)
        # Kept for the charts issue: a frame with an empty layout they fill.
        self.charts = QFrame()
        self.charts.setObjectName("dashboard-charts")
        self.charts.setFrameShape(QFrame.Shape.StyledPanel)
        self.charts_layout = QVBoxLayout(self.charts)
        self.charts_placeholder = QLabel("Charts of spend per day and per vendor will go here.")
        self.charts_placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.charts_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.charts_layout.addWidget(self.charts_placeholder)
        self.charts.setMinimumHeight(240)
        lower.addWidget(self.charts, 3)
        lower.addWidget(self._build_imports(), 2)
        layout.addLayout(lower, 1)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

    def _build_imports(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        label = QLabel("<b>Latest imports</b>")
        all_imports = QPushButton("All imports…")
        all_imports.setFlat(True)
        all_imports.clicked.connect(lambda: self.ctx.open_page.emit("imports"))
        header.addWidget(label)
        header.addStretch(1)
        header.addWidget(all_imports)
        layout.addLayout(header)
        self.imports = QTableWidget(0, 4)
        self.imports.setHorizontalHeaderLabels(["When", "Files", "Added", "Refused"])
        configure_table(self.imports)
        self.imports.verticalHeader().hide()
        self.imports.setShowGrid(False)
        self.imports.setAlternatingRowColors(True)
        self.imports.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.imports.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.imports.setWordWrap(False)
        head = self.imports.horizontalHeader()
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setHighlightSections(False)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        for column in (2, 3):
            self.imports.horizontalHeaderItem(column).setTextAlignment(_RIGHT)
        self.no_imports = QLabel("No imports yet. Drop usage files on the window, or use "
                                 "File › Import usage…")
        self.no_imports.setWordWrap(True)
        self.no_imports.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.imports, 1)
        layout.addWidget(self.no_imports)
        self.no_imports.hide()
        return box

    # -- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        self._generation += 1
        generation, ctx, now = self._generation, self.ctx, self.now

        def job() -> Dashboard:
            return dashboard(ctx.db, ctx.report_timezone(), now=now)

        def done(figures: Dashboard) -> None:
            # The page may be gone (window closed) or a newer read already asked for.
            if shiboken6.isValid(self) and generation == self._generation:
                self.show_figures(figures)

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self) and generation == self._generation:
                self.error.setText(f"The figures could not be read: {exc}")
                self.error.setStyleSheet(f"color: {warning_color(self.palette()).name()};")
                self.error.show()

        ctx.tasks.read(job, done, failed)

    def is_loaded(self) -> bool:
        """The figures of the latest refresh are on screen (for benchmarks and tests)."""
        return getattr(self, "figures", None) is not None

    def show_figures(self, f: Dashboard) -> None:
        self.figures = f
        self.error.hide()
        cur = f.currency
        this_title, last_title = month_title(f.month), month_title(f.last_month)
        self.subtitle.setText(f"{this_title} so far · amounts in {cur} · times in {f.timezone}")

        fees = (f" · {summary_money(f.fixed_cost, cur)} of it monthly fees"
                if f.fixed_cost else "")
        self.this_month.show_figure(
            summary_money(f.cost, cur), f"{this_title} so far{fees}",
            warning=self._not_included(f.unpriced_requests))
        self.last_month.show_figure(summary_money(f.last_month_cost, cur), last_title,
                                    warning=self._not_included(f.last_month_unpriced))
        self.requests.show_figure(count(f.requests), (
            f"in {plural(f.conversations, 'conversation')}; "
            f"{count(f.last_month_requests)} in {last_title}"))

        priced = f.requests - f.unpriced_requests
        if f.average_per_request is None:
            self.per_request.show_figure("—", "Nothing priced this month yet")
        else:
            self.per_request.show_figure(summary_money(f.average_per_request, cur), (
                f"usage charges over {plural(priced, 'priced request')}, "
                "monthly fees left out"))

        averaged = f.conversations - f.conversations_unpriced
        if f.average_per_conversation is None:
            text = "No fully priced conversation this month"
            if f.conversations_unpriced:
                text += f" ({plural(f.conversations_unpriced, 'has', 'have')} unpriced requests)"
            self.per_conversation.show_figure("—", text)
        else:
            text = f"over {plural(averaged, 'conversation')}"
            if f.conversations_unpriced:
                text += (f"; {count(f.conversations_unpriced)} with unpriced requests "
                         "left out")
            self.per_conversation.show_figure(summary_money(f.average_per_conversation, cur),
                                              text)

        if f.unpriced_requests:
            self.unpriced.show_figure(
                f"{plural(f.unpriced_requests, 'request')} unpriced",
                "No plan prices them, so their cost is in none of these figures.", warn=True)
        else:
            self.unpriced.show_figure("None", "Every request this month has a price.")
        self.review_unpriced.setVisible(bool(f.unpriced_requests))
        self._show_imports(f)

    @staticmethod
    def _not_included(unpriced: int) -> str:
        return f"{plural(unpriced, 'request')} unpriced, not included" if unpriced else ""

    def _show_imports(self, f: Dashboard) -> None:
        tz = zone(f.timezone)
        self.imports.setRowCount(len(f.imports))
        warn, muted = warning_color(self.palette()), muted_color(self.palette())
        for row, line in enumerate(f.imports):
            files = ", ".join(line.files)
            cells = [when_text(to_epoch_us(line.created), tz), files, count(line.added),
                     count(line.refused) if line.refused else "—"]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(_RIGHT)
                if column == 1:
                    item.setToolTip("\n".join(line.files) + (
                        f"\n{plural(line.duplicates, 'duplicate')} skipped"
                        if line.duplicates else ""))
                if column == 3:
                    item.setForeground(warn if line.refused else muted)
                self.imports.setItem(row, column, item)
        self.imports.setVisible(bool(f.imports))
        self.no_imports.setVisible(not f.imports)
