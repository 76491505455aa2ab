"""The `meterbook` command, driven in-process: every subcommand, its output and exit status.

Each test gets its own database file and passes an explicit --tz, so nothing depends on the
computer's zone, the clock or the network. Expected money is worked out by hand beside each
assert (prices per million tokens unless the plan says otherwise).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from meterbook import __version__
from meterbook.core.cost import BY_KEYS
from tests.conftest import Result


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def money_rows(result: Result) -> dict[str, tuple[str, str, str, int]]:
    """key -> (usage_cost, fixed_cost, cost, unpriced_requests) of `cost --format json`."""
    return {r["key"]: (r["usage_cost"], r["fixed_cost"], r["cost"], r["unpriced_requests"])
            for r in result.json["rows"]}


def total(result: Result) -> tuple[str, str, str, int]:
    t = result.json["total"]
    return t["usage_cost"], t["fixed_cost"], t["cost"], t["unpriced_requests"]


# --- the data most tests use ------------------------------------------------------------------

PLANS = """\
[[plan]]
name = "GPT-4o"
vendor = "openai"
model = "gpt-4o*"
effective_from = 2026-03-01
input = "2.50"
output = "10.00"
monthly_fee = "20.00"

[[plan]]
name = "Claude"
vendor = "anthropic"
model = "claude-*"
input = "3.00"
output = "15.00"
"""

# Computed charges (GPT-4o: 2.50 in / 10.00 out per M; Claude: 3.00 in / 15.00 out per M):
#   o1 2026-03-02  1,000 in x 2.50/M + 200 out x 10/M = 0.0025 + 0.002          = 0.0045
#   a1 2026-03-10  2,000 in x 3/M + 100 out x 15/M = 0.006 + 0.0015             = 0.0075
#   o2 2026-03-20  4,000 in x 2.50/M + 1,000 out x 10/M = 0.01 + 0.01 = 0.02; billed 0.05
#   m1 2026-04-05  mistral: no plan, unpriced
#   o3 2026-04-06  10,000 in x 2.50/M                                           = 0.025
# GPT-4o's fee: 20.00 in March and in April (it starts on March 1).
# Source auto: o2 counts its billed 0.05. Usage 0.0045 + 0.0075 + 0.05 + 0.025 = 0.087.
USAGE = """\
timestamp,vendor,model,request_id,conversation_id,project,input_tokens,output_tokens,billed_cost
2026-03-02T09:00:00Z,openai,gpt-4o,o1,conv-a,web,1000,200,
2026-03-10T12:00:00Z,anthropic,claude-sonnet,a1,conv-a,web,2000,100,
2026-03-20T18:00:00Z,openai,gpt-4o,o2,conv-b,api,4000,1000,0.05
2026-04-05T08:00:00Z,mistral,mistral-large,m1,,,500,50,
2026-04-06T08:00:00Z,openai,gpt-4o-mini,o3,conv-b,api,10000,0,
"""


@pytest.fixture
def loaded(cli, tmp_path):
    """The database with PLANS and USAGE; returns the cli runner."""
    assert cli("plans", "import", write(tmp_path, "plans.toml", PLANS)).code == 0
    assert cli("import", write(tmp_path, "usage.csv", USAGE)).code == 0
    return cli


# --- --version ----------------------------------------------------------------------------------


def test_version(cli):
    result = cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"meterbook {__version__}"


# --- import -----------------------------------------------------------------------------------


def test_import_json_summary_has_exactly_the_fields_of_cli_md(cli, tmp_path):
    result = cli("import", write(tmp_path, "usage.csv", USAGE), "--format", "json")
    assert result.code == 0
    assert result.json == {
        "batch": 1, "files": ["usage.csv"], "profile": "canonical", "lines": 5, "added": 5,
        "duplicates": 0, "refused": 0, "errors": [],
    }
    assert result.err == ""


def test_import_table_summary(cli, tmp_path):
    result = cli("import", write(tmp_path, "usage.csv", USAGE))
    assert result.code == 0
    assert "usage.csv" in result.out
    assert "5 lines" in result.out
    assert "added 5 as batch 1" in result.out


BAD = """\
timestamp,vendor,model,input_tokens
2026-03-01T00:00:00Z,openai,gpt-4o,abc
2026-03-01T00:00:00Z,openai,gpt-4o,10
not-a-date,openai,gpt-4o,10
2026-03-02T00:00:00Z,openai,gpt-4o,-5
"""


def test_bad_lines_refuse_the_file_list_every_line_and_add_nothing(cli, tmp_path):
    result = cli("import", write(tmp_path, "bad.csv", BAD))
    assert result.code == 1
    assert "bad.csv:2: column 'input_tokens': 'abc' is not a number" in result.err
    assert "bad.csv:4: column 'timestamp': 'not-a-date' is not a date" in result.err
    assert "bad.csv:5: column 'input_tokens': '-5' is negative" in result.err
    assert "bad.csv:3" not in result.err  # the good line
    assert cli("imports", "list").out.strip() == "No imports yet."
    assert cli("cost", "--format", "json").json["total"]["requests"] == 0


def test_bad_lines_with_json_list_every_error(cli, tmp_path):
    result = cli("import", write(tmp_path, "bad.csv", BAD), "--format", "json")
    assert result.code == 1
    summary = result.json
    assert summary["batch"] is None
    assert summary["added"] == 0
    assert summary["refused"] == 3
    assert [(e["file"], e["line"]) for e in summary["errors"]] == [
        ("bad.csv", 2), ("bad.csv", 4), ("bad.csv", 5)]
    assert summary["errors"][0]["message"].startswith("column 'input_tokens': 'abc'")
    assert "bad.csv:2: " in result.err


def test_refused_import_json_still_counts_the_lines_read(cli, tmp_path):
    result = cli("import", write(tmp_path, "bad.csv", BAD), "--format", "json")
    assert result.json["lines"] == 4


def test_skip_bad_lines_imports_the_good_ones(cli, tmp_path):
    result = cli("import", write(tmp_path, "bad.csv", BAD), "--skip-bad-lines",
                 "--format", "json")
    assert result.code == 0
    summary = result.json
    assert (summary["batch"], summary["lines"], summary["added"], summary["refused"]) == (
        1, 4, 1, 3)
    assert len(summary["errors"]) == 3
    assert "bad.csv:4: " in result.err  # still told on stderr
    listing = cli("imports", "list").out
    assert "bad.csv" in listing
    assert cli("cost", "--format", "json").json["total"]["input_tokens"] == 10


def test_dry_run_counts_but_adds_nothing(cli, tmp_path):
    path = write(tmp_path, "usage.csv", USAGE)
    result = cli("import", path, "--dry-run", "--format", "json")
    assert result.code == 0
    assert result.json["batch"] is None
    assert (result.json["lines"], result.json["added"]) == (5, 5)
    table = cli("import", path, "--dry-run")
    assert "would add 5" in table.out
    assert cli("imports", "list").out.strip() == "No imports yet."
    assert cli("cost", "--format", "json").json["rows"] == []


def test_importing_the_same_file_again_adds_nothing(loaded, tmp_path):
    before = loaded("cost", "--format", "json").out
    result = loaded("import", str(tmp_path / "usage.csv"), "--format", "json")
    assert result.code == 0
    assert result.json == {
        "batch": None, "files": ["usage.csv"], "profile": "canonical", "lines": 5, "added": 0,
        "duplicates": 5, "refused": 0, "errors": [],
    }
    assert loaded("cost", "--format", "json").out == before
    batches = [line.split()[0] for line in loaded("imports", "list").out.splitlines()[1:]]
    assert batches == ["1"]  # no batch 2


def test_an_overlapping_export_adds_only_the_new_lines(loaded, tmp_path):
    newer = USAGE + "2026-04-07T08:00:00Z,openai,gpt-4o,o4,,,1000,0,\n"
    result = loaded("import", write(tmp_path, "newer.csv", newer), "--format", "json")
    assert (result.json["batch"], result.json["added"], result.json["duplicates"]) == (2, 1, 5)
    # o4: 1,000 in x 2.50/M = 0.0025; April was 0.025 -> 0.0275
    april = money_rows(loaded("cost", "--month", "2026-04", "--format", "json"))["2026-04"]
    assert april == ("0.027500000", "20.000000000", "20.027500000", 1)


def test_a_header_only_file_imports_nothing_and_succeeds(cli, tmp_path):
    path = write(tmp_path, "empty.csv", "timestamp,vendor,model\n")
    result = cli("import", path)
    assert result.code == 0
    assert "nothing imported" in result.out
    summary = cli("import", path, "--format", "json").json
    assert (summary["batch"], summary["lines"], summary["added"]) == (None, 0, 0)
    assert cli("imports", "list").out.strip() == "No imports yet."


def test_a_missing_file_is_refused(cli, tmp_path):
    result = cli("import", str(tmp_path / "nowhere.csv"))
    assert result.code == 1
    assert "nowhere.csv: no such file" in result.err


def test_a_file_without_the_required_columns_is_refused(cli, tmp_path):
    result = cli("import", write(tmp_path, "odd.csv", "when,who\n2026-03-01,x\n"))
    assert result.code == 1
    assert "odd.csv:1: " in result.err
    assert "timestamp" in result.err


# --- imports list / undo ----------------------------------------------------------------------


def test_imports_list_and_undo(loaded, tmp_path):
    listing = loaded("imports", "list")
    assert listing.code == 0
    lines = listing.out.splitlines()
    assert lines[0].split()[:2] == ["BATCH", "WHEN"]
    assert lines[1].split()[0] == "1"
    assert lines[1].endswith("usage.csv")
    undo = loaded("imports", "undo", "1")
    assert undo.code == 0
    assert "Removed batch 1: 5 records" in undo.out
    assert loaded("imports", "list").out.strip() == "No imports yet."
    assert loaded("cost", "--format", "json").json["rows"] == []
    # The same file can be imported again once its batch is gone.
    again = loaded("import", str(tmp_path / "usage.csv"), "--format", "json")
    assert (again.json["added"], again.json["duplicates"]) == (5, 0)


def test_undo_of_an_unknown_batch_is_refused(loaded):
    result = loaded("imports", "undo", "7")
    assert result.code == 1
    assert "no import batch 7" in result.err
    assert loaded("cost", "--format", "json").json["total"]["requests"] == 5


def test_undo_needs_a_batch_number(cli):
    assert cli("imports", "undo", "first").code == 2
    assert cli("imports").code == 2


# --- plans ------------------------------------------------------------------------------------


def test_plans_import_and_list(cli, tmp_path):
    result = cli("plans", "import", write(tmp_path, "plans.toml", PLANS))
    assert result.code == 0
    assert "saved 2 plan version(s)" in result.out
    listing = cli("plans", "list")
    assert listing.code == 0
    rows = {line.split()[0]: line for line in listing.out.splitlines()[1:]}
    assert set(rows) == {"GPT-4o", "Claude"}
    assert "2026-03-01" in rows["GPT-4o"]
    assert "fee 20.00/month" in rows["GPT-4o"]
    assert "always" in rows["Claude"]


def test_plans_list_when_empty(cli):
    result = cli("plans", "list")
    assert result.code == 0
    assert "No plans yet" in result.out


def test_importing_plans_reprices_records_already_imported(cli, tmp_path):
    cli("import", write(tmp_path, "usage.csv", USAGE))
    assert total(cli("cost", "--format", "json")) == ("0.050000000", "0", "0.050000000", 4)
    result = cli("plans", "import", write(tmp_path, "plans.toml", PLANS))
    # o1, a1, o3, and o2: billed, but its computed charge is kept beside the bill
    assert "4 record(s) re-priced" in result.out
    assert total(cli("cost", "--format", "json")) == (
        "0.087000000", "40.000000000", "40.087000000", 1)


def test_a_bad_plan_file_names_plan_key_and_line_and_saves_nothing(cli, tmp_path):
    bad = PLANS + """
