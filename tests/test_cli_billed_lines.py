"""`meterbook cost --source computed` over billed cost lines only: an explanation, not 0.00.

tests/data/anthropic/cost_feb_mar.csv holds five billed lines (0.07+0.09+0.03+0.75 in
February, 3.30 in March: 4.24), no tokens: nothing for a plan to compute.
"""

from __future__ import annotations

from pathlib import Path

COST_EXPORT = Path(__file__).parent / "data" / "anthropic" / "cost_feb_mar.csv"
USAGE = """\
timestamp,vendor,model,requests,input_tokens
2026-02-20T10:00:00Z,openai,gpt-4o,1,1000
"""


def test_computed_over_billed_lines_only_says_why_nothing_was_computed(cli):
    assert cli("import", str(COST_EXPORT)).code == 0
    result = cli("cost", "--source", "computed")
    assert result.code == 0  # a valid question, answered: not a refusal
    assert "0.00" not in result.out and "TOTAL" not in result.out
    assert result.out.startswith("No usage charge was computed: every record in this period "
                                 "(5) is a billed cost line")
    assert "billed 4.24 USD in all" in result.out  # 0.94 + 3.30
    assert "--source auto" in result.out
    # One month: March's single line (3.30)
    march = cli("cost", "--source", "computed", "--month", "2026-03")
    assert "every record in this period (1)" in march.out and "billed 3.30 USD" in march.out
    # JSON keeps its contract for scripts; the explanation goes to stderr
    as_json = cli("cost", "--source", "computed", "--format", "json")
    assert as_json.code == 0 and as_json.json["total"]["cost"] == "0"
    assert "No usage charge was computed" in as_json.err
    # auto still shows the bills
    assert "4.24" in cli("cost").out


def test_computed_with_token_usage_beside_the_bills_is_a_table(cli, tmp_path):
    assert cli("import", str(COST_EXPORT)).code == 0
    path = tmp_path / "usage.csv"
    path.write_text(USAGE, encoding="utf-8")
    assert cli("import", str(path)).code == 0
    result = cli("cost", "--source", "computed")
    # 1 request with tokens but no plan: a table that says it is unpriced, no explanation
    assert "No usage charge was computed" not in result.out and "TOTAL" in result.out
    assert "1 request unpriced" in result.out


def test_computed_over_billed_lines_with_a_monthly_fee_shows_the_fee_and_says_why(cli,
                                                                                  tmp_path):
    plans = tmp_path / "plans.toml"
    plans.write_text('[[plan]]\nname = "Console"\nvendor = "anthropic"\nrequest = "0"\n'
                     'monthly_fee = "5.00"\n', encoding="utf-8")
    assert cli("plans", "import", str(plans)).code == 0
    assert cli("import", str(COST_EXPORT)).code == 0
    result = cli("cost", "--source", "computed", "--month", "2026-03")
    # March: the plan's 5.00 fee is computed; the 3.30 line is billed, not computed
    assert result.code == 0 and "TOTAL" in result.out and "5.00" in result.out
    assert "every record in this period (1) is a billed cost line" in result.out
