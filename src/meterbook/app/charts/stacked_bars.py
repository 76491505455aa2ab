"""Spend per bucket stacked by series: "what did we spend, and on whom, day by day?".

BarGraphItems, one per series, each with y0 at the running sum of the series below it. Unpriced
usage is never a bar of height 0: an amber triangle stands over the bucket where it falls, and
the read-out says how many requests it is.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from decimal import Decimal

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from meterbook.app.charts.axes import BucketAxis, MoneyAxis, bucket_label, date_x, readout_money
from meterbook.app.charts.base import Chart
from meterbook.app.formatting import plural, warning_color
from meterbook.store.spend_series import FEES, OTHER, SpendSeries

BAR_FILL = 0.8  # of a bucket's width: a gap between neighbours


class StackedBars(Chart):
    """Feed it with `set_series(series, colours)`; `clicked` gives the bucket and series."""

    def __init__(self, title: str = "", parent: QWidget | None = None):
        self.axis = BucketAxis()
        self.money_axis = MoneyAxis()
        super().__init__(title, "", "", bottom=self.axis, left=self.money_axis, parent=parent)
        self.series: SpendSeries | None = None
        self.colours: dict[str, str] = {}
        self.bars: list[pg.BarGraphItem] = []  # one per series slot, kept and reused
        self.unpriced_marker = pg.ScatterPlotItem(symbol="t", size=11, pen=None)
        self.unpriced_marker.setZValue(10)
        self.plot.addItem(self.unpriced_marker)
        self._tops = np.zeros(0)

    def _bar(self, index: int) -> pg.BarGraphItem:
        while len(self.bars) <= index:
            bar = pg.BarGraphItem(x=[], height=[], width=1.0)
            self.plot.addItem(bar)
            self.bars.append(bar)
        return self.bars[index]

    def set_series(self, series: SpendSeries, colours: dict[str, str],
                   title: str | None = None) -> None:
        self.series, self.colours = series, colours
        if title is not None:
            self.set_title(title)
        unit = {"day": "day", "week": "week", "month": "month"}[series.grouping]
        self.y_label = f"Spend per {unit} ({series.currency})"
        self.money_axis.currency = series.currency
        self.axis.set_buckets(series.starts, series.grouping, series.ends)
        self.apply_palette()
        lefts = np.array([date_x(d) for d in series.starts])
        rights = np.array([date_x(d) for d in series.ends])
        width = (rights - lefts) * BAR_FILL
        centres = (lefts + rights) / 2
        running = np.zeros(len(series.starts))
        entries = []
        for i, name in enumerate(series.names):
            # Floats for drawing only; every figure read out comes from the Decimals.
            heights = np.array([float(a) for a in series.amounts[name]])
            bar = self._bar(i)
            colour = colours.get(name, "#999999")
            bar.setOpts(x=centres, height=heights, y0=running.copy(), width=width,
                        brush=pg.mkBrush(colour), pen=pg.mkPen(None), name=name)
            bar.setVisible(True)
            running += heights
            entries.append((bar, _legend_name(name, series)))
        for bar in self.bars[len(series.names):]:
            bar.setOpts(x=[], height=[], y0=[], width=1.0)
            bar.setVisible(False)
        self._tops = running
        self._place_unpriced(centres, running)
        if self.unpriced_marks():
            entries.append((self.unpriced_marker, "unpriced requests (no plan)"))
        self.set_legend(entries)
        if len(lefts):
            self.plot.setXRange(lefts[0], rights[-1], padding=0.01)
        top = float(running.max()) if len(running) else 0.0
        self.plot.setYRange(0, top * 1.12 if top > 0 else 1.0, padding=0)

    def _place_unpriced(self, centres, tops) -> None:
        counts = self.series.unpriced_per_bucket() if self.series else []
        where = [i for i, n in enumerate(counts) if n]
        lift = (float(tops.max()) if len(tops) else 0.0) * 0.04 or 0.02
        amber = warning_color(self.palette())
        self.unpriced_marker.setData(
            x=[centres[i] for i in where], y=[tops[i] + lift for i in where],
            data=[counts[i] for i in where], brush=pg.mkBrush(amber))

    def unpriced_marks(self) -> list[tuple[date, int]]:
        """(bucket start, unpriced requests) of every amber marker shown."""
        if self.series is None:
            return []
        return [(self.series.starts[i], n)
                for i, n in enumerate(self.series.unpriced_per_bucket()) if n]

    # -- mouse ----------------------------------------------------------------------------------

    def _bucket_at(self, x: float) -> int | None:
        s = self.series
        if s is None or not s.starts:
            return None
        i = bisect_right([date_x(d) for d in s.starts], x) - 1
        if i < 0 or x >= date_x(s.ends[i]):
            return None
        return i

    def _series_at(self, i: int, y: float) -> str | None:
        s = self.series
        base = 0.0
        for name in s.names:
            height = float(s.amounts[name][i])
            if height and base <= y < base + height:
                return name
            base += height
        return None

    def describe(self, x: float, y: float) -> str:
        i = self._bucket_at(x)
        if i is None:
            return ""
        s = self.series
        cur = s.currency
        when = _bucket_text(s, i)
        name = self._series_at(i, y)
        total = sum((s.amounts[n][i] for n in s.names), Decimal(0))
        parts = [when]
        if name is not None:
            parts.append(f"{_legend_name(name, s)} {readout_money(s.amounts[name][i], cur)}"
                         + ("" if name == FEES else
                            f" ({plural(s.requests[name][i], 'request')})"))
        parts.append(f"total {readout_money(total, cur)}, "
                     f"{plural(sum(s.requests[n][i] for n in s.names), 'request')}")
        unpriced = s.unpriced_per_bucket()[i]
        if unpriced:
            parts.append(f"{plural(unpriced, 'request')} unpriced, not in the bars")
        return " · ".join(parts)

    def hit(self, x: float, y: float):
        i = self._bucket_at(x)
        if i is None:
            return None
        s = self.series
        name = self._series_at(i, y)
        # "other" and the fees are no one series: the click shows the whole bucket.
        series = None if name in (None, OTHER, FEES) else name
        return s.starts[i], s.ends[i], series


def _legend_name(name: str, series: SpendSeries) -> str:
    if name == OTHER:
        return f"other ({len(series.members.get(OTHER, ()))})"
    return name


def _bucket_text(s: SpendSeries, i: int) -> str:
    start, end = s.starts[i], s.ends[i]
    if s.grouping == "day":
        return f"{start:%a} {bucket_label(start, 'day', with_year=True)}"
    if s.grouping == "month":
        return bucket_label(start, "month", with_year=True)
    last = date.fromordinal(end.toordinal() - 1)
    return f"week of {bucket_label(start, 'day', with_year=True)} to {bucket_label(last, 'day')}"
