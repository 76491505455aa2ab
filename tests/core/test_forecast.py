"""Forecasts on constructed daily series, every figure worked out by hand (core/forecast.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from meterbook.core.forecast import ForecastSettings, forecast


def days(first: date, last: date, amount) -> dict[date, D]:
    n = (last - first).days + 1
    return {first + timedelta(days=i): D(amount) for i in range(n)}


def test_three_days_of_spend_is_too_little_history_and_no_number_is_invented():
    daily = days(date(2026, 3, 2), date(2026, 3, 4), "10")
    f = forecast(daily, date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 5))
    assert (f.value, f.low, f.high) == (None, None, None)
    assert f.reason == "too little history: 3 days of spend, 7 needed"


def test_no_spend_at_all_is_too_little_history():
    f = forecast({}, date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 20))
    assert f.value is None and f.reason == "too little history: 0 days of spend, 7 needed"


def test_an_ended_period_forecasts_what_was_spent():
    daily = days(date(2026, 2, 25), date(2026, 3, 31), "2.5")
    f = forecast(daily, date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 10),
                 fixed=D("5"))
    # 31 days x 2.50 + 5.00 fixed = 82.50
    assert f.value == f.low == f.high == D("82.5")
    assert f.reason is None


def test_a_steady_run_rate_with_no_scatter_has_no_band():
    daily = days(date(2026, 2, 20), date(2026, 3, 15), "10")
    f = forecast(daily, date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 15))
    # spent Mar 1-15 = 15 x 10 = 150; 16 days left (16-31) x 10 = 160; total 310
    assert f.value == f.low == f.high == D("310")


def test_growth_compounds_per_calendar_month_ahead():
    daily = days(date(2026, 1, 1), date(2026, 1, 31), "10")
    f = forecast(daily, date(2026, 1, 1), date(2026, 3, 31), date(2026, 1, 31),
                 ForecastSettings(growth_per_month=D("0.10")))
    # spent: 31 x 10 = 310; February 28 x 10 x 1.1 = 308; March 31 x 10 x 1.21 = 375.1
    assert f.value == D("993.1")


def test_seasonal_factors_are_relative_to_the_current_month():
    daily = days(date(2026, 1, 1), date(2026, 1, 31), "10")
    f = forecast(daily, date(2026, 1, 1), date(2026, 3, 31), date(2026, 1, 31),
                 ForecastSettings(seasonal={1: D("0.5"), 3: D("1")}))
    # January is a quiet month (0.5): February (1, not given) is 1 / 0.5 = 2x January's rate,
    # March 1 / 0.5 = 2x too. 310 + 28 x 10 x 2 + 31 x 10 x 2 = 310 + 560 + 620 = 1490
    assert f.value == D("1490")


def test_the_band_comes_from_the_day_to_day_scatter():
    # Days alternate 10 and 20 (by the day's ordinal number).
    start = date(2026, 3, 20)
    daily = {start + timedelta(days=i): D(10 if (start + timedelta(days=i)).toordinal() % 2
                                            else 20) for i in range(38)}  # to April 26
    f = forecast(daily, date(2026, 4, 1), date(2026, 4, 30), date(2026, 4, 26))
    # spent April 1-26: 26 days, 13 of each = 13 x 30 = 390; window April 12-25: mean 15;
    # 4 days left (27-30): 390 + 4 x 15 = 450.
    # Scatter: median 15, every day 5 away, MAD 5; s = 1.4826 x 5 = 7.413;
    # half band = 2 x 7.413 x sqrt(4) = 29.652.
    assert f.value == D("450")
    assert f.low == D("420.348")
    assert f.high == D("479.652")


def test_the_low_end_is_never_below_what_is_spent():
    start = date(2026, 3, 20)
    daily = {start + timedelta(days=i): D(0 if i % 2 else 100) for i in range(26)}
    f = forecast(daily, date(2026, 4, 1), date(2026, 4, 30), date(2026, 4, 14))
    spent = sum(v for d, v in daily.items() if d >= date(2026, 4, 1))
    assert f.low >= spent
    assert f.low < f.value < f.high
