"""The Imports page used as a person would: files dropped on the main window, the column-mapping
dialog, refused lines, Undo, Cancel, and closing the window during an import."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QToolBar

from meterbook.core.records import from_epoch_us
from meterbook.importers import pipeline
from meterbook.importers.mapping_profiles import list_profiles, load_profile
from meterbook.store.settings import set_home_currency, set_report_timezone

DATA = Path(__file__).resolve().parents[1] / "data"
WAIT = 20_000  # ms


def drop(window, *paths: Path) -> None:
    """Drag files over the window's sidebar and drop them, as a file manager would: the events
    go to the native window, and Qt finds the widget that takes drops there (the window)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    where = window.sidebar.mapTo(window, QPoint(20, 20))
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(where, *args)
    QApplication.sendEvent(window.windowHandle(), enter)
    assert enter.isAccepted()
    dropped = QDropEvent(QPointF(where), *args)
    QApplication.sendEvent(window.windowHandle(), dropped)
    assert dropped.isAccepted()


def settled(page) -> bool:
    return not page._busy


def records(db) -> list[tuple]:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("""
            SELECT m.vendor, m.model, r.input_tokens, r.output_tokens
            FROM usage_record r JOIN meter m ON m.id = r.meter_id ORDER BY r.id""").fetchall()


def history(page) -> list[list[str]]:
    table = page.history
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def import_and_wait(qtbot, window, *paths: Path):
    page = window.pages["imports"]
    before = page.history.rowCount()
    drop(window, *paths)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() != before, timeout=WAIT)
    return page


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_canonical_csv_dropped_on_the_window_is_imported_and_listed(qtbot, window, db):
    page = import_and_wait(qtbot, window, DATA / "canonical" / "good.csv")
    assert window.current_page() is page
    assert "Meterbook usage CSV" in page.preview_label.text()
    assert page.preview.rowCount() == 5  # the first lines, shown before the import
    assert "Imported 5 records" in page.headline.text()
    [row] = history(page)
    assert row[2] == "good.csv" and row[3] == "canonical" and row[5] == "5"
    assert len(records(db)) == 5


def test_several_files_dropped_together_are_one_import(qtbot, window, db):
    page = import_and_wait(qtbot, window, DATA / "canonical" / "good.csv",
                           DATA / "canonical" / "bom_shuffled.csv")
    [row] = history(page)
    assert row[2] == "good.csv, bom_shuffled.csv"
    assert len(records(db)) == 7


def test_bad_lines_are_listed_and_nothing_is_added_until_asked(qtbot, window, db, tmp_path):
    bad = write_csv(tmp_path / "march.csv", [
        "timestamp,vendor,model,input_tokens",
        "2026-03-01T00:00:00Z,openai,gpt-4o,10",
        "2026-03-01T00:00:01Z,openai,gpt-4o,-5",
        "2026-03-01T00:00:02Z,openai,gpt-4o,20",
        "2026-03-01T00:00:03Z,openai,gpt-4o,abc",
    ])
    page = window.pages["imports"]
    drop(window, bad)
    qtbot.waitUntil(lambda: settled(page) and page.refused_box.isVisible(), timeout=WAIT)
    table = page.refused_table
    lines = [table.item(r, 1).text() for r in range(table.rowCount())]
    assert lines == ["3", "5"]
    assert table.item(0, 2).text() == "input_tokens"
    assert "Nothing was imported" in page.headline.text()
    assert "import the 2 valid lines now" in page.headline.text()  # lines 2 and 4
    assert records(db) == [] and page.history.rowCount() == 0

    assert page.valid_button.isVisible()
    qtbot.mouseClick(page.valid_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 1, timeout=WAIT)
    assert [r[2] for r in records(db)] == [10, 20]
    assert history(page)[0][7] == "2"  # the refused lines are kept with the import
    assert not page.valid_button.isVisible()  # done: no second import of the same lines


