"""`meterbook compare`: the saved plans and alternative plan files side by side (issue 9).

Usage is tests.helpers.WORKED_USAGE under CHAT_CLAUDE_PLANS (charges worked out there): openai
r1 2.00 (1 request), r2 0.50 (1), r5 0.50 (3 requests); anthropic r3 6.00 (2), r6 4.00 (1);
mistral r4 unpriced (1 request). 13.00 in all.
"""

from __future__ import annotations

import pytest

from tests.helpers import ANTHROPIC_COST_FEBRUARY, CHAT_CLAUDE_PLANS, WORKED_USAGE, write_file

# Every openai request 0.25; anthropic 1.00 per 1k input and 2.00 per 1k output.
ALTERNATIVE = """\
[[plan]]
name = "OpenAI flat"
vendor = "openai"
request = "0.25"

[[plan]]
name = "Claude cheaper"
vendor = "anthropic"
token_unit = 1000
input = "1.00"
output = "2.00"
"""

EURO = """\
[[plan]]
name = "Euro flat"
vendor = "openai"
currency = "EUR"
request = "0.10"
"""


@pytest.fixture
def saved(cli, tmp_path):
    assert cli("plans", "import", str(write_file(tmp_path, "p.toml", CHAT_CLAUDE_PLANS))).code == 0
    assert cli("import", str(write_file(tmp_path, "u.csv", WORKED_USAGE))).code == 0
    return cli


def test_json_has_the_scenarios_in_order_saved_first_with_money_as_strings(saved, tmp_path):
    alt = write_file(tmp_path, "cheaper.toml", ALTERNATIVE)
    result = saved("compare", "--plans", str(alt), "--format", "json")
    assert result.code == 0, result.err
    doc = result.json
    assert list(doc) == ["currency", "from", "to", "scenarios", "break_even", "spread"]
    assert (doc["currency"], doc["from"], doc["to"]) == ("USD", None, None)
    first, second = doc["scenarios"]
    assert list(first)[:9] == ["name", "cost", "usage_cost", "fixed_cost", "requests",
                               "unpriced_requests", "cost_per_request",
                               "cost_per_conversation", "difference"]
    # Saved: 13.00 over 9 requests, 3 conversations (c1 c2 c3).
    assert (first["name"], first["cost"], first["requests"], first["unpriced_requests"]) == (
        "saved", "13.000000000", 9, 1)
    assert first["cost_per_conversation"] == "4.333333333333"  # 13 / 3 to 12 places
    # Alternative: openai 5 requests x 0.25 = 1.25; anthropic r3 1k in 1.00 + 1k out 2.00 =
    # 3.00, r6 3k in 3.00 + 200 out 0.40 = 3.40; 7.65 in all, 5.35 less than 13.00 (-41.15%).
    assert (second["name"], second["cost"], second["difference"]) == (
        "cheaper", "7.650000000", "-5.350000000")
    assert second["difference_percent"] == "-41.15"
    # Per month: March r1 r2 (0.25 each) + r3 3.00 = 3.50 over c1 c2 c3.
    march = second["months"][0]
    assert (march["month"], march["cost"], march["conversations"]) == (
        "2026-03", "3.500000000", 3)


def test_conversations_are_counted_in_the_scope_and_per_month(saved, tmp_path):
    # The database counts them (no text read per record): openai only, all usage. r1 and r2
    # are c1 in March; r5 in April has no conversation: 1 in all, March 1, April 0.
    alt = write_file(tmp_path, "cheaper.toml", ALTERNATIVE)
    doc = saved("compare", "--plans", str(alt), "--vendor", "openai", "--format", "json").json
    first = doc["scenarios"][0]
    assert first["conversations"] == 1
    assert [(m["month"], m["conversations"]) for m in first["months"]] == [
        ("2026-03", 1), ("2026-04", 0)]
    # Saved openai cost 2.00 + 0.50 + 0.50 = 3.00 over that one conversation.
    assert first["cost_per_conversation"] == "3"
    # anthropic, April only: r6 is c2 (c2 also had r3 in March, outside the period).
    doc = saved("compare", "--plans", str(alt), "--vendor", "anthropic", "--month", "2026-04",
                "--format", "json").json
    assert [(m["month"], m["conversations"]) for m in doc["scenarios"][0]["months"]] == [
        ("2026-04", 1)]


