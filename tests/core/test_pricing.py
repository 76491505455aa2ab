"""The pricing rules of pricing-plans.md, one or more tests each, money worked out by hand."""

from datetime import UTC, datetime
from decimal import Decimal as D

from meterbook.core.plans import Plan, SizeTier, Volume, VolumeTier
from meterbook.core.pricing import price_rows
from meterbook.core.records import PricingRow, to_epoch_us


def ts(text: str) -> int:
    return to_epoch_us(datetime.fromisoformat(text).replace(tzinfo=UTC))


_order = iter(range(10**9))


def row(when="2026-03-10T12:00:00", vendor="openai", model="gpt-4o", project="", tier="",
        requests=1, inp=0, cached=0, write=0, out=0, units_micro=0) -> PricingRow:
    return PricingRow(next(_order), ts(when), (vendor, model, project, tier), requests, inp,
                      cached, write, out, units_micro)


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def nano(text: str) -> int:
    return int(D(text) * 10**9)


GPT4O = Plan(name="OpenAI gpt-4o", vendor="openai", model="gpt-4o*", input=D("2.50"),
             cached_input=D("1.25"), output=D("10.00"))


def test_token_charge_uses_the_four_buckets_per_token_unit():
    # 1,000 uncached x 2.50/M + 2,000 cached x 1.25/M + 500 out x 10/M
    # = 0.0025 + 0.0025 + 0.005 = 0.01
    [(charge, plan)] = price_rows([GPT4O], [row(inp=1000, cached=2000, out=500)])
    assert charge == nano("0.01") and plan == 0


def test_cached_input_and_cache_write_default_to_the_input_price():
    plan = Plan(name="p", vendor="anthropic", model="*", input=D("3"), output=D("15"))
    # (100 + 200 + 300) x 3/M + 10 x 15/M = 0.0018 + 0.00015 = 0.00195
    [(charge, _)] = price_rows([plan], [row(vendor="anthropic", model="claude",
                                            inp=100, cached=200, write=300, out=10)])
    assert charge == nano("0.00195")


def test_token_unit_changes_what_a_price_is_per():
    plan = Plan(name="p", vendor="openai", token_unit=1000, input=D("0.01"))
    # 2,500 tokens x 0.01 / 1,000 = 0.025
    assert price_rows([plan], [row(inp=2500)])[0][0] == nano("0.025")


def test_per_request_and_per_unit_prices():
    plan = Plan(name="translate", vendor="deepl", request=D("0.002"), unit_price=D("20"),
                unit_size=1_000_000)
    # 3 requests x 0.002 + 1,234.5 characters x 20 / 1,000,000 = 0.006 + 0.02469 = 0.03069
    r = row(vendor="deepl", model="translate", requests=3, units_micro=1_234_500_000)
    assert price_rows([plan], [r])[0][0] == nano("0.03069")


def test_multiplier_scales_the_whole_usage_charge():
    batch = Plan(name="batch", vendor="openai", service_tier="batch", input=D("2.50"),
                 output=D("10"), request=D("0.01"), multiplier=D("0.5"))
    # (1M x 2.50/M + 0 + 1 x 0.01) x 0.5 = 1.255
    r = row(tier="batch", inp=1_000_000)
    assert price_rows([batch], [r])[0][0] == nano("1.255")


def test_service_tier_must_match_exactly_when_given():
    batch = Plan(name="batch", vendor="openai", service_tier="batch", input=D("1"))
    results = price_rows([batch], [row(tier="batch", inp=10**6), row(tier="", inp=10**6),
                                   row(tier="flex", inp=10**6)])
    assert results == [(nano("1"), 0), (None, None), (None, None)]


def test_no_matching_plan_leaves_the_record_unpriced_not_zero():
    results = price_rows([GPT4O], [row(vendor="anthropic", model="claude-3"),
                                   row(model="o1-mini")])
    assert results == [(None, None), (None, None)]