def test_a_file_that_cannot_be_imported_says_why_and_changes_nothing(qtbot, window, db,
                                                                    tmp_path):
    odd = tmp_path / "notes.json"
    odd.write_text('{"hello": "world"}', encoding="utf-8")
    page = window.pages["imports"]
    drop(window, DATA / "canonical" / "good.csv", odd)  # one bad file stops the whole drop
    qtbot.waitUntil(lambda: settled(page) and page.refused_box.isVisible(), timeout=WAIT)
    assert "notes.json cannot be imported" in page.headline.text()
    assert page.refused_table.item(0, 0).text() == "notes.json"
    assert "JSON" in page.refused_table.item(0, 3).text()
    assert not page.valid_button.isVisible()
    assert records(db) == []


def test_an_unknown_csv_is_mapped_in_the_dialog_and_the_mapping_saved(qtbot, window, db,
                                                                     tmp_path):
    header = "Day,Which,In,Out,Note"
    first = write_csv(tmp_path / "acme_2026-03.csv", [
        header, "2026-03-01,large-2,100,20,x", "2026-03-02,large-2,300,40,y"])
    page = window.pages["imports"]
    drop(window, first)
    qtbot.waitUntil(lambda: page.mapping_dialog is not None, timeout=WAIT)
    dialog = page.mapping_dialog
    assert "not a format Meterbook knows" in page.preview_label.text()
    assert dialog.field_combo("Day").currentData() == "timestamp"  # guessed from the name
    assert not dialog.import_button.isEnabled()  # no model, no vendor yet
    for column, field in (("Which", "model"), ("In", "input_tokens"), ("Out", "output_tokens")):
        combo = dialog.field_combo(column)
        combo.setCurrentIndex(combo.findData(field))
    dialog.vendor_edit.setCurrentText("mistral")
    assert dialog.save_check.isChecked()
    dialog.save_name.setText("acme")
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 1, timeout=WAIT)
    assert records(db) == [("mistral", "large-2", 100, 20), ("mistral", "large-2", 300, 40)]
    assert history(page)[0][3] == "acme"
    with db.engine.connect() as conn:
        assert list_profiles(conn) == ["acme"]
        saved = load_profile(conn, "acme")
    assert saved.columns == {"Day": "timestamp", "Which": "model", "In": "input_tokens",
                             "Out": "output_tokens"}

    # Next month's file of the same shape: the saved mapping is offered, one click imports it.
    second = write_csv(tmp_path / "acme_2026-04.csv", [header, "2026-04-01,small-1,5,6,z"])
    drop(window, second)
    qtbot.waitUntil(lambda: page.mapping_dialog is not None, timeout=WAIT)
    dialog = page.mapping_dialog
    assert dialog.start_combo.currentData() == "acme"
    assert dialog.field_combo("Which").currentData() == "model"
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 2, timeout=WAIT)
    assert records(db)[-1] == ("mistral", "small-1", 5, 6)


def test_a_known_and_a_mapped_file_dropped_together_are_one_import(qtbot, window, db,
                                                                  tmp_path):
    mapped = write_csv(tmp_path / "other.csv", ["When,Model,Vendor", "2026-03-05,m1,acme"])
    page = window.pages["imports"]
    drop(window, DATA / "canonical" / "good.csv", mapped)
    qtbot.waitUntil(lambda: page.mapping_dialog is not None, timeout=WAIT)
    dialog = page.mapping_dialog
    assert dialog.field_combo("Vendor").currentData() == "vendor"  # guessed from the names
    when = dialog.field_combo("When")
    when.setCurrentIndex(when.findData("timestamp"))
    dialog.save_check.setChecked(False)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 1, timeout=WAIT)
    assert len(records(db)) == 6
    assert history(page)[0][3] == "canonical,column mapping"
    with db.engine.connect() as conn:
        assert list_profiles(conn) == []


