"""Spike alerts: a day whose spend is far above its own vendor's recent norm.

A runaway script shows as one vendor's day costing several times its usual; the month's budget
would only catch it days later. The rule, per vendor and day D:

- the window is the `window` (28) days before D; the norm is their median and the spread their
  median absolute deviation scaled by 1.4826 (so that it estimates the standard deviation of
  normal noise). Both are robust: one wild day in the window moves neither by more than one
  rank, so a spike does not hide another spike the day after.
- D is a spike when its spend is above every one of
    norm + k x scaled MAD      (k = 5: far outside the usual day-to-day variation),
    norm x min_multiple        (3: "far above" means at least three times the usual day),
    min_amount                 (1 in the home currency: a few cents are never worth an alert);
  the multiple also covers a perfectly flat series (MAD 0), where the first rule alone would
  flag any cent more, and the floor covers a quiet vendor (a $0.02 day becoming $0.10).
- D is judged only when the vendor spent something on at least `min_history` (14) of the 28
  window days: a new vendor has no norm yet, and a vendor used once a week (a weekly batch job)
  has a median of 0 that would make every day of use look like a spike. Such vendors are left
  to the budgets' thresholds.

Why k = 5: daily AI spend is noisy and skewed (busy weekdays, quiet weekends); at 3 or 3.5
(the textbook outlier cut-offs) an ordinary busy Monday alerts every few weeks, and an alert
that cries wolf is switched off. A runaway script multiplies a day's spend, which clears 5
spreads and 3 times the median with room to spare.

Days missing from a series count as 0 (nothing was spent). All arithmetic is Decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from meterbook.core.stats import median, median_absolute_deviation

# MAD x 1.4826 estimates the standard deviation of normally distributed values.
MAD_SCALE = Decimal("1.4826")


@dataclass(frozen=True)
class SpikeRule:
    """The spike rule's settings (module docstring says why these defaults)."""

    window: int = 28
    min_history: int = 14
    k: Decimal = Decimal(5)
    min_multiple: Decimal = Decimal(3)
    min_amount: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        for name in ("k", "min_multiple", "min_amount"):
            value = getattr(self, name)
            exact = None if isinstance(value, float) else Decimal(value)  # int or text: exact
            if exact is None or not exact.is_finite() or exact < 0:
                raise ValueError(f"the spike rule's {name} must be a Decimal of 0 or more "
                                 f"(money and factors are never floats), not {value!r}")
            object.__setattr__(self, name, exact)
        if self.window < 1 or not 1 <= self.min_history <= self.window:
            raise ValueError(f"a spike window of {self.window} days needs a minimum history "
                             f"between 1 and {self.window} days, not {self.min_history}")

    def limit(self, previous: list[Decimal]) -> tuple[Decimal, Decimal]:
        """(norm, limit) of a window of daily amounts: the median and the amount to beat."""
        norm = median(previous)
        spread = MAD_SCALE * median_absolute_deviation(previous)
        return norm, max(norm + self.k * spread, norm * self.min_multiple, self.min_amount)


DEFAULT_RULE = SpikeRule()


@dataclass(frozen=True)
class Spike:
    vendor: str
    day: date
    amount: Decimal  # the day's spend
    norm: Decimal  # the median of the window before it
    limit: Decimal  # the threshold it exceeded


def find_spikes(daily: Mapping[date, Decimal], *, vendor: str = "",
                rule: SpikeRule = DEFAULT_RULE, since: date | None = None) -> list[Spike]:
    """Spikes in one vendor's daily spend, in day order; `since`: report only days from it on
    (earlier days still make the norm)."""
    if not daily:
        return []
    first, last = min(daily), max(daily)
    zero = Decimal(0)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    amounts = [daily.get(d, zero) for d in days]
    spikes = []
    for i in range(rule.min_history, len(days)):
        if since is not None and days[i] < since:
            continue
        previous = amounts[max(0, i - rule.window):i]
        if sum(1 for a in previous if a > 0) < rule.min_history:
            continue
        norm, limit = rule.limit(previous)
        if amounts[i] > limit:
            spikes.append(Spike(vendor, days[i], amounts[i], norm, limit))
    return spikes


def find_spikes_by_vendor(series: Mapping[str, Mapping[date, Decimal]], *,
                          rule: SpikeRule = DEFAULT_RULE,
                          since: date | None = None) -> list[Spike]:
    """find_spikes for each vendor's series; sorted by day, then vendor."""
    spikes = [s for vendor, daily in series.items()
              for s in find_spikes(daily, vendor=vendor, rule=rule, since=since)]
    return sorted(spikes, key=lambda s: (s.day, s.vendor))
