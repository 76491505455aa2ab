"""`meterbook import` of a big canonical CSV against the floor, with peak memory.

usage: python benchmarks/bench_import.py [ROWS=1000000] [ROUNDS=2] [--year YYYY] [--db URL]
Times ../shared/bench/import_floor.py and `meterbook import` on the same file, alternately, in
fresh databases (with --db, also `meterbook --db URL import` into that PostgreSQL database,
emptied of Meterbook's tables before each round, against the SQLite import) (the machine is
shared: only the ratio of times taken in the same run means anything), and reads each
process's peak memory (max RSS) from the kernel. Plans are saved first, so the import prices
every record as it would for a user. Not a test: run by hand.

The generated file spans 2026. Lines dated more than a day after the clock's now are imported
with a warning, found by reading the file's dates a second time: `--year 2025` moves every date
a year back first (outside the timing), to measure an import with nothing to warn of.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SHARED = HERE.parent.parent / "shared" / "bench"


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB of one child process (waited for alone)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"{cmd} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def moved_to(year: str, source: Path) -> Path:
    """A copy of the generated file with every 2026 date in `year` (the dates lead each line)."""
    target = source.with_name(f"{source.stem}-{year}.csv")
    if not target.exists():
        with source.open(encoding="utf-8") as lines, target.open("w", encoding="utf-8") as out:
            out.write(next(lines))
            for line in lines:
                out.write(year + line[4:] if line.startswith("2026") else line)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, nargs="?", default=1_000_000)
    parser.add_argument("rounds", type=int, nargs="?", default=2)
    parser.add_argument("--year", help="move the file's dates to this year first")
    parser.add_argument("--db", help="a PostgreSQL URL to time the import into as well "
                        "(its Meterbook tables are dropped before each round)")
    args = parser.parse_args()
    rows, rounds, year = args.rows, args.rounds, args.year
    OUT.mkdir(exist_ok=True)
    csv_path = OUT / f"usage-{rows}.csv"
    if not csv_path.exists():
        subprocess.run([sys.executable, str(SHARED / "gen_usage.py"), str(csv_path), str(rows)],
                       check=True)
    if year:
        csv_path = moved_to(year, csv_path)
    plans = OUT / "bench-plans.toml"
    sys.path.insert(0, str(HERE))
    from bench_cost import plans as bench_plans
    from meterbook.core.plan_files import write_plans

    plans.write_text(write_plans(bench_plans()), encoding="utf-8")
    floor, ours, server = [], [], []
    for _ in range(rounds):
        floor.append(run([sys.executable, str(SHARED / "import_floor.py"), str(csv_path),
                          str(fresh(OUT / "floor.db"))]))
        db = str(fresh(OUT / "import.db"))
        subprocess.run([sys.executable, "-m", "meterbook", "--db", db, "plans", "import",
                        str(plans)], check=True, stdout=subprocess.DEVNULL)
        ours.append(run([sys.executable, "-m", "meterbook", "--db", db, "import",
                         str(csv_path)]))
        if args.db:
            emptied(args.db)
            subprocess.run([sys.executable, "-m", "meterbook", "--db", args.db, "plans",
                            "import", str(plans)], check=True, stdout=subprocess.DEVNULL)
            server.append(run([sys.executable, "-m", "meterbook", "--db", args.db, "import",
                               str(csv_path)]))
    best_floor = min(t for t, _ in floor)
    best_ours = min(t for t, _ in ours)
    print(f"{rows:,} lines{f' dated in {year}' if year else ''}, best of {rounds}")
    peak_floor, peak_ours = max(m for _, m in floor), max(m for _, m in ours)
    print(f"  floor (import_floor.py)   {best_floor:7.2f} s   peak {peak_floor:6.0f} MB")
    print(f"  meterbook import          {best_ours:7.2f} s   peak {peak_ours:6.0f} MB")
    print(f"  ratio                     {best_ours / best_floor:7.2f}x")
    if server:
        best_server = min(t for t, _ in server)
        print(f"  meterbook import --db URL {best_server:7.2f} s   peak "
              f"{max(m for _, m in server):6.0f} MB")
        print(f"  ratio to the SQLite import {best_server / best_ours:6.2f}x")


def emptied(url: str) -> None:
    """Drop Meterbook's tables from the database at `url` (the next command makes them anew)."""
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    import meterbook.store.tables  # noqa: F401  (defines the tables)

    engine = create_engine(url)
    try:
        SQLModel.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
