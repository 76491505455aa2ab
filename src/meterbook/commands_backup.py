"""`meterbook backup [FILE]` and `meterbook restore FILE` (cli.md): the work is in
store/restore.py, which the app's File > Restore… uses too."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

from meterbook.store.database import open_database
from meterbook.store.restore import back_up, default_backup_path, restore, sqlite_file


def today() -> date:
    """The day a backup is named after (tests replace it)."""
    return date.today()


def now() -> datetime:
    """When a restore runs, for the name of the copy it keeps (tests replace it)."""
    return datetime.now()


def backup(args: argparse.Namespace) -> int:
    database = sqlite_file(args.db)
    target = Path(args.file) if args.file else default_backup_path(database, today())
    # Opened first, as every command does: a damaged, foreign or newer file is refused with
    # the same words, and an older layout is brought up to date (with its own backup).
    open_database(str(database)).close()
    copy = back_up(database, target)
    print(f"Backed up {database} ({copy.records:,} records, schema {copy.revision}) to "
          f"{copy.path}")
    return 0


def restore_backup(args: argparse.Namespace) -> int:
    database = sqlite_file(args.db)
    done = restore(database, Path(args.file), now())
    # An older backup is upgraded now (after its own backup), not at the next command.
    open_database(str(database)).close()
    kept = (f"; the database it replaced is kept as {done.kept}" if done.kept
            else "")
    print(f"Restored {done.backup.path} ({done.backup.records:,} records, schema "
          f"{done.backup.revision}) into {database}{kept}")
    return 0
