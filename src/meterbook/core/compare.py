"""The arithmetic of `meterbook compare`: break-even prices and the cross-subsidy of a flat price.

Pure functions over per-record costs in integer nano-units (no database): the store prices the
usage under each scenario and hands the records' charges here. A record of n requests stands for
n requests of equal cost (charge / n); a record of no requests (a token-only bucket, a billed
cost line) has no per-request cost and is left out of the spread.

Money stays exact: a break-even price is the quotient cost / requests (rounded to 12 places
only when it does not terminate within them), and the money a flat price moves is summed in
integers over the common denominator before one rounding to nano-units.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

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
    return [c if n == 1 else div_round(c, n) for n, c in records if n and c is not None]


def spread(costs_nano: Sequence[int]) -> Spread | None:
    """The spread of per-request costs (core.stats on exact integers); None when none."""
    if not costs_nano:
        return None
    ordered = sorted(costs_nano)  # sorted once: percentile() of a sorted list sorts it cheaply

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
    """(requests, token charge nano) per record, all charged the break-even flat price.

    The price is total / N exactly (a fraction): a record of n requests pays n x total / N, so
    its overpayment is (n x total - charge x N) / N, summed in integers and rounded once.
    """
    counted = [(n, c) for n, c in records if n and c is not None]
    total = sum(c for _, c in counted)
    requests = sum(n for n, _ in counted)
    more = less = paying_more = 0
    for n, charge in counted:
        delta = n * total - charge * requests  # x N: this record's flat bill minus its cost
        if delta > 0:
            more += delta
            paying_more += n
        else:
            less -= delta
    if not requests:
        return Subsidy(0, 0, Decimal(0), Decimal(0))
    return Subsidy(requests, paying_more, from_nano(div_round(more, requests)),
                   from_nano(div_round(less, requests)))


def alternative_subsidy(records: Iterable[tuple[int, int | None, int | None]]) -> Subsidy:
    """(requests, token charge nano, charge under an alternative nano) per record: the same
    figures for any alternative (a size-tiered one, a flat price not at break-even). Records
    that either side leaves unpriced are not compared."""
    requests = paying_more = more = less = 0
    for n, charge, other in records:
        if not n or charge is None or other is None:
            continue
        requests += n
        if other > charge:
            paying_more += n
            more += other - charge
        else:
            less += charge - other
    return Subsidy(requests, paying_more, from_nano(more), from_nano(less))


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
