"""Opening databases: location, pragmas, schema migrations, backups and refusals."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import meterbook.store.database as database
from meterbook.store.backup import backup_sqlite, copy_database
from meterbook.store.database import (
    SCHEMA_HEAD,
    DatabaseError,
    default_database_path,
    open_database,
    resolve_url,
)
from meterbook.store.tables import Setting

# The newest real revision, which the test revision 0002 below follows.
_HEAD = database.SCHEMA_HEAD


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("METERBOOK_DB", raising=False)


def _revision(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


def _backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.bak-*"))


# --- where the database is ----------------------------------------------------------------------


def test_default_path_is_in_the_user_data_folder(monkeypatch, tmp_path):
    folder = tmp_path / "data" / "Meterbook"
    calls = []

    def fake_user_data_dir(appname, appauthor=None):
        calls.append((appname, appauthor))
        return str(folder)

    monkeypatch.setattr(database.platformdirs, "user_data_dir", fake_user_data_dir)
    assert default_database_path() == folder / "meterbook.db"
    assert folder.is_dir()
    assert calls == [("Meterbook", False)]


def test_explicit_path_beats_environment_beats_default(monkeypatch, tmp_path):
    monkeypatch.setattr(database, "default_database_path", lambda: tmp_path / "default.db")
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'default.db'}"
    monkeypatch.setenv("METERBOOK_DB", str(tmp_path / "env.db"))
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'env.db'}"
    assert resolve_url(str(tmp_path / "arg.db")) == f"sqlite:///{tmp_path / 'arg.db'}"


def test_urls_pass_through_and_relative_paths_become_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert resolve_url("relative.db") == f"sqlite:///{tmp_path.resolve() / 'relative.db'}"
    url = "postgresql+psycopg://me:secret@host/meterbook"
    assert resolve_url(url) == url
    monkeypatch.setenv("METERBOOK_DB", url)
    assert resolve_url(None) == url
    assert resolve_url("") == url  # an empty --db counts as not given


def test_open_database_uses_the_environment_variable(monkeypatch, tmp_path):
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("METERBOOK_DB", str(path))
    with open_database() as db:
        assert db.path == path.resolve()
    assert path.exists()


# --- a new database ---------------------------------------------------------------------------


def test_new_database_is_at_head_with_wal_and_foreign_keys(tmp_path):
    path = tmp_path / "new.db"
    with open_database(str(path)) as db:
        assert db.url == f"sqlite:///{path}"
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -65536
            # temp_store stays FILE: sorting ten million rows must not grow the memory
            assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 0
        with db.session() as session:
            session.add(Setting(key="k", value="v"))
            session.commit()
        with db.session() as session:
            assert session.get(Setting, "k").value == "v"
    assert _revision(path) == _HEAD
    assert _backups(path) == []


def test_migrations_produce_exactly_the_tables_of_tables_py(tmp_path):
    """Fails when tables.py changes without a migration: write one (see alembic.ini)."""
    with open_database(str(tmp_path / "schema.db")) as db, db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_opening_an_up_to_date_database_changes_nothing_and_makes_no_backup(tmp_path):
    path = tmp_path / "m.db"
    open_database(str(path)).close()
    before = path.read_bytes()
    with open_database(str(path)):
        pass
    assert path.read_bytes() == before
    assert _backups(path) == []


# --- refusals -----------------------------------------------------------------------------------


def test_database_of_a_newer_meterbook_is_refused_untouched(tmp_path):
    path = tmp_path / "future.db"
    open_database(str(path)).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match=r"newer version of Meterbook \(schema 9999\)") as e:
        open_database(str(path))
    assert str(path) in str(e.value)
    assert "upgrade Meterbook" in str(e.value)
    assert path.read_bytes() == before
    assert _backups(path) == []


def test_text_file_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 20)
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="is not a Meterbook database") as e:
        open_database(str(path))
    assert str(path) in str(e.value)
    assert path.read_bytes() == before


def test_sqlite_file_of_another_program_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match=r"not a Meterbook database: .*contacts"):
        open_database(str(path))
    assert path.read_bytes() == before


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(DatabaseError, match="cannot open"):
        open_database(str(tmp_path / "no" / "such" / "folder" / "m.db"))


# --- upgrades and backups ---------------------------------------------------------------------


def test_backup_copies_committed_data_including_the_wal(tmp_path):
    path = tmp_path / "m.db"
    with open_database(str(path)) as db:
        with db.session() as session:
            session.add(Setting(key="home_currency", value="EUR"))
            session.commit()
        # The engine is still open, so the row may live only in the WAL so far.
        first = backup_sqlite(path, "0001")
        second = backup_sqlite(path, "0001")
        chosen = tmp_path / "chosen.db"
        copy_database(path, chosen)  # Settings > Back up
    assert first == tmp_path / "m.db.bak-0001"
    assert second == tmp_path / "m.db.bak-0001-2"  # an earlier backup is never overwritten
    # Each copy is one self-contained file: no WAL of its own, no .part left behind.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("chosen")) == [
        "chosen.db"]
    for copy in (first, second, chosen):
        conn = sqlite3.connect(copy)
        try:
            assert conn.execute("SELECT value FROM setting").fetchall() == [("EUR",)]
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        finally:
            conn.close()


_REVISION_0002 = """
import sqlalchemy as sa
from alembic import op

