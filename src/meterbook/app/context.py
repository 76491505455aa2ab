"""What every page of the app shares: the database, the background tasks, the settings."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from meterbook.app.tasks import Tasks
from meterbook.store import readers
from meterbook.store.database import Database
from meterbook.store.read_stop import ReadStop


class AppContext(QObject):
    """Pages read through it and write through its tasks; `data_changed` tells every page
    that usage, plans or settings changed (after an import, an undo, a plan save...)."""

    data_changed = Signal()
    status = Signal(str)  # a short message for the status bar
    open_page = Signal(str)  # ask the window to show a page by its key
    # Ask for the database at this path in place of this one (Open, New, Open recent, Move):
    # launch.py opens it in a new window and, once that worked, closes this one and close().
    switch_database = Signal(str)
    closed = Signal()  # close() ran: nothing uses this database any more
    month_selected = Signal(object)  # a datetime.date, the first day of the month to show
    # Show these records on the Usage page (a chart's bar clicked): (first day, last day,
    # "vendor" | "model" | "project" | None, its name or None); dates are local.
    usage_slice = Signal(object)

    def __init__(self, db: Database, parent: QObject | None = None):
        super().__init__(parent)
        self.db = db
        self.tasks = Tasks(self, ReadStop(db.engine))  # closing stops the reads under way
        self.tasks.failed.connect(self.status)
        self.is_closed = False

    def home_currency(self) -> str:
        with self.db.engine.connect() as conn:
            return readers.home_currency(conn)

    def report_timezone(self) -> str:
        with self.db.engine.connect() as conn:
            return readers.effective_timezone(conn)

    def changed(self) -> None:
        self.data_changed.emit()

    def close(self) -> None:
        """Stop the background work and close the database (once)."""
        if self.is_closed:
            return
        self.is_closed = True
        self.tasks.shutdown()
        self.db.close()
        self.closed.emit()

    def show_usage(self, first, last, by: str | None = None, name: str | None = None) -> None:
        """Open the Usage page on the records of [first, last] (dates) and one series."""
        self.usage_slice.emit((first, last, by, name))
        self.open_page.emit("usage")

    def select_month(self, first_day) -> None:
        """Ask the Dashboard and the status bar to show this month (first day, a date)."""
        self.month_selected.emit(first_day)
