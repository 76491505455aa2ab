"""`budget status` on a million records (issue 8: under 0.5 s).

usage: python benchmarks/bench_budget_status.py [ROWS=1000000]
Uses benchmarks/out/cost-ROWS.db (bench_cost.py builds it), adds four budgets to a copy (over
everything and per vendor for the month, a project's quarter, everything for the year) with
thresholds every other percent, so that each threshold's crossing record is searched for; then
times the status of the latest month with usage, in-process and as the whole command. Each
figure is the best of 3 runs. Not a test: run it by hand; it prints a small table.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

from bench_cost import OUT, best_of
from meterbook.core.budgets import Budget
from meterbook.store.budget_status import budget_status
from meterbook.store.budgets import save_budget
from meterbook.store.database import open_database


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1_000_000
    source = OUT / f"cost-{rows}.db"
    if not source.exists():
        sys.exit(f"{source} is missing: run benchmarks/bench_cost.py {rows} first")
    copy = OUT / f"budgets-{rows}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, copy)
    db = open_database(str(copy))
    with db.engine.connect() as conn:
        last = conn.exec_driver_sql("SELECT max(timestamp_us) FROM usage_record").scalar_one()
    month = datetime.fromtimestamp(last // 1_000_000, UTC)  # the latest month with usage
    every_other = tuple(range(2, 101, 2))
    for budget in (Budget(name="All", amount=D("1000"), thresholds=every_other),
                   Budget(name="OpenAI", amount=D("500"), vendor="openai",
                          thresholds=every_other),
                   Budget(name="Quarter", amount=D("2000"), period="quarter",
                          project="sales"),
                   Budget(name="Year", amount=D("20000"), period="year")):
        save_budget(db, budget, replace=True)
    today = month.date()

    def status() -> None:
        budget_status(db, month.year, month.month, today, "UTC")

    def command() -> None:
        subprocess.run([sys.executable, "-m", "meterbook", "--db", str(copy), "--tz", "UTC",
                        "budget", "status", "--month", f"{month:%Y-%m}", "--format", "json"],
                       check=True, stdout=subprocess.DEVNULL)

    found = budget_status(db, month.year, month.month, today, "UTC")
    print(f"{rows:,} records; {month:%Y-%m}; "
          + ", ".join(f"{f.budget.name} {f.spent:.2f} ({len(f.crossings)} crossings)"
                      for f in found.budgets))
    for name, seconds in (("budget status (query, 4 budgets)", best_of(3, status)),
                          ("budget status (command)", best_of(3, command))):
        print(f"  {name:45} {seconds:7.3f} s")
    db.close()


if __name__ == "__main__":
    main()
