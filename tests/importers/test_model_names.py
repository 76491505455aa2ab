"""Console display names -> API model names (importers/model_names.py).

Expected names are Anthropic's API ids and aliases as its model documentation lists them.
"""

from __future__ import annotations

import pytest

from meterbook.importers.model_names import api_model_name


@pytest.mark.parametrize(("display", "api"), [
    ("Claude 3.5 Sonnet 2024-10-22", "claude-3-5-sonnet-20241022"),
    ("Claude Haiku 4.5", "claude-haiku-4-5"),
    ("Claude Sonnet 4.5", "claude-sonnet-4-5"),
    ("Claude Sonnet 4", "claude-sonnet-4"),
    ("Claude Opus 4.1", "claude-opus-4-1"),
    ("Claude 3 Opus", "claude-3-opus"),
    ("Claude 3 Haiku", "claude-3-haiku"),
    ("Claude Sonnet 4 2025-05-14", "claude-sonnet-4-20250514"),
    # family-first names of 3.x models: the API puts the version first
    ("Claude Sonnet 3.7", "claude-3-7-sonnet"),
    ("Claude Haiku 3.5", "claude-3-5-haiku"),
    ("Claude Opus 3", "claude-3-opus"),
    # the table of exceptions
    ("Claude 3.5 Sonnet (New)", "claude-3-5-sonnet-20241022"),
    ("Claude 2.1", "claude-2.1"),
    ("Claude Instant 1.2", "claude-instant-1.2"),
    # spacing and case do not matter
    ("  claude   HAIKU 4.5 ", "claude-haiku-4-5"),
])  # fmt: skip
def test_anthropic_display_names_become_api_names(display, api):
    assert api_model_name("anthropic", display) == api


@pytest.mark.parametrize("name", [
    "claude-3-5-sonnet-20241022", "claude-sonnet-4-5-20250929", "claude-haiku-4-5", "claude-2.1",
])  # fmt: skip
def test_names_already_in_api_form_pass_through(name):
    assert api_model_name("anthropic", name) == name


def test_vendor_is_matched_case_insensitively():
    assert api_model_name(" Anthropic ", "Claude Opus 4") == "claude-opus-4"


@pytest.mark.parametrize("vendor", ["openai", "azure", "", "unknown"])
def test_other_vendors_pass_through_unchanged(vendor):
    assert api_model_name(vendor, "GPT-4o mini") == "GPT-4o mini"


@pytest.mark.parametrize("display", ["", "--", "  "])
def test_names_with_nothing_to_map_are_returned_as_given(display):
    assert api_model_name("anthropic", display) == display
