"""LiteLLM's price map -> plans: every kind of price, exact decimals, the vendor filter, notes."""

import json
import time
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from tests.helpers import SHARED

from meterbook.core.litellm_prices import (
    STANDARD_PRIORITY,
    TIER_PRIORITY,
    is_litellm_price_map,
    litellm_vendor,
    load_litellm_price_map,
    plans_from_litellm,
)
from meterbook.core.plan_checks import check_plan_set
from meterbook.core.plan_files import read_plans, write_plans
from meterbook.core.plans import SizeTier

REAL_FILE = SHARED / "real-exports" / "litellm" / "model_prices_and_context_window.json"

SAMPLE_SPEC = {
    "input_cost_per_token": 0.0,
    "output_cost_per_token": 0.0,
    "litellm_provider": "one of https://docs.litellm.ai/docs/providers",
    "mode": "one of: chat, embedding, completion, image_generation",
}


def convert(entries: dict, **kwargs):
    """The entries as LiteLLM writes them: JSON text, read back with exact decimals."""
    document = load_litellm_price_map(json.dumps(entries))
    kwargs.setdefault("vendors", None)
    kwargs.setdefault("effective_from", None)
    kwargs.setdefault("source", "LiteLLM test")
    return plans_from_litellm(document, **kwargs)


def by_name(plans):
    return {p.name: p for p in plans}


# --- per-token prices ---------------------------------------------------------------------------


def test_per_token_prices_become_exact_prices_per_million_tokens():
    plans, _ = convert({
        "gpt-4o": {"litellm_provider": "openai", "mode": "chat",
                   "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
                   "cache_read_input_token_cost": 1.25e-06},
        "tiny": {"litellm_provider": "openai", "input_cost_per_token": 6.25e-08,
                 "output_cost_per_token": 1.59263611e-07},
    })  # fmt: skip
    gpt = by_name(plans)["openai gpt-4o (LiteLLM)"]
    assert (gpt.vendor, gpt.model, gpt.token_unit) == ("openai", "gpt-4o", 1_000_000)
    # Written as people write prices, and exact: no float ever touched them.
    assert (str(gpt.input), str(gpt.cached_input), str(gpt.output)) == ("2.50", "1.25", "10.00")
    assert gpt.cache_write is None  # not in the entry: the plan's default (the input price)
    tiny = by_name(plans)["openai tiny (LiteLLM)"]
    assert (tiny.input, tiny.output) == (D("0.0625"), D("0.159263611"))


def test_a_document_parsed_with_floats_still_gives_exact_prices():
    document = json.loads(json.dumps({"m": {"litellm_provider": "openai",
                                            "input_cost_per_token": 3e-07}}))
    [plan], _ = plans_from_litellm(document, vendors=None, effective_from=None, source="x")
    assert str(plan.input) == "0.30"


def test_cache_reads_and_writes():
    plans, _ = convert({
        "claude-x": {"litellm_provider": "anthropic", "input_cost_per_token": 3e-06,
                     "output_cost_per_token": 1.5e-05, "cache_read_input_token_cost": 3e-07,
                     "cache_creation_input_token_cost": 3.75e-06,
                     "cache_creation_input_token_cost_above_1hr": 6e-06},
        "deepseek-y": {"litellm_provider": "deepseek", "input_cost_per_token": 2.8e-07,
                       "input_cost_per_token_cache_hit": 2.8e-08,
                       "output_cost_per_token": 4.2e-07},
    })  # fmt: skip
    claude, deepseek = plans
    assert (claude.cached_input, claude.cache_write) == (D("0.30"), D("3.75"))
    assert deepseek.cached_input == D("0.028")  # DeepSeek's older name for a cache read


def test_long_context_prices_become_size_tiers_that_price_the_whole_request():
    plans, _ = convert({
        "gemini/gemini-2.5-pro": {
            "litellm_provider": "gemini", "input_cost_per_token": 1.25e-06,
            "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-07,
            "input_cost_per_token_above_200k_tokens": 2.5e-06,
            "output_cost_per_token_above_200k_tokens": 1.5e-05,
            "cache_read_input_token_cost_above_200k_tokens": 2.5e-07},
        "gpt-5.4": {
            "litellm_provider": "openai", "input_cost_per_token": 2.5e-06,
            "output_cost_per_token": 1.5e-05,
            "input_cost_per_token_above_272k_tokens": 5e-06,
            "output_cost_per_token_above_272k_tokens": 2.25e-05},
    })  # fmt: skip
    gemini, gpt = plans
    assert gemini.size_tiers == (SizeTier(above_input_tokens=200_000, input=D("2.50"),
                                          cached_input=D("0.25"), output=D("15.00")),)
    # A component the tier does not name keeps the base price (None in the tier).
    assert gpt.size_tiers == (SizeTier(above_input_tokens=272_000, input=D("5.00"),
                                       output=D("22.50")),)


