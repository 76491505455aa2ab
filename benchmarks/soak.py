"""Soak: ten million lines imported month by month into one database while the app's queries run.

usage: python benchmarks/soak.py [--lines 10000000] [--months 12] [--db URL_OR_PATH]
Without --db a fresh SQLite file benchmarks/out/soak.db is used (removed first). With a
PostgreSQL URL (`postgresql+psycopg://...`) the database given is used as it is: give it an
empty one. Each month's canonical CSV (like ../shared/bench/gen_usage.py's, from December 2025,
when the benchmark plans of bench_cost.py start, so every record is priced; nothing is dated
after the day of the run) is written, imported by `meterbook import` in a process of its own
(as a person's monthly import would run), and deleted. Meanwhile another process asks, over and
over, what the app's pages ask: the Dashboard overview, the Usage page's first page (ids, rows,
count and totals), the Conversations page for the newest month, and `cost --by month`.

Reported: each month's import time and lines per second, the importing process's peak memory
(max RSS of its largest process, from the kernel: a big file's forked reader included),
the database size per million records, and the slowest time of each query. Not a test: run by
hand (a full run takes about half an hour on the 2-core development machine).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
FIRST_MONTH = (2025, 12)  # bench_cost.START: the plans price every month from this one on
MODELS = [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5"),
          ("anthropic", "claude-haiku-4-5"), ("google", "gemini-2.5-flash")]
HEADER = ("timestamp,vendor,model,request_id,conversation_id,project,input_tokens,"
          "cached_input_tokens,output_tokens\n")


def months(count: int) -> list[tuple[int, int]]:
    """`count` months (year, month) from FIRST_MONTH on."""
    year, month = FIRST_MONTH
    found = []
    for _ in range(count):
        found.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def write_month(path: Path, year: int, month: int, lines: int, first: int) -> None:
    """A canonical CSV of `lines` requests spread over one month; request ids follow on from
    `first`, so no line of one month repeats another's."""
    rng = random.Random(year * 12 + month)
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    step = (end - start).total_seconds() / lines
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(lines):
            i = first + n
            vendor, model = rng.choice(MODELS)
            when = start + timedelta(seconds=int(n * step))
            out.write(f"{when:%Y-%m-%dT%H:%M:%SZ},{vendor},{model},req_{i:09d},"
                      f"conv_{i // 7:08d},{rng.choice(('support', 'sales', 'internal'))},"
                      f"{rng.randint(50, 20000)},{rng.choice((0, 0, 1024, 4096))},"
                      f"{rng.randint(10, 4000)}\n")


def database_size(url: str, checkpoint: bool = False) -> int:
    """Bytes the database takes: the SQLite file and its journal (after moving the journal
    into the file, when `checkpoint`), or PostgreSQL's own count."""
    from meterbook.store.database import open_database

    db = open_database(url)
    try:
        if db.path is not None:
            if checkpoint:
                with db.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return sum(Path(f"{db.path}{s}").stat().st_size for s in ("", "-wal")
                       if Path(f"{db.path}{s}").exists())
        with db.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
    finally:
        db.close()


def queries(url: str, stop: Path, result: Path) -> None:
    """The app's reads, in a loop until `stop` exists; the slowest of each goes to `result`."""
    sys.path.insert(0, str(HERE))
    from app_queries import ASKS, newest_month
    from meterbook.store.database import open_database

    db = open_database(url)
    times: dict[str, list[float]] = {}
    while not stop.exists():
        month = newest_month(db)
        if month is None:
            time.sleep(0.2)
            continue
        for name, ask in ASKS.items():
            t = time.perf_counter()
            ask(db, month)
            times.setdefault(name, []).append(time.perf_counter() - t)
    db.close()
    result.write_text(json.dumps(times), encoding="utf-8")


def meterbook(*args: str) -> tuple[float, float]:
    """Run `meterbook ARGS`: wall seconds and the peak RSS (MB) of its largest process (the
    kernel's figure for a waited-for process covers the children it waited for)."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "meterbook", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    error = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if status != 0:
        raise SystemExit(f"meterbook {' '.join(args)} failed: {error}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=12, choices=range(1, 13),
                        metavar="1..12")
    parser.add_argument("--db", help="database URL or SQLite path (default: a fresh "
                                     "benchmarks/out/soak.db)")
    parser.add_argument("--queries", nargs=3, metavar=("URL", "STOP", "RESULT"),
                        help=argparse.SUPPRESS)  # the query process
    args = parser.parse_args()
    if args.queries:
        queries(args.queries[0], Path(args.queries[1]), Path(args.queries[2]))
        return
    OUT.mkdir(exist_ok=True)
    url = args.db
    if url is None:
        path = OUT / "soak.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = str(path)
    sys.path.insert(0, str(HERE))
    from bench_cost import plans as bench_plans
    from meterbook.core.plan_files import write_plans

    plan_file = OUT / "soak-plans.toml"
    plan_file.write_text(write_plans(bench_plans()), encoding="utf-8")
    meterbook("--db", url, "plans", "import", str(plan_file))
    stop, result = OUT / "soak-stop", OUT / "soak-queries.json"
    stop.unlink(missing_ok=True)
    result.unlink(missing_ok=True)
    reader = subprocess.Popen([sys.executable, __file__, "--queries", url, str(stop),
                               str(result)])
    per_month = args.lines // args.months
    from meterbook.store.database import masked

    print(f"soak: {per_month * args.months:,} lines in {args.months} monthly imports into "
          f"{masked(url)}", flush=True)
    print(f"{'month':>7} {'lines':>10} {'seconds':>8} {'lines/s':>9} {'peak MB':>8} "
          f"{'on disk MB':>11} (file and WAL)", flush=True)
    total_time, peak, imported = 0.0, 0.0, 0
    try:
        for year, month in months(args.months):
            csv_path = OUT / f"soak-{year}-{month:02d}.csv"
            write_month(csv_path, year, month, per_month, imported)
            seconds, rss = meterbook("--db", url, "import", str(csv_path))
            csv_path.unlink()
            imported += per_month
            total_time += seconds
            peak = max(peak, rss)
            size = database_size(url) / 1e6
            print(f"{year}-{month:02d} {per_month:>10,} {seconds:>8.1f} "
                  f"{per_month / seconds:>9,.0f} {rss:>8.0f} {size:>11,.0f}", flush=True)
    finally:
        stop.touch()
        reader.wait()
        stop.unlink(missing_ok=True)
    times = json.loads(result.read_text(encoding="utf-8"))
    size = database_size(url, checkpoint=True) / 1e6
    print(f"total: {imported:,} lines in {total_time:.0f} s of imports, "
          f"{imported / total_time:,.0f} lines/s; peak memory of an import {peak:.0f} MB; "
          f"database {size:,.0f} MB ({size / (imported / 1e6):.0f} MB per million records)")
    print("queries while importing:            runs   median  slowest")
    for name, seconds in times.items():
        print(f"  {name:32} {len(seconds):5} {statistics.median(seconds):7.2f} s "
              f"{max(seconds):7.2f} s")


if __name__ == "__main__":
    main()
