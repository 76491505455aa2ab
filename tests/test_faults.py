"""Faults: a job killed outright (SIGKILL) at any moment leaves the database exactly as it was
before the job, and leaves no process of the job running.

Each kill runs a real `meterbook` process on a copy of a prepared database, stops it at a named
pause point (core/pause_points.py: the process says where it stands, then sleeps), kills it
with SIGKILL there, and compares the database with the copy taken before: the same dump, line
for line, and `PRAGMA integrity_check` ok. A new job is one more line of KILLS once it has its
pause points; the budget check and the report are in test_faults_budget_report.py (their
database and clock differ), their full disk and read-only cases in test_faults_disk.py.
An import into a team's PostgreSQL database is killed the same way; there the committed rows
of every table are compared.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

import meterbook
from meterbook.core.pause_points import PAUSE_AT, PAUSE_FILE
from meterbook.importers.pipeline import import_files
from meterbook.store.database import open_database
from tests.helpers import CHAT_CLAUDE_PLANS, child_processes, running, save_plans

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(),
                                reason="needs Linux's /proc to see a job's processes")

SOURCES = Path(meterbook.__file__).resolve().parents[1]
WAIT = 180  # seconds for a process to reach its pause point, on a busy machine
LINES = 25_000  # two chunks of 20,000 records or less (pipeline._CHUNK)
LATER = 2_000  # batch 2, in May: what an undo of batch 1 (March) prices again

# Prices up 10% from the start of 2026: every record of both vendors is priced again.
DEARER_PLANS = CHAT_CLAUDE_PLANS.replace('"0.50"', '"0.55"').replace('"1.00"', '"1.10"')

# The command line of a job, run in a process of its own. FORKED reads its files in a forked
# process, as a big file is read (pipeline._fork_pays), whatever the file's size.
RUN = "import sys; from meterbook.cli import main; sys.exit(main(sys.argv[1:]))"
FORKED = ("import sys; from meterbook.importers import pipeline; pipeline._FORK_FROM_BYTES = 0; "
          "from meterbook.cli import main; sys.exit(main(sys.argv[1:]))")


class Kill(NamedTuple):
    job: str
    point: str  # the pause point it is killed at
    args: tuple[str, ...]  # meterbook's arguments; {folder} is the test's folder
    script: str = RUN


KILLS = [
    Kill("import", "import:batch-created", ("import", "{folder}/april.csv")),
    Kill("import", "import:chunk-written", ("import", "{folder}/april.csv")),
    Kill("import", "import:before-commit", ("import", "{folder}/april.csv")),
    Kill("import, forked reader", "import:chunk-written", ("import", "{folder}/april.csv"),
         FORKED),
    Kill("import, forked reader", "import:reader-chunk", ("import", "{folder}/april.csv"),
         FORKED),
    Kill("undo", "undo:records-deleted", ("imports", "undo", "1")),
    Kill("undo", "reprice:charges-written", ("imports", "undo", "1")),
    Kill("undo", "undo:before-commit", ("imports", "undo", "1")),
    Kill("re-price", "reprice:charges-written", ("plans", "import", "{folder}/dearer.toml")),
    Kill("re-price", "reprice:before-rollup", ("plans", "import", "{folder}/dearer.toml")),
    Kill("re-price", "plans:before-commit", ("plans", "import", "{folder}/dearer.toml")),
]


def usage_file(path: Path, month: int, lines: int = LINES) -> Path:
    """A canonical CSV of `lines` requests in `month` of 2026, half OpenAI, half Anthropic."""
    with path.open("w", encoding="utf-8") as out:
        out.write("timestamp,vendor,model,request_id,conversation_id,input_tokens,"
                  "output_tokens\n")
        for i in range(lines):
            vendor, model = ("openai", "gpt-4o") if i % 2 else ("anthropic", "claude-haiku")
            out.write(f"2026-{month:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z,{vendor},{model},"
                      f"m{month}-{i},c{i // 5},{i % 977},{i % 131}\n")
    return path


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A database with plans and two imports (batch 1: March, batch 2: May), checkpointed
    into one file; the files the jobs read beside it."""
    folder = tmp_path_factory.mktemp("prepared")
    with open_database(str(folder / "books.db")) as db:
        save_plans(db, CHAT_CLAUDE_PLANS)
        import_files(db, [usage_file(folder / "march.csv", 3)])
        import_files(db, [usage_file(folder / "may.csv", 5, LATER)])
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    usage_file(folder / "april.csv", 4)
    (folder / "dearer.toml").write_text(DEARER_PLANS, encoding="utf-8")
    return folder


