"""Invariants of the pricing engine (hypothesis)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from meterbook.core.plans import Plan, SizeTier, Volume, VolumeTier
from meterbook.core.pricing import price_rows
from meterbook.core.records import PricingRow, to_epoch_us

START = datetime(2026, 1, 1, tzinfo=UTC)
METER = ("google", "vision", "", "")

prices = st.decimals(min_value=0, max_value=100, places=4, allow_nan=False,
                     allow_infinity=False)
counts = st.integers(min_value=0, max_value=10**7)


@st.composite
def volume_tiers(draw):
    bounds = sorted(draw(st.sets(st.integers(1, 5000), min_size=0, max_size=3)))
    tiers = [VolumeTier(price=draw(prices), up_to=b) for b in bounds]
    return (*tiers, VolumeTier(price=draw(prices)))


@st.composite
def plans(draw, tiered=True, sized=True):
    volume = None
    if tiered and draw(st.booleans()):
        volume = Volume(meter=draw(st.sampled_from(["requests", "input_tokens", "output_tokens"])),
                        mode=draw(st.sampled_from(["graduated", "volume"])),
                        tiers=draw(volume_tiers()))
    size_tiers = ()
    if sized and draw(st.booleans()):
        size_tiers = (SizeTier(above_input_tokens=draw(st.integers(0, 5000)),
                               input=draw(prices), output=draw(prices)),)
    return Plan(
        name="p", vendor="google", model="vision", input=draw(prices), output=draw(prices),
        cached_input=draw(st.one_of(st.none(), prices)), request=draw(prices),
        multiplier=draw(st.decimals(min_value=0, max_value=3, places=2)),
        token_unit=draw(st.sampled_from([1, 1000, 1_000_000])), volume=volume,
        size_tiers=size_tiers, effective_from=START,
    )


@st.composite
def month_of_records(draw, max_requests=50):
    n = draw(st.integers(1, 25))
    out = []
    for i in range(n):
        when = START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 27)))
        out.append(PricingRow(i, to_epoch_us(when), METER, draw(st.integers(0, max_requests)),
                              draw(counts), draw(counts), 0, draw(counts), 0))
    return out


@settings(max_examples=150, deadline=None)
@given(plan=plans(), rows=month_of_records(), seed=st.randoms(use_true_random=False))
def test_charges_do_not_depend_on_the_order_rows_are_given_in(plan, rows, seed):
    # Tiers follow timestamps (then import order), never the order of the list, so the store
    # may read records in any order.
    shuffled = rows[:]
    seed.shuffle(shuffled)
    by_order = dict(zip((r.order for r in rows), price_rows([plan], rows), strict=True))
    again = dict(zip((r.order for r in shuffled), price_rows([plan], shuffled), strict=True))
    assert again == by_order


@settings(max_examples=150, deadline=None)
@given(plan=plans(), rows=month_of_records())
def test_no_charge_is_ever_negative(plan, rows):
    for charge, _ in price_rows([plan], rows):
        assert charge is not None and charge >= 0


@settings(max_examples=150, deadline=None)
@given(plan=plans(sized=False), q=st.integers(1, 40), tokens=st.integers(0, 10**6),
       out=st.integers(0, 10**6))
def test_splitting_a_record_into_single_requests_keeps_the_cost(plan, q, tokens, out):
    # Without size tiers, a record of q requests costs what q one-request records cost, when
    # its tokens are shared out among them (any way: here evenly, the rest to the first).
    # Volume tiers on requests count the same q requests either way.
    ts = to_epoch_us(START + timedelta(days=3))
    whole = price_rows([plan], [PricingRow(0, ts, METER, q, tokens, 0, 0, out, 0)])
    share, rest = divmod(tokens, q)
    out_share, out_rest = divmod(out, q)
    parts = [PricingRow(i, ts, METER, 1, share + (rest if i == 0 else 0), 0, 0,
                        out_share + (out_rest if i == 0 else 0), 0) for i in range(q)]
    split = price_rows([plan], parts)
    # Each part is rounded to nano-units on its own: the totals agree within q half-nanos.
    assert abs(sum(c for c, _ in split) - whole[0][0]) <= q


def test_rounding_is_the_only_difference_when_splitting():
    # 3 tokens at 0.5 nano each: whole = 1.5 -> 2 nano; three records of 0.5 -> 0 each.
    plan = Plan(name="p", vendor="google", model="vision", input=D("0.0000000005"),
                token_unit=1, effective_from=START)
    ts = to_epoch_us(START)
    whole = price_rows([plan], [PricingRow(0, ts, METER, 3, 3, 0, 0, 0, 0)])
    parts = price_rows([plan], [PricingRow(i, ts, METER, 1, 1, 0, 0, 0, 0) for i in range(3)])
    assert whole[0][0] == 2 and [c for c, _ in parts] == [0, 0, 0]