def test_files_of_one_unknown_shape_are_mapped_once(qtbot, window, db, tmp_path):
    header = "Created,Model,Vendor"
    files = [write_csv(tmp_path / f"log{n}.csv", [header, f"2026-03-0{n},m{n},acme"])
             for n in (1, 2)]
    page = window.pages["imports"]
    drop(window, *files)
    qtbot.waitUntil(lambda: page.mapping_dialog is not None, timeout=WAIT)
    assert page.file_list.count() == 2
    qtbot.mouseClick(page.mapping_dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 1, timeout=WAIT)
    assert page.mapping_dialog is None
    assert [r[1] for r in records(db)] == ["m1", "m2"]


def test_cancelling_the_mapping_imports_nothing(qtbot, window, db, tmp_path):
    unknown = write_csv(tmp_path / "x.csv", ["A,B", "1,2"])
    page = window.pages["imports"]
    drop(window, unknown)
    qtbot.waitUntil(lambda: page.mapping_dialog is not None, timeout=WAIT)
    page.mapping_dialog.reject()
    qtbot.waitUntil(lambda: settled(page), timeout=WAIT)
    assert "columns were not mapped" in page.headline.text()
    assert records(db) == []


def test_undo_removes_the_imported_records(qtbot, window, db, monkeypatch):
    page = import_and_wait(qtbot, window, DATA / "canonical" / "good.csv")
    assert len(records(db)) == 5
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kw: asked.append(args) or QMessageBox.StandardButton.Yes)
    page.history.selectRow(0)
    assert page.undo_button.isEnabled()
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 0, timeout=WAIT)
    assert asked and records(db) == []


def _big_csv(path: Path, lines: int = 50_000) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write("timestamp,vendor,model,request_id,input_tokens,output_tokens\n")
        for n in range(lines):
            f.write(f"2026-03-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z,"
                    f"openai,gpt-4o-mini,req-{n},{n % 997},{n % 101}\n")
    return path


def _hold_writer(window) -> threading.Event:
    """Keep the one writer busy (as another long job would) until the event is set, so that
    Cancel is sure to come while the import is under way, not after it."""
    gate = threading.Event()
    window.ctx.tasks.write("another job", lambda _p, _c: gate.wait(30))
    return gate


def test_cancel_leaves_the_database_unchanged(qtbot, window, db, tmp_path):
    big = _big_csv(tmp_path / "big.csv")
    page = window.pages["imports"]
    gate = _hold_writer(window)
    drop(window, big)
    qtbot.waitUntil(lambda: page.task is not None, timeout=WAIT)
    assert page.progress_box.isVisible() and page.cancel_button.isEnabled()
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(lambda: settled(page), timeout=WAIT)
    assert "Import cancelled" in page.headline.text()
    assert records(db) == [] and page.history.rowCount() == 0


def test_a_big_import_reports_progress_and_keeps_the_window_responsive(qtbot, window, db,
                                                                      tmp_path):
    big = _big_csv(tmp_path / "big.csv")
    page = window.pages["imports"]
    seen = []
    page.progress.valueChanged.connect(seen.append)
    page = import_and_wait(qtbot, window, big)
    assert any(0 < value < 1000 for value in seen)  # the bar moved while the lines were read
    assert "Imported 50,000 records" in page.headline.text()


def test_closing_the_window_during_an_import_cancels_it(qtbot, window, db, tmp_path):
    big = _big_csv(tmp_path / "big.csv")
    page = window.pages["imports"]
    gate = _hold_writer(window)
    drop(window, big)
    qtbot.waitUntil(lambda: page.task is not None, timeout=WAIT)
    threading.Timer(0.2, gate.set).start()  # the other job ends while the window closes
    window.close()  # cancels the import and waits for the writer to roll it back
    assert page.task.cancelled and page.task.done.is_set()
    assert records(db) == []
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM import_batch").scalar() == 0


# --- every way into an import opens the file dialog ---------------------------------------------


