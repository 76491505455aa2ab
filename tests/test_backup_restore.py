"""`meterbook backup` and `meterbook restore`, run as a person would (cli.md), on real files."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from datetime import date, datetime
from pathlib import Path

import pytest

from meterbook import commands_backup
from meterbook.store.database import SCHEMA_HEAD

DATA = Path(__file__).resolve().parent / "data"
GOOD = DATA / "canonical" / "good.csv"  # 5 records


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(commands_backup, "today", lambda: date(2026, 3, 5))
    monkeypatch.setattr(commands_backup, "now", lambda: datetime(2026, 3, 5, 14, 30, 0))


@pytest.fixture
def store_url(tmp_path):
    """These are backups of SQLite files: every test here runs on a file (a team database on
    PostgreSQL is backed up with the server's tools, test at the end)."""
    return str(tmp_path / "meterbook.db")


def records(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM usage_record").fetchone()[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_names_the_copy_after_the_day_beside_the_database(cli, tmp_path):
    assert cli("import", str(GOOD)).code == 0
    first = cli("backup")
    assert first.code == 0, first.err
    copy = tmp_path / "meterbook-backup-2026-03-05.db"
    assert first.out == (f"Backed up {tmp_path / 'meterbook.db'} (5 records, "
                         f"schema {SCHEMA_HEAD}) to "
                         f"{copy}\n")
    assert records(copy) == 5
    # A second backup the same day keeps the first: it gets -2.
    assert cli("backup").code == 0
    assert records(tmp_path / "meterbook-backup-2026-03-05-2.db") == 5


def test_backup_refuses_to_overwrite_a_file(cli, tmp_path):
    assert cli("import", str(GOOD)).code == 0
    target = tmp_path / "mine.db"
    target.write_text("my notes", encoding="utf-8")
    result = cli("backup", str(target))
    assert result.code == 1
    assert "mine.db already exists" in result.err
    assert target.read_text(encoding="utf-8") == "my notes"


def test_a_backup_taken_during_a_write_holds_what_was_committed(cli, tmp_path):
    assert cli("import", str(GOOD)).code == 0
    db = tmp_path / "meterbook.db"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another Meterbook, in the middle of its write
    writer.execute("DELETE FROM usage_charge")
    writer.execute("DELETE FROM usage_record")
    result = cli("backup", str(tmp_path / "during.db"))
    writer.execute("COMMIT")
    writer.close()
    assert result.code == 0, result.err
    assert records(tmp_path / "during.db") == 5  # the uncommitted delete is not in it
    assert records(db) == 0


def test_restore_puts_the_backup_back_and_keeps_what_it_replaced(cli, tmp_path):
    assert cli("import", str(GOOD)).code == 0
    assert cli("backup", str(tmp_path / "b.db")).code == 0
    assert cli("imports", "undo", "1").code == 0
    db = tmp_path / "meterbook.db"
    assert records(db) == 0
    result = cli("restore", str(tmp_path / "b.db"))
    assert result.code == 0, result.err
    kept = tmp_path / "meterbook.db.bak-before-restore-20260305-143000"
    assert result.out == (f"Restored {tmp_path / 'b.db'} (5 records, "
                          f"schema {SCHEMA_HEAD}) into {db}; "
                          f"the database it replaced is kept as {kept}\n")
    assert records(db) == 5
    assert records(kept) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The restored database is whole: its history and cost read as before the undo.
    listed = cli("imports", "list", "--format", "json")
    assert [b["batch"] for b in listed.json["batches"]] == [1]


def test_restore_waits_for_another_writer_then_replaces_everything(cli, tmp_path):
    assert cli("import", str(GOOD)).code == 0
    assert cli("backup", str(tmp_path / "b.db")).code == 0
    assert cli("imports", "undo", "1").code == 0
    db = tmp_path / "meterbook.db"
    writer = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")  # a write in progress: the restore waits its turn
    threading.Timer(0.5, lambda: writer.execute("COMMIT")).start()
    result = cli("restore", str(tmp_path / "b.db"))
    writer.close()
    assert result.code == 0, result.err
    assert records(db) == 5


def foreign(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    return path


def newer(path: Path, source: Path) -> Path:
    path.write_bytes(source.read_bytes())
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    return path


@pytest.mark.parametrize("kind, expected", [
    ("text", "is not a Meterbook database (not a SQLite file)"),
    ("foreign", "is not a Meterbook database (it holds recipes)"),
    ("newer", "was written by a newer version of Meterbook (schema 9999); upgrade Meterbook "
              "to restore it"),
    ("missing", "no such file"),
])
def test_restore_refuses_what_is_no_meterbook_backup_and_changes_nothing(
        cli, tmp_path, kind, expected):
    assert cli("import", str(GOOD)).code == 0
    assert cli("backup", str(tmp_path / "b.db")).code == 0
    db = tmp_path / "meterbook.db"
    candidate = tmp_path / "candidate.db"
    if kind == "text":
        candidate.write_text("timestamp,vendor\n", encoding="utf-8")
    elif kind == "foreign":
        foreign(candidate)
    elif kind == "newer":
        newer(candidate, tmp_path / "b.db")
    before = digest(db)
    result = cli("restore", str(candidate))
    assert result.code == 1
    assert result.err == f"meterbook: {candidate} {expected}\n".replace(" no such", ": no such")
    assert digest(db) == before
    assert not list(tmp_path.glob("*before-restore*"))


def test_restore_will_not_overwrite_another_programs_database(cli, tmp_path):
    assert cli("import", str(GOOD)).code == 0
    assert cli("backup", str(tmp_path / "b.db")).code == 0
    recipes = foreign(tmp_path / "recipes.db")
    before = digest(recipes)
    result = cli("restore", str(tmp_path / "b.db"), db=recipes)
    assert result.code == 1
    assert "recipes.db is not a Meterbook database (it holds recipes)" in result.err
    assert digest(recipes) == before


def test_restore_mends_a_damaged_database_and_keeps_its_bytes(cli, tmp_path):
    assert cli("import", str(GOOD)).code == 0
    assert cli("backup", str(tmp_path / "b.db")).code == 0
    db = tmp_path / "meterbook.db"
    for journal in ("-wal", "-shm"):
        Path(f"{db}{journal}").unlink(missing_ok=True)
    # Cut off, as a copy that stopped short (the backup is one self-contained file).
    damaged = (tmp_path / "b.db").read_bytes()[:5000]
    db.write_bytes(damaged)
    assert cli("cost").code == 1  # the damage is told...
    result = cli("restore", str(tmp_path / "b.db"))
    assert result.code == 0, result.err
    assert records(db) == 5  # ...and the backup mends it
    assert (tmp_path / "meterbook.db.bak-before-restore-20260305-143000").read_bytes() == damaged


def test_a_server_database_is_backed_up_with_its_own_tools(cli, tmp_path):
    url = "postgresql+psycopg://ana:s3cret@127.0.0.1:1/books"
    for args in (("backup",), ("restore", str(tmp_path / "b.db"))):
        result = cli(*args, db=url)
        assert result.code == 1
        assert "pg_dump" in result.err
        assert "s3cret" not in result.err


def test_a_server_database_is_sent_to_the_servers_own_tools(cli, pg_cluster):
    name = pg_cluster.new_database()
    try:
        for args in (("backup",), ("restore", "whatever.db")):
            result = cli(*args, db=pg_cluster.url(name))
            assert result.code == 1
            assert "is a database server" in result.err and "pg_dump" in result.err
            assert ":***@" in result.err  # the password never shown
    finally:
        pg_cluster.give_back(name)