def test_break_even_per_vendor_and_model_and_no_requests_never_zero(saved, tmp_path):
    alt = write_file(tmp_path, "cheaper.toml", ALTERNATIVE)
    doc = saved("compare", "--plans", str(alt), "--format", "json").json
    rows = {(b["vendor"], b["model"]): b for b in doc["break_even"]}
    # gpt-4o: r1 2.00 + r5 0.50 over 4 requests = 0.625 a request.
    gpt4o = rows[("openai", "gpt-4o")]
    assert (gpt4o["requests"], gpt4o["cost"], gpt4o["price_per_request"]) == (
        4, "2.500000000", "0.625")
    # The flat alternative prices gpt-4o at 4 x 0.25 = 1.00: 1.00 / 2.50 = 0.4 of the saved
    # Chat prices (0.50 and 2.00 per 1k) -> 0.2 and 0.8.
    equivalent = gpt4o["per_token_equivalents"][0]
    assert (equivalent["scenario"], equivalent["based_on"], equivalent["factor"]) == (
        "cheaper", "Chat", "0.4")
    assert (equivalent["input"], equivalent["output"], equivalent["token_unit"]) == (
        "0.2", "0.8", 1000)
    mistral = rows[("mistral", "mistral-large")]
    assert (mistral["price_per_request"], mistral["note"]) == (None, "no requests")
    spread = {(s["vendor"], s["model"]): s for s in doc["spread"]}[("openai", "gpt-4o")]
    # Flat 0.625: r5's 3 requests pay 1.875 for 0.50 of tokens: 1.375 moves to r1.
    flat = spread["flat_at_break_even"]
    assert (flat["share_paying_more"], flat["paid_more"]) == ("0.75", "1.375000000")
    table = saved("compare", "--plans", str(alt)).out
    assert "no requests" in table


def test_compare_changes_no_saved_charge(saved, tmp_path):
    before = saved("cost", "--by", "request", "--format", "json").out
    saved("compare", "--plans", str(write_file(tmp_path, "cheaper.toml", ALTERNATIVE)))
    assert saved("cost", "--by", "request", "--format", "json").out == before


def test_an_alternative_file_with_errors_is_refused_listing_every_problem(saved, tmp_path):
    bad = write_file(tmp_path, "bad.toml", """\
[[plan]]
name = "Broken"
vendor = "openai"
request = 0.25
billing_timezone = "Mars/Olympus"
""")
    result = saved("compare", "--plans", str(bad), "--format", "json")
    assert result.code == 1
    assert result.out == ""
    assert "bad.toml: line 4: plan 'Broken', key 'request'" in result.err
    assert "line 5: plan 'Broken', key 'billing_timezone'" in result.err


def test_an_empty_scope_says_so(saved, tmp_path):
    alt = str(write_file(tmp_path, "cheaper.toml", ALTERNATIVE))
    table = saved("compare", "--plans", alt, "--vendor", "nobody")
    assert table.code == 0
    assert "No usage in this scope" in table.out
    as_json = saved("compare", "--plans", alt, "--month", "2025-01", "--format", "json")
    assert "No usage in this scope" in as_json.err
    assert [s["requests"] for s in as_json.json["scenarios"]] == [0, 0]
    assert as_json.json["break_even"] == []


def test_a_currency_without_rates_names_the_currency_and_months(saved, tmp_path):
    result = saved("compare", "--plans", str(write_file(tmp_path, "euro.toml", EURO)))
    assert result.code == 1
    # openai usage in March (r1, r2) and April (r5), no EUR rate in either.
    assert "EUR from 2026-03 to 2026-04" in result.err


def test_month_and_from_cannot_be_combined(saved, tmp_path):
    alt = str(write_file(tmp_path, "cheaper.toml", ALTERNATIVE))
    assert saved("compare", "--plans", alt, "--month", "2026-03", "--from", "2026-03-01"
                 ).code == 2


def test_csv_has_a_line_per_scenario_and_month_and_totals(saved, tmp_path):
    alt = str(write_file(tmp_path, "cheaper.toml", ALTERNATIVE))
    lines = saved("compare", "--plans", alt, "--format", "csv").out.splitlines()
    assert lines[0].startswith("scenario,month,cost,")
    # saved: March 8.50 (r1 2.00 r2 0.50 r3 6.00), April 4.50, total 13.00; then cheaper.
    assert [line.split(",")[:3] for line in lines[1:4]] == [
        ["saved", "2026-03", "8.500000000"], ["saved", "2026-04", "4.500000000"],
        ["saved", "total", "13.000000000"]]
    assert lines[6].split(",")[:3] == ["cheaper", "total", "7.650000000"]


def test_billed_cost_lines_are_said_not_compared(cli, tmp_path):
    # Three lines of a vendor's cost export: money, no tokens for a plan to price.
    assert cli("import", str(write_file(tmp_path, "cost.csv", ANTHROPIC_COST_FEBRUARY))).code == 0
    flat = write_file(tmp_path, "flat.toml", '[[plan]]\nname = "F"\nvendor = "anthropic"\n'
                      'request = "0.01"\n')
    table = cli("compare", "--plans", str(flat))
    assert table.code == 0
    assert "3 record(s) in this scope are billed cost lines" in table.out
    as_json = cli("compare", "--plans", str(flat), "--format", "json")
    assert "3 record(s) in this scope are billed cost lines" in as_json.err
    assert [s["cost"] for s in as_json.json["scenarios"]] == ["0", "0"]
