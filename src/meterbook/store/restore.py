"""Backing up a SQLite database and putting a backup back (`meterbook backup` / `restore`, and
File > Restore… in the app).

A backup is checked before anything changes: a SQLite file whose pages all read, holding a
Meterbook schema of a revision this version knows (an older one is upgraded on the next open,
after its own automatic backup). What it replaces is kept beside the database first. The
backup then goes into the database file through SQLite's backup API, which is one write
transaction: another Meterbook with the file open waits for it and then sees the restored data
whole, and a crash midway leaves the old data. Only a database too damaged to open is replaced
as a file instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from meterbook.store.backup import copy_database
from meterbook.store.database import alembic_config, resolve_url
from meterbook.store.errors import DatabaseError

_SQLITE_HEADER = b"SQLite format 3\x00"
# How long a restore waits for another Meterbook's write (an import) to finish, in seconds.
BUSY_SECONDS = 60.0


@dataclass(frozen=True)
class BackupFile:
    """What a backup holds, as checked before it is put back."""

    path: Path
    revision: str
    records: int


@dataclass(frozen=True)
class Restored:
    database: Path
    backup: BackupFile
    kept: Path | None  # the copy of what the restore replaced (None: there was no database)


def sqlite_file(db: str | None) -> Path:
    """The file of the database named like `--db` (resolve_url); a server database is refused:
    its own tools back it up."""
    url = make_url(resolve_url(db))
    if url.get_backend_name() != "sqlite" or not url.database:
        raise DatabaseError(f"{url.render_as_string(hide_password=True)} is a database server: "
                            "back it up and restore it with the server's own tools (for "
                            "PostgreSQL, pg_dump and pg_restore)")
    return Path(url.database)


def default_backup_path(database: Path, today: date) -> Path:
    """`<stem>-backup-YYYY-MM-DD.db` beside the database (the name Settings > Back up suggests
    and backups_beside finds), with `-2`, `-3`... when that day's backup exists."""
    target = database.with_name(f"{database.stem}-backup-{today:%Y-%m-%d}.db")
    n = 1
    while target.exists():
        n += 1
        target = database.with_name(f"{database.stem}-backup-{today:%Y-%m-%d}-{n}.db")
    return target


def back_up(database: Path, target: Path) -> BackupFile:
    """A consistent copy of the database at `target` (SQLite's online backup: right even while
    the app or an import writes), checked; an existing `target` is never overwritten."""
    if not database.is_file():
        raise DatabaseError(f"{database}: no such database, nothing to back up")
    if target.exists():
        raise DatabaseError(f"{target} already exists: choose another name (nothing was "
                            "written)")
    try:
        copy_database(database, target)
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseError(f"could not back up {database} to {target}: {exc}; no backup "
                            "was written") from exc
    return check_backup(target)


def check_backup(path: Path) -> BackupFile:
    """What a backup holds; DatabaseError, saying what the file is instead, when it is no
    Meterbook database this version can open."""
    if not path.is_file():
        raise DatabaseError(f"{path}: no such file")
    with path.open("rb") as file:
        if file.read(16) != _SQLITE_HEADER:
            raise DatabaseError(f"{path} is not a Meterbook database (not a SQLite file)")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise DatabaseError(f"{path} is damaged ({_first_line(verdict)}): choose "
                                    "another backup")
            tables = {name for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables or "usage_record" not in tables:
                shown = ", ".join(sorted(tables)[:5]) or "no tables"
                raise DatabaseError(f"{path} is not a Meterbook database (it holds {shown})")
            revisions = [r for (r,) in conn.execute("SELECT version_num FROM alembic_version")]
            records = conn.execute("SELECT count(*) FROM usage_record").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} cannot be read as a database ({exc}): choose another "
                            "backup") from exc
    unknown = [r for r in revisions if r not in known_revisions()]
    if unknown or len(revisions) != 1:
        shown = "+".join(unknown or revisions) or "none"
        raise DatabaseError(f"{path} was written by a newer version of Meterbook (schema "
                            f"{shown}); upgrade Meterbook to restore it")
    return BackupFile(path, revisions[0], records)


def known_revisions() -> set[str]:
    """The schema revisions this version can open (the older ones it upgrades, and its own)."""
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def restore(database: Path, backup: Path, now: datetime) -> Restored:
    """Put `backup` in place of `database`, keeping a copy of what it replaces beside it as
    `<name>.bak-before-restore-<now>`. Nothing changes when the backup does not check out or
    the copy cannot be kept."""
    checked = check_backup(backup)
    if database.exists() and database.resolve() == backup.resolve():
        raise DatabaseError(f"{backup} is the database itself: choose a backup of it")
    kept = None
    healthy = _opens(database)
    if database.exists():
        kept = _keep(database, database.with_name(
            f"{database.name}.bak-before-restore-{now:%Y%m%d-%H%M%S}"), healthy)
    try:
        if healthy:
            _copy_into(backup, database)
        else:
            _replace_file(backup, database)
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseError(f"could not restore {backup} into {database}: {exc}; the database "
                            "was left as it was") from exc
    return Restored(database, checked, kept)


def _opens(database: Path) -> bool:
    """Whether the database file is there and reads as a database (a damaged one is replaced
    as a file, which needs no reading). Another program's database is refused: a restore
    must not overwrite it."""
    if not database.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=BUSY_SECONDS)) as conn:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                return False
            tables = {name for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return False
    if tables and "alembic_version" not in tables:
        raise DatabaseError(f"{database} is not a Meterbook database (it holds "
                            f"{', '.join(sorted(tables)[:5])}): nothing was restored into it")
    return True


def _keep(database: Path, kept: Path, healthy: bool) -> Path:
    try:
        if healthy:
            copy_database(database, kept)
        else:  # damaged: keep its bytes as they are, with its journal, for whoever looks later
            for suffix in ("-wal", ""):
                if Path(f"{database}{suffix}").exists():
                    shutil.copyfile(f"{database}{suffix}", f"{kept}{suffix}")
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseError(f"could not keep a copy of {database} before restoring ({exc}); "
                            "nothing was changed") from exc
    return kept


def _copy_into(backup: Path, database: Path) -> None:
    """SQLite's backup API, into the live database: one write transaction (see the module)."""
    with (contextlib.closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as source,
          contextlib.closing(sqlite3.connect(database, timeout=BUSY_SECONDS)) as target):
        source.backup(target)


def _replace_file(backup: Path, database: Path) -> None:
    """Write the backup beside the database, then rename it over the file; a damaged file's
    journal would be read into the restored one, so it goes too (a copy was kept)."""
    partial = database.with_name(database.name + ".restoring")
    try:
        copy_database(backup, partial)
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(partial, database)
    finally:
        partial.unlink(missing_ok=True)


def _first_line(text: str) -> str:
    return text.splitlines()[0][:200]
