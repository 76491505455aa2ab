from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from tests.helpers import CHAT_CLAUDE_PLANS, usage_database

from meterbook.core.cost import By, MissingRate
from meterbook.core.money import format_exact
from meterbook.core.periods import parse_day, zone
from meterbook.store import readers
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.daily_spend import daily_spend, spikes_between

# Chat (openai gpt-*): 0.50 per 1k in, 2.00 per 1k out, and here 5.00 a month; Claude: 1.00
# per 1k in, 5.00 per 1k out.
PLANS = CHAT_CLAUDE_PLANS.replace('output = "2.00"', 'output = "2.00"\nmonthly_fee = "5.00"')

# openai, by hand:
#   2026-03-01 09:00Z  1,000 in  x 0.50 = 0.50
#   2026-03-01 18:20Z  2,000 in  x 0.50 = 1.00
#   2026-03-01 18:40Z  1,000 out x 2.00 = 2.00
#   2026-03-01 20:00Z    500 out x 2.00 = 1.00
#   2026-03-05 10:00Z  4,000 in  x 0.50 = 2.00
# anthropic: 2026-03-02 12:00Z 1,000 in + 1,000 out = 1.00 + 5.00 = 6.00 computed, but the line
# carries the vendor's bill of 3.00, which `--source auto` takes; 2026-03-03 1,000 in = 1.00.
# mistral: no plan, unpriced.
USAGE = """\
timestamp,vendor,model,requests,input_tokens,output_tokens,billed_cost,currency
2026-03-01T09:00:00Z,openai,gpt-4o,1,1000,0,,
2026-03-01T18:20:00Z,openai,gpt-4o,1,2000,0,,
2026-03-01T18:40:00Z,openai,gpt-4o,1,0,1000,,
2026-03-01T20:00:00Z,openai,gpt-4o,1,0,500,,
2026-03-05T10:00:00Z,openai,gpt-4o,1,4000,0,,
2026-03-02T12:00:00Z,anthropic,claude-haiku,1,1000,1000,3.00,USD
2026-03-03T12:00:00Z,anthropic,claude-haiku,1,1000,0,,
2026-03-04T12:00:00Z,mistral,mistral-large,1,500,100,,
"""

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def test_each_vendors_days_in_utc_take_the_bill_where_there_is_one(tmp_path):
    with usage_database(tmp_path, PLANS, USAGE, utc=True) as db, db.engine.connect() as conn:
        spend = daily_spend(conn, *MARCH)
    # openai March 1st: 0.50 + 1.00 + 2.00 + 1.00 = 4.50; anthropic March 2nd: the bill, 3.00.
    # The Chat plan's 5.00 fee is not a day's usage: it is in no day.
    assert spend == {
        "anthropic": {date(2026, 3, 2): D("3.00"), date(2026, 3, 3): D("1.00")},
        "mistral": {},
        "openai": {date(2026, 3, 1): D("4.50"), date(2026, 3, 5): D("2.00")},
    }


def test_days_are_the_report_zones_whole_hour_and_quarter_hour_zones_alike(tmp_path):
    with usage_database(tmp_path, PLANS, USAGE, utc=True) as db, db.engine.connect() as conn:
        tokyo = daily_spend(conn, *MARCH, "Asia/Tokyo")["openai"]
        kolkata = daily_spend(conn, *MARCH, "Asia/Kolkata")["openai"]
        # The saved report zone (UTC here) when none is given.
        assert daily_spend(conn, *MARCH)["openai"][date(2026, 3, 1)] == D("4.50")
    # Tokyo is UTC+9: 18:20Z, 18:40Z and 20:00Z fall on March 2nd: 1.00 + 2.00 + 1.00 = 4.00.
    assert tokyo == {date(2026, 3, 1): D("0.50"), date(2026, 3, 2): D("4.00"),
                     date(2026, 3, 5): D("2.00")}
    # Kolkata is UTC+5:30 (no hourly rollup fits): 18:20Z is 23:50 on March 1st, 18:40Z and
    # 20:00Z are March 2nd: March 1st 0.50 + 1.00 = 1.50, March 2nd 2.00 + 1.00 = 3.00.
    assert kolkata == {date(2026, 3, 1): D("1.50"), date(2026, 3, 2): D("3.00"),
                       date(2026, 3, 5): D("2.00")}