def _ask_for(monkeypatch, path: Path) -> list[tuple]:
    """Answer the file dialog with `path`, as a person choosing that file would; the calls are
    recorded (the parent, the title...)."""
    asked: list[tuple] = []

    def choose(*args, **kwargs):
        asked.append(args)
        return [str(path)], "Usage exports (*.csv *.tsv *.txt *.json)"

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", choose)
    return asked


def _imported_through_the_dialog(qtbot, window, db, asked) -> None:
    page = window.pages["imports"]
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 1, timeout=WAIT)
    assert len(asked) == 1  # one dialog, not none (the bug) and not two
    assert window.current_page() is page
    assert len(records(db)) == 5  # good.csv holds 5 records


def test_the_toolbar_button_asks_for_files_and_imports_them(qtbot, window, db, monkeypatch):
    asked = _ask_for(monkeypatch, DATA / "canonical" / "good.csv")
    toolbar = window.findChild(QToolBar, "main-toolbar")
    button = toolbar.widgetForAction(window.import_action)
    assert button.text() == "Import usage"  # Qt drops the ellipsis on a tool button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    _imported_through_the_dialog(qtbot, window, db, asked)


def test_file_import_usage_asks_for_files_and_imports_them(qtbot, window, db, monkeypatch):
    asked = _ask_for(monkeypatch, DATA / "canonical" / "good.csv")
    [file_menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&File"]
    [item] = [a for a in file_menu.actions() if a.text() == "&Import usage…"]
    item.trigger()  # what a click on the menu item does
    _imported_through_the_dialog(qtbot, window, db, asked)


def test_ctrl_o_asks_for_files_and_imports_them(qtbot, window, db, monkeypatch):
    asked = _ask_for(monkeypatch, DATA / "canonical" / "good.csv")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    qtbot.keyClick(window.sidebar, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    _imported_through_the_dialog(qtbot, window, db, asked)


def test_the_pages_own_button_asks_for_files_and_imports_them(qtbot, window, db, monkeypatch):
    asked = _ask_for(monkeypatch, DATA / "canonical" / "good.csv")
    window.show_page("imports")
    qtbot.mouseClick(window.pages["imports"].choose_button, Qt.MouseButton.LeftButton)
    _imported_through_the_dialog(qtbot, window, db, asked)


def test_a_dialog_closed_without_files_imports_nothing(qtbot, window, db, monkeypatch):
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        lambda *args: asked.append(args) or ([], ""))
    window.import_action.trigger()
    page = window.pages["imports"]
    assert len(asked) == 1 and settled(page)
    assert page.stack.currentIndex() == 0  # still the drop zone: nothing started
    assert records(db) == []


# --- what came in, and the month it came in -----------------------------------------------------

REAL = Path(__file__).resolve().parents[3] / "shared" / "real-exports"
COST_EXPORT = REAL / "anthropic" / "claude_api_cost_2026_02_08_to_2026_02_15.csv"


@pytest.mark.skipif(not COST_EXPORT.is_file(), reason="../shared/real-exports is absent")
def test_the_message_says_what_came_in_and_offers_that_month(qtbot, window, db, british):
    page = window.pages["imports"]
    shown = []
    window.ctx.month_selected.connect(shown.append)
    drop(window, COST_EXPORT)
    qtbot.waitUntil(lambda: page.month_button.isVisible(), timeout=WAIT)
    # 24 billed lines of February 2026 summing to $19.97, as `meterbook cost` says.
    assert "Imported 24 records, February 2026, $19.97</b> as import #1" in page.headline.text()
    assert page.month_button.text() == "Show February 2026"
    qtbot.mouseClick(page.month_button, Qt.MouseButton.LeftButton)
    assert shown == [date(2026, 2, 1)]
    assert window.current_page() is window.pages["dashboard"]


def test_an_import_over_months_names_them_and_offers_the_latest(qtbot, window, db, tmp_path,
                                                               british):
    usage = write_csv(tmp_path / "q1.csv", [
        "timestamp,vendor,model,billed_cost,currency",
        "2026-01-10T12:00:00Z,acme,m1,1.25,EUR",
        "2026-03-20T12:00:00Z,acme,m1,2.50,EUR",
        "2026-03-21T12:00:00Z,acme,m2,,",
    ])
    with db.session() as session:  # months in UTC, whatever the computer's zone
        set_report_timezone(session, name="UTC")
        session.commit()
    page = window.pages["imports"]
    drop(window, usage)
    qtbot.waitUntil(lambda: page.month_button.isVisible(), timeout=WAIT)
    # 1.25 + 2.50 = 3.75 euros billed; the m2 line has no bill and no plan: unpriced.
    assert ("Imported 3 records, January – March 2026, €3.75, 1 request unpriced"
            in page.headline.text())
    assert page.month_button.text() == "Show March 2026"


def test_lines_dated_after_the_import_are_named_and_listed(qtbot, window, db, tmp_path,
                                                          monkeypatch, british):
    # The import runs "now" = 10 March 2026 12:00 UTC, whatever the machine's clock says.
    monkeypatch.setattr(pipeline, "clock", lambda: datetime(2026, 3, 10, 12, tzinfo=UTC))
    usage = write_csv(tmp_path / "march.csv", [
        "timestamp,vendor,model,input_tokens",
        "2026-03-10T12:00:00Z,openai,gpt-4o,1",
        "2026-03-11T12:00:00Z,openai,gpt-4o,2",  # a day after: not more, no warning
        "2026-03-11T12:00:01Z,openai,gpt-4o,3",  # line 4: a second more than a day
        "2027-01-01T00:00:00+02:00,openai,gpt-4o,4",  # line 5: the next year
    ])
    page = window.pages["imports"]
    drop(window, usage)
    qtbot.waitUntil(lambda: page.month_button.isVisible(), timeout=WAIT)
    text = page.headline.text()
    assert "Imported 4 records" in text  # imported all the same
    assert "2 lines are dated more than a day after the import: check their dates" in text
    assert page.checked_box.isVisible() and page.checked_box.title() == "Lines to check (2)"
    table = page.checked_table
    assert [table.item(r, 1).text() for r in range(table.rowCount())] == ["4", "5"]
    assert table.item(1, 2).text().startswith("dated 2026-12-31 22:00 UTC")
    assert not page.refused_box.isVisible()

    # The next import, of dates in the past, has nothing to check: the list goes.
    drop(window, DATA / "canonical" / "good.csv")
    qtbot.waitUntil(lambda: settled(page) and "Imported 5" in page.headline.text(),
                    timeout=WAIT)
    assert "check their dates" not in page.headline.text()
    assert not page.checked_box.isVisible()


def test_empty_lines_are_not_counted_as_already_imported(qtbot, window, db):
    # 8 data lines: 6 charges and 2 empty days (lines 2 and 9, blank amounts).
    export = DATA / "openai" / "cost_2026-03-01_2026-03-04.csv"
    page = import_and_wait(qtbot, window, export)
    qtbot.waitUntil(lambda: "Imported 6 records" in page.headline.text(), timeout=WAIT)
    assert "2 lines carry nothing to import" in page.headline.text()
    drop(window, export)  # again: the 6 charges are there, the 2 empty days never were
    qtbot.waitUntil(lambda: settled(page) and "Nothing new" in page.headline.text(),
                    timeout=WAIT)
    assert page.headline.text().endswith(
        "<b>Nothing new.</b> The 6 lines read are already in the database, so nothing was "
        "added. 2 lines carry nothing to import (days with no usage).</p>")


# --- undo ----------------------------------------------------------------------------------------


def test_after_undo_the_page_no_longer_tells_of_the_import(qtbot, window, db, monkeypatch):
    page = import_and_wait(qtbot, window, DATA / "canonical" / "good.csv")
    qtbot.waitUntil(lambda: page.month_button.isVisible(), timeout=WAIT)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kw: QMessageBox.StandardButton.Yes)
    page.history.selectRow(0)
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 0, timeout=WAIT)
    assert "Imported" not in page.headline.text()
    assert "Import #1 undone: 5 records removed." in page.headline.text()
    assert page.history_note.text() == "No imports yet."
    assert not page.month_button.isVisible()  # the month it offered may hold nothing now


