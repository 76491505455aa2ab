"""The Settings page's report settings, used as a person would: the company name printed on
reports and the PDF's paper."""

from __future__ import annotations

from PySide6.QtCore import Qt

from meterbook.store import settings as store

WAIT = 20_000  # ms


def saved(db) -> tuple[str | None, str]:
    with db.engine.connect() as conn:
        return store.company_name(conn), store.paper_size(conn)


def test_company_name_and_paper_are_saved(qtbot, window, db):
    window.show_page("settings")
    page = window.pages["settings"]
    qtbot.waitUntil(lambda: page.currency_combo.currentText() == "USD", timeout=WAIT)
    page.company_edit.setFocus()
    qtbot.keyClicks(page.company_edit, "  Dupont &   Fils ")
    qtbot.keyClick(page.company_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: saved(db)[0] == "Dupont & Fils", timeout=WAIT)  # spaces tidied
    letter = page.paper_combo.findData("letter")
    page.paper_combo.setCurrentIndex(letter)
    page.paper_combo.activated.emit(letter)  # what choosing it with the mouse sends
    qtbot.waitUntil(lambda: saved(db) == ("Dupont & Fils", "letter"), timeout=WAIT)
    page.company_edit.setFocus()
    page.company_edit.selectAll()
    qtbot.keyClick(page.company_edit, Qt.Key.Key_Delete)
    qtbot.keyClick(page.company_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: saved(db) == (None, "letter"), timeout=WAIT)  # emptied: removed
