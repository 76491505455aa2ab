"""Why the cost changed (core/change.py): Shapley parts worked out by hand, summing exactly."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from meterbook.core.change import PARTS, Cell, decompose, shapley, shown_cents

D = Decimal
# 1,000 tokens a request at 0.00001 a token: 0.01 a request.
PER_TOKEN = D("0.00001")


def _cell(requests: int, tokens_each: int, per_token: Decimal) -> Cell:
    return Cell(requests, requests * tokens_each, requests * tokens_each * per_token)


def _exact_sum(change) -> Fraction:
    return sum(change.parts.values(), Fraction(0))


def test_more_traffic_bigger_requests_and_a_price_rise_in_one_model():
    # Before: 100 requests x 1,000 tokens x 0.00001 = 1.00
    # After:  150 requests x 1,200 tokens x 0.000012 = 2.16; difference 1.16.
    # One cell: R 100 -> 150, share 1 -> 1, t 1,000 -> 1,200, p 0.00001 -> 0.000012.
    # Three-factor Shapley (a factor's change times the mean of the others' products over
    # the orders: 1/3 both before, 1/6 each mixed pair, 1/3 both after):
    #   volume = 50 x (0.01/3 + (0.012 + 0.012)/6 + 0.0144/3) = 50 x 0.0364/3 = 1.82/3
    #   size   = 200 x (0.001/3 + (0.0015 + 0.0012)/6 + 0.0018/3) = 1.66/6
    #   price  = 0.000002 x (100000/3 + (150000 + 120000)/6 + 180000/3) = 1.66/6
    #   1.82/3 + 1.66/6 + 1.66/6 = 6.96/6 = 1.16
    before = {("openai", "gpt-4o"): _cell(100, 1000, PER_TOKEN)}
    after = {("openai", "gpt-4o"): _cell(150, 1200, D("0.000012"))}
    change = decompose(before, after, {}, {})
    parts = change.parts
    assert parts["volume"] == Fraction(182, 300)
    assert parts["size"] == Fraction(166, 600)
    assert parts["price"] == Fraction(166, 600)
    assert parts["mix"] == parts["fixed"] == parts["billed_lines"] == 0
    assert change.difference == D("1.16") and _exact_sum(change) == Fraction(116, 100)
    # In cents: 0.606.., 0.276.., 0.276.. floor to 0.60 + 0.27 + 0.27 = 1.14; the two cents
    # missing go to the largest remainders (all 2/3: the first parts in order).
    shown = change.shown()
    assert (shown["volume"], shown["size"], shown["price"]) == (D("0.61"), D("0.28"), D("0.27"))
    assert sum(shown.values()) == D("1.16")


def test_a_switch_to_a_dearer_model_is_model_mix():
    # Before: 100 requests of A at 0.01 each = 1.00. After: the same 100 requests on B at
    # 0.02 each (1,000 tokens x 0.00002) = 2.00. A's share 1 -> 0 (-1.00), B's 0 -> 1
    # (+2.00): mix +1.00, and nothing else (a model new or gone keeps the other side's size
    # and price).
    before = {("openai", "a"): _cell(100, 1000, PER_TOKEN)}
    after = {("openai", "b"): _cell(100, 1000, D("0.00002"))}
    change = decompose(before, after, {}, {})
    assert change.parts["mix"] == 1
    assert [ln.parts["mix"] for ln in change.lines] == [-1, 2]
    assert all(change.parts[p] == 0 for p in PARTS if p != "mix")


def test_more_traffic_on_one_of_two_models():
    # Before: A 100, B 100 requests (R 200, shares 1/2 each), 0.01 a request each: 2.00.
    # After: A 300, B 100 (R 400, shares 3/4 and 1/4): 4.00; difference 2.00.
    # A (cost = R x s x 0.01): volume = 200 x (1/2 + 3/4)/2 x 0.01 = 1.25,
    #   mix = 1/4 x (200 + 400)/2 x 0.01 = 0.75;  A's change 3.00 - 1.00 = 2.00
    # B: volume = 200 x (1/2 + 1/4)/2 x 0.01 = 0.75, mix = -1/4 x 300 x 0.01 = -0.75: 0
    before = {("v", "a"): _cell(100, 1000, PER_TOKEN), ("v", "b"): _cell(100, 1000, PER_TOKEN)}
    after = {("v", "a"): _cell(300, 1000, PER_TOKEN), ("v", "b"): _cell(100, 1000, PER_TOKEN)}
    change = decompose(before, after, {}, {})
    a, b = change.lines
    assert (a.parts["volume"], a.parts["mix"]) == (Fraction(5, 4), Fraction(3, 4))
    assert (b.parts["volume"], b.parts["mix"]) == (Fraction(3, 4), Fraction(-3, 4))
    assert change.parts["volume"] == 2 and change.parts["mix"] == 0
    assert change.parts["size"] == change.parts["price"] == 0


def test_a_price_change_alone_is_price_and_fixed_charges_are_their_own_part():
    # Same 10 requests x 1,000 tokens; the plan's new version charges 0.000015 a token:
    # 0.10 -> 0.15 (+0.05 price). The fee goes from 5.00 to 7.50 (+2.50 fixed).
    # A vendor's cost-export line (money, no requests) 0.40 -> 0.30: -0.10 billed lines.
    before = {("v", "m"): _cell(10, 1000, PER_TOKEN), ("v", "--"): Cell(0, 0, D("0.40"))}
    after = {("v", "m"): _cell(10, 1000, D("0.000015")), ("v", "--"): Cell(0, 0, D("0.30"))}
    change = decompose(before, after, {"v": D("5.00")}, {"v": D("7.50")})
    assert change.parts["price"] == Fraction(5, 100)
    assert change.parts["fixed"] == Fraction(5, 2)
    assert change.parts["billed_lines"] == Fraction(-1, 10)
    assert change.before == D("5.50") and change.after == D("7.95")
    assert _exact_sum(change) == Fraction(245, 100)  # 7.95 - 5.50


def test_shapley_parts_sum_to_the_difference_of_the_products():
    before = tuple(Fraction(x) for x in (3, 1, 7, 2))
    after = tuple(Fraction(x) for x in (5, Fraction(1, 3), 11, 9))
    # 5 x 1/3 x 11 x 9 - 3 x 1 x 7 x 2 = 165 - 42 = 123
    assert sum(shapley(before, after)) == 123


def test_shown_cents_add_up_to_the_target_whatever_the_signs():
    thirds = {"a": Fraction(1, 3), "b": Fraction(1, 3), "c": Fraction(1, 3)}
    # 0.33 + 0.33 + 0.33 = 0.99: the missing cent to the first largest remainder
    assert shown_cents(thirds, D("1.00")) == {"a": D("0.34"), "b": D("0.33"), "c": D("0.33")}
    negative = {k: -v for k, v in thirds.items()}
    # floors -0.34 x 3 = -1.02; two cents back to the largest remainders
    assert shown_cents(negative, D("-1.00")) == {"a": D("-0.33"), "b": D("-0.33"),
                                                 "c": D("-0.34")}
    # A shown difference a cent away from the exact one (rounded totals) is still met
    assert sum(shown_cents({"a": Fraction(1, 200), "b": Fraction(0)}, D("0.01")).values()) \
        == D("0.01")