def test_after_undo_the_selection_does_not_move_to_the_next_import(qtbot, window, db,
                                                                   monkeypatch, tmp_path):
    import_and_wait(qtbot, window, DATA / "canonical" / "good.csv")
    other = write_csv(tmp_path / "other.csv", [
        "timestamp,vendor,model,input_tokens", "2026-03-01T00:00:00Z,openai,gpt-4o,10"])
    page = import_and_wait(qtbot, window, other)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kw: QMessageBox.StandardButton.Yes)
    page.history.selectRow(0)  # the newest: #2
    assert history(page)[0][0] == "2" and page.undo_button.isEnabled()
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 1, timeout=WAIT)
    assert history(page)[0][0] == "1"
    assert page.selected_batch() is None  # #1 is not selected in #2's place...
    assert not page.undo_button.isEnabled()  # ...so one more click undoes nothing
    assert len(records(db)) == 5  # good.csv's records are all there


# --- a German-style file through the mapping dialog ----------------------------------------------

SHOP_LINES = ["Datum;Dienst;Anfragen;Kosten",
              "03.02.2026;translate-pro;12;1,50",
              "28.02.2026;translate-pro;3;0,25"]


def stored(db) -> list[tuple]:
    """(UTC day, requests, billed nano-units, currency) of each record, in import order."""
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("""
            SELECT r.timestamp_us, r.requests, r.billed_nano, r.currency
            FROM usage_record r ORDER BY r.id""").fetchall()
    return [(f"{from_epoch_us(us):%Y-%m-%d}", *rest) for us, *rest in rows]


