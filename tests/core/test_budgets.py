"""Budget rules: the days a period covers, and the values a budget refuses (issue 8)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

import pytest

from meterbook.core.budgets import (
    Budget,
    BudgetError,
    parse_amount,
    parse_thresholds,
    period_bounds,
    refuse_duplicate,
    threshold_amount,
)  # fmt: skip


@pytest.mark.parametrize(("period", "year", "month", "first", "last"), [
    ("month", 2026, 2, date(2026, 2, 1), date(2026, 2, 28)),
    ("month", 2028, 2, date(2028, 2, 1), date(2028, 2, 29)),  # a leap year
    ("quarter", 2026, 5, date(2026, 4, 1), date(2026, 6, 30)),  # May is in Q2
    ("quarter", 2026, 12, date(2026, 10, 1), date(2026, 12, 31)),
    ("year", 2026, 7, date(2026, 1, 1), date(2026, 12, 31)),
])
def test_a_period_is_the_calendar_month_quarter_or_year_holding_the_month(
        period, year, month, first, last):
    assert period_bounds(period, year, month) == (first, last)


def test_defaults_are_a_month_over_everything_alerting_at_50_80_100_and_on_the_forecast():
    b = Budget(name="All AI", amount=D("400"))
    assert (b.period, b.thresholds, b.forecast_alert, b.scope) == (
        "month", (50, 80, 100), True, "everything")
    assert b.shares_fixed_charges


def test_the_scope_matches_vendor_case_insensitively_and_model_project_exactly():
    b = Budget(name="Support", amount=D("50"), vendor="OpenAI", project="support")
    assert b.covers("openai", "gpt-4o", "support")
    assert not b.covers("openai", "gpt-4o", "sales")
    assert not b.covers("anthropic", "claude", "support")
    assert b.scope == "vendor OpenAI, project support"
    # A project's (or model's) budget leaves the vendor's monthly fees out, as cost --by does.
    assert not b.shares_fixed_charges


@pytest.mark.parametrize(("values", "message"), [
    ({"amount": D("0")}, "the amount must be a positive number, not 0"),
    ({"amount": D("-5")}, "the amount must be a positive number, not -5"),
    ({"period": "week"}, "unknown period 'week'; use month, quarter, year"),
    ({"thresholds": (0, 50)}, "alert threshold 0% is outside 1-1000%"),
    ({"thresholds": (50, 1001)}, "alert threshold 1001% is outside 1-1000%"),
    ({"thresholds": (50, 50)}, "an alert threshold is given twice"),
    ({"name": "  "}, "a budget needs a name"),
])
def test_bad_values_are_refused_saying_which_and_why(values, message):
    with pytest.raises(BudgetError, match=re.escape(message)):
        Budget(**{"name": "B", "amount": D("10"), **values})


def test_typed_amounts_and_thresholds():
    assert parse_amount(" 400.50 ") == D("400.50")
    for bad in ("abc", "0", "-3", "1,000"):
        with pytest.raises(BudgetError, match="the amount must be a positive number"):
            parse_amount(bad)
    assert parse_thresholds("100, 50,80%") == (50, 80, 100)
    with pytest.raises(BudgetError, match="alert threshold 'x' is not a whole percentage"):
        parse_thresholds("50,x")
    with pytest.raises(BudgetError, match="alert threshold 2000% is outside 1-1000%"):
        parse_thresholds("50,2000")


def test_a_name_in_use_is_refused_with_the_way_to_change_it():
    with pytest.raises(BudgetError, match=r"a budget named 'All AI' exists already; nothing "
                                          r"was changed\. Add --replace"):
        refuse_duplicate("All AI", ["Other", "All AI"])
    refuse_duplicate("New", ["Other"])  # no error


def test_a_threshold_amount_is_exact():
    # 80% of 33.33 = 26.664 exactly; 125% of 400 = 500
    assert threshold_amount(Budget(name="B", amount=D("33.33")), 80) == D("26.664")
    assert threshold_amount(Budget(name="B", amount=D("400")), 125) == D("500")
