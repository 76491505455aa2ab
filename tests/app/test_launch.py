"""Starting the app: a database that cannot be opened is explained, never a traceback."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox

from meterbook.app import launch
from meterbook.store.database import open_database


def test_a_file_that_is_not_a_database_is_explained_and_another_can_be_opened(
        qtbot, tmp_path, monkeypatch):
    broken = tmp_path / "notes.db"
    broken.write_text("these are my notes, not a database\n" * 50)
    good = tmp_path / "good.db"
    open_database(str(good)).close()
    said = []

    def warning(parent, title, text, buttons):
        said.append(text)
        return QMessageBox.StandardButton.Open

    monkeypatch.setattr(QMessageBox, "warning", warning)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(good), ""))
    window = launch.open_window(str(broken))
    qtbot.addWidget(window)
    assert "is not a Meterbook database" in said[0] and "backups" in said[0]
    assert window.ctx.db.path == good
    assert broken.read_text().startswith("these are my notes")  # left as it was


def test_giving_up_on_a_broken_database_closes_quietly(qtbot, tmp_path, monkeypatch):
    broken = tmp_path / "notes.db"
    broken.write_text("not a database\n" * 50)
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *a, **k: QMessageBox.StandardButton.Cancel)
    assert launch.open_window(str(broken)) is None


def test_an_unexpected_error_is_logged_and_summarised(qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    try:
        raise ValueError("something odd")
    except ValueError as exc:
        launch._excepthook(type(exc), exc, exc.__traceback__)
    from meterbook.logs import log_path

    assert "something odd" in shown[0] and str(log_path()) in shown[0]
    assert "ValueError: something odd" in log_path().read_text()
