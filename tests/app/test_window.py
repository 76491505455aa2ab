"""The main window as a person meets it: pages in the sidebar, menus, status bar, memory."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QSettings

from meterbook.app.context import AppContext
from meterbook.app.icons import icon_path
from meterbook.app.window import PAGES, MainWindow
from meterbook.importers.pipeline import import_files
from meterbook.store.database import open_database
from tests.helpers import ANTHROPIC_COST_FEBRUARY, cost_of_month, import_text, report_in_utc

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)  # "this month" is April 2026
D = Decimal



@pytest.fixture
def db(store_url):
    database = open_database(store_url)
    yield database
    database.close()


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, db, settings):
    win = MainWindow(AppContext(db), settings)
    qtbot.addWidget(win)
    win.show()
    return win


def test_the_sidebar_lists_every_page_and_opens_it(window, qtbot):
    titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert titles[:9] == ["Dashboard", "Usage", "Conversations", "Trends", "Plans", "Budgets",
                          "Compare", "Reports", "Imports"]
    window.sidebar.setCurrentRow(titles.index("Budgets"))
    assert window.current_page().key == "budgets"
    assert window.current_page().add_button.isVisible()  # the Budgets page is a real one


def test_keyboard_shortcuts_switch_pages(window, qtbot):
    view = next(m for m in window.menuBar().actions() if m.text() == "&View").menu()
    plans = next(a for a in view.actions() if a.text() == "Plans")
    assert plans.shortcut().toString() == "Ctrl+5"
    plans.trigger()
    assert window.current_page().key == "plans"


def test_the_window_remembers_its_last_page_and_geometry(qtbot, db, settings):
    first = MainWindow(AppContext(db), settings)
    qtbot.addWidget(first)
    first.show()
    first.show_page("conversations")
    first.resize(720, 500)  # the offscreen screen is 800x600: restoring clamps to it
    first.close()
    second = MainWindow(AppContext(db), settings)
    qtbot.addWidget(second)
    assert second.current_page().key == "conversations"
    assert (second.width(), second.height()) == (720, 500)


def test_the_status_bar_shows_the_database_the_months_spend_and_unpriced_usage(
        qtbot, db, settings, tmp_path):
    # A record this month of a model no plan prices: $0.00 spent, 3 requests unpriced.
    report_in_utc(db)
    path = tmp_path / "u.csv"
    path.write_text("timestamp,vendor,model,requests\n2026-04-02T10:00:00Z,acme,mystery,3\n")
    import_files(db, [path], now=NOW)
    win = MainWindow(AppContext(db), settings, now=NOW)
    qtbot.addWidget(win)
    assert db.display_name in win.db_label.text()
    qtbot.waitUntil(lambda: win.unpriced_label.text() == "3 unpriced requests", timeout=5000)
    assert win.spend_label.text() == "This month: $0.00"


def test_the_status_bar_agrees_with_the_dashboard_on_billed_cost_exports(
        qtbot, db, settings, tmp_path):
    # Only a vendor's cost export, in February; "now" is April: the Dashboard opens on
    # February (the latest month with usage) and the status bar shows the same month.
    # Billed: 0.07 + 0.09 + 2.10 = 2.26, no plan needed (source auto: billed where billed).
    report_in_utc(db)
    import_text(db, tmp_path, ANTHROPIC_COST_FEBRUARY, "cost.csv", now=NOW)
    win = MainWindow(AppContext(db), settings, now=NOW)
    qtbot.addWidget(win)
    win.show()
    board = win.pages["dashboard"]
    qtbot.waitUntil(lambda: board.figures is not None, timeout=5000)
    expected = cost_of_month(db, "2026-02-01", "2026-03-01")
    assert expected == D("2.26")
    assert board.this_month.value.text() == "$2.26"
    assert "includes $2.26 billed by vendors" in board.this_month.caption.text()
    qtbot.waitUntil(lambda: win.spend_label.text() != "", timeout=5000)
    assert win.spend_label.text() == ("February 2026: $2.26 "
                                      "(includes $2.26 billed by vendors)")
    assert win.unpriced_label.text() == ""  # billed lines are not unpriced


def test_the_status_bar_follows_the_chosen_month(qtbot, db, settings, tmp_path):
    report_in_utc(db)
    import_text(db, tmp_path, ANTHROPIC_COST_FEBRUARY, "cost.csv", now=NOW)
    win = MainWindow(AppContext(db), settings, now=NOW)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.spend_label.text().startswith("February 2026"), timeout=5000)
    win.ctx.select_month(date(2026, 4, 1))  # as the Dashboard's picker or an import asks
    qtbot.waitUntil(lambda: win.spend_label.text() == "This month: $0.00", timeout=5000)
    win.ctx.select_month(date(2026, 1, 1))
    qtbot.waitUntil(lambda: win.spend_label.text() == "January 2026: $0.00", timeout=5000)


def test_closing_the_window_cancels_background_work_cleanly(qtbot, db, settings):
    win = MainWindow(AppContext(db), settings)
    qtbot.addWidget(win)
    seen = []

    def job(progress, cancelled):
        while not cancelled():
            pass
        seen.append("cancelled")
        raise KeyboardInterrupt  # as a cancelled import does: its transaction rolls back

    win.ctx.tasks.write("long job", job, on_error=lambda exc: None)
    win.close()
    assert seen == ["cancelled"]
    assert not win.ctx.tasks._writer.is_alive()


def test_every_page_has_a_key_title_and_icon():
    assert len({p.key for p in PAGES}) == len(PAGES)
    assert all(p.title for p in PAGES)
    # Each page's sidebar icon is its own drawing: no two pages share a file.
    assert len({icon_path(p.key).read_text() for p in PAGES}) == len(PAGES)


def test_no_page_shows_markdown_backticks(window):
    """Commands in a page's text are set in <code>; a QLabel shows Markdown backticks as they
    are, which reads as a typo to an owner."""
    from PySide6.QtWidgets import QLabel

    for page in PAGES:
        window.show_page(page.key)
        shown = [label.text() for label in window.pages[page.key].findChildren(QLabel)]
        assert not [text for text in shown if "`" in text], page.key
