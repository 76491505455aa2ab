"""Copies of a SQLite database file, and finding them again when the database is damaged.

Every copy uses SQLite's online backup, which copies what is committed, WAL included, even while
another connection writes. A copy is written beside its target and takes the name only once it
is complete and checked, so a failure never leaves a half file under the chosen name.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database to `target`, checked before it takes the name (a failure leaves
    no file there, and an older file of that name is kept). The copy is one self-contained file
    (no WAL of its own), which opens like any database."""
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(source)) as src:
            with contextlib.suppress(sqlite3.OperationalError):  # busy readers: backup copes
                src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with contextlib.closing(sqlite3.connect(partial)) as copy:
                src.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
                verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"the copy does not check out: {verdict}")
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def backup_sqlite(path: Path, revision: str) -> Path:
    """Copy a SQLite database to `<name>.bak-<revision>` beside it and return the copy's path
    (taken before an upgrade). An earlier backup is never overwritten: the copy gets `-2`,
    `-3`... instead."""
    target = path.with_name(f"{path.name}.bak-{revision}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.bak-{revision}-{n}")
    copy_database(path, target)
    return target


def backups_beside(path: Path) -> list[Path]:
    """The copies of the database kept beside it, newest first: the `<name>.bak-*` taken before
    upgrades and the `<stem>-backup-*.db` that Settings > Back up suggests."""
    found = {*path.parent.glob(f"{path.name}.bak-*"), *path.parent.glob(f"{path.stem}-backup-*")}
    found = {p for p in found if p.is_file() and not p.name.endswith(".part")}
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def damaged_message(path: Path, reason: str) -> str:
    """What to tell someone whose database file is damaged: which backups there are and how to
    put one back."""
    text = f"{path} is damaged ({reason}); Meterbook did not change it."
    backups = backups_beside(path)
    if not backups:
        return (f"{text} No backup was found beside it ({path.name}.bak-*): restore it from a "
                "copy of your own.")
    shown = ", ".join(p.name for p in backups[:5]) + (
        f" and {len(backups) - 5} more" if len(backups) > 5 else "")
    return (f"{text} Backups beside it, newest first: {shown}. To restore one, quit Meterbook, "
            f"rename the damaged file (keep it), then copy the backup to {path.name} in "
            f"{path.parent} (to look into a backup first: meterbook --db {backups[0]} cost)")
