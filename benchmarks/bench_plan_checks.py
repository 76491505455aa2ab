"""How long the plan-set checks take on big sets (core/plan_checks.py check_plan_set).

usage: python benchmarks/bench_plan_checks.py [PLANS=600]
Times check_plan_set on PLANS plans of one vendor, priority and specificity (the worst case:
one group, every pair compared) and, when ../shared/real-exports holds it, on the LiteLLM price
map converted to plans (over 5,000 plans, most in small groups).
Best of 3 each. Not a test: run it by hand (tests/core/test_plan_checks.py checks the results).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from meterbook.core.litellm_prices import load_litellm_price_map, plans_from_litellm
from meterbook.core.plan_checks import check_plan_set
from meterbook.core.plans import Plan

LITELLM = (Path(__file__).resolve().parents[2] / "shared" / "real-exports" / "litellm"
           / "model_prices_and_context_window.json")


def best_of_3(plans: list[Plan]) -> tuple[float, int]:
    """Seconds of the fastest of three checks, and how many problems they found."""
    times, found = [], 0
    for _ in range(3):
        started = time.perf_counter()
        found = len(check_plan_set(plans))
        times.append(time.perf_counter() - started)
    return min(times), found


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    plans = [Plan(f"plan {n}", "openai", model=f"model-{n:04d}*",
                  effective_from=datetime(2026, 1 + n % 12, 1, tzinfo=UTC))
             for n in range(count)]
    seconds, found = best_of_3(plans)
    print(f"  {f'{count:,} plans in one group':32} {seconds:7.3f} s   {found} problems")
    if LITELLM.is_file():
        document = load_litellm_price_map(LITELLM.read_text(encoding="utf-8"))
        real, _notes = plans_from_litellm(document, vendors=None, effective_from=None,
                                          source="LiteLLM")
        seconds, found = best_of_3(real)
        print(f"  {f'{len(real):,} LiteLLM plans':32} {seconds:7.3f} s   {found} problems")


if __name__ == "__main__":
    main()
