"""Starting the desktop app: the Qt application, the database, the window (or screenshots).

Unexpected errors are logged to a file in the user's log folder and summarised in a dialog:
no traceback is ever the only thing a user sees. Without a person at the screen (screenshots, or
a platform with no screen) nothing waits on a dialog: the problem goes to stderr instead.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from meterbook import __version__
from meterbook.app.context import AppContext
from meterbook.app.window import MainWindow
from meterbook.core.resources import resource_path
from meterbook.logs import log_unexpected
from meterbook.store.database import DatabaseError, open_database

log = logging.getLogger("meterbook.app")
HEADLESS_PLATFORMS = ("offscreen", "minimal")
FORMATS_AFTER_MS = 3000  # the import formats are loaded this long after the window is made


def _excepthook(kind, value, tb, headless: bool = False) -> None:
    path = log_unexpected(value.with_traceback(tb), "meterbook.app")
    text = (f"Something went wrong: {value}\n\nNothing you saved is lost. The details were "
            f"written to {path}.")
    if headless:
        print(f"meterbook: {text}", file=sys.stderr)
    elif QApplication.instance() is not None:
        QMessageBox.critical(None, "Meterbook", text)


def application(headless: bool = False) -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("Meterbook")
    QCoreApplication.setApplicationName("Meterbook")
    QCoreApplication.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resource_path("app-icon"))))
    # Wayland matches a window to its desktop entry (menu name, icon) by this name.
    QGuiApplication.setDesktopFileName("meterbook")
    sys.excepthook = functools.partial(_excepthook, headless=headless)
    # Imports and re-pricing run Python on worker threads; handing the interpreter lock round
    # every 0.5 ms instead of 5 keeps the window's longest stall during a million-line import
    # near 40 ms instead of 150 (benchmarks/bench_app.py).
    sys.setswitchinterval(0.0005)
    return app


def open_window(db_path: str | None, parent_settings: QSettings | None = None, *,
                headless: bool = False) -> MainWindow | None:
    """The main window on this database; a database that cannot be opened is explained and
    the user may pick another (None when they give up). Headless, the explanation goes to
    stderr and the answer is None at once."""
    while True:
        try:
            db = open_database(db_path)
        except DatabaseError as exc:
            if headless:
                print(f"meterbook: {exc}", file=sys.stderr)
                return None
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
        handle_switches(window)
        # Load the import formats on a worker thread rather than on the first drop, once the
        # start is over: the Dashboard's reads and drawing come first (issue 8, item 8).
        QTimer.singleShot(FORMATS_AFTER_MS, window, functools.partial(window.ctx.tasks.read,
                                                                      _formats))
        return window


def _formats() -> object:
    from meterbook.importers.formats import formats  # its module too, off the UI thread

    return formats()


def handle_switches(window: MainWindow) -> None:
    """Open, New, Open recent and Move ask for another database through the context; the new
    window replaces this one only once its database opened."""
    window.ctx.switch_database.connect(lambda path: _switch(window, path))


def _switch(old: MainWindow, path: str) -> None:
    new = open_window(path, old.settings)
    if new is None:
        return
    new.show()
    old.close()  # stops its writer
    old.ctx.close()


def run(db_path: str | None, demo: bool = False, screenshot_dir: str | None = None,
        size: tuple[int, int] = (1280, 800)) -> int:
    headless = screenshot_dir is not None or (
        QGuiApplication.platformName() or "") in HEADLESS_PLATFORMS
    app = application(headless)
    with contextlib.ExitStack() as temporary:
        settings = None
        if screenshot_dir:
            # Photographing the pages must not become the person's remembered page, geometry
            # or recent files: the window keeps its settings in a file thrown away afterwards.
            folder = Path(temporary.enter_context(
                tempfile.TemporaryDirectory(prefix="meterbook-shots-")))
            settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        if demo:
            # The demo never goes into a real database: it gets one of its own, removed on exit.
            if db_path:
                print(f"meterbook: --demo opens a demo database of its own; {db_path} is left "
                      "as it is", file=sys.stderr)
            db_path = str(_fresh_demo(temporary))
        window = open_window(db_path, settings, headless=headless)
        if window is None:
            return 1
        if demo:
            window.db_label.setText(f"Demo database, removed when Meterbook closes: {db_path}")
        try:
            if screenshot_dir:
                return screenshots(app, window, Path(screenshot_dir), size=size)
            window.show()
            _quit_on_signals(app)
            return app.exec()
        finally:
            _close_windows()
            if demo:
                _forget_recent(settings or QSettings(), str(Path(db_path).resolve()))
            if settings is not None:
                settings.sync()  # now, while its folder is there (not when Python frees it)


def _quit_on_signals(app: QApplication) -> None:
    """Ctrl+C or a polite kill ends the app as closing its window does: the writer stops and
    the demo's folder is removed (Python's default would stop without either)."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: app.quit())
    # Python runs signal handlers only between its own instructions; a timer brings Qt's loop
    # back into Python often enough for that.
    wake = QTimer(app)
    wake.timeout.connect(lambda: None)
    wake.start(200)


def _fresh_demo(temporary: contextlib.ExitStack) -> Path:
    from meterbook.importers.demo import fresh_demo_database

    folder = temporary.enter_context(tempfile.TemporaryDirectory(
        prefix="meterbook-demo-", ignore_cleanup_errors=True))
    return fresh_demo_database(Path(folder))


def _close_windows() -> None:
    """Close every main window and its database, so that nothing holds a file about to be
    removed (the demo's)."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow):
            widget.close()
            widget.ctx.close()


def _forget_recent(settings: QSettings, path: str) -> None:
    """A demo database is gone after exit: it must not stay in File > Open recent."""
    recent = settings.value("recent", [], list) or []
    settings.setValue("recent", [p for p in recent if p != path])


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
        # A page that reports its loading is waited for (up to ten seconds), never shot at "…".
        loaded = getattr(window.pages[key], "is_loaded", None)
        for _ in range(25):
            if loaded is None or loaded():
                break
            settle()
        window.grab().save(str(folder / f"{number:02d}-{key}.png"))
    window.close()
    return 0
