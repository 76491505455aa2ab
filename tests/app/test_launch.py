"""Starting the app: a database that cannot be opened is explained, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox

import meterbook.store.database as database
from meterbook.app import launch
from meterbook.app.window import PAGES, MainWindow
from meterbook.importers.pipeline import import_files
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


# --- the demo, screenshots and headless runs --------------------------------------------------

DATA = Path(__file__).resolve().parents[1] / "data"


def _real_database(folder: Path) -> Path:
    path = folder / "real.db"
    with open_database(str(path)) as db:
        import_files(db, [DATA / "canonical" / "good.csv"])  # 5 records
    return path


def _records(db) -> int:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM usage_record").scalar()


def test_the_demo_opens_a_database_of_its_own_and_removes_it_on_exit(qtbot, tmp_path,
                                                                     monkeypatch):
    real = _real_database(tmp_path)
    before = real.read_bytes()
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    seen = {}

    def photograph(app, window, folder, **_options):  # what the pages were shown on
        seen.update(path=window.ctx.db.path, records=_records(window.ctx.db))
        window.close()
        return 0

    monkeypatch.setattr(launch, "screenshots", photograph)
    assert launch.run(str(real), demo=True, screenshot_dir=str(tmp_path / "shots")) == 0
    assert seen["path"].parent.name.startswith("meterbook-demo-")
    assert seen["path"].parent.parent == temp
    assert seen["records"] > 1000  # six months of demo usage, not real.db's 5 records
    assert real.read_bytes() == before
    assert list(temp.iterdir()) == []  # no demo folder (nor settings folder) left behind


def test_screenshots_leave_the_persons_page_geometry_and_recent_files_alone(qtbot, tmp_path):
    real = _real_database(tmp_path)
    person = QSettings()
    person.setValue("window/page", "plans")
    person.setValue("recent", ["/books/mine.db"])
    person.remove("window/geometry")
    try:
        assert launch.run(str(real), screenshot_dir=str(tmp_path / "shots")) == 0
        assert len(list((tmp_path / "shots").glob("*.png"))) == len(PAGES)  # one a page
        person.sync()
        assert person.value("window/page") == "plans"  # not the last page photographed
        assert person.value("recent", [], list) == ["/books/mine.db"]
        assert person.value("window/geometry") is None
    finally:
        person.clear()


def test_a_damaged_database_in_screenshot_mode_exits_1_without_a_dialog(
        qtbot, tmp_path, monkeypatch, capsys):
    real = _real_database(tmp_path)
    with real.open("r+b") as file:
        file.truncate(4096 * 2)

    def no_dialog(*args, **kwargs):
        raise AssertionError("a dialog would wait for a person who is not there")

    monkeypatch.setattr(QMessageBox, "warning", no_dialog)
    assert launch.run(str(real), screenshot_dir=str(tmp_path / "shots")) == 1
    assert f"{real} is damaged" in capsys.readouterr().err
    assert not list((tmp_path / "shots").glob("*.png"))


def test_an_unexpected_error_without_a_screen_goes_to_stderr(qtbot, monkeypatch, capsys):
    monkeypatch.setattr(QMessageBox, "critical", lambda *a: pytest.fail("dialog shown"))
    try:
        raise ValueError("something odd")
    except ValueError as exc:
        launch._excepthook(type(exc), exc, exc.__traceback__, headless=True)
    assert "something odd" in capsys.readouterr().err


# --- switching databases ----------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


def test_opening_another_database_replaces_the_window_and_closes_the_old_one(
        qtbot, tmp_path, monkeypatch, settings):
    first = launch.open_window(str(tmp_path / "first.db"), settings)
    qtbot.addWidget(first)
    first.show()
    second_path = _real_database(tmp_path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(second_path), ""))
    first.open_database()  # File > Open…
    [second] = [w for w in QApplication.topLevelWidgets()
                if isinstance(w, MainWindow) and w is not first and w.isVisible()]
    qtbot.addWidget(second)
    try:
        assert second.ctx.db.path == second_path and _records(second.ctx.db) == 5
        assert not first.isVisible() and first.ctx.is_closed
        assert settings.value("recent", [], list)[0] == str(second_path)
    finally:
        second.close()
        second.ctx.close()


def test_a_team_database_opens_by_its_url_and_its_password_is_shown_and_kept_nowhere(
        qtbot, tmp_path, monkeypatch, settings, pg_cluster):
    url = pg_cluster.url(pg_cluster.new_database())
    with open_database(url) as team:
        import_files(team, [DATA / "canonical" / "good.csv"])  # 5 records
    first = launch.open_window(str(tmp_path / "first.db"), settings)
    qtbot.addWidget(first)
    first.show()
    asked = []
    monkeypatch.setattr(QInputDialog, "getText",
                        lambda *a, **k: asked.append(a[1]) or (f" {url} ", True))
    [open_server] = [a for a in first.menuBar().actions()[0].menu().actions()
                     if a.text() == "Open database &server…"]
    open_server.trigger()  # File > Open database server…
    [second] = [w for w in QApplication.topLevelWidgets()
                if isinstance(w, MainWindow) and w is not first and w.isVisible()]
    qtbot.addWidget(second)
    try:
        assert asked == ["Open a database server"] and _records(second.ctx.db) == 5
        password = pg_cluster.password
        shown = [second.windowTitle(), second.db_label.text(),
                 second.pages["settings"].db_label.text()]
        assert all("meterbook_test:***@127.0.0.1" in text for text in shown), shown
        assert not any(password in text for text in shown)
        # Remembered without the password (PGPASSWORD or ~/.pgpass give it next time).
        remembered = settings.value("recent", [], list)[0]
        assert remembered == url.replace(f":{password}@", "@")
        settings.sync()
        assert password not in Path(settings.fileName()).read_text()
    finally:
        second.close()
        second.ctx.close()


def test_a_database_that_does_not_open_keeps_the_window_as_it_was(qtbot, tmp_path,
                                                                 monkeypatch, settings):
    window = launch.open_window(str(tmp_path / "first.db"), settings)
    qtbot.addWidget(window)
    window.show()
    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n" * 50)
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *a, **k: QMessageBox.StandardButton.Cancel)
    window.ctx.switch_database.emit(str(notes))  # as File > Open recent does
    try:
        assert window.isVisible() and not window.ctx.is_closed
        assert _records(window.ctx.db) == 0
    finally:
        window.close()
        window.ctx.close()


# --- a read-only database -----------------------------------------------------------------------


def test_a_read_only_database_is_shown_and_a_change_says_why_it_was_refused(
        qtbot, tmp_path, monkeypatch, settings):
    real = _real_database(tmp_path)
    monkeypatch.setattr(database, "_writable", lambda p: p != real)  # as if chmod a-w
    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    window = launch.open_window(str(real), settings)
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.windowTitle().endswith("real.db (read-only)")
        page = window.pages["settings"]
        window.show_page("settings")
        qtbot.waitUntil(lambda: page.currency_combo.currentText() == "USD", timeout=20_000)
        assert "read-only" in page.db_note.text() and not page.move_button.isEnabled()
        page.currency_combo.setCurrentText("EUR")
        page.save_currency()
        qtbot.waitUntil(lambda: bool(said), timeout=20_000)
        assert f"{real} is read-only" in said[0] and "Traceback" not in said[0]
        assert window.ctx.home_currency() == "USD"
    finally:
        window.close()
        window.ctx.close()