def test_vendor_matches_case_insensitively_and_model_glob():
    plan = Plan(name="p", vendor="OpenAI", model="GPT-4O-20??-*", input=D("1"))
    r1 = row(model="gpt-4o-2024-08-06", inp=10**6)
    r2 = row(model="gpt-4o", inp=10**6)
    assert price_rows([plan], [r1, r2]) == [(nano("1"), 0), (None, None)]


def test_project_glob_defaults_to_every_project_including_none():
    every = Plan(name="all", vendor="openai", input=D("1"))
    sales = Plan(name="sales", vendor="openai", project="sales*", input=D("2"), priority=1)
    rows = [row(project="", inp=10**6), row(project="sales-eu", inp=10**6)]
    assert price_rows([every, sales], rows) == [(nano("1"), 0), (nano("2"), 1)]


def test_higher_priority_wins_then_the_more_specific_model():
    generic = Plan(name="generic", vendor="openai", model="*", input=D("1"))
    mini = Plan(name="mini", vendor="openai", model="gpt-4o-mini", input=D("0.15"))
    family = Plan(name="family", vendor="openai", model="gpt-4o*", input=D("2.5"))
    contract = Plan(name="contract", vendor="openai", model="*", input=D("0.5"), priority=5)
    rows = [row(model="gpt-4o-mini", inp=10**6), row(model="gpt-4o", inp=10**6),
            row(model="o3", inp=10**6)]
    # Without the contract: exact name beats the family glob, which beats "*".
    assert price_rows([generic, mini, family], rows) == [
        (nano("0.15"), 1), (nano("2.5"), 2), (nano("1"), 0)]
    # The contract's priority beats all specificity.
    assert [p for _, p in price_rows([generic, mini, family, contract], rows)] == [3, 3, 3]


def test_longer_pattern_wins_among_equal_wildcards():
    short = Plan(name="short", vendor="openai", model="gpt*", input=D("1"))
    longer = Plan(name="longer", vendor="openai", model="gpt-4o*", input=D("2"))
    assert price_rows([short, longer], [row(model="gpt-4o-mini", inp=10**6)]) == [(nano("2"), 1)]


def test_versions_price_each_record_at_the_price_in_force_when_it_ran():
    v1 = Plan(name="gpt", vendor="openai", input=D("5"), effective_from=day("2026-01-01"))
    v2 = Plan(name="gpt", vendor="openai", input=D("2.5"), effective_from=day("2026-03-15"))
    rows = [row("2025-12-31T23:59:59", inp=10**6), row("2026-03-14T23:59:59", inp=10**6),
            row("2026-03-15T00:00:00", inp=10**6)]
    assert price_rows([v1, v2], rows) == [(None, None), (nano("5"), 0), (nano("2.5"), 1)]


def test_a_new_version_never_reprices_the_past():
    v1 = Plan(name="gpt", vendor="openai", input=D("5"))
    before = row("2026-02-01T00:00:00", inp=10**6)
    first = price_rows([v1], [before])
    v2 = Plan(name="gpt", vendor="openai", input=D("1"), effective_from=day("2026-03-01"))
    assert price_rows([v1, v2], [before]) == first == [(nano("5"), 0)]


def test_a_version_that_stops_matching_ends_the_old_price_too():
    # v2 narrows the model: from March, gpt-4o records are unpriced by this plan, not v1's.
    v1 = Plan(name="p", vendor="openai", model="gpt-4*", input=D("5"))
    v2 = Plan(name="p", vendor="openai", model="gpt-4.1*", input=D("2"),
              effective_from=day("2026-03-01"))
    rows = [row("2026-02-01T00:00:00", model="gpt-4o", inp=10**6),
            row("2026-03-02T00:00:00", model="gpt-4o", inp=10**6),
            row("2026-03-02T00:00:00", model="gpt-4.1-mini", inp=10**6)]
    assert price_rows([v1, v2], rows) == [(nano("5"), 0), (None, None), (nano("2"), 1)]


