"""Where a budget period's spend is heading: spent so far plus the recent run rate, with a band.

The rule (also in README, "Decisions"):

- spent = the fixed charges already due + the daily spend from the period's first day to today
  (today's spend so far included);
- run rate = the mean daily spend over the `window_days` complete days before today (days
  without spend count as 0), from the first day that had any spend; fewer than
  min(7, window_days) such days is too little history, and no number is given;
- each remaining day (after today, up to the period's last day) is expected to cost
  run rate x m, where m = (1 + growth per month)^k x seasonal(day's month) / seasonal(this month)
  and k is how many calendar months the day lies after today's;
- forecast = spent + run rate x sum(m);
- band = forecast -/+ 2 x s x sqrt(sum(m^2)), where s = 1.4826 x the median absolute deviation
  of the window's days (a robust standard deviation of one day's spend, that one wild day
  cannot inflate; sqrt(sum(m^2)) is how day-to-day scatter adds up over the remaining days).
  The low end is never below what is spent already;
- a period that has ended: forecast = low = high = spent.

Everything stays Decimal; results are rounded to nano-units, as stored money is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from meterbook.core.money import EXACT, from_nano, to_nano
from meterbook.core.stats import median_absolute_deviation

MIN_HISTORY_DAYS = 7
# 1.4826 x MAD estimates a standard deviation for normally scattered days.
_MAD_TO_SD = Decimal("1.4826")
_BAND_WIDTH = 2  # standard deviations either side


@dataclass(frozen=True)
class ForecastSettings:
    window_days: int = 14
    growth_per_month: Decimal = Decimal(0)  # 0.05 is +5 % a month
    seasonal: Mapping[int, Decimal] = field(default_factory=dict)  # calendar month -> factor

    def __post_init__(self) -> None:
        if not 1 <= self.window_days <= 365:
            raise ValueError(f"the forecast window must be 1-365 days, not {self.window_days}")
        if self.growth_per_month <= -1:
            raise ValueError(f"a growth of {self.growth_per_month * 100}% a month would make "
                             "spend negative")
        for month, factor in self.seasonal.items():
            if not 1 <= month <= 12:
                raise ValueError(f"seasonal factor for month {month}: months are 1-12")
            if factor <= 0:
                raise ValueError(f"seasonal factor for month {month} must be positive, "
                                 f"not {factor}")

    def factor(self, month: int) -> Decimal:
        return self.seasonal.get(month, Decimal(1))


@dataclass(frozen=True)
class Forecast:
    value: Decimal | None
    low: Decimal | None
    high: Decimal | None
    reason: str | None = None  # why there is no number


def forecast(daily: Mapping[date, Decimal], first: date, last: date, today: date,
             settings: ForecastSettings | None = None, fixed: Decimal = Decimal(0)) -> Forecast:
    """The period [first, last]'s end spend; `daily` holds spend per day (days before `first`
    feed the run rate), `fixed` the period's fixed charges due so far (module docstring)."""
    settings = settings or ForecastSettings()
    spent = fixed + sum((v for d, v in daily.items() if first <= d <= min(today, last)),
                        Decimal(0))
    if today >= last:
        return Forecast(spent, spent, spent)
    window_start = today - timedelta(days=settings.window_days)
    with_spend = [d for d, v in daily.items() if v and d < today]
    needed = min(MIN_HISTORY_DAYS, settings.window_days)
    history_start = max(min(with_spend), window_start) if with_spend else today
    days = (today - history_start).days
    if days < needed:
        return Forecast(None, None, None, f"too little history: {days} day"
                        f"{'' if days == 1 else 's'} of spend, {needed} needed")
    window = [daily.get(history_start + timedelta(days=i), Decimal(0)) for i in range(days)]
    rate = EXACT.divide(sum(window, Decimal(0)), Decimal(days))
    multipliers = [_multiplier(settings, today, d) for d in _remaining_days(first, last, today)]
    value = spent + EXACT.multiply(rate, sum(multipliers, Decimal(0)))
    spread = _MAD_TO_SD * median_absolute_deviation(window)
    scale = sum((EXACT.multiply(m, m) for m in multipliers), Decimal(0)).sqrt(EXACT)
    half = _BAND_WIDTH * EXACT.multiply(spread, scale)
    return Forecast(_nano(value), _nano(max(spent, value - half)), _nano(value + half))


def _remaining_days(first: date, last: date, today: date) -> list[date]:
    start = max(first, today + timedelta(days=1))
    return [start + timedelta(days=i) for i in range((last - start).days + 1)]


def _multiplier(settings: ForecastSettings, today: date, day: date) -> Decimal:
    months_ahead = (day.year - today.year) * 12 + day.month - today.month
    growth = EXACT.power(1 + settings.growth_per_month, months_ahead)
    return EXACT.divide(EXACT.multiply(growth, settings.factor(day.month)),
                        settings.factor(today.month))


def _nano(amount: Decimal) -> Decimal:
    return from_nano(to_nano(amount))
