"""The charts on a million records over three years (issue 8, item 8), offscreen.

usage: python benchmarks/bench_charts.py
Builds benchmarks/out/charts-1000000.db (once): a million requests from December 2023 to
November 2026, twenty models of five vendors, one plan per vendor. Then measures:
  - start: from the moment this script starts a fresh `meterbook --db DB gui` process (the
    path a person's start takes, through cli.main) until that window's Dashboard shows its
    figures and both charts (goal < 1.5 s), best of 3; the child says when (it polls the
    Dashboard from a timer), the parent's clock measures. Closing (the window, its threads,
    the process's exit) is timed apart: it is no part of the start;
  - regroup: the Trends page on the three years per day by model (twenty series: the top six
    and "other"), then per week, per month and per day again: from the change to the chart
    redrawn (goal < 200 ms each), and a change of series (by vendor), which reads again.
Not a test: run it by hand.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ROWS = 1_000_000
START = datetime(2023, 12, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
VENDORS = ("openai", "anthropic", "google", "mistral", "deepseek")
PLANS = "".join(f"""
[[plan]]
name = "{vendor}"
vendor = "{vendor}"
model = "*"
token_unit = 1000
input = "0.{n + 1}0"
output = "{n + 1}.00"
""" for n, vendor in enumerate(VENDORS))


def build(db_path: Path) -> None:
    from meterbook.core.plan_files import read_plans
    from meterbook.importers.pipeline import import_files
    from meterbook.store.database import open_database
    from meterbook.store.plan_ops import save_plan_set

    csv_path = OUT / "charts-usage.csv"
    rng = random.Random(8)
    step = (END - START).total_seconds() / ROWS
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "vendor", "model", "request_id", "conversation_id", "project",
                    "input_tokens", "output_tokens"])
        for i in range(ROWS):
            vendor = VENDORS[rng.randrange(5)]
            t = START + timedelta(seconds=int(i * step))
            w.writerow([t.strftime("%Y-%m-%dT%H:%M:%SZ"), vendor,
                        f"{vendor}-model-{rng.randrange(4)}", f"q{i}", f"c{i // 7}",
                        rng.choice(("support", "sales", "internal")), rng.randint(50, 20000),
                        rng.randint(10, 4000)])
    with open_database(str(db_path)) as db:
        save_plan_set(db, read_plans(PLANS, "bench.toml"))
        import_files(db, [csv_path])
    csv_path.unlink()


def wait(condition, timeout: float = 120.0) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise SystemExit("timed out")
        loop = QEventLoop()
        QTimer.singleShot(1, loop.quit)
        loop.exec()


def start_up(db_path: Path) -> tuple[float, float, str]:
    """Seconds from spawning a fresh `meterbook gui` process to its Dashboard's figures and
    charts on screen, seconds from then to the process's end (closing), and the child's
    phases. perf_counter is the system's monotonic clock, the same in both processes."""
    with tempfile.TemporaryDirectory(prefix="bench-charts-") as config:
        # A fresh start: no remembered page, geometry or recent files (nor any written to the
        # person's own settings); the first page is the Dashboard.
        env = dict(os.environ, XDG_CONFIG_HOME=config, QT_QPA_PLATFORM="offscreen")
        # Compiled modules cached as an installed app has them (pip compiles at install): the
        # first start writes them if this shell said not to.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        t0 = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, __file__, "--child-start", str(db_path), repr(t0)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        phases = child.stdout.readline().strip()
        shown = time.perf_counter() - t0
        child.stdout.read()
        if not phases:
            raise SystemExit(f"the child failed (exit status {child.wait(120)})")
        if child.wait(120) != 0:  # after the charts: said, not fatal to the start's figure
            phases += f"; then it ended with status {child.returncode}"
        return shown, time.perf_counter() - t0 - shown, phases


def _child_start(db_path: str, t0: float) -> None:
    """`meterbook --db DB gui`, as a person starts it, watched: once the Dashboard shows its
    figures and both charts, the phases go to stdout (the parent's clock stops at that line)
    and the app is quit as its Quit does."""
    t_python = time.perf_counter()
    from meterbook import cli
    from meterbook.app import launch

    marks: dict[str, float] = {}
    open_window = launch.open_window

    def watched(*args, **kwargs):
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        marks["imports"] = time.perf_counter()
        window = open_window(*args, **kwargs)
        marks["window"] = time.perf_counter()

        def charts_shown() -> bool:
            page = window.pages["dashboard"]
            if not page.is_loaded():
                return False
            marks.setdefault("figures", time.perf_counter())
            # Both charts drawn, of the month the figures are of (this month, or the latest
            # with usage when this one has none).
            return (page.series is not None and page.daily_chart.series is page.series
                    and f"{page.series.first:%Y-%m}" == page.figures.month
                    and page.cumulative_chart.isVisible() and page.daily_chart.isVisible())

        def poll() -> None:
            if not charts_shown():
                return
            timer.stop()
            window.repaint()  # on screen, not only handed over: the paint is part of it
            done = time.perf_counter()
            print(f"python started {t_python - t0:.2f} s, imports "
                  f"+{marks['imports'] - t_python:.2f} s, window built "
                  f"+{marks['window'] - marks['imports']:.2f} s, figures shown "
                  f"+{marks['figures'] - marks['window']:.2f} s, charts shown "
                  f"+{done - marks['window']:.2f} s (CPU {time.process_time():.2f} s)", flush=True)
            QApplication.quit()

        timer = QTimer(window)
        timer.timeout.connect(poll)
        timer.start(2)
        return window

    launch.open_window = watched
    raise SystemExit(cli.main(["--db", db_path, "gui"]))


def regroup(db_path: Path) -> dict[str, float]:
    from meterbook.app.launch import application, open_window

    application()
    window = open_window(str(db_path))
    window.show()
    window.show_page("trends")
    page = window.pages["trends"]
    wait(page.is_loaded)
    page.period.setCurrentIndex(page.period.findData(None))  # all usage: three years
    page._period_picked()
    page.set_grouping("day", "model")
    wait(lambda: page.series.by == "model" and len(page.series.starts) > 1000)
    times = {}
    for grouping, by in (("week", None), ("month", None), ("day", None), ("day", "vendor")):
        t0 = time.perf_counter()
        page.set_grouping(grouping, by)
        wait(lambda g=grouping, b=by: page.series.grouping == g
             and (b is None or page.series.by == b) and page.spend.series is page.series)
        times[f"{grouping}" + (f" by {by}" if by else "")] = time.perf_counter() - t0
    window.close()
    return times


def main() -> None:
    OUT.mkdir(exist_ok=True)
    db_path = OUT / f"charts-{ROWS}.db"
    if not db_path.exists():
        t0 = time.perf_counter()
        build(db_path)
        print(f"built {db_path.name} in {time.perf_counter() - t0:.0f} s")
    starts = [start_up(db_path) for _ in range(3)]
    best, closing, phases = min(starts)
    print(f"start to Dashboard with its charts (1M records), best of 3: {best:.2f} s"
          f"  (goal < 1.5 s; all: {', '.join(f'{s[0]:.2f}' for s in starts)}): {phases}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"then closing (window, threads, process exit): {closing:.2f} s")
    for what, seconds in regroup(db_path).items():
        print(f"Trends, 3 years by model, regrouped to {what}: {seconds * 1000:.0f} ms"
              + ("  (a new read: series changed)" if "by" in what else "  (goal < 200 ms)"))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child-start":
        _child_start(sys.argv[2], float(sys.argv[3]))
    else:
        main()
