"""Break-even and cross-subsidy arithmetic (core/compare.py), on sets worked out by hand."""

from __future__ import annotations

from decimal import Decimal as D

from meterbook.core.compare import (
    BreakEven,
    alternative_subsidy,
    difference,
    equivalent_token_prices,
    flat_subsidy,
    is_flat_per_request,
    per_request_nano,
    per_unit,
    spread,
)
from meterbook.core.plans import Plan

NANO = 10**9


def nano(text: str) -> int:
    return int(D(text) * NANO)


# Three small requests of 0.01 and one large of 0.17: 0.20 over 4 requests.
SMALL_AND_LARGE = [(1, nano("0.01")), (1, nano("0.01")), (1, nano("0.01")), (1, nano("0.17"))]


def test_break_even_is_cost_over_requests_and_not_computed_over_none():
    assert BreakEven(4, D("0.20")).price == D("0.05")  # 0.20 / 4
    assert BreakEven(0, D("3.00")).price is None  # shown as "no requests", never 0
    assert per_unit(D(1), 3) == D("0.333333333333")  # 1/3 does not terminate: 12 places


def test_spread_of_per_request_cost_small_and_large():
    s = spread(per_request_nano(SMALL_AND_LARGE))
    # sorted 0.01 0.01 0.01 0.17; median (0.01 + 0.01) / 2 = 0.01;
    # p90: rank 3 x 0.9 = 2.7 -> 0.01 + 0.7 x 0.16 = 0.122; p99: rank 2.97 -> 0.01 + 0.97 x 0.16
    # = 0.1652; largest 0.17.
    assert (s.median, s.p90, s.p99, s.largest) == (D("0.01"), D("0.122"), D("0.1652"),
                                                   D("0.17"))
    assert spread([]) is None


def test_a_record_of_several_requests_costs_its_charge_per_request():
    # 3 requests for 0.60 together: 0.20 each; 2 for 0.000000001: half a nano, rounded to even
    # (0); a record of no requests, or unpriced, has none.
    assert per_request_nano([(3, nano("0.60")), (2, 1), (0, nano("1")), (1, None)]) == [
        nano("0.2"), 0]


def test_flat_price_at_break_even_moves_money_from_small_to_large():
    s = flat_subsidy(SMALL_AND_LARGE)
    # Flat 0.05 each: the three small ones pay 0.04 over their cost each (0.12 in all), the
    # large one 0.12 below its 0.17: 3 of 4 requests pay more.
    assert (s.requests, s.paying_more) == (4, 3)
    assert s.share_paying_more == D("0.75")
    assert (s.paid_more, s.paid_less) == (D("0.12"), D("0.12"))


def test_flat_price_that_does_not_terminate_moves_money_exactly():
    # 0.10 + 0.20 + 0.70 over 3 requests: 1/3 each. Over by 1/3 - 0.10 and 1/3 - 0.20: the
    # sum 2/3 - 0.30 = 0.3666...67 (to nano); the large pays 0.70 - 1/3 less: the same.
    s = flat_subsidy([(1, nano("0.10")), (1, nano("0.20")), (1, nano("0.70"))])
    assert s.paying_more == 2
    assert s.paid_more == s.paid_less == D("0.366666667")


def test_size_tiered_alternative_subsidy():
    # Under a size-tiered price the small ones pay 0.02 (0.01 more each, 0.03 in all), the
    # large one 0.10 (0.07 less).
    s = alternative_subsidy([(n, c, nano("0.02") if c < nano("0.1") else nano("0.10"))
                             for n, c in SMALL_AND_LARGE])
    assert (s.requests, s.paying_more, s.share_paying_more) == (4, 3, D("0.75"))
    assert (s.paid_more, s.paid_less) == (D("0.03"), D("0.07"))


def test_a_request_that_costs_the_flat_price_does_not_pay_more():
    # 0.05 + 0.05 + 0.20 over 3 requests: flat 0.10. The 0.05 ones pay 0.05 more each (0.10
    # in all); one costing exactly 0.10 would pay nothing more: here the large one pays 0.10
    # less. A fourth request at 0.10 keeps the price at 0.10 and pays no more than its cost.
    s = flat_subsidy([(1, nano("0.05")), (1, nano("0.05")), (1, nano("0.20")),
                      (1, nano("0.10"))])
    assert (s.requests, s.paying_more) == (4, 2)
    assert (s.paid_more, s.paid_less) == (D("0.10"), D("0.10"))


def test_no_requests_no_share():
    assert flat_subsidy([(0, nano("1"))]).share_paying_more is None


def test_difference_in_money_and_percent():
    assert difference(D("90"), D("120")) == (D("-30"), D("-25.00"))  # -30 / 120 = -25%
    assert difference(D("5"), D("0")) == (D("5"), None)  # no percent of nothing


def test_per_token_prices_equivalent_to_a_flat_plan():
    saved = Plan(name="Chat", vendor="openai", input=D("2"), output=D("10"),
                 multiplier=D("0.5"))
    # The saved plan charges 1 and 5 per 1M (x 0.5); traffic costing 40 saved and 60 under the
    # flat plan: every price x 60 / 40 = 1.5 -> input 1.5, output 7.5.
    prices = equivalent_token_prices(saved, D("40"), D("60"))
    assert (prices.based_on, prices.factor, prices.input, prices.output) == (
        "Chat", D("1.5"), D("1.5"), D("7.5"))
    assert equivalent_token_prices(saved, D("0"), D("60")) is None


def test_flat_per_request_plan_is_recognised():
    assert is_flat_per_request(Plan(name="f", vendor="v", request=D("0.01")))
    assert not is_flat_per_request(Plan(name="t", vendor="v", request=D("0.01"), input=D(1)))
