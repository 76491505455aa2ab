"""Checks that concern several plans together (pricing-plans.md, "Which plan prices a record").

A single plan can be valid while the set is not: two versions of one plan that start at the same
moment, or two plans that could price the same record with nothing to choose between them (rule
3: equal priority and equally specific model patterns). Both are refused when plans are imported
or saved, so the engine never has to guess.

Globs are the plan globs of core/glob.py.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from itertools import combinations

from meterbook.core.glob import globs_overlap, matches, specificity
from meterbook.core.plans import Plan, PlanProblem

__all__ = ["check_plan_set", "globs_overlap", "in_force", "matches", "specificity"]

_BEGINNING = datetime.min.replace(tzinfo=UTC)
_END = datetime.max.replace(tzinfo=UTC)


def in_force(plans: list[Plan]) -> dict[int, tuple[datetime, datetime]]:
    """id(plan) -> [start, end) of each version: until the next version of the same name starts.

    Versions that share a start (a duplicate, reported on its own) share the same period, so a
    tie involving either is still found.
    """
    by_name: dict[str, list[Plan]] = defaultdict(list)
    for plan in plans:
        by_name[plan.name].append(plan)
    periods: dict[int, tuple[datetime, datetime]] = {}
    for versions in by_name.values():
        starts = sorted({_start(p) for p in versions})
        following = dict(zip(starts, [*starts[1:], _END], strict=True))
        for plan in versions:
            periods[id(plan)] = (_start(plan), following[_start(plan)])
    return periods


def _start(plan: Plan) -> datetime:
    moment = plan.effective_from
    if moment is None:
        return _BEGINNING
    if moment.tzinfo is None:  # as in plan files: no offset means UTC
        return moment.replace(tzinfo=UTC)
    return moment


def check_plan_set(plans: list[Plan]) -> list[PlanProblem]:
    """Duplicate versions and ties among plans, in a stable order; empty if the set is fine.

    Versions of one name may have different vendors (a plan that moved to a reseller, say):
    that is allowed, each version is matched on its own vendor.
    """
    ordered = sorted(plans, key=lambda p: (p.vendor.lower(), p.name, _start(p)))
    problems = _duplicates(ordered)
    periods = in_force(ordered)
    # Only plans with the same vendor, priority and specificity can tie: compare within those
    # groups, which keeps the pairwise work far below n^2 for real catalogs.
    groups: dict[tuple[str, int, tuple[int, int]], list[Plan]] = defaultdict(list)
    for plan in ordered:
        groups[(plan.vendor.lower(), plan.priority, specificity(plan.model))].append(plan)
    for group in groups.values():
        for first, second in combinations(group, 2):
            if first.name != second.name and _can_share_record(first, second, periods):
                problems.append(
                    PlanProblem(
                        first.label,
                        "model",
                        f"ties with {second.label}: both can price the same record (vendor "
                        f"{first.vendor!r}, priority {first.priority}, model patterns "
                        f"{first.model!r} and {second.model!r} equally specific); give one a "
                        f"higher priority or a more specific model pattern",
                    )
                )
    return problems


def _duplicates(ordered: list[Plan]) -> list[PlanProblem]:
    problems = []
    seen: set[tuple[str, datetime]] = set()
    for plan in ordered:
        key = (plan.name, _start(plan))
        if key in seen:
            when = "with no effective_from" if plan.effective_from is None else "at that time"
            problems.append(
                PlanProblem(
                    plan.label,
                    "effective_from",
                    f"duplicate version: another version of {plan.name!r} starts {when}",
                )
            )
        seen.add(key)
    return problems


def _can_share_record(a: Plan, b: Plan, periods: dict[int, tuple[datetime, datetime]]) -> bool:
    # No tier on a plan matches every tier; two different tiers never meet on one record.
    if None not in (a.service_tier, b.service_tier) and a.service_tier != b.service_tier:
        return False
    start_a, end_a = periods[id(a)]
    start_b, end_b = periods[id(b)]
    if not (start_a < end_b and start_b < end_a):
        return False
    return globs_overlap(a.model, b.model) and globs_overlap(a.project, b.project)
