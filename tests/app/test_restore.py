"""File > Restore from a backup…, used as a person would: pick the backup, confirm, and the app
opens again on the restored database."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from meterbook.app.launch import handle_switches
from meterbook.app.window import MainWindow
from meterbook.importers.pipeline import import_files
from meterbook.store.batches import undo_batch
from meterbook.store.restore import back_up

DATA = Path(__file__).resolve().parents[1] / "data"
WAIT = 10_000


def count(db) -> int:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM usage_record").scalar()


def menu_action(window: MainWindow, text: str):
    file_menu = window.menuBar().actions()[0].menu()
    [action] = [a for a in file_menu.actions() if a.text().replace("&", "") == text]
    return action


def test_file_restore_puts_a_backup_back_and_reopens_on_it(qtbot, window, db, tmp_path,
                                                          monkeypatch):
    if db.path is None:
        pytest.skip("restores a SQLite file (a server's database is restored by the server)")
    import_files(db, [DATA / "canonical" / "good.csv"])  # 5 records
    backup = tmp_path / "monday.db"
    back_up(db.path, backup)
    undo_batch(db, 1)
    assert count(db) == 0
    asked, told = [], []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(backup), ""))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    handle_switches(window)  # as launch.py does for every window it opens
    menu_action(window, "Restore from a backup…").trigger()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)
    [reopened] = [w for w in QApplication.topLevelWidgets()
                  if isinstance(w, MainWindow) and w is not window and w.isVisible()]
    qtbot.addWidget(reopened)
    try:
        assert reopened.ctx.db.path == db.path
        assert count(reopened.ctx.db) == 5
        assert asked == ["Replace everything in meterbook.db with the backup monday.db?\n\n"
                         "A copy of meterbook.db as it is now is kept beside it."]
        kept = [p.name for p in tmp_path.glob("meterbook.db.bak-before-restore-*")]
        assert len(kept) == 1
        assert told == [f"Restored monday.db (5 records) into meterbook.db.\n\nThe database "
                        f"it replaced is kept beside it as {kept[0]}."]
    finally:
        reopened.close()
        reopened.ctx.db.close()


def test_a_file_that_is_no_backup_is_refused_and_nothing_changes(qtbot, window, db, tmp_path,
                                                                 monkeypatch):
    import_files(db, [DATA / "canonical" / "good.csv"])
    if db.path is None:  # a team database: the app points to the server's own tools
        told = []
        monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
        menu_action(window, "Restore from a backup…").trigger()
        assert told == ["This database is on a server: restore it with the server's tools."]
        assert count(db) == 5
        return
    notes = tmp_path / "notes.db"
    notes.write_text("not a database", encoding="utf-8")
    warned = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(notes), ""))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    menu_action(window, "Restore from a backup…").trigger()
    qtbot.waitUntil(lambda: bool(warned), timeout=WAIT)
    assert warned == [f"{notes} is not a Meterbook database (not a SQLite file)"]
    assert count(db) == 5
    assert window.isVisible()
    assert not list(tmp_path.glob("*before-restore*"))