[[plan]]
name = "Broken"
vendor = "mistral"
input = 2.5
billing_timezone = "Mars/Olympus"
"""
    result = cli("plans", "import", write(tmp_path, "bad.toml", bad))
    assert result.code == 1
    assert "bad.toml: line 20: plan 'Broken', key 'input'" in result.err
    assert 'write "2.5", with the quotes' in result.err
    assert "line 21: plan 'Broken', key 'billing_timezone'" in result.err
    assert "No plans yet" in cli("plans", "list").out  # the good plans were not saved either


def test_a_plan_file_that_is_not_toml_is_refused(cli, tmp_path):
    result = cli("plans", "import", write(tmp_path, "x.toml", "[[plan]\nname = 1\n"))
    assert result.code == 1
    assert "x.toml" in result.err
    assert cli("plans", "import", str(tmp_path / "missing.toml")).code == 1


TIED = """\
[[plan]]
name = "Alpha deal"
vendor = "openai"
model = "gpt-4o*"
input = "1.00"

[[plan]]
name = "Beta deal"
vendor = "openai"
model = "gpt-4o*"
input = "2.00"
"""


def test_two_tied_plans_are_refused_naming_both(cli, tmp_path):
    result = cli("plans", "import", write(tmp_path, "tied.toml", TIED))
    assert result.code == 1
    assert "Alpha deal" in result.err
    assert "Beta deal" in result.err
    assert "No plans yet" in cli("plans", "list").out


def test_a_plan_tied_with_a_saved_one_is_refused(loaded, tmp_path):
    rival = """\
[[plan]]
name = "Rival"
vendor = "openai"
model = "gpt-4o*"
input = "1.00"
"""
    result = loaded("plans", "import", write(tmp_path, "rival.toml", rival))
    assert result.code == 1
    assert "Rival" in result.err
    assert "GPT-4o" in result.err
    assert "Rival" not in loaded("plans", "list").out


RICH_PLANS = """\
[[plan]]
name = "Claude Sonnet"
vendor = "anthropic"
model = "claude-sonnet-*"
currency = "EUR"
effective_from = 2026-01-01
source = "https://example.com/pricing"
input = "3.00"
cached_input = "0.30"
cache_write = "3.75"
output = "15.00"
billing_timezone = "Europe/Paris"

[[plan.size_tiers]]
above_input_tokens = 200000
input = "6.00"
output = "22.50"

[[plan]]
name = "Claude Sonnet"
vendor = "anthropic"
model = "claude-sonnet-*"
currency = "EUR"
effective_from = 2026-04-01T12:00:00
input = "2.00"
output = "10.00"