def test_qwen_tiered_pricing_by_input_size_becomes_size_tiers():
    plans, _ = convert({"dashscope/qwen-flash": {
        "litellm_provider": "dashscope", "mode": "chat", "tiered_pricing": [
            {"input_cost_per_token": 5e-08, "output_cost_per_token": 4e-07,
             "range": [0, 256000.0]},
            {"input_cost_per_token": 2.5e-07, "output_cost_per_token": 2e-06,
             "range": [256000.0, 1000000.0]}]}})  # fmt: skip
    [plan] = plans
    assert (plan.model, plan.input, plan.output) == ("qwen-flash", D("0.05"), D("0.40"))
    assert plan.size_tiers == (SizeTier(above_input_tokens=256_000, input=D("0.25"),
                                        output=D("2.00")),)


def test_service_tier_prices_become_their_own_plans_above_the_standard_one():
    plans, _ = convert({"gpt-4o": {
        "litellm_provider": "openai", "input_cost_per_token": 2.5e-06,
        "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-06,
        "input_cost_per_token_batches": 1.25e-06, "output_cost_per_token_batches": 5e-06,
        "input_cost_per_token_priority": 4.25e-06, "output_cost_per_token_priority": 1.7e-05,
        "cache_read_input_token_cost_priority": 2.125e-06,
        "cache_read_input_token_cost_flex": 6e-07}})  # fmt: skip
    named = by_name(plans)
    assert set(named) == {"openai gpt-4o (LiteLLM)", "openai gpt-4o batch (LiteLLM)",
                          "openai gpt-4o priority (LiteLLM)"}  # a lone flex cache price: no plan
    standard = named["openai gpt-4o (LiteLLM)"]
    batch = named["openai gpt-4o batch (LiteLLM)"]
    priority = named["openai gpt-4o priority (LiteLLM)"]
    assert (standard.service_tier, standard.priority) == (None, STANDARD_PRIORITY)
    assert (batch.service_tier, batch.priority) == ("batch", TIER_PRIORITY)
    assert (batch.input, batch.output) == (D("1.25"), D("5.00"))
    assert batch.cached_input == D("1.25")  # no batch cache price: the standard one
    assert (priority.input, priority.cached_input) == (D("4.25"), D("2.125"))
    assert check_plan_set(plans) == []


# --- per request, image, character, second ------------------------------------------------------


def test_per_request_and_per_query_prices():
    plans, _ = convert({
        "perplexity/pplx-70b-online": {"litellm_provider": "perplexity",
                                       "input_cost_per_request": 0.005,
                                       "input_cost_per_token": 0.0,
                                       "output_cost_per_token": 2.8e-06},
        "tavily/search": {"litellm_provider": "tavily", "mode": "search",
                          "input_cost_per_query": 0.008},
    })  # fmt: skip
    pplx, tavily = plans
    assert (pplx.request, pplx.input, pplx.output) == (D("0.005"), D("0.00"), D("2.80"))
    assert (tavily.model, tavily.request, tavily.unit_price) == ("search", D("0.008"), D(0))


