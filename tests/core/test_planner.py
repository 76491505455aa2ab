from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from meterbook.core.plan_form import SampleRequest
from meterbook.core.planner import Forecast, plan_budget, synthetic_rows
from meterbook.core.plans import Plan, SizeTier, Volume, VolumeTier
from meterbook.core.pricing import price_rows
from meterbook.core.records import PricingRow, to_epoch_us

# Team: per million tokens 1.00 in and 2.00 out; a request above 2,000 input tokens pays 2.00 in
# and 4.00 out for all of it; requests are graduated per month: the first 1,000 at 0.01, the rest
# at 0.005; 10.00 a month.
TEAM = Plan(
    name="Team", vendor="openai", model="gpt-*", input=D("1.00"), output=D("2.00"),
    size_tiers=(SizeTier(above_input_tokens=2000, input=D("2.00"), output=D("4.00")),),
    volume=Volume("requests", "graduated", (VolumeTier(D("0.01"), 1000), VolumeTier(D("0.005")))),
    monthly_fee=D("10.00"))

SMALL = SampleRequest(input_tokens=1500, output_tokens=200)
LARGE = SampleRequest(input_tokens=2500, output_tokens=200)


def figures(budget):
    return [(m.month, m.requests, m.usage_cost, m.fixed_cost, m.total) for m in budget.months]


def test_a_month_under_the_size_tier_with_graduated_requests_and_the_fee():
    budget = plan_budget([TEAM], Forecast("2026-01", 3100, SMALL, months=1))
    # 3,100 requests x 1,500 in = 4.65M x 1.00 = 4.65; x 200 out = 0.62M x 2.00 = 1.24;
    # requests 1,000 x 0.01 + 2,100 x 0.005 = 10.00 + 10.50 = 20.50. Usage 26.39, fee 10.00.
    assert figures(budget) == [("2026-01", 3100, D("26.39"), D("10.00"), D("36.39"))]
    assert (budget.plan, budget.currency, budget.total) == ("Team", "USD", D("36.39"))


def test_requests_above_the_size_tier_pay_the_tiers_prices():
    budget = plan_budget([TEAM], Forecast("2026-01", 3100, LARGE, months=1))
    # 3,100 x 2,500 = 7.75M x 2.00 = 15.50; 0.62M out x 4.00 = 2.48; requests 20.50: 38.48.
    assert figures(budget) == [("2026-01", 3100, D("38.48"), D("10.00"), D("48.48"))]


def test_growth_compounds_and_seasonal_factors_scale_their_calendar_month():
    forecast = Forecast("2026-01", 3100, SMALL, growth=D("0.10"), seasonal={2: D(2)}, months=3)
    # January 3,100; February 3,100 x 1.1 x 2 = 6,820; March 3,100 x 1.1^2 = 3,751.
    # February: 6,820 x 1,500 = 10.23M x 1.00 = 10.23; 1.364M out x 2.00 = 2.728; requests
    #   1,000 x 0.01 + 5,820 x 0.005 = 39.10 (the tiers start again each month): 52.058.
    # March: 3,751 x 1,500 = 5.6265M = 5.6265; 0.7502M out x 2 = 1.5004; requests 10.00 +
    #   2,751 x 0.005 = 10.00 + 13.755 = 23.755: 30.8819.
    assert figures(plan_budget([TEAM], forecast)) == [
        ("2026-01", 3100, D("26.39"), D("10.00"), D("36.39")),
        ("2026-02", 6820, D("52.058"), D("10.00"), D("62.058")),
        ("2026-03", 3751, D("30.8819"), D("10.00"), D("40.8819")),
    ]


