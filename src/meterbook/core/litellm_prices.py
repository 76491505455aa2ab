"""LiteLLM's price map (`model_prices_and_context_window.json`) -> plans (pricing-plans.md).

The map holds one entry per model and provider: per-token prices in dollars per token, cache
reads and writes, long-context prices (`*_above_200k_tokens`: they price the whole request, as
plan size tiers do), service-tier prices (`*_batches`, `*_flex`, `*_priority`) and prices per
request, query, image, character, page or second. Each entry becomes at most one plan per service
tier; what a plan cannot hold is reported in notes rather than guessed at.

Prices stay exact: the JSON text is parsed with Decimal floats, and per-token prices are scaled to
per-million by moving the decimal point, never by float arithmetic.

Decisions worth knowing (the plan format has no unit names, nor prices per token kind):
- vendor = the LiteLLM provider mapped to Meterbook's vendor names (`gemini`, `vertex_ai*` ->
  google; `bedrock_converse` -> bedrock, ...); model = the entry's key without the provider
  prefix, as an exact pattern; name = "{vendor} {model} (LiteLLM)".
- plans get negative priorities (standard -2, service tiers -1): a LiteLLM price is a fallback,
  so any plan of the user's own or from the catalog (priority 0) wins instead of tying with it.
- a service-tier plan takes the standard price for every component LiteLLM gives no tier price.
- per image, page and second: unit_price per 1 unit; per character: per 1,000,000 characters.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from meterbook.core.plan_checks import check_plan_set
from meterbook.core.plans import Plan, SizeTier

STANDARD_PRIORITY = -2
TIER_PRIORITY = -1  # above the standard plan, so a batch record takes the batch price

# LiteLLM provider -> Meterbook vendor (the names usage records carry). Unlisted providers keep
# their own name, lower-cased; a `vertex_ai-*` provider is Google, who bills for it.
_VENDORS = {
    "openai": "openai", "text-completion-openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google", "vertex_ai": "google",
    "mistral": "mistral", "codestral": "mistral", "text-completion-codestral": "mistral",
    "deepseek": "deepseek",
    "azure": "azure", "azure_ai": "azure", "azure_text": "azure",
    "openrouter": "openrouter",
    "bedrock": "bedrock", "bedrock_converse": "bedrock", "bedrock_mantle": "bedrock",
    "cohere_chat": "cohere",
    "fireworks_ai-embedding-models": "fireworks_ai",
    "text-completion-inception": "inception",
}  # fmt: skip

_TOKEN_KEY = re.compile(
    r"(?P<price>input_cost_per_token_cache_hit|input_cost_per_token|output_cost_per_token"
    r"|cache_read_input_token_cost|cache_creation_input_token_cost)"
    r"(?:_above_(?P<k>\d+)k_tokens)?(?:_(?P<tier>batches|flex|priority))?"
)
_COMPONENTS = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cached_input",
    "input_cost_per_token_cache_hit": "cached_input",  # DeepSeek's older name for cache reads
    "cache_creation_input_token_cost": "cache_write",
}
_TIERS = {"batches": "batch", "flex": "flex", "priority": "priority"}
_MILLION = 6  # per token -> per 1,000,000 tokens (or characters): a decimal shift, exact
_REQUEST_KEYS = ("input_cost_per_request", "input_cost_per_query")
# price key -> (unit, unit_size). A plan holds one unit price, so an entry priced in two units
# (or at two rates for one unit) is skipped rather than half-priced.
_UNIT_KEYS = {
    "output_cost_per_image": ("image", 1),
    "input_cost_per_image": ("image", 1),  # LiteLLM's key for the images some models generate
    "input_cost_per_character": ("character", 10**_MILLION),
    "output_cost_per_character": ("character", 10**_MILLION),
    "input_cost_per_second": ("second", 1),
    "output_cost_per_second": ("second", 1),
    "cost_per_second": ("second", 1),
    "input_cost_per_video_per_second": ("second", 1),
    "output_cost_per_video_per_second": ("second", 1),
    "input_cost_per_audio_per_second": ("second", 1),
    "ocr_cost_per_page": ("page", 1),
}
# Keys named like a size or quality variant ("hd/1024-x-1024/dall-e-3"): records name the model
# only, so a plan for one image size would never match anything.
_IMAGE_VARIANT = re.compile(r"(?:(?:low|medium|high|standard|hd)/)?(?:\d+-x-\d+|max-x-max)/")


@dataclass
class _Entry:
    """The prices of one LiteLLM entry that plans can hold, gathered before building plans."""

    # (threshold in input tokens, service tier or None) -> plan price key -> price per token
    tokens: dict[tuple[int, str | None], dict[str, Decimal]] = field(default_factory=dict)
    request: Decimal | None = None
    unit: tuple[str, int, Decimal] | None = None  # (unit, unit_size, price per unit)
    ignored: list[str] = field(default_factory=list)  # price keys with a price nothing holds
    problem: str | None = None  # why the entry makes no plan


def load_litellm_price_map(text: str) -> dict[str, Any]:
    """The JSON text with every number with a fraction as an exact Decimal."""
    document = json.loads(text, parse_float=Decimal)
    if not is_litellm_price_map(document):
        raise ValueError("not a LiteLLM price map (no entries with a litellm_provider)")
    return document


def is_litellm_price_map(document: Any) -> bool:
    """Whether a parsed JSON document looks like LiteLLM's model price map."""
    if not isinstance(document, dict) or not document:
        return False
    if isinstance(document.get("sample_spec"), dict):
        return True
    # Looking at the first entries is enough: every real entry names its provider.
    return any(
        isinstance(v, dict) and "litellm_provider" in v for v in islice(document.values(), 50)
    )


