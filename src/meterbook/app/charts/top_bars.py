"""The costliest models or projects: "what costs most?". Horizontal bars, largest at the top,
the amount written at the end of each bar."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QWidget

from meterbook.app.charts.axes import MoneyAxis, readout_money
from meterbook.app.charts.base import Chart
from meterbook.app.charts.palette import chart_colours
from meterbook.app.formatting import plural, warning_color
from meterbook.store.spend_series import Ranking

BAR_HEIGHT = 0.7
MAX_NAME = 28  # characters of a name on the axis; the read-out gives it whole


class TopBars(Chart):
    def __init__(self, title: str = "", parent: QWidget | None = None):
        self.money_axis = MoneyAxis(orientation="bottom")
        super().__init__(title, "", "", bottom=self.money_axis, parent=parent)
        self.ranking: Ranking | None = None
        self.first: date | None = None
        self.after: date | None = None
        self.bars = pg.BarGraphItem(x0=[], y=[], height=BAR_HEIGHT, width=[], pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        self.amount_labels: list[pg.TextItem] = []  # kept and reused, extras hidden
        self.plot.getAxis("left").setStyle(tickLength=0)
        self.plot.showGrid(x=True, y=False, alpha=0.15)

    def set_ranking(self, ranking: Ranking, colours: dict[str, str], first: date, after: date,
                    title: str | None = None) -> None:
        self.ranking, self.first, self.after = ranking, first, after
        if title is not None:
            self.set_title(title)
        self.money_axis.currency = ranking.currency
        self.x_label = f"Spend ({ranking.currency})"
        self.apply_palette()
        self.plot.showGrid(x=True, y=False, alpha=0.15)
        n = len(ranking.names)
        ys = np.arange(n - 1, -1, -1, dtype=float)  # the largest at the top
        widths = np.array([float(a) for a in ranking.amounts])
        brushes = [pg.mkBrush(colours.get(name, "#999999")) for name in ranking.names]
        self.bars.setOpts(x0=np.zeros(n), y=ys, height=BAR_HEIGHT, width=widths,
                          brushes=brushes)
        text = chart_colours(self.palette())["text"]
        amber = warning_color(self.palette())
        while len(self.amount_labels) < n:
            label = pg.TextItem(anchor=(0, 0.5))
            self.plot.addItem(label)
            self.amount_labels.append(label)
        for i, label in enumerate(self.amount_labels):
            label.setVisible(i < n)
            if i < n:
                # Usage no plan prices is not $0: say how much of it there is, in amber.
                if not ranking.amounts[i] and ranking.unpriced[i]:
                    label.setText(f" {plural(ranking.unpriced[i], 'request')} unpriced", amber)
                else:
                    label.setText(" " + readout_money(ranking.amounts[i], ranking.currency),
                                  text)
                label.setPos(widths[i], ys[i])
        names = [(float(y), _short(name)) for y, name in zip(ys, ranking.names, strict=True)]
        left = self.plot.getAxis("left")
        left.setTicks([names, []])
        # Wide enough for the longest name: the axis does not grow for tick labels by itself.
        metrics = QFontMetrics(left.style.get("tickFont") or self.font())
        left.setWidth(max((metrics.horizontalAdvance(t) for _y, t in names), default=0) + 16)
        top = float(widths.max()) if n else 1.0
        # Room on the right for the amount written after the longest bar.
        self.plot.setXRange(0, (top or 1.0) * 1.25, padding=0)
        self.plot.setYRange(-0.6, max(n, 1) - 0.4, padding=0)
        self.set_legend([])

    def _index_at(self, y: float) -> int | None:
        r = self.ranking
        if r is None:
            return None
        i = len(r.names) - 1 - round(y)
        if 0 <= i < len(r.names) and abs(y - round(y)) <= BAR_HEIGHT / 2:
            return i
        return None

    def describe(self, x: float, y: float) -> str:
        i = self._index_at(y)
        if i is None:
            return ""
        r = self.ranking
        text = (f"{r.names[i]}: {readout_money(r.amounts[i], r.currency)}, "
                f"{plural(r.requests[i], 'request')}")
        if r.unpriced[i]:
            text += f" · {plural(r.unpriced[i], 'request')} unpriced, not included"
        return text

    def hit(self, x: float, y: float):
        i = self._index_at(y)
        if i is None or self.first is None:
            return None
        return self.first, self.after, self.ranking.names[i]


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME else name[:MAX_NAME - 1] + "…"
