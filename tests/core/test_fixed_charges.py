"""Monthly fees and minimum true-ups (pricing-plans.md, "Charges per billing month")."""

from datetime import UTC, datetime
from decimal import Decimal as D

from meterbook.core.fixed_charges import fixed_charges
from meterbook.core.plans import Plan


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_plan_starting_on_the_16th_of_a_30_day_month_pays_half_the_fee():
    plan = Plan(name="seat", vendor="acme", monthly_fee=D("20.00"),
                effective_from=day("2026-04-16"))
    [charge] = fixed_charges([plan], ["2026-04"], {})
    assert (charge.fee, charge.true_up) == (D("10.000000000"), D(0))


def test_whole_months_pay_the_whole_fee_and_months_before_the_plan_nothing():
    plan = Plan(name="seat", vendor="acme", monthly_fee=D("20.00"),
                effective_from=day("2026-04-16"))
    charges = fixed_charges([plan], ["2026-03", "2026-05"], {})
    assert [(c.month, c.fee) for c in charges] == [("2026-05", D("20.000000000"))]


def test_each_version_pays_its_own_fee_on_its_own_days():
    v1 = Plan(name="seat", vendor="acme", monthly_fee=D("31"), effective_from=day("2026-01-01"))
    v2 = Plan(name="seat", vendor="acme", monthly_fee=D("62"), effective_from=day("2026-01-11"))
    # January: 10 days x 31/31 + 21 days x 62/31 = 10 + 42 = 52
    [charge] = fixed_charges([v1, v2], ["2026-01"], {})
    assert charge.fee == D("52.000000000")


def test_true_up_tops_usage_up_to_the_minimum_and_never_below_zero():
    plan = Plan(name="commit", vendor="acme", monthly_minimum=D("50"),
                effective_from=day("2026-01-01"))
    usage = {("commit", "2026-01"): D("31.25"), ("commit", "2026-02"): D("80")}
    charges = fixed_charges([plan], ["2026-01", "2026-02"], usage)
    # January: 50 - 31.25 = 18.75; February: usage above the minimum, no true-up
    assert [(c.month, c.true_up) for c in charges] == [("2026-01", D("18.750000000")),
                                                        ("2026-02", D(0))]


def test_the_minimum_is_prorated_like_the_fee():
    plan = Plan(name="commit", vendor="acme", monthly_minimum=D("30"),
                effective_from=day("2026-04-21"))
    # 10 of 30 days: minimum 10; usage 4 -> true-up 6
    [charge] = fixed_charges([plan], ["2026-04"], {("commit", "2026-04"): D("4")})
    assert charge.true_up == D("6.000000000")


def test_free_trial_days_pay_no_fee():
    plan = Plan(name="seat", vendor="acme", monthly_fee=D("30"), free_trial_days=10,
                effective_from=day("2026-04-01"))
    # April 1-10 are the trial: 20 of 30 days paid = 20
    [charge] = fixed_charges([plan], ["2026-04"], {})
    assert charge.fee == D("20.000000000")


def test_billing_months_follow_the_billing_time_zone():
    # The plan starts at 2026-04-16T00:00Z, which is still April 15 in New York; New York's
    # April 15 did not start with the plan in force, so the first paid day is April 16:
    # 15 days of 30.
    plan = Plan(name="seat", vendor="acme", monthly_fee=D("30"),
                effective_from=day("2026-04-16"), billing_timezone="America/New_York")
    [charge] = fixed_charges([plan], ["2026-04"], {})
    assert charge.fee == D("15.000000000")


def test_a_fee_that_does_not_divide_evenly_is_rounded_once_to_nano_units():
    plan = Plan(name="seat", vendor="acme", monthly_fee=D("20"), effective_from=day("2026-01-17"))
    # 15 of 31 days: 20 x 15/31 = 9.677419354838... -> 9.677419355
    [charge] = fixed_charges([plan], ["2026-01"], {})
    assert charge.fee == D("9.677419355")
