"""The Budgets page: each budget's period with spent, percent and forecast as bars, the forms
to add, edit and remove budgets and to set how forecasts are made, and the standing alerts.

Figures come from store/budget_status.py, the function `meterbook budget status` prints, read
on a worker thread (latest answer wins); writes go through the writer thread and end with an
alert check (store/alerts.py) and `ctx.changed()`, so the Dashboard's banner follows. The
month shown follows the Dashboard's (ctx.month_selected); by default the one it opens on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.alert_banner import KIND_WORDS, Standing, alert_watch
from meterbook.app.context import AppContext
from meterbook.app.formatting import money, month_title
from meterbook.app.pages.base import Page
from meterbook.app.pages.budget_dialogs import BAR_ROLE, BarDelegate, BudgetDialog, ForecastDialog
from meterbook.app.pages.dashboard import first_day
from meterbook.app.tables import configure_table
from meterbook.app.tasks import Latest
from meterbook.core.forecast import ForecastSettings
from meterbook.core.money import EXACT
from meterbook.core.periods import zone
from meterbook.store.alerts import THRESHOLD, check_alerts_safely
from meterbook.store.budget_status import BudgetStatus, budget_status
from meterbook.store.budgets import (
    forecast_settings,
    remove_budget,
    save_budget,
    save_forecast_settings,
)  # fmt: skip
from meterbook.store.overview import month_status

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
COLUMNS = ("Budget", "Period", "Scope", "Amount", "Spent", "Percent", "Forecast",
           "Forecast %")
ALERT_COLUMNS = ("When", "Kind", "Alert", "Seen")


@dataclass(frozen=True)
class BudgetsView:
    status: BudgetStatus
    settings: ForecastSettings


def period_label(period: str, first: date) -> str:
    """Short, for a narrow column: "Dec 2026", "Q4 2026", "2026" (the tooltip has the days)."""
    if period == "month":
        return f"{first:%b %Y}"
    if period == "quarter":
        return f"Q{(first.month - 1) // 3 + 1} {first.year}"
    return str(first.year)


def _when(alert):
    """A threshold's moment is the record that reached it; another alert's, its check."""
    return alert.crossed_at if alert.kind == THRESHOLD else alert.raised_at


class BudgetsPage(Page):
    key, title = "budgets", "Budgets"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 now: datetime | None = None):
        super().__init__(ctx, parent)
        self.now = now  # None: the clock's; tests fix it
        self.month: date | None = None  # the first day of the month shown; None: today's
        self.view: BudgetsView | None = None
        self.standing: Standing | None = None
        self.dialog = None  # the form open, if any (tests fill it)
        self._reads = Latest(ctx.tasks, self, "read the budgets")
        self._build()
        ctx.month_selected.connect(self.select_month)
        self.watch = alert_watch(ctx)
        self.watch.changed.connect(self._show_alerts)
        if self.watch.standing is not None:
            self._show_alerts(self.watch.standing)

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        # The heading on a line of its own: the buttons beside it would hold the window wide.
        layout.addWidget(QLabel("<h2>Budgets</h2>"))
        self.subtitle = QLabel(" ")
        self.subtitle.setWordWrap(True)
        self.subtitle.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.subtitle)
        top = QHBoxLayout()
        self.add_button = self._button("&Add budget…", self.add_budget, top)
        self.edit_button = self._button("&Edit…", self.edit_budget, top)
        self.remove_button = self._button("&Remove…", self.remove_budget, top)
        self.forecast_button = self._button("&Forecast settings…", self.edit_forecast, top)
        top.addStretch(1)
        layout.addLayout(top)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        configure_table(self.table)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setTabKeyNavigation(False)  # one Tab stop, as every table of the app
        self.bars = BarDelegate(self.table)
        for column in (5, 7):
            self.table.setItemDelegateForColumn(column, self.bars)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column in (5, 7):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(column, 120)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit_budget())
        layout.addWidget(self.table, 1)
        self.empty = QLabel("No budgets yet: Add budget… sets an amount for a month, quarter "
                            "or year, over everything or one vendor, model or project.")
        self.empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.empty.hide()
        layout.addWidget(self.empty)
        self.forecast_note = QLabel(" ")
        self.forecast_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.forecast_note)

        alerts_top = QHBoxLayout()
        alerts_top.addWidget(QLabel("<h3>Alerts</h3>"))
        alerts_top.addStretch(1)
        self.show_seen = QCheckBox("Show acknowledged")
        self.show_seen.setToolTip("Alerts you acknowledged stand until spend falls back under "
                                  "them; they are listed here when this is ticked")
        self.show_seen.toggled.connect(self._list_again)
        alerts_top.addWidget(self.show_seen)
        self.acknowledge_button = self._button("A&cknowledge", self.acknowledge, alerts_top)
        self.acknowledge_all_button = self._button(
            "Acknowledge a&ll", lambda: self.watch.acknowledge("all"), alerts_top)
        layout.addLayout(alerts_top)
        self.alerts = QTableWidget(0, len(ALERT_COLUMNS))
        self.alerts.setHorizontalHeaderLabels(ALERT_COLUMNS)
        configure_table(self.alerts)
        self.alerts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.alerts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.alerts.verticalHeader().hide()
        self.alerts.setTabKeyNavigation(False)
        alerts_header = self.alerts.horizontalHeader()
        alerts_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        alerts_header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.alerts.itemSelectionChanged.connect(self._alert_selection_changed)
        layout.addWidget(self.alerts, 1)
        self._selection_changed()
        self._alert_selection_changed()

    def _button(self, text: str, slot, row: QHBoxLayout) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    # -- reading -----------------------------------------------------------------------------

    def select_month(self, day: date) -> None:
        self.month = date(day.year, day.month, 1)
        self._mark_stale()

    def refresh(self) -> None:
        ctx, now, month = self.ctx, self.now, self.month

        def job() -> BudgetsView:
            tz_name = ctx.report_timezone()
            today = (now or datetime.now(UTC)).astimezone(zone(tz_name)).date()
            # No month picked yet: the one the Dashboard opens on (this one, or the latest
            # with usage when this one has none).
            shown = month or first_day(month_status(ctx.db, tz_name, now).choice.month)
            with ctx.db.engine.connect() as conn:
                status = budget_status(conn, shown.year, shown.month, today, tz_name)
                return BudgetsView(status, forecast_settings(conn))

        self._reads.read(job, self.show_budgets, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self._say(f"The budgets could not be read: {exc}")

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def show_budgets(self, view: BudgetsView) -> None:
        self.view = view
        status, home = view.status, view.status.currency
        selected = self.selected_name()
        self.subtitle.setText(f"Periods holding {month_title(status.month)}, as of "
                              f"{status.today:%Y-%m-%d}; amounts in {home}")
        self.table.setRowCount(len(status.budgets))
        for row, f in enumerate(status.budgets):
            b = f.budget
            amber_from = min(b.thresholds)
            cells = [b.name, period_label(b.period, f.first), b.scope, money(b.amount, home),
                     money(f.spent, home), f"{f.percent} %", self._forecast_text(f, home), ""]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 1:
                    item.setToolTip(f"{f.first} – {f.last}")
                if column in (3, 4, 6):
                    item.setTextAlignment(_RIGHT)
                self.table.setItem(row, column, item)
            self.table.item(row, 5).setData(BAR_ROLE, (f.percent, amber_from, None, None))
            fc = f.forecast
            if fc.value is not None:
                share = self._share(fc.value, b.amount)
                self.table.item(row, 7).setText(f"{share:.0f} %")
                self.table.item(row, 7).setData(BAR_ROLE, (
                    share, amber_from, self._share(fc.low, b.amount),
                    self._share(fc.high, b.amount)))
                self.table.item(row, 7).setToolTip(
                    f"The forecast is {share:.0f} % of the amount; the line under the bar is "
                    "its band")
            if f.crossings:
                self.table.item(row, 5).setToolTip("Crossed: " + ", ".join(
                    f"{c.threshold} % at {c.crossed_at:%Y-%m-%d %H:%M} UTC"
                    for c in f.crossings))
            if selected == b.name:
                self.table.selectRow(row)
        self.empty.setVisible(not status.budgets)
        s = view.settings
        seasons = ", ".join(f"{m}={f}" for m, f in sorted(s.seasonal.items())) or "none"
        self.forecast_note.setText(
            f"Forecasts: the mean daily spend of the last {s.window_days} days, growth "
            f"{s.growth_per_month * 100:f} % a month, seasonal factors {seasons}.")
        self._selection_changed()

    @staticmethod
    def _share(value: Decimal, amount: Decimal) -> Decimal:
        return EXACT.divide(value * 100, amount)

    @staticmethod
    def _forecast_text(f, home: str) -> str:
        fc = f.forecast
        if fc.value is None:
            return fc.reason or ""
        if fc.low == fc.high:
            return money(fc.value, home)
        return f"{money(fc.value, home)} ({money(fc.low, home)}–{money(fc.high, home)})"

    def _list_again(self) -> None:
        if self.standing is not None:
            self._show_alerts(self.standing)

    def _show_alerts(self, standing: Standing) -> None:
        self.standing = standing
        chosen = self._selected_alert()  # kept chosen across a re-read
        # Waiting ones first, each group newest first; acknowledged ones only when asked.
        listed = standing.alerts if self.show_seen.isChecked() else standing.waiting
        self.alerts.setColumnHidden(3, not self.show_seen.isChecked())  # "Seen": when asked
        shown = sorted(listed, key=lambda a: (a.acknowledged, -_when(a).timestamp()))
        self.alerts.setRowCount(len(shown))
        for row, alert in enumerate(shown):
            when = _when(alert)
            cells = [f"{when.astimezone(standing.tz):%Y-%m-%d %H:%M}", KIND_WORDS[alert.kind],
                     standing.line(alert),
                     "" if not alert.acknowledged else
                     f"{alert.acknowledged_at.astimezone(standing.tz):%Y-%m-%d %H:%M}"]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, alert.id)
                self.alerts.setItem(row, column, item)
            if alert.id == chosen:
                self.alerts.selectRow(row)
        self.alerts.setToolTip(f"Times in {standing.tz.key}; a threshold's time is the record "
                               "that reached it, another alert's the check that raised it")
        self._alert_selection_changed()

    # -- selection ---------------------------------------------------------------------------

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).text() if rows else None

    def _selection_changed(self) -> None:
        chosen = self.selected_name() is not None
        self.edit_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def _selected_alert(self) -> int | None:
        rows = self.alerts.selectionModel().selectedRows()
        return self.alerts.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole) if rows \
            else None

    def _alert_selection_changed(self) -> None:
        waiting = self.standing.waiting if self.standing else []
        chosen = self._selected_alert()
        self.acknowledge_button.setEnabled(any(a.id == chosen for a in waiting))
        self.acknowledge_all_button.setEnabled(bool(waiting))

    # -- writing -----------------------------------------------------------------------------

    def add_budget(self) -> None:
        self._open_budget_form(None)

    def edit_budget(self) -> None:
        name = self.selected_name()
        if name is not None and self.view is not None:
            found = [f.budget for f in self.view.status.budgets if f.budget.name == name]
            self._open_budget_form(found[0])

    def _open_budget_form(self, budget) -> None:
        names = [f.budget.name for f in self.view.status.budgets] if self.view else []
        home = self.view.status.currency if self.view else self.ctx.home_currency()
        self.dialog = dialog = BudgetDialog(self, names, home, budget)
        replace = budget is not None
        dialog.accepted.connect(lambda: self._write("save the budget", lambda db: save_budget(
            db, dialog.result_value, replace=replace)))
        dialog.open()

    def remove_budget(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Remove budget",
                          f"Remove the budget '{name}' and its alerts?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.accepted.connect(lambda: self._write("remove the budget",
                                                 lambda db: remove_budget(db, name)))
        self.dialog = box
        box.open()

    def edit_forecast(self) -> None:
        current = self.view.settings if self.view else ForecastSettings()
        self.dialog = dialog = ForecastDialog(self, current)
        dialog.accepted.connect(lambda: self._write(
            "save the forecast settings",
            lambda db: save_forecast_settings(db, dialog.result_value)))
        dialog.open()

    def acknowledge(self) -> None:
        chosen = self._selected_alert()
        if chosen is not None:
            self.watch.acknowledge(chosen)

    def _write(self, title: str, change) -> None:
        """Run a change on the writer thread, then check alerts (a new amount, threshold or
        forecast setting raises or withdraws some) and let every page read again."""
        db = self.ctx.db

        def job(_progress, _cancelled) -> None:
            change(db)
            check_alerts_safely(db, self.now)

        def failed(exc: BaseException) -> None:
            self._say(f"Could not {title}: {exc}")

        self._say("")
        self.ctx.tasks.write(title, job, on_done=lambda _r: self.ctx.changed(),
                             on_error=failed)
