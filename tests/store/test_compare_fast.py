"""`meterbook compare` prices alternatives column-wise (core/pricing_columns.py): the same
figures as the engine, record by record and total by total, on random plans and usage
(hypothesis). Exactness is the product: any difference, even one nano-unit, fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.helpers import CHAT_CLAUDE_PLANS, WORKED_USAGE, usage_database

from meterbook.core.plans import Plan, SizeTier, Volume, VolumeTier
from meterbook.core.pricing import PricingEngine
from meterbook.core.pricing_columns import columns_of, price_columns
from meterbook.core.quick_plans import Alternative
from meterbook.core.records import PricingRow, to_epoch_us
from meterbook.store import compare as store_compare
from meterbook.store import readers
from meterbook.store.compare import Scope, compare

START = datetime(2026, 1, 1, tzinfo=UTC)
METERS = {1: ("openai", "gpt-4o", "", ""), 2: ("openai", "gpt-4o-mini", "web", ""),
          3: ("anthropic", "claude-haiku", "", "priority"), 4: ("mistral", "large", "", "")}

# Half-nano prices per token make charges that end in exactly half a nano: ties to round.
prices = st.one_of(st.decimals(min_value=0, max_value=50, places=6, allow_nan=False,
                               allow_infinity=False),
                   st.sampled_from([D("0.0000000005"), D("0.0000000015")]))
maybe_price = st.one_of(st.none(), prices)
counts = st.integers(min_value=0, max_value=2_000_000)


@st.composite
def volumes(draw):
    bounds = sorted(draw(st.sets(st.integers(1, 3000), max_size=3)))
    tiers = [VolumeTier(draw(prices), b) for b in bounds] + [VolumeTier(draw(prices))]
    return Volume(draw(st.sampled_from(["requests", "units", "input_tokens", "output_tokens"])),
                  draw(st.sampled_from(["graduated", "volume"])), tuple(tiers))


@st.composite
def size_tiers(draw):
    thresholds = draw(st.lists(st.integers(0, 20_000), max_size=3))
    return tuple(SizeTier(t, input=draw(maybe_price), cached_input=draw(maybe_price),
                          output=draw(maybe_price), request=draw(maybe_price))
                 for t in thresholds)


@st.composite
def plan_sets(draw):
    """Plans of several names and versions: flat, per token, size tiers, volume tiers, free
    trials, fees and minimums, multipliers, billing zones; overlapping model patterns."""
    out = []
    for k in range(draw(st.integers(1, 4))):
        name = f"p{k}"
        vendor = draw(st.sampled_from(["openai", "anthropic"]))
        model = draw(st.sampled_from(["*", "gpt-4o*", "gpt-4o", "claude-*"]))
        zone = draw(st.sampled_from(["UTC", "Pacific/Auckland", "America/New_York"]))
        days = sorted(draw(st.sets(st.integers(0, 80), min_size=1, max_size=3)))
        for day in days:
            out.append(Plan(
                name=name, vendor=vendor, model=model, priority=draw(st.integers(0, 2)),
                project=draw(st.sampled_from(["*", "web"])),
                effective_from=START + timedelta(days=day),
                token_unit=draw(st.sampled_from([1, 1000, 1_000_000])),
                input=draw(prices), output=draw(prices), cached_input=draw(maybe_price),
                cache_write=draw(maybe_price), request=draw(prices), unit_price=draw(prices),
                unit_size=draw(st.sampled_from([1, 1000])),
                multiplier=draw(st.decimals(min_value=0, max_value=3, places=3)),
                size_tiers=draw(size_tiers()),
                volume=draw(st.one_of(st.none(), volumes())),
                monthly_fee=draw(st.sampled_from([D(0), D("20")])),
                monthly_minimum=draw(st.sampled_from([D(0), D("5")])),
                free_trial_days=draw(st.integers(0, 20)), billing_timezone=zone))
    return out


@st.composite
def usage(draw):
    n = draw(st.integers(0, 40))
    rows = []
    for _ in range(n):
        # Minutes over four months, with repeats: equal instants order by id.
        when = START + timedelta(minutes=draw(st.sampled_from([0, 59, 60 * 24 * 31 - 1]))
                                 + draw(st.integers(0, 60 * 24 * 120)))
        rows.append(PricingRow(draw(st.integers(0, 10**6)), to_epoch_us(when),
                               draw(st.sampled_from(list(METERS))),
                               draw(st.integers(0, 30)), draw(counts), draw(counts),
                               draw(counts), draw(counts), draw(st.integers(0, 10**9))))
    return rows


def engine_charges(plans, rows):
    return PricingEngine(plans).price(rows, METERS)


def column_charges(plans, rows):
    found = price_columns(PricingEngine(plans), columns_of(rows), METERS)
    if found is None:
        return None
    charge, plan = found
    return [(c, p) if p >= 0 else (None, None)
            for c, p in zip(charge.tolist(), plan.tolist(), strict=True)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans=plan_sets(), rows=usage())
def test_columns_price_every_record_as_the_engine_does(plans, rows):
    fast = column_charges(plans, rows)
    # None: a numerator might not fit int64 (dear prices per single token at 6 places with a
    # 3-place multiplier); compare then prices with the engine, so no figure is at stake.
    assume(fast is not None)
    assert fast == engine_charges(plans, rows)


def test_volume_tiers_run_over_the_month_in_time_order_then_id():
    # Graduated per request: first 2 requests of the month at 1.00, the rest at 0.10 each.
    plan = Plan(name="v", vendor="openai", volume=Volume("requests", "graduated", (
        VolumeTier(D("1"), 2), VolumeTier(D("0.1")))))
    jan = to_epoch_us(START)
    feb = to_epoch_us(START + timedelta(days=31))
    # ids 7 and 3 at the same instant: id 3 comes first (1 request at 1.00), then id 7 (its 2
    # requests: one at 1.00, one at 0.10 = 1.10); then id 1 an hour later (3 x 0.10 = 0.30);
    # February starts again: id 2's 3 requests = 1.00 + 1.00 + 0.10 = 2.10.
    rows = [PricingRow(7, jan, 1, 2, 0, 0, 0, 0, 0), PricingRow(1, jan + 3_600_000_000, 1, 3,
            0, 0, 0, 0, 0), PricingRow(3, jan, 1, 1, 0, 0, 0, 0, 0),
            PricingRow(2, feb, 1, 3, 0, 0, 0, 0, 0)]
    assert [c for c, _ in column_charges([plan], rows)] == [
        1_100_000_000, 300_000_000, 1_000_000_000, 2_100_000_000]


def test_half_nanos_round_to_even_as_the_engine_does():
    # 0.5 nano per token: 1 token = 0.5 -> 0, 3 = 1.5 -> 2, 5 = 2.5 -> 2, 7 = 3.5 -> 4.
    plan = Plan(name="half", vendor="openai", input=D("0.0000000005"), token_unit=1)
    rows = [PricingRow(k, to_epoch_us(START), 1, 1, tokens, 0, 0, 0, 0)
            for k, tokens in enumerate([1, 3, 5, 7])]
    assert [c for c, _ in column_charges([plan], rows)] == [0, 2, 2, 4]


def test_counts_too_large_for_int64_are_left_to_the_engine():
    # 2^61 tokens at 1 per token is 2^61 x 10^9 nano: no int64 holds it, so no column answer.
    plan = Plan(name="big", vendor="openai", input=D(1), token_unit=1)
    rows = [PricingRow(0, to_epoch_us(START), 1, 1, 2**61, 0, 0, 0, 0)]
    assert price_columns(PricingEngine([plan]), columns_of(rows), METERS) is None
    assert engine_charges([plan], rows) == [(2**61 * 10**9, 0)]


@pytest.fixture(scope="module")
def worked_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fast")
    with usage_database(folder, CHAT_CLAUDE_PLANS, WORKED_USAGE,
                        now=datetime(2026, 6, 1, tzinfo=UTC), utc=True) as d:
        yield d


def _compare(db, alternatives, **scope):
    with db.engine.connect() as conn:
        return compare(conn, Scope(**scope), readers.load_plans(conn), alternatives,
                       readers.home_currency(conn), readers.rates_for(conn))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plans=plan_sets(), vendor=st.sampled_from([None, "openai", "anthropic"]))
def test_compare_gives_the_figures_of_the_engine(worked_db, plans, vendor, monkeypatch):
    # The whole comparison (totals, months, break-even, spread, subsidies) with the column
    # path and with the engine row by row (column path switched off) is the same.
    alternatives = [Alternative("a", tuple(plans)), Alternative("b", tuple(plans[:1]))]
    fast = _compare(worked_db, alternatives, vendor=vendor)
    with monkeypatch.context() as m:
        m.setattr(store_compare, "price_columns", lambda *args: None)
        slow = _compare(worked_db, alternatives, vendor=vendor)
    assert fast == slow