def snapshot(path: Path) -> tuple[dict[str, int], str]:
    """Row counts of every table, and a digest of the whole dump: equal means unchanged. The
    chart colours the app's Dashboard stores once its charts show (its own write, beside any
    import, possibly before it) are left out."""
    with sqlite3.connect(path) as original, sqlite3.connect(":memory:") as conn:
        assert original.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        original.backup(conn)
        conn.execute("DELETE FROM setting WHERE key = 'chart_colours'")
        tables = [t for (t,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        digest = hashlib.sha256()
        for line in conn.iterdump():
            digest.update(line.encode())
    return counts, digest.hexdigest()


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in child_processes(todo.pop()) - found:
            found.add(child)
            todo.append(child)
    return found


def start_paused(argv: list[str], point: str, folder: Path) -> tuple[subprocess.Popen, int]:
    """Start a process and wait until one of its processes stands at `point`; returns the
    process and the id of the one that paused (the process itself, or its forked reader)."""
    note = folder / "paused"
    note.unlink(missing_ok=True)
    env = {**os.environ, PAUSE_AT: point, PAUSE_FILE: str(note),
           "PYTHONPATH": str(SOURCES), "QT_QPA_PLATFORM": "offscreen"}
    # Output to a file, not a pipe: a process left behind would hold a pipe open for ever.
    with (folder / "stderr.txt").open("w", encoding="utf-8") as err:
        proc = subprocess.Popen(argv, env=env, cwd=folder, stdout=subprocess.DEVNULL,
                                stderr=err)
    deadline = time.monotonic() + WAIT
    while not note.exists():
        if proc.poll() is not None:
            err = (folder / "stderr.txt").read_text(encoding="utf-8")
            pytest.fail(f"the job ended (status {proc.returncode}) before {point}:\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the job did not reach {point} in {WAIT} s")
        time.sleep(0.02)
    pid, name = note.read_text(encoding="utf-8").split()
    assert name == point
    return proc, int(pid)


def kill_and_check(proc: subprocess.Popen, paused: int, database: Path,
                   before: tuple[dict[str, int], str]) -> None:
    """SIGKILL the job's process; then none of its processes may be left, and the database
    must be as it was."""
    kill_job(proc, paused)
    counts, digest = snapshot(database)
    assert counts == before[0]
    assert digest == before[1]


def kill_job(proc: subprocess.Popen, paused: int) -> None:
    """SIGKILL the job's process; then none of its processes may be left."""
    family = descendants(proc.pid) | {paused}
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 20
    while (left := {p for p in family if p != proc.pid and running(p)}) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, "processes of the killed job are still running"


@pytest.mark.parametrize("kill", KILLS, ids=[f"{k.job} at {k.point}" for k in KILLS])
def test_a_job_killed_at_any_moment_leaves_the_database_as_it_was(prepared, tmp_path, kill):
    for name in ("books.db", "april.csv", "dearer.toml"):
        shutil.copy(prepared / name, tmp_path / name)
    database = tmp_path / "books.db"
    before = snapshot(database)
    assert before[0]["usage_record"] == LINES + LATER
    args = [a.format(folder=tmp_path) for a in kill.args]
    proc, paused = start_paused([sys.executable, "-c", kill.script, "--db", str(database),
                                 *args], kill.point, tmp_path)
    kill_and_check(proc, paused, database, before)


APP_IMPORT = """\
import sys
from meterbook.app.launch import application, open_window
app = application(headless=True)
window = open_window(sys.argv[1], headless=True)
window.show()
window.import_files([sys.argv[2]])
app.exec()
"""


@pytest.mark.parametrize("point", ["import:batch-created", "import:chunk-written",
                                   "import:before-commit"])
def test_the_app_killed_during_an_import_leaves_the_database_and_no_process(
        prepared, tmp_path, point):
    shutil.copy(prepared / "books.db", tmp_path / "books.db")
    shutil.copy(prepared / "april.csv", tmp_path / "april.csv")
    database = tmp_path / "books.db"
    before = snapshot(database)
    proc, paused = start_paused([sys.executable, "-c", APP_IMPORT, str(database),
                                 str(tmp_path / "april.csv")], point, tmp_path)
    assert paused == proc.pid  # the app imports on a thread of its own
    kill_and_check(proc, paused, database, before)


@pytest.mark.parametrize("point", ["import:batch-created", "import:chunk-written",
                                   "import:before-commit"])
def test_an_import_into_postgresql_killed_at_any_moment_leaves_it_as_it_was(pg_cluster,
                                                                           tmp_path, point):
    """A team's database: the server rolls the killed import back, and lets go of the import
    lock (postgres.USAGE_LOCK), so the next import goes through."""
    name = pg_cluster.new_database()
    url = pg_cluster.url(name)
    with open_database(url) as db:
        save_plans(db, CHAT_CLAUDE_PLANS)
        import_files(db, [usage_file(tmp_path / "march.csv", 3)])
    april = usage_file(tmp_path / "april.csv", 4)
    before = server_snapshot(url)
    assert before["usage_record"][0] == LINES
    proc, paused = start_paused([sys.executable, "-c", RUN, "--db", url, "import", str(april)],
                                point, tmp_path)
    kill_job(proc, paused)
    assert server_snapshot(url) == before
    again = subprocess.run([sys.executable, "-c", RUN, "--db", url, "import", str(april),
                            "--format", "json"], env={**os.environ, "PYTHONPATH": str(SOURCES)},
                           capture_output=True, text=True, timeout=WAIT)
    assert again.returncode == 0, again.stderr
    assert server_snapshot(url)["usage_record"][0] == 2 * LINES
    pg_cluster.give_back(name)


_DIGEST = """SELECT count(*), md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), ''))
    FROM "{table}" r"""


def server_snapshot(url: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of its rows, as committed on the server."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            tables = [t for (t,) in conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
            return {t: tuple(conn.exec_driver_sql(_DIGEST.format(table=t)).one())
                    for t in tables}
    finally:
        engine.dispose()


# --- a full disk ------------------------------------------------------------------------------

FULL_DISK = "the disk is full, so SQLite could not write: nothing was changed"


def _mount_small_disk(folder: Path, size: str) -> bool:
    folder.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a 12 MB disk of its own (a tmpfs; needs root, else the test skips)."""
    folder = tmp_path / "disk"
    if not _mount_small_disk(folder, "12m"):
        pytest.skip("mounting a small tmpfs needs root")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path, leave: int) -> None:
    """Fill the disk of `folder` but for about `leave` bytes."""
    free = shutil.disk_usage(folder).free - leave
    with (folder / "filler").open("wb") as out:
        while free > 0:
            chunk = min(free, 1 << 20)
            out.write(b"\0" * chunk)
            free -= chunk


@pytest.mark.parametrize("job, args", [
    ("import", ("import", "{folder}/april.csv")),
    ("undo", ("imports", "undo", "1")),
    ("re-price", ("plans", "import", "{folder}/dearer.toml")),
])
def test_a_full_disk_stops_a_job_with_a_clear_message_and_changes_nothing(
        prepared, small_disk, tmp_path, job, args):
    for name in ("april.csv", "dearer.toml"):
        shutil.copy(prepared / name, tmp_path / name)
    database = small_disk / "books.db"
    shutil.copy(prepared / "books.db", database)
    before = snapshot(database)
    fill(small_disk, leave=48 * 1024)
    done = subprocess.run(
        [sys.executable, "-c", RUN, "--db", str(database),
         *[a.format(folder=tmp_path) for a in args]],
        env={**os.environ, "PYTHONPATH": str(SOURCES)}, capture_output=True, text=True,
        timeout=WAIT)
    assert done.returncode == 1
    assert done.stderr == (f"meterbook: {database}: {FULL_DISK}. Free some space on that "
                           "disk, then try again\n")
    (small_disk / "filler").unlink()
    assert snapshot(database) == before


def test_a_full_disk_in_the_middle_of_an_import_is_told_and_nothing_is_added(
        prepared, tmp_path, monkeypatch):
    # Anywhere: the staged writer's raw statements meet SQLite's "database or disk is full"
    # on the second chunk (the limit of pages stands in for the disk).
    from meterbook.importers import pipeline
    from meterbook.store.errors import DatabaseError

    shutil.copy(prepared / "books.db", tmp_path / "books.db")
    before = snapshot(tmp_path / "books.db")
    real_apply, calls = pipeline.apply_stage, []

    def apply_then_fill(raw, *args):
        calls.append(1)
        if len(calls) == 2:
            pages = raw.execute("PRAGMA page_count").fetchone()[0]
            raw.execute(f"PRAGMA max_page_count = {pages}")
        return real_apply(raw, *args)

    monkeypatch.setattr(pipeline, "apply_stage", apply_then_fill)
    monkeypatch.setattr(pipeline, "_fork_pays", lambda sources: True)  # the parent applies
    with open_database(str(tmp_path / "books.db")) as db, \
            pytest.raises(DatabaseError) as refused:
        import_files(db, [prepared / "april.csv"])
    assert str(refused.value) == (f"{tmp_path / 'books.db'}: {FULL_DISK}. Free some space on "
                                  "that disk, then try again")
    assert len(calls) == 2
    assert snapshot(tmp_path / "books.db") == before


# --- two writers on one file ------------------------------------------------------------------


@pytest.mark.parametrize("first", ["command line", "app"])
def test_an_import_waits_for_another_writer_then_goes_through(prepared, tmp_path, first):
    shutil.copy(prepared / "books.db", tmp_path / "books.db")
    database = tmp_path / "books.db"
    june = usage_file(tmp_path / "june.csv", 6, 1_000)
    april = str(prepared / "april.csv")
    argv = ([sys.executable, "-c", RUN, "--db", str(database), "import", april]
            if first == "command line" else
            [sys.executable, "-c", APP_IMPORT, str(database), april])
    writer, _paused = start_paused(argv, "import:before-commit", tmp_path)
    second = subprocess.Popen([sys.executable, "-c", RUN, "--db", str(database), "import",
                               str(june)], env={**os.environ, "PYTHONPATH": str(SOURCES)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    assert second.poll() is None  # waiting for its turn
    writer.kill()  # the first writer ends (here, killed): its batch is rolled back
    writer.wait()
    out, err = second.communicate(timeout=WAIT)
    assert second.returncode == 0, err
    assert "added 1,000 as batch 3" in out
    # March (25,000) and May (2,000) were there; June's 1,000 are added, April's never were.
    assert snapshot(database)[0]["usage_record"] == LINES + LATER + 1_000


def test_an_import_refused_after_waiting_too_long_says_why(cli, tmp_path, monkeypatch):
    from meterbook.store import database as store_database

    # A minute's wait shortened to a fifth of a second.
    pragmas = tuple(p.replace("busy_timeout=60000", "busy_timeout=200")
                    for p in store_database._set_sqlite_pragmas.__defaults__[0])
    monkeypatch.setattr(store_database._set_sqlite_pragmas, "__defaults__", (pragmas,))
    db = tmp_path / "books.db"
    assert cli("import", str(usage_file(tmp_path / "may.csv", 5, 10)), db=db).code == 0
    before = snapshot(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another Meterbook, writing
    try:
        result = cli("import", str(usage_file(tmp_path / "june.csv", 6, 10)), db=db)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 1
    assert result.err == (f"meterbook: {db} is busy: another Meterbook (the app, or an import) "
                          "has been writing to it for over a minute. Nothing was changed; try "
                          "again once it has finished\n")
    assert snapshot(db) == before
