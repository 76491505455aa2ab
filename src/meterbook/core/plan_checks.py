"""Checks that concern several plans together (pricing-plans.md, "Which plan prices a record").

A single plan can be valid while the set is not: two versions of one plan that start at the same
moment, or two plans that could price the same record with nothing to choose between them (rule
3: equal priority and equally specific model patterns). Both are refused when plans are imported
or saved, so the engine never has to guess.

Globs here are the plan globs: case-insensitive, `*` any run of characters, `?` exactly one, and
every other character literal (`[` too: there are no character classes).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from itertools import combinations

from meterbook.core.plans import Plan, PlanProblem

_BEGINNING = datetime.min.replace(tzinfo=UTC)
_END = datetime.max.replace(tzinfo=UTC)


def _same_char(a: str, b: str) -> bool:
    # Character by character, so a pattern and a text always line up one to one.
    return a == b or a.casefold() == b.casefold()


def matches(pattern: str, text: str) -> bool:
    """Whether a plan glob matches text (case-insensitive; only `*` and `?` are special)."""
    p = t = 0
    star = -1  # position in pattern just after the last `*` seen
    star_t = 0  # position in text that `*` was last extended to
    while t < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star, star_t = p + 1, t
            p += 1
        elif p < len(pattern) and (pattern[p] == "?" or _same_char(pattern[p], text[t])):
            p += 1
            t += 1
        elif star >= 0:
            # Let the last `*` take one more character and retry from there; the classic
            # greedy backtrack is exact because only the last star ever needs to grow.
            star_t += 1
            p, t = star, star_t
        else:
            return False
    return all(c == "*" for c in pattern[p:])


def globs_overlap(a: str, b: str) -> bool:
    """Whether some text matches both globs.

    The product of the two patterns' automata, walked as a DP over (i, j) = how much of each
    pattern has been used: every step moves i or j forward, so one pass in order is exact.
    """
    if not _ends_agree(a, b):
        return False
    n, m = len(a), len(b)
    reach = [[False] * (m + 1) for _ in range(n + 1)]
    reach[0][0] = True
    for i in range(n + 1):
        for j in range(m + 1):
            if not reach[i][j]:
                continue
            if i == n and j == m:
                return True
            star_a = i < n and a[i] == "*"
            star_b = j < m and b[j] == "*"
            if star_a:
                reach[i + 1][j] = True  # this star is done (it may have taken nothing)
                if j < m:
                    reach[i][j + 1] = True  # it takes the character b[j] stands for
            if star_b:
                reach[i][j + 1] = True
                if i < n:
                    reach[i + 1][j] = True
            # Two single characters: a `?` can be anything, two literals must agree.
            if (
                i < n
                and j < m
                and not star_a
                and not star_b
                and (a[i] == "?" or b[j] == "?" or _same_char(a[i], b[j]))
            ):
                reach[i + 1][j + 1] = True
    return reach[n][m]


def _ends_agree(a: str, b: str) -> bool:
    """A quick necessary condition: the fixed-width starts (before any `*`) and ends agree.

    Most pairs of model patterns in a catalog differ within their first few characters, so
    this settles them without the quadratic walk below.
    """
    if "*" not in a and "*" not in b and len(a) != len(b):
        return False
    for x, y in ((a, b), (a[::-1], b[::-1])):
        for i in range(min(_fixed(x), _fixed(y))):
            if x[i] != "?" and y[i] != "?" and not _same_char(x[i], y[i]):
                return False
    return True


def _fixed(pattern: str) -> int:
    """How many leading characters stand for exactly one character each."""
    star = pattern.find("*")
    return len(pattern) if star < 0 else star


def specificity(pattern: str) -> tuple[int, int]:
    """Rule 3's order as a key: fewer wildcards, then longer; a larger key is more specific."""
    wildcards = pattern.count("*") + pattern.count("?")
    return (-wildcards, len(pattern))


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
