"""OpenRouter's activity export and generation log (importers/openrouter.py).

Expected values are worked out by hand from the fixtures under tests/data/openrouter/.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tests.helpers import header_of, read_recognised

from meterbook.core.records import UsageRecord
from meterbook.importers import formats
from meterbook.importers.errors import ImportRefused, LineError

DATA = Path(__file__).resolve().parent.parent / "data" / "openrouter"


def errors(items: list) -> dict[int, str]:
    return {line: str(item) for line, item, _ in items if isinstance(item, LineError)}


@pytest.mark.parametrize(("name", "profile"), [
    ("activity.csv", "openrouter-activity"),
    ("activity_header_only.csv", "openrouter-activity"),
    ("generations.csv", "openrouter-generations"),  # starts with a BOM
    ("generations_header_only.csv", "openrouter-generations"),
])  # fmt: skip
def test_headers_are_recognised(name, profile):
    assert formats.recognise_csv(header_of(DATA / name)).profile == profile


def test_canonical_header_is_not_taken_for_openrouter():
    header = ["timestamp", "vendor", "model", "generation_id", "created_at", "cost_total",
              "model_permaslug", "date", "slug", "usage", "requests", "prompt tokens",
              "completion tokens"]
    assert formats.recognise_csv(header).profile == "canonical"


def test_header_only_exports_import_nothing():
    assert read_recognised(DATA / "activity_header_only.csv") == []
    assert read_recognised(DATA / "generations_header_only.csv") == []


def test_activity_lines():
    items = read_recognised(DATA / "activity.csv")
    assert [line for line, _, _ in items] == [2, 3]
    opus, o3 = (item for _, item, _ in items)
    assert opus == UsageRecord(
        timestamp=datetime(2026, 5, 12, tzinfo=UTC), vendor="openrouter",
        model="anthropic/claude-opus-4.7", requests=4115, input_tokens=70_965_665,
        output_tokens=3_009_973, billed_cost=Decimal("430.07"), currency="USD",
    )  # fmt: skip
    # Reasoning tokens (6000) are part of the completion tokens (8000): not added again.
    # BYOK Usage (0.02) is the upstream provider's charge, not OpenRouter's: not kept.
    assert o3 == UsageRecord(
        timestamp=datetime(2026, 5, 13, tzinfo=UTC), vendor="openrouter",
        model="openai/o3-mini", requests=10, input_tokens=12_000, output_tokens=8_000,
        billed_cost=Decimal("0.1234567"), currency="USD",
    )  # fmt: skip


def test_bad_activity_lines():
    f = "activity_bad.csv"
    assert errors(read_recognised(DATA / f)) == {
        2: f"{f}:2: column 'Requests': '-1' is negative; expected a whole number >= 0",
        3: f"{f}:3: column 'Slug': is empty; every line needs a model",
        4: f"{f}:4: column 'Prompt Tokens': '1.5' is not a whole number; "
           "expected a whole number >= 0",
        5: f"{f}:5: column 'Date': '12/05/2026' is not a date or time; expected an ISO 8601 "
           "time like 2026-03-01T12:00:00Z, 2026-03-01 12:00:00 or 2026-03-01",
    }  # fmt: skip


def test_generation_log_lines():
    items = read_recognised(DATA / "generations.csv")
    assert [line for line, _, _ in items] == [2, 3]
    first, second = (item for _, item, _ in items)
    # 10389 prompt tokens of which 2048 cached: 8341 uncached.
    assert first == UsageRecord(
        timestamp=datetime(2026, 3, 1, 0, 0, 5, 250_000, tzinfo=UTC), vendor="openrouter",
        model="openai/gpt-oss-120b-20250805", requests=1, input_tokens=8341,
        cached_input_tokens=2048, output_tokens=137, request_id="gen-1772323205-aaa",
        project="Support Bot", user="ana", api_key="prod-key",
        billed_cost=Decimal("0.0123"), currency="USD",
    )  # fmt: skip
    # 2500 reasoning tokens are inside the 3000 completion tokens; blank cached is 0.
    assert second == UsageRecord(
        timestamp=datetime(2026, 3, 1, 0, 1, tzinfo=UTC), vendor="openrouter",
        model="anthropic/claude-sonnet-4-20250514", requests=1, input_tokens=1000,
        output_tokens=3000, request_id="gen-1772323260-bbb",
        billed_cost=Decimal("0.5"), currency="USD",
    )  # fmt: skip


def test_bad_generation_lines():
    f = "generations_bad.csv"
    assert errors(read_recognised(DATA / f)) == {
        2: f"{f}:2: column 'tokens_cached': 200 cached tokens exceed tokens_prompt 100; "
           "expected at most 100 (the cached tokens are part of the prompt)",
        3: f"{f}:3: column 'created_at': '5 minutes ago' is not a date or time; expected an "
           "ISO 8601 time like 2026-03-01T12:00:00Z, 2026-03-01 12:00:00 or 2026-03-01",
        4: f"{f}:4: column 'cost_total': 'free' is not a number; "
           "expected a decimal amount (negative for a credit)",
    }  # fmt: skip


def test_minimal_generation_log_and_bom_in_text():
    fmt = formats.by_profile("openrouter-generations")
    text = ("\ufeffgeneration_id,created_at,cost_total,model_permaslug,project\n"
            "gen-1,2026-03-01T00:00:00Z,,openai/gpt-4o,p1\n")
    (item,) = [item for _, item, _ in fmt.read(io.StringIO(text, newline=""), "g.csv")]
    assert (item.request_id, item.project, item.billed_cost, item.currency) == (
        "gen-1", "p1", None, None)
    assert (item.input_tokens, item.output_tokens, item.requests) == (0, 0, 1)


def test_the_wrong_file_for_the_profile_is_refused_whole():
    fmt = formats.by_profile("openrouter-activity")
    with pytest.raises(ImportRefused) as caught:
        list(fmt.read(io.StringIO("Date,Slug\n2026-01-01,x\n"), "a.csv"))
    (error,) = caught.value.errors
    assert (error.line, error.column) == (1, None)
    assert error.message.startswith("the header lacks the column(s) usage; requests;")
