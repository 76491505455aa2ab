"""Anthropic Console exports: "anthropic-cost" and "anthropic-tokens" (importers/anthropic.py).

Every expected record is worked out by hand from the fixture lines under tests/data/anthropic.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tests.helpers import SHARED

from meterbook.core.records import UsageRecord
from meterbook.importers import formats
from meterbook.importers.canonical import open_text
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.identity import OccurrenceCounter

DATA = Path(__file__).resolve().parent.parent / "data" / "anthropic"
REAL = SHARED / "real-exports" / "anthropic"

COST_HEADERS = [
    "usage_date_utc,model,api_key,usage_type,token_type,cost_usd",
    "usage_date_utc,model,usage_type,token_type,cost_usd",
    "usage_date_utc,model,workspace,api_key,usage_type,token_type,cost_usd",
    "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,"
    "cost_type,inference_geo,speed",
]
TOKEN_HEADER = (
    "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,"
    "usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,"
    "usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens,"
    "web_search_count,inference_geo,speed"
)


def day(month: int, date: int, hour: int = 0) -> datetime:
    return datetime(2026, month, date, hour, tzinfo=UTC)


def read(profile: str, name: str) -> list:
    fmt = formats.by_profile(profile)
    with open_text(DATA / name) as text:
        return list(fmt.read(text, name))


def records(items) -> dict[int, list[UsageRecord]]:
    by_line: dict[int, list[UsageRecord]] = {}
    for line, item, _cells in items:
        assert isinstance(item, UsageRecord), item
        by_line.setdefault(line, []).append(item)
    return by_line


def cost(ts, model, unit_name, billed, **rest) -> UsageRecord:
    return UsageRecord(timestamp=ts, vendor="anthropic", model=model, requests=0,
                       unit_name=unit_name, billed_cost=Decimal(billed), currency="USD", **rest)


# --- recognition --------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "profile"), [
    *((h, "anthropic-cost") for h in COST_HEADERS),
    (TOKEN_HEADER, "anthropic-tokens"),
    ("\ufeff" + COST_HEADERS[0].upper(), "anthropic-cost"),  # a BOM and any case
])  # fmt: skip
def test_every_header_version_is_recognised_by_exactly_one_format(header, profile):
    cells = header.split(",")
    assert formats.recognise_csv(cells).profile == profile
    names = formats.normalise_header(cells)
    claimed = [f.profile for f in formats.formats() if f.kind == "csv" and f.recognise(names)]
    assert claimed == [profile]


def test_the_fixture_headers_are_the_documented_ones():
    for name, header in [("cost_v1.csv", COST_HEADERS[0]), ("cost_v2.csv", COST_HEADERS[1]),
                         ("cost_v3.csv", COST_HEADERS[2]), ("cost_v4.csv", COST_HEADERS[3]),
                         ("tokens_daily.csv", TOKEN_HEADER)]:
        with open_text(DATA / name) as text:
            assert ",".join(next(csv.reader(text))) == header, name


# --- cost CSV -----------------------------------------------------------------------------------


def test_cost_v1_with_api_key_and_a_batch_line():
    assert records(read("anthropic-cost", "cost_v1.csv")) == {
        2: [cost(day(1, 5), "claude-3-5-sonnet-20241022", "input_no_cache", "1.25",
                 api_key="prod-key")],
        3: [cost(day(1, 5), "claude-3-5-sonnet-20241022", "output", "0.40",
                 api_key="prod-key", service_tier="batch")],
    }


def test_cost_v2_without_key_or_workspace():
    assert records(read("anthropic-cost", "cost_v2.csv")) == {
        2: [cost(day(1, 6), "claude-3-opus", "input_cache_write", "0.75")],
        3: [cost(day(1, 6), "claude-3-opus", "input_cache_read", "0.05")],
    }


def test_cost_v3_with_a_bom_and_crlf_lines():
    assert records(read("anthropic-cost", "cost_v3.csv")) == {
        2: [cost(day(1, 7), "claude-sonnet-4", "input_cache_write_1h", "2.00",
                 project="Research", api_key="lab-key")],
    }


def test_cost_v4_web_search_placeholders_context_windows_and_identical_lines():
    shared = {"project": "Default", "api_key": "chat-key"}
    assert records(read("anthropic-cost", "cost_v4.csv")) == {
        2: [cost(day(2, 12), "web_search", "searches", "0.07", **shared)],
        3: [cost(day(2, 12), "claude-haiku-4-5", "input_no_cache", "0.09", **shared)],
        4: [cost(day(2, 12), "claude-sonnet-4-5", "input_cache_write_5m", "0.75", **shared)],
        5: [cost(day(2, 12), "claude-sonnet-4-5", "input_cache_write_5m", "0.75", **shared)],
        6: [cost(day(2, 13), "claude-sonnet-4-5", "output, context > 200k", "3.30", **shared)],
        7: [cost(day(2, 13), "claude-opus-4-1", "output", "1.00", service_tier="priority")],
    }


def test_two_identical_lines_are_two_records_with_different_identities():
    items = read("anthropic-cost", "cost_v4.csv")
    fourth, fifth = items[2][1], items[3][1]
    assert fourth == fifth
    counter = OccurrenceCounter()
    assert counter.key(fourth) != counter.key(fifth)


def test_a_header_only_export_has_no_lines():
    assert read("anthropic-cost", "cost_header_only.csv") == []


def test_bad_cost_lines_are_refused_with_file_line_and_column():
    items = read("anthropic-cost", "cost_bad.csv")
    assert isinstance(items[0][1], UsageRecord)
    errors = {line: item for line, item, _ in items if isinstance(item, LineError)}
    assert sorted(errors) == [3, 4, 5, 6, 7]
    assert all(e.file == "cost_bad.csv" and e.line == n for n, e in errors.items())
    assert errors[3].column == "usage_date_utc"
    assert "'2026-02-30' is not a valid date or time" in errors[3].message
    assert str(errors[4]) == ("cost_bad.csv:4: column 'cost_usd': 'abc' is not a number; "
                              "expected a decimal amount (negative for a credit)")
    assert errors[5].column == "cost_usd" and errors[5].message.startswith("is empty")
    assert errors[6].column is None
    assert errors[6].message == "has 8 cells; expected 11 like the header"
    assert errors[7].column == "model" and "cost_type" in errors[7].message
    # the refused line's cells travel with it, for the batch's record of refused lines
    assert items[2][2][7] == "abc"


# --- token CSV ----------------------------------------------------------------------------------


def test_daily_token_rows_with_searches():
    key = {"project": "Default", "api_key": "prod-key"}
    assert records(read("anthropic-tokens", "tokens_daily.csv")) == {
        2: [UsageRecord(day(3, 1), "anthropic", "claude-sonnet-4-5-20250929", requests=0,
                        input_tokens=1200, cache_write_tokens=300 + 100,
                        cached_input_tokens=5000, output_tokens=800,
                        service_tier="standard", **key)],
        3: [UsageRecord(day(3, 1), "anthropic", "claude-haiku-4-5", requests=0,
                        input_tokens=250000, output_tokens=1000, unit_name="context > 200k",
                        service_tier="batch", **key),
            UsageRecord(day(3, 1), "anthropic", "web_search", requests=0, units=Decimal(3),
                        unit_name="searches", service_tier="batch", **key)],
        4: [UsageRecord(day(3, 1), "anthropic", "web_search", requests=0, units=Decimal(7),
                        unit_name="searches", **key)],
        # line 5: no model, no tokens, no searches: nothing
    }


def test_hourly_token_rows_and_identical_lines():
    opus = {"vendor": "anthropic", "model": "claude-opus-4-1-20250805", "requests": 0,
            "project": "Ops", "api_key": "ops-key", "service_tier": "standard"}
    assert records(read("anthropic-tokens", "tokens_hourly.csv")) == {
        2: [UsageRecord(day(3, 31, 2), input_tokens=10, cached_input_tokens=20,
                        output_tokens=30, **opus)],
        3: [UsageRecord(day(3, 31, 2), input_tokens=10, cached_input_tokens=20,
                        output_tokens=30, **opus)],
        4: [UsageRecord(day(3, 31, 3), input_tokens=5, output_tokens=7, **opus)],
    }


def test_bad_token_lines_are_refused_with_file_line_and_column():
    items = read("anthropic-tokens", "tokens_bad.csv")
    errors = {line: item for line, item, _ in items if isinstance(item, LineError)}
    assert sorted(errors) == [2, 3, 4, 5, 6]
    assert str(errors[2]) == ("tokens_bad.csv:2: column 'usage_input_tokens_no_cache': '-5' is "
                              "negative; expected a whole number >= 0")
    assert errors[3].column == "usage_output_tokens"
    assert errors[3].message.startswith("'12.5' is not a whole number")
    assert errors[4].column == "usage_date_utc"
    assert errors[4].message.startswith("'31/03/2026' is not a date or time")
    assert errors[5].column == "model_version"
    assert errors[6].column == "web_search_count"
    (good,) = [item for line, item, _ in items if line == 7]
    assert (good.input_tokens, good.cache_write_tokens, good.cached_input_tokens,
            good.output_tokens) == (1, 2 + 3, 4, 5)


# --- whole-file problems ------------------------------------------------------------------------


def test_a_profile_forced_on_the_wrong_file_refuses_it():
    with pytest.raises(ImportRefused) as caught:
        read("anthropic-tokens", "cost_v4.csv")
    (error,) = caught.value.errors
    assert (error.file, error.line, error.column) == ("cost_v4.csv", 1, None)
    assert "model_version" in error.message


def test_an_empty_file_refuses_the_import():
    fmt = formats.by_profile("anthropic-cost")
    with pytest.raises(ImportRefused) as caught:
        list(fmt.read(io.StringIO("", newline=""), "empty.csv"))
    assert caught.value.errors[0].file == "empty.csv"


def test_a_nul_byte_refuses_only_its_line():
    text = COST_HEADERS[1] + "\n2026-01-06,Claude 3 Opus,message,output,0.\x0075\n"
    items = list(formats.by_profile("anthropic-cost").read(io.StringIO(text, newline=""), "n.csv"))
    ((line, error, _),) = items
    assert line == 2 and isinstance(error, LineError) and "NUL" in error.message


# --- the real export ----------------------------------------------------------------------------


def test_the_real_cost_export_imports_whole_with_the_billed_total():
    files = sorted(REAL.glob("claude_api_cost_*.csv")) if REAL.is_dir() else []
    if not files:
        pytest.skip("the real Anthropic export is not here")
    path = REAL / "claude_api_cost_2026_02_08_to_2026_02_15.csv"
    with open_text(path) as text:
        header = next(csv.reader(text))
    assert formats.recognise_csv(header).profile == "anthropic-cost"
    with open_text(path) as text:
        items = list(formats.by_profile("anthropic-cost").read(text, path.name))
    found = [item for _, item, _ in items]
    assert not [item for item in found if isinstance(item, LineError)]
    assert len(found) == 24  # every data line is one record
    # By hand: 0.07 (web search) + 0.15 + 6.33 (Feb 12) + 0.27 + 12.21 (Feb 14) + 0.94 (Feb 15)
    assert sum(r.billed_cost for r in found) == Decimal("19.97")
    assert {r.model for r in found} == {"web_search", "claude-haiku-4-5", "claude-sonnet-4-5"}
    # the two cache-write lines of Sonnet on Feb 12 are two charges
    writes = [r.billed_cost for r in found if r.model == "claude-sonnet-4-5"
              and r.timestamp == day(2, 12) and r.unit_name == "input_cache_write_5m"]
    assert writes == [Decimal("0.75"), Decimal("1.16")]