def litellm_vendor(provider: str) -> str:
    """The Meterbook vendor for a LiteLLM provider name."""
    provider = provider.strip().lower()
    if provider.startswith("vertex_ai"):
        return "google"
    return _VENDORS.get(provider, provider)


def plans_from_litellm(
    document: dict[str, Any],
    *,
    vendors: set[str] | None = None,
    effective_from: datetime | None = None,
    source: str = "LiteLLM model_prices_and_context_window.json",
) -> tuple[list[Plan], list[str]]:
    """Plans for the entries of a LiteLLM price map, and notes on what was skipped and why.

    `vendors` keeps only entries whose Meterbook vendor or LiteLLM provider is in it
    (case-insensitive; None keeps all). Entries come out in file order; when two entries give
    the same vendor and model (e.g. `gemini/gemini-2.5-pro` and Vertex's `gemini-2.5-pro`), the
    first wins.
    """
    wanted = {v.strip().lower() for v in vendors} if vendors is not None else None
    plans: list[Plan] = []
    notes: list[str] = []
    taken: dict[tuple[str, str], str] = {}  # (vendor, model) -> the entry that gave it
    ignored: Counter[str] = Counter()
    units: Counter[str] = Counter()
    seen_vendors: set[str] = set()
    for key, raw in document.items():
        if key == "sample_spec":
            if wanted is None:
                notes.append(f"{key}: skipped, LiteLLM's description of the format, not a model")
            continue
        entry = raw
        if isinstance(raw, dict) and isinstance(raw.get("alias_of"), str):
            # An alias ("claude-sonnet-latest") prices like the entry it names.
            entry = document.get(raw["alias_of"])
        if not isinstance(entry, dict):
            if wanted is None:
                notes.append(
                    f"{key}: skipped, alias of {raw.get('alias_of')!r}, which is not in the file"
                    if isinstance(raw, dict)
                    else f"{key}: skipped, not a model entry"
                )
            continue
        provider = entry.get("litellm_provider")
        if not isinstance(provider, str) or not provider.strip():
            if wanted is None:
                notes.append(f"{key}: skipped, no litellm_provider (not a model entry)")
            continue
        vendor = litellm_vendor(provider)
        if wanted is not None and vendor not in wanted and provider.lower() not in wanted:
            continue
        seen_vendors.update((vendor, provider.lower()))
        model = _model_name(key, provider)
        mode = entry.get("mode")
        where = f"{key}: skipped" + (f" (mode {mode})" if isinstance(mode, str) else "")
        if _IMAGE_VARIANT.match(model):
            notes.append(
                f"{where}, a price for one image size or quality; records name the model only"
            )
            continue
        prices = _read_entry(entry)
        if prices.problem:
            notes.append(f"{where}, {prices.problem}")
            continue
        first = taken.setdefault((vendor, model.casefold()), key)
        if first != key:
            # The whole entry goes, tier plans too: one model's plans come from one entry.
            notes.append(f"{key}: skipped, same vendor and model as {first!r} (the first wins)")
            continue
        made = _entry_plans(prices, vendor, model, effective_from, _source(source, key, entry))
        plans.extend(made)
        ignored.update(prices.ignored)
        if prices.unit:
            units[prices.unit[0]] += 1
    plans = _drop_ties(plans, notes)
    if wanted is not None:
        for name in sorted(wanted - seen_vendors):
            notes.append(f"vendor {name!r}: no entry in the file has this vendor or provider")
    for unit, count in sorted(units.items()):
        size = "1,000,000 characters" if unit == "character" else f"1 {unit}"
        notes.append(
            f"{count} entr{'y' if count == 1 else 'ies'} priced per {unit}: unit_price "
            f"per {size}; their records need units counted in {unit}s"
        )
    for key, count in sorted(ignored.items()):
        notes.append(
            f"{key}: not carried into plans ({count} entr{'y' if count == 1 else 'ies'}"
            f"); {_why_ignored(key)}"
        )
    return plans, notes


