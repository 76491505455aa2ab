"""Anthropic Console exports (usage-data.md): the cost CSV and the token CSV.

"anthropic-cost" (claude_api_cost_*.csv) is billed cost lines: one line per day, model, key,
workspace, usage type and token type, with the charge in USD rounded to cents. Four header
versions are known; they differ only in which optional columns are present, so columns are read
by name. "anthropic-tokens" (claude_api_tokens_*.csv) is token counts per day or hour.

Decisions where usage-data.md is silent:
- `--` is the Console's "not applicable" and reads as an empty cell, never as an error.
- Cost lines: requests = 0 (a cost line is a charge, not a request); no token counts (the
  export has none); unit_name = token_type (input_no_cache, output, ...) so that the lines of
  one day and model stay distinguishable and each token type is its own meter.
- The web-search line (model `--`) gets its model from `cost_type`: "web_search", with
  unit_name "searches" and units 0 (the export gives the charge, not the number of searches).
  The token CSV's searches use the same model and unit name, so both land on one meter.
- service_tier is `usage_type` when that names a tier (standard, batch, priority, flex, or a
  batch variant such as message_batch); "message" (plain Messages API use) says nothing about
  the tier and gives none.
- A context window beyond the base one (`> 200k`) is priced differently by Anthropic but the
  record has no field for it: it is kept visible in unit_name ("output, context > 200k";
  "context > 200k" on token rows), so long-context lines form their own meters. `≤ 200k` (the
  base window) adds nothing.
- Token rows: requests = 0, because the export has no request count and 1 per row would invent
  one (a day of thousands of requests would count as one, and per-request prices would charge
  once per row). cache_write = 5-minute + 1-hour writes.
- web_search_count > 0 becomes a second record (model "web_search", units = the count,
  unit_name "searches", no tokens) on the same line: searches are priced per search whatever
  the model, so one plan can price them all.
- A token row with model `--` and no tokens yields only its searches (or nothing).
- inference_geo and speed are not represented (no canonical field).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TextIO

from meterbook.core.records import UsageRecord
from meterbook.importers import cells as convert
from meterbook.importers.formats import Format, Item, Reading, register
from meterbook.importers.model_names import api_model_name
from meterbook.importers.rows import NOT_TEXT, CsvLine, read_csv

VENDOR = "anthropic"
PLACEHOLDER = "--"
WEB_SEARCH = "web_search"
SEARCHES = "searches"

COST_COLUMNS = ("usage_date_utc", "model", "token_type", "cost_usd")
TOKEN_COLUMNS = ("usage_date_utc", "model_version")
TOKEN_COUNTS = (
    "usage_input_tokens_no_cache", "usage_input_tokens_cache_write_5m",
    "usage_input_tokens_cache_write_1h", "usage_input_tokens_cache_read", "usage_output_tokens",
)  # fmt: skip

_TIERS = {"standard": "standard", "batch": "batch", "priority": "priority", "flex": "flex"}
_UNIT_OF_COST_TYPE = {WEB_SEARCH: SEARCHES}


class _Line(CsvLine):
    """One data line's cells, read by column name; `--` reads as an empty cell."""

    __slots__ = ()

    def raw(self, name: str) -> str:
        value = super().raw(name).strip()
        return "" if value == PLACEHOLDER else value


def _tier(usage_type: str) -> str | None:
    kind = usage_type.strip().lower()
    if "batch" in kind:
        return "batch"
    return _TIERS.get(kind)


def _long_context(line: _Line) -> str | None:
    """"context > 200k" for a window beyond the base one; None for `≤ 200k`, `--` or none."""
    window = " ".join(line.text("context_window").split())
    if not window or window.startswith(("≤", "<=", "<", "0-")):
        return None
    return f"context {window}"


