"""The arithmetic of `meterbook compare`: break-even prices and the cross-subsidy of a flat price.

Pure functions over per-record costs in integer nano-units (no database): the store prices the
usage under each scenario and hands the records' charges here. A record of n requests stands for
n requests of equal cost (charge / n); a record of no requests (a token-only bucket, a billed
cost line) has no per-request cost and is left out of the spread.

The store hands them numpy arrays (int64, or Python integers where int64 cannot hold one):
whole columns at a time, a million records in a blink; exact integer arithmetic throughout.
Money stays exact: a break-even price is the quotient cost / requests (rounded to 12 places
only when it does not terminate within them), and the money a flat price moves is summed in
integers over the common denominator before one rounding to nano-units.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from meterbook.core.money import EXACT, div_round, from_nano
from meterbook.core.plans import Plan
from meterbook.core.stats import median, percentile

NO_REQUESTS = "no requests"  # how a figure over zero requests is shown: never as 0
_PRICE_Q = Decimal("1e-12")  # a per-request price that does not terminate is rounded here
_SHARE_Q = Decimal("1e-6")
_PERCENT_Q = Decimal("0.01")


@dataclass(frozen=True)
class BreakEven:
    """The flat price per request that recovers `cost` over `requests` (None: no requests)."""

    requests: int
    cost: Decimal

    @property
    def price(self) -> Decimal | None:
        return per_unit(self.cost, self.requests)


def per_unit(amount: Decimal, count: int) -> Decimal | None:
    """amount / count to 12 places (no trailing zeros when exact); None for a count of 0.

    Callers show None as NO_REQUESTS (or "no conversations"): a price over nothing is unknown,
    not free."""
    if not count:
        return None
    rounded = EXACT.divide(amount, Decimal(count)).quantize(_PRICE_Q, rounding=ROUND_HALF_EVEN)
    if EXACT.multiply(rounded, Decimal(count)) == amount:  # it terminates: no trailing zeros
        return rounded.normalize(EXACT)
    return rounded


def difference(cost: Decimal, saved: Decimal) -> tuple[Decimal, Decimal | None]:
    """(cost - saved, the same in percent of saved to 2 places; None when saved is 0)."""
    diff = cost - saved
    if not saved:
        return diff, None
    percent = EXACT.divide(diff * 100, saved).quantize(_PERCENT_Q, rounding=ROUND_HALF_EVEN)
    return diff, percent


@dataclass(frozen=True)
class Spread:
    """Per-request cost of the records given: median, 90th and 99th percentile, largest."""

    records: int
    median: Decimal
    p90: Decimal
    p99: Decimal
    largest: Decimal


def per_request_nano(records: Iterable[tuple[int, int | None]]) -> list[int]:
    """(requests, charge_nano or None) per record -> each priced record's cost per request in
    nano-units (rounded half-to-even: money's own precision); records of no requests or
    unpriced are left out. One value a record (not one per request)."""
    return per_request_array(*_counted(records)).tolist()


def per_request_array(requests: np.ndarray, charges: np.ndarray) -> np.ndarray:
    """charge / requests per record (requests > 0), rounded half-to-even like div_round.
    Records of one request (most of them, in chat traffic) are their charge: only the others
    are divided (an integer division of a million values is most of the time here)."""
    several = np.flatnonzero(requests != 1)
    out = charges.copy()
    n = requests[several]
    q, r = np.divmod(charges[several], n)
    twice = 2 * r
    out[several] = q + ((twice > n) | ((twice == n) & (q % 2 == 1)))
    return out


def distinct(values: np.ndarray) -> list[int]:
    """The distinct integers of an array, ascending: counted when they are small (requests per
    record, plan ids), else sorted."""
    if len(values) and values.dtype != object and int(values.min()) >= -1 and int(
            values.max()) < 2**22:
        return (np.flatnonzero(np.bincount(values + 1)) - 1).tolist()
    return np.unique(values).tolist()


def int_array(values: Sequence[int]) -> np.ndarray:
    """Integers as int64, or as Python integers (object) when one does not fit: exact
    either way."""
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        return np.array(values, dtype=object)


def exact_sum(values: np.ndarray) -> int:
    """The sum as a Python integer: in int64 only when no partial sum can overflow."""
    if not len(values):
        return 0
    largest = max(abs(int(values.max())), abs(int(values.min())))
    if values.dtype == object or largest * len(values) >= 2**63:
        return sum(values.tolist())
    return int(values.sum())


def _counted(records: Iterable[tuple[int, int | None]]) -> tuple[np.ndarray, np.ndarray]:
    """(requests, charges) of the records that have requests and a charge."""
    counted = [(n, c) for n, c in records if n and c is not None]
    return int_array([n for n, _ in counted]), int_array([c for _, c in counted])


def spread(costs_nano: Sequence[int] | np.ndarray) -> Spread | None:
    """The spread of per-request costs (core.stats on exact integers); None when none."""
    if not len(costs_nano):
        return None
    # Sorted once: percentile() of a sorted list sorts it cheaply.
    ordered = np.sort(np.asarray(costs_nano)).tolist()

    def money(value: Decimal | int) -> Decimal:
        return Decimal(value).scaleb(-9)

    return Spread(len(ordered), money(median(ordered)), money(percentile(ordered, 90)),
                  money(percentile(ordered, 99)), money(ordered[-1]))


@dataclass(frozen=True)
class Subsidy:
    """Who pays more than their own cost under another price, and how much money moves.

    `paid_more`: what the requests that pay more than their token cost pay above it;
    `paid_less`: what the others pay below theirs. Under a flat price at break-even the two
    are equal: that is the money moved from small requests to large ones.
    """

    requests: int  # requests compared
    paying_more: int  # of which pay more than their token cost

    paid_more: Decimal
    paid_less: Decimal

    @property
    def share_paying_more(self) -> Decimal | None:
        if not self.requests:
            return None
        return EXACT.divide(Decimal(self.paying_more), Decimal(self.requests)).quantize(
            _SHARE_Q, rounding=ROUND_HALF_EVEN).normalize(EXACT)


def flat_subsidy(records: Iterable[tuple[int, int | None]]) -> Subsidy:
    """(requests, token charge nano) per record, all charged the break-even flat price."""
    return flat_subsidy_of(*_counted(records))


def flat_subsidy_of(requests: np.ndarray, charges: np.ndarray) -> Subsidy:
    """flat_subsidy over records of some requests and a charge, as two arrays.

    The price is total / N exactly (a fraction): a record of n requests pays n x total / N, so
    its overpayment is (n x total - charge x N) / N, summed in integers and rounded once. It
    pays more when charge x N < n x total, i.e. charge <= (n x total - 1) // N: one integer
    threshold per distinct n, so no product is formed per record (none can overflow).
    """
    total, n_all = exact_sum(charges), exact_sum(requests)
    if not n_all:
        return Subsidy(0, 0, Decimal(0), Decimal(0))
    more = np.zeros(len(charges), dtype=bool)
    for n in distinct(requests):
        threshold = min(max((n * total - 1) // n_all, -(2**63)), 2**63 - 1)
        same = requests == n
        more[same] = charges[same] <= threshold
    paying_more = exact_sum(requests[more])
    over = total * paying_more - n_all * exact_sum(charges[more])
    under = n_all * exact_sum(charges[~more]) - total * exact_sum(requests[~more])
    return Subsidy(n_all, paying_more, from_nano(div_round(over, n_all)),
                   from_nano(div_round(under, n_all)))


def alternative_subsidy(records: Iterable[tuple[int, int | None, int | None]]) -> Subsidy:
    """(requests, token charge nano, charge under an alternative nano) per record: the same
    figures for any alternative (a size-tiered one, a flat price not at break-even). Records
    that either side leaves unpriced are not compared."""
    kept = [r for r in records if r[0] and r[1] is not None and r[2] is not None]
    return alternative_subsidy_of(*(int_array([r[k] for r in kept]) for k in range(3)))


def alternative_subsidy_of(requests: np.ndarray, charges: np.ndarray,
                           others: np.ndarray) -> Subsidy:
    """alternative_subsidy over records both sides price, as three arrays; the money is
    summed per side (sum of others - sum of charges), so no difference can overflow."""
    more = others > charges
    paid_more = exact_sum(others[more]) - exact_sum(charges[more])
    paid_less = exact_sum(charges[~more]) - exact_sum(others[~more])
    return Subsidy(exact_sum(requests), exact_sum(requests[more]), from_nano(paid_more),
                   from_nano(paid_less))


@dataclass(frozen=True)
class TokenPrices:
    """Per-token prices that cost what a flat per-request plan costs on this traffic: the
    prices of `based_on` (the saved plan that priced most of it) all scaled by `factor`, its
    multiplier folded in (these prices are meant at multiplier 1)."""

    based_on: str
    factor: Decimal
    token_unit: int
    input: Decimal
    cached_input: Decimal | None
    cache_write: Decimal | None
    output: Decimal
    request: Decimal


def equivalent_token_prices(saved_plan: Plan, saved_cost: Decimal,
                            flat_cost: Decimal) -> TokenPrices | None:
    """The inverse of break-even: scale every price of the saved plan by flat / saved cost, so
    that the same traffic mix costs what the flat plan costs. None when the saved plans cost
    nothing here (no ratio to scale)."""
    if not saved_cost:
        return None
    factor = EXACT.divide(flat_cost, saved_cost)

    def scaled(price: Decimal | None) -> Decimal | None:
        if price is None:
            return None
        effective = EXACT.multiply(price, saved_plan.multiplier)
        return _to_12_places(EXACT.multiply(effective, factor))

    return TokenPrices(saved_plan.name, _to_12_places(factor),
                       saved_plan.token_unit, scaled(saved_plan.input),
                       scaled(saved_plan.cached_input), scaled(saved_plan.cache_write),
                       scaled(saved_plan.output), scaled(saved_plan.request))


def _to_12_places(value: Decimal) -> Decimal:
    """Rounded to 12 places, without trailing zeros (0.4, not 0.400000000000)."""
    return value.quantize(_PRICE_Q, rounding=ROUND_HALF_EVEN).normalize(EXACT)


def is_flat_per_request(plan: Plan) -> bool:
    """A plan that charges a price per request and nothing per token or unit."""
    token_prices = (plan.input, plan.cached_input or 0, plan.cache_write or 0, plan.output,
                    plan.unit_price)
    return bool(plan.request) and not any(token_prices) and not plan.size_tiers
