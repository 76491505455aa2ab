"""The plan editor's model: texts <-> Plan, problems per field, and a priced sample request."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from meterbook.core.catalog import catalog_plans
from meterbook.core.plan_form import (
    SIZE_TIERS,
    VOLUME_TIERS,
    PlanForm,
    SampleRequest,
    cell_key,
    preview,
    price_summary,
)  # fmt: skip
from meterbook.core.plans import Plan, PlanFileError, SizeTier, Volume, VolumeTier

GPT = Plan(name="OpenAI gpt-4o", vendor="openai", model="gpt-4o*",
           effective_from=datetime(2026, 1, 1, tzinfo=UTC),
           input=D("2.50"), output=D("10.00"))
FULL = Plan(
    name="Everything", vendor="openai", model="gpt-4o*", project="team-?",
    service_tier="batch", currency="EUR", effective_from=datetime(2026, 1, 1, 12, 30, tzinfo=UTC),
    priority=-3, source="https://example.com/pricing", token_unit=1000, input=D("2.50"),
    cached_input=D("1.25"), cache_write=D("3.125"), output=D("10.00"), request=D("0.002"),
    unit_price=D("1.50"), unit_size=1000, multiplier=D("0.5"),
    size_tiers=(SizeTier(above_input_tokens=200_000, input=D("5.00"), output=D("22.50")),),
    volume=Volume(meter="requests", mode="volume", tiers=(
        VolumeTier(up_to=1000, price=D("0")), VolumeTier(price=D("0.0010")))),
    monthly_fee=D("20.00"), monthly_minimum=D("50.00"), free_trial_days=7,
    billing_timezone="Europe/Paris",
)


# --- plan <-> texts ---------------------------------------------------------------------------


@pytest.mark.parametrize("plan", [GPT, FULL, Plan(name="bare", vendor="x")])
def test_a_plan_comes_back_unchanged_through_its_texts(plan):
    assert PlanForm.from_plan(plan).to_plan() == plan


def test_every_catalog_plan_comes_back_unchanged():
    for plan in catalog_plans():
        assert PlanForm.from_plan(plan).to_plan() == plan


def test_texts_are_written_as_the_plan_file_writes_them():
    form = PlanForm.from_plan(FULL)
    assert form.get("input") == "2.50"
    assert form.get("effective_from") == "2026-01-01T12:30:00"
    assert form.get("volume.meter") == "requests"
    assert form.get(cell_key(SIZE_TIERS, 0, "output")) == "22.50"
    assert form.get(cell_key(SIZE_TIERS, 0, "cached_input")) == ""  # not replaced by the tier
    assert form.get(cell_key(VOLUME_TIERS, 1, "up_to")) == ""  # the open, final tier
    assert PlanForm.from_plan(GPT).get("effective_from") == "2026-01-01"
    assert PlanForm.from_plan(GPT).get("cached_input") == ""  # defaults to the input price


def test_empty_texts_mean_the_defaults():
    form = PlanForm.blank("openai")
    form.set("name", "Mine")
    for key in ("model", "cached_input", "currency", "effective_from", "service_tier",
                "token_unit"):
        form.set(key, "")
    plan = form.to_plan()
    assert plan == Plan(name="Mine", vendor="openai")
    assert plan.cached_input is None and plan.effective_from is None


def test_whole_numbers_may_be_written_with_separators_and_dates_with_times():
    form = PlanForm.from_plan(GPT)
    form.set("token_unit", "1,000")
    form.set("effective_from", "2026-03-01 08:00")
    plan = form.to_plan()
    assert plan.token_unit == 1000
    assert plan.effective_from == datetime(2026, 3, 1, 8, tzinfo=UTC)  # no offset: UTC


def test_rows_are_added_set_and_removed():
    form = PlanForm.from_plan(GPT)
    row = form.add_row(SIZE_TIERS, {"above_input_tokens": "128000"})
    form.set(cell_key(SIZE_TIERS, row, "input"), "5.00")
    form.add_row(SIZE_TIERS, {"above_input_tokens": "1000000", "output": "40"})
    form.remove_row(SIZE_TIERS, 1)
    assert form.to_plan().size_tiers == (SizeTier(above_input_tokens=128000, input=D("5.00")),)
    with pytest.raises(KeyError):
        form.set("size_tiers[1].price", "1")  # a volume tier's column
    with pytest.raises(KeyError):
        form.set("colour", "red")


def test_the_form_is_a_copy_not_a_view():
    form = PlanForm.from_plan(FULL)
    copy = form.copy()
    copy.set(cell_key(VOLUME_TIERS, 0, "price"), "9")
    assert form.get(cell_key(VOLUME_TIERS, 0, "price")) == "0"


# --- problems beside the fields -----------------------------------------------------------------


def test_each_problem_is_tied_to_its_field_in_the_readers_words():
    form = PlanForm.from_plan(GPT)
    form.set("input", "-1")
    form.set("output", "ten")
    form.set("priority", "1.5")
    form.set("effective_from", "2026-13-01")
    form.set("billing_timezone", "Mars/Olympus")
    form.set("currency", "dollars")
    form.set("vendor", "  ")
    problems = form.problems()
    assert problems == {
        "input": "'-1' is negative; prices must be 0 or more",
        "output": "'ten' is not a decimal number",
        "priority": "priority must be a whole number, not '1.5'",
        "effective_from": "effective_from must be a TOML date or date-time, like 2026-01-01, "
                          "not '2026-13-01'",
        "billing_timezone": "'Mars/Olympus' is not a known IANA time zone (e.g. UTC, "
                            "Europe/Paris)",
        "currency": "'dollars' is not a currency code (3 letters, e.g. USD)",
        "vendor": "vendor must be non-empty text",
    }
    with pytest.raises(PlanFileError) as refused:
        form.to_plan()
    assert {p.key for p in refused.value.problems} == set(problems)


def test_tier_problems_name_their_row_and_column():
    form = PlanForm.from_plan(GPT)
    form.add_row(SIZE_TIERS, {"above_input_tokens": "200000", "input": "5"})
    form.add_row(SIZE_TIERS, {"above_input_tokens": "100000", "input": "x"})
    form.set("volume.meter", "requests")
    form.add_row(VOLUME_TIERS, {"price": "0"})
    form.add_row(VOLUME_TIERS, {"up_to": "5000", "price": "0.001"})
    problems = form.problems()
    assert set(problems) == {"size_tiers[2].above_input_tokens", "size_tiers[2].input",
                             "volume.tiers[1].up_to", "volume.tiers[2].up_to"}
    assert "strictly increasing" in problems["size_tiers[2].above_input_tokens"]
    assert problems["volume.tiers[2].up_to"].startswith("the last tier must have no up_to")


def test_volume_tiers_need_a_meter_and_a_meter_needs_tiers():
    form = PlanForm.from_plan(GPT)
    form.add_row(VOLUME_TIERS, {"price": "0.01"})
    assert form.problems() == {
        "volume.meter": "meter is required, one of requests, units, input_tokens, output_tokens"}
    form.remove_row(VOLUME_TIERS, 0)
    form.set("volume.meter", "units")
    assert form.problems() == {
        "volume.tiers": "a volume block needs tiers; the last has no up_to"}


def test_a_duplicate_version_or_a_tie_with_saved_plans_is_a_problem():
    later = Plan(name=GPT.name, vendor="openai", model="gpt-4o*",
                 effective_from=datetime(2026, 6, 1, tzinfo=UTC), input=D("2"))
    form = PlanForm.from_plan(GPT)
    form.set("effective_from", "2026-06-01")
    assert "duplicate version" in form.problems([later])["effective_from"]
    form.set("effective_from", "2026-01-01")
    assert form.problems([later]) == {}

    rival = Plan(name="Rival", vendor="openai", model="gpt*-4o")  # as specific as gpt-4o*
    problems = PlanForm.from_plan(GPT).problems([rival])
    assert list(problems) == ["model"] and problems["model"].startswith("ties with Rival: ")
    # named the other way round when the rival sorts first
    first = Plan(name="Aardvark", vendor="openai", model="gpt*-4o")
    assert PlanForm.from_plan(GPT).problems([first])["model"].startswith(
        "ties with Aardvark: both can price the same record")
    unrelated = Plan(name="Other", vendor="anthropic", model="claude*")
    assert PlanForm.from_plan(GPT).problems([rival, unrelated, later]).keys() == {"model"}


# --- the sample request's cost, worked out by hand ------------------------------------------


def test_tokens_cost_their_price_per_token_unit():
    sample = SampleRequest(input_tokens=1000, output_tokens=500)
    # 1,000 x 2.50 / 1M + 500 x 10.00 / 1M = 0.0025 + 0.005
    assert preview(GPT, sample) == D("0.0075")
    # cache reads and writes default to the input price: 2,000 x 2.50 / 1M
    assert preview(GPT, SampleRequest(cached_input_tokens=1500, cache_write_tokens=500)) == \
        D("0.005")


def test_a_size_tier_prices_the_whole_request():
    plan = Plan(name="long", vendor="google", input=D("1.25"), output=D("10"),
                size_tiers=(SizeTier(above_input_tokens=200_000, input=D("2.50"),
                                     output=D("15")),))
    # 150,000 input: base prices. 150,000 x 1.25 / 1M + 1,000 x 10 / 1M = 0.1875 + 0.01
    assert preview(plan, SampleRequest(input_tokens=150_000, output_tokens=1000)) == D("0.1975")
    # 250,000 input: every token at the tier. 250,000 x 2.50 / 1M + 1,000 x 15 / 1M
    assert preview(plan, SampleRequest(input_tokens=250_000, output_tokens=1000)) == D("0.64")


def test_requests_units_and_the_multiplier():
    plan = Plan(name="mixed", vendor="x", request=D("0.002"), unit_price=D("1.50"),
                unit_size=1000, multiplier=D("0.5"))
    # (3 x 0.002 + 2,500 x 1.50 / 1,000) x 0.5 = (0.006 + 3.75) x 0.5
    assert preview(plan, SampleRequest(requests=3, units=D("2500"))) == D("1.878")


def test_volume_tiers_price_the_sample_as_the_months_first_usage():
    plan = Plan(name="labels", vendor="google", volume=Volume(
        meter="requests", mode="graduated", tiers=(
            VolumeTier(up_to=1000, price=D("0")), VolumeTier(up_to=5_000_000, price=D("0.0015")),
            VolumeTier(price=D("0.0010")))))
    # the first 1,000 are free, the next 500 at 0.0015
    assert preview(plan, SampleRequest(requests=1500)) == D("0.75")
    volume = Plan(name="ocr", vendor="google", volume=Volume(
        meter="requests", mode="volume", tiers=(
            VolumeTier(up_to=1000, price=D("0.002")), VolumeTier(price=D("0.001")))))
    # 1,500 reaches the second tier, which then prices every request: 1,500 x 0.001
    assert preview(volume, SampleRequest(requests=1500)) == D("1.5")


def test_matching_dates_and_the_free_trial_do_not_change_the_preview():
    plan = Plan(name="trial", vendor="openai", model="gpt-4o", project="team-a",
                service_tier="batch", effective_from=datetime(2030, 1, 1, tzinfo=UTC),
                free_trial_days=30, input=D("4"))
    assert preview(plan, SampleRequest(input_tokens=250_000)) == D("1")


def test_editing_a_price_changes_the_forms_preview():
    form = PlanForm.from_plan(GPT)
    sample = SampleRequest(input_tokens=1000, output_tokens=500)
    assert form.preview(sample) == D("0.0075")
    form.set("input", "3.00")  # 1,000 x 3 / 1M + 0.005
    assert form.preview(sample) == D("0.008")
    form.set("input", "three")
    assert form.preview(sample) is None


def test_a_sample_has_no_negative_or_too_fine_quantities():
    with pytest.raises(ValueError):
        preview(GPT, SampleRequest(input_tokens=-1))
    with pytest.raises(ValueError):
        preview(GPT, SampleRequest(units=D("0.0000001")))


def test_a_plans_prices_in_one_line():
    assert price_summary(GPT) == "in 2.50 out 10.00/M tok"
    # FULL has a multiplier of 0.5: the prices shown are the ones charged, and say so.
    # 2.50 x 0.5 = 1.25, 10.00 x 0.5 = 5.00, 0.002 x 0.5 = 0.001, 1.50 x 0.5 = 0.75.
    assert price_summary(FULL) == (
        "in 1.25 out 5.00/1,000 tok; 0.001/request; 0.75/1,000 units (×0.5 applied); "
        "volume tiers on requests; 1 size tier(s); fee 20.00/month; minimum 50.00/month")
    assert price_summary(Plan(name="free", vendor="x")) == "free"
