"""Prices from files: LiteLLM's price map and the bundled catalog, through the command."""

from __future__ import annotations

import json

LITELLM = {
    "sample_spec": {"input_cost_per_token": 0, "litellm_provider": "one of the providers"},
    "gpt-4o-mini": {"input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07,
                    "cache_read_input_token_cost": 7.5e-08, "litellm_provider": "openai",
                    "mode": "chat"},
    "claude-haiku-4-5": {"input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06,
                         "litellm_provider": "anthropic", "mode": "chat"},
}


def test_litellm_prices_for_the_vendors_asked_for_become_plans(cli, tmp_path):
    path = tmp_path / "model_prices_and_context_window.json"
    path.write_text(json.dumps(LITELLM))
    result = cli("plans", "import", str(path), "--vendor", "openai")
    assert result.code == 0, result.err
    listed = cli("plans", "list").out
    assert "gpt-4o-mini" in listed and "claude-haiku" not in listed
    # 1,000,000 input x 0.15/M + 1,000,000 output x 0.60/M = 0.75
    usage = tmp_path / "u.csv"
    usage.write_text("timestamp,vendor,model,input_tokens,output_tokens\n"
                     "2026-03-01T00:00:00Z,openai,gpt-4o-mini,1000000,1000000\n")
    cli("import", str(usage))
    assert cli("cost", "--format", "json").json["total"]["cost"] == "0.750000000"


def test_vendor_filter_is_only_for_the_price_map(cli, tmp_path):
    toml = tmp_path / "p.toml"
    toml.write_text('[[plan]]\nname = "x"\nvendor = "acme"\n')
    result = cli("plans", "import", str(toml), "--vendor", "openai")
    assert result.code == 1 and "LiteLLM" in result.err


def test_a_price_map_with_nothing_for_the_vendor_changes_nothing(cli, tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(LITELLM))
    result = cli("plans", "import", str(path), "--vendor", "mistral")
    assert result.code == 1 and "no prices" in result.err
    assert "No plans yet" in cli("plans", "list").out


def test_the_catalog_lists_plans_and_saves_one_by_name(cli):
    catalog = cli("plans", "catalog")
    assert catalog.code == 0 and "Vision label detection" in catalog.out
    added = cli("plans", "add-from-catalog", "Vision label detection")
    assert added.code == 0
    assert "Vision label detection" in cli("plans", "list").out


def test_an_unknown_catalog_name_suggests_close_ones(cli):
    result = cli("plans", "add-from-catalog", "Vision labell detection")
    assert result.code == 1 and "did you mean 'Vision label detection'" in result.err
