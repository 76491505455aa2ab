from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterbook.core.stats import median, median_absolute_deviation, percentile


def test_median_of_odd_and_even_counts():
    assert median([D("3"), D("1"), D("2")]) == D("2")
    # (2 + 3) / 2 = 2.5
    assert median([D("4"), D("1"), D("3"), D("2")]) == D("2.5")


def test_percentile_interpolates_between_ranks():
    values = [D(v) for v in ("0.10", "0.20", "0.30", "0.40", "1.00")]
    # rank = (5 - 1) * 90 / 100 = 3.6: 0.40 + 0.6 * (1.00 - 0.40) = 0.76
    assert percentile(values, 90) == D("0.76")
    assert percentile(values, 0) == D("0.10")
    assert percentile(values, 100) == D("1.00")


def test_one_value_is_every_percentile():
    assert percentile([D("0.07")], 90) == D("0.07")


def test_empty_and_out_of_range_are_refused():
    with pytest.raises(ValueError, match="no values"):
        median([])
    with pytest.raises(ValueError, match="outside"):
        percentile([D(1)], 101)


def test_mad_ignores_one_wild_value():
    # median 2; distances 1, 0, 1, 998 -> median of (0, 1, 1, 998) = 1
    assert median_absolute_deviation([D(1), D(2), D(3), D(1000)]) == D(1)


money = st.decimals(min_value=0, max_value=10**6, places=6, allow_nan=False)


@given(st.lists(money, min_size=1, max_size=50), st.integers(0, 100))
def test_percentile_lies_within_the_values(values, q):
    assert min(values) <= percentile(values, q) <= max(values)
