"""Spend so far in a period against its budget: "will this month stay inside the budget?".

A line of the running total (a point per day: what was spent by its end), one labelled
horizontal line per budget threshold, and the forecast as a dashed line to the period's end
inside a shaded band. The budgets and the forecast come from their own modules; this chart
only draws them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from meterbook.app.charts.axes import (
    SECONDS_PER_DAY,
    BucketAxis,
    MoneyAxis,
    bucket_label,
    date_x,
    readout_money,
    x_date,
)
from meterbook.app.charts.base import Chart
from meterbook.app.charts.palette import OKABE_ITO
from meterbook.app.formatting import plural, warning_color
from meterbook.store.spend_series import SpendSeries

LINE = OKABE_ITO[0]
BUDGET = "#D55E00"


def running_totals(series: SpendSeries) -> tuple[list[date], list[Decimal]]:
    """(day, spend up to the end of that day) for each day of a daily series up to the last
    that holds usage: the days after it (the rest of a running month) have no spend yet, not
    a spend of $0."""
    totals = series.totals()
    used = [i for i in range(len(totals))
            if totals[i] or any(series.requests[n][i] for n in series.names)]
    end = used[-1] + 1 if used else 0
    days, sums, total = [], [], Decimal(0)
    for day, amount in zip(series.starts[:end], totals[:end], strict=True):
        total += amount
        days.append(day)
        sums.append(total)
    return days, sums


class CumulativeSpend(Chart):
    def __init__(self, title: str = "", parent: QWidget | None = None):
        self.axis = BucketAxis()
        self.money_axis = MoneyAxis()
        super().__init__(title, "", "", bottom=self.axis, left=self.money_axis, parent=parent)
        self.currency = "USD"
        self.days: list[date] = []
        self.sums: list[Decimal] = []
        self.unpriced: list[int] = []
        self.line = pg.PlotDataItem(pen=pg.mkPen(LINE, width=2.5), symbol="o", symbolSize=5,
                                    symbolBrush=LINE, symbolPen=None, name="spent")
        self.plot.addItem(self.line)
        self.forecast_line = pg.PlotDataItem(pen=pg.mkPen(LINE, width=2,
                                                          style=Qt.PenStyle.DashLine))
        self.low_line = pg.PlotDataItem(pen=pg.mkPen(None))
        self.high_line = pg.PlotDataItem(pen=pg.mkPen(None))
        band = pg.mkColor(LINE)
        band.setAlpha(45)
        self.band = pg.FillBetweenItem(self.low_line, self.high_line, brush=pg.mkBrush(band))
        for item in (self.low_line, self.high_line, self.band, self.forecast_line):
            self.plot.addItem(item)
        self.unpriced_marker = pg.ScatterPlotItem(symbol="t", size=10, pen=None)
        self.plot.addItem(self.unpriced_marker)
        self.budget_lines: list[pg.InfiniteLine] = []  # kept and reused, extras hidden
        self.budgets: list[tuple[str, Decimal]] = []
        self.forecast: list[tuple[date, Decimal]] = []
        self.forecast_low: list[Decimal] = []
        self.forecast_high: list[Decimal] = []
        self.period_after: date | None = None
        # Said on the plot itself (e.g. why there is no forecast), in its bottom right corner:
        # the days still to come, where a running month has no line yet, and far from the
        # budgets' labels on the left.
        self.note = pg.TextItem("", anchor=(1, 1))
        self.note.setTextWidth(190)
        self.note.setVisible(False)
        self.plot.addItem(self.note, ignoreBounds=True)

    def set_spend(self, days: list[date], sums: list[Decimal], currency: str,
                  period_after: date | None = None, unpriced: list[int] | None = None,
                  title: str | None = None) -> None:
        """The running total at the end of each day; `period_after` (the day after the
        period's last) stretches the axis to the period's end."""
        self.days, self.sums, self.currency = list(days), list(sums), currency
        self.unpriced = list(unpriced or [0] * len(days))
        self.period_after = period_after
        if title is not None:
            self.set_title(title)
        self.money_axis.currency = currency
        self.y_label = f"Spent so far ({currency})"
        self.apply_palette()
        xs = [_day_x(d) for d in days]
        self.line.setData(xs, [float(s) for s in sums])
        where = [i for i, n in enumerate(self.unpriced) if n]
        self.unpriced_marker.setData(x=[xs[i] for i in where],
                                     y=[float(sums[i]) for i in where],
                                     brush=pg.mkBrush(warning_color(self.palette())))
        self._update_view()

    def set_spend_series(self, series: SpendSeries, title: str | None = None) -> None:
        days, sums = running_totals(series)
        self.set_spend(days, sums, series.currency, series.after,
                       series.unpriced_per_bucket()[:len(days)], title)

    def set_budget_lines(self, lines: list[tuple[str, Decimal]]) -> None:
        """One horizontal line per (label, amount), e.g. ("Everything 80 %", Decimal(800))."""
        self.budgets = list(lines)
        while len(self.budget_lines) < len(lines):
            line = pg.InfiniteLine(angle=0, movable=False,
                                   pen=pg.mkPen(BUDGET, width=1.5, style=Qt.PenStyle.DotLine),
                                   label="", labelOpts={"position": 0.02, "anchors":
                                                        [(0, 1), (0, 1)],
                                                        "color": BUDGET})
            self.plot.addItem(line)
            self.budget_lines.append(line)
        for line, (label, amount) in zip(self.budget_lines, lines, strict=False):
            line.setValue(float(amount))
            line.label.setFormat(f"{label}: {readout_money(amount, self.currency)}")
            line.setVisible(True)
        for line in self.budget_lines[len(lines):]:
            line.setVisible(False)
        self._update_view()

    def set_forecast(self, points: list[tuple[date, Decimal]], low: list[Decimal],
                     high: list[Decimal]) -> None:
        """The forecast's running total at the end of each day (dashed), with its band."""
        self.forecast, self.forecast_low, self.forecast_high = list(points), list(low), list(high)
        xs = [_day_x(d) for d, _v in points]
        self.forecast_line.setData(xs, [float(v) for _d, v in points])
        self.low_line.setData(xs, [float(v) for v in low])
        self.high_line.setData(xs, [float(v) for v in high])
        self._update_view()

    def set_note(self, text: str) -> None:
        """A line of text on the plot ("" hides it)."""
        self.note.setText(text)
        self.note.setColor(warning_color(self.palette()))
        self.note.setVisible(bool(text))
        self._update_view()

    def note_text(self) -> str:
        return self.note.textItem.toPlainText() if self.note.isVisible() else ""

    def _update_view(self) -> None:
        tops = [float(v) for v in self.sums] + [float(a) for _l, a in self.budgets] + \
            [float(v) for v in self.forecast_high]
        top = max(tops, default=0.0)
        self.plot.setYRange(0, top * 1.1 if top > 0 else 1.0, padding=0)
        if self.days:
            first = self.days[0]
            after = self.period_after or (self.days[-1] + timedelta(days=1))
            if self.forecast:
                after = max(after, self.forecast[-1][0] + timedelta(days=1))
            self.plot.setXRange(date_x(first), date_x(after), padding=0.02)
            starts = [first + timedelta(days=n) for n in range((after - first).days)]
            self.axis.set_buckets(starts, "day")
            self.note.setPos(date_x(after), 0)
        entries = [(self.line, "spent so far")]
        if self.forecast:
            entries.append((self.forecast_line, "forecast"))
        self.set_legend(entries)

    def describe(self, x: float, y: float) -> str:
        if not self.days:
            return ""
        day = _day_at(x)
        if day in self.days:
            i = self.days.index(day)
            text = (f"by the end of {bucket_label(day, 'day', with_year=True)}: "
                    f"{readout_money(self.sums[i], self.currency)} spent")
            if self.unpriced[i]:
                text += f" · {plural(self.unpriced[i], 'request')} unpriced, not included"
            return text
        for d, v in self.forecast:
            if d == day:
                return (f"forecast by the end of {bucket_label(day, 'day', with_year=True)}: "
                        f"{readout_money(v, self.currency)}")
        return ""

    def hit(self, x: float, y: float):
        day = _day_at(x)
        if day in self.days:
            return day, day + timedelta(days=1), None
        return None


def _day_x(day: date) -> float:
    """A day's point stands over its middle, under the day's tick (its total at its end)."""
    return date_x(day) + SECONDS_PER_DAY / 2


def _day_at(x: float) -> date:
    return x_date(x)