def test_per_image_per_character_and_per_second_prices_are_unit_prices():
    plans, notes = convert({
        "dall-e-3": {"litellm_provider": "openai", "mode": "image_generation",
                     "input_cost_per_image": 0.0, "output_cost_per_image": 0.04},
        "gemini/image": {"litellm_provider": "gemini", "mode": "image_generation",
                         "input_cost_per_token": 3e-07, "output_cost_per_image": 0.039,
                         "input_cost_per_image": 0.0011},
        "tts-1": {"litellm_provider": "openai", "mode": "audio_speech",
                  "input_cost_per_character": 1.5e-05},
        "whisper-1": {"litellm_provider": "openai", "mode": "audio_transcription",
                      "input_cost_per_second": 0.0001, "output_cost_per_second": 0.0001},
    })  # fmt: skip
    dalle, gemini, tts, whisper = plans
    assert (dalle.unit_price, dalle.unit_size) == (D("0.04"), 1)
    # A generated image is what an image model sells; an input image price cannot also fit.
    assert (gemini.input, gemini.unit_price) == (D("0.30"), D("0.039"))
    assert (tts.unit_price, tts.unit_size) == (D("15.00"), 1_000_000)
    assert (whisper.unit_price, whisper.unit_size) == (D("0.0001"), 1)
    assert "input_cost_per_image: not carried into plans (1 entry)" in " ".join(notes)
    assert any(n.startswith("2 entries priced per image") for n in notes)


def test_an_entry_priced_in_two_units_is_skipped_rather_than_half_priced():
    plans, notes = convert({"marengo": {
        "litellm_provider": "bedrock", "mode": "embedding", "input_cost_per_image": 0.0001,
        "input_cost_per_video_per_second": 0.0007}})  # fmt: skip
    assert plans == []
    assert notes == ["marengo: skipped (mode embedding), priced per image, second at several "
                     "rates; a plan holds one unit price"]


# --- what is skipped, and the notes that say so -------------------------------------------------


def test_sample_spec_entries_without_prices_and_unholdable_prices_are_skipped_with_notes():
    plans, notes = convert({
        "sample_spec": SAMPLE_SPEC,
        "github_copilot/gpt-4": {"litellm_provider": "github_copilot", "mode": "chat"},
        "azure/FLUX": {"litellm_provider": "azure_ai", "mode": "image_generation",
                       "input_cost_per_pixel": 5e-08},
        "hd/1024-x-1024/dall-e-3": {"litellm_provider": "openai", "output_cost_per_image": 0.08},
        "exa_ai/search": {"litellm_provider": "exa_ai", "mode": "search", "tiered_pricing": [
            {"input_cost_per_query": 0.005, "max_results_range": [0, 25]}]},
        "ok": {"litellm_provider": "openai", "input_cost_per_token": 1e-06},
    })  # fmt: skip
    assert [p.model for p in plans] == ["ok"]
    assert notes == [
        "sample_spec: skipped, LiteLLM's description of the format, not a model",
        "github_copilot/gpt-4: skipped (mode chat), no price",
        "azure/FLUX: skipped (mode image_generation), priced only by input_cost_per_pixel, "
        "which plans cannot hold",
        "hd/1024-x-1024/dall-e-3: skipped, a price for one image size or quality; records "
        "name the model only",
        "exa_ai/search: skipped (mode search), tiered_pricing by something other than input "
        "tokens (e.g. result count)",
    ]


def test_free_models_are_priced_at_zero_not_skipped():
    plans, notes = convert({"ollama/llama3": {"litellm_provider": "ollama",
                                              "input_cost_per_token": 0.0,
                                              "output_cost_per_token": 0.0}})
    assert [(p.input, p.output) for p in plans] == [(D("0.00"), D("0.00"))]
    assert notes == []


def test_two_entries_for_one_vendor_and_model_give_one_plan_the_first():
    plans, notes = convert({
        "gemini/gemini-2.5-pro": {"litellm_provider": "gemini", "input_cost_per_token": 1e-06},
        "gemini-2.5-pro": {"litellm_provider": "vertex_ai-language-models",
                           "input_cost_per_token": 2e-06,
                           "input_cost_per_token_batches": 1e-06},
    })  # fmt: skip
    assert [(p.name, p.input) for p in plans] == [("google gemini-2.5-pro (LiteLLM)", D("1.00"))]
    assert notes == ["gemini-2.5-pro: skipped, same vendor and model as "
                     "'gemini/gemini-2.5-pro' (the first wins)"]
    assert check_plan_set(plans) == []


def test_an_alias_prices_like_the_entry_it_names():
    plans, _ = convert({
        "claude-sonnet-5-5": {"litellm_provider": "anthropic", "input_cost_per_token": 2e-06},
        "claude-sonnet-latest": {"alias_of": "claude-sonnet-5-5"},
        "claude-gone-latest": {"alias_of": "claude-gone"},
    })  # fmt: skip
    assert [(p.model, p.input) for p in plans] == [("claude-sonnet-5-5", D("2.00")),
                                                   ("claude-sonnet-latest", D("2.00"))]


