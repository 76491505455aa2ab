"""`meterbook budget ...` driven in-process: set, list, remove, status (table and the JSON of
cli.md), --fail-on-alert, acknowledge and forecast settings; bad input refused with nothing
changed. The clock is fixed (commands_budget.clock and alerts.clock)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from meterbook import commands_budget
from meterbook.store import alerts
from tests.helpers import CHAT_FEE_PLANS

# Chat: 0.50 per 1k in, 2.00 per 1k out, 5.00 a month. January 2026:
#   r1 01-02 10:00  2,000 in + 500 out = 1.00 + 1.00 = 2.00   (7.00 with the fee)
#   r2 01-05 09:15  4,000 in           = 2.00                 (9.00)
#   r3 01-05 09:40  1,000 out          = 2.00                 (11.00)
USAGE = """\
timestamp,vendor,model,request_id,project,input_tokens,output_tokens
2026-01-02T10:00:00Z,openai,gpt-4o,r1,support,2000,500
2026-01-05T09:15:00Z,openai,gpt-4o,r2,,4000,0
2026-01-05T09:40:00Z,openai,gpt-4o,r3,,0,1000
"""
NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)


@pytest.fixture
def books(cli, tmp_path, monkeypatch):
    """A database with Chat's plan and January's usage; the clock at February 10th."""
    monkeypatch.setattr(commands_budget, "clock", lambda: NOW)
    monkeypatch.setattr(alerts, "clock", lambda: NOW)
    (tmp_path / "plans.toml").write_text(CHAT_FEE_PLANS, encoding="utf-8")
    (tmp_path / "usage.csv").write_text(USAGE, encoding="utf-8")
    assert cli("plans", "import", str(tmp_path / "plans.toml")).code == 0
    assert cli("import", str(tmp_path / "usage.csv")).code == 0
    return cli


def test_status_json_is_exactly_as_cli_md(books):
    assert books("budget", "set", "All AI", "--amount", "20").code == 0
    result = books("budget", "status", "--month", "2026-01", "--format", "json")
    assert result.code == 0
    # 20.00: 50% = 10.00 reached by r3 (11.00); 80% = 16.00 not reached. January is over on
    # February 10th: the forecast is what was spent, 11.00 (6.00 of usage + the 5.00 fee).
    assert result.json == {
        "month": "2026-01", "currency": "USD",
        "budgets": [{"name": "All AI", "amount": "20.00", "period": "month", "vendor": None,
                     "project": None, "spent": "11.000000000", "percent": "55.00",
                     "forecast": "11.000000000",
                     "alerts": [{"threshold": 50, "crossed_at": "2026-01-05T09:40:00Z"}]}],
        "spikes": []}  # three records: no norm to be far above


def test_spent_in_status_equals_cost_for_the_month_and_vendor(books):
    books("budget", "set", "OpenAI", "--amount", "100", "--vendor", "openai")
    status = books("budget", "status", "--month", "2026-01", "--format", "json").json
    cost = books("cost", "--by", "vendor", "--month", "2026-01", "--format", "json").json
    [openai] = [r for r in cost["rows"] if r["key"] == "openai"]
    assert status["budgets"][0]["spent"] == openai["cost"] == "11.000000000"


def test_a_month_without_usage_lists_the_budgets_with_nothing_spent(books):
    # (Scoped to a project: Chat's monthly fee, owed every month, is in no project's spend.)
    books("budget", "set", "Support", "--amount", "20", "--period", "quarter", "--project",
          "support")
    result = books("budget", "status", "--month", "2025-08", "--format", "json")
    assert result.code == 0
    [b] = result.json["budgets"]
    assert (b["spent"], b["percent"], b["alerts"], b["period"]) == ("0", "0.00", [], "quarter")


def test_fail_on_alert_exits_3_while_an_alert_waits_and_0_once_acknowledged(books):
    books("budget", "set", "Small", "--amount", "20", "--alerts", "50")
    waiting = books("budget", "status", "--month", "2026-01", "--fail-on-alert")
    assert waiting.code == 3
    assert "#1 Small: 50% of the budget reached on 2026-01-05 09:40 UTC" in waiting.out
    assert books("budget", "status", "--month", "2026-01").code == 0  # without the option
    assert books("budget", "acknowledge", "1").code == 0
    assert books("budget", "status", "--month", "2026-01", "--fail-on-alert").code == 0


def test_acknowledge_all_and_an_unknown_alert(books):
    # Saving the budget checks alerts: January's 50% (the 5.00 fee alone) and 100% (r3 takes
    # 9.00 to 11.00), and February's 50%: its fee, owed from February 1st (today the 10th).
    books("budget", "set", "Small", "--amount", "10", "--alerts", "50,100")
    unknown = books("budget", "acknowledge", "99")
    assert unknown.code == 1 and "no standing, unacknowledged alert #99" in unknown.err
    done = books("budget", "acknowledge", "--all")
    assert (done.code, done.out.strip()) == (0, "3 alerts acknowledged")
    assert books("budget", "status", "--fail-on-alert").code == 0


def test_set_list_replace_and_remove(books):
    books("budget", "set", "Support", "--amount", "50.5", "--project", "support",
          "--alerts", "80,100", "--no-forecast-alert")
    listed = books("budget", "list", "--format", "json").json
    assert listed == {"currency": "USD", "budgets": [{
        "name": "Support", "amount": "50.50", "period": "month", "vendor": None,
        "model": None, "project": "support", "thresholds": [80, 100],
        "forecast_alert": False}]}
    table = books("budget", "list").out
    assert "Support" in table and "project support" in table and "80%, 100%" in table
    assert books("budget", "set", "Support", "--amount", "60", "--replace").code == 0
    assert books("budget", "list", "--format", "json").json["budgets"][0]["amount"] == "60.00"
    assert books("budget", "remove", "Support").code == 0
    assert books("budget", "list", "--format", "json").json["budgets"] == []
    gone = books("budget", "remove", "Support")
    assert gone.code == 1 and "there is no budget named 'Support'" in gone.err


@pytest.mark.parametrize(("args", "message"), [
    (["--amount", "0"], "the amount must be a positive number, not 0"),
    (["--amount", "lots"], "the amount must be a positive number, not 'lots'"),
    (["--amount", "10", "--period", "week"], "unknown period 'week'"),
    (["--amount", "10", "--alerts", "50,1001"], "alert threshold 1001% is outside 1-1000%"),
    (["--amount", "10", "--alerts", "0"], "alert threshold 0% is outside 1-1000%"),
    (["--amount", "99"], "a budget named 'All AI' exists already"),
])
def test_bad_budgets_are_refused_and_nothing_changes(books, args, message):
    books("budget", "set", "All AI", "--amount", "20")
    before = books("budget", "list", "--format", "json").out
    result = books("budget", "set", "All AI", *args)
    assert result.code == 1
    assert message in result.err and result.err.count("nothing was changed") == 1
    assert books("budget", "list", "--format", "json").out == before


def test_forecast_settings_are_saved_and_shown(books):
    shown = books("budget", "forecast", "--window", "21", "--growth", "5", "--season",
                  "12=1.5", "1=0.8")
    assert shown.code == 0
    assert "window:  21 days" in shown.out
    assert "growth:  5.00% a month" in shown.out
    assert "seasons: 1=0.8, 12=1.5" in shown.out
    again = books("budget", "forecast")  # shows what was saved
    assert again.out == shown.out
    bad = books("budget", "forecast", "--season", "13=2")
    assert bad.code == 1 and "months are 1-12" in bad.err
    assert books("budget", "forecast").out == shown.out  # unchanged


def test_a_budget_narrowed_to_a_model_says_so_in_json_and_leaves_the_fee_out(books):
    books("budget", "set", "4o", "--amount", "10", "--model", "gpt-4o")
    [b] = books("budget", "status", "--month", "2026-01", "--format", "json").json["budgets"]
    # r1 + r2 + r3 = 6.00 of gpt-4o usage; Chat's fee is in no model's spend (cost --by model)
    assert (b["model"], b["spent"], b["percent"]) == ("gpt-4o", "6.000000000", "60.00")
    assert [a["threshold"] for a in b["alerts"]] == [50]  # r3 takes 4.00 to 6.00 (5.00)
