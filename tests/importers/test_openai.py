"""OpenAI's usage export, cost export and Usage API JSON (importers/openai.py).

Expected values are worked out by hand. 2026-03-01T00:00:00Z is 1_772_323_200 unix seconds
(see test_canonical.py); the fixtures' minute buckets start there, 60 s apart, and their days
86_400 s apart.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tests.helpers import SHARED, header_of, read_recognised

from meterbook.core.records import UsageRecord
from meterbook.importers import formats
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.openai import split_line_item

DATA = Path(__file__).resolve().parent.parent / "data" / "openai"
REAL = SHARED / "real-exports" / "openai" / "completions_usage_api_output_excerpt.json"
MARCH_1 = datetime(2026, 3, 1, tzinfo=UTC)
CANONICAL_HEADER = ["timestamp", "vendor", "model", "input_tokens", "output_tokens"]


def read_json(name: str) -> list:
    document = json.loads((DATA / name).read_text(encoding="utf-8"))
    fmt = formats.recognise_json(document)
    assert fmt is not None and fmt.profile == "openai-usage-api"
    return list(fmt.read(document, name))


def records(items: list) -> list[UsageRecord]:
    assert all(isinstance(item, UsageRecord) for _, item, _ in items)
    return [item for _, item, _ in items]


def errors(items: list) -> dict[int, str]:
    return {line: str(item) for line, item, _ in items if isinstance(item, LineError)}


# --- recognition --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "profile"), [
    ("completions_usage_2026-03-01_2026-03-01.csv", "openai-usage"),
    ("completions_usage_older.csv", "openai-usage"),  # BOM, no start_time, fewer columns
    ("completions_usage_header_only.csv", "openai-usage"),
    ("cost_2026-03-01_2026-03-04.csv", "openai-cost"),
    ("cost_header_only.csv", "openai-cost"),
])  # fmt: skip
def test_headers_are_recognised(name, profile):
    assert formats.recognise_csv(header_of(DATA / name)).profile == profile


def test_canonical_header_is_not_taken_for_openai():
    assert formats.recognise_csv(CANONICAL_HEADER).profile == "canonical"
    # Even with the usage export's columns besides, timestamp + vendor make it canonical.
    fmt = formats.recognise_csv([*CANONICAL_HEADER, "num_model_requests", "start_time"])
    assert fmt is not None and fmt.profile == "canonical"


def test_json_shapes_are_recognised():
    bucket = {"object": "bucket", "start_time": 0, "end_time": 60, "results": [
        {"object": "organization.usage.completions.result", "input_tokens": 1,
         "output_tokens": 1, "num_model_requests": 1}]}
    page = {"object": "page", "data": [bucket], "has_more": False}
    for document in (bucket, page, [page, page], [bucket, bucket]):
        assert formats.recognise_json(document).profile == "openai-usage-api"
    costs = {"object": "page", "data": [{"object": "bucket", "start_time": 0, "results": [
        {"object": "organization.costs.result", "amount": {"value": 1, "currency": "usd"}}]}]}
    for document in (costs, {"object": "list", "data": [1]}, [], {"data": []}, "page"):
        assert formats.recognise_json(document) is None


# --- usage export -------------------------------------------------------------------------------


def test_usage_export_with_minute_buckets():
    items = read_recognised(DATA / "completions_usage_2026-03-01_2026-03-01.csv")
    assert [line for line, _, _ in items] == [2, 3, 4, 5]
    first, second, third, fourth = records(items)
    # input 1830 includes 1024 cached: 806 uncached (= input_uncached_tokens, consistent).
    assert first == UsageRecord(
        timestamp=MARCH_1, vendor="openai", model="gpt-4o-mini-2024-07-18", requests=3,
        input_tokens=806, cached_input_tokens=1024, cache_write_tokens=0, output_tokens=212,
        units=Decimal(0), unit_name=None, request_id=None, conversation_id=None,
        project="proj_abc", user="user_1", api_key="key_1", service_tier="standard",
        billed_cost=None, currency=None,
    )  # fmt: skip
    # batch=true -> tier "batch"; audio columns (12, 7) are ignored.
    assert (second.timestamp, second.service_tier) == (datetime(2026, 3, 1, 0, 1, tzinfo=UTC),
                                                       "batch")
    assert (second.input_tokens, second.cached_input_tokens, second.output_tokens) == (500, 0, 40)
    # 1000 - 256 cached = 744; empty user and key are None; "False" is false.
    assert (third.model, third.input_tokens, third.cached_input_tokens) == ("o3-mini", 744, 256)
    assert (third.user, third.api_key, third.service_tier) == (None, None, "flex")
    # Not grouped by model: "unknown"; empty batch and tier: no tier.
    assert (fourth.model, fourth.requests, fourth.service_tier) == ("unknown", 7, None)
    assert (fourth.input_tokens, fourth.cached_input_tokens) == (3000, 1000)
    assert items[0][2][:2] == ["1772323200", "1772323260"]  # the raw cells


def test_header_only_exports_import_nothing():
    assert read_recognised(DATA / "completions_usage_header_only.csv") == []
    assert read_recognised(DATA / "cost_header_only.csv") == []


def test_older_header_with_bom_crlf_and_iso_times_only():
    first, second = records(read_recognised(DATA / "completions_usage_older.csv"))
    assert first == UsageRecord(
        timestamp=datetime(2026, 3, 1, 1, tzinfo=UTC), vendor="openai", model="gpt-4o",
        requests=4, input_tokens=100, output_tokens=50, project="proj_a",
    )  # fmt: skip
    # No offset means UTC; blank counts are 0.
    assert second.timestamp == datetime(2026, 3, 1, 2, tzinfo=UTC)
    assert (second.requests, second.input_tokens, second.output_tokens) == (1, 0, 0)


def test_bom_in_text_is_stripped_from_the_header():
    text = ("\ufeffstart_time,num_model_requests,input_tokens,output_tokens,model\n"
            "1772323200,2,10,5,gpt-4o\n")
    fmt = formats.by_profile("openai-usage")
    (item,) = [item for _, item, _ in fmt.read(io.StringIO(text, newline=""), "u.csv")]
    assert (item.timestamp, item.model, item.requests) == (MARCH_1, "gpt-4o", 2)


def test_bad_usage_lines_name_file_line_and_column():
    items = read_recognised(DATA / "completions_usage_bad.csv")
    assert [line for line, _, _ in items] == [2, 3, 4, 5, 6, 7, 8]
    assert isinstance(items[0][1], UsageRecord)
    f = "completions_usage_bad.csv"
    assert errors(items) == {
        3: f"{f}:3: column 'input_cached_tokens': 200 cached tokens exceed input_tokens 100; "
           "expected at most 100 (OpenAI's input_tokens include the cached ones)",
        4: f"{f}:4: column 'start_time': 'yesterday' is not a number; "
           "expected a time in unix seconds like 1772323200",
        5: f"{f}:5: column 'input_uncached_tokens': 100 disagrees with "
           "input_tokens - input_cached_tokens = 80; expected them to agree",
        6: f"{f}:6: column 'batch': 'maybe' is not true or false; "
           "expected true, false or empty",
        7: f"{f}:7: has 9 cells; expected 17 like the header",
        8: f"{f}:8: column 'output_tokens': '-5' is negative; expected a whole number >= 0",
    }  # fmt: skip


def test_cache_writes_and_uncached_only_exports():
    fmt = formats.by_profile("openai-usage")
    text = ("start_time,num_model_requests,input_tokens,input_cached_tokens,"
            "input_cache_write_tokens,input_uncached_tokens,output_tokens\n"
            "1772323200,1,1000,300,200,500,9\n"  # 1000 - 300 - 200 = 500
            "1772323200,1,,,,70,9\n")  # no input_tokens: the uncached count is used
    first, second = (item for _, item, _ in fmt.read(io.StringIO(text), "w.csv"))
    assert (first.input_tokens, first.cached_input_tokens, first.cache_write_tokens) == (
        500, 300, 200)
    assert (second.input_tokens, second.cached_input_tokens) == (70, 0)


def test_a_header_without_the_needed_columns_refuses_the_file():
    fmt = formats.by_profile("openai-usage")
    with pytest.raises(ImportRefused) as caught:
        list(fmt.read(io.StringIO("model,output_tokens\ngpt-4o,1\n"), "x.csv"))
    (error,) = caught.value.errors
    assert (error.file, error.line, error.column) == ("x.csv", 1, None)
    assert "start_time or start_time_iso; num_model_requests" in error.message


# --- cost export --------------------------------------------------------------------------------


def test_cost_export_lines():
    items = read_recognised(DATA / "cost_2026-03-01_2026-03-04.csv")
    # Lines 2 and 9 are empty days (blank amounts): they yield nothing.
    assert [line for line, _, _ in items] == [3, 4, 5, 6, 7, 8]
    day_2, day_3 = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
    inputs, cached, output, search, audio, credit = records(items)
    assert inputs == UsageRecord(
        timestamp=day_2, vendor="openai", model="gpt-4o-2024-08-06", requests=0,
        input_tokens=1_000_000, project="proj_abc", user="ana@example.com", api_key="key_1",
        billed_cost=Decimal("2.5"), currency="USD",
    )  # fmt: skip
    assert str(inputs.billed_cost) == "2.500000000000000000000000000000"  # every place kept
    # No project_id: project_name; no user_email: user_id.
    assert (cached.cached_input_tokens, cached.input_tokens) == (500_000, 0)
    assert (cached.project, cached.user, cached.billed_cost) == ("Main", "user-abc",
                                                                 Decimal("0.625"))
    assert (output.model, output.output_tokens, output.service_tier) == ("gpt-5", 100_000,
                                                                         "priority")
    # A service, and an audio token kind: quantities in units, not in the token buckets.
    assert (search.model, search.units, search.unit_name) == ("web search tool calls",
                                                              Decimal(5), None)
    assert (audio.model, audio.units, audio.unit_name) == ("gpt-audio-mini-2025-12-15",
                                                           Decimal(20000), "tokens")
    assert audio.input_tokens == 0
    # A credit without a line item.
    assert (credit.timestamp, credit.model, credit.billed_cost) == (day_3, "unknown",
                                                                    Decimal("-1.25"))
    assert all(r.requests == 0 and r.currency == "USD" for r in records(items))


def test_bad_cost_lines():
    items = read_recognised(DATA / "cost_bad.csv")
    f = "cost_bad.csv"
    assert errors(items) == {
        2: f"{f}:2: column 'amount_value': 'abc' is not a number; "
           "expected a decimal amount (negative for a credit)",
        3: f"{f}:3: column 'amount_currency': 'dollars' is not a currency code; "
           "expected a 3-letter ISO 4217 code like USD",
        4: f"{f}:4: column 'quantity': '1000.5' is not a whole number; "
           "expected a whole number >= 0",
    }  # fmt: skip
    assert items[3][1].output_tokens == 1000


@pytest.mark.parametrize(("line_item", "expected"), [
    ("gpt-4o-2024-08-06, input", ("gpt-4o-2024-08-06", "input_tokens", None)),
    ("gpt-4o, cached input", ("gpt-4o", "cached_input_tokens", None)),
    ("gpt-5-nano, input_tokens", ("gpt-5-nano", "input_tokens", None)),
    ("o3, output", ("o3", "output_tokens", None)),
    ("claude-ish, cache writes", ("claude-ish", "cache_write_tokens", None)),
    ("priority | gpt-5.6, output, long context", ("gpt-5.6", "output_tokens", "priority")),
    ("gpt-image-1 text, cached input", ("gpt-image-1", "cached_input_tokens", None)),
    ("gpt-image-1 image, output", ("gpt-image-1", None, None)),
    ("whisper-1, audio", ("whisper-1", None, None)),
    ("Vector storage", ("Vector storage", None, None)),
    ("", ("unknown", None, None)),
    (", input", ("unknown", "input_tokens", None)),
])  # fmt: skip
def test_line_items(line_item, expected):
    assert split_line_item(line_item) == expected


# --- Usage API JSON -----------------------------------------------------------------------------


def test_usage_api_page():
    items = read_json("usage_api_completions_page.json")
    # Positions count results across the file; the empty second bucket has none.
    assert [line for line, _, _ in items] == [1, 2, 3, 4]
    first, second, bad, fourth = (item for _, item, _ in items)
    assert first == UsageRecord(
        timestamp=MARCH_1, vendor="openai", model="gpt-4o-mini-2024-07-18", requests=3,
        input_tokens=806, cached_input_tokens=1024, output_tokens=212, project="proj_abc",
        api_key="key_1",
    )  # fmt: skip
    assert (second.service_tier, second.input_tokens) == ("batch", 500)
    assert str(bad) == (
        "usage_api_completions_page.json:3: column 'input_cached_tokens': 200 cached tokens "
        "exceed input_tokens 100; expected at most 100 (OpenAI's input_tokens include the "
        "cached ones)")
    assert fourth == UsageRecord(
        timestamp=datetime(2026, 3, 1, 0, 2, tzinfo=UTC), vendor="openai", model="unknown",
        requests=5, input_tokens=10, output_tokens=1, user="user_9", service_tier="flex",
    )  # fmt: skip
    assert json.loads(items[2][2][0])["input_cached_tokens"] == 200  # the result, as read


def test_usage_api_list_of_pages_and_single_bucket():
    fmt = formats.by_profile("openai-usage-api")
    result = {"input_tokens": 10, "output_tokens": 2, "num_model_requests": 1, "model": "m"}
    page = {"object": "page", "data": [
        {"object": "bucket", "start_time": 1772323200, "results": [result, result]}]}
    assert [line for line, _, _ in fmt.read([page, page], "p.json")] == [1, 2, 3, 4]
    (item,) = [item for _, item, _ in fmt.read(page["data"][0] | {"results": [result]}, "b")]
    assert (item.timestamp, item.input_tokens, item.requests) == (MARCH_1, 10, 1)
    broken = {"object": "bucket", "start_time": "soon", "results": [result, "x"]}
    assert [str(item) for _, item, _ in fmt.read(broken, "b.json")] == [
        "b.json:1: column 'start_time': 'soon' is not a number; expected a time in unix "
        "seconds like 1772323200",
        "b.json:2: a result of bucket 1 is not an object",
    ]
    with pytest.raises(ImportRefused):
        list(fmt.read({"object": "list"}, "n.json"))


def test_real_usage_api_excerpt():
    if not REAL.exists():
        pytest.skip("the real OpenAI excerpt is not here")
    document = json.loads(REAL.read_text(encoding="utf-8"))
    fmt = formats.recognise_json(document)
    assert fmt is not None and fmt.profile == "openai-usage-api"
    items = list(fmt.read(document, REAL.name))
    got = records(items)  # three buckets of one result each; the fourth bucket is empty
    assert [line for line, _, _ in items] == [1, 2, 3]
    # 1736616660 - 1735689600 (2025-01-01) = 927060 s = 10 days + 17:31:00.
    assert got[0].timestamp == datetime(2025, 1, 11, 17, 31, tzinfo=UTC)
    assert sum(r.requests for r in got) == 470 + 150 + 3053 == 3673
    # input 141201 + 45949 + 3718360, less 76544 cached on the third day.
    assert sum(r.input_tokens for r in got) == 3_828_966
    assert sum(r.cached_input_tokens for r in got) == 76_544
    assert sum(r.output_tokens for r in got) == 9756 + 282 + 97756 == 107_794
    assert {r.model for r in got} == {"unknown"} and {r.project for r in got} == {None}
