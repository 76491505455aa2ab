"""OpenAI's exports (usage-data.md, "Vendor formats"): the dashboard usage and cost CSVs and
the Usage API's JSON.

The rows are read by rows.py, which every vendor format shares.

Decisions where usage-data.md is silent:
- timestamps: `start_time` (unix seconds) when it is filled in, else `start_time_iso` (no offset
  means UTC, as for the canonical CSV).
- an empty or missing model (an export not grouped by model, or the Usage API's `null`) becomes
  the model "unknown": the canonical record needs a model, and "unknown" says honestly that the
  export did not tell.
- `input_tokens` includes cached tokens (usage-data.md) and, where the export has the column,
  cache-write tokens (`input_cache_write_tokens`, which the newer Usage API reports and counts
  inside `input_tokens`); uncached = input - cached - cache writes. A line whose cached (+ write)
  tokens exceed its input is refused. `input_uncached_tokens`, when filled in, must agree with
  that difference, otherwise the line is refused (the export contradicts itself and either
  reading would price it wrongly); it is used on its own only when `input_tokens` is absent.
- audio token columns (`input_audio_tokens`, `output_audio_tokens`) are ignored: usage-data.md
  gives them no bucket, and `output_tokens` already counts every output token.
- `service_tier` is lower-cased and OpenAI's "default" becomes "standard" (the spec's word);
  `batch` true overrides it with "batch". `batch` accepts true/false/1/0/yes/no or empty.
- a blank `num_model_requests` counts 0 requests (a bucket says how many it covers; blank is
  none, not one).
- cost lines: `line_item` reads "[tier | ]model[ modality], kind[, qualifier]", e.g.
  "gpt-4o-2024-08-06, input", "priority | gpt-5, output, long context",
  "gpt-audio-mini audio, input", or a service without a kind ("web search tool calls"). The
  model is the first word before the comma (OpenAI model ids have no spaces); a line item
  without a comma is a service and is the model as written; an empty one is "unknown". Text
  token kinds (input, cached input, output, cache write(s); "input_tokens" spellings too) with
  `quantity_unit` tokens fill the token buckets; anything else (audio/image modalities, other
  kinds, other units) keeps its quantity in `units` with `unit_name` = `quantity_unit`, so it is
  neither lost nor priced as text tokens. The tier prefix sets `service_tier`. Qualifiers such
  as "long context" are not recorded (the billed cost carries them).
- a cost line with an amount but no `amount_currency` is in USD (as for the canonical CSV).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import TextIO

from meterbook.core.records import UsageRecord
from meterbook.importers import cells
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.formats import Format, Item, Reading, register
from meterbook.importers.rows import DictLine, Line, Refused, not_canonical, read_csv

# ---------------------------------------------------------------------------------------------
# Cells OpenAI writes

VENDOR = "openai"


def start(line: Line) -> datetime:
    """The bucket's start: unix `start_time` when filled in, else `start_time_iso`."""
    if line.filled("start_time") or not line.has("start_time_iso"):
        return line.take("start_time", cells.unix_seconds)
    return line.take("start_time_iso", cells.instant)


def _tier(raw: str) -> str | None:
    tier = cells.lower_text(raw)
    return "standard" if tier == "default" else tier


# ---------------------------------------------------------------------------------------------
# Usage: the dashboard's completions_usage_*.csv and the Usage API's results


_COMPLETIONS_RESULT = "organization.usage.completions.result"


