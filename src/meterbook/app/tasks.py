"""Background work for the app: one writer thread, a reader pool, results back on the UI thread.

design.md: database writes go through one worker; long jobs report progress and can be
cancelled; no widget is touched from a worker thread. A job is a plain function
`job(progress, cancelled) -> result` that knows nothing of Qt; `progress(done, total)` and the
result reach the UI thread through queued signals, so callbacks given here run there.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from meterbook.logs import log_unexpected
from meterbook.store.read_stop import ReadStop

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
    reading: bool = False  # a read (tasks.read), which closing stops rather than waits for

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class Tasks(QObject):
    """The app's background work: `write()` queues on the single writer thread, in order;
    `read()` runs on a pool (SQLite in WAL mode lets readers run beside the writer)."""

    busy_changed = Signal(bool)
    # A job failed and nobody handled it: a short message for the status bar (the details
    # go to the log file, so that an error never disappears into a logger with no handler).
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, read_stop: ReadStop | None = None):
        super().__init__(parent)
        self._read_stop = read_stop  # how shutdown() stops the reads on the database
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

    def read(self, job: Callable[[], Any], on_done=None, on_error=None,
             title: str = "read the database") -> Task:
        stop = self._read_stop

        def run(_progress, _cancelled):
            if stop is None:
                return job()
            with stop.reading():
                return job()

        task = Task(title, run, on_done, on_error, reading=True)
        if self.stopped:  # closing: a late ask (a page's timer, a follow-up) gets no answer
            task.done.set()
            return task
        self._pool.submit(self._run, task)
        return task

    def report(self, task_title: str, exc: BaseException) -> None:
        """What happens to a failure that no callback handled: logged with its traceback
        in the log file, and a one-line message for the status bar."""
        path = log_unexpected(exc, "meterbook.app")
        self.failed.emit(f"Could not {task_title}: {exc} (details in {path})")

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
        if task.reading and self.stopped:  # the window is closing: nobody shows the answer
            return
        if task.on_done:
            task.on_done(result)

    def _on_failed(self, payload: tuple) -> None:
        task, exc = payload
        self._forget(task)
        if task.reading and self.stopped:  # stopped by shutdown(): nobody waits for it
            return
        if task.on_error:
            task.on_error(exc)
        else:
            self.report(task.title, exc)

    def _forget(self, task: Task) -> None:
        if task in self.running:
            self.running.remove(task)
            if not self.running:
                self.busy_changed.emit(False)

    # -- closing ---------------------------------------------------------------------------------

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel what runs, let the writer finish (it rolls back), stop the reads (they would
        take as long as they take, for answers nobody will see), stop the threads."""
        self.stopped = True
        for task in list(self.running):
            task.cancel()
        self._queue.put(None)
        self._writer.join(timeout)
        if self._read_stop is not None:
            self._read_stop.stop()
        # The reads end at their next statement now; waiting for that keeps the database
        # from being closed (or its file removed) under them.
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._read_stop is not None:
            self._read_stop.detach()


class Latest:
    """Reads of which only the newest answer counts ("latest answer wins").

    A page that asks again (a new filter, a new month) before the last answer came must not
    show the old answer when it arrives late, nor any answer after the page was closed. Each
    `read()` starts a new ticket and makes every older one stale; a stale ticket's callbacks
    are dropped. A ticket can `read()` again for a follow-up that belongs to the same answer
    (the Usage table's first page, then the rest of its ids).
    """

    def __init__(self, tasks: Tasks, owner: QObject, title: str = "read the database"):
        self._tasks = tasks
        self._owner = owner
        self._title = title
        self._ticket = 0

    def read(self, job: Callable[[], Any], on_done: Callable[[Any], None],
             on_error: Callable[[BaseException], None] | None = None) -> Ticket:
        self._ticket += 1
        ticket = Ticket(self, self._ticket)
        ticket.read(job, on_done, on_error)
        return ticket

    def drop(self) -> None:
        """Forget every answer still on its way (the question no longer stands)."""
        self._ticket += 1


@dataclass(eq=False)
class Ticket:
    latest: Latest
    number: int

    def current(self) -> bool:
        return shiboken6.isValid(self.latest._owner) and self.number == self.latest._ticket

    def read(self, job: Callable[[], Any], on_done: Callable[[Any], None],
             on_error: Callable[[BaseException], None] | None = None) -> None:
        latest = self.latest

        def done(result: Any) -> None:
            if self.current():
                on_done(result)

        def failed(exc: BaseException) -> None:
            if not self.current():
                return
            if on_error is not None:
                on_error(exc)
            else:
                latest._tasks.report(latest._title, exc)

        latest._tasks.read(job, done, failed, latest._title)
