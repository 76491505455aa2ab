"""Faults, continued (tests/test_faults.py has the import, the undo and the re-price): a budget
check, an acknowledgement and a report killed outright (SIGKILL) at their pause points leave
the database exactly as it was before them, leave no process behind, and a killed report
leaves no file, or half a file, at its destination.

A budget check writes alerts (store/alerts.py: raised, withdrawn, acknowledged); a report
writes only its file (reports/file_output.write_atomic: a temporary file beside it, renamed).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest

from meterbook.core.budgets import Budget
from meterbook.store.alerts import check_alerts, standing_alerts
from meterbook.store.budgets import save_budget
from meterbook.store.database import open_database
from tests.test_faults import (
    LINES,
    SOURCES,
    WAIT,
    kill_and_check,
    kill_job,
    prepared,  # noqa: F401 (a fixture: the database the jobs start from)
    pytestmark,  # noqa: F401 (Linux only, as there)
    snapshot,
    start_paused,
)  # fmt: skip

# The moment every check in these tests takes as "now": May 20th, 2026, noon UTC. The child
# processes are given it too: the clocks of the budget command, the import and the alert
# check are replaced.
NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)
AT_NOON = ("import sys; from datetime import datetime, UTC; "
           "from meterbook import commands_budget; from meterbook.store import alerts; "
           "from meterbook.importers import pipeline; "
           "commands_budget.clock = alerts.clock = pipeline.clock = "
           "lambda: datetime(2026, 5, 20, 12, tzinfo=UTC); "
           "from meterbook.cli import main; sys.exit(main(sys.argv[1:]))")
RUN = "import sys; from meterbook.cli import main; sys.exit(main(sys.argv[1:]))"


def alert_rows(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT b.name, a.kind, a.threshold, a.acknowledged_at_us, "
                            "a.withdrawn_at_us FROM budget_alert a JOIN budget b "
                            "ON b.id = a.budget_id ORDER BY a.id").fetchall()


@pytest.fixture(scope="module")
def budgeted(prepared, tmp_path_factory) -> Path:  # noqa: F811
    """The prepared database (May: 2,000 records, $1,165.13) with two monthly budgets whose
    next check has work to do both ways:
    - "team", $1.00 when last checked (its 50%, 80%, 100% and forecast alerts stand, not
      acknowledged), now $100,000: the next check withdraws those four;
    - "tight", $1.00, saved after that check: the next check raises its four."""
    folder = tmp_path_factory.mktemp("budgeted")
    for name in ("books.db", "april.csv"):
        shutil.copy(prepared / name, folder / name)
    with open_database(str(folder / "books.db")) as db:
        save_budget(db, Budget("team", Decimal("1.00")), now=NOW)
        assert len(check_alerts(db, NOW)) == 4
        save_budget(db, Budget("team", Decimal("100000")), replace=True, now=NOW)
        save_budget(db, Budget("tight", Decimal("1.00")), now=NOW)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert alert_rows(folder / "books.db") == [("team", "threshold", 50, None, None),
                                               ("team", "threshold", 80, None, None),
                                               ("team", "threshold", 100, None, None),
                                               ("team", "forecast", None, None, None)]
    return folder


class Kill(NamedTuple):
    job: str
    point: str
    args: tuple[str, ...]


BUDGET_KILLS = [
    # The nightly check: team's alerts withdrawn first (budgets in name order), then tight's
    # raised, then the commit.
    Kill("budget check", "alerts:withdrawn", ("budget", "status", "--fail-on-alert")),
    Kill("budget check", "alerts:raised", ("budget", "status", "--fail-on-alert")),
    Kill("budget check", "alerts:before-commit", ("budget", "status", "--fail-on-alert")),
    Kill("acknowledge", "alerts:acknowledged", ("budget", "acknowledge", "--all")),
]


@pytest.mark.parametrize("kill", BUDGET_KILLS,
                         ids=[f"{k.job} at {k.point}" for k in BUDGET_KILLS])
def test_a_budget_check_killed_at_any_moment_leaves_the_alerts_as_they_were(
        budgeted, tmp_path, kill):
    shutil.copy(budgeted / "books.db", tmp_path / "books.db")
    database = tmp_path / "books.db"
    before, alerts_before = snapshot(database), alert_rows(database)
    proc, paused = start_paused([sys.executable, "-c", AT_NOON, "--db", str(database),
                                 *kill.args], kill.point, tmp_path)
    kill_and_check(proc, paused, database, before)
    assert alert_rows(database) == alerts_before  # the four of team, standing, unacknowledged


def test_the_check_after_an_import_killed_keeps_the_import_and_the_next_check_catches_up(
        budgeted, tmp_path):
    # The import commits first and its check runs after it (pipeline.import_files): killed in
    # the check, the import stays whole and the alerts are as before it; the next check (the
    # next import, undo, plan change or `budget status --fail-on-alert`) settles them.
    shutil.copy(budgeted / "books.db", tmp_path / "books.db")
    database = tmp_path / "books.db"
    counts_before, _ = snapshot(database)
    alerts_before = alert_rows(database)
    proc, paused = start_paused([sys.executable, "-c", AT_NOON, "--db", str(database),
                                 "import", str(budgeted / "april.csv")], "alerts:raised",
                                tmp_path)
    kill_job(proc, paused)
    counts, _ = snapshot(database)
    # The import went in whole: 25,000 + 2,000 records were there, April's 25,000 are added,
    # as one more batch.
    assert counts["usage_record"] == 25_000 + 2_000 + LINES == 52_000
    assert counts["import_batch"] == counts_before["import_batch"] + 1
    assert alert_rows(database) == alerts_before  # the check left nothing
    with open_database(str(database)) as db:
        raised = check_alerts(db, NOW)
        assert [a.message.split(":")[0] for a in raised] == ["tight"] * 4
        assert {a.budget for a in standing_alerts(db)} == {"tight"}  # team's withdrawn


# --- reports ----------------------------------------------------------------------------------

REPORT = ("report", "--month", "2026-05", "--generated-at", "2026-06-01T09:00:00Z", "--tz",
          "UTC")
PREVIOUS = b"%PDF-1.4 last month's report, which a failed new one must not spoil\n"


def parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


@pytest.mark.parametrize("fmt, point", [("csv", "report:gathered"), ("pdf", "report:rendered"),
                                        ("pdf", "report:file-written")])
@pytest.mark.parametrize("previous", [False, True], ids=["new file", "file replaced"])
def test_a_report_killed_at_any_moment_leaves_no_file_and_the_database_as_it_was(
        prepared, tmp_path, fmt, point, previous):  # noqa: F811
    shutil.copy(prepared / "books.db", tmp_path / "books.db")
    database, target = tmp_path / "books.db", tmp_path / "out" / f"may.{fmt}"
    target.parent.mkdir()
    if previous:
        target.write_bytes(PREVIOUS)
    before = snapshot(database)
    argv = [sys.executable, "-c", RUN, "--db", str(database), *REPORT, "--format", fmt,
            "-o", str(target)]
    proc, paused = start_paused(argv, point, tmp_path)
    kill_and_check(proc, paused, database, before)
    if previous:
        assert target.read_bytes() == PREVIOUS
    else:
        assert not target.exists()
    if point != "report:file-written":
        assert parts(target.parent) == []  # killed before any file was begun
        return
    # Killed between writing the whole temporary file and renaming it: the file stays (a
    # SIGKILL runs no clean-up), named after the killed process; the next report removes it.
    assert parts(target.parent) == [p for p in parts(target.parent)
                                    if p.startswith(f".may.{fmt}.{paused}.")] != []
    again = subprocess.run(argv, env={**os.environ, "PYTHONPATH": str(SOURCES),
                                      "QT_QPA_PLATFORM": "offscreen"},
                           capture_output=True, text=True, timeout=WAIT)
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"Report for 2026-05 written to {target}\n"
    assert target.read_bytes().startswith(b"%PDF-") and target.read_bytes() != PREVIOUS
    assert parts(target.parent) == []
    assert snapshot(database) == before


# The Reports page exporting the month, in an app of its own: argv database, file, format.
APP_EXPORT = """\
import sys
from PySide6.QtCore import QTimer
from meterbook.app.launch import application, open_window
from meterbook.app.pages import reports
reports.QFileDialog.getSaveFileName = staticmethod(lambda *a: (sys.argv[2], ""))
app = application(headless=True)
window = open_window(sys.argv[1], headless=True)
window.show()
window.show_page("reports")
page = window.pages["reports"]
def export_once_ready():
    if page.current_choice() is not None:
        timer.stop()
        page.export(sys.argv[3])
