"""Plan-set checks: plan globs, duplicate versions and ties between plans (rule 3)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meterbook.core.plan_checks import (
    check_plan_set,
    globs_overlap,
    in_force,
    matches,
    specificity,
)
from meterbook.core.plans import Plan


def day(month: int, d: int = 1) -> datetime:
    return datetime(2026, month, d, tzinfo=UTC)


# --- globs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("*", "", True),
        ("*", "anything", True),
        ("gpt-4o*", "GPT-4o-mini", True),
        ("gpt-4o", "gpt-4o-mini", False),
        ("gpt-4?", "gpt-4o", True),
        ("gpt-4?", "gpt-4", False),
        ("*mini", "gpt-4o-mini", True),
        ("a*b*c", "axxbyyc", True),
        ("a*b*c", "axxbyy", False),
        ("[ab]", "a", False),  # no character classes: `[` is literal
        ("[ab]", "[AB]", True),
        ("", "", True),
        ("", "a", False),
        ("*?", "", False),
    ],
)
def test_matches(pattern, text, expected):
    assert matches(pattern, text) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("gpt-4o*", "*-mini", True),
        ("gpt-4o", "gpt-4", False),
        ("a?c", "ab*", True),
        ("claude-*", "gpt-*", False),
        ("*", "", True),
        ("GPT-4O", "gpt-4o", True),
        ("gpt-4o", "gpt-4o*", True),
        ("a*", "*b", True),
        ("a*a", "b*", False),
        ("?", "", False),
        ("??", "*x*", True),
        ("???", "a*b*c*d", False),
        ("*a*b*", "*b*a*", True),
        ("x[1]", "x?1]", True),
        ("x[1]", "x?2]", False),
    ],
)
def test_globs_overlap(a, b, expected):
    assert globs_overlap(a, b) is expected
    assert globs_overlap(b, a) is expected


small_globs = st.text(alphabet="ab*?", max_size=4)


@settings(max_examples=150, deadline=None)
@given(small_globs, small_globs)
def test_globs_overlap_agrees_with_brute_force(a, b):
    # A shortest common string spends each character on a non-`*` of one pattern, so strings up
    # to that length over {a, b, c} (c: any other character) settle the question.
    bound = len(a.replace("*", "")) + len(b.replace("*", ""))
    found = any(
        matches(a, s) and matches(b, s)
        for n in range(bound + 1)
        for s in map("".join, itertools.product("abc", repeat=n))
    )
    assert globs_overlap(a, b) is found


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="aB*?[.", max_size=6), st.text(alphabet="abAB[.", max_size=6))
def test_matches_agrees_with_a_regex(pattern, text):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    assert matches(pattern, text) is bool(re.fullmatch(regex, text, re.I | re.S))


def test_specificity_order():
    # Fewer wildcards first, then the longer pattern.
    assert specificity("gpt-4o") > specificity("gpt-4o*") > specificity("gpt-*")
    assert specificity("gpt-4o-mini*") > specificity("gpt-4o*")
    assert specificity("a?c") == specificity("ab*")


# --- versions ----------------------------------------------------------------------------------


def test_in_force_periods():
    a0, a1, a2 = (
        Plan("A", "v"),
        Plan("A", "v", effective_from=day(3)),
        Plan("A", "v", effective_from=day(1)),
    )
    periods = in_force([a1, a0, a2])
    assert periods[id(a0)] == (datetime.min.replace(tzinfo=UTC), day(1))
    assert periods[id(a2)] == (day(1), day(3))
    assert periods[id(a1)] == (day(3), datetime.max.replace(tzinfo=UTC))


def test_duplicate_versions():
    plans = [
        Plan("A", "a", effective_from=day(1)),
        Plan("A", "a", effective_from=day(1), input=1),
        Plan("B", "b"),
        Plan("B", "b", model="other"),
        Plan("C", "c", effective_from=day(2)),
    ]
    problems = check_plan_set(plans)
    assert [(p.plan, p.key) for p in problems] == [
        ("A (from 2026-01-01)", "effective_from"),
        ("B", "effective_from"),
    ]
    assert all("duplicate version" in p.message for p in problems)


def test_versions_may_change_vendor_and_do_not_tie_with_each_other():
    plans = [Plan("A", "openai"), Plan("A", "azure", effective_from=day(2))]
    assert check_plan_set(plans) == []


# --- ties --------------------------------------------------------------------------------------


def tie_pair(**changes) -> list[Plan]:
    """Two plans that tie; keyword arguments change the second one."""
    first = Plan("Alpha", "openai", model="gpt-4o*", effective_from=day(1))
    second = Plan("Beta", "OpenAI", model="gpt-4*i", effective_from=day(1))
    return [first, Plan(**{**second.__dict__, **changes})]


def test_tie_names_both_plans():
    (problem,) = check_plan_set(tie_pair())
    assert problem.key == "model"
    assert problem.plan == "Alpha (from 2026-01-01)"
    assert "Beta (from 2026-01-01)" in problem.message and "ties" in problem.message


@pytest.mark.parametrize(
    "changes",
    [
        {"effective_from": None},  # in force since always: overlaps Alpha
        {"effective_from": day(6)},  # Alpha has no later version: still in force
        {"service_tier": "batch"},  # None on Alpha matches any tier
        {"project": "team-*"},
        {"model": "*-4o-mi"},  # other pattern, same wildcard count and length
        {"currency": "EUR", "input": 5},  # prices do not break ties
    ],
)
def test_ties(changes):
    assert len(check_plan_set(tie_pair(**changes))) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"priority": 1},
        {"model": "gpt-4o-*"},  # longer: more specific
        {"model": "gpt-4?*"},  # more wildcards: less specific
        {"model": "o1-pre*"},  # as specific, but no model matches both
        {"vendor": "azure"},
    ],
)
def test_not_ties(changes):
    assert check_plan_set(tie_pair(**changes)) == []


def test_different_service_tiers_do_not_tie():
    first, second = tie_pair(service_tier="flex")
    assert check_plan_set([Plan(**{**first.__dict__, "service_tier": "batch"}), second]) == []
    assert len(check_plan_set([Plan(**{**first.__dict__, "service_tier": "flex"}), second])) == 1


def test_disjoint_projects_do_not_tie():
    first, second = tie_pair(project="team-b")
    assert check_plan_set([Plan(**{**first.__dict__, "project": "team-a"}), second]) == []


def test_periods_that_do_not_overlap_do_not_tie():
    alpha = Plan("Alpha", "openai", model="gpt-4o*", effective_from=day(1))
    alpha_next = Plan("Alpha", "openai", model="gpt-4o*", effective_from=day(2), priority=5)
    beta = Plan("Beta", "openai", model="gpt-4o*", effective_from=day(2))
    assert check_plan_set([alpha, alpha_next, beta]) == []
    # Starting a day earlier, Beta overlaps Alpha's first version.
    beta_early = Plan("Beta", "openai", model="gpt-4o*", effective_from=day(1, 31))
    (problem,) = check_plan_set([alpha, alpha_next, beta_early])
    assert "Alpha (from 2026-01-01)" in problem.plan + problem.message
    assert "Beta (from 2026-01-31)" in problem.plan + problem.message


def test_beta_before_alpha_starts_does_not_tie():
    alpha = Plan("Alpha", "openai", model="gpt-4o*", effective_from=day(3))
    beta_old = Plan("Beta", "openai", model="gpt-4o*", effective_from=day(1))
    beta_new = Plan("Beta", "openai", model="gpt-4o*", effective_from=day(2), priority=1)
    assert check_plan_set([alpha, beta_old, beta_new]) == []


def test_among_many_equally_specific_plans_only_overlapping_patterns_tie():
    # 600 plans of one vendor, priority and specificity (one group of pairs to compare), but
    # each prefix is its own: no model matches two. (How long this takes for big sets:
    # benchmarks/bench_plan_checks.py.)
    plans = [
        Plan(f"plan {n}", "openai", model=f"model-{n:04d}*", effective_from=day(1 + n % 12))
        for n in range(600)
    ]
    assert check_plan_set(plans) == []
    # "model-0001?" matches model-0001x, as "model-0001*" (plan 1, from February) does; no
    # other prefix matches it ("model-0010*" wants model-0010..., not model-00010).
    plans.append(Plan("wildcard", "openai", model="model-0001?"))
    (problem,) = check_plan_set(plans)
    assert (problem.plan, problem.key) == ("plan 1 (from 2026-02-01)", "model")
    assert problem.message.startswith(
        "ties with wildcard: both can price the same record (vendor 'openai', priority 0, "
        "model patterns 'model-0001*' and 'model-0001?' equally specific)")
