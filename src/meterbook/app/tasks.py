"""Background work for the app: one writer thread, a reader pool, results back on the UI thread.

design.md: database writes go through one worker; long jobs report progress and can be
cancelled; no widget is touched from a worker thread. A job is a plain function
`job(progress, cancelled) -> result` that knows nothing of Qt; `progress(done, total)` and the
result reach the UI thread through queued signals, so callbacks given here run there.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("meterbook.app")

Job = Callable[[Callable[[int, int], None], Callable[[], bool]], Any]


class _Relay(QObject):
    """Lives in the UI thread; signals emitted from workers arrive there (queued).

    Each carries one tuple: PySide6 mishandles the reference count of a bare None sent
    through an `object` argument across threads (seen crashing with 6.12), a tuple is safe.
    """

    progressed = Signal(object)  # (task, done, total)
    finished = Signal(object)  # (task, result)
    failed = Signal(object)  # (task, exception)


@dataclass(eq=False)
class Task:
    """A submitted job: cancel() asks it to stop; it then fails with its cancel exception."""

    title: str
    job: Job
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    on_progress: Callable[[int, int], None] | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class Tasks(QObject):
    """The app's background work: `write()` queues on the single writer thread, in order;
    `read()` runs on a pool (SQLite in WAL mode lets readers run beside the writer)."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._relay = _Relay()
        self._relay.progressed.connect(self._on_progress)
        self._relay.finished.connect(self._on_finished)
        self._relay.failed.connect(self._on_failed)
        self._queue: queue.Queue[Task | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write_loop, name="meterbook-writer",
                                        daemon=True)
        self._writer.start()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="meterbook-reader")
        self.running: list[Task] = []
        self.stopped = False  # after shutdown(): no new work is taken

    # -- submitting ----------------------------------------------------------------------------

    def write(self, title: str, job: Job, on_done=None, on_error=None, on_progress=None) -> Task:
        if self.stopped:
            raise RuntimeError("Meterbook is closing: no new work is started")
        task = Task(title, job, on_done, on_error, on_progress)
        self.running.append(task)
        self.busy_changed.emit(True)
        self._queue.put(task)
        return task

    def read(self, job: Callable[[], Any], on_done=None, on_error=None) -> Task:
        task = Task("read", lambda _p, _c: job(), on_done, on_error)
        self._pool.submit(self._run, task)
        return task

    # -- running (worker threads) ----------------------------------------------------------------

    def _write_loop(self) -> None:
        while True:
            task = self._queue.get()
            if task is None:
                return
            self._run(task)

    def _run(self, task: Task) -> None:
        def progress(done: int, total: int) -> None:
            self._relay.progressed.emit((task, done, total))

        try:
            result = task.job(progress, lambda: task.cancelled)
        except BaseException as exc:  # handed to the UI thread, which decides what to show
            self._relay.failed.emit((task, exc))
        else:
            self._relay.finished.emit((task, result))
        finally:
            task.done.set()

    # -- back on the UI thread -------------------------------------------------------------------

    def _on_progress(self, payload: tuple) -> None:
        task, done, total = payload
        if task.on_progress:
            task.on_progress(done, total)

    def _on_finished(self, payload: tuple) -> None:
        task, result = payload
        self._forget(task)
        if task.on_done:
            task.on_done(result)

    def _on_failed(self, payload: tuple) -> None:
        task, exc = payload
        self._forget(task)
        if task.on_error:
            task.on_error(exc)
        else:
            log.error("background task %r failed", task.title, exc_info=exc)

    def _forget(self, task: Task) -> None:
        if task in self.running:
            self.running.remove(task)
            if not self.running:
                self.busy_changed.emit(False)

    # -- closing ---------------------------------------------------------------------------------

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel what runs, let the writer finish (it rolls back), stop the threads."""
        self.stopped = True
        for task in list(self.running):
            task.cancel()
        self._queue.put(None)
        self._writer.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