[[plan]]
name = "Vision"
vendor = "google"
model = "vision-*"
priority = 2
token_unit = 1000
request = "0.001"
unit_price = "1.50"
unit_size = 1000
multiplier = "0.5"
monthly_fee = "20.00"
monthly_minimum = "50.00"
free_trial_days = 7
service_tier = "batch"
project = "ml-*"

[plan.volume]
meter = "requests"
mode = "graduated"
tiers = [ { up_to = 1000, price = "0" }, { up_to = 5000000, price = "0.0015" },
          { price = "0.0010" } ]
"""


def test_plans_export_round_trips_through_a_fresh_database(cli, tmp_path):
    assert cli("plans", "import", write(tmp_path, "rich.toml", RICH_PLANS)).code == 0
    first = cli("plans", "export")
    assert first.code == 0
    assert "[[plan]]" in first.out
    assert first.out.count("[[plan]]") == 3
    exported = write(tmp_path, "exported.toml", first.out)
    fresh = tmp_path / "fresh.db"
    assert cli("plans", "import", exported, db=fresh).code == 0
    out_file = tmp_path / "again.toml"
    second = cli("plans", "export", "-o", str(out_file), db=fresh)
    assert second.code == 0
    assert second.out == ""  # the plans went to the file
    assert out_file.read_text(encoding="utf-8") == first.out


def test_plans_export_with_no_plans_is_still_valid(cli):
    result = cli("plans", "export")
    assert result.code == 0


# --- cost: every --by -------------------------------------------------------------------------

Z = "0"  # money that is exactly zero is written "0"

EXPECTED_BY = {
    # key: (usage_cost, fixed_cost, cost, unpriced_requests)
    "request": {
        "o1": ("0.004500000", Z, "0.004500000", 0),
        "a1": ("0.007500000", Z, "0.007500000", 0),
        "o2": ("0.050000000", Z, "0.050000000", 0),  # billed
        "m1": (Z, Z, Z, 1),
        "o3": ("0.025000000", Z, "0.025000000", 0),
    },
    "conversation": {
        "": (Z, Z, Z, 1),  # m1 has no conversation
        "conv-a": ("0.012000000", Z, "0.012000000", 0),  # o1 0.0045 + a1 0.0075
        "conv-b": ("0.075000000", Z, "0.075000000", 0),  # o2 0.05 + o3 0.025
    },
    "day": {
        "2026-03-01": (Z, "20.000000000", "20.000000000", 0),  # March's fee, first day
        "2026-03-02": ("0.004500000", Z, "0.004500000", 0),
        "2026-03-10": ("0.007500000", Z, "0.007500000", 0),
        "2026-03-20": ("0.050000000", Z, "0.050000000", 0),
        "2026-04-01": (Z, "20.000000000", "20.000000000", 0),  # April's fee
        "2026-04-05": (Z, Z, Z, 1),
        "2026-04-06": ("0.025000000", Z, "0.025000000", 0),
    },
    "week": {
        # ISO weeks of 2026: W10 starts Monday March 2, so Sunday March 1 is in W09;
        # April 1 (Wednesday) and 5 (Sunday) are in W14, Monday April 6 in W15.
        "2026-W09": (Z, "20.000000000", "20.000000000", 0),
        "2026-W10": ("0.004500000", Z, "0.004500000", 0),
        "2026-W11": ("0.007500000", Z, "0.007500000", 0),
        "2026-W12": ("0.050000000", Z, "0.050000000", 0),
        "2026-W14": (Z, "20.000000000", "20.000000000", 1),
        "2026-W15": ("0.025000000", Z, "0.025000000", 0),
    },
    "month": {
        # 0.0045 + 0.0075 + 0.05 = 0.062; fee 20
        "2026-03": ("0.062000000", "20.000000000", "20.062000000", 0),
        "2026-04": ("0.025000000", "20.000000000", "20.025000000", 1),
    },
    "vendor": {
        "anthropic": ("0.007500000", Z, "0.007500000", 0),
        "mistral": (Z, Z, Z, 1),
        # 0.0045 + 0.05 + 0.025 = 0.0795; both fees
        "openai": ("0.079500000", "40.000000000", "40.079500000", 0),
    },
    "model": {  # fees go to no model: the total only
        "claude-sonnet": ("0.007500000", Z, "0.007500000", 0),
        "gpt-4o": ("0.054500000", Z, "0.054500000", 0),  # 0.0045 + 0.05
        "gpt-4o-mini": ("0.025000000", Z, "0.025000000", 0),
        "mistral-large": (Z, Z, Z, 1),
    },
    "project": {
        "": (Z, Z, Z, 1),
        "api": ("0.075000000", Z, "0.075000000", 0),  # o2 + o3
        "web": ("0.012000000", Z, "0.012000000", 0),  # o1 + a1
    },
    "plan": {
        "": (Z, Z, Z, 1),  # unpriced
        "Claude": ("0.007500000", Z, "0.007500000", 0),
        "GPT-4o": ("0.079500000", "40.000000000", "40.079500000", 0),
    },
}


def test_every_by_key_is_covered():
    assert set(EXPECTED_BY) == set(BY_KEYS)


@pytest.mark.parametrize("by", list(EXPECTED_BY))
def test_cost_by(loaded, by):
    result = loaded("cost", "--by", by, "--format", "json")
    assert result.code == 0
    data = result.json
    assert (data["currency"], data["by"], data["source"]) == ("USD", by, "auto")
    assert money_rows(result) == EXPECTED_BY[by]
    keys = [r["key"] for r in data["rows"]]
    if by == "request":
        assert keys == ["o1", "a1", "o2", "m1", "o3"]  # time order
    else:
        assert keys == sorted(keys)
    # Whatever the key, the total is the same: usage 0.087, both fees 40.
    assert total(result) == ("0.087000000", "40.000000000", "40.087000000", 1)
    assert data["total"]["key"] == "total"
    assert data["total"]["requests"] == 5
    assert data["total"]["input_tokens"] == 17500  # 1000 + 2000 + 4000 + 500 + 10000
    assert data["total"]["output_tokens"] == 1350  # 200 + 100 + 1000 + 50 + 0


def test_cost_by_request_has_the_record_details(loaded):
    rows = loaded("cost", "--by", "request", "--format", "json").json["rows"]
    a1 = rows[1]
    assert a1["key"] == "a1"
    assert a1["timestamp"].startswith("2026-03-10T12:00:00")
    assert (a1["vendor"], a1["model"], a1["project"], a1["plan"]) == (
        "anthropic", "claude-sonnet", "web", "Claude")
    assert (rows[3]["key"], rows[3]["plan"], rows[3]["project"]) == ("m1", "", "")


def test_cost_default_is_by_month_and_money_is_a_string(loaded):
    data = loaded("cost", "--format", "json").json
    assert data["by"] == "month"
    for row in [*data["rows"], data["total"]]:
        for name in ("usage_cost", "fixed_cost", "cost"):
            assert isinstance(row[name], str)
        assert row["units"] == "0"


def test_cost_csv(loaded):
    result = loaded("cost", "--format", "csv")
    assert result.code == 0
    table = list(csv.reader(io.StringIO(result.out)))
    assert table[0] == ["key", "requests", "input_tokens", "cached_input_tokens",
                        "cache_write_tokens", "output_tokens", "units", "usage_cost",
                        "fixed_cost", "cost", "unpriced_requests"]
    assert table[1] == ["2026-03", "3", "7000", "0", "0", "1300", "0", "0.062000000",
                        "20.000000000", "20.062000000", "0"]
    assert table[-1][0] == "total"
    assert table[-1][7:] == ["0.087000000", "40.000000000", "40.087000000", "1"]


def test_cost_csv_by_request_adds_the_detail_columns(loaded):
    table = list(csv.reader(io.StringIO(loaded("cost", "--by", "request",
                                               "--format", "csv").out)))
    assert table[0][-5:] == ["timestamp", "vendor", "model", "project", "plan"]
    assert [r[0] for r in table[1:]] == ["o1", "a1", "o2", "m1", "o3", "total"]
    assert table[2][-4:] == ["anthropic", "claude-sonnet", "web", "Claude"]


def test_cost_table(loaded):
    result = loaded("cost")
    assert result.code == 0
    assert result.out.startswith("Cost in USD by month (source: auto, time zone: UTC)")
    total_line = next(line for line in result.out.splitlines() if line.startswith("TOTAL"))
    assert total_line.split()[-4:] == ["0.09", "40.00", "40.09", "1"]  # usage fixed cost
    assert "1 request unpriced" in result.out


def test_cost_table_by_model_says_the_fees_are_in_the_total_only(loaded):
    result = loaded("cost", "--by", "model")
    assert "includes 40.00 of monthly fixed charges" in result.out


# --- cost: ranges -----------------------------------------------------------------------------


def test_cost_month(loaded):
    result = loaded("cost", "--month", "2026-04", "--format", "json")
    assert result.code == 0
    # m1 unpriced, o3 0.025; April's fee 20
    assert money_rows(result) == {"2026-04": ("0.025000000", "20.000000000", "20.025000000", 1)}
    assert total(result) == ("0.025000000", "20.000000000", "20.025000000", 1)


def test_cost_from_to(loaded):
    result = loaded("cost", "--from", "2026-03-15", "--to", "2026-04-06", "--format", "json")
    # o2 (billed 0.05) and m1 (unpriced); o3 at April 6 08:00 is after --to (exclusive).
    # Fees: April 1 is inside the range, March 1 is not: 20.
    assert money_rows(result) == {
        "2026-03": ("0.050000000", Z, "0.050000000", 0),
        "2026-04": (Z, "20.000000000", "20.000000000", 1),
    }
    assert total(result) == ("0.050000000", "20.000000000", "20.050000000", 1)


def test_cost_from_only(loaded):
    result = loaded("cost", "--from", "2026-04-01", "--format", "json")
    assert total(result) == ("0.025000000", "20.000000000", "20.025000000", 1)


def test_cost_to_only_covers_every_month_starting_before_it(loaded):
    result = loaded("cost", "--to", "2026-05-01", "--format", "json")
    # the same as no range: every record, March's and April's fees
    assert total(result) == ("0.087000000", "40.000000000", "40.087000000", 1)


def test_an_empty_month_has_no_rows_and_a_zero_total(loaded):
    # February: no record, and GPT-4o (the only plan with a fee) starts on March 1.
    result = loaded("cost", "--month", "2026-02", "--format", "json")
    assert result.code == 0
    assert result.json["rows"] == []
    assert total(result) == (Z, Z, Z, 0)
    assert result.json["total"]["requests"] == 0
    table = loaded("cost", "--month", "2026-02")
    assert "(no usage in this period)" in table.out


def test_cost_of_an_empty_database(cli):
    result = cli("cost", "--format", "json")
    assert result.code == 0
    assert result.json["rows"] == []
    assert total(result) == (Z, Z, Z, 0)


def test_to_before_from_is_refused(loaded):
    result = loaded("cost", "--from", "2026-04-01", "--to", "2026-03-01")
    assert result.code == 1
    assert "--to must be after --from" in result.err


# --- cost: sources ----------------------------------------------------------------------------


def test_cost_source_computed_ignores_the_bills(loaded):
    result = loaded("cost", "--source", "computed", "--format", "json")
    assert result.json["source"] == "computed"
    # March: o1 0.0045 + a1 0.0075 + o2 computed 0.02 = 0.032
    assert money_rows(result) == {
        "2026-03": ("0.032000000", "20.000000000", "20.032000000", 0),
        "2026-04": ("0.025000000", "20.000000000", "20.025000000", 1),
    }


def test_cost_source_billed_counts_unbilled_requests_as_unpriced(loaded):
    result = loaded("cost", "--source", "billed", "--format", "json")
    # Only o2 has a bill (0.05); o1 and a1 (March), m1 and o3 (April) have none.
    # No fees: they come from plans.
    assert money_rows(result) == {
        "2026-03": ("0.050000000", Z, "0.050000000", 2),
        "2026-04": (Z, Z, Z, 2),
    }
    assert total(result) == ("0.050000000", Z, "0.050000000", 4)


def test_cost_source_auto_is_the_default(loaded):
    assert loaded("cost", "--source", "auto", "--format", "json").out == \
        loaded("cost", "--format", "json").out


# --- cost: what-if plans ------------------------------------------------------------------------

WHATIF = """\
[[plan]]
name = "GPT-4o cheap"
vendor = "openai"
model = "gpt-4o*"
input = "1.00"
output = "4.00"
"""


def test_what_if_plans_price_the_usage_and_save_nothing(loaded, tmp_path):
    before = loaded("cost", "--format", "json").out
    result = loaded("cost", "--plans", write(tmp_path, "whatif.toml", WHATIF),
                    "--format", "json")
    assert result.code == 0
    # o1: 1,000 x 1/M + 200 x 4/M = 0.001 + 0.0008 = 0.0018; o2 billed 0.05 (auto);
    # o3: 10,000 x 1/M = 0.01; a1 and m1 have no plan here: unpriced. No fees.
    assert money_rows(result) == {
        "2026-03": ("0.051800000", Z, "0.051800000", 1),
        "2026-04": ("0.010000000", Z, "0.010000000", 1),
    }
    by_plan = loaded("cost", "--by", "plan", "--plans", str(tmp_path / "whatif.toml"),
                     "--format", "json")
    assert set(money_rows(by_plan)) == {"", "GPT-4o cheap"}
    # Nothing was saved: the plain query and the plan list are as before.
    assert loaded("cost", "--format", "json").out == before
    assert "cheap" not in loaded("plans", "list").out


def test_what_if_fixed_charges_come_from_the_what_if_plans(loaded, tmp_path):
    minimum = WHATIF + 'monthly_minimum = "1.00"\n'
    result = loaded("cost", "--plans", write(tmp_path, "minimum.toml", minimum),
                    "--source", "computed", "--format", "json")
    # Computed under the what-if plan: March o1 0.0018 + o2 4,000 x 1/M + 1,000 x 4/M = 0.008
    # -> 0.0098, true-up 1 - 0.0098 = 0.9902; April o3 0.01, true-up 0.99.
    # GPT-4o's saved fee of 20 is not charged: its plans are not the ones in force here.
    assert money_rows(result) == {
        "2026-03": ("0.009800000", "0.990200000", "1.000000000", 1),
        "2026-04": ("0.010000000", "0.990000000", "1.000000000", 1),
    }


def test_what_if_with_a_bad_or_missing_plan_file_is_refused(loaded, tmp_path):
    result = loaded("cost", "--plans", write(tmp_path, "tied.toml", TIED))
    assert result.code == 1
    assert "Alpha deal" in result.err
    assert loaded("cost", "--plans", str(tmp_path / "none.toml")).code == 1


# --- cost: usage errors -----------------------------------------------------------------------


def test_unknown_by_is_a_usage_error_listing_the_accepted_values(loaded):
    result = loaded("cost", "--by", "colour")
    assert result.code == 2
    assert "colour" in result.err
    for key in BY_KEYS:
        assert f"'{key}'" in result.err


@pytest.mark.parametrize("args", [
    ("--month", "2026-13"),
    ("--month", "March"),
    ("--from", "2026-3-1"),
    ("--from", "yesterday"),
    ("--to", "2026-02-30"),
    ("--source", "guess"),
    ("--format", "xml"),
])
def test_malformed_options_are_usage_errors(loaded, args):
    result = loaded("cost", *args)
    assert result.code == 2
    assert args[1] in result.err


def test_month_with_from_or_to_is_a_usage_error(loaded):
    result = loaded("cost", "--month", "2026-03", "--from", "2026-03-01")
    assert result.code == 2
    assert "--month cannot be combined" in result.err
    assert loaded("cost", "--month", "2026-03", "--to", "2026-04-01").code == 2


def test_an_unknown_zone_is_a_usage_error(loaded):
    result = loaded("cost", tz="Mars/Olympus")
    assert result.code == 2
    assert "Mars/Olympus" in result.err
    assert loaded("cost", "--tz", "Nowhere/City").code == 2


# --- cost: time zones -------------------------------------------------------------------------


def test_the_report_zone_moves_records_between_months(cli, tmp_path):
    cli("plans", "import", write(tmp_path, "plans.toml", PLANS))
    cli("import", write(tmp_path, "late.csv", """\