# --- vendors, names, filter ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "vendor"),
    [("openai", "openai"), ("text-completion-openai", "openai"), ("anthropic", "anthropic"),
     ("gemini", "google"), ("vertex_ai-anthropic_models", "google"), ("vertex_ai", "google"),
     ("codestral", "mistral"), ("azure_ai", "azure"), ("bedrock_converse", "bedrock"),
     ("Fireworks_AI", "fireworks_ai")],
)  # fmt: skip
def test_providers_map_to_meterbook_vendors(provider, vendor):
    assert litellm_vendor(provider) == vendor


def test_the_model_is_the_key_without_its_provider_prefix():
    plans, _ = convert({
        "anthropic/claude-3-5-sonnet": {"litellm_provider": "anthropic",
                                        "input_cost_per_token": 3e-06},
        "vertex_ai/claude-opus-4": {"litellm_provider": "vertex_ai-anthropic_models",
                                    "input_cost_per_token": 1.5e-05},
        "bedrock/us.anthropic.claude-x": {"litellm_provider": "bedrock_converse",
                                          "input_cost_per_token": 3e-06},
        "fal_ai/fal-ai/flux/dev": {"litellm_provider": "fal_ai",
                                   "output_cost_per_image": 0.025},
    })  # fmt: skip
    assert [(p.vendor, p.model, p.name) for p in plans] == [
        ("anthropic", "claude-3-5-sonnet", "anthropic claude-3-5-sonnet (LiteLLM)"),
        ("google", "claude-opus-4", "google claude-opus-4 (LiteLLM)"),
        ("bedrock", "us.anthropic.claude-x", "bedrock us.anthropic.claude-x (LiteLLM)"),
        ("fal_ai", "fal-ai/flux/dev", "fal_ai fal-ai/flux/dev (LiteLLM)"),
    ]


ENTRIES = {
    "sample_spec": SAMPLE_SPEC,
    "gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06},
    "gemini/gemini-2.5-pro": {"litellm_provider": "gemini", "input_cost_per_token": 1.25e-06},
    "gemini-2.5-flash": {"litellm_provider": "vertex_ai-language-models",
                         "input_cost_per_token": 3e-07},
    "mistral/mistral-small": {"litellm_provider": "mistral", "input_cost_per_token": 1e-07},
}


def test_the_vendor_filter_takes_vendors_or_litellm_providers_case_insensitively():
    plans, notes = convert(ENTRIES, vendors={"Google"})
    assert [p.model for p in plans] == ["gemini-2.5-pro", "gemini-2.5-flash"]
    assert notes == []  # sample_spec and the other vendors are left out silently
    plans, _ = convert(ENTRIES, vendors={"gemini", "openai"})
    assert [p.model for p in plans] == ["gpt-4o", "gemini-2.5-pro"]


def test_a_filter_vendor_with_no_entry_is_noted():
    plans, notes = convert(ENTRIES, vendors={"mistral", "opnai"})
    assert [p.model for p in plans] == ["mistral-small"]
    assert notes == ["vendor 'opnai': no entry in the file has this vendor or provider"]


def test_effective_from_and_source_go_on_every_plan_and_the_file_round_trips():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    plans, _ = convert(ENTRIES, effective_from=start, source="LiteLLM 1.110.2")
    assert {p.effective_from for p in plans} == {start}
    assert plans[0].source == "LiteLLM 1.110.2, entry gpt-4o"
    assert read_plans(write_plans(plans)) == sorted(plans, key=lambda p: p.name)


def test_a_price_map_is_told_apart_from_other_json():
    assert is_litellm_price_map(ENTRIES)
    assert is_litellm_price_map({"gpt-4o": ENTRIES["gpt-4o"]})
    assert not is_litellm_price_map({})
    assert not is_litellm_price_map([ENTRIES])
    assert not is_litellm_price_map({"data": [{"object": "bucket"}]})
    with pytest.raises(ValueError, match="not a LiteLLM price map"):
        load_litellm_price_map('{"object": "page", "data": []}')


