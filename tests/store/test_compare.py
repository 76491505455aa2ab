"""Comparing the saved plans with alternatives on stored usage (store/compare.py).

Usage is tests.helpers.WORKED_USAGE under CHAT_CLAUDE_PLANS, whose charges are worked out there:
openai r1 2.00 (1 request), r2 0.50 (1), r5 0.50 (3); anthropic r3 6.00 (2), r6 4.00 (1);
mistral r4 unpriced. Plans use token_unit = 1000.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from tests.helpers import CHAT_CLAUDE_PLANS, WORKED_USAGE, usage_database

from meterbook.core.plans import Plan, PlanFileError, Volume, VolumeTier
from meterbook.core.quick_plans import (
    checked,
    fee_with_included,
    flat_per_request,
    over_saved,
    per_token,
    volume_tiered,
)
from meterbook.store import readers
from meterbook.store.compare import MissingRates, Scope, compare
from meterbook.store.compare_save import save_alternative

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    with usage_database(tmp_path, CHAT_CLAUDE_PLANS, WORKED_USAGE, now=NOW, utc=True) as d:
        yield d


def run(db, alternatives=(), **scope):
    with db.engine.connect() as conn:
        return compare(conn, Scope(**scope), readers.load_plans(conn), list(alternatives),
                       readers.home_currency(conn), readers.rates_for(conn))


def charges_checksum(db):
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("""SELECT count(*), sum(charge_nano),
            group_concat(record_id || ':' || charge_nano || ':' || plan_version_id)
            FROM usage_charge""").one()


def test_saved_scenario_is_the_saved_charges(db):
    result = run(db)
    saved = result.scenarios[0]
    # 2.00 + 0.50 + 6.00 + 0.50 + 4.00 = 13.00 over 1+1+2+1+3+1 = 9 requests, 1 unpriced (r4).
    assert (saved.name, saved.cost, saved.requests, saved.unpriced_requests) == (
        "saved", D("13.00"), 9, 1)
    # Conversations c1, c2, c3 (r5 has none): 13.00 / 3.
    assert saved.conversations == 3
    assert saved.cost_per_conversation == D("4.333333333333")
    march, april = saved.months
    # March: r1 r2 r3 = 8.50, conversations c1 c2 c3 -> 8.50 / 3; April: r5 r6 = 4.50, c2 only.
    assert (march.month, march.cost, march.conversations) == ("2026-03", D("8.50"), 3)
    assert (april.month, april.cost, april.cost_per_conversation) == ("2026-04", D("4.50"),
                                                                      D("4.5"))


def test_a_flat_plan_at_the_break_even_price_costs_what_the_saved_plans_cost(db):
    result = run(db, vendor="openai")
    gpt4o, mini = result.model("openai", "gpt-4o"), result.model("openai", "gpt-4o-mini")
    # gpt-4o: r1 2.00 + r5 0.50 = 2.50 over 1 + 3 requests = 0.625; mini: 0.50 / 1 = 0.50.
    assert (gpt4o.break_even.requests, gpt4o.break_even.cost, gpt4o.break_even.price) == (
        4, D("2.50"), D("0.625"))
    assert mini.break_even.price == D("0.5")
    flat = checked("flat", [
        *flat_per_request("openai", gpt4o.break_even.price, model="gpt-4o").plans,
        *flat_per_request("openai", mini.break_even.price, model="gpt-4o-mini").plans])
    saved, alternative = run(db, [flat], vendor="openai").scenarios
    assert saved.cost == alternative.cost == D("3.00")  # 2.50 + 0.50
    assert (alternative.difference, alternative.difference_percent) == (D(0), D("0.00"))


def test_subsidy_of_a_flat_price_on_small_and_large_records(db):
    m = run(db, vendor="openai").model("openai", "gpt-4o")
    # Flat 0.625: r1 (1 request, 2.00) pays 0.625, 1.375 below its cost; r5 (3 requests,
    # 0.50) pays 1.875, 1.375 above: 3 of 4 requests pay more, 1.375 moves.
    assert (m.flat.paying_more, m.flat.requests, m.flat.share_paying_more) == (3, 4, D("0.75"))
    assert m.flat.paid_more == m.flat.paid_less == D("1.375")
    # Per request: r1 2.00, r5 0.50 / 3 = 0.166666667 (to nano); the median of two is their
    # mean: 2.166666667 / 2.
    assert m.spread.largest == D("2")
    assert m.spread.median == D("1.0833333335")


def test_compare_never_changes_saved_charges(db):
    before = charges_checksum(db)
    run(db, [per_token("openai", D("1"), D("1"), token_unit=1000),
             fee_with_included("openai", D("10"), 2, D("0.40"))])
    assert charges_checksum(db) == before
    assert before[0] == 5  # five priced records: the checksum is over something


# Free for 2 days from 2026-03-01, 10.00 a month, the first 2 requests of a month free and
# then 0.40 each (priority 1: once saved it wins over Chat).
TRIAL = Plan(name="Trial", vendor="openai", priority=1, effective_from=datetime(2026, 3, 1,
             tzinfo=UTC), free_trial_days=2, monthly_fee=D("10"), volume=Volume(
                 "requests", "graduated", (VolumeTier(D("0"), 2), VolumeTier(D("0.40")))))


def test_trial_fee_and_volume_tiers_price_the_same_as_an_alternative_and_saved(db):
    alternative = checked("trial", [TRIAL])
    as_alternative = run(db, [alternative], vendor="openai").scenarios[1]
    # r1 and r2 fall in the trial: 0. r5 (3 requests in April): 2 free, 1 x 0.40 = 0.40.
    # Fees: March pays 29 of 31 days: 10 x 29 / 31 = 9.354838710 (to nano); April 10.
    assert as_alternative.usage_cost == D("0.40")
    assert as_alternative.fixed_cost == D("19.354838710")
    save_alternative(db, alternative)
    saved = run(db, vendor="openai").scenarios[0]
    assert (saved.usage_cost, saved.fixed_cost) == (as_alternative.usage_cost,
                                                    as_alternative.fixed_cost)


def test_an_empty_scope_has_no_records_and_no_break_even(db):
    result = run(db, vendor="nobody")
    assert result.empty and result.models == []
    assert result.scenarios[0].cost_per_request is None  # never 0


def test_a_model_with_only_unpriced_requests_has_no_break_even(db):
    m = run(db, vendor="mistral").model("mistral", "mistral-large")
    assert m.break_even.requests == 0 and m.break_even.price is None


def test_an_alternative_in_a_currency_without_rates_names_it_and_the_months(db):
    euro = checked("euro", [Plan(name="Euro", vendor="openai", currency="EUR", request=D(1))])
    with pytest.raises(MissingRates) as caught:
        run(db, [euro])
    # r1 r2 in March, r5 in April: both months lack a EUR rate.
    assert "EUR from 2026-03 to 2026-04" in str(caught.value)


def test_per_request_costs_for_the_histogram(db):
    flat = flat_per_request("openai", D("0.10"))
    m = run(db, [flat], vendor="openai").model("openai", "gpt-4o")
    # Saved: r1 2.00, r5 0.50 / 3 (to nano); under the flat plan every request 0.10.
    assert sorted(m.request_costs("saved")) == [D("0.166666667"), D("2")]
    assert m.request_costs(flat.name) == [D("0.1"), D("0.1")]


def test_quick_forms_price_as_the_same_plans_saved(db):
    # openai: r1 03-01 (1 request), r2 03-02 (1), r5 04-01 (3 requests).
    tiers = volume_tiered("openai", [(2, D("0.30")), (None, D("0.10"))])
    fee = fee_with_included("openai", D("3"), 2, D("0.40"))
    _, tiered, included = run(db, [tiers, fee], vendor="openai").scenarios
    # Graduated per billing month: March r1 r2 are the first 2 requests: 2 x 0.30 = 0.60;
    # April r5's 3 requests: 2 x 0.30 + 1 x 0.10 = 0.70. 1.30 in all.
    assert (tiered.usage_cost, tiered.fixed_cost) == (D("1.30"), D(0))
    # 2 requests included a month: March free; April 1 x 0.40; 3.00 a month for 2 months.
    assert (included.usage_cost, included.fixed_cost) == (D("0.40"), D("6"))
    save_alternative(db, over_saved(fee, [p for _, p in readers_plans(db)]))
    assert run(db, vendor="openai").scenarios[0].cost == included.cost == D("6.40")


def test_a_quick_form_with_errors_is_refused_with_every_problem():
    with pytest.raises(PlanFileError) as caught:
        volume_tiered("openai", [(5, D("0.30")), (2, D("0.10")), (None, D("-1"))])
    text = str(caught.value)
    assert "up_to" in text and "price" in text  # falling bounds and a negative price


def readers_plans(db):
    with db.engine.connect() as conn:
        return readers.load_plans(conn)


def test_an_alternative_in_another_currency_is_converted_and_its_minimum_counts_its_own_money(
        db):
    from sqlmodel import Session

    from meterbook.store.settings import set_rate

    with Session(db.engine) as session:
        set_rate(session, currency="EUR", month="2026-03", rate="1.10")
        set_rate(session, currency="EUR", month="2026-04", rate="1.20")
        session.commit()
    euro = checked("euro", [Plan(name="Euro", vendor="openai", currency="EUR", request=D(1),
                                 monthly_minimum=D(4))])
    alt = run(db, [euro]).scenarios[1]
    # 1.00 EUR a request. March: r1 + r2 = 2 EUR x 1.10 = 2.20; the minimum tops 2 EUR up to 4:
    # 2 EUR x 1.10 = 2.20. April: r5's 3 requests = 3 EUR x 1.20 = 3.60; top-up 4 - 3 = 1 EUR
    # x 1.20 = 1.20. (The top-up compares euros with euros, not the converted dollars.)
    assert [(m.month, m.usage_cost, m.fixed_cost) for m in alt.months] == [
        ("2026-03", D("2.20"), D("2.20")), ("2026-04", D("3.60"), D("1.20"))]
    assert (alt.usage_cost, alt.fixed_cost, alt.cost) == (D("5.80"), D("2.20") + D("1.20"),
                                                          D("9.20"))
    # Per request, in dollars: r1 and r2 1.10 each, r5 3 EUR / 3 = 1.20 (gpt-4o: r1 and r5).
    gpt4o = run(db, [euro]).model("openai", "gpt-4o")
    assert sorted(gpt4o.request_costs("euro")) == [D("1.1"), D("1.2")]
