"""Fixtures shared by the Qt tests: the app context, the main window and a known locale."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale, QSettings

from meterbook.app.context import AppContext
from meterbook.app.window import MainWindow
from meterbook.store.database import open_database


@pytest.fixture
def db(store_url):
    """An empty database, SQLite then PostgreSQL (modules that need data define their own
    `db`)."""
    with open_database(store_url) as database:
        yield database


@pytest.fixture
def british(qapp):
    """Times and money in the en_GB locale ("02/04/2026 12:00", "$4.0000")."""
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    yield
    QLocale.setDefault(before)


@pytest.fixture
def american(qapp):
    """Money and dates in the en_US locale ("$1,234.50")."""
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    yield
    QLocale.setDefault(before)


@pytest.fixture
def ctx(qtbot, db):
    """An AppContext on the module's `db`, its tasks shut down afterwards."""
    context = AppContext(db)
    yield context
    context.tasks.shutdown()


@pytest.fixture
def window(qtbot, db, tmp_path):
    """The main window on the module's `db`, with its settings in a file of its own."""
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    win = MainWindow(AppContext(db), settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()  # stops the writer thread before the database closes


@pytest.fixture(autouse=True)
def _no_unexpected_dialogs(monkeypatch):
    """A message box nobody answers would hang the run for ever (offscreen, no person to click
    it): one a test did not patch fails that test at once, with its text."""
    from PySide6.QtWidgets import QMessageBox

    def unexpected(kind):
        def show(*args, **kwargs):
            text = args[2] if len(args) > 2 else kwargs.get("text", "")
            raise AssertionError(f"unexpected {kind} dialog: {text}")
        return show

    for kind in ("information", "warning", "critical", "question"):
        monkeypatch.setattr(QMessageBox, kind, unexpected(kind))