def test_a_german_file_keeps_its_euros_requests_and_date_order(qtbot, window, db, tmp_path):
    with db.session() as session:
        set_home_currency(session, code="USD")  # the file's euros must not become dollars
        session.commit()
    page = window.pages["imports"]
    drop(window, write_csv(tmp_path / "shop_2026-02.csv", SHOP_LINES))
    qtbot.waitUntil(lambda: page.mapping_dialog is not None, timeout=WAIT)
    dialog = page.mapping_dialog
    assert dialog.field_combo("Anfragen").currentData() == "requests"
    assert dialog.field_combo("Dienst").currentData() == "model"
    assert dialog.decimal_comma.isChecked()
    qtbot.keyClicks(dialog.vendor_edit.lineEdit(), "deepl")
    dialog.currency_edit.setCurrentText("EUR")  # as a person picks it from the list
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.month_button.isVisible(), timeout=WAIT)
    # 12 and 3 requests; 1,50 and 0,25 euros (in nano-euros); 28.02 is day first.
    assert stored(db) == [("2026-02-03", 12, 1_500_000_000, "EUR"),
                          ("2026-02-28", 3, 250_000_000, "EUR")]
    with db.engine.connect() as conn:
        saved = load_profile(conn, "shop")
    assert (saved.date_format, saved.currency, saved.decimal_comma, saved.vendor) == (
        "DD/MM/YYYY", "EUR", True, "deepl")

    # March: every day is 12 or less. The saved mapping answers every question.
    drop(window, write_csv(tmp_path / "shop_2026-03.csv", [
        SHOP_LINES[0], "02.03.2026;translate-pro;4;0,40", "11.03.2026;translate-pro;1;0,10"]))
    qtbot.waitUntil(lambda: page.mapping_dialog is not None, timeout=WAIT)
    dialog = page.mapping_dialog
    assert dialog.start_combo.currentData() == "shop"
    assert dialog.date_combo.currentData() == "DD/MM/YYYY"
    assert dialog.currency_edit.currentText() == "EUR"
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 2, timeout=WAIT)
    assert stored(db)[2:] == [("2026-03-02", 4, 400_000_000, "EUR"),
                              ("2026-03-11", 1, 100_000_000, "EUR")]