def usage_record(line: Line) -> UsageRecord:
    """One bucket x grouping of completions usage (a CSV row or a Usage API result)."""
    kind = line.raw("object").strip()
    if kind and kind != _COMPLETIONS_RESULT:
        line.refuse("object", f"{cells.show(kind)} is not completions usage; expected "
                              f"{_COMPLETIONS_RESULT} (export /usage/completions)")
    timestamp = start(line)
    cached = line.take("input_cached_tokens", cells.count)
    writes = line.take("input_cache_write_tokens", cells.count)
    if line.filled("input_tokens") or not line.filled("input_uncached_tokens"):
        total = line.take("input_tokens", cells.count)
        uncached = total - cached - writes
        if uncached < 0:
            what = "cached" if not writes else f"cached + {writes} cache-write"
            line.refuse("input_cached_tokens", (
                f"{cached} {what} tokens exceed input_tokens {total}; expected at most "
                f"{total} (OpenAI's input_tokens include the cached ones)"))
        if line.filled("input_uncached_tokens"):
            stated = line.take("input_uncached_tokens", cells.count)
            if stated != uncached:
                formula = "input_tokens - input_cached_tokens" + (
                    " - input_cache_write_tokens" if writes else "")
                line.refuse("input_uncached_tokens", (
                    f"{stated} disagrees with {formula} = {uncached}; expected them to agree"))
    else:
        uncached = line.take("input_uncached_tokens", cells.count)
    tier = "batch" if line.take("batch", cells.flag) else line.take("service_tier", _tier)
    return UsageRecord(
        timestamp=timestamp, vendor=VENDOR,
        # Not grouped by model (or null in JSON): the record needs one, and "unknown" says
        # honestly that the export did not tell.
        model=line.take("model", cells.text) or "unknown",
        requests=line.take("num_model_requests", cells.count),
        input_tokens=uncached, cached_input_tokens=cached, cache_write_tokens=writes,
        output_tokens=line.take("output_tokens", cells.count),
        project=line.take("project_id", cells.text), user=line.take("user_id", cells.text),
        api_key=line.take("api_key_id", cells.text), service_tier=tier,
    )  # fmt: skip


_TIMES = ("start_time", "start_time_iso")


def _is_usage_csv(names: object) -> bool:
    found = set(names)  # type: ignore[arg-type]
    return ({"num_model_requests", "input_tokens", "output_tokens"} <= found
            and not found.isdisjoint(_TIMES) and not_canonical(found))


def read_usage_csv(text: TextIO, file_name: str, reading: Reading | None = None
                   ) -> Iterator[Item]:
    needs = (_TIMES, ("num_model_requests",), ("input_tokens", "input_uncached_tokens"),
             ("output_tokens",))
    return read_csv(text, file_name, needs, usage_record, reading=reading)


USAGE = register(Format(
    profile="openai-usage", title="OpenAI usage export", kind="csv",
    recognise=_is_usage_csv, read=read_usage_csv,
))


# ---------------------------------------------------------------------------------------------
# Cost: the dashboard's cost_*.csv

_TOKEN_KINDS = {
    "input": "input_tokens", "uncached input": "input_tokens",
    "cached input": "cached_input_tokens", "input cached": "cached_input_tokens",
    "cache write": "cache_write_tokens", "cache writes": "cache_write_tokens",
    "output": "output_tokens",
}  # fmt: skip
_TOKEN_UNITS = {"tokens", "token"}


def split_line_item(raw: str) -> tuple[str, str | None, str | None]:
    """"[tier | ]model[ modality], kind[, qualifier]" -> (model, token bucket or None, tier)."""
    text, tier = raw.strip(), None
    if "|" in text:
        prefix, _, text = text.partition("|")
        tier, text = _tier(prefix), text.strip()
    if not text:
        return "unknown", None, tier
    if "," not in text:  # a service, e.g. "web search tool calls"
        return text, None, tier
    head, kind, *_qualifiers = (part.strip() for part in text.split(","))
    model, *modality = head.split() or ["unknown"]
    kind = kind.lower().replace("_", " ").removesuffix(" tokens")
    text_tokens = not modality or modality == ["text"]
    return model, _TOKEN_KINDS.get(kind) if text_tokens else None, tier


def cost_record(line: Line) -> UsageRecord | None:
    billed = line.take("amount_value", cells.money)
    if billed is None:
        return None  # an empty day: the export writes the bucket with blank amounts
    timestamp = start(line)
    model, bucket, tier = line.take("line_item", split_line_item)
    unit = line.take("quantity_unit", cells.text)
    tokens = {"input_tokens": 0, "cached_input_tokens": 0, "cache_write_tokens": 0,
              "output_tokens": 0}
    units, unit_name = Decimal(0), None
    if bucket is not None and (unit or "").lower() in _TOKEN_UNITS:
        tokens[bucket] = line.take("quantity", cells.count)
    elif line.filled("quantity"):
        units, unit_name = line.take("quantity", cells.units), unit
    return UsageRecord(
        timestamp=timestamp, vendor=VENDOR, model=model, requests=0,  # a charge, not a request
        **tokens, units=units, unit_name=unit_name,
        project=line.take("project_id", cells.text) or line.take("project_name", cells.text),
        user=line.take("user_email", cells.text) or line.take("user_id", cells.text),
        api_key=line.take("api_key_id", cells.text), service_tier=tier,
        billed_cost=billed, currency=line.take("amount_currency", cells.currency) or "USD",
    )  # fmt: skip