def test_size_tier_prices_every_token_of_a_large_request():
    plan = Plan(name="gemini", vendor="google", input=D("1.25"), output=D("10"),
                size_tiers=(SizeTier(above_input_tokens=200_000, input=D("2.50"),
                                     output=D("15")),))
    small = row(vendor="google", model="g", inp=200_000, out=1000)
    large = row(vendor="google", model="g", inp=150_000, cached=50_001, out=1000)
    # small: size 200,000 is not above 200,000: 0.2M x 1.25 + 0.001M x 10 = 0.25 + 0.01 = 0.26
    results = price_rows([plan], [small, large])
    assert results[0][0] == nano("0.26")
    # large: size 200,001 is above: every token at the tier, and the cached price, left to
    # default, follows the tier's input: 200,001 x 2.5/M + 1,000 x 15/M = 0.5000025 + 0.015
    assert results[1][0] == nano("0.5150025")


def test_an_explicit_cached_price_stays_inside_a_size_tier_that_does_not_set_one():
    plan = Plan(name="p", vendor="google", input=D("1"), cached_input=D("0.1"),
                size_tiers=(SizeTier(above_input_tokens=10, input=D("2")),))
    # 10 uncached x 2/M + 1,000,000 cached x 0.1/M = 0.00002 + 0.1
    r = row(vendor="google", model="g", inp=10, cached=1_000_000)
    assert price_rows([plan], [r])[0][0] == nano("0.10002")


def test_size_is_measured_per_request_in_a_bucket():
    plan = Plan(name="p", vendor="google", input=D("1"),
                size_tiers=(SizeTier(above_input_tokens=1000, input=D("2")),))
    # 10 requests with 5,000 input tokens: 500 each, below the tier: 5,000 x 1/M = 0.005
    bucket = row(vendor="google", model="g", requests=10, inp=5000)
    assert price_rows([plan], [bucket])[0][0] == nano("0.005")


def test_the_highest_threshold_below_the_size_applies():
    plan = Plan(name="p", vendor="google", request=D("1"),
                size_tiers=(SizeTier(above_input_tokens=100, request=D("2")),
                            SizeTier(above_input_tokens=1000, request=D("3"))))
    rows = [row(vendor="google", model="g", inp=n) for n in (100, 101, 1000, 1001)]
    assert [c for c, _ in price_rows([plan], rows)] == [nano(x) for x in ("1", "2", "2", "3")]


VISION = Plan(name="Vision label detection", vendor="google", model="vision-label-detection",
              effective_from=day("2026-01-01"),
              volume=Volume(meter="requests", mode="graduated", tiers=(
                  VolumeTier(up_to=1000, price=D("0")),
                  VolumeTier(up_to=5_000_000, price=D("0.0015")),
                  VolumeTier(price=D("0.0010")))))


def vision(when, q):
    return row(when, vendor="google", model="vision-label-detection", requests=q)


def test_graduated_tiers_split_a_record_that_crosses_a_boundary():
    rows = [vision("2026-01-05T00:00:00", 600), vision("2026-01-06T00:00:00", 600),
            vision("2026-01-07T00:00:00", 100)]
    # first 600 free; next 600: 400 free + 200 x 0.0015 = 0.30; next 100 x 0.0015 = 0.15
    assert [c for c, _ in price_rows([VISION], rows)] == [0, nano("0.30"), nano("0.15")]


def test_graduated_position_follows_timestamps_not_file_order():
    late = vision("2026-01-20T00:00:00", 500)
    early = vision("2026-01-02T00:00:00", 1000)
    # early takes the 1,000 free requests, so late pays 500 x 0.0015 = 0.75
    assert [c for c, _ in price_rows([VISION], [late, early])] == [nano("0.75"), 0]


def test_graduated_positions_restart_each_billing_month():
    rows = [vision("2026-01-31T23:00:00", 1000), vision("2026-02-01T00:00:00", 1000)]
    assert [c for c, _ in price_rows([VISION], rows)] == [0, 0]


