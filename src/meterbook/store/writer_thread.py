"""The import's writing thread: chunks are written while the next chunk is parsed.

Shared by SQLite's staged writer (importers/pipeline.py, store/staging.py) and PostgreSQL's COPY
writer (store/postgres.py): each writes a chunk in statements during which the database, not
Python, does the work (SQLite and psycopg let go of Python's lock), so parsing and writing
overlap on two cores. The queue holds two chunks at most: memory stays flat. The main thread does
not touch the connection until the writer has finished (__exit__).
"""

from __future__ import annotations

import queue
import threading

from sqlalchemy.engine import Connection


class WriterThread:
    """A context manager: put() jobs in, each written by `_write(job)` (which returns how many
    records were new) on the thread; the first error stops the writing and is raised in the
    main thread, at the next put() or on leaving."""

    rollup_meters: frozenset[int] = frozenset()  # the writers keep the rollup in step

    def __init__(self, conn: Connection, batch_id: int) -> None:
        self.conn, self.batch_id = conn, batch_id
        self.raw = conn.connection.dbapi_connection
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.added = 0  # records inserted (those already stored are skipped)
        self.thread = threading.Thread(target=self._work, name="meterbook-import-writer",
                                       daemon=True)

    def _start(self) -> None:
        """Prepare the connection (on the main thread, before the writing starts)."""

    def _finish(self) -> None:
        """Tidy up after the last chunk (on the main thread)."""

    def _write(self, job) -> int:
        raise NotImplementedError

    def __enter__(self):
        self._start()
        self.thread.start()
        return self

    def submit(self, job) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(job)

    def _work(self) -> None:
        while True:
            job = self.queue.get()
            if job is None:
                return
            if self.error is not None:
                continue  # drain: the main thread will raise
            try:
                self.added += self._write(job)
            except BaseException as exc:  # handed to the main thread
                self.error = exc

    def __exit__(self, exc_type, exc, tb) -> None:
        self.queue.put(None)
        self.thread.join()
        self._finish()
        if exc_type is None and self.error is not None:
            raise self.error