def _is_cost_csv(names: object) -> bool:
    found = set(names)  # type: ignore[arg-type]
    return ({"amount_value", "amount_currency", "line_item"} <= found
            and not found.isdisjoint(_TIMES) and not_canonical(found))


def read_cost_csv(text: TextIO, file_name: str, reading: Reading | None = None
                  ) -> Iterator[Item]:
    return read_csv(text, file_name, (_TIMES, ("amount_value",)), cost_record,
                    reading=reading)


COST = register(Format(
    profile="openai-cost", title="OpenAI cost export", kind="csv",
    recognise=_is_cost_csv, read=read_cost_csv,
))


# ---------------------------------------------------------------------------------------------
# The Usage API's JSON (GET /v1/organization/usage/completions saved to a file)
#
# A file holds one page {"object": "page", "data": [buckets]}, a list of pages, a list of
# buckets (as the OpenAI cookbook prints them), or a single bucket. JSON has no useful line
# numbers (a whole page may sit on one line), so an item's "line" is the 1-based position of
# its result across the file, counting every result of every bucket in order.


def _is_bucket(value: object) -> bool:
    return isinstance(value, dict) and value.get("object") == "bucket"


def _is_page(value: object) -> bool:
    return (isinstance(value, dict) and value.get("object") in ("page", "list")
            and isinstance(value.get("data"), list) and all(map(_is_bucket, value["data"])))


def _buckets(document: object) -> Iterator[object] | None:
    """The document's buckets in order, or None when it is not of this shape."""
    if _is_bucket(document):
        return iter([document])
    if _is_page(document):
        return iter(document["data"])  # type: ignore[index]
    if isinstance(document, list) and document:
        if all(map(_is_page, document)):
            return (bucket for page in document for bucket in page["data"])
        if all(map(_is_bucket, document)):
            return iter(document)
    return None


def _is_usage_json(document: object) -> bool:
    buckets = _buckets(document)
    if buckets is None:
        return False
    # Other usage endpoints (images, embeddings...) and the costs endpoint share the bucket
    # shape; it is completions usage when the first result says so (or looks like it).
    for bucket in buckets:
        results = bucket.get("results")  # type: ignore[attr-defined]
        if not isinstance(results, list):
            return False
        for result in results:
            if not isinstance(result, dict):
                return False
            kind = result.get("object")
            if kind is not None:
                return kind == _COMPLETIONS_RESULT
            return "num_model_requests" in result and "input_tokens" in result
    return True  # only empty buckets: a quiet period imports nothing


def read_usage_json(document: object, file_name: str) -> Iterator[Item]:
    """(position of the result across the file, record or LineError, [the result as JSON])."""
    buckets = _buckets(document)
    if buckets is None:
        message = ("is not OpenAI Usage API output; expected a page {\"object\": \"page\", "
                   "\"data\": [buckets]}, a list of pages or buckets, or one bucket")
        raise ImportRefused([LineError(file_name, 0, None, message)])
    position = 0
    for number, bucket in enumerate(buckets, 1):
        results = bucket.get("results")  # type: ignore[attr-defined]
        if not isinstance(results, list):
            position += 1
            message = f"bucket {number} has no list of results"
            yield position, LineError(file_name, position, "results", message), []
            continue
        for result in results:
            position += 1
            # Numbers are read as Decimal (exact): shown as their digits.
            shown = [json.dumps(result, separators=(",", ":"), default=str)]
            if not isinstance(result, dict):
                message = f"a result of bucket {number} is not an object"
                yield position, LineError(file_name, position, None, message), shown
                continue
            fields = {**result, "start_time": bucket.get("start_time")}  # type: ignore[attr-defined]
            try:
                yield position, usage_record(DictLine(fields)), shown
            except Refused as exc:
                yield position, LineError(file_name, position, exc.column, exc.message), shown


USAGE_API = register(Format(
    profile="openai-usage-api", title="OpenAI Usage API JSON", kind="json",
    recognise=_is_usage_json, read=read_usage_json,
))