def test_billing_months_begin_at_midnight_in_the_billing_timezone():
    tokyo = Plan(**{**VISION.__dict__, "billing_timezone": "Asia/Tokyo"})
    # 2026-01-31T16:00Z is already February 1st in Tokyo (UTC+9): a new month, free again.
    rows = [vision("2026-01-20T00:00:00", 1000), vision("2026-01-31T16:00:00", 10)]
    assert [c for c, _ in price_rows([tokyo], rows)] == [0, 0]
    rows = [vision("2026-01-20T00:00:00", 1000), vision("2026-01-31T14:00:00", 10)]
    assert [c for c, _ in price_rows([tokyo], rows)] == [0, nano("0.015")]


def test_volume_mode_prices_the_whole_month_at_the_tier_its_total_reaches():
    plan = Plan(name="ocr", vendor="acme", model="ocr", volume=Volume(
        meter="units", mode="volume", tiers=(VolumeTier(up_to=100, price=D("0.10")),
                                             VolumeTier(price=D("0.05")))))
    rows = [row("2026-04-01T00:00:00", vendor="acme", model="ocr", units_micro=60 * 10**6),
            row("2026-04-02T00:00:00", vendor="acme", model="ocr", units_micro=50 * 10**6)]
    # month total 110 pages > 100: every page at 0.05: 3.00 and 2.50
    assert [c for c, _ in price_rows([plan], rows)] == [nano("3.00"), nano("2.50")]
    # alone, the first record's month total is 60: priced at 0.10
    assert price_rows([plan], rows[:1])[0][0] == nano("6.00")


def test_volume_tiers_on_output_tokens_keep_the_other_prices():
    plan = Plan(name="p", vendor="x", input=D("1"), output=D("99"), volume=Volume(
        meter="output_tokens", mode="graduated", tiers=(
            VolumeTier(up_to=1_000_000, price=D("4")), VolumeTier(price=D("2")))))
    r = row(vendor="x", model="m", inp=1_000_000, out=1_500_000)
    # input 1M x 1 = 1; output: 1M x 4 + 0.5M x 2 = 5; total 6
    assert price_rows([plan], [r])[0][0] == nano("6")


def test_multiplier_applies_to_volume_priced_charges_too():
    half = Plan(**{**VISION.__dict__, "multiplier": D("0.5")})
    rows = [vision("2026-01-05T00:00:00", 2000)]
    # 1,000 free + 1,000 x 0.0015 = 1.50, halved = 0.75
    assert price_rows([half], rows)[0][0] == nano("0.75")


def test_free_trial_prices_records_at_zero_and_does_not_count_towards_tiers():
    plan = Plan(name="p", vendor="google", model="vision-label-detection", free_trial_days=7,
                effective_from=day("2026-01-01"), request=D("0.01"))
    rows = [vision("2026-01-07T23:59:59", 5), vision("2026-01-08T00:00:00", 5)]
    # The trial covers Jan 1 00:00 to Jan 8 00:00; the record in it is priced, at 0.
    assert price_rows([plan], rows) == [(0, 0), (nano("0.05"), 0)]
    tiered = Plan(**{**VISION.__dict__, "free_trial_days": 7})
    rows = [vision("2026-01-02T00:00:00", 5000), vision("2026-01-10T00:00:00", 1000)]
    # trial usage is not billed, so the 1,000 free requests are still there on the 10th
    assert price_rows([tiered], rows) == [(0, 0), (0, 0)]


def test_charges_round_half_to_even_at_nine_decimals():
    plan = Plan(name="p", vendor="openai", input=D("0.0000000005"), token_unit=1)
    # 1 token x 0.0000000005 = 0.5 nano -> 0 (half to even); 3 tokens = 1.5 nano -> 2
    results = price_rows([plan], [row(inp=1), row(inp=3)])
    assert [c for c, _ in results] == [0, 2]


def test_equal_timestamps_are_tiered_in_import_order():
    a = vision("2026-01-05T00:00:00", 1000)
    b = vision("2026-01-05T00:00:00", 1)
    # a came first (lower order): it takes the free tier, b pays 0.0015
    assert [c for c, _ in price_rows([VISION], [b, a])] == [nano("0.0015"), 0]