def _items(text: TextIO, file_name: str, required: tuple[str, ...],
           convert_line: Callable[[_Line], list[UsageRecord]], reading: Reading | None
           ) -> Iterator[Item]:
    """The rows of a Console CSV as items; `convert_line` gives a line's records."""
    return read_csv(text, file_name, [(name,) for name in required], convert_line,
                    line_type=_Line, separator=", ", undecodable=NOT_TEXT, reading=reading)


# ---------------------------------------------------------------------------------------------
# Cost CSV


def is_cost_header(names: object) -> bool:
    return isinstance(names, list) and set(COST_COLUMNS) <= set(names)


def _cost_line(line: _Line) -> list[UsageRecord]:
    timestamp = line.take("usage_date_utc", convert.instant)
    cost = line.take("cost_usd", convert.money)
    if cost is None:
        line.refuse("cost_usd", "is empty; every cost line needs an amount in USD")
    token_type = line.text("token_type") or None
    display = line.text("model")
    if display:
        model = api_model_name(VENDOR, display)
        unit_name = token_type
    else:
        cost_type = line.text("cost_type")
        if not cost_type:
            line.refuse("model", "is empty or '--' and the line has no cost_type to say "
                                 "what was charged; expected a model name")
        model = cost_type.lower()
        unit_name = token_type or _UNIT_OF_COST_TYPE.get(model)
    context = _long_context(line)
    if context:
        unit_name = f"{unit_name}, {context}" if unit_name else context
    return [UsageRecord(
        timestamp=timestamp, vendor=VENDOR, model=model, requests=0, unit_name=unit_name,
        project=line.text("workspace") or None, api_key=line.text("api_key") or None,
        service_tier=_tier(line.text("usage_type")), billed_cost=cost, currency="USD",
    )]


def read_cost(text: TextIO, file_name: str, reading: Reading | None = None
              ) -> Iterator[Item]:
    return _items(text, file_name, COST_COLUMNS, _cost_line, reading)


# ---------------------------------------------------------------------------------------------
# Token CSV


def is_token_header(names: object) -> bool:
    return (isinstance(names, list) and set(TOKEN_COLUMNS) <= set(names)
            and any(name in names for name in TOKEN_COUNTS))


def _token_line(line: _Line) -> list[UsageRecord]:
    timestamp = line.take("usage_date_utc", convert.instant)
    no_cache, write_5m, write_1h, cache_read, output = (
        line.take(name, convert.count) for name in TOKEN_COUNTS)
    searches = line.take("web_search_count", convert.count)
    shared = {
        "timestamp": timestamp, "vendor": VENDOR, "requests": 0,
        "project": line.text("workspace") or None, "api_key": line.text("api_key") or None,
        "service_tier": _tier(line.text("usage_type")),
    }  # fmt: skip
    records = []
    display = line.text("model_version")
    tokens = no_cache + write_5m + write_1h + cache_read + output
    if display:
        records.append(UsageRecord(
            model=api_model_name(VENDOR, display), input_tokens=no_cache,
            cache_write_tokens=write_5m + write_1h, cached_input_tokens=cache_read,
            output_tokens=output, unit_name=_long_context(line), **shared,
        ))
    elif tokens:
        line.refuse("model_version", "is empty or '--' on a line with token counts; "
                                     "expected the model the tokens were used with")
    if searches:
        records.append(UsageRecord(model=WEB_SEARCH, units=Decimal(searches),
                                   unit_name=SEARCHES, **shared))
    return records


def read_tokens(text: TextIO, file_name: str, reading: Reading | None = None
                ) -> Iterator[Item]:
    return _items(text, file_name, TOKEN_COLUMNS, _token_line, reading)


COST = register(Format(
    profile="anthropic-cost", title="Anthropic Console cost CSV", kind="csv",
    recognise=is_cost_header, read=read_cost,
))
TOKENS = register(Format(
    profile="anthropic-tokens", title="Anthropic Console token CSV", kind="csv",
    recognise=is_token_header, read=read_tokens,
))