def test_a_vendors_days_add_up_to_cost_by_vendor_less_the_fixed_charges(tmp_path):
    with usage_database(tmp_path, PLANS, USAGE, utc=True) as db, db.engine.connect() as conn:
        spend = daily_spend(conn, date(2026, 3, 2), date(2026, 3, 31))
        tz = zone("UTC")
        report = run_cost_query(conn, CostQuery(
            by=By.VENDOR, tz=tz, from_us=parse_day("2026-03-02", tz),
            to_us=parse_day("2026-04-01", tz)), readers.load_plans(conn))
    by_vendor = {row.key: (row.usage_cost, row.fixed_cost) for row in report.rows}
    # From March 2nd: openai 2.00 (March 5th), anthropic 3.00 + 1.00 = 4.00; no month starts
    # in the range, so `cost` has no fixed charge either.
    assert {v: sum(days.values(), D(0)) for v, days in spend.items()} == {
        "anthropic": D("4.00"), "mistral": D(0), "openai": D("2.00")}
    assert {v: sum(days.values(), D(0)) for v, days in spend.items()} == {
        v: usage for v, (usage, _) in by_vendor.items()}
    assert all(fixed == 0 for _, fixed in by_vendor.values())


def test_the_days_add_up_to_what_the_cost_command_prints_by_vendor(tmp_path, cli):
    with usage_database(tmp_path, PLANS, USAGE, utc=True) as db, db.engine.connect() as conn:
        spend = daily_spend(conn, date(2026, 3, 2), date(2026, 3, 31))
    printed = cli("cost", "--by", "vendor", "--from", "2026-03-02", "--to", "2026-04-01",
                  "--format", "json", db=tmp_path / "t.db")
    # anthropic 3.00 + 1.00 = 4.00; openai 2.00 on March 5th; mistral unpriced: 0.
    assert {row["key"]: row["cost"] for row in printed.json["rows"]} == {
        "anthropic": "4.000000000", "mistral": "0", "openai": "2.000000000"}
    assert {v: format_exact(sum(days.values(), D(0))) for v, days in spend.items()} == {
        row["key"]: row["cost"] for row in printed.json["rows"]}


def test_over_the_whole_month_cost_by_vendor_adds_the_fee(tmp_path):
    with usage_database(tmp_path, PLANS, USAGE, utc=True) as db, db.engine.connect() as conn:
        spend = daily_spend(conn, *MARCH)
        tz = zone("UTC")
        report = run_cost_query(conn, CostQuery(
            by=By.VENDOR, tz=tz, from_us=parse_day("2026-03-01", tz),
            to_us=parse_day("2026-04-01", tz)), readers.load_plans(conn))
    costs = {row.key: row.cost for row in report.rows}
    # openai: 4.50 + 2.00 = 6.50 of usage; `cost` adds Chat's 5.00 fee: 11.50.
    assert sum(spend["openai"].values(), D(0)) == D("6.50")
    assert costs["openai"] == D("11.50") == sum(spend["openai"].values(), D(0)) + D("5.00")
    assert costs["anthropic"] == sum(spend["anthropic"].values(), D(0)) == D("4.00")


FOREIGN_BILL = """\
timestamp,vendor,model,requests,input_tokens,output_tokens,billed_cost,currency
2026-03-02T12:00:00Z,anthropic,claude-haiku,1,1000,1000,3.00,EUR
2026-03-02T12:00:00Z,openai,gpt-4o,1,1000,0,,
"""


def test_a_bill_in_another_currency_needs_its_months_rate(tmp_path):
    with usage_database(tmp_path, PLANS, FOREIGN_BILL, utc=True) as db, \
            db.engine.connect() as conn:
        with pytest.raises(MissingRate, match="EUR in 2026-03"):
            daily_spend(conn, *MARCH)
        lacking: set[str] = set()
        # The vendor whose money cannot be converted is left out, and named.
        assert daily_spend(conn, *MARCH, lacking_rates=lacking) == {
            "openai": {date(2026, 3, 2): D("0.50")}}
        assert lacking == {"anthropic"}


def spike_usage() -> str:
    """openai: 1,000 output tokens (2.00) on each day of March 2026 except the 30th, which has
    10,000 (20.00); April 1st 1,000 again."""
    lines = ["timestamp,vendor,model,requests,input_tokens,output_tokens"]
    day = date(2026, 3, 1)
    while day <= date(2026, 4, 1):
        out = 10_000 if day == date(2026, 3, 30) else 1000
        lines.append(f"{day}T10:00:00Z,openai,gpt-4o,1,0,{out}")
        day += timedelta(days=1)
    return "\n".join(lines) + "\n"


def test_spikes_between_finds_the_runaway_day_and_not_the_fee_day(tmp_path):
    with usage_database(tmp_path, PLANS, spike_usage(), utc=True) as db:
        spikes = spikes_between(db, date(2026, 3, 29), date(2026, 4, 1))
        before = spikes_between(db, date(2026, 3, 1), date(2026, 3, 29))
    # March 30th: the 28 days before at 2.00: median 2.00, MAD 0, limit max(2 + 0, 3 x 2, 1) = 6,
    # and 20.00 beats it. April 1st costs 2.00 of usage (7.00 if the 5.00 fee were counted,
    # which would beat 6): no spike.
    assert [(s.vendor, s.day, s.amount, s.norm, s.limit) for s in spikes] == [
        ("openai", date(2026, 3, 30), D("20.00"), D("2.00"), D("6.00"))]
    assert before == []