def _model_name(key: str, provider: str) -> str:
    """The entry key without its provider prefix: "anthropic/claude-x" -> "claude-x"."""
    first, slash, rest = key.partition("/")
    if not slash:
        return key
    # Prefixes follow the provider family: "vertex_ai/" for vertex_ai-anthropic_models,
    # "bedrock/" for bedrock_converse, "amazon-nova/" for amazon_nova.
    norm_first, norm_provider = first.lower().replace("-", "_"), provider.lower().replace("-", "_")
    if norm_provider.startswith(norm_first):
        return rest
    return key


def _source(source: str, key: str, entry: dict[str, Any]) -> str:
    page = entry.get("source")
    text = f"{source}, entry {key}"
    return f"{text}; {page}" if isinstance(page, str) and page.startswith("http") else text


def _price(value: Any) -> Decimal | None:
    """A price from the JSON, exactly; None for anything that is no price (text, lists...)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))  # the shortest text that reads back as this float
    else:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _read_entry(entry: dict[str, Any]) -> _Entry:
    result = _Entry()
    extra: list[str] = []  # priced keys that no plan price holds
    unit_keys: list[tuple[str, Decimal]] = []
    requests: set[Decimal] = set()
    for key, value in entry.items():
        found = _TOKEN_KEY.fullmatch(key)
        if found:
            amount = _price(value)
            if amount is None:
                continue
            threshold = int(found["k"]) * 1000 if found["k"] else 0
            prices = result.tokens.setdefault((threshold, _TIERS.get(found["tier"] or "")), {})
            component = _COMPONENTS[found["price"]]
            # A cache-hit price never overrides cache_read_input_token_cost, whatever the order.
            if found["price"] != "input_cost_per_token_cache_hit" or component not in prices:
                prices[component] = amount
        elif key in _REQUEST_KEYS:
            amount = _price(value)
            if amount:
                requests.add(amount)
        elif key in _UNIT_KEYS:
            amount = _price(value)
            if amount:
                unit_keys.append((key, amount))
        elif key == "tiered_pricing":
            problem = _read_tiered(value, result)
            if problem:
                result.problem = problem
                return result
        elif ("cost" in key or "pricing" in key) and _has_price(value):
            extra.append(key)
    if any(key.startswith("output_") for key, _ in unit_keys):
        # What a generation model sells is its output (images, seconds of video); an input
        # image price beside it is a surcharge that a single unit price cannot also hold.
        extra += [key for key, _ in unit_keys if not key.startswith("output_")]
        unit_keys = [(key, amount) for key, amount in unit_keys if key.startswith("output_")]
    unit_prices: dict[tuple[str, int], set[Decimal]] = {}
    for key, amount in unit_keys:
        unit_prices.setdefault(_UNIT_KEYS[key], set()).add(amount)
    result.ignored = extra
    if len(requests) > 1:
        result.problem = "priced per request and per query at different prices"
        return result
    result.request = next(iter(requests), None)
    if len(unit_prices) > 1 or any(len(p) > 1 for p in unit_prices.values()):
        kinds = ", ".join(sorted({u for u, _ in unit_prices}))
        result.problem = f"priced per {kinds} at several rates; a plan holds one unit price"
        return result
    if unit_prices:
        (unit, size), amounts = next(iter(unit_prices.items()))
        result.unit = (unit, size, next(iter(amounts)))
    carried = (result.tokens.get((0, None)), result.request, result.unit)
    if all(c is None for c in carried):
        result.problem = (
            f"priced only by {', '.join(extra)}, which plans cannot hold" if extra else "no price"
        )
    elif extra and not _any_price(result):
        # Zero token prices beside a real price elsewhere (per pixel, say): a zero plan would
        # call paid usage free, where no plan at all leaves it visibly unpriced.
        result.problem = f"priced only by {', '.join(extra)}, which plans cannot hold"
    return result


def _read_tiered(value: Any, result: _Entry) -> str | None:
    """`tiered_pricing` (Alibaba's Qwen): prices by the request's input size, as size tiers."""
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        return "tiered_pricing is not a list of tiers"
    for tier in value:
        bounds = tier.get("range")
        if not isinstance(bounds, list) or not bounds:
            return "tiered_pricing by something other than input tokens (e.g. result count)"
        start = _price(bounds[0])
        if start is None or start != start.to_integral_value():
            return f"tiered_pricing range {bounds!r} is not in whole tokens"
        prices = result.tokens.setdefault((int(start), None), {})
        for key, amount in tier.items():
            found = _TOKEN_KEY.fullmatch(key)
            price = _price(amount)
            if found and price is not None and not found["k"] and not found["tier"]:
                prices.setdefault(_COMPONENTS[found["price"]], price)  # flat keys win
    if (0, None) not in result.tokens:
        return "tiered_pricing does not start at 0 tokens"
    return None


def _has_price(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_price(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_price(v) for v in value)
    return bool(_price(value))


def _any_price(entry: _Entry) -> bool:
    return bool(
        entry.request
        or entry.unit
        or any(amount for prices in entry.tokens.values() for amount in prices.values())
    )


def _per_million(amount: Decimal) -> Decimal:
    return _money(amount.scaleb(_MILLION))


def _money(amount: Decimal) -> Decimal:
    """At least two decimal places, as prices are written ("2.50", not "2.5"), never rounded."""
    if amount.as_tuple().exponent > -2:  # type: ignore[operator]  # finite: an int here
        return amount.quantize(Decimal("0.01"))
    return amount


def _entry_plans(
    entry: _Entry, vendor: str, model: str, effective_from: datetime | None, source: str
) -> list[Plan]:
    """The standard plan first, then one per service tier LiteLLM prices."""
    standard = entry.tokens.get((0, None), {})
    thresholds = sorted({h for h, _ in entry.tokens if h > 0})
    common: dict[str, Any] = {
        "vendor": vendor,
        "model": model,
        "source": source,
        "effective_from": effective_from,
    }
    if entry.request is not None:
        common["request"] = _money(entry.request)
    if entry.unit is not None:
        _unit, size, amount = entry.unit
        # Per-character prices are quoted per million characters, as vendors list them.
        common["unit_price"] = _money(amount.scaleb(_MILLION) if size == 10**_MILLION else amount)
        common["unit_size"] = size
    made: list[Plan] = []
    for tier in (None, *sorted({t for _, t in entry.tokens if t is not None})):
        if tier is not None:
            own = entry.tokens.get((0, tier), {})
            if "input" not in own and "output" not in own:
                continue  # a lone tier cache price is no tier offer
        base = {**standard, **entry.tokens.get((0, tier), {})} if tier else standard
        sizes = []
        for h in thresholds:
            above = {**entry.tokens.get((h, None), {}), **entry.tokens.get((h, tier), {})}
            if above:
                sizes.append(
                    SizeTier(above_input_tokens=h, **{k: _per_million(v) for k, v in above.items()})
                )
        name = f"{vendor} {model}{' ' + tier if tier else ''} (LiteLLM)"
        plan = Plan(
            name=name,
            service_tier=tier,
            priority=TIER_PRIORITY if tier else STANDARD_PRIORITY,
            **{k: _per_million(v) for k, v in base.items()},
            size_tiers=tuple(sizes),
            **common,
        )
        made.append(plan)
    return made


def _drop_ties(plans: list[Plan], notes: list[str]) -> list[Plan]:
    """A last guard: wildcard keys ("bedrock/*/...") could still tie; the later plan goes."""
    problems = check_plan_set(plans)
    if not problems:
        return plans
    # Problems name plans by label; every plan here has its own name, hence its own label.
    order = {plan.label: n for n, plan in enumerate(plans)}
    dropped: set[int] = set()
    for problem in problems:
        other = re.search(r"ties with (.*?): both can price", problem.message)
        labels = (problem.plan, other.group(1) if other else None)
        pair = [order[label] for label in labels if label in order]
        if len(pair) == 2 and not dropped.intersection(pair):
            dropped.add(max(pair))
            notes.append(f"{plans[max(pair)].name}: skipped, it ties with {plans[min(pair)].name}")
    return [p for n, p in enumerate(plans) if n not in dropped]


def _why_ignored(key: str) -> str:
    if "audio" in key or "video" in key or "image_token" in key:
        return "usage records count these tokens as ordinary input or output tokens"
    if "reasoning" in key:
        return "usage records count reasoning tokens as output tokens"
    if "1hr" in key or "12hr" in key:
        return "plans have one cache-write price (the default cache duration's)"
    if "search" in key or "grounding" in key:
        return "tool calls are priced by a plan of their own"
    if re.search(r"_\d+[kp]$|_\d+K$|_\d+$", key):
        return "a price for one resolution or size; records do not say which"
    return "the plan format has no price of this kind"
