"""Starting the desktop app: the Qt application, the database, the window (or screenshots).

Unexpected errors are logged to a file in the user's log folder and summarised in a dialog:
no traceback is ever the only thing a user sees.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from meterbook import __version__
from meterbook.logs import log_unexpected
from meterbook.store.database import DatabaseError, open_database

log = logging.getLogger("meterbook.app")
ICON = Path(__file__).resolve().parent / "meterbook.svg"


def _excepthook(kind, value, tb) -> None:
    path = log_unexpected(value.with_traceback(tb), "meterbook.app")
    if QApplication.instance() is not None:
        QMessageBox.critical(None, "Meterbook", (
            f"Something went wrong: {value}\n\nNothing you saved is lost. The details were "
            f"written to {path}."))


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("Meterbook")
    QCoreApplication.setApplicationName("Meterbook")
    QCoreApplication.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(ICON)))
    sys.excepthook = _excepthook
    # Imports and re-pricing run Python on worker threads; handing the interpreter lock round
    # every 0.5 ms instead of 5 keeps the window's longest stall during a million-line import
    # near 40 ms instead of 150 (benchmarks/bench_app.py).
    sys.setswitchinterval(0.0005)
    return app


def open_window(db_path: str | None, parent_settings: QSettings | None = None):
    """The main window on this database; a database that cannot be opened is explained and
    the user may pick another (None when they give up)."""
    from meterbook.app.context import AppContext
    from meterbook.app.window import MainWindow

    while True:
        try:
            db = open_database(db_path)
        except DatabaseError as exc:
            choice = QMessageBox.warning(
                None, "Meterbook", (f"{exc}\n\nOpen another database, or restore one of its "
                                    "backups (the files named …db.bak-…) by opening it?"),
                QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel)
            if choice != QMessageBox.StandardButton.Open:
                return None
            db_path, _ = QFileDialog.getOpenFileName(
                None, "Open a Meterbook database or a backup", "",
                "Meterbook database (*.db *.bak-*);;All files (*)")
            if not db_path:
                return None
            continue
        window = MainWindow(AppContext(db), parent_settings)
        # Load the import formats now, on a worker thread, rather than on the first drop.
        from meterbook.importers.formats import formats

        window.ctx.tasks.read(formats)
        return window


def fresh_demo(db_path: str | None = None) -> str:
    """A new database filled with the demo; its path."""
    from datetime import UTC, datetime

    from meterbook.core.demo import demo_data
    from meterbook.store.demo_store import save_demo

    path = db_path or str(Path(tempfile.mkdtemp(prefix="meterbook-demo-")) / "demo.db")
    db = open_database(path)
    plans, records = demo_data(end=datetime.now(UTC), months=6)
    save_demo(db, plans, records)
    db.close()
    return path


def run(db_path: str | None, demo: bool = False, screenshot_dir: str | None = None,
        size: tuple[int, int] = (1280, 800)) -> int:
    app = application()
    if demo:
        db_path = fresh_demo(None if db_path is None else db_path)
    window = open_window(db_path)
    if window is None:
        return 1
    if screenshot_dir:
        return screenshots(app, window, Path(screenshot_dir), size=size)
    window.show()
    return app.exec()


def screenshots(app: QApplication, window, folder: Path, settle_ms: int = 400,
                size: tuple[int, int] = (1280, 800)) -> int:
    """Save one PNG of each page, of the window at `size`, into folder, then quit."""
    folder.mkdir(parents=True, exist_ok=True)
    window.resize(*size)
    window.show()
    keys = list(window.pages)

    def settle() -> None:
        # Let background reads finish and their results paint. A nested event loop rather
        # than processEvents() in a loop: PySide6 6.12 drops a reference to None on every
        # processEvents() call, and a few hundred thousand calls crash the interpreter.
        loop = QEventLoop()
        QTimer.singleShot(settle_ms, loop.quit)
        loop.exec()

    for number, key in enumerate(keys, start=1):
        window.show_page(key)
        settle()
        window.grab().save(str(folder / f"{number:02d}-{key}.png"))
    window.close()
    return 0