revision = "9999_test"
down_revision = "HEAD"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("extra", sa.Column("id", sa.Integer(), primary_key=True))
    with op.batch_alter_table("setting") as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(), nullable=True))
    FAIL


def downgrade():
    pass
"""


@pytest.fixture
def migrations_with_0002(tmp_path, monkeypatch):
    """Our migrations plus a revision 0002 (which fails if asked to), as a newer Meterbook's."""

    def install(fail: bool) -> None:
        folder = tmp_path / "migrations"
        shutil.copytree(
            database.MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__")
        )
        text = _REVISION_0002.replace('"HEAD"', repr(_HEAD)).replace(
            "    FAIL\n", "    raise RuntimeError('boom')\n" if fail else ""
        )
        (folder / "versions" / "9999_test.py").write_text(text)
        monkeypatch.setattr(database, "MIGRATIONS_DIR", folder)
        monkeypatch.setattr(database, "SCHEMA_HEAD", "9999_test")

    return install


def test_upgrade_of_a_database_with_data_takes_a_backup_first(tmp_path, migrations_with_0002):
    path = tmp_path / "old.db"
    with open_database(str(path)) as db, db.session() as session:
        session.add(Setting(key="home_currency", value="EUR"))
        session.commit()

    migrations_with_0002(fail=False)
    with open_database(str(path)) as db, db.session() as session:
        assert session.get(Setting, "home_currency").value == "EUR"
    assert _revision(path) == "9999_test"
    [backup] = _backups(path)
    assert backup.name == f"old.db.bak-{_HEAD}"
    assert _revision(backup) == _HEAD
    conn = sqlite3.connect(backup)
    try:
        assert conn.execute("SELECT key, value FROM setting").fetchall() == [
            ("home_currency", "EUR")
        ]
    finally:
        conn.close()


def test_brand_new_database_gets_every_revision_and_no_backup(tmp_path, migrations_with_0002):
    migrations_with_0002(fail=False)
    path = tmp_path / "new.db"
    open_database(str(path)).close()
    assert _revision(path) == "9999_test"
    assert _backups(path) == []


def test_failed_upgrade_leaves_the_database_as_it_was(tmp_path, migrations_with_0002):
    path = tmp_path / "old.db"
    open_database(str(path)).close()
    migrations_with_0002(fail=True)
    with pytest.raises(DatabaseError, match=rf"could not upgrade .* from schema {_HEAD}: boom"):
        open_database(str(path))
    # One transaction: neither the new table nor the rebuilt setting table was kept.
    assert _revision(path) == _HEAD
    conn = sqlite3.connect(path)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        columns = [row[1] for row in conn.execute("PRAGMA table_info(setting)")]
    finally:
        conn.close()
    assert "extra" not in tables
    assert not any(name.startswith("_alembic_tmp") for name in tables)
    assert columns == ["key", "value"]
    assert [b.name for b in _backups(path)] == [f"old.db.bak-{_HEAD}"]


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_database_is_refused(url):
    with pytest.raises(DatabaseError, match="needs a database file"):
        open_database(url)


