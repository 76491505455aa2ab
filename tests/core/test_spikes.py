from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from meterbook.core.spikes import SpikeRule, find_spikes, find_spikes_by_vendor

START = date(2026, 3, 1)


def series(*amounts: str) -> dict[date, D]:
    """Daily amounts from March 1st 2026 on."""
    return {START + timedelta(days=i): D(a) for i, a in enumerate(amounts)}


def test_flat_series_with_one_eight_fold_day_has_one_spike_on_that_day():
    # 30 days at 10.00, then 80.00 on day 31 (March 31st), then 10.00 again.
    daily = series(*["10.00"] * 30, "80.00", "10.00", "10.00")
    spikes = find_spikes(daily, vendor="openai")
    # Window: 28 days of 10.00: median 10.00, MAD 0; limit = max(10 + 5 x 0, 3 x 10, 1) = 30.
    assert [(s.vendor, s.day, s.amount, s.norm, s.limit) for s in spikes] == [
        ("openai", date(2026, 3, 31), D("80.00"), D("10.00"), D("30.00"))]


def test_noisy_series_without_a_runaway_day_has_no_spike():
    # A working week of 10-14 and weekends of 3-4, for eight weeks: busy Mondays are not spikes.
    week = ["14.00", "12.00", "11.00", "10.00", "12.00", "3.00", "4.00"]
    assert find_spikes(series(*week * 8)) == []


def test_a_busy_day_in_a_noisy_series_is_not_a_spike_but_a_runaway_day_is():
    week = ["14.00", "12.00", "11.00", "10.00", "12.00", "3.00", "4.00"]
    daily = series(*week * 4, "30.00", "70.00")
    # The 28 previous days (four weeks) sorted: 3,3,3,3, 4,4,4,4, 10,10,10,10, 11,11,11,11,
    # 12 x 8, 14 x 4. Median = (11 + 11) / 2 = 11. Distances from 11 sorted: 0 x 4, 1 x 8 (the
    # 10s and 12s), 3 x 4, 7 x 4, 8 x 4, so MAD = (1 + 3) / 2 = 2 (ranks 14 and 15 of 28).
    # Limit = max(11 + 5 x 1.4826 x 2, 3 x 11, 1) = max(25.826, 33, 1) = 33: 30 is under it.
    # The next day's window drops the first 14 and takes the 30: sorted 3,3,3,3,4,4,4,4,10,10,
    # 10,10,11,11,11,11,12 x 8,14 x 3,30: median still (11 + 11) / 2 = 11, and 70 > 33.
    spikes = find_spikes(daily, vendor="anthropic")
    assert [(s.day, s.amount, s.norm) for s in spikes] == [(date(2026, 3, 30), D("70.00"),
                                                            D("11"))]
    assert spikes[0].limit == D("33")


def test_too_little_history_calls_no_spike():
    # Only 13 days of use before the 100.00 day: not enough (14 needed).
    assert find_spikes(series(*["1.00"] * 13, "100.00")) == []
    # With 14 days of use, the same day is a spike: limit max(1 + 0, 3 x 1, 1) = 3.
    assert [s.day for s in find_spikes(series(*["1.00"] * 14, "100.00"))] == [date(2026, 3, 15)]


def test_a_vendor_used_once_a_week_is_not_judged():
    # 10.00 every seventh day (4 of 28 days): the median is 0, so every day of use would beat
    # a limit of max(0, 0, 1) = 1; too few days of use to have a norm.
    weekly = series(*(["10.00"] + ["0"] * 6) * 6, "50.00")
    assert find_spikes(weekly) == []


def test_a_quiet_vendors_tiny_jump_stays_under_the_floor():
    # 0.02 a day, then 0.10 (five times the norm, far above its MAD of 0) and then 0.90: both
    # under the floor of 1.00. Then 1.50: above max(0.02 + 0, 3 x 0.02, 1) = 1.
    daily = series(*["0.02"] * 28, "0.10", "0.90", "1.50")
    assert [(s.day, s.amount, s.limit) for s in find_spikes(daily)] == [
        (date(2026, 3, 31), D("1.50"), D("1"))]


def test_a_spike_does_not_hide_a_second_spike_the_day_after():
    # 10.00 a day, then 80.00 twice. On the second day the window holds 27 x 10 and one 80:
    # median still 10, MAD still 0, limit still 30: the second day is called too.
    daily = series(*["10.00"] * 28, "80.00", "80.00")
    assert [s.day for s in find_spikes(daily)] == [date(2026, 3, 29), date(2026, 3, 30)]


def test_missing_days_count_as_nothing_spent():
    # Spend on 20 of the first 28 days (weekdays 5.00, 8 days absent), then 40.00.
    daily = {START + timedelta(days=i): D("5.00") for i in range(28) if i % 7 not in (5, 6)}
    daily[START + timedelta(days=28)] = D("40.00")
    # Window: 20 x 5.00 and 8 x 0: median 5, MAD 0; limit max(5, 15, 1) = 15 < 40.
    spikes = find_spikes(daily)
    assert [(s.day, s.norm, s.limit) for s in spikes] == [(date(2026, 3, 29), D("5.00"),
                                                           D("15.00"))]


def test_since_reports_only_later_days_but_earlier_days_make_the_norm():
    daily = series(*["10.00"] * 28, "80.00", "10.00", "90.00")
    assert [s.day for s in find_spikes(daily, since=date(2026, 3, 30))] == [date(2026, 3, 31)]


def test_spikes_of_several_vendors_come_in_day_order():
    quiet = series(*["2.00"] * 29, "9.00")
    busy = series(*["20.00"] * 28, "100.00", "20.00")
    spikes = find_spikes_by_vendor({"openai": quiet, "anthropic": busy})
    # openai: limit max(2, 6, 1) = 6 < 9 on March 30th; anthropic: 60 < 100 on March 29th.
    assert [(s.vendor, s.day) for s in spikes] == [("anthropic", date(2026, 3, 29)),
                                                   ("openai", date(2026, 3, 30))]


def test_the_rule_settings_are_checked():
    with pytest.raises(ValueError, match="minimum history between 1 and 28"):
        SpikeRule(min_history=30)
    with pytest.raises(ValueError, match="k must be a Decimal"):
        SpikeRule(k=3.5)
    # A stricter multiple: 8 x 10 is not above 10 x 10.
    assert find_spikes(series(*["10.00"] * 28, "80.00"), rule=SpikeRule(min_multiple=D(10))) == []
