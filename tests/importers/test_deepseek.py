"""DeepSeek's usage export, amount-*.csv (importers/deepseek.py).

Expected values are worked out by hand: 2026-03-01T00:00:00+08:00 is 2026-02-28T16:00:00Z.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from meterbook.core.records import UsageRecord
from meterbook.importers import formats
from meterbook.importers.canonical import open_text
from meterbook.importers.errors import LineError

DATA = Path(__file__).resolve().parent.parent / "data" / "deepseek"
HOUR_1 = datetime(2026, 2, 28, 16, tzinfo=UTC)
HOUR_2 = datetime(2026, 2, 28, 17, tzinfo=UTC)


def header_of(name: str) -> list[str]:
    with open_text(DATA / name) as text:
        return next(csv.reader(text))


def read(name: str) -> list:
    fmt = formats.recognise_csv(header_of(name))
    assert fmt is not None and fmt.profile == "deepseek-usage"
    with open_text(DATA / name) as text:
        return list(fmt.read(text, name))


def test_headers_are_recognised_and_canonical_is_not():
    for name in ("amount-2026-3.csv", "amount-header-only.csv", "amount-legacy.csv"):
        assert formats.recognise_csv(header_of(name)).profile == "deepseek-usage"
    header = ["timestamp", "vendor", "model", "type", "price", "amount", "start_time_iso"]
    assert formats.recognise_csv(header).profile == "canonical"


def test_header_only_export_imports_nothing():
    assert read("amount-header-only.csv") == []


def test_one_record_per_line_with_requests_counted_once():
    items = read("amount-2026-3.csv")  # starts with a BOM
    assert [line for line, _, _ in items] == [2, 3, 4, 5, 6, 7]
    got = [item for _, item, _ in items]
    chat = {"vendor": "deepseek", "model": "deepseek-chat", "user": "u-1", "api_key": "Harness"}
    assert got[:4] == [
        UsageRecord(timestamp=HOUR_1, requests=0, cached_input_tokens=2048, **chat),
        UsageRecord(timestamp=HOUR_1, requests=0, input_tokens=1000, **chat),
        UsageRecord(timestamp=HOUR_1, requests=0, output_tokens=300, **chat),
        UsageRecord(timestamp=HOUR_1, requests=4, **chat),
    ]
    reasoner = {"vendor": "deepseek", "model": "deepseek-reasoner", "user": "u-1"}
    assert got[4:] == [  # an empty api_key_name is no key; the masked api_key is not kept
        UsageRecord(timestamp=HOUR_2, requests=0, output_tokens=12000, **reasoner),
        UsageRecord(timestamp=HOUR_2, requests=2, **reasoner),
    ]
    assert sum(r.requests for r in got) == 6
    assert all(r.billed_cost is None and r.currency is None for r in got)  # price: unit price


def test_legacy_utc_date_column():
    hit, requests = (item for _, item, _ in read("amount-legacy.csv"))
    assert hit == UsageRecord(
        timestamp=datetime(2026, 6, 1, tzinfo=UTC), vendor="deepseek", model="deepseek-v4-pro",
        requests=0, cached_input_tokens=8_275_456, user="u-1", api_key="VS Code, Copilot",
    )  # fmt: skip
    assert (requests.requests, requests.cached_input_tokens) == (92, 0)


def test_bad_lines_name_file_line_and_column():
    f = "amount-bad.csv"
    got = {line: str(item) for line, item, _ in read(f) if isinstance(item, LineError)}
    assert got == {
        2: f"{f}:2: column 'type': 'input_tokens' is not a DeepSeek usage type; expected one "
           "of input_cache_hit_tokens, input_cache_miss_tokens, output_tokens, request_count",
        3: f"{f}:3: column 'amount': is empty; expected a whole number >= 0",
        4: f"{f}:4: column 'start_time_iso': '2026-02-30T00:00:00+08:00' is not a valid date "
           "or time (day is out of range for month); expected an ISO 8601 time like "
           "2026-03-01T12:00:00Z, 2026-03-01 12:00:00 or 2026-03-01",
        5: f"{f}:5: column 'amount': '12.5' is not a whole number; "
           "expected a whole number >= 0",
    }  # fmt: skip


@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_read_from_text(bom):
    fmt = formats.by_profile("deepseek-usage")
    text = (f"{bom}user_id,start_time_iso,end_time_iso,model,api_key_name,api_key,type,price,"
            "amount\r\nu,2026-03-01T08:00:00+08:00,,deepseek-chat,k,sk,REQUEST_COUNT,,3\r\n")
    (item,) = [item for _, item, _ in fmt.read(io.StringIO(text, newline=""), "a.csv")]
    assert (item.timestamp, item.requests) == (datetime(2026, 3, 1, tzinfo=UTC), 3)