timer = QTimer()
timer.timeout.connect(export_once_ready)
timer.start(100)
app.exec()
"""


@pytest.mark.parametrize("fmt, point", [("csv", "report:gathered"), ("pdf", "report:rendered"),
                                        ("pdf", "report:file-written")])
def test_the_app_killed_while_it_exports_a_report_leaves_no_file(prepared, tmp_path, fmt,  # noqa: F811
                                                                 point):
    from meterbook.store.spend_series import save_series_colours

    shutil.copy(prepared / "books.db", tmp_path / "books.db")
    database, target = tmp_path / "books.db", tmp_path / "out" / f"report.{fmt}"
    target.parent.mkdir()
    # The app saves the colour it gives each vendor when it first draws them (so that a
    # vendor keeps its colour): saved here beforehand, the export is the only job.
    with open_database(str(database)) as db, db.engine.begin() as conn:
        save_series_colours(conn, {"vendor": {"anthropic": "#0072B2", "openai": "#E69F00"}})
    before = snapshot(database)
    proc, paused = start_paused([sys.executable, "-c", APP_EXPORT, str(database), str(target),
                                 fmt], point, tmp_path)
    assert paused == proc.pid  # the app gathers on a thread of its own
    kill_and_check(proc, paused, database, before)
    assert not target.exists()
    # Killed after its temporary file was written whole, the app leaves it for the next
    # write to remove (as the command line's, above); before that, there is none.
    assert parts(target.parent) == ([f for f in parts(target.parent)
                                     if f.startswith(f".report.{fmt}.{paused}.")]
                                    if point == "report:file-written" else [])