def test_a_twelve_month_table_by_default_across_the_new_year():
    budget = plan_budget([TEAM], Forecast("2026-07", 1000, SMALL))
    assert [m.month for m in budget.months] == [
        "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12",
        "2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]
    # No growth: every month 1,000 requests: 1.5M in = 1.50, 0.2M out = 0.40, 1,000 x 0.01 =
    # 10.00: 11.90, and the fee.
    assert {(m.requests, m.usage_cost, m.fixed_cost) for m in budget.months} == {
        (1000, D("11.90"), D("10.00"))}


def test_the_planners_figures_are_the_engines_for_the_same_usage_one_request_at_a_time():
    forecast = Forecast("2026-02", 2000, LARGE, months=1)
    planned = plan_budget([TEAM], forecast).months[0]
    # The same month as 2,000 single requests, spread over February's 28 days, each priced by
    # the engine itself: the same sum.
    start = datetime(2026, 2, 1, tzinfo=UTC)
    meter = ("openai", "gpt-4o", "", "")
    singles = [PricingRow(i, to_epoch_us(start + timedelta(minutes=20 * i)), meter, 1, 2500, 0,
                          0, 200, 0) for i in range(2000)]
    engine_total = sum(charge for charge, _ in price_rows([TEAM], singles))
    assert planned.usage_cost == D(engine_total).scaleb(-9)
    # By hand: 5M in x 2.00 = 10.00; 0.4M out x 4.00 = 1.60; 1,000 x 0.01 + 1,000 x 0.005 =
    # 15.00: 26.60.
    assert planned.usage_cost == D("26.60")
    # The synthetic rows: 2,000 / 28 = 71 a day and 12 over: 72 on the first 12 days.
    rows = synthetic_rows([TEAM], forecast)["2026-02"]
    assert [r.requests for r in rows] == [72] * 12 + [71] * 16
    assert rows[0].input_tokens == 72 * 2500


def test_a_free_trial_makes_its_days_free_and_prorates_the_fee():
    trial = replace(TEAM, effective_from=datetime(2026, 1, 1, tzinfo=UTC), free_trial_days=10)
    budget = plan_budget([trial], Forecast("2026-01", 3100, SMALL, months=1))
    # 100 requests a day; January 1st-10th are free, so 21 days x 100 = 2,100 are paid, and
    # they alone climb the volume tiers: 1,000 x 0.01 + 1,100 x 0.005 = 15.50; 2,100 x 1,500 =
    # 3.15M in = 3.15; 0.42M out x 2 = 0.84: 19.49. The fee is for 21 of 31 days: 10.00 x 21 /
    # 31 = 6.774193548 (to nano-units).
    assert figures(budget) == [("2026-01", 3100, D("19.49"), D("6.774193548"),
                                D("26.264193548"))]


def test_a_later_version_prices_the_months_it_is_in_force():
    cheaper = replace(TEAM, effective_from=datetime(2026, 2, 1, tzinfo=UTC), input=D("0.50"),
                      monthly_fee=D(0))
    budget = plan_budget([TEAM, cheaper], Forecast("2026-01", 3100, SMALL, months=2))
    # February: 3,100 requests again (no growth), priced by the version from February 1st:
    # input 4.65M x 0.50 = 2.325; out 1.24; requests 10.00 + 2,100 x 0.005 = 20.50: 24.065,
    # and no fee.
    assert figures(budget)[1] == ("2026-02", 3100, D("24.065"), D(0), D("24.065"))


def test_a_plan_priced_per_unit_takes_the_typical_units_of_a_request():
    # Images: 0.04 per 1,000 units and 0.50 a request.
    images = Plan(name="Images", vendor="google", model="imagen", unit_price=D("0.04"),
                  unit_size=1000, request=D("0.50"))
    budget = plan_budget([images], Forecast("2026-04", 1000, SampleRequest(units=D("2500.5")),
                                            months=1))
    # 1,000 requests x 2,500.5 units = 2,500,500 units / 1,000 x 0.04 = 100.02; 1,000 x 0.50 =
    # 500.00: 600.02, no fee.
    assert figures(budget) == [("2026-04", 1000, D("600.02"), D(0), D("600.02"))]


def test_impossible_forecasts_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="above -100%"):
        Forecast("2026-01", 100, SMALL, growth=D(-1))
    with pytest.raises(ValueError, match="months are 1 to 12"):
        Forecast("2026-01", 100, SMALL, seasonal={13: D(2)})
    with pytest.raises(ValueError, match="cannot be negative"):
        Forecast("2026-01", -5, SMALL)
    with pytest.raises(ValueError, match="not a month"):
        Forecast("2026-13", 100, SMALL)
    with pytest.raises(ValueError, match="output tokens cannot be negative"):
        Forecast("2026-01", 100, SampleRequest(output_tokens=-1))
