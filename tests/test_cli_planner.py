"""`meterbook plan-budget`: a year of projected cost under a saved plan, table and JSON."""

from __future__ import annotations

from tests.test_cli import write

# Team: per million tokens 1.00 in and 2.00 out, 2.00 and 4.00 for a request above 2,000 input
# tokens; requests graduated per month, the first 1,000 at 0.01 and the rest at 0.005; 10.00 a
# month.
TEAM = """\
[[plan]]
name = "Team"
vendor = "openai"
model = "gpt-*"
input = "1.00"
output = "2.00"
monthly_fee = "10.00"

[[plan.size_tiers]]
above_input_tokens = 2000
input = "2.00"
output = "4.00"

[plan.volume]
meter = "requests"
mode = "graduated"
tiers = [ { up_to = 1000, price = "0.01" }, { price = "0.005" } ]
"""


def test_plan_budget_json_gives_each_months_cost_with_growth_and_seasons(cli, tmp_path):
    assert cli("plans", "import", write(tmp_path, "team.toml", TEAM)).code == 0
    result = cli("plan-budget", "--plan", "Team", "--requests", "3100", "--input-tokens",
                 "1500", "--output-tokens", "200", "--growth", "10", "--season", "2=2",
                 "--from", "2026-01", "--months", "3", "--format", "json")
    assert result.code == 0, result.err
    doc = result.json
    # January 3,100 requests: 4.65M in x 1.00 = 4.65; 0.62M out x 2.00 = 1.24; requests
    #   1,000 x 0.01 + 2,100 x 0.005 = 20.50: 26.39, + 10.00 fee = 36.39.
    # February 3,100 x 1.1 x 2 = 6,820: 10.23 + 2.728 + (10.00 + 5,820 x 0.005 = 39.10) =
    #   52.058, + 10.00 = 62.058.
    # March 3,100 x 1.1^2 = 3,751: 5.6265 + 1.5004 + (10.00 + 2,751 x 0.005 = 23.755) =
    #   30.8819, + 10.00 = 40.8819. Total 36.39 + 62.058 + 40.8819 = 139.3299.
    assert [(m["month"], m["requests"], m["usage_cost"], m["fixed_cost"], m["cost"])
            for m in doc["months"]] == [
        ("2026-01", 3100, "26.390000000", "10.000000000", "36.390000000"),
        ("2026-02", 6820, "52.058000000", "10.000000000", "62.058000000"),
        ("2026-03", 3751, "30.881900000", "10.000000000", "40.881900000")]
    assert (doc["plan"], doc["currency"], doc["total"]) == ("Team", "USD", "139.329900000")
    assert doc["seasonal"] == {"2": "2"}


def test_plan_budget_table_has_twelve_months_and_a_total(cli, tmp_path):
    cli("plans", "import", write(tmp_path, "team.toml", TEAM))
    result = cli("plan-budget", "--plan", "Team", "--requests", "1000", "--input-tokens",
                 "1500", "--output-tokens", "200", "--from", "2026-07")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Projected cost in USD under plan 'Team'"
    months = [line.split()[0] for line in lines if line[:4] in ("2026", "2027")]
    assert months[0] == "2026-07" and months[-1] == "2027-06" and len(months) == 12
    # Every month: 1.50 in + 0.40 out + 1,000 x 0.01 = 11.90, + 10.00 = 21.90; a year 262.80.
    assert lines[4].split() == ["2026-07", "1,000", "11.90", "10.00", "21.90"]
    assert lines[-1].split() == [
        "TOTAL", "12,000", "142.80", "120.00", "262.80"]


def test_plan_budget_refuses_an_unknown_plan_and_bad_figures(cli, tmp_path):
    cli("plans", "import", write(tmp_path, "team.toml", TEAM))
    unknown = cli("plan-budget", "--plan", "Nope", "--requests", "10", "--from", "2026-01")
    assert unknown.code == 1
    assert "no saved plan is named 'Nope' (saved plans: Team)" in unknown.err
    shrinking = cli("plan-budget", "--plan", "Team", "--requests", "10", "--growth", "-100",
                    "--from", "2026-01")
    assert shrinking.code == 1 and "must be above -100%" in shrinking.err
    season = cli("plan-budget", "--plan", "Team", "--requests", "10", "--season", "13=2")
    assert season.code == 2 and "expected MONTH=FACTOR with a month 1-12" in season.err
    negative = cli("plan-budget", "--plan", "Team", "--requests", "-5")
    assert negative.code == 2 and "not a whole number" in negative.err
