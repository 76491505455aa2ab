"""Exact order statistics of money amounts, shared by charts, budgets, compare and reports.

Everything stays Decimal: a median or a 90th percentile of charges is shown to the owner as
money, so it must not pick up binary rounding. Percentiles interpolate linearly between the two
closest ranks (the usual "type 7" definition, the default of NumPy and spreadsheets), which an
accountant can check by hand on a sorted list.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal


def percentile(values: Sequence[Decimal], q: int | Decimal) -> Decimal:
    """The q-th percentile (0..100) of values; ValueError on an empty sequence.

    With n sorted values the rank is h = (n - 1) * q / 100; the result lies between the values
    at floor(h) and floor(h) + 1 in proportion to h's fraction. Exact for Decimal input.
    """
    if not values:
        raise ValueError("a percentile of no values")
    q = Decimal(q)
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    if low + 1 >= len(ordered):
        return ordered[-1]
    fraction = rank - low
    return ordered[low] + fraction * (ordered[low + 1] - ordered[low])


def median(values: Sequence[Decimal]) -> Decimal:
    """The middle value; the mean of the two middle values for an even count."""
    return percentile(values, 50)


def median_absolute_deviation(values: Sequence[Decimal]) -> Decimal:
    """The median of the distances from the median: a spread that one wild value cannot move."""
    centre = median(values)
    return median([abs(v - centre) for v in values])
