"""Two writers on one SQLite file, the second an app window (tests/test_faults.py has the
command line second): the window's import waits its turn while another app window or a
command-line import writes, then goes through; told to wait no longer, it says why, plainly,
and nothing is changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.test_faults import (
    APP_IMPORT,
    LATER,
    LINES,
    RUN,
    SOURCES,
    WAIT,
    prepared,  # noqa: F401 (a fixture: the database the jobs start from)
    pytestmark,  # noqa: F401 (Linux only, as there)
    snapshot,
    start_paused,
    usage_file,
)  # fmt: skip

# An app window that imports a file, then prints the Imports page's headline once the import
# has ended (the page is no longer busy) and quits. argv: database, file, busy timeout (ms).
APP_IMPORT_AND_SAY = """\
import sys
from PySide6.QtCore import QTimer
from meterbook.store import database
pragmas = tuple(p.replace("busy_timeout=60000", f"busy_timeout={sys.argv[3]}")
                for p in database._set_sqlite_pragmas.__defaults__[0])
database._set_sqlite_pragmas.__defaults__ = (pragmas,)
from meterbook.app.launch import application, open_window
app = application(headless=True)
window = open_window(sys.argv[1], headless=True)
window.show()
page = window.pages["imports"]
window.import_files([sys.argv[2]])
def ended():
    if not page._busy and page.task is None:
        print(page.headline.text(), flush=True)
        app.quit()
timer = QTimer()
timer.timeout.connect(ended)
timer.start(50)
app.exec()
"""


def first_writer(kind: str, database, april) -> list[str]:
    return ([sys.executable, "-c", RUN, "--db", str(database), "import", str(april)]
            if kind == "command line" else
            [sys.executable, "-c", APP_IMPORT, str(database), str(april)])


def window(database, path, busy_ms: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", APP_IMPORT_AND_SAY, str(database), str(path), str(busy_ms)],
        env={**os.environ, "PYTHONPATH": str(SOURCES), "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("first", ["command line", "app"])
def test_an_app_window_waits_for_another_writer_then_imports(prepared, tmp_path, first):  # noqa: F811
    shutil.copy(prepared / "books.db", tmp_path / "books.db")
    database = tmp_path / "books.db"
    june = usage_file(tmp_path / "june.csv", 6, 1_000)
    writer, _paused = start_paused(first_writer(first, database, prepared / "april.csv"),
                                   "import:before-commit", tmp_path)
    second = window(database, june, 60_000)
    time.sleep(3)
    assert second.poll() is None  # waiting for its turn (the window's import is not over)
    writer.kill()  # the first writer ends (here, killed): its batch is rolled back
    writer.wait()
    out, err = second.communicate(timeout=WAIT)
    assert second.returncode == 0, err
    # "Imported 1,000 records as import #3", then as the page reads the batch back
    # "Imported 1,000 records, June 2026, $... as import #3": whichever came first.
    assert "<b>Imported 1,000 records" in out and "</b> as import #3 (canonical)" in out
    # March (25,000) and May (2,000) were there; June's 1,000 are added, April's never were.
    assert snapshot(database)[0]["usage_record"] == LINES + LATER + 1_000


def test_an_app_window_refused_after_waiting_too_long_says_why(prepared, tmp_path):  # noqa: F811
    shutil.copy(prepared / "books.db", tmp_path / "books.db")
    database = tmp_path / "books.db"
    june = usage_file(tmp_path / "june.csv", 6, 1_000)
    before = snapshot(database)
    writer, _paused = start_paused(first_writer("app", database, prepared / "april.csv"),
                                   "import:before-commit", tmp_path)
    try:
        # A minute's wait shortened to a fifth of a second.
        out, err = window(database, june, 200).communicate(timeout=WAIT)
    finally:
        writer.kill()
        writer.wait()
    assert out == ("<p style='font-size:11pt'><b>The import failed:</b> "
                   f"{database} is busy: another Meterbook (the app, or an import) has been "
                   "writing to it for over a minute. Nothing was changed; try again once it "
                   "has finished. Nothing was changed.</p>\n"), err
    assert snapshot(database) == before