timestamp,vendor,model,request_id,input_tokens
2026-03-31T23:30:00Z,openai,gpt-4o,late,1000
"""))
    # 1,000 in x 2.50/M = 0.0025. In Paris (UTC+2 since March 29) it is 01:30 on April 1.
    utc = cli("cost", "--format", "json")
    assert money_rows(utc) == {"2026-03": ("0.002500000", "20.000000000", "20.002500000", 0)}
    paris = cli("cost", "--format", "json", tz="Europe/Paris")
    assert money_rows(paris) == {"2026-04": ("0.002500000", "20.000000000", "20.002500000", 0)}
    # The subcommand's own --tz wins over the global one.
    assert cli("cost", "--tz", "Europe/Paris", "--format", "json").out == paris.out


def test_a_month_in_a_half_hour_zone(cli, tmp_path):
    cli("plans", "import", write(tmp_path, "plans.toml", PLANS))
    cli("import", write(tmp_path, "k.csv", """\
timestamp,vendor,model,request_id,input_tokens
2026-03-31T18:00:00Z,openai,gpt-4o,k1,1000
2026-03-31T18:30:00Z,openai,gpt-4o,k2,2000
"""))
    # Kolkata is UTC+05:30: k1 is 23:30 on March 31, k2 midnight on April 1.
    # k1 1,000 x 2.50/M = 0.0025; k2 2,000 x 2.50/M = 0.005. The records span March and
    # April in Kolkata: both months' fees.
    result = cli("cost", "--format", "json", tz="Asia/Kolkata")
    assert money_rows(result) == {
        "2026-03": ("0.002500000", "20.000000000", "20.002500000", 0),
        "2026-04": ("0.005000000", "20.000000000", "20.005000000", 0),
    }
    april = cli("cost", "--month", "2026-04", "--by", "request", "--format", "json",
                tz="Asia/Kolkata")
    assert [r["key"] for r in april.json["rows"]] == ["k2"]


def test_by_conversation_in_a_half_hour_zone(loaded):
    result = loaded("cost", "--by", "conversation", "--format", "json", tz="Asia/Kolkata")
    assert result.code == 0
    assert money_rows(result) == EXPECTED_BY["conversation"]


def test_by_conversation_with_what_if_plans(loaded, tmp_path):
    result = loaded("cost", "--by", "conversation", "--plans",
                    write(tmp_path, "same.toml", PLANS), "--format", "json")
    assert result.code == 0
    assert money_rows(result) == EXPECTED_BY["conversation"]


# --- settings and exchange rates --------------------------------------------------------------


def test_settings_show_and_set(cli):
    shown = cli("settings")
    assert shown.code == 0
    assert "home currency: USD" in shown.out
    assert "not set" in shown.out
    changed = cli("settings", "--currency", "eur", "--timezone", "europe/paris")
    assert changed.code == 0
    assert "home currency: EUR" in changed.out
    assert "time zone:     Europe/Paris" in changed.out
    assert "home currency: EUR" in cli("settings").out


def test_bad_settings_are_refused_with_exit_1_and_change_nothing(cli):
    bad_currency = cli("settings", "--currency", "EURO")
    assert bad_currency.code == 1
    assert "'EURO' is not a currency code" in bad_currency.err
    bad_zone = cli("settings", "--timezone", "Mars/Olympus")
    assert bad_zone.code == 1
    assert "unknown time zone 'Mars/Olympus'" in bad_zone.err
    shown = cli("settings").out
    assert "home currency: USD" in shown
    assert "not set" in shown


def test_rates_set_and_list(cli):
    assert "No exchange rates" in cli("rates", "list").out
    result = cli("rates", "set", "eur", "2026-03", "1.10")
    assert result.code == 0
    assert "1 EUR = 1.10 USD in 2026-03" in result.out
    cli("rates", "set", "EUR", "2026-03", "1.08")  # replaces
    listing = cli("rates", "list").out.splitlines()
    assert listing[1:] == ["EUR       2026-03  1.08"]


def test_bad_rates_are_refused(cli):
    assert cli("rates", "set", "EUR", "2026-03", "abc").code == 1
    assert cli("rates", "set", "EUR", "2026-03", "-1").code == 1
    assert cli("rates", "set", "EURO", "2026-03", "1.1").code == 1
    month = cli("rates", "set", "EUR", "March", "1.1")
    assert month.code == 2  # a malformed month is wrong usage
    assert "No exchange rates" in cli("rates", "list").out


def test_rates_import(cli, tmp_path):
    good = write(tmp_path, "rates.csv", "Currency,Month,Rate\nGBP,2026-03,1.25\n"
                                        "jpy,2026-03,0.0067\n")
    result = cli("rates", "import", good)
    assert result.code == 0
    assert "2 rate(s) saved" in result.out
    assert cli("rates", "list").out.splitlines()[1:] == [
        "GBP       2026-03  1.25", "JPY       2026-03  0.0067"]


def test_a_bad_rates_file_lists_every_line_and_saves_nothing(cli, tmp_path):
    bad = write(tmp_path, "bad_rates.csv",
                "currency,month,rate\nGBP,2026-03,x\nCHF,2026-03,0.95\nJP,2026-13,1\n")
    result = cli("rates", "import", bad)
    assert result.code == 1
    assert "bad_rates.csv:2: rate: 'x' is not a decimal number" in result.err
    assert "bad_rates.csv:4: currency: 'JP'" in result.err
    assert "No exchange rates" in cli("rates", "list").out  # not even CHF
    missing = cli("rates", "import", str(tmp_path / "none.csv"))
    assert missing.code == 1
    assert "none.csv" in missing.err


EUR_PLAN = """\
[[plan]]
name = "Mistral EU"
vendor = "mistral"
model = "*"
currency = "EUR"
input = "2.00"
output = "6.00"
monthly_fee = "10.00"
"""

# e1: 1,000 in x 2/M + 500 out x 6/M = 0.002 + 0.003 = 0.005 EUR
# e2: 2,000 in x 2/M = 0.004 EUR; 2026-03-31T23:30Z is April 1 in Paris
EUR_USAGE = """\
timestamp,vendor,model,request_id,input_tokens,output_tokens
2026-03-10T12:00:00Z,mistral,mistral-large,e1,1000,500
2026-03-31T23:30:00Z,mistral,mistral-large,e2,2000,0
"""


@pytest.fixture
def euro(cli, tmp_path):
    cli("plans", "import", write(tmp_path, "eur.toml", EUR_PLAN))
    cli("import", write(tmp_path, "eu.csv", EUR_USAGE))
    return cli


def test_a_plan_in_euros_is_converted_with_the_months_rate(euro):
    euro("rates", "set", "EUR", "2026-03", "1.10")
    euro("rates", "set", "EUR", "2026-04", "1.20")
    result = euro("cost", "--format", "json")
    assert result.code == 0
    assert result.json["currency"] == "USD"
    # UTC: both in March. (0.005 + 0.004) x 1.10 = 0.0099; fee 10 EUR x 1.10 = 11
    assert money_rows(result) == {"2026-03": ("0.009900000", "11.000000000", "11.009900000", 0)}
    paris = euro("cost", "--format", "json", tz="Europe/Paris")
    # Paris: e1 in March at 1.10 = 0.0055; e2 in April at 1.20 = 0.0048; the records span
    # March and April there: March's fee 11, April's 10 x 1.20 = 12
    assert money_rows(paris) == {
        "2026-03": ("0.005500000", "11.000000000", "11.005500000", 0),
        "2026-04": ("0.004800000", "12.000000000", "12.004800000", 0),
    }
    by_request = euro("cost", "--by", "request", "--format", "json", tz="Europe/Paris")
    assert money_rows(by_request)["e2"][0] == "0.004800000"


def test_a_missing_rate_names_the_currency_and_the_month(euro):
    result = euro("cost")
    assert result.code == 1
    assert "EUR" in result.err
    assert "2026-03" in result.err
    euro("rates", "set", "EUR", "2026-03", "1.10")
    assert euro("cost").code == 0
    # In Paris e2 falls in April, for which there is no rate.
    paris = euro("cost", "--by", "conversation", tz="Europe/Paris")
    assert paris.code == 1
    assert "no exchange rate into USD for EUR in 2026-04" in paris.err


def test_every_missing_rate_is_named_at_once(euro):
    # Plans in EUR, usage in March (o1..) and, in Paris, April (e2): both months lack a rate,
    # and both are named in one message, not the first alone.
    paris = euro("cost", tz="Europe/Paris")
    assert paris.code == 1
    assert ("no exchange rate into USD for EUR from 2026-03 to 2026-04; add them with "
            "`meterbook rates set EUR 2026-03 RATE`") in paris.err
    assert "Traceback" not in paris.err


def test_no_rate_is_needed_when_the_home_currency_is_the_plans(euro):
    euro("settings", "--currency", "EUR")
    result = euro("cost", "--format", "json")
    assert result.code == 0
    assert result.json["currency"] == "EUR"
    # 0.005 + 0.004 = 0.009 EUR; fee 10 EUR
    assert total(result) == ("0.009000000", "10.000000000", "10.009000000", 0)


def test_a_bill_in_a_foreign_currency_needs_a_rate_only_when_bills_are_counted(loaded, tmp_path):
    loaded("import", write(tmp_path, "eur_bill.csv", "timestamp,vendor,model,request_id,"
                           "billed_cost,currency\n2026-03-05T00:00:00Z,openai,gpt-4o,eb1,1.00,eur\n"))
    missing = loaded("cost", "--month", "2026-03")
    assert missing.code == 1
    assert "no exchange rate into USD for EUR in 2026-03" in missing.err
    # Computed cost ignores bills: eb1 has no tokens, 0 under GPT-4o; March as before.
    computed = loaded("cost", "--month", "2026-03", "--source", "computed", "--format", "json")
    assert computed.code == 0
    assert total(computed) == ("0.032000000", "20.000000000", "20.032000000", 0)
    loaded("rates", "set", "EUR", "2026-03", "1.10")
    billed = loaded("cost", "--month", "2026-03", "--source", "billed", "--format", "json")
    # o2 0.05 USD + eb1 1.00 EUR x 1.10 = 1.15; o1 and a1 have no bill
    assert total(billed) == ("1.150000000", Z, "1.150000000", 2)


# --- demo and the desktop app -----------------------------------------------------------------


def test_demo_fills_the_database(cli):
    # Demo data ends at the current month: only its shape is checked, never its dates.
    assert cli("demo", "--months", "0").code == 1
    result = cli("demo", "--months", "1")
    assert result.code == 0
    assert "Demo data (1 months) saved" in result.out
    report = cli("cost", "--format", "json").json
    assert report["rows"]
    assert report["total"]["requests"] > 0
    assert "No plans yet" not in cli("plans", "list").out


def test_gui_screenshot_saves_every_page_of_the_demo_at_1280x800(cli, tmp_path, qapp):
    from PySide6.QtGui import QImage

    shots = tmp_path / "shots"
    result = cli("gui", "--demo", "--screenshot", str(shots), db=tmp_path / "demo.db")
    assert result.code == 0, result.err
    names = sorted(p.name for p in shots.glob("*.png"))
    assert names[0] == "01-dashboard.png" and "04-trends.png" in names and len(names) == 10
    image = QImage(str(shots / "01-dashboard.png"))
    assert (image.width(), image.height()) == (1280, 800)


def test_help_and_no_subcommand_action(cli):
    assert cli("--help").code == 0
    assert cli("plans").code == 2  # plans needs import, export or list
    assert cli("rates").code == 2
    assert cli("frobnicate").code == 2


def test_demo_into_a_database_that_holds_records_is_refused_unless_forced(cli, tmp_path):
    assert cli("import", write(tmp_path, "usage.csv", USAGE)).code == 0
    before = cli("cost", "--format", "json").out, cli("imports", "list").out
    result = cli("demo", "--months", "1")
    assert result.code == 1  # USAGE holds 5 records
    assert "already holds 5 records:" in result.err and "--force" in result.err
    # nothing changed
    assert (cli("cost", "--format", "json").out, cli("imports", "list").out) == before
    forced = cli("demo", "--months", "1", "--force")
    assert forced.code == 0, forced.err
    assert "demo" in cli("imports", "list").out


def test_demo_into_a_database_with_plans_only_is_refused(cli, tmp_path):
    assert cli("plans", "import", write(tmp_path, "plans.toml", PLANS)).code == 0
    result = cli("demo", "--months", "1")
    assert result.code == 1 and "already holds 2 plans:" in result.err


MISTRAL = """\
[[plan]]
name = "Mistral"
vendor = "mistral"
model = "mistral-*"
input = "1.00"
output = "3.00"
"""


def test_a_read_only_database_is_read_and_writes_are_refused_plainly(loaded, tmp_path,
                                                                      monkeypatch):
    if "://" in loaded.url:
        pytest.skip("a fault of SQLite files")
    import meterbook.store.database as database

    path = tmp_path / "meterbook.db"

    def everything() -> list[str]:
        return [loaded(*args).out for args in (("cost", "--format", "json"), ("imports", "list"),
                                               ("plans", "list"), ("rates", "list"),
                                               ("settings",))]

    before = everything()
    # As if the file could not be written (tests run as root, whom permissions do not stop).
    monkeypatch.setattr(database, "_writable", lambda p: p != path)
    report = loaded("cost", "--month", "2026-03", "--format", "json")
    assert report.code == 0 and report.json["total"]["requests"] == 3  # o1, a1, o2
    assert "GPT-4o" in loaded("plans", "list").out
    assert loaded("imports", "list").out.count("usage.csv") == 1
    for args in (("settings", "--currency", "EUR"), ("imports", "undo", "1"),
                 ("import", write(tmp_path, "more.csv", USAGE.replace("o1,", "o9,"))),
                 ("rates", "set", "EUR", "2026-03", "1.10"),
                 ("plans", "import", write(tmp_path, "mistral.toml", MISTRAL))):
        result = loaded(*args)
        assert result.code == 1, args
        assert f"{path} is read-only" in result.err and "nothing was changed" in result.err
        assert "Traceback" not in result.err
    assert everything() == before


def test_a_damaged_database_is_called_damaged_with_its_backups(loaded, tmp_path):
    if "://" in loaded.url:
        pytest.skip("a fault of SQLite files")
    from meterbook.store.backup import backup_sqlite

    path = tmp_path / "meterbook.db"
    backup = backup_sqlite(path, "0001")
    with path.open("r+b") as file:
        file.truncate(4096 * 3)
    result = loaded("cost")
    assert result.code == 1
    assert f"{path} is damaged" in result.err and backup.name in result.err
    assert "not a Meterbook database" not in result.err


# --- issue 13, item 8: the smaller promises of `import` -----------------------------------------

ALL_BAD = """\
timestamp,vendor,model,input_tokens
2026-03-01T00:00:00Z,openai,gpt-4o,abc
nope,openai,gpt-4o,1
"""


def test_skip_bad_lines_with_every_line_bad_keeps_them_in_a_batch_and_says_so(cli, tmp_path):
    result = cli("import", write(tmp_path, "bad.csv", ALL_BAD), "--skip-bad-lines")
    assert result.code == 0  # the import did what --skip-bad-lines asks
    assert "2 lines, added 0 as batch 1, 0 already imported, 2 refused" in result.out
    assert "No record was added: batch 1 keeps only the 2 refused lines" in result.out
    assert "bad.csv:3: column 'timestamp'" in result.err
    [row] = cli("imports", "list").out.splitlines()[1:]
    assert row.split()[:1] + row.split()[4:8] == ["1", "2", "0", "0", "2"]


def test_skip_bad_lines_with_every_line_bad_in_json(cli, tmp_path):
    result = cli("import", write(tmp_path, "bad.csv", ALL_BAD), "--skip-bad-lines",
                 "--format", "json")
    assert result.code == 0
    # cli.md: `batch` is null when nothing was added; the batch kept for the refused lines
    # is named apart.
    assert {k: result.json[k] for k in ("batch", "refused_batch", "lines", "added",
                                        "refused")} == {
        "batch": None, "refused_batch": 1, "lines": 2, "added": 0, "refused": 2}


FUTURE = """\
timestamp,vendor,model,input_tokens
2026-03-10T12:00:00Z,openai,gpt-4o,1
2026-03-12T00:00:00Z,openai,gpt-4o,2
"""


@pytest.fixture
def at_march_10(monkeypatch):
    """The import runs at 2026-03-10 12:00 UTC, whatever the clock says."""
    from datetime import UTC, datetime

    from meterbook.importers import pipeline

    monkeypatch.setattr(pipeline, "clock", lambda: datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


def test_a_line_dated_more_than_a_day_ahead_is_imported_with_a_warning(cli, tmp_path,
                                                                        at_march_10):
    # Now + 1 day = 2026-03-11 12:00; line 3 (2026-03-12 00:00) is 12 hours past that.
    result = cli("import", write(tmp_path, "future.csv", FUTURE))
    assert result.code == 0
    assert "added 2 as batch 1" in result.out
    assert "Warning: 1 line is dated more than a day after now" in result.out
    assert result.err == (
        "future.csv:3: warning: dated 2026-03-12 00:00 UTC, more than a day after now "
        "(2026-03-10 12:00 UTC); imported, but is the date right?\n")


def test_the_json_summary_lists_the_future_lines(cli, tmp_path, at_march_10):
    result = cli("import", write(tmp_path, "future.csv", FUTURE), "--format", "json")
    assert result.json["warnings"] == [{
        "file": "future.csv", "line": 3,
        "message": "dated 2026-03-12 00:00 UTC, more than a day after now (2026-03-10 12:00 "
                   "UTC); imported, but is the date right?"}]
    assert result.json["future_lines"] == 1


def test_an_openai_cost_export_counts_its_empty_days(cli):
    # 8 data lines: lines 2 and 9 are empty days, the 6 others one charge each.
    path = Path(__file__).parent / "data" / "openai" / "cost_2026-03-01_2026-03-04.csv"
    result = cli("import", str(path))
    assert "8 lines (2 with nothing to import), added 6 as batch 1" in result.out
    assert cli("imports", "list").out.splitlines()[1].split()[4] == "8"


def test_an_unknown_header_of_300000_columns_is_refused_in_a_few_lines(cli, tmp_path):
    header = ",".join(f"c{i}" for i in range(300_000))
    result = cli("import", write(tmp_path, "wide.csv", header + "\n"))
    assert result.code == 1
    assert len(result.err) < 2_000  # it was 3.8 MB
    assert "The header has 300,000 columns: the first 40 are listed" in result.err


def test_a_mapped_or_canonical_import_of_a_300000_column_header_says_so_in_a_few_lines(
        cli, tmp_path):
    # Listed by its first 40 columns and a count: 300,000 - 40 = 299,960 more.
    path = write(tmp_path, "wide.csv", ",".join(f"c{i}" for i in range(300_000)) + "\n")
    listed = "'c38', 'c39' and 299,960 more (300,000 columns)"
    mapped = cli("import", path, "--map", "Date=timestamp", "--map", "c1=model",
                 "--vendor", "acme")
    assert mapped.code == 1
    assert len(mapped.err) < 4_000  # it was 7.5 MB
    assert "--map 'Date=timestamp': the file has no column 'Date'; its columns are 'c0', " in (
        mapped.err)
    assert listed in mapped.err and "'c40'" not in mapped.err
    canonical = cli("import", path, "--profile", "canonical")
    assert canonical.code == 1
    assert len(canonical.err) < 4_000  # it was 3.8 MB
    assert "the header lacks the required column(s) timestamp, vendor, model" in canonical.err
    assert listed in canonical.err and "'c40'" not in canonical.err


def test_an_anthropic_cost_export_resaved_by_a_european_excel_imports(cli, tmp_path):
    # ';', a BOM, CRLF, dotted dates and decimal commas, as a German Excel saves "CSV".
    text = ("usage_date_utc;model;workspace;api_key;usage_type;token_type;cost_usd\r\n"
            "12.02.2026;Claude Haiku 4.5;Default;k;message;output;0,4\r\n"
            "12.02.2026;Claude Haiku 4.5;Default;k;message;input_no_cache;0,09\r\n")
    path = tmp_path / "claude_api_cost.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = cli("import", str(path), "--format", "json")
    assert result.code == 0, result.err
    assert (result.json["profile"], result.json["added"]) == ("anthropic-cost", 2)
    # 0.40 + 0.09 = 0.49, billed on 2026-02-12.
    cost = cli("cost", "--format", "json").json
    assert [(row["key"], row["cost"]) for row in cost["rows"]] == [("2026-02", "0.490000000")]

def test_the_commands_do_not_import_the_cli_that_dispatches_to_them():
    # cli.py imports commands.py to dispatch; commands.py reaching back for `Refused` made a
    # cycle. Both now take it from meterbook/errors.py, which imports nothing.
    import ast

    import meterbook.commands
    import meterbook.errors

    def imported(module) -> set[str]:
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
            for alias in node.names}

    assert "meterbook.cli" not in imported(meterbook.commands)
    assert imported(meterbook.errors) == {"__future__"}


# --- list commands: one table writer, and JSON ------------------------------------------------

BEDROCK_PLANS = """\
[[plan]]
name = "Haiku on Bedrock, October"
vendor = "aws"
model = "anthropic.claude-haiku-4-5-20251001-v1:0"
input = "1.00"
output = "5.00"

