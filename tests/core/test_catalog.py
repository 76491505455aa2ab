"""The bundled price catalog: it loads, it is consistent, and its plans can be found by name."""

from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

import meterbook.core.resources as resources
from meterbook.core.catalog import (
    UnknownCatalogPlan,
    catalog_entry,
    catalog_names,
    catalog_path,
    catalog_plans,
)
from meterbook.core.plan_checks import check_plan_set
from meterbook.core.plans import Volume, VolumeTier
from meterbook.core.pricing import price_rows
from meterbook.core.records import PricingRow, to_epoch_us

VENDOR_FILES = {"anthropic.toml", "deepseek.toml", "google.toml", "mistral.toml",
                "openai.toml", "services.toml"}  # fmt: skip


def test_the_catalog_has_one_file_per_vendor_and_the_services():
    assert {p.name for p in catalog_path().glob("*.toml")} == VENDOR_FILES
    vendors = {p.vendor for p in catalog_plans()}
    assert vendors >= {"openai", "anthropic", "google", "mistral", "deepseek", "deepl"}


def test_the_catalog_passes_the_plan_set_checks_with_no_tie():
    assert check_plan_set(catalog_plans()) == []


def test_every_plan_says_where_its_price_comes_from_and_since_when():
    for plan in catalog_plans():
        assert plan.source and plan.source.startswith("https://"), plan.name
        assert plan.effective_from is not None, plan.name


def test_batch_plans_win_over_the_standard_plan_for_batch_usage():
    plans = catalog_plans()
    for plan in plans:
        if plan.service_tier is not None:
            standard = [p for p in plans if p.model == plan.model and p.service_tier is None]
            assert standard and plan.priority > standard[0].priority, plan.name


def test_catalog_entry_returns_every_version_of_a_name():
    versions = catalog_entry("Claude Sonnet 5.5")
    assert [v.cached_input for v in versions] == [D("0.20"), D("0.10")]
    assert versions[1].effective_from == datetime(2026, 10, 7, tzinfo=UTC)
    assert catalog_entry("claude sonnet 5.5") == versions  # case does not matter


def test_an_unknown_name_is_a_key_error_that_suggests_close_names():
    with pytest.raises(KeyError) as caught:
        catalog_entry("Claude Sonet 5.5")
    error = caught.value
    assert isinstance(error, UnknownCatalogPlan)
    assert error.suggestions[0] == "Claude Sonnet 5.5"
    assert "did you mean 'Claude Sonnet 5.5'" in str(error)
    with pytest.raises(UnknownCatalogPlan) as caught:
        catalog_entry("zzzz")
    assert caught.value.suggestions == []
    assert str(caught.value) == "no plan named 'zzzz' in the catalog"


def test_catalog_names_lists_each_name_once():
    names = catalog_names()
    assert len(names) == len(set(names))
    assert "Vision label detection" in names and "Gemini 2.5 Pro" in names


def test_the_vision_plan_is_the_graduated_example_of_the_spec():
    [vision] = catalog_entry("Vision label detection")
    assert vision.volume == Volume(meter="requests", mode="graduated", tiers=(
        VolumeTier(price=D("0"), up_to=1000), VolumeTier(price=D("0.0015"), up_to=5_000_000),
        VolumeTier(price=D("0.0010"))))  # fmt: skip


def _row(order: int, model: str, vendor: str, tier: str = "", **counts) -> PricingRow:
    when = to_epoch_us(datetime(2026, 11, 20, 12, tzinfo=UTC))
    return PricingRow(order, when, (vendor, model, "", tier), counts.get("requests", 1),
                      counts.get("inp", 0), counts.get("cached", 0), counts.get("write", 0),
                      counts.get("out", 0), counts.get("units", 0) * 10**6)


def test_catalog_prices_records_as_the_vendors_list_them():
    plans = catalog_plans()
    rows = [
        # Gemini 2.5 Pro above 200k input tokens: every token at the long-context price.
        # 300,000 x 2.50/M + 1,000 x 15/M = 0.75 + 0.015
        _row(0, "gemini-2.5-pro", "google", inp=300_000, out=1_000),
        # Claude Opus 5.5 through the Batch API: half of 1M x 4/M + 100k x 20/M = 3.00
        _row(1, "claude-opus-5-5", "anthropic", "batch", inp=1_000_000, out=100_000),
        # Anthropic web search: 250 searches at $10 per 1,000
        _row(2, "web_search", "anthropic", requests=0, units=250),
    ]
    charges = [charge for charge, _ in price_rows(plans, rows)]
    assert charges == [765_000_000, 3_000_000_000, 2_500_000_000]


def test_the_catalog_is_found_in_an_installed_package_too(tmp_path: Path, monkeypatch):
    # A wheel has meterbook/resources/catalog beside meterbook/core: with the package in such
    # a tree, the catalog is read there (core/resources.py finds every resource).
    bundled = tmp_path / "meterbook" / "resources" / "catalog"
    bundled.mkdir(parents=True)
    (bundled / "x.toml").write_text('[[plan]]\nname = "X"\nvendor = "x"\n', encoding="utf-8")
    monkeypatch.setattr(resources, "_PACKAGE", tmp_path / "meterbook")
    assert catalog_path() == bundled
    assert [p.name for p in catalog_plans()] == ["X"]
