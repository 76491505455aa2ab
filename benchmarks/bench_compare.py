"""`meterbook compare` on a million records over one year, three alternative plan sets (issue 9).

usage: python benchmarks/bench_compare.py [ROWS=1000000]
Needs benchmarks/out/cost-ROWS.db (python benchmarks/bench_cost.py builds it: a year of
generated usage priced by five plans). Times, best of 3, the store's comparison of the saved
plans with three alternatives (per token 20% cheaper; a flat price per request per vendor; the
same with size tiers and a volume discount), and the whole command with --format json; beside
it `meterbook cost --by month` on the same database, for a ratio that a busy machine does not
move much. Wall seconds (best of 3) and CPU seconds (user + sys, best of 3), with the load
average: the machine is shared. Goal: under 3 s for the comparison. Not a test: run it by
hand; it prints a small table.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from decimal import Decimal as D
from pathlib import Path

from bench_cost import best_of
from bench_cost import plans as bench_plans
from meterbook.core.plan_files import write_plans
from meterbook.core.plans import Plan, SizeTier, Volume, VolumeTier
from meterbook.core.quick_plans import Alternative, checked
from meterbook.store import readers
from meterbook.store.compare import Scope, compare
from meterbook.store.database import open_database

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
VENDORS = ("openai", "anthropic", "google")


def alternatives() -> list[Alternative]:
    cheaper = checked("per-token-80", bench_plans(D("0.8")))
    flat = checked("flat", [Plan(name=f"{v} flat", vendor=v, request=D("0.004"))
                            for v in VENDORS])
    tiered = checked("tiered", [Plan(
        name=f"{v} tiered", vendor=v, request=D("0.002"),
        size_tiers=(SizeTier(above_input_tokens=2_000, request=D("0.006")),
                    SizeTier(above_input_tokens=8_000, request=D("0.02"))),
        volume=Volume("requests", "graduated", (VolumeTier(D("0"), 1_000),
                                                VolumeTier(D("0.001")))))
        for v in VENDORS])
    return [cheaper, flat, tiered]


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1_000_000
    db_path = OUT / f"cost-{rows}.db"
    if not db_path.exists():
        raise SystemExit(f"{db_path} is missing: run python benchmarks/bench_cost.py {rows}")
    db = open_database(str(db_path))
    alts = alternatives()

    def query() -> None:
        with db.engine.connect() as conn:
            compare(conn, Scope(), readers.load_plans(conn), alts,
                    readers.home_currency(conn), readers.rates_for(conn))

    files = []
    for alt in alts:
        path = OUT / f"compare-{alt.name}.toml"
        path.write_text(write_plans(list(alt.plans)), encoding="utf-8")
        files += ["--plans", str(path)]

    def command(*args: str):
        def run() -> None:
            subprocess.run([sys.executable, "-m", "meterbook", "--db", str(db_path), "--tz",
                            "UTC", *args], check=True, stdout=subprocess.DEVNULL)
        return run

    compare_command = command("compare", *files, "--format", "json")
    cost_command = command("cost", "--by", "month")
    results = [("compare, 3 alternatives (query)", best_of(3, query), best_cpu(3, query)),
               ("compare, 3 alternatives (command)", best_of(3, compare_command),
                best_cpu(3, compare_command)),
               ("cost --by month (command)", best_of(3, cost_command), best_cpu(3, cost_command))]
    print(f"{rows:,} records; load average {os.getloadavg()[0]:.2f}")
    for name, seconds, cpu in results:
        print(f"  {name:45} {seconds:7.3f} s wall {cpu:7.3f} s CPU")
    print(f"  compare / cost --by month, CPU: {results[1][2] / results[2][2]:.1f}x")


def best_cpu(n: int, fn) -> float:
    """The least CPU time (user + sys, this process and the commands it ran) of n runs."""
    def cpu() -> float:
        own = time.process_time()
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own + kids.ru_utime + kids.ru_stime

    times = []
    for _ in range(n):
        start = cpu()
        fn()
        times.append(cpu() - start)
    return min(times)


if __name__ == "__main__":
    main()