def test_bad_url_unknown_database_and_missing_driver_are_reported():
    with pytest.raises(DatabaseError, match="not a database path or URL"):
        open_database("sqlite://:not-a-port/x")
    with pytest.raises(DatabaseError, match="does not know this kind of database") as e:
        open_database("nosuchdialect://me:secret@somewhere/db")
    assert "secret" not in str(e.value)
    pytest.importorskip("sqlalchemy.dialects.postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        with pytest.raises(DatabaseError, match="driver is not installed") as e:
            open_database("postgresql+psycopg://me:secret@localhost/meterbook")
        assert "secret" not in str(e.value)


def test_schema_head_constant_matches_the_newest_migration():
    # open_database skips Alembic when the file records SCHEMA_HEAD: they must agree.
    from alembic.script import ScriptDirectory

    from meterbook.store.database import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


# --- read-only files ----------------------------------------------------------------------------


def _with_a_setting(path: Path) -> None:
    with open_database(str(path)) as db, db.session() as session:
        session.add(Setting(key="home_currency", value="EUR"))
        session.commit()


def _home_currency(db) -> str:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT value FROM setting").scalar()


def test_a_read_only_database_is_read_and_every_write_is_refused_plainly(tmp_path):
    path = tmp_path / "m.db"
    _with_a_setting(path)
    before = path.read_bytes()
    # Forced: tests run as root, whom file permissions do not stop; SQLite's read-only mode does.
    with open_database(str(path), read_only=True) as db:
        assert db.read_only and db.path == path
        assert _home_currency(db) == "EUR"
        with (pytest.raises(DatabaseError, match=r"m\.db is read-only .*nothing was changed"),
              db.session() as session):
            session.add(Setting(key="report_timezone", value="UTC"))
            session.commit()
        assert _home_currency(db) == "EUR"
    assert path.read_bytes() == before


def test_a_file_this_user_cannot_write_opens_read_only_by_itself(tmp_path, monkeypatch):
    path = tmp_path / "m.db"
    _with_a_setting(path)
    monkeypatch.setattr(database, "_writable", lambda p: p != path)
    with open_database(str(path)) as db:
        assert db.read_only and _home_currency(db) == "EUR"
    with open_database(str(tmp_path / "other.db")) as db:
        assert not db.read_only


def _permissions_bind_us(folder: Path) -> bool:
    """False for root (or anyone whom a read-only folder does not stop)."""
    probe = folder / "probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "x").touch()
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
    return False


@pytest.mark.parametrize("locked", ["file", "folder"])
def test_a_really_read_only_file_or_folder_is_read(tmp_path, locked):
    if not _permissions_bind_us(tmp_path):
        pytest.skip("permissions do not stop this user (root): the forced case covers it")
    folder = tmp_path / "share"
    folder.mkdir()
    path = folder / "m.db"
    _with_a_setting(path)
    target = path if locked == "file" else folder
    target.chmod(0o555 if locked == "folder" else 0o444)
    try:
        with open_database(str(path)) as db:
            assert db.read_only and _home_currency(db) == "EUR"
    finally:
        target.chmod(0o755 if locked == "folder" else 0o644)


def test_changes_left_in_a_wal_in_a_read_only_folder_are_not_silently_skipped(tmp_path):
    if not _permissions_bind_us(tmp_path):
        pytest.skip("permissions do not stop this user (root)")
    path = tmp_path / "m.db"
    _with_a_setting(path)
    share = tmp_path / "share"
    share.mkdir()
    writer = sqlite3.connect(path)
    try:  # a change still in the WAL, as a Meterbook that did not close leaves it
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("UPDATE setting SET value = 'GBP'")
        writer.commit()
        for name in ("m.db", "m.db-wal"):
            shutil.copy(tmp_path / name, share / name)
    finally:
        writer.close()
    share.chmod(0o555)
    try:
        with pytest.raises(DatabaseError, match=r"latest changes are still in m\.db-wal"):
            open_database(str(share / "m.db"))
    finally:
        share.chmod(0o755)


def test_a_read_only_database_of_an_older_layout_is_refused_untouched(tmp_path,
                                                                       migrations_with_0002):
    path = tmp_path / "old.db"
    _with_a_setting(path)
    before = path.read_bytes()
    migrations_with_0002(fail=False)
    with pytest.raises(DatabaseError,
                       match=rf"read-only and of an older layout \(schema {_HEAD}\)"):
        open_database(str(path), read_only=True)
    assert path.read_bytes() == before and _backups(path) == []


def test_a_new_database_in_a_read_only_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "_writable", lambda p: False)
    with pytest.raises(DatabaseError, match=r"cannot create .*new\.db: its folder is read-only"):
        open_database(str(tmp_path / "new.db"))
    assert not (tmp_path / "new.db").exists()