# --- the real file ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_plans():
    if not REAL_FILE.is_file():
        pytest.skip(f"{REAL_FILE} is not here")
    started = time.perf_counter()
    document = load_litellm_price_map(REAL_FILE.read_text(encoding="utf-8"))
    plans, notes = plans_from_litellm(document, vendors=None, effective_from=None,
                                      source="LiteLLM")
    return plans, notes, time.perf_counter() - started


def test_the_whole_real_file_converts_quickly_into_a_consistent_plan_set(real_plans):
    plans, notes, seconds = real_plans
    assert len(plans) > 4000
    assert seconds < 2.0
    assert check_plan_set(plans) == []
    assert any(n.startswith("sample_spec: skipped") for n in notes)
    assert len({p.name for p in plans}) == len(plans)


def test_known_models_of_the_real_file_have_the_prices_read_by_hand(real_plans):
    named = by_name(real_plans[0])
    gpt = named["openai gpt-4o (LiteLLM)"]  # 2.5e-06 / 1.25e-06 / 1e-05 per token
    assert (str(gpt.input), str(gpt.cached_input), str(gpt.output)) == ("2.50", "1.25", "10.00")
    batch = named["openai gpt-4o batch (LiteLLM)"]  # *_batches: 1.25e-06 / 5e-06
    assert (batch.service_tier, batch.input, batch.output) == ("batch", D("1.25"), D("5.00"))
    gemini = named["google gemini-2.5-pro (LiteLLM)"]
    assert (gemini.input, gemini.cached_input, gemini.output) == (D("1.25"), D("0.125"),
                                                                  D("10.00"))
    [tier] = gemini.size_tiers  # *_above_200k_tokens: 2.5e-06 / 2.5e-07 / 1.5e-05
    assert (tier.above_input_tokens, tier.input, tier.cached_input, tier.output) == (
        200_000, D("2.50"), D("0.25"), D("15.00"))
    [tier] = named["openai gpt-5.4 (LiteLLM)"].size_tiers  # *_above_272k_tokens
    assert (tier.above_input_tokens, tier.input, tier.output) == (272_000, D("5.00"),
                                                                  D("22.50"))
    haiku = named["anthropic claude-haiku-5-5 (LiteLLM)"]  # 1e-07 / 1e-08 / 1.25e-07 / 5e-07
    assert (haiku.input, haiku.cached_input, haiku.cache_write, haiku.output) == (
        D("0.10"), D("0.01"), D("0.125"), D("0.50"))
    assert haiku.size_tiers[0].above_input_tokens == 100_000
    whisper = named["openai whisper-1 (LiteLLM)"]  # 0.0001 per second
    assert (whisper.unit_price, whisper.unit_size) == (D("0.0001"), 1)
    tts = named["openai tts-1 (LiteLLM)"]  # 1.5e-05 per character
    assert (tts.unit_price, tts.unit_size) == (D("15.00"), 1_000_000)
    pplx = named["perplexity pplx-70b-online (LiteLLM)"]  # 0.005 per request
    assert (pplx.request, pplx.output) == (D("0.005"), D("2.80"))
    deepseek = named["deepseek deepseek-v4-pro (LiteLLM)"]  # 1.32e-06 / 4.4e-08 / 3.96e-06
    assert (deepseek.input, deepseek.cached_input, deepseek.output) == (D("1.32"), D("0.044"),
                                                                        D("3.96"))


def test_the_vendor_filter_on_the_real_file(real_plans):
    if not REAL_FILE.is_file():
        pytest.skip(f"{REAL_FILE} is not here")
    document = load_litellm_price_map(REAL_FILE.read_text(encoding="utf-8"))
    plans, _ = plans_from_litellm(document, vendors={"anthropic", "deepseek"},
                                  effective_from=None, source="LiteLLM")
    assert {p.vendor for p in plans} == {"anthropic", "deepseek"}
    assert 20 < len(plans) < 200


def test_litellm_plans_sit_below_the_catalog_instead_of_tying_with_it(real_plans):
    # Both hold plans for the same models (claude-opus-5-5, gpt-6-luna...): LiteLLM's negative
    # priorities let them be saved side by side, the catalog's plan winning.
    from meterbook.core.catalog import catalog_plans

    mixed = [p for p in real_plans[0] if p.vendor in {"openai", "anthropic", "google"}]
    assert check_plan_set(mixed + catalog_plans()) == []
