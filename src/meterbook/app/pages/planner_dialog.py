"""The budget planner in the app: a year of projected cost under a saved plan, as a table and a
chart, and a budget made of it (issue 8, item 5).

The figures are core/planner.plan_budget's, the engine pricing synthetic usage, exactly what
`meterbook plan-budget` prints; the form takes what its options take. "Create budget" saves a
monthly budget for the plan's vendor of the PEAK month's cost rounded up to the cent, so that
no planned month goes over it (the dialog says so); the saving goes through the one writer and
store/budgets.py, refused with the CLI's messages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.charts.palette import OKABE_ITO
from meterbook.app.charts.scenario_lines import Scenario, ScenarioLines
from meterbook.app.context import AppContext
from meterbook.app.formatting import warning_color
from meterbook.app.models.conversations_model import summary_money
from meterbook.app.tables import configure_table
from meterbook.core.budgets import Budget, BudgetError
from meterbook.core.money import parse_decimal
from meterbook.core.plan_form import SampleRequest
from meterbook.core.planner import BudgetPlan, Forecast, plan_budget
from meterbook.core.plans import Plan
from meterbook.store import readers
from meterbook.store.alerts import check_alerts_safely
from meterbook.store.budgets import parse_seasonal, save_budget

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENT = Decimal("0.01")
# (field, label): a typical request's size, as `plan-budget`'s --*-tokens and --units.
SIZE_FIELDS = (("input_tokens", "Input tokens"), ("cached_input_tokens", "Cached input tokens"),
               ("cache_write_tokens", "Cache write tokens"), ("output_tokens", "Output tokens"),
               ("units", "Units"))
COLUMNS = ("Month", "Requests", "Usage", "Fixed", "Cost")


def open_planner(ctx: AppContext, parent: QWidget | None = None,
                 now: datetime | None = None) -> PlannerDialog:
    """Open the planner (not modal: the owner may look at the Plans page meanwhile)."""
    dialog = PlannerDialog(ctx, parent, now)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


class PlannerDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 now: datetime | None = None):
        super().__init__(parent)
        self.ctx, self.now = ctx, now  # None: the clock's; tests fix it
        self.setWindowTitle("Plan a budget")
        self.resize(980, 720)
        with ctx.db.engine.connect() as conn:
            self.versions: list[Plan] = [p for _id, p in readers.load_plans(conn)]
            self.home = readers.home_currency(conn)
        self.result: BudgetPlan | None = None
        self._build()
        self.recompute()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        intro = QLabel("Expected requests a month and their typical size, grown each month and "
                       "shaped by seasonal factors, priced by the plan exactly as imported "
                       "usage is (tiers, volume tiers, fees and minimums included).")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QGridLayout()
        left, right = QFormLayout(), QFormLayout()
        self.plan = QComboBox()
        self.plan.setAccessibleName("Plan")
        for name in sorted({v.name for v in self.versions}):
            self.plan.addItem(name, name)
        self.first_month = QLineEdit(f"{(self.now or datetime.now(UTC)):%Y-%m}")
        self.requests = QLineEdit("1000")
        self.growth = QLineEdit("0")
        self.growth.setToolTip("Percent a month, compounded: 5 is 5 % more each month")
        self.seasons = QLineEdit()
        self.seasons.setPlaceholderText("e.g. 11=1.3, 12=1.5")
        self.seasons.setToolTip("MONTH=FACTOR for the calendar months that differ (1-12)")
        left.addRow("&Plan:", self.plan)
        left.addRow("&First month (YYYY-MM):", self.first_month)
        left.addRow("&Requests a month:", self.requests)
        left.addRow("&Growth, % a month:", self.growth)
        left.addRow("&Seasonal factors:", self.seasons)
        self.size: dict[str, QLineEdit] = {}
        for name, label in SIZE_FIELDS:
            edit = self.size[name] = QLineEdit("0")
            edit.setAccessibleName(label)
            right.addRow(f"{label} (a request):", edit)
        form.addLayout(left, 0, 0)
        form.addLayout(right, 0, 1)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {warning_color(self.palette()).name()};")
        layout.addWidget(self.error)
        body = QHBoxLayout()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        configure_table(self.table)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.chart = ScenarioLines("Projected cost per month")
        body.addWidget(self.table, 2)
        body.addWidget(self.chart, 3)
        layout.addLayout(body, 1)
        layout.addLayout(self._build_budget_row())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for edit in (self.first_month, self.requests, self.growth, self.seasons,
                     *self.size.values()):
            edit.textChanged.connect(self.recompute)
        self.plan.currentIndexChanged.connect(self.recompute)

    def _build_budget_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.budget_note = QLabel()
        self.budget_note.setWordWrap(True)
        self.budget_name = QLineEdit()
        self.budget_name.setAccessibleName("Budget name")
        self.budget_name.setPlaceholderText("Budget name")
        self.budget_name.setMinimumWidth(200)
        self.create = QPushButton("Create &budget")
        self.create.clicked.connect(self.create_budget)
        self.saved = QLabel()
        row.addWidget(self.budget_note, 1)
        row.addWidget(self.budget_name)
        row.addWidget(self.create)
        row.addWidget(self.saved)
        return row

    # -- the projection ----------------------------------------------------------------------

    def forecast(self) -> Forecast:
        """The form as the planner's input; ValueError naming the field that is wrong."""
        size = {name: _whole(edit.text(), label) if name != "units"
                else _number(edit.text(), label)
                for (name, label), edit in zip(SIZE_FIELDS, self.size.values(), strict=True)}
        seasons = [s.strip() for s in self.seasons.text().split(",") if s.strip()]
        return Forecast(self.first_month.text().strip(),
                        _whole(self.requests.text(), "Requests a month"), SampleRequest(**size),
                        growth=_number(self.growth.text(), "Growth") / 100,
                        seasonal=parse_seasonal(seasons))

    def recompute(self) -> None:
        name = self.plan.currentData()
        self.result = None
        try:
            if name is None:
                raise ValueError("no plan is saved yet: save one on the Plans page first")
            self.result = plan_budget([v for v in self.versions if v.name == name],
                                      self.forecast())
        except ValueError as exc:
            self.error.setText(str(exc))
        else:
            self.error.setText("")
        self._show(self.result)

    def _show(self, result: BudgetPlan | None) -> None:
        months = list(result.months) if result else []
        self.table.setRowCount(len(months) + (1 if months else 0))
        cur = result.currency if result else self.home
        for row, m in enumerate(months):
            self._row(row, [m.month, f"{m.requests:,}", *(summary_money(v, cur) for v in
                                                         (m.usage_cost, m.fixed_cost, m.total))])
        if result:
            self._row(len(months), ["Total", f"{sum(m.requests for m in months):,}",
                                    summary_money(sum((m.usage_cost for m in months),
                                                      Decimal(0)), cur),
                                    summary_money(sum((m.fixed_cost for m in months),
                                                      Decimal(0)), cur),
                                    summary_money(result.total, cur)])
        starts = [date(int(m.month[:4]), int(m.month[5:]), 1) for m in months]
        scenario = Scenario(result.plan if result else "", tuple(m.total for m in months), True)
        self.chart.set_scenarios(starts, [scenario] if result else [],
                                 {scenario.name: OKABE_ITO[0]}, cur)
        self._show_budget_offer(result)

    def _row(self, row: int, cells: list[str]) -> None:
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column:
                item.setTextAlignment(_RIGHT)
            self.table.setItem(row, column, item)

    def table_rows(self) -> list[list[str]]:
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]

    # -- the budget --------------------------------------------------------------------------

    def budget_amount(self) -> Decimal | None:
        """The peak month's cost, rounded up to the cent (None: nothing to plan from)."""
        if self.result is None or not self.result.months:
            return None
        return max(m.total for m in self.result.months).quantize(_CENT, rounding=ROUND_CEILING)

    def _vendor(self) -> str:
        name = self.plan.currentData()
        return next(v.vendor for v in self.versions if v.name == name)

    def _show_budget_offer(self, result: BudgetPlan | None) -> None:
        amount = self.budget_amount()
        if result is not None and result.currency != self.home:
            # A budget is in the home currency; a plan's money is not converted at a guess.
            self.budget_note.setText(f"The plan is priced in {result.currency} and budgets are "
                                     f"in {self.home}: no budget can be made of it here.")
            amount = None
        elif amount is not None:
            self.budget_note.setText(
                f"A monthly budget for {self._vendor()} of the peak month's cost, "
                f"{summary_money(amount, self.home)} (rounded up to the cent), alerts at "
                "50, 80 and 100 %.")
            if not self.budget_name.text():
                self.budget_name.setText(f"Plan {result.plan}")
        else:
            self.budget_note.setText("")
        self.create.setEnabled(amount is not None)

    def create_budget(self) -> None:
        amount = self.budget_amount()
        if amount is None:
            return
        try:
            budget = Budget(name=self.budget_name.text().strip(), amount=amount,
                            period="month", vendor=self._vendor())
        except BudgetError as exc:
            self._refused(exc)
            return
        db, now = self.ctx.db, self.now

        def job(_progress, _cancelled) -> None:
            save_budget(db, budget)
            check_alerts_safely(db, now)

        def done(_result) -> None:
            self.saved.setText(f"Budget {budget.name!r} saved.")
            self.ctx.changed()

        self.saved.setText("")
        self.ctx.tasks.write("Saving the budget", job, done, self._refused)

    def _refused(self, exc: BaseException) -> None:
        # The CLI's words (`meterbook budget set`): what is wrong, and that nothing changed.
        said = "nothing was changed" in str(exc)
        self.error.setText(f"{exc}{'' if said else '; nothing was changed'}")


def _whole(text: str, label: str) -> int:
    text = text.strip().replace(",", "")
    if not text.isdigit():
        raise ValueError(f"{label}: {text!r} is not a whole number of 0 or more")
    return int(text)


def _number(text: str, label: str) -> Decimal:
    try:
        return parse_decimal(text.strip() or "0")
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from None
