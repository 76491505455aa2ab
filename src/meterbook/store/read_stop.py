"""Reads that a closing window stops at once instead of waiting for them (issue 8, item 8).

The app reads on worker threads (app/tasks.py). Closing used to wait for every read still
running: seconds on a large database (the Dashboard's "why it changed" runs some 200 queries),
for answers nobody would see. `ReadStop` watches an engine's statements: on the threads inside
`reading()`, `stop()` interrupts the statement running (SQLite's interrupt, PostgreSQL's cancel
request) and refuses every later one, so each such read ends with an error at once. Other
threads (the writer, the UI thread, a test) use the engine as before. A read changes nothing:
stopping one loses nothing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, event

CANCEL_TIMEOUT = 2.0  # seconds a PostgreSQL cancel request may take (closing waits for it)


class ReadStopped(Exception):
    """A statement refused: the read it belongs to was stopped (its window is closing)."""


class ReadStop:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.stopped = False
        self._lock = threading.Lock()
        self._local = threading.local()  # .reading: this thread runs a read that may stop
        self._connections: dict[int, Any] = {}  # thread id -> DBAPI connection of its read
        event.listen(engine, "before_cursor_execute", self._before)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Statements run inside are the ones `stop()` stops."""
        self._local.reading = True
        try:
            yield
        finally:
            self._local.reading = False
            with self._lock:
                self._connections.pop(threading.get_ident(), None)

    def _before(self, conn, _cursor, _statement, _parameters, _context, _many) -> None:
        if not getattr(self._local, "reading", False):
            return
        with self._lock:
            if self.stopped:
                raise ReadStopped("the window is closing: this read was stopped")
            # Kept until the read ends (not only while execute() runs): SQLite steps through
            # most of a result in fetchall(), which an interrupt stops as well.
            self._connections[threading.get_ident()] = conn.connection.dbapi_connection

    def stop(self) -> None:
        """Stop every read running (once), and refuse the statements of any still to come."""
        with self._lock:
            self.stopped = True
            running = list(self._connections.values())
            self._connections.clear()
        for dbapi in running:
            # A failed interrupt leaves that read to finish as before: nothing worse.
            with contextlib.suppress(Exception):
                if hasattr(dbapi, "interrupt"):  # sqlite3: thread-safe, a no-op when idle
                    dbapi.interrupt()
                elif hasattr(dbapi, "cancel_safe"):  # psycopg 3
                    dbapi.cancel_safe(timeout=CANCEL_TIMEOUT)

    def detach(self) -> None:
        """No longer watch the engine (the reads are over; the engine may live on)."""
        with contextlib.suppress(Exception):
            event.remove(self.engine, "before_cursor_execute", self._before)
