"""How cost spreads over requests or conversations: "are a few big requests driving the bill?".

Bars of counts over a log-scaled cost axis (costs span several decades: a linear axis would put
almost everything in the first bar), the median and the 90th percentile as labelled vertical
lines. For Compare, an optional flat price: a vertical line, the area above it tinted (those
requests cost more than the flat price would charge them).
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from meterbook.app.charts.axes import MoneyAxis, readout_money
from meterbook.app.charts.base import Chart
from meterbook.app.charts.palette import OKABE_ITO
from meterbook.app.formatting import plural, warning_color
from meterbook.store.spend_series import Distribution, histogram_bins

BARS = OKABE_ITO[4]
MARKS = OKABE_ITO[0]


class CostHistogram(Chart):
    def __init__(self, title: str = "", parent: QWidget | None = None):
        self.money_axis = MoneyAxis(orientation="bottom", log=True)
        super().__init__(title, "", "", bottom=self.money_axis, parent=parent)
        self.distribution: Distribution | None = None
        self.edges: list[Decimal] = []
        self.counts: list[int] = []
        self.bars = pg.BarGraphItem(x0=[], x1=[], height=[], brush=pg.mkBrush(BARS),
                                    pen=pg.mkPen(None), name="count")
        self.plot.addItem(self.bars)
        label = {"position": 0.92, "color": MARKS, "movable": False}
        self.median_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(MARKS, width=2),
                                           label="", labelOpts=label)
        self.p90_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(MARKS, width=2,
                                                               style=Qt.PenStyle.DashLine),
                                        label="", labelOpts={**label, "position": 0.78})
        self.flat_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(OKABE_ITO[5], width=2),
                                         label="", labelOpts={**label, "position": 0.64,
                                                              "color": OKABE_ITO[5]})
        tint = pg.mkColor(OKABE_ITO[5])
        tint.setAlpha(40)
        self.above_flat = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(tint),
                                              pen=pg.mkPen(None))
        for item in (self.above_flat, self.median_line, self.p90_line, self.flat_line):
            item.setVisible(False)
            self.plot.addItem(item)
        self.flat_price: Decimal | None = None

    def set_distribution(self, d: Distribution, title: str | None = None,
                         flat_price: Decimal | None = None) -> None:
        self.distribution, self.flat_price = d, flat_price
        if title is not None:
            self.set_title(title)
        self.money_axis.currency = d.currency
        noun = "requests" if d.kind == "request" else "conversations"
        self.x_label = f"Cost per {d.kind} ({d.currency}, log scale)"
        self.y_label = noun.capitalize()
        self.apply_palette()
        self.edges, self.counts = histogram_bins(d.values)
        logs = np.array([math.log10(e) for e in self.edges]) if self.edges else np.zeros(0)
        self.bars.setOpts(x0=logs[:-1], x1=logs[1:], height=np.array(self.counts, dtype=float))
        for line, value, word in ((self.median_line, d.median, "median"),
                                  (self.p90_line, d.p90, "90th percentile")):
            shown = value is not None and value > 0
            line.setVisible(shown)
            if shown:
                line.setValue(math.log10(value))
                line.label.setFormat(f"{word} {readout_money(value, d.currency)}")
        self._show_flat(logs)
        legend = [(self.bars, f"{noun} ({len(d.values):,})")]
        if d.unpriced:
            legend.append((self._unpriced_sample(), f"{d.unpriced:,} with unpriced usage, "
                                                    "not shown"))
        self.set_legend(legend)
        if len(logs):
            self.plot.setXRange(logs[0], logs[-1], padding=0.02)
            self.plot.setYRange(0, max(self.counts) * 1.15, padding=0)

    def _unpriced_sample(self) -> pg.ScatterPlotItem:
        if not hasattr(self, "_amber"):
            self._amber = pg.ScatterPlotItem(symbol="t", size=10, pen=None)
        self._amber.setBrush(pg.mkBrush(warning_color(self.palette())))
        return self._amber

    def _show_flat(self, logs) -> None:
        price = self.flat_price
        shown = price is not None and price > 0 and len(logs) > 0
        self.flat_line.setVisible(shown)
        self.above_flat.setVisible(shown)
        if shown:
            x = math.log10(price)
            self.flat_line.setValue(x)
            currency = self.distribution.currency
            self.flat_line.label.setFormat(f"flat price {readout_money(price, currency)}")
            self.above_flat.setRegion((x, max(float(logs[-1]), x)))

    def describe(self, x: float, y: float) -> str:
        d = self.distribution
        if d is None or not self.edges:
            return ""
        for i, count in enumerate(self.counts):
            lo, hi = self.edges[i], self.edges[i + 1]
            if math.log10(lo) <= x < math.log10(hi):
                text = (f"{readout_money(lo, d.currency)} to {readout_money(hi, d.currency)}: "
                        f"{plural(count, d.kind)}")
                if d.unpriced:
                    text += f" · {plural(d.unpriced, d.kind)} with unpriced usage not shown"
                return text
        return ""