[[plan]]
name = "Haiku on Bedrock, September"
vendor = "aws"
model = "anthropic.claude-haiku-4-5-20250929-v1:0"
input = "1.00"
output = "5.00"
"""


def test_plans_list_in_a_narrow_terminal_keeps_long_model_names_apart(cli, tmp_path,
                                                                       monkeypatch):
    assert cli("plans", "import", write(tmp_path, "bedrock.toml", BEDROCK_PLANS)).code == 0
    monkeypatch.setattr("meterbook.commands.terminal_width", lambda: 80)
    lines = cli("plans", "list").out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    # Cut to 26 characters both models read "anthropic.claude-haiku-4-5"; wrapped, each keeps
    # the date that tells it apart.
    text = "\n".join(lines)
    assert "20251001" in text and "20250929" in text
    monkeypatch.undo()
    whole = cli("plans", "list")  # a pipe: every cell whole, one line a plan
    assert "anthropic.claude-haiku-4-5-20251001-v1:0" in whole.out


def test_plans_list_json_has_every_field_with_prices_as_strings(loaded):
    plans = {p["name"]: p for p in loaded("plans", "list", "--format", "json").json["plans"]}
    assert set(plans) == {"GPT-4o", "Claude"}
    gpt = plans["GPT-4o"]
    assert (gpt["vendor"], gpt["model"], gpt["input"], gpt["output"], gpt["monthly_fee"]) == (
        "openai", "gpt-4o*", "2.50", "10.00", "20.00")
    assert gpt["effective_from"] == "2026-03-01T00:00:00Z"
    assert (gpt["multiplier"], gpt["cached_input"], gpt["volume"], gpt["size_tiers"]) == (
        "1", None, None, [])
    assert isinstance(gpt["id"], int) and plans["Claude"]["effective_from"] is None


def test_plans_list_json_of_no_plans_is_an_empty_list(cli):
    assert cli("plans", "list", "--format", "json").json == {"plans": []}


def test_the_catalog_shows_sources_and_batch_prices_with_the_multiplier_applied(cli):
    out = cli("plans", "catalog").out
    row = next(line for line in out.splitlines() if line.startswith("Claude Opus 5 (batch)"))
    # list prices 5.00 in, 25.00 out; the batch multiplier 0.5: 2.50 and 12.50
    assert "in 2.50 out 12.50/M tok (×0.5 applied)" in row
    assert "in 5.00 out 25.00" not in row
    reference = row.split()[-1]  # e.g. "[3]"
    assert f"{reference} https://platform.claude.com/docs/en/models/opus-5/overview" in out
    catalog = cli("plans", "catalog", "--format", "json").json["plans"]
    batch = next(p for p in catalog if p["name"] == "Claude Opus 5 (batch)")
    assert (batch["input"], batch["multiplier"], batch["service_tier"]) == ("5.00", "0.5",
                                                                           "batch")
    assert batch["source"] == "https://platform.claude.com/docs/en/models/opus-5/overview"


def test_imports_list_json(loaded):
    batches = loaded("imports", "list", "--format", "json").json["batches"]
    assert len(batches) == 1
    batch = batches[0]
    assert (batch["batch"], batch["files"], batch["profile"]) == (1, ["usage.csv"], "canonical")
    assert (batch["lines"], batch["added"], batch["duplicates"], batch["refused"]) == (5, 5, 0, 0)
    assert batch["created"].endswith("Z")


def test_imports_formats_json(cli):
    data = cli("imports", "formats", "--format", "json").json
    profiles = {f["profile"]: f for f in data["formats"]}
    assert profiles["anthropic-cost"]["kind"] == "csv"
    assert data["saved_mappings"] == []


def test_rates_list_json(cli):
    assert cli("rates", "list", "--format", "json").json == {"home_currency": "USD",
                                                             "rates": []}
    cli("rates", "set", "EUR", "2026-03", "1.08")
    assert cli("rates", "list", "--format", "json").json["rates"] == [
        {"currency": "EUR", "month": "2026-03", "rate": "1.08"}]


def test_imports_list_in_a_narrow_terminal_keeps_every_file_name_whole(cli, tmp_path,
                                                                       monkeypatch):
    names = [f"completions_usage_2026-03-0{day}_2026-04-01_project_marketing_team.csv"
             for day in (1, 2)]
    files = [write(tmp_path, name, "timestamp,vendor,model,request_id,input_tokens\n"
                   f"2026-03-0{n}T09:00:00Z,openai,gpt-4o,r{n},100\n")
             for n, name in enumerate(names, start=1)]
    assert cli("import", *files).code == 0
    monkeypatch.setattr("meterbook.commands.terminal_width", lambda: 80)
    lines = cli("imports", "list").out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    at = lines[0].index("FILES")
    assert lines[1][:5] == "    1"
    # Each file starts a line of the FILES column; its rest goes on indented by two.
    shown: list[str] = []
    for line in lines[1:]:
        cell = line[at:]
        if cell.startswith("  "):
            shown[-1] += cell[2:]
        elif cell:
            shown.append(cell)
    assert shown == names


def test_gui_without_a_screen_says_so_instead_of_a_qt_abort(cli, monkeypatch):
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    result = cli("gui")
    assert result.code == 1
    assert "no screen to show the window on" in result.err
    assert "--screenshot DIR" in result.err
