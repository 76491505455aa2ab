"""The Dashboard: a month's and the month before's spend, averages, unpriced usage, imports.

Every figure comes from `store.overview.dashboard`, read on a worker thread; this page only lays
them out. Money follows `meterbook cost`'s rule (billed where billed, computed otherwise) and
says how much of it the vendors billed. Unpriced usage is never shown as $0: it has a card of
its own, in amber, and the month's spend says how many requests it leaves out; money that needs
a missing exchange rate is "unavailable", with every missing rate listed and a button to add
them. The month is chosen with the picker (or `ctx.select_month`); by default this month, or the
latest month with usage when this one has none. Under the cards, the month's spend per day
stacked by vendor and its cumulative spend (app/charts), read after the figures; clicking a
day opens the Usage page on it.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
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

from meterbook.app.alert_banner import AlertBanner
from meterbook.app.change_panel import ChangePanel
from meterbook.app.charts.palette import palette_of
from meterbook.app.context import AppContext
from meterbook.app.formatting import (
    billed_note,
    count,
    missing_rates_text,
    month_title,
    muted_color,
    plural,
    warning_color,
    when_text,
)  # fmt: skip
from meterbook.app.models.conversations_model import summary_money
from meterbook.app.pages.base import Page
from meterbook.app.tables import configure_table
from meterbook.app.tasks import Latest
from meterbook.core.periods import next_month, parse_month, zone
from meterbook.core.records import to_epoch_us
from meterbook.store.budget_chart import BudgetChart, budget_chart
from meterbook.store.overview import (
    Dashboard,
    MonthFigures,
    dashboard,
    opening_month,
    previous_month,
)  # fmt: skip
from meterbook.store.spend_series import SpendSeries, spend_series

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
        text = html.escape(caption, quote=False)
        if warning:
            text += f"<br><span style='color:{amber}'>{html.escape(warning, quote=False)}</span>"
        self.caption.setText(text)
        self.value.setStyleSheet(f"color: {amber};" if warn else "")


def month_label(first_day: date) -> str:
    return f"{first_day:%Y-%m}"


def first_day(label: str) -> date:
    year, month = parse_month(label)
    return date(year, month, 1)


class DashboardPage(Page):
    key, title = "dashboard", "Dashboard"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 now: datetime | None = None):
        super().__init__(ctx, parent)
        self._now = now  # None: the clock's; tests fix it
        self.month: str | None = None  # "2026-02"; None: this month or the latest with usage
        self.figures: Dashboard | None = None
        self._reads = Latest(ctx.tasks, self, "read the Dashboard's figures")
        self._chart_reads = Latest(ctx.tasks, self, "read the Dashboard's charts")
        # The month whose charts are read or shown; None: the month the Dashboard opens on.
        self._charts_month: str | None = None
        self.series: SpendSeries | None = None  # what the charts show
        # Start-up order (issue 8, item 8): the Dashboard is the first page a person sees, so
        # its figures and charts are read now, on worker threads, while its widgets (the two
        # charts take a good part of a second) and the rest of the window are still being
        # built (SQLite's queries leave Python's lock free), rather than once it is shown.
        # Their answers come through the event loop, so after the widgets exist.
        self._stale = False
        self.refresh()
        self._build()
        ctx.month_selected.connect(self.select_month)

    @property
    def now(self) -> datetime | None:
        return self._now

    @now.setter
    def now(self, value: datetime | None) -> None:
        # A clock fixed after the first read (the window sets it): that read's answer is for
        # another month; read again at once, and let nothing show the first.
        if value != self._now:
            self._now = value
            self.figures = None
            self.refresh()
            self._stale = False

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
        top.addSpacing(16)
        top.addLayout(self._build_picker())
        top.addStretch(1)
        top.addWidget(self.subtitle, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(top)
        # Why this month is shown (the latest with usage), and the rates that are missing.
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.hide()
        layout.addWidget(self.notice)
        rates_row = QHBoxLayout()
        self.missing_rates = QLabel()
        self.missing_rates.setWordWrap(True)
        self.add_rates = QPushButton("Add exchange rates…")
        self.add_rates.setToolTip("Open the rate editor for every missing month")
        self.add_rates.clicked.connect(self._add_missing_rates)
        rates_row.addWidget(self.missing_rates, 1)
        rates_row.addWidget(self.add_rates, 0, Qt.AlignmentFlag.AlignTop)
        self.missing_rates.hide()
        self.add_rates.hide()
        layout.addLayout(rates_row)
        self.alert_banner = AlertBanner(self.ctx)  # the standing alerts (app/alert_banner.py)
        layout.addWidget(self.alert_banner)

        grid = QGridLayout()
        grid.setSpacing(12)
        self.this_month = FigureCard("This month")
        self.last_month = FigureCard("Last month")
        # Titles and captions say "so far" only of the running month (see _titles).
        self.requests = FigureCard("Requests this month")
        self.per_request = FigureCard("Average per request")
        self.per_conversation = FigureCard("Average per conversation")
        self.unpriced = FigureCard("Unpriced usage")
        self.review_unpriced = QPushButton("Review…")
        self.review_unpriced.setToolTip("Open the Usage page to see what no plan prices")
        self.review_unpriced.clicked.connect(lambda: self.ctx.open_page.emit("usage"))
        self.review_unpriced.hide()
        self.unpriced.add_action(self.review_unpriced)
        self.cards = cards = (self.this_month, self.last_month, self.requests, self.per_request,
                              self.per_conversation, self.unpriced)
        for n, card in enumerate(cards):
            grid.addWidget(card, n // 3, n % 3)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        layout.addLayout(grid)
        self.change_panel = ChangePanel(self.ctx)  # why it changed since the month before
        layout.addWidget(self.change_panel)

        lower = QHBoxLayout()
        lower.setSpacing(12)
        self.charts = QFrame()
        self.charts.setObjectName("dashboard-charts")
        self.charts.setFrameShape(QFrame.Shape.StyledPanel)
        self.charts_layout = QHBoxLayout(self.charts)
        # pyqtgraph (a third of a second to import) only now, once the reads are on their
        # way (__init__): they run while it loads.
        from meterbook.app.charts.cumulative import CumulativeSpend
        from meterbook.app.charts.stacked_bars import StackedBars

        self.daily_chart = StackedBars()
        self.cumulative_chart = CumulativeSpend()
        self.charts_layout.addWidget(self.daily_chart, 3)
        self.charts_layout.addWidget(self.cumulative_chart, 2)
        self.daily_chart.clicked.connect(self._day_clicked)
        self.cumulative_chart.clicked.connect(self._day_clicked)
        # The charts take the width of the page (a month of daily bars needs it); the latest
        # imports follow under them.
        self.charts.setMinimumHeight(280)
        self.charts.setMaximumHeight(400)  # the rest of a tall window goes to the imports
        layout.addWidget(self.charts, 3)
        imports = self._build_imports()
        imports.setMinimumHeight(130)
        lower.addWidget(imports, 1)
        layout.addLayout(lower, 1)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

    def _build_picker(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        self.previous = QPushButton("‹")
        self.previous.setToolTip("The month before")
        self.previous.setAccessibleName("Previous month")
        self.next = QPushButton("›")
        self.next.setToolTip("The month after")
        self.next.setAccessibleName("Next month")
        for button in (self.previous, self.next):
            button.setFixedWidth(32)
        self.month_combo = QComboBox()
        self.month_combo.setAccessibleName("Month")
        self.month_combo.setToolTip("Months with usage")
        self.month_combo.setMinimumContentsLength(14)
        self.previous.clicked.connect(lambda: self._step(-1))
        self.next.clicked.connect(lambda: self._step(1))
        self.month_combo.activated.connect(
            lambda i: self.ctx.select_month(first_day(self.month_combo.itemData(i))))
        row.addWidget(self.previous)
        row.addWidget(self.month_combo)
        row.addWidget(self.next)
        return row

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

    # -- the month -------------------------------------------------------------------------

    def select_month(self, day: date) -> None:
        """Show the month of `day` (a date; the first of the month by convention)."""
        self.month = month_label(day)
        self._mark_stale()  # read now if shown, else when next shown

    def _step(self, months: int) -> None:
        """One month back (-1) or on (1) from the month shown."""
        if self.figures is None:
            return
        shown = self.figures.month
        if months < 0:
            self.ctx.select_month(first_day(previous_month(shown)))
        else:
            self.ctx.select_month(date(*next_month(*parse_month(shown)), 1))

    def _show_picker(self, f: Dashboard) -> None:
        choice = f.choice
        # The months with usage, and the shown one (and the running one) though empty.
        months = sorted(set(choice.months) | {choice.month, choice.current})
        self.month_combo.blockSignals(True)
        self.month_combo.clear()
        for label in reversed(months):  # newest first, as a person looks back
            self.month_combo.addItem(month_title(label), label)
        self.month_combo.setCurrentIndex(self.month_combo.findData(choice.month))
        self.month_combo.blockSignals(False)
        self.previous.setEnabled(choice.month > months[0])
        self.next.setEnabled(choice.month < months[-1])

    # -- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        self.series = None
        ctx, now, month = self.ctx, self.now, self.month

        def failed(exc: BaseException) -> None:
            # No card may keep waiting at "…" (or show an older month's figure as current).
            for card in self.cards:
                card.show_figure("—", "could not be read")
            self.error.setText(f"The figures could not be read: {exc}")
            self.error.setStyleSheet(f"color: {warning_color(self.palette()).name()};")
            self.error.show()

        def job() -> Dashboard:
            return dashboard(ctx.db, ctx.report_timezone(), now=now, month=month)

        self._reads.read(job, self.show_figures, failed)
        # The charts are read alongside the figures, for the month asked for or the one the
        # figures will show (this one, or the latest with usage when this one has none: the
        # read finds which); they are read again only if the figures show another month.
        self._read_charts(month)

    def is_loaded(self) -> bool:
        """The figures of the latest refresh are on screen (for benchmarks and tests)."""
        return getattr(self, "figures", None) is not None

    def _money(self, f: Dashboard, amount) -> str:
        return "Unavailable" if amount is None else summary_money(amount, f.currency)

    @staticmethod
    def _unavailable(figures: MonthFigures) -> str:
        """'no USD rate for December 2026': what a money figure waits for."""
        lacking = ", ".join(sorted({c for c, _m in figures.missing_rates}))
        return f"no {lacking} rate for {month_title(figures.month)}"

    def show_figures(self, f: Dashboard) -> None:
        self.figures = f
        self.error.hide()
        cur, this, last = f.currency, f.this, f.last
        this_title, last_title = month_title(f.month), month_title(f.last_month)
        if f.is_current:
            self.this_month.title.setText("This month")
            self.last_month.title.setText("Last month")
            self.requests.title.setText("Requests this month")
            shown = f"{this_title} so far"
        else:
            self.this_month.title.setText(this_title)
            self.last_month.title.setText(last_title)
            self.requests.title.setText(f"Requests in {this_title}")
            shown = this_title
        self.subtitle.setText(f"{shown} · amounts in {cur} · times in {f.timezone}")
        self._show_picker(f)
        self._show_notices(f)

        # A past month's cards have the month as title: their captions need not repeat it.
        captions = (shown, last_title) if f.is_current else ("", "")
        for card, figures, caption in ((self.this_month, this, captions[0]),
                                       (self.last_month, last, captions[1])):
            if figures.cost is None:
                card.show_figure("Unavailable", caption, warn=True,
                                 warning=self._unavailable(figures))
                continue
            parts = [caption] if caption else []
            if figures.fixed_cost:
                parts.append(f"{summary_money(figures.fixed_cost, cur)} of it monthly fees")
            note = billed_note(figures.billed, summary_money(figures.billed or 0, cur))
            parts += [note] if note else []
            card.show_figure(summary_money(figures.cost, cur), " · ".join(parts),
                             warning=self._not_included(figures.unpriced_requests))
        self.requests.show_figure(count(this.requests), (
            f"in {plural(f.conversations, 'conversation')}; "
            f"{count(last.requests)} in {last_title}"))

        priced = this.requests - this.unpriced_requests
        in_month = "this month" if f.is_current else f"in {this_title}"
        if this.cost is None:
            for card in (self.per_request, self.per_conversation):
                card.show_figure("Unavailable", "an average needs the month's total",
                                 warn=True, warning=self._unavailable(this))
        else:
            if f.average_per_request is None:
                self.per_request.show_figure("—", f"Nothing priced {in_month}" if this.requests
                                             else self._no_requests(this, in_month))
            else:
                self.per_request.show_figure(summary_money(f.average_per_request, cur), (
                    f"usage charges over {plural(priced, 'priced request')}, "
                    "monthly fees left out"))
            self._show_conversation_average(f, in_month)

        if this.unpriced_requests:
            self.unpriced.show_figure(
                f"{plural(this.unpriced_requests, 'request')} unpriced",
                "No plan prices them, so their cost is in none of these figures.", warn=True)
        else:
            self.unpriced.show_figure("None", f"Every request {in_month} has a price.")
        self.review_unpriced.setVisible(bool(this.unpriced_requests))
        self._show_imports(f)
        self.change_panel.show_month(f.month, f.timezone, f.is_current)
        if self._charts_month is not None and f.month != self._charts_month:
            self._read_charts(f.month, f.timezone)

    # -- the charts ------------------------------------------------------------------------------

    def _read_charts(self, month: str | None, tz: str | None = None) -> None:
        """Read the charts of `month` (None: the month the Dashboard opens on) in the report
        zone `tz` (None: the saved one, read by the job)."""
        self._charts_month = month
        ctx, now = self.ctx, self.now

        def job() -> tuple[SpendSeries, BudgetChart]:
            tz_name = tz or ctx.report_timezone()
            today = (now or datetime.now(UTC)).astimezone(zone(tz_name)).date()
            with ctx.db.engine.connect() as conn:
                first = first_day(month or opening_month(conn, tz_name, now))
                after = date(*next_month(first.year, first.month), 1)
                return (spend_series(conn, tz_name, first, after, "day", "vendor"),
                        budget_chart(conn, first.year, first.month, today, tz_name))

        def done(read: tuple[SpendSeries, BudgetChart]) -> None:
            self.show_charts(*read)
            # The figures, in first, chose another month (usage imported between the reads):
            # their month's charts.
            if self.figures is not None and f"{read[0].first:%Y-%m}" != self.figures.month:
                self._read_charts(self.figures.month, self.figures.timezone)

        self._chart_reads.read(job, done)

    def show_charts(self, series: SpendSeries, budgets: BudgetChart) -> None:
        if self.ctx.is_closed:  # answered as the window closed: its colours cannot be read
            return
        self.series = series
        title = month_title(f"{series.first:%Y-%m}")
        colours = palette_of(self.ctx).colours("vendor", series.names)
        self.daily_chart.set_series(series, colours, title=f"Spend per day, {title}")
        self._show_budget_chart(series, budgets, f"Spent so far in {title}")

    def _show_budget_chart(self, series: SpendSeries, b: BudgetChart, title: str) -> None:
        """The running total (fixed charges on the first day, as budgets count them), each
        monthly budget's thresholds, and the forecast with its band while the month runs."""
        chart = self.cumulative_chart
        unpriced = series.unpriced_per_bucket()
        chart.set_spend([d for d, _v in b.spent], [v for _d, v in b.spent], b.currency,
                        series.after, unpriced[:len(b.spent)], title)
        chart.set_budget_lines(b.lines)
        chart.set_forecast(b.forecast, b.low, b.high)
        chart.set_note(f"No forecast: {b.no_forecast}" if b.no_forecast else "")

    def _day_clicked(self, start: date, end: date, vendor: str | None) -> None:
        self.ctx.show_usage(start, end - timedelta(days=1), "vendor" if vendor else None, vendor)

    def _show_conversation_average(self, f: Dashboard, in_month: str) -> None:
        averaged = f.conversations - f.conversations_unpriced
        if f.average_per_conversation is None:
            text = f"No fully priced conversation {in_month}"
            if f.conversations_unpriced:
                text += f" ({plural(f.conversations_unpriced, 'has', 'have')} unpriced requests)"
            self.per_conversation.show_figure("—", text)
        else:
            text = f"over {plural(averaged, 'conversation')}"
            if f.conversations_unpriced:
                text += (f"; {count(f.conversations_unpriced)} with unpriced requests "
                         "left out")
            self.per_conversation.show_figure(
                summary_money(f.average_per_conversation, f.currency), text)

    def _show_notices(self, f: Dashboard) -> None:
        amber = warning_color(self.palette()).name()
        choice = f.choice
        self.notice.setText(
            f"Showing {month_title(choice.month)}, the latest month with usage: there is none "
            f"in {month_title(choice.current)} yet." if choice.latest_instead else "")
        self.notice.setVisible(choice.latest_instead)
        missing = choice.missing_rates
        if missing:
            text = html.escape(missing_rates_text(missing, f.currency))
            self.missing_rates.setText(
                f"<span style='color:{amber}'>{text}.</span> Figures that need them are "
                "shown as unavailable, never converted at a guess.")
        self.missing_rates.setVisible(bool(missing))
        self.add_rates.setVisible(bool(missing))

    def _add_missing_rates(self) -> None:
        # Imported on first use: the rate editor (and the ORM it writes with) is no part of
        # a start (issue 8, item 8).
        from meterbook.app.pages.rate_dialogs import add_missing_rates

        if self.figures is not None and self.figures.choice.missing_rates:
            add_missing_rates(self.window(), self.ctx, self.figures.currency,
                              self.figures.choice.missing_rates)

    @staticmethod
    def _no_requests(figures: MonthFigures, in_month: str) -> str:
        # Vendors' cost exports carry money but no request counts: nothing to divide by.
        return f"No requests counted {in_month}" + (
            "; the vendors' bills count none" if figures.billed else "")

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
