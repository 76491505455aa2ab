"""The Trends page: "is it growing?", "are a few big requests driving the bill?", "what costs
most?", each one click away (a tab per chart) over the period and grouping picked above them.

The figures come from store/spend_series.py on a reader thread (Latest: only the newest answer
is drawn); the chart widgets are made once and updated in place. Periods are counted back from
the last day that holds usage, not from the clock, so an old database still opens on its data.
Clicking a bar opens the Usage page on that bucket and series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.charts.histogram import CostHistogram
from meterbook.app.charts.palette import palette_of
from meterbook.app.charts.stacked_bars import StackedBars
from meterbook.app.charts.top_bars import TopBars
from meterbook.app.context import AppContext
from meterbook.app.formatting import missing_rates_text, warning_color
from meterbook.app.pages.base import Page
from meterbook.app.tasks import Latest
from meterbook.store.spend_series import (
    DailySpend,
    Distribution,
    Ranking,
    SpendSeries,
    cost_per_conversation,
    cost_per_request,
    daily_spend,
    group_spend,
    top_spenders,
    usage_span,
)  # fmt: skip

# (label, days back from the last day with usage; None: all of it; 0: the dates picked)
PERIODS = (("Last 30 days", 30), ("Last 90 days", 90), ("Last 12 months", 365),
           ("All usage", None), ("Custom dates", 0))
GROUPINGS = (("Per day", "day"), ("Per week", "week"), ("Per month", "month"))
DIMENSIONS = (("By vendor", "vendor"), ("By model", "model"), ("By project", "project"))
TOP_LIMIT = 10


@dataclass
class _Details:
    """The slower figures of a period, read after the spend chart is drawn."""

    per_request: Distribution
    per_conversation: Distribution
    models: Ranking
    projects: Ranking


class TrendsPage(Page):
    key, title = "trends", "Trends"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.span: tuple[date, date] | None = None
        self.tz = "UTC"
        self._daily: tuple[tuple, DailySpend] | None = None  # (what was asked, the days)
        self.series: SpendSeries | None = None
        self.details: _Details | None = None
        self._spend_reads = Latest(ctx.tasks, self, "read the spend per period")
        self._detail_reads = Latest(ctx.tasks, self, "read the cost distributions")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>Trends</h2>"))
        self.period = QComboBox()
        self.period.setAccessibleName("Period")
        for text, days in PERIODS:
            self.period.addItem(text, days)
        self.period.setCurrentIndex(1)
        self.from_date, self.to_date = QDateEdit(), QDateEdit()
        for edit, tip in ((self.from_date, "First day"), (self.to_date, "Last day")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setToolTip(tip)
            edit.dateChanged.connect(self._dates_edited)
        self.grouping = QComboBox()
        self.grouping.setAccessibleName("Grouping")
        for text, value in GROUPINGS:
            self.grouping.addItem(text, value)
        self.dimension = QComboBox()
        self.dimension.setAccessibleName("Series")
        for text, value in DIMENSIONS:
            self.dimension.addItem(text, value)
        self.period.activated.connect(self._period_picked)
        self.grouping.activated.connect(lambda _i: self.read_spend())
        self.dimension.activated.connect(lambda _i: self.read_spend())
        # Two short rows rather than one long one: the window stays narrow enough for a
        # small screen.
        top.addStretch(1)
        for widget in (self.grouping, self.dimension):
            top.addWidget(widget)
        layout.addLayout(top)
        dates = QHBoxLayout()
        for widget in (self.period, self.from_date, QLabel("to"), self.to_date):
            dates.addWidget(widget)
        dates.addStretch(1)
        layout.addLayout(dates)
        self.note = QLabel(" ")
        self.note.setWordWrap(True)
        self.note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.note)
        self.tabs = QTabWidget()
        self.spend = StackedBars()
        self.per_request = CostHistogram()
        self.per_conversation = CostHistogram()
        self.top_models = TopBars()
        self.top_projects = TopBars()
        for chart, name in ((self.spend, "Spend"), (self.per_request, "Cost per request"),
                            (self.per_conversation, "Cost per conversation"),
                            (self.top_models, "Top models"),
                            (self.top_projects, "Top projects")):
            self.tabs.addTab(chart, name)
        layout.addWidget(self.tabs, 1)
        self.spend.clicked.connect(self._bar_clicked)
        self.top_models.clicked.connect(lambda a, b, name: self._ranked(a, b, "model", name))
        self.top_projects.clicked.connect(lambda a, b, name: self._ranked(a, b, "project", name))

    # -- the period ------------------------------------------------------------------------------

    def range(self) -> tuple[date, date] | None:
        """[first, after) of the period picked, in local dates; None without usage."""
        if self.span is None:
            return None
        days = self.period.currentData()
        first_usage, last_usage = self.span
        if days == 0:
            first = self.from_date.date().toPython()
            last = self.to_date.date().toPython()
        elif days is None:
            first, last = first_usage, last_usage
        else:
            first, last = max(first_usage, last_usage - timedelta(days=days - 1)), last_usage
        return first, last + timedelta(days=1)

    def _show_dates(self, first: date, last: date) -> None:
        for edit, day in ((self.from_date, first), (self.to_date, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _period_picked(self) -> None:
        wanted = self.range()
        if wanted is not None and self.period.currentData() != 0:
            self._show_dates(wanted[0], wanted[1] - timedelta(days=1))
        self.read_all()

    def _dates_edited(self) -> None:
        if self.to_date.date() < self.from_date.date():
            self.to_date.blockSignals(True)
            self.to_date.setDate(self.from_date.date())
            self.to_date.blockSignals(False)
        self.period.setCurrentIndex(self.period.findData(0))
        self.read_all()

    def set_grouping(self, grouping: str, by: str | None = None) -> None:
        """Pick a grouping ("day", "week", "month") and series ("vendor"...) and redraw."""
        self.grouping.setCurrentIndex(self.grouping.findData(grouping))
        if by is not None:
            self.dimension.setCurrentIndex(self.dimension.findData(by))
        self.read_spend()

    # -- reading ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._daily = None  # the data changed: read the days again
        ctx = self.ctx

        def job() -> tuple[str, tuple[date, date] | None]:
            tz = ctx.report_timezone()
            with ctx.db.engine.connect() as conn:
                return tz, usage_span(conn, tz)

        self._spend_reads.read(job, self._spanned)

    def _spanned(self, answer) -> None:
        self.tz, self.span = answer
        if self.span is None:
            self.note.setText("No usage yet: import usage files to see how spend changes.")
            return
        wanted = self.range()
        if self.period.currentData() != 0:
            self._show_dates(wanted[0], wanted[1] - timedelta(days=1))
        self.read_all()

    def read_all(self) -> None:
        self.read_spend()
        self.read_details()

    def read_spend(self) -> None:
        wanted = self.range()
        if wanted is None:
            return
        engine, tz = self.ctx.db.engine, self.tz
        grouping, by = self.grouping.currentData(), self.dimension.currentData()
        # Days, weeks and months are the same days regrouped: a change of grouping alone
        # reuses the days read last instead of asking the database again.
        key = (tz, wanted, by)
        kept = self._daily if self._daily is not None and self._daily[0] == key else None

        def job() -> tuple[tuple, DailySpend, SpendSeries]:
            if kept is not None:
                daily = kept[1]
            else:
                with engine.connect() as conn:
                    daily = daily_spend(conn, tz, wanted[0], wanted[1], by)
            return key, daily, group_spend(daily, grouping)

        self._spend_reads.read(job, self._spend_read, self._failed)

    def _spend_read(self, answer) -> None:
        key, daily, series = answer
        self._daily = (key, daily)
        self.show_spend(series)

    def read_details(self) -> None:
        wanted = self.range()
        if wanted is None:
            return
        engine, tz = self.ctx.db.engine, self.tz

        def job() -> _Details:
            with engine.connect() as conn:
                return _Details(cost_per_request(conn, tz, *wanted),
                                cost_per_conversation(conn, tz, *wanted),
                                top_spenders(conn, tz, *wanted, "model", TOP_LIMIT),
                                top_spenders(conn, tz, *wanted, "project", TOP_LIMIT))

        self._detail_reads.read(job, self.show_details, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.note.setText(f"The figures could not be read: {exc}")
        self.note.setStyleSheet(f"color: {warning_color(self.palette()).name()};")

    # -- showing ---------------------------------------------------------------------------------

    def is_loaded(self) -> bool:
        return self.series is not None

    def _period_text(self, first: date, after: date) -> str:
        last = after - timedelta(days=1)
        return f"{first.day} {first:%b %Y} to {last.day} {last:%b %Y}"

    def show_spend(self, s: SpendSeries) -> None:
        self.series = s
        missing = s.missing_rates
        self.note.setStyleSheet(f"color: {warning_color(self.palette()).name()};"
                                if missing else "")
        self.note.setText(missing_rates_text(missing, s.currency) + "; amounts in those "
                          "currencies are left out of the charts." if missing else
                          f"{self._period_text(s.first, s.after)} · amounts in {s.currency} "
                          f"· times in {self.tz}")
        colours = palette_of(self.ctx).colours(s.by, s.names)
        unit = {"day": "day", "week": "week", "month": "month"}[s.grouping]
        self.spend.set_series(s, colours, title=f"Spend per {unit} by {s.by}, "
                              f"{self._period_text(s.first, s.after)}")

    def show_details(self, d: _Details) -> None:
        self.details = d
        wanted = self.range()
        if wanted is None:
            return
        period = self._period_text(*wanted)
        self.per_request.set_distribution(d.per_request, title=f"Cost per request, {period}")
        self.per_conversation.set_distribution(d.per_conversation,
                                               title=f"Cost per conversation, {period}")
        palette = palette_of(self.ctx)
        self.top_models.set_ranking(d.models, palette.colours("model", d.models.names),
                                    *wanted, title=f"Costliest models, {period}")
        self.top_projects.set_ranking(d.projects, palette.colours("project", d.projects.names),
                                      *wanted, title=f"Costliest projects, {period}")

    def _bar_clicked(self, start: date, end: date, series: str | None) -> None:
        by = self.series.by if self.series is not None and series is not None else None
        self.ctx.show_usage(start, end - timedelta(days=1), by, series)

    def _ranked(self, first: date, after: date, by: str, name: str | None) -> None:
        self.ctx.show_usage(first, after - timedelta(days=1), by, name)
