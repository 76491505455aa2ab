"""Pages built on their first visit (issue 8, item 8: a fresh start shows the Dashboard without
building the nine pages behind it), and working on that first visit as they always did: the
records of the Usage page, a chart's bar that opens it, the Dashboard's month followed by pages
built after it was picked. Records are tests/helpers.py's WORKED_USAGE, in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import QSettings, Qt

from meterbook.app.context import AppContext
from meterbook.app.pages import PAGES
from meterbook.app.window import MainWindow
from tests.helpers import CHAT_CLAUDE_PLANS, WORKED_USAGE, usage_database

WAIT = 10_000  # ms
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)  # "this month" is April 2026

pytestmark = pytest.mark.usefixtures("british")  # times read as "02/04/2026 12:00"


@pytest.fixture
def db(tmp_path, store_url):
    with usage_database(tmp_path, CHAT_CLAUDE_PLANS, WORKED_USAGE, now=NOW, utc=True,
                        url=store_url) as database:
        yield database


@pytest.fixture
def window(qtbot, db, tmp_path):
    """A first start: no page remembered, so the Dashboard is the one shown."""
    settings = QSettings(str(tmp_path / "fresh.ini"), QSettings.Format.IniFormat)
    win = MainWindow(AppContext(db), settings, now=NOW)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    yield win
    win.close()


def click_sidebar(qtbot, window, title: str) -> None:
    sidebar = window.sidebar
    item = next(sidebar.item(r) for r in range(sidebar.count()) if sidebar.item(r).text() == title)
    qtbot.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton,
                     pos=sidebar.visualItemRect(item).center())


def shown(page) -> list[tuple[str, str]]:
    """The Usage table's time and vendor, row by row."""
    model = page.model
    return [(model.index(r, 0).data(), model.index(r, 1).data())
            for r in range(model.rowCount())]


def usage_loaded(page) -> bool:
    return page.model.complete and "adding up" not in page.count_label.text()


def test_a_fresh_window_builds_the_dashboard_alone_and_a_visit_builds_its_page(qtbot, window):
    assert window.current_page() is window.pages["dashboard"]
    assert list(window.pages.built()) == ["dashboard"]
    # Every page is in the sidebar (and the View menu) all the same, in its order.
    titles = [window.sidebar.item(r).text() for r in range(window.sidebar.count())]
    assert titles == [entry.title for entry in PAGES]
    assert len(window.pages) == 10 and "usage" in window.pages  # asking builds nothing
    assert list(window.pages.built()) == ["dashboard"]
    qtbot.waitUntil(window.pages["dashboard"].is_loaded, timeout=WAIT)

    click_sidebar(qtbot, window, "Usage")
    page = window.pages["usage"]
    assert window.current_page() is page and page.isVisible()
    assert list(window.pages.built()) == ["dashboard", "usage"]
    # Its records on this first visit: WORKED_USAGE's six, newest first (all dates).
    qtbot.waitUntil(lambda: usage_loaded(page) and page.model.rowCount() == 6, timeout=WAIT)
    assert shown(page) == [("02/04/2026 12:00", "anthropic"), ("01/04/2026 08:00", "openai"),
                           ("31/03/2026 23:30", "mistral"), ("03/03/2026 11:00", "anthropic"),
                           ("02/03/2026 10:00", "openai"), ("01/03/2026 09:00", "openai")]

    click_sidebar(qtbot, window, "Dashboard")  # back: the same Dashboard, not a second one
    assert window.current_page() is window.pages["dashboard"]
    assert list(window.pages.built()) == ["dashboard", "usage"]


def test_a_chart_bar_opens_a_usage_page_never_shown_on_its_slice(qtbot, window):
    assert "usage" not in window.pages.built()
    # As a click on March's openai bar asks: the Usage page, openai, 1-31 March.
    window.ctx.show_usage(date(2026, 3, 1), date(2026, 3, 31), "vendor", "openai")
    page = window.pages["usage"]
    assert window.current_page() is page
    # openai in March: r1 (1 March) and r2 (2 March); r5 is April's, r3 and r4 are others'.
    qtbot.waitUntil(lambda: usage_loaded(page) and shown(page) == [
        ("02/03/2026 10:00", "openai"), ("01/03/2026 09:00", "openai")], timeout=WAIT)
    assert page.vendor.currentData() == "openai"


def test_pages_built_after_the_dashboard_moved_show_its_month(qtbot, window):
    window.ctx.select_month(date(2026, 3, 1))  # the Dashboard's picker, before any visit
    assert list(window.pages.built()) == ["dashboard"]

    click_sidebar(qtbot, window, "Budgets")
    budgets = window.pages["budgets"]
    qtbot.waitUntil(lambda: "March 2026" in budgets.subtitle.text(), timeout=WAIT)

    click_sidebar(qtbot, window, "Reports")
    reports = window.pages["reports"]
    qtbot.waitUntil(lambda: reports.report is not None
                    and reports.report.period.label == "2026-03", timeout=WAIT)
    assert reports.period.currentText() == "March 2026"


def test_each_entry_names_its_page_as_the_page_names_itself():
    for entry in PAGES:
        page_class = entry.page_class()
        assert (page_class.key, page_class.title) == (entry.key, entry.title)
