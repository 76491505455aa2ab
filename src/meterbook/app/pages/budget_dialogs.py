"""The Budgets page's forms (a budget, the forecast settings) and its table bars.

The forms check what is typed with core/budgets.py and core/forecast.py, the same functions the
`meterbook budget` command uses, so a refusal reads the same in both; a refused form stays open
with the message under its fields and nothing is saved.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.formatting import warning_color
from meterbook.core.budgets import (
    DEFAULT_THRESHOLDS,
    PERIODS,
    Budget,
    BudgetError,
    parse_amount,
    parse_thresholds,
    refuse_duplicate,
)  # fmt: skip
from meterbook.core.forecast import ForecastSettings
from meterbook.core.money import parse_decimal
from meterbook.store.budgets import parse_seasonal

SCOPES = ("everything", "vendor", "model", "project")
BAR_ROLE = Qt.ItemDataRole.UserRole + 1  # (percent, amber_from, low, high) of a bar cell
RED = QColor("#dc2626")


def bar_color(percent: Decimal, amber_from: int, palette: QPalette) -> QColor:
    """Red past 100 % of the amount, amber past the budget's first threshold, else the
    palette's highlight."""
    if percent > 100:
        return RED
    if percent >= amber_from:
        return warning_color(palette)
    return palette.color(QPalette.ColorRole.Highlight)


class BarDelegate(QStyledItemDelegate):
    """A cell's text over a bar as long as its percent of the cell (100 % fills it); an
    optional band (low-high percent) drawn as a thin line under it."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        bar = index.data(BAR_ROLE)
        if bar is None:
            super().paint(painter, option, index)
            return
        percent, amber_from, low, high = bar
        rect = option.rect.adjusted(4, 5, -4, -5)
        painter.save()
        painter.fillRect(rect, option.palette.color(QPalette.ColorRole.AlternateBase))
        color = bar_color(percent, amber_from, option.palette)
        color.setAlpha(150)
        width = int(rect.width() * min(percent, Decimal(100)) / 100)
        painter.fillRect(QRect(rect.left(), rect.top(), width, rect.height()), color)
        if low is not None and high is not None and high > low and low < 100:
            left = rect.left() + int(rect.width() * min(low, Decimal(100)) / 100)
            right = rect.left() + int(rect.width() * min(high, Decimal(100)) / 100)
            painter.fillRect(QRect(left, rect.bottom() - 2, max(right - left, 1), 3),
                             option.palette.color(QPalette.ColorRole.Text))
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(rect.adjusted(4, 0, -4, 0),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                         str(index.data(Qt.ItemDataRole.DisplayRole) or ""))
        painter.restore()


class _Form(QDialog):
    """A dialog with fields, a message line for refusals, and OK / Cancel; `accept` runs
    `check`, which returns the result or raises a ValueError whose text is shown."""

    def __init__(self, title: str, parent: QWidget | None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.result_value = None
        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {RED.name()};")
        self.message.hide()
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def check(self):
        raise NotImplementedError

    def accept(self) -> None:
        try:
            self.result_value = self.check()
        except ValueError as exc:  # BudgetError is one: the CLI's own words
            self.message.setText(f"{exc}".replace("; nothing was changed", "") +
                                 "; nothing was saved.")
            self.message.show()
            return
        super().accept()


class BudgetDialog(_Form):
    """Add a budget, or edit one (its name then stays: the name is how alerts find it)."""

    def __init__(self, parent: QWidget | None, existing: list[str], home: str,
                 budget: Budget | None = None):
        super().__init__("Edit budget" if budget else "Add budget", parent)
        self.existing, self.editing = existing, budget is not None
        self.name = QLineEdit(budget.name if budget else "")
        self.name.setReadOnly(self.editing)
        self.amount = QLineEdit(f"{budget.amount:f}" if budget else "")
        self.amount.setPlaceholderText(f"e.g. 400 ({home})")
        self.period = QComboBox()
        self.period.addItems(PERIODS)
        self.scope = QComboBox()
        self.scope.addItems(SCOPES)
        self.scope_value = QLineEdit()
        self.scope_value.setPlaceholderText("its name, e.g. openai")
        scope_row = QHBoxLayout()
        scope_row.addWidget(self.scope)
        scope_row.addWidget(self.scope_value, 1)
        self.thresholds = QLineEdit(",".join(map(str, budget.thresholds if budget
                                                 else DEFAULT_THRESHOLDS)))
        self.forecast_alert = QCheckBox("Alert when the forecast goes over the amount")
        self.forecast_alert.setChecked(budget.forecast_alert if budget else True)
        if budget:
            self.period.setCurrentText(budget.period)
            for what in ("vendor", "model", "project"):
                if getattr(budget, what):
                    self.scope.setCurrentText(what)
                    self.scope_value.setText(getattr(budget, what))
        self.scope.currentTextChanged.connect(self._scope_changed)
        self._scope_changed(self.scope.currentText())
        self.form.addRow("&Name:", self.name)
        self.form.addRow(f"&Amount ({home}):", self.amount)
        self.form.addRow("&Period:", self.period)
        self.form.addRow("&Scope:", scope_row)
        self.form.addRow("Alerts at (%):", self.thresholds)
        self.form.addRow("", self.forecast_alert)

    def _scope_changed(self, scope: str) -> None:
        self.scope_value.setEnabled(scope != "everything")

    def check(self) -> Budget:
        name = self.name.text().strip()
        if not self.editing:
            refuse_duplicate(name, self.existing)
        scope, value = self.scope.currentText(), self.scope_value.text().strip()
        if scope != "everything" and not value:
            raise BudgetError(f"budget {name!r}: name the {scope} it covers")
        narrowed = {scope: value} if scope != "everything" else {}
        return Budget(name=name, amount=parse_amount(self.amount.text()),
                      period=self.period.currentText(),
                      thresholds=parse_thresholds(self.thresholds.text()),
                      forecast_alert=self.forecast_alert.isChecked(), **narrowed)


class ForecastDialog(_Form):
    """The forecast settings: the run rate's window, growth per month, seasonal factors."""

    def __init__(self, parent: QWidget | None, settings: ForecastSettings):
        super().__init__("Forecast settings", parent)
        self.window = QSpinBox()
        self.window.setRange(1, 366)
        self.window.setValue(settings.window_days)
        self.window.setSuffix(" days")
        self.growth = QLineEdit(f"{settings.growth_per_month * 100:f}")
        self.seasonal = QLineEdit(", ".join(f"{m}={f}" for m, f in
                                            sorted(settings.seasonal.items())))
        self.seasonal.setPlaceholderText("e.g. 12=1.5, 1=0.8")
        self.form.addRow("Run rate over the last:", self.window)
        self.form.addRow("Growth per month (%):", self.growth)
        self.form.addRow("Seasonal factors (month=factor):", self.seasonal)

    def check(self) -> ForecastSettings:
        growth_text = self.growth.text().strip().rstrip("%") or "0"
        try:
            growth = parse_decimal(growth_text) / 100
        except ValueError:
            raise ValueError(f"growth {growth_text!r} is not a number") from None
        items = [i.strip() for i in self.seasonal.text().replace(";", ",").split(",")
                 if i.strip()]
        return ForecastSettings(window_days=self.window.value(), growth_per_month=growth,
                                seasonal=parse_seasonal(items))
