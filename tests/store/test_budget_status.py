"""A budget's spent, crossing times and cumulative spend (store/budget_status.py), worked out by
hand, and spent checked against the `cost` query for the same period and scope."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from tests.helpers import ANTHROPIC_COST_FEBRUARY, CHAT_FEE_PLANS, import_text, usage_database

from meterbook.core.budgets import Budget
from meterbook.core.periods import parse_day, zone
from meterbook.store import readers
from meterbook.store.budget_status import budget_status
from meterbook.store.cost_query import CostQuery, run_cost_query

# Chat (openai gpt-*): 0.50 per 1k input, 2.00 per 1k output, 5.00 a month.
#   r1 03-02 10:00  2,000 in x 0.50 + 500 out x 2.00 = 1.00 + 1.00 = 2.00  (support)
#   r2 03-05 09:15  4,000 in x 0.50                          = 2.00
#   r3 03-05 09:40  1,000 out x 2.00                         = 2.00  (same hour as r2)
#   r4 03-20 16:00  2,000 in x 0.50 + 1,000 out x 2.00 = 1.00 + 2.00 = 3.00  (support)
#   m1 03-21 08:00  mistral: no plan, unpriced (never counted as 0, never counted at all)
MARCH = """\
timestamp,vendor,model,request_id,project,input_tokens,output_tokens
2026-03-02T10:00:00Z,openai,gpt-4o,r1,support,2000,500
2026-03-05T09:15:00Z,openai,gpt-4o,r2,,4000,0
2026-03-05T09:40:00Z,openai,gpt-4o,r3,,0,1000
2026-03-20T16:00:00Z,openai,gpt-4o-mini,r4,support,2000,1000
2026-03-21T08:00:00Z,mistral,mistral-large,m1,,1000,1000
"""
NOW = datetime(2026, 4, 2, tzinfo=UTC)


def status(db, budgets, year=2026, month=3, today=date(2026, 4, 2)):
    return budget_status(db, year, month, today, "UTC",
                         [(n, b) for n, b in enumerate(budgets, start=1)]).budgets


def cost_rows(db, first: str, after: str, by: str):
    tz = zone("UTC")
    with db.engine.connect() as conn:
        report = run_cost_query(conn, CostQuery(
            by=by, tz=tz, from_us=parse_day(first, tz), to_us=parse_day(after, tz),
            home_currency=readers.home_currency(conn), rates=readers.rates_for(conn)),
            readers.load_plans(conn))
    return {r.key: r.cost for r in report.rows}, report.total.cost


def test_thresholds_cross_at_the_record_that_reaches_them_fixed_charges_first(tmp_path):
    with usage_database(tmp_path, CHAT_FEE_PLANS, MARCH, now=NOW, utc=True) as db:
        [f] = status(db, [Budget(name="Chat", amount=D("20"), thresholds=(25, 50, 80, 100))])
    # Running total: the 5.00 fee at March 1st 00:00, then 7 (r1), 9 (r2), 11 (r3), 14 (r4).
    # 25% = 5.00: reached by the fee alone, at the month's first instant;
    # 50% = 10.00: r2 brings 9, r3 11: r3, inside the hour r2 also falls in;
    # 80% = 16.00 and 100% = 20.00: not reached.
    assert [(c.threshold, c.crossed_at) for c in f.crossings] == [
        (25, datetime(2026, 3, 1, tzinfo=UTC)),
        (50, datetime(2026, 3, 5, 9, 40, tzinfo=UTC))]
    assert f.spent == D("14")
    assert f.percent == D("70.00")  # 14 / 20
    assert (f.first, f.last) == (date(2026, 3, 1), date(2026, 3, 31))
    assert f.forecast.value == f.spent  # March is over on April 2nd


def test_spent_equals_cost_for_the_same_period_and_scope(tmp_path):
    with usage_database(tmp_path, CHAT_FEE_PLANS, MARCH, now=NOW, utc=True) as db:
        import_text(db, tmp_path, ANTHROPIC_COST_FEBRUARY, "feb.csv", now=NOW)
        everything, openai, support, model = status(db, [
            Budget(name="All", amount=D("100")),
            Budget(name="OpenAI", amount=D("100"), vendor="OpenAI"),
            Budget(name="Support", amount=D("100"), project="support"),
            Budget(name="4o", amount=D("100"), model="gpt-4o")])
        vendors, total = cost_rows(db, "2026-03-01", "2026-04-01", "vendor")
        projects, _ = cost_rows(db, "2026-03-01", "2026-04-01", "project")
        models, _ = cost_rows(db, "2026-03-01", "2026-04-01", "model")
        [february] = status(db, [Budget(name="All", amount=D("100"))], month=2)
        _, february_total = cost_rows(db, "2026-02-01", "2026-03-01", "vendor")
    assert everything.spent == total == D("14")  # 9 of usage + the 5.00 fee
    assert openai.spent == vendors["openai"] == D("14")
    # A project's budget and cost --by project leave the fee out: r1 + r4 = 2 + 3 = 5
    assert support.spent == projects["support"] == D("5")
    assert model.spent == models["gpt-4o"] == D("6")  # r1 + r2 + r3, no fee
    # February: the vendor's bills (0.07 + 0.09 + 2.10 = 2.26) and Chat's fee 5.00
    assert february.spent == february_total == D("7.26")


def test_the_cumulative_series_runs_day_by_day_to_today(tmp_path):
    with usage_database(tmp_path, CHAT_FEE_PLANS, MARCH, now=NOW, utc=True) as db:
        [f] = status(db, [Budget(name="Chat", amount=D("20"))], today=date(2026, 3, 6))
    # fee 5 on the 1st; +2 on the 2nd (r1); +4 on the 5th (r2, r3); stops at today, the 6th
    assert f.cumulative == [(date(2026, 3, 1), D(5)), (date(2026, 3, 2), D(7)),
                            (date(2026, 3, 3), D(7)), (date(2026, 3, 4), D(7)),
                            (date(2026, 3, 5), D(11)), (date(2026, 3, 6), D(11))]
    # Spent so far counts records dated after today too, as `cost` does for the month.
    assert f.spent == D("14")
    assert f.forecast.reason == "too little history: 4 days of spend, 7 needed"


def test_a_month_without_usage_gives_the_budgets_with_nothing_spent(tmp_path):
    with usage_database(tmp_path, None, MARCH, now=NOW, utc=True) as db:  # no plans, no fees
        [f] = status(db, [Budget(name="All", amount=D("50"), period="quarter")], month=8)
    assert (f.spent, f.percent, f.crossings) == (D(0), D("0.00"), ())
    assert (f.first, f.last) == (date(2026, 7, 1), date(2026, 9, 30))


def test_a_quarter_counts_each_months_fee_at_that_months_first_instant(tmp_path):
    april = "timestamp,vendor,model,request_id,input_tokens\n" \
            "2026-04-10T12:00:00Z,openai,gpt-4o,a1,2000\n"  # 2,000 x 0.50/1k = 1.00
    with usage_database(tmp_path, CHAT_FEE_PLANS, MARCH, now=NOW, utc=True) as db:
        import_text(db, tmp_path, april, "april.csv", now=NOW)
        [f] = status(db, [Budget(name="Q2", amount=D("12"), period="quarter",
                                 thresholds=(40, 50, 100))], month=5, today=date(2026, 7, 1))
    # April 5 (fee) + 1 (a1) + May 5 + June 5 = 16. 40% = 4.80: April's fee at April 1st;
    # 50% = 6.00: a1 brings 6.00 exactly (reached counts); 100% = 12.00: June's fee (6+5=11 in
    # May, then 16 at June 1st).
    assert f.spent == D("16")
    assert [(c.threshold, c.crossed_at) for c in f.crossings] == [
        (40, datetime(2026, 4, 1, tzinfo=UTC)),
        (50, datetime(2026, 4, 10, 12, tzinfo=UTC)),
        (100, datetime(2026, 6, 1, tzinfo=UTC))]


def test_days_and_crossings_follow_a_half_hour_zone(tmp_path):
    # Asia/Kolkata is UTC+5:30: r3 (09:40 UTC) is 15:10 local on March 5th; the month starts
    # at February 28th 18:30 UTC.
    with usage_database(tmp_path, CHAT_FEE_PLANS, MARCH, now=NOW) as db:
        f = budget_status(db, 2026, 3, date(2026, 4, 2), "Asia/Kolkata",
                          [(1, Budget(name="Chat", amount=D("20"), thresholds=(25, 50)))]
                          ).budgets[0]
    assert [(c.threshold, c.crossed_at) for c in f.crossings] == [
        (25, datetime(2026, 2, 28, 18, 30, tzinfo=UTC)),
        (50, datetime(2026, 3, 5, 9, 40, tzinfo=UTC))]
    assert f.spent == D("14")
