"""A long read of integer rows on two cores: this process reads the records with the lower
ids while a forked one reads the others (SQLite files only).

Python's sqlite3 makes one Python integer per value read; for a million records of eleven
columns that is most of `meterbook compare`'s time (SQLite's own scan is a sixth of it), and it
holds the interpreter's lock, so threads cannot share it: a second process can.

Exact, never approximate: the two halves are two connections, so a commit by anyone between
their reads could let one half see an import the other does not. `PRAGMA data_version` (it
changes on this connection when any other connection commits) is read before the fork and after
both halves; if it moved, the halves are thrown away and the caller reads alone, in one
statement. Only where forking is safe (core/forked.py): the command line, not the app's threads.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sqlite3
from collections.abc import Callable
from urllib.parse import quote

import numpy as np
from sqlalchemy.engine import Connection

from meterbook.core.forked import die_with, fork_is_safe

# Below this many ids a fork costs more than it saves (a fork and a pipe: some 30 ms).
SPLIT_FROM_IDS = 200_000

Parts = Callable[[sqlite3.Cursor], list[np.ndarray]]  # a cursor's rows as (width, n) blocks


def read_in_halves(conn: Connection, statement: str, params: tuple, parts: Parts,
                   width: int) -> list[np.ndarray] | None:
    """`statement` (its WHERE clause ends where `AND <id condition>` can follow) read in two
    halves by record id: the blocks of `parts` for both, or None when splitting does not pay,
    is not safe here, or anyone committed while the halves were read (read alone then)."""
    path = _sqlite_file(conn)
    if path is None or not fork_is_safe():
        return None
    lo, hi = conn.exec_driver_sql("SELECT min(id), max(id) FROM usage_record").one()
    if lo is None or hi - lo < SPLIT_FROM_IDS:
        return None
    middle = (lo + hi + 1) // 2
    version = _data_version(conn)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_read_upper, daemon=True, args=(
        path, f"{statement} AND id >= ?", (*params, middle), parts, send, receive,
        os.getpid()))
    child.start()
    send.close()
    try:
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(f"{statement} AND id < ?", (*params, middle))
            found = parts(cursor)
        finally:
            cursor.close()
        try:
            count = receive.recv()
        except EOFError:
            return None  # the child could not read (a file it may not open): read alone
        for _ in range(count):
            block = np.frombuffer(receive.recv_bytes(), dtype=np.int64)
            found.append(block.reshape(width, len(block) // width))
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    return found if _data_version(conn) == version else None


def _read_upper(path: str, statement: str, params: tuple, parts: Parts, send, receive,
                parent: int) -> None:
    """The forked half: its blocks through the pipe, a count first (nothing when it fails)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    receive.close()
    die_with(parent)
    try:
        with contextlib.closing(sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True)) as db:
            blocks = parts(db.execute(statement, params))
        send.send(len(blocks))
        for block in blocks:
            send.send_bytes(np.ascontiguousarray(block).data)
    except (sqlite3.Error, OSError):
        pass  # the parent sees the pipe end without a count and reads this half itself
    finally:
        with contextlib.suppress(OSError):
            send.close()


def _sqlite_file(conn: Connection) -> str | None:
    if conn.dialect.name != "sqlite":
        return None
    for _seq, name, file in conn.exec_driver_sql("PRAGMA database_list").fetchall():
        if name == "main":
            return file or None  # "" for a database in memory
    return None


def _data_version(conn: Connection) -> int:
    return conn.exec_driver_sql("PRAGMA data_version").scalar_one()
