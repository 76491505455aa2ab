"""The Settings page used as a person would: home currency, time zone, exchange rates, and
copies of the database file (Back up, Move)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from meterbook.app.launch import handle_switches
from meterbook.app.pages.rate_dialogs import MissingRatesDialog
from meterbook.app.window import MainWindow
from meterbook.importers.pipeline import import_files
from meterbook.store import settings as store
from meterbook.store.database import open_database

DATA = Path(__file__).resolve().parents[1] / "data"
WAIT = 20_000  # ms


@pytest.fixture
def window(window):
    window.show_page("settings")
    return window


@pytest.fixture
def page(window, qtbot):
    page = window.pages["settings"]
    qtbot.waitUntil(lambda: page.currency_combo.currentText() == "USD", timeout=WAIT)
    return page


def saved(db):
    with db.session() as session:
        return store.home_currency(session), store.report_timezone(session), \
            store.list_rates(session)


def type_into(qtbot, line_edit, text: str) -> None:
    line_edit.setFocus()
    line_edit.selectAll()
    qtbot.keyClicks(line_edit, text)
    qtbot.keyClick(line_edit, Qt.Key.Key_Return)


def test_the_home_currency_is_saved(qtbot, page, db):
    type_into(qtbot, page.currency_combo.lineEdit(), "eur")
    qtbot.waitUntil(lambda: saved(db)[0] == "EUR", timeout=WAIT)
    qtbot.waitUntil(lambda: page.rates_table.horizontalHeaderItem(2).text()
                    == "Rate (in EUR)", timeout=WAIT)


def test_a_code_that_is_not_a_currency_is_refused(qtbot, page, db):
    type_into(qtbot, page.currency_combo.lineEdit(), "E1")
    assert "not a currency code" in page.money_problem.text()
    qtbot.wait(100)
    assert saved(db)[0] == "USD"


def test_the_report_time_zone_is_saved(qtbot, page, db):
    type_into(qtbot, page.tz_combo.lineEdit(), "europe/paris")
    qtbot.waitUntil(lambda: saved(db)[1] == "Europe/Paris", timeout=WAIT)
    type_into(qtbot, page.tz_combo.lineEdit(), "Mars/Olympus")
    assert "unknown time zone" in page.money_problem.text()
    assert saved(db)[1] == "Europe/Paris"


def test_a_rate_is_added_edited_and_deleted(qtbot, page, db, monkeypatch):
    qtbot.mouseClick(page.add_rate_button, Qt.MouseButton.LeftButton)
    dialog = page.rate_dialog
    dialog.currency.setCurrentText("eur")
    dialog.month.setText("2026-03")
    dialog.rate.setText("1,08")  # a typo a person makes: refused, not read as 108
    assert not dialog.save_button.isEnabled()
    dialog.rate.setText("1.0842")
    assert dialog.save_button.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: saved(db)[2] == [("EUR", "2026-03", Decimal("1.0842"))],
                    timeout=WAIT)
    qtbot.waitUntil(lambda: page.rates_table.rowCount() == 1, timeout=WAIT)
    assert [page.rates_table.item(0, c).text() for c in range(3)] == ["EUR", "2026-03",
                                                                      "1.0842"]

    page.rates_table.selectRow(0)
    qtbot.mouseClick(page.edit_rate_button, Qt.MouseButton.LeftButton)
    page.rate_dialog.rate.setText("1.09")
    page.rate_dialog.accept()
    qtbot.waitUntil(lambda: saved(db)[2] == [("EUR", "2026-03", Decimal("1.09"))],
                    timeout=WAIT)

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: page.rates_table.item(0, 2).text() == "1.09", timeout=WAIT)
    page.rates_table.selectRow(0)
    qtbot.mouseClick(page.delete_rate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: saved(db)[2] == [], timeout=WAIT)


def test_rates_are_imported_from_a_csv_all_or_nothing(qtbot, page, db, tmp_path,
                                                      monkeypatch):
    bad = tmp_path / "bad.csv"
    bad.write_text("currency,month,rate\nEUR,2026-03,1.08\nGBP,2026-13,1.2\n")
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    qtbot.mouseClick(page.import_rates_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(warnings), timeout=WAIT)
    assert "bad.csv:3" in warnings[0]
    assert saved(db)[2] == []

    good = tmp_path / "rates.csv"
    good.write_text("currency,month,rate\nEUR,2026-03,1.08\nGBP,2026-03,1.27\n")
    page.import_rates(str(good))
    qtbot.waitUntil(lambda: page.rates_table.rowCount() == 2, timeout=WAIT)
    assert [r[0] for r in saved(db)[2]] == ["EUR", "GBP"]


def test_the_toolbar_backs_up_the_database_to_a_file_that_opens(qtbot, window, page, db,
                                                                tmp_path, monkeypatch):
    if db.path is None:
        pytest.skip("copies of a SQLite file (a server's database is backed up by the server)")
    import_files(db, [DATA / "canonical" / "good.csv"])
    target = tmp_path / "copies" / "backup.db"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: "Backed up" in page.db_note.text(), timeout=WAIT)
    assert not target.with_name("backup.db.part").exists()
    with open_database(str(target)) as copy, copy.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM usage_record").scalar() == 5


def test_moving_the_database_reopens_it_in_its_new_place(qtbot, window, page, db, tmp_path,
                                                         monkeypatch):
    if db.path is None:
        pytest.skip("copies of a SQLite file (a server's database is backed up by the server)")
    import_files(db, [DATA / "canonical" / "good.csv"])
    old = db.path
    target = tmp_path / "elsewhere" / "books.db"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    handle_switches(window)  # as launch.py does for every window it opens
    qtbot.mouseClick(page.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not old.exists(), timeout=WAIT)
    [moved] = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, MainWindow) and w is not window and w.isVisible()]
    qtbot.addWidget(moved)
    try:
        assert moved.ctx.db.path == target
        with moved.ctx.db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM usage_record").scalar() == 5
        assert not window.isVisible()
    finally:
        moved.close()
        moved.ctx.db.close()


def import_usd_bills(db, tmp_path, *bills: tuple[str, str]) -> None:
    """A vendor's cost export (Anthropic's) of the bills (day, amount in USD), no plan."""
    lines = [f"{day},Claude Haiku 4.5,Default,k,message,≤ 200k,output,{usd},token,x,"
             for day, usd in bills]
    (tmp_path / "cost.csv").write_text(
        "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,"
        "cost_usd,cost_type,inference_geo,speed\n" + "\n".join(lines) + "\n",
        encoding="utf-8")
    import_files(db, [tmp_path / "cost.csv"])


def test_the_note_on_no_rates_gives_way_to_the_missing_rates(qtbot, page, db, tmp_path):
    # Nothing in another currency yet: no rate is needed, and the page says so.
    qtbot.waitUntil(lambda: "No rates yet" in page.rates_note.text(), timeout=WAIT)
    import_usd_bills(db, tmp_path, ("2026-02-12", "0.50"))
    # A bill in USD, a home currency of EUR: a rate is needed, whatever the note said before.
    type_into(qtbot, page.currency_combo.lineEdit(), "EUR")
    qtbot.waitUntil(lambda: page.add_missing_button.isVisible()
                    and page.rates_table.horizontalHeaderItem(2).text() == "Rate (in EUR)",
                    timeout=WAIT)
    qtbot.wait(100)  # both reads (settings, missing rates) are in, in whichever order
    assert page.missing_note.text() == "No exchange rate into EUR for USD in February 2026."
    assert "No rates yet" not in page.rates_note.text()
    assert "needed only" not in page.rates_note.text()


def test_switching_to_euros_lists_every_missing_rate_and_adds_them_at_once(
        qtbot, page, db, tmp_path):
    # A vendor's cost export with bills in USD in February and April 2026 (no plan): in EUR,
    # each of the two months needs a USD rate.
    import_usd_bills(db, tmp_path, ("2026-02-12", "0.50"), ("2026-04-12", "1.50"))
    type_into(qtbot, page.currency_combo.lineEdit(), "EUR")
    qtbot.waitUntil(page.add_missing_button.isVisible, timeout=WAIT)
    # Both months at once, never one at a time.
    assert page.missing_note.text() == (
        "No exchange rate into EUR for USD in February 2026, in April 2026.")
    qtbot.mouseClick(page.add_missing_button, Qt.MouseButton.LeftButton)
    dialog = page.window().findChild(MissingRatesDialog)
    assert dialog.pairs == [("USD", "2026-02"), ("USD", "2026-04")]
    dialog.fields[0].setText("0.92")
    dialog.fields[1].setText("0.91")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(saved(db)[2]) == 2, timeout=WAIT)
    qtbot.waitUntil(page.add_missing_button.isHidden, timeout=WAIT)
    assert [(c, m, str(r)) for c, m, r in saved(db)[2]] == [
        ("USD", "2026-02", "0.92"), ("USD", "2026-04", "0.91")]
