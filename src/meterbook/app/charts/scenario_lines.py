"""Monthly cost under several pricings: "which pricing would have been cheaper?". One line per
scenario; the saved plans solid, alternatives dashed (Compare and the report use it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from meterbook.app.charts.axes import (
    BucketAxis,
    MoneyAxis,
    bucket_label,
    date_x,
    readout_money,
    x_date,
)
from meterbook.app.charts.base import Chart


@dataclass(frozen=True)
class Scenario:
    name: str
    amounts: tuple[Decimal, ...]  # one per month, parallel to the chart's months
    saved: bool = False  # the plans saved today (solid); an alternative is dashed


class ScenarioLines(Chart):
    def __init__(self, title: str = "", parent: QWidget | None = None):
        self.axis = BucketAxis()
        self.money_axis = MoneyAxis()
        super().__init__(title, "", "", bottom=self.axis, left=self.money_axis, parent=parent)
        self.months: list[date] = []
        self.scenarios: list[Scenario] = []
        self.currency = "USD"
        self.lines: list[pg.PlotDataItem] = []  # kept and reused, extras hidden

    def set_scenarios(self, months: list[date], scenarios: list[Scenario],
                      colours: dict[str, str], currency: str, title: str | None = None) -> None:
        self.months, self.scenarios, self.currency = list(months), list(scenarios), currency
        if title is not None:
            self.set_title(title)
        self.money_axis.currency = currency
        self.y_label = f"Cost per month ({currency})"
        self.apply_palette()
        self.axis.set_buckets(months, "month")
        xs = [date_x(m) for m in months]
        while len(self.lines) < len(scenarios):
            line = pg.PlotDataItem()
            self.plot.addItem(line)
            self.lines.append(line)
        entries = []
        for line, s in zip(self.lines, scenarios, strict=False):
            colour = colours.get(s.name, "#999999")
            style = Qt.PenStyle.SolidLine if s.saved else Qt.PenStyle.DashLine
            line.setData(xs, [float(a) for a in s.amounts],
                         pen=pg.mkPen(colour, width=2.5 if s.saved else 2, style=style),
                         symbol="o", symbolSize=6, symbolBrush=colour, symbolPen=None)
            line.setVisible(True)
            entries.append((line, s.name + ("" if s.saved else " (alternative)")))
        for line in self.lines[len(scenarios):]:
            line.setData([], [])
            line.setVisible(False)
        self.set_legend(entries)
        top = max((float(a) for s in scenarios for a in s.amounts), default=0.0)
        self.plot.setYRange(0, top * 1.1 if top > 0 else 1.0, padding=0)
        if xs:
            self.plot.setXRange(xs[0] - 15 * 86400, xs[-1] + 15 * 86400, padding=0)

    def _month_at(self, x: float) -> int | None:
        if not self.months:
            return None
        day = x_date(x)
        nearest = min(range(len(self.months)), key=lambda i: abs((self.months[i] - day).days))
        return nearest if abs((self.months[nearest] - day).days) <= 15 else None

    def describe(self, x: float, y: float) -> str:
        i = self._month_at(x)
        if i is None:
            return ""
        parts = [f"{s.name} {readout_money(s.amounts[i], self.currency)}" for s in self.scenarios]
        return f"{bucket_label(self.months[i], 'month', with_year=True)}: " + " · ".join(parts)

    def hit(self, x: float, y: float):
        i = self._month_at(x)
        if i is None:
            return None
        m = self.months[i]
        after = date(m.year + m.month // 12, m.month % 12 + 1, 1)
        return m, after, None
