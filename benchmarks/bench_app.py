"""The desktop app on a million records (offscreen): start-up and the UI thread during an import.

usage: python benchmarks/bench_app.py
Needs benchmarks/out/cost-1000000.db (python benchmarks/bench_cost.py builds it) and
benchmarks/out/usage-1000000.csv. Measures, in one run:
  - start: a fresh process, from its start to the dashboard showing its figures (goal < 1.5 s);
  - stall: the longest gap between ticks of a 10 ms heartbeat timer on the UI thread while a
    million-line import runs on the writer thread, as the Imports page runs it (goal < 100 ms).
Not a test: run by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def wait(app, condition, timeout: float = 60.0) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise SystemExit("timed out")
        loop = QEventLoop()
        QTimer.singleShot(5, loop.quit)
        loop.exec()


def start_up(db_path: Path) -> float:
    """Wall time of a fresh process from its start to the dashboard showing its figures."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child-start", str(db_path)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _child_start(db_path: str) -> None:
    from meterbook.app.launch import application, open_window

    app = application()
    window = open_window(db_path)
    window.show_page("dashboard")  # the app opens on the last page used: measure the dashboard
    window.show()
    dashboard = window.pages["dashboard"]
    wait(app, lambda: dashboard.is_loaded() and window.spend_label.text() != "")
    window.close()


def stall(csv_path: Path, db_path: Path) -> tuple[float, float]:
    from PySide6.QtCore import QTimer

    from meterbook.app.launch import application, open_window
    from meterbook.importers.pipeline import import_files

    app = application()
    window = open_window(str(db_path))
    window.show()
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    done = []
    db = window.ctx.db
    t0 = time.perf_counter()
    heartbeat.start()
    window.ctx.tasks.write(
        "import", lambda progress, cancelled: import_files(
            db, [csv_path], progress=progress, cancelled=cancelled),
        on_done=done.append, on_error=done.append)
    wait(app, lambda: bool(done), timeout=600)
    elapsed = time.perf_counter() - t0
    heartbeat.stop()
    window.close()
    gaps = [b - a for a, b in pairwise(ticks)]
    return max(gaps), elapsed


def main() -> None:
    source = OUT / "cost-1000000.db"
    csv_path = OUT / "usage-1000000.csv"
    if not source.exists() or not csv_path.exists():
        raise SystemExit("build benchmarks/out first: python benchmarks/bench_cost.py")
    starts = [start_up(source) for _ in range(3)]
    target = OUT / "app-import.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    from meterbook.store.database import open_database
    from meterbook.store.plan_ops import save_plan_set

    sys.path.insert(0, str(HERE))
    from bench_cost import plans

    save_plan_set(open_database(str(target)), plans())
    longest, seconds = stall(csv_path, target)
    print(f"start to dashboard (1M records), best of 3: {min(starts):.2f} s  (goal < 1.5 s)")
    print(f"longest UI stall during a 1M-line import: {longest * 1000:.0f} ms  (goal < 100 ms;"
          f" import took {seconds:.1f} s)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child-start":
        _child_start(sys.argv[2])
    else:
        main()
