"""Cost queries and re-pricing on a million records (issue: foundation, item 10).

usage: python benchmarks/bench_cost.py [ROWS=1000000] [--keep]
Builds benchmarks/out/cost-ROWS.db from ../shared/bench/gen_usage.py's CSV, priced by five plans
(one with graduated volume tiers), then times:
  - `meterbook cost --by month` and `--by conversation` as whole commands (process start
    included) and as in-process queries;
  - a full re-price: saving new versions of every plan that start before all the usage.
Each figure is the best of 3 runs. Not a test: run it by hand; it prints a small table.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

from sqlmodel import Session

from meterbook.core.plans import Plan, Volume, VolumeTier
from meterbook.importers.pipeline import import_files
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.database import open_database
from meterbook.store.plan_ops import save_plan_set
from meterbook.store.plan_store import load_plans

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
GEN = HERE.parent.parent / "shared" / "bench" / "gen_usage.py"
START = datetime(2025, 12, 1, tzinfo=UTC)


def plans(scale: D = D(1)) -> list[Plan]:
    def p(x: str) -> D:
        return D(x) * scale

    return [
        Plan(name="gpt-4o", vendor="openai", model="gpt-4o", input=p("2.50"),
             cached_input=p("1.25"), output=p("10"), effective_from=START),
        Plan(name="gpt-4o-mini", vendor="openai", model="gpt-4o-mini", input=p("0.15"),
             cached_input=p("0.075"), output=p("0.60"), effective_from=START),
        Plan(name="sonnet", vendor="anthropic", model="claude-sonnet-4-5", input=p("3"),
             cached_input=p("0.30"), output=p("15"), effective_from=START),
        Plan(name="haiku", vendor="anthropic", model="claude-haiku-4-5", input=p("1"),
             cached_input=p("0.10"), output=p("5"), effective_from=START),
        Plan(name="flash", vendor="google", model="gemini-2.5-flash", input=p("0.30"),
             output=p("2.50"), effective_from=START, volume=Volume(
                 meter="requests", mode="graduated", tiers=(
                     VolumeTier(up_to=10_000, price=D("0")),
                     VolumeTier(up_to=50_000, price=p("0.001")),
                     VolumeTier(price=p("0.0005"))))),
    ]


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1_000_000
    OUT.mkdir(exist_ok=True)
    csv_path = OUT / f"usage-{rows}.csv"
    if not csv_path.exists():
        subprocess.run([sys.executable, str(GEN), str(csv_path), str(rows)], check=True)
    db_path = OUT / f"cost-{rows}.db"
    if not db_path.exists() or "--rebuild" in sys.argv:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        db = open_database(str(db_path))
        save_plan_set(db, plans())
        t = time.perf_counter()
        summary = import_files(db, [csv_path])
        print(f"setup: imported {summary.added:,} records in {time.perf_counter() - t:.1f} s")
        db.close()
    db = open_database(str(db_path))
    results = []

    def command(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "meterbook", "--db", str(db_path), "--tz", "UTC",
                        "cost", *args, "--format", "json"], check=True,
                       stdout=subprocess.DEVNULL)

    def query(by: str) -> None:
        with Session(db.engine) as session:
            run_cost_query(session.connection(), CostQuery(by=by), load_plans(session))

    results.append(("python -c pass (interpreter start)",
                    best_of(3, lambda: subprocess.run([sys.executable, "-c", "pass"]))))
    results.append(("cost --by month (command)", best_of(3, lambda: command("--by", "month"))))
    results.append(("cost --by month (query)", best_of(3, lambda: query("month"))))
    results.append(("cost --by conversation (command)",
                    best_of(3, lambda: command("--by", "conversation"))))
    results.append(("cost --by conversation (query)", best_of(3, lambda: query("conversation"))))
    scales = iter([D("1.1"), D("1.2"), D("1.3")])
    results.append(("full re-price (new prices for every plan)",
                    best_of(3, lambda: save_plan_set(db, plans(next(scales))))))
    save_plan_set(db, plans())
    print(f"{rows:,} records")
    for name, seconds in results:
        print(f"  {name:45} {seconds:7.3f} s")


if __name__ == "__main__":
    main()