# --- damaged files ------------------------------------------------------------------------------


def _demo_sized(path: Path) -> None:
    """A database of some 40 pages, so that cutting it loses tables' pages, not the header."""
    with open_database(str(path)) as db, db.session() as session:
        for n in range(3000):
            session.add(Setting(key=f"note-{n:05d}", value="x" * 40))
        session.commit()


def _count_settings(path: Path) -> int:
    """Open the database and read every page of one table (where damage shows)."""
    with open_database(str(path)) as db, db.engine.connect() as conn:
        return len(conn.exec_driver_sql("SELECT key, value FROM setting").fetchall())


def test_a_truncated_database_is_called_damaged_and_its_backups_are_named(tmp_path):
    path = tmp_path / "books.db"
    _demo_sized(path)
    backup = backup_sqlite(path, "0001")
    with path.open("r+b") as file:
        file.truncate(5000)
    before = path.read_bytes()
    with pytest.raises(DatabaseError) as e:
        _count_settings(path)
    message = str(e.value)
    assert "5,000 bytes of the" in message  # told at once, before any page was missed
    assert "books.db is damaged" in message and "not a Meterbook database" not in message
    assert backup.name in message and "To restore one" in message
    assert f"meterbook --db {backup} cost" in message
    assert path.read_bytes() == before


def test_a_database_with_a_garbled_header_and_backups_beside_it_is_damaged(tmp_path):
    path = tmp_path / "books.db"
    _demo_sized(path)
    backup_sqlite(path, "0001")
    with path.open("r+b") as file:
        file.write(b"\x00garbage" * 20)
    with pytest.raises(DatabaseError, match=r"books\.db is damaged .*books\.db\.bak-0001"):
        open_database(str(path))


def test_a_database_garbled_inside_without_backups_is_damaged_when_read(tmp_path):
    path = tmp_path / "books.db"
    _demo_sized(path)
    with path.open("r+b") as file:  # the header is whole: the damage shows only when read
        file.seek(3 * 4096)
        file.write(b"\xff" * 20 * 4096)
    with pytest.raises(DatabaseError, match=r"damaged .*No backup was found beside it"):
        _count_settings(path)


# --- copies -------------------------------------------------------------------------------------


def test_a_failed_copy_leaves_the_older_file_of_that_name_alone(tmp_path):
    source = tmp_path / "notes.db"
    source.write_text("not a database\n" * 100)
    target = tmp_path / "copy.db"
    target.write_bytes(b"an older copy")
    with pytest.raises(sqlite3.DatabaseError):
        copy_database(source, target)
    assert target.read_bytes() == b"an older copy"
    assert not (tmp_path / "copy.db.part").exists()
