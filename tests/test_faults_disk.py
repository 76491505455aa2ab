"""Faults of the disk for the budget commands and the report (tests/test_faults.py has the
import, the undo and the re-price): a full disk and a read-only database give a clear message
and leave nothing half-written, neither in the database nor at the report's destination."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_faults import (
    FULL_DISK,
    RUN,
    SOURCES,
    WAIT,
    fill,
    prepared,  # noqa: F401 (a fixture: the database the jobs start from)
    small_disk,  # noqa: F401 (a fixture: a 12 MB tmpfs, root only)
    snapshot,
)  # fmt: skip
from tests.test_faults_budget_report import alert_rows, budgeted  # noqa: F401

REPORT = ("report", "--month", "2026-05", "--generated-at", "2026-06-01T09:00:00Z", "--tz",
          "UTC")
PREVIOUS = b"last month's report, which a failed new one must not spoil\n"


def meterbook(database: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUN, "--db", str(database), *args],
                          env={**os.environ, "PYTHONPATH": str(SOURCES),
                               "QT_QPA_PLATFORM": "offscreen"},
                          capture_output=True, text=True, timeout=WAIT)


@pytest.mark.parametrize("fmt", ["csv", "pdf"])
@pytest.mark.parametrize("previous", [False, True], ids=["new file", "file replaced"])
def test_a_report_to_a_full_disk_says_so_and_leaves_no_file_behind(
        prepared, small_disk, tmp_path, fmt, previous):  # noqa: F811
    shutil.copy(prepared / "books.db", tmp_path / "books.db")
    target = small_disk / f"may.{fmt}"
    if previous:
        target.write_bytes(PREVIOUS)
    before = snapshot(tmp_path / "books.db")
    fill(small_disk, leave=0)
    done = meterbook(tmp_path / "books.db", *REPORT, "--format", fmt, "-o", str(target))
    assert done.returncode == 1
    assert done.stderr == (f"meterbook: {target}: cannot write the report (No space left on "
                           "device); nothing was written\n")
    names = sorted(p.name for p in small_disk.iterdir())
    assert names == (["filler", f"may.{fmt}"] if previous else ["filler"])  # no .part
    if previous:
        assert target.read_bytes() == PREVIOUS
    assert snapshot(tmp_path / "books.db") == before


@pytest.fixture(params=["opened before", "never opened"])
def full(request, budgeted, small_disk, tmp_path):  # noqa: F811
    """The budgeted database on a disk then filled to the last byte; an empty folder
    elsewhere. Seen on tmpfs: when SQLite had the file open on that disk before it filled,
    Meterbook can still open it and read; when not, SQLite cannot make its -shm file and
    says only "disk I/O error" on opening (store/database._disk_is_full)."""
    database = small_disk / "books.db"
    shutil.copy(budgeted / "books.db", database)
    before = snapshot(budgeted / "books.db")  # the same bytes
    if request.param == "opened before":
        assert snapshot(database) == before
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    fill(small_disk, leave=0)
    yield database, elsewhere, request.param == "opened before"
    (small_disk / "filler").unlink()
    assert snapshot(database) == before


def said_full(database: Path) -> str:
    return f"meterbook: {database}: {FULL_DISK}. Free some space on that disk, then try again\n"


@pytest.mark.parametrize("args", [("budget", "acknowledge", "--all"),
                                  ("budget", "set", "ops", "--amount", "5")],
                         ids=["acknowledge", "set"])
def test_a_budget_change_on_a_full_disk_says_so_and_changes_nothing(full, args):
    database, _elsewhere, _opened = full
    done = meterbook(database, *args)
    assert (done.returncode, done.stderr) == (1, said_full(database))


def test_the_nightly_check_on_a_full_disk_warns_and_shows_the_alerts_as_last_checked(full):
    database, _elsewhere, opened = full
    done = meterbook(database, "--tz", "UTC", "budget", "status", "--month", "2026-05",
                     "--fail-on-alert")
    if not opened:
        assert (done.returncode, done.stderr) == (1, said_full(database))
        return
    assert done.returncode == 3  # team's four alerts stand, unacknowledged
    assert done.stderr == ("meterbook: warning: the alerts are as last checked, not checked "
                           f"now: {said_full(database)[len('meterbook: '):]}")
    assert done.stdout.count(" team: ") == 4


def test_a_report_of_a_database_on_a_full_disk_is_written_elsewhere_or_refused_plainly(full):
    database, elsewhere, opened = full
    done = meterbook(database, *REPORT, "--format", "csv", "-o", str(elsewhere / "may.csv"))
    if not opened:
        assert (done.returncode, done.stderr) == (1, said_full(database))
        assert list(elsewhere.iterdir()) == []
        return
    assert done.returncode == 0, done.stderr
    # May: 2,000 records, $1,165.13 (test_faults_budget_report's budgeted database).
    assert "TOTAL,,,2000," in (elsewhere / "may.csv").read_text(encoding="utf-8")


def test_on_a_read_only_database_budget_changes_are_refused_and_status_and_report_work(
        budgeted, tmp_path, monkeypatch, capsys):  # noqa: F811
    import meterbook.store.database as store_database
    from meterbook.cli import main

    database = tmp_path / "books.db"
    shutil.copy(budgeted / "books.db", database)
    before, alerts_before = snapshot(database), alert_rows(database)
    # As if the file could not be written (tests run as root, whom permissions do not stop).
    monkeypatch.setattr(store_database, "_writable", lambda p: p != database)
    read_only = (f"meterbook: {database} is read-only (the file or its folder cannot be "
                 "written): nothing was changed. To change it, make it writable or copy it "
                 "somewhere you can write and open the copy\n")
    for args in (("budget", "acknowledge", "--all"), ("budget", "set", "ops", "--amount", "5"),
                 ("budget", "set", "team", "--amount", "1", "--replace"),
                 ("budget", "forecast", "--window", "7")):
        assert main(["--db", str(database), *args]) == 1, args
        assert capsys.readouterr().err == read_only
    # The status is read as it stands (no check: it would write): team's four alerts wait.
    assert main(["--db", str(database), "--tz", "UTC", "budget", "status", "--month",
                 "2026-05", "--fail-on-alert"]) == 3
    shown = capsys.readouterr()
    assert shown.out.count(" team: ") == 4 and shown.err == ""
    assert main(["--db", str(database), *REPORT, "--format", "csv", "-o",
                 str(tmp_path / "may.csv")]) == 0
    assert capsys.readouterr().out == f"Report for 2026-05 written to {tmp_path / 'may.csv'}\n"
    assert "TOTAL,,,2000," in (tmp_path / "may.csv").read_text(encoding="utf-8")
    assert snapshot(database) == before
    assert alert_rows(database) == alerts_before