# --- "Map the columns…" on any refused file ------------------------------------------------------


def test_a_refused_mapped_file_goes_back_to_the_dialog(qtbot, window, db, tmp_path):
    page = window.pages["imports"]
    drop(window, write_csv(tmp_path / "shop_2026-02.csv", SHOP_LINES))
    qtbot.waitUntil(lambda: page.mapping_dialog is not None, timeout=WAIT)
    dialog = page.mapping_dialog
    qtbot.keyClicks(dialog.vendor_edit.lineEdit(), "deepl")
    dialog.decimal_comma.setChecked(False)  # a slip: "1,50" is then refused
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.refused_box.isVisible(), timeout=WAIT)
    assert "decimal comma" in page.refused_table.item(0, 3).text()
    assert "map its columns by hand" in page.headline.text()
    assert "valid lines" not in page.headline.text()  # both lines were refused: none to offer
    assert page.map_button.isVisible() and not page.valid_button.isVisible()
    qtbot.mouseClick(page.map_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.mapping_dialog is not None, timeout=WAIT)
    dialog = page.mapping_dialog
    assert "shop_2026-02.csv</b> was refused" in dialog.intro.text()
    assert dialog.vendor_edit.currentText() == "deepl"  # the choices made before, to correct
    assert not dialog.decimal_comma.isChecked()
    dialog.decimal_comma.setChecked(True)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 1, timeout=WAIT)
    assert [row[2] for row in stored(db)] == [1_500_000_000, 250_000_000]


def test_a_refused_known_file_can_be_mapped_by_hand(qtbot, window, db, tmp_path):
    # A canonical CSV whose one line says "12 tokens" where a number goes: refused whole.
    odd = write_csv(tmp_path / "usage.csv", ["timestamp,vendor,model,input_tokens",
                                             "2026-03-01T00:00:00Z,openai,gpt-4o,12 tokens"])
    page = window.pages["imports"]
    drop(window, odd)
    qtbot.waitUntil(lambda: settled(page) and page.refused_box.isVisible(), timeout=WAIT)
    assert page.map_button.isVisible()
    qtbot.mouseClick(page.map_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.mapping_dialog is not None, timeout=WAIT)
    dialog = page.mapping_dialog
    assert dialog.field_combo("model").currentData() == "model"  # guessed from the names
    tokens = dialog.field_combo("input_tokens")
    tokens.setCurrentIndex(0)  # leave the tokens out
    dialog.save_check.setChecked(False)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 1, timeout=WAIT)
    assert records(db) == [("openai", "gpt-4o", 0, 0)]


def test_a_file_with_no_columns_offers_no_mapping(qtbot, window, db, tmp_path):
    odd = tmp_path / "notes.json"
    odd.write_text('{"hello": "world"}', encoding="utf-8")
    page = window.pages["imports"]
    drop(window, DATA / "canonical" / "good.csv", odd)
    qtbot.waitUntil(lambda: settled(page) and page.refused_box.isVisible(), timeout=WAIT)
    assert not page.map_button.isVisible()  # JSON has no columns; good.csv was not refused


def test_tab_goes_from_the_history_to_undo(qtbot, window, db, monkeypatch):
    page = import_and_wait(qtbot, window, DATA / "canonical" / "good.csv")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    page.history.setFocus()
    qtbot.keyClick(page.history, Qt.Key.Key_Space)  # a key chooses an import...
    assert page.selected_batch() == 1
    qtbot.keyClick(page.history, Qt.Key.Key_Tab)  # ...and Tab leaves the table, forwards
    assert QApplication.focusWidget() is page.undo_button
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kw: QMessageBox.StandardButton.Yes)
    qtbot.keyClick(page.undo_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: settled(page) and page.history.rowCount() == 0, timeout=WAIT)
    assert records(db) == []
