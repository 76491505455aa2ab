"""Time to show the first page of the Usage table on a million records (goal: under 200 ms).

usage: python benchmarks/bench_app_usage.py [DATABASE]
DATABASE defaults to benchmarks/out/cost-1000000.db, which `python benchmarks/bench_cost.py`
builds (a million generated records priced by five plans; a few minutes, once).

Runs offscreen. "First page" means: from creating the Usage page to its model knowing the row
count and the first 50 rows' data read (what the view paints first). Also timed, from the
same start: every id listed (the whole scroll range usable), and from a click: re-sorting by
cost, a vendor filter and a text search. Each figure is the best of 3 runs.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from meterbook.app.context import AppContext
from meterbook.app.models.usage_model import COLUMNS, COST
from meterbook.app.pages.usage import UsagePage
from meterbook.store.database import open_database

DEFAULT = Path(__file__).resolve().parent / "out" / "cost-1000000.db"
FIRST_ROWS = 50
RUNS = 3


def wait_until(done, timeout_s: float = 60.0) -> None:
    """Run the event loop until done() (checked every millisecond); a nested loop rather than
    processEvents() in a loop, which leaks in PySide6."""
    loop = QEventLoop()
    timer = QTimer(interval=1)
    deadline = time.perf_counter() + timeout_s

    def check() -> None:
        if done() or time.perf_counter() > deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    if not done():
        raise TimeoutError("the page did not load in time")


def read_first_rows(model) -> None:
    for row in range(min(FIRST_ROWS, model.rowCount())):
        for column in range(len(COLUMNS)):
            model.index(row, column).data()


def one_run(ctx: AppContext) -> dict[str, float]:
    figures = {}
    start = time.perf_counter()
    page = UsagePage(ctx)
    page.resize(1100, 700)
    page.show()
    model = page.model
    wait_until(lambda: model.rowCount() > 0)
    read_first_rows(model)
    figures["first page (rows known + 50 rows read)"] = time.perf_counter() - start
    wait_until(lambda: model.complete)
    figures["every id listed (the whole scroll range)"] = time.perf_counter() - start
    rows = model.rowCount()

    loads = [0]
    model.loaded.connect(lambda: loads.__setitem__(0, loads[0] + 1))

    def timed(name: str, action) -> None:
        """From the user's action to the first page of its answer, and to every id of it."""
        before = loads[0]
        t = time.perf_counter()
        action()
        wait_until(lambda: loads[0] > before)
        read_first_rows(model)
        figures[f"{name}: first page"] = time.perf_counter() - t
        wait_until(lambda: not model.busy)
        figures[f"{name}: every id"] = time.perf_counter() - t

    timed("sort by cost", lambda: page.table.sortByColumn(COST, Qt.SortOrder.DescendingOrder))
    timed("back to time order",
          lambda: page.table.sortByColumn(0, Qt.SortOrder.DescendingOrder))
    vendor = page.vendor.itemText(1)
    timed(f"vendor filter ({vendor})",
          lambda: (page.vendor.setCurrentIndex(1), page.apply_filter()))
    timed("text search (conv_0001)",
          lambda: (page.search.setText("conv_0001"), page.apply_filter()))
    figures["_rows"] = rows
    page.close()
    page.deleteLater()
    return figures


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.exists():
        print(f"{path} is missing: build it with `python benchmarks/bench_cost.py` "
              "(a million records; it keeps the database in benchmarks/out/)")
        return 1
    app = QApplication.instance() or QApplication(sys.argv[:1])
    t = time.perf_counter()
    db = open_database(str(path))
    ctx = AppContext(db)
    opened = time.perf_counter() - t
    runs = [one_run(ctx) for _ in range(RUNS)]
    ctx.tasks.shutdown()
    db.close()
    print(f"{runs[0]['_rows']:,} records in {path.name} (opening the database: "
          f"{opened * 1000:.0f} ms, not counted)")
    for name in runs[0]:
        if not name.startswith("_"):
            best = min(run[name] for run in runs)
            goal = "   goal < 200 ms" if name.startswith("first page") else ""
            print(f"  {name:42} {best * 1000:8.1f} ms{goal}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
