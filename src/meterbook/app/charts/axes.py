"""Axes that speak money and calendar buckets.

The value axis is in the home currency with no more decimals than the scale needs ($1.2k,
$350, $0.04); the time axis is a DateAxisItem on local dates (a bucket's first day at 00:00
UTC, so the labels are the calendar dates of the report zone whatever the computer's zone),
with ticks on the buckets' own starts for weeks and months.
"""

from __future__ import annotations

import calendar
import math
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pyqtgraph as pg

from meterbook.app.formatting import _SYMBOLS, money

SECONDS_PER_DAY = 86_400
_EPOCH = date(1970, 1, 1).toordinal()


def date_x(day: date) -> float:
    """A local date as the chart's x: seconds of its 00:00 UTC (DateAxisItem utcOffset=0)."""
    return float(calendar.timegm(day.timetuple()))


def x_date(x: float) -> date:
    return date.fromordinal(_EPOCH + int(x // SECONDS_PER_DAY))


def compact_money(amount: Decimal, currency: str) -> str:
    """$1.2k, $350, $4.50, $0.04, $0.0031: short tick labels, thousands as k and M."""
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    symbol = _SYMBOLS.get(currency)

    def put(number: str) -> str:
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"

    for size, suffix in ((Decimal(10) ** 9, "G"), (Decimal(10) ** 6, "M"), (Decimal(1000), "k")):
        if value >= size:
            scaled = value / size
            places = 0 if scaled >= 100 else 1
            text = f"{scaled.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN):,f}"
            return put(text.rstrip("0").rstrip(".") if "." in text else text) + suffix
    if value >= 100 or value == value.to_integral_value():
        return money(amount, currency, 0)
    if value >= Decimal("0.1"):
        return money(amount, currency, 2)
    # Small amounts: two significant digits (0.04, 0.0031), no trailing zero ($0.001).
    places = -value.adjusted() + 1
    text = money(amount, currency, places)
    return text[:-1] if text.endswith("0") and places > 2 else text


def readout_money(amount: Decimal, currency: str) -> str:
    """An amount in a read-out or label: cents when it is a whole number of cents ($0.50,
    $6.50), else the app's four places below one unit ($0.0031), never rounded to $0.00."""
    if amount == amount.quantize(Decimal("0.01")) or abs(amount) >= 1:
        return money(amount, currency, 2)
    return money(amount, currency, 4)


def _float_money(value: float) -> Decimal:
    """A tick position (a float the plot chose) as a Decimal for the label; display only."""
    return Decimal(repr(round(value, 9)))


class MoneyAxis(pg.AxisItem):
    """Amounts in the home currency; `log` when the data are log10 of amounts (histograms)."""

    def __init__(self, currency: str = "USD", orientation: str = "left", log: bool = False):
        super().__init__(orientation)
        self.currency = currency
        self.log = log

    def tickStrings(self, values, scale, spacing):
        out = []
        for v in values:
            amount = 10 ** (v * scale) if self.log else v * scale
            out.append(compact_money(_float_money(amount), self.currency))
        return out

    def tickValues(self, minVal, maxVal, size):
        if not self.log:
            # Major ticks only: a label on every minor tick crowds a short axis ($1, $2 ...).
            return super().tickValues(minVal, maxVal, size)[:1]
        # Log axis: ticks at 1, 10, 100 ... (and 2, 5 between when few decades are shown).
        lo, hi = math.floor(minVal), math.ceil(maxVal)
        major = [float(d) for d in range(lo, hi + 1) if minVal <= d <= maxVal]
        minor = []
        if hi - lo <= 3:
            minor = [d + math.log10(m) for d in range(lo, hi) for m in (2, 5)
                     if minVal <= d + math.log10(m) <= maxVal]
        return [(1.0, major), (0.5, minor)]


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def bucket_label(day: date, grouping: str, with_year: bool = False) -> str:
    if grouping == "month":
        return f"{_MONTHS[day.month - 1]} {day.year}" if with_year or day.month == 1 \
            else _MONTHS[day.month - 1]
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


class BucketAxis(pg.DateAxisItem):
    """A DateAxisItem with a tick under the middle of each bucket (day, week or month),
    labelled with its first day, thinned so that labels never overlap: at most one label per
    `min_gap` pixels."""

    min_gap = 64

    def __init__(self, orientation: str = "bottom"):
        super().__init__(orientation, utcOffset=0)
        self.starts: list[date] = []
        self.ends: list[date] = []
        self.grouping = "day"
        self._labels: dict[float, date] = {}

    def set_buckets(self, starts: list[date], grouping: str,
                    ends: list[date] | None = None) -> None:
        """The buckets' first days and (exclusive) ends; without ends each is a whole day,
        week or month."""
        self.starts, self.grouping = list(starts), grouping
        self.ends = list(ends) if ends is not None else [_bucket_end(d, grouping)
                                                         for d in starts]
        self.picture = None
        self.update()

    def tickValues(self, minVal, maxVal, size):
        if not self.starts:
            return super().tickValues(minVal, maxVal, size)
        # A tick under each bucket's middle, where its bar stands.
        centres = [(date_x(d) + date_x(e)) / 2 for d, e in zip(self.starts, self.ends,
                                                                strict=True)]
        shown = [(x, d) for x, d in zip(centres, self.starts, strict=True)
                 if minVal <= x <= maxVal]
        room = max(int(size // self.min_gap), 1)
        step = max(1, math.ceil(len(shown) / room))
        if self.grouping == "day" and step > 1:
            step = next((s for s in (2, 7, 14, 28, 56, 91, 182, 364) if s >= step), step)
        picked = shown[::step]
        self._labels = {x: d for x, d in picked}
        return [(SECONDS_PER_DAY * step, [x for x, _d in picked])]

    def tickStrings(self, values, scale, spacing):
        if not self.starts:
            return super().tickStrings(values, scale, spacing)
        days = [self._labels.get(v) or x_date(v) for v in values]
        years = {d.year for d in days}
        return [bucket_label(d, self.grouping, with_year=len(years) > 1 and (
            i == 0 or d.year != days[i - 1].year)) for i, d in enumerate(days)]


def _bucket_end(start: date, grouping: str) -> date:
    if grouping == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date.fromordinal(start.toordinal() + (7 if grouping == "week" else 1))
