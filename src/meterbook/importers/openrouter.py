"""OpenRouter's exports (usage-data.md, "Vendor formats"): the activity CSV (daily totals per
model) and the generation log CSV (one line per request).

Decisions where usage-data.md is silent:
- reasoning tokens are already inside the completion tokens, so `output_tokens` is the
  completion tokens alone and `Reasoning Tokens` / `tokens_reasoning` are not added. OpenRouter's
  usage accounting reports them OpenAI-style, as `completion_tokens_details.reasoning_tokens`, a
  breakdown of `completion_tokens` (total = prompt + completion), and its reasoning-tokens guide
  says "Reasoning tokens are considered output tokens and charged accordingly". Adding them
  would count them twice.
- activity: `Usage` is what OpenRouter charged (billed_cost, USD); `BYOK Usage` is what the
  upstream provider billed on the owner's own key, not OpenRouter's charge, and is ignored.
  The activity CSV has no cache column, so every prompt token is uncached input.
- activity: `Date` is the UTC day ("2026-05-12" or "2026-05-12 00:00:00"); an empty Slug is
  refused (the record needs a model).
- generations: `tokens_cached` is part of `tokens_prompt` (uncached = prompt - cached; a line
  with more cached than prompt tokens is refused); `created_at` without an offset is UTC;
  `cost_total` is the billed cost in USD (the other cost_* columns are parts of it).
- generations: `user` -> user, `api_key_name` -> api_key, and `app_name` (the calling app
  OpenRouter attributes the request to) -> project, unless the log has a `project` column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from meterbook.core.records import UsageRecord
from meterbook.importers import cells
from meterbook.importers.formats import Format, Item, Reading, register
from meterbook.importers.rows import Line, not_canonical, read_csv

VENDOR = "openrouter"
_MODEL = cells.required_text("model")


# ---------------------------------------------------------------------------------------------
# Activity: Date,Slug,Usage,BYOK Usage,Requests,Prompt Tokens,Completion Tokens,Reasoning Tokens

_ACTIVITY = ("date", "slug", "usage", "requests", "prompt tokens", "completion tokens")


def activity_record(line: Line) -> UsageRecord:
    billed = line.take("usage", cells.money)
    return UsageRecord(
        timestamp=line.take("date", cells.instant), vendor=VENDOR,
        model=line.take("slug", _MODEL), requests=line.take("requests", cells.count),
        input_tokens=line.take("prompt tokens", cells.count),
        output_tokens=line.take("completion tokens", cells.count),
        billed_cost=billed, currency=None if billed is None else "USD",
    )  # fmt: skip


def _is_activity(names: object) -> bool:
    found = set(names)  # type: ignore[arg-type]
    return set(_ACTIVITY) <= found and not_canonical(found)


def read_activity(text: TextIO, file_name: str, reading: Reading | None = None
                  ) -> Iterator[Item]:
    return read_csv(text, file_name, [(name,) for name in _ACTIVITY], activity_record,
                    reading=reading)


ACTIVITY = register(Format(
    profile="openrouter-activity", title="OpenRouter activity export", kind="csv",
    recognise=_is_activity, read=read_activity,
))


# ---------------------------------------------------------------------------------------------
# Generation log: generation_id,created_at,cost_total,...,tokens_prompt,tokens_completion,
# tokens_reasoning,tokens_cached,model_permaslug,provider_name,...

_GENERATIONS = ("generation_id", "created_at", "cost_total", "model_permaslug")


def generation_record(line: Line) -> UsageRecord:
    prompt = line.take("tokens_prompt", cells.count)
    cached = line.take("tokens_cached", cells.count)
    if cached > prompt:
        line.refuse("tokens_cached", (
            f"{cached} cached tokens exceed tokens_prompt {prompt}; expected at most {prompt} "
            "(the cached tokens are part of the prompt)"))
    billed = line.take("cost_total", cells.money)
    project = "project" if line.has("project") else "app_name"
    return UsageRecord(
        timestamp=line.take("created_at", cells.instant), vendor=VENDOR,
        model=line.take("model_permaslug", _MODEL), requests=1,
        input_tokens=prompt - cached, cached_input_tokens=cached,
        output_tokens=line.take("tokens_completion", cells.count),
        request_id=line.take("generation_id", cells.text),
        project=line.take(project, cells.text), user=line.take("user", cells.text),
        api_key=line.take("api_key_name", cells.text),
        billed_cost=billed, currency=None if billed is None else "USD",
    )  # fmt: skip


def _is_generations(names: object) -> bool:
    found = set(names)  # type: ignore[arg-type]
    return set(_GENERATIONS) <= found and not_canonical(found)


def read_generations(text: TextIO, file_name: str, reading: Reading | None = None
                     ) -> Iterator[Item]:
    return read_csv(text, file_name, [(name,) for name in _GENERATIONS], generation_record,
                    reading=reading)


GENERATIONS = register(Format(
    profile="openrouter-generations", title="OpenRouter generation log", kind="csv",
    recognise=_is_generations, read=read_generations,
))
