"""Every page used with the keyboard alone: Tab from the sidebar walks the page's controls in
reading order, leaves each table after one stop, and comes back round to the sidebar."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlmodel import Session

from meterbook.store.settings import set_rate
from tests.helpers import CHAT_CLAUDE_PLANS, usage_database

USAGE = """timestamp,vendor,model,requests,input_tokens,output_tokens,request_id,conversation_id
2026-03-02T10:00:00Z,openai,gpt-4o,1,1000,500,r1,c1
2026-03-03T10:00:00Z,anthropic,claude-sonnet-4-5,1,2000,100,r2,c2
"""
WAIT = 10_000  # ms
ROUND = 80  # Tab presses at most before the focus must be back at the sidebar


@pytest.fixture
def db(tmp_path):
    with usage_database(tmp_path, CHAT_CLAUDE_PLANS, USAGE, utc=True) as database:
        yield database


def tab_round(qtbot, window, start: QWidget) -> list[QWidget]:
    """The widgets Tab gives the focus to, from `start` until it comes back to it.

    The window's focus widget is read rather than hasFocus(): it does not depend on the test
    window being the active one."""
    start.setFocus()
    assert window.focusWidget() is start
    seen: list[QWidget] = []
    for _ in range(ROUND):
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
        widget = window.focusWidget()
        if widget is start:
            return seen
        seen.append(widget)
    raise AssertionError(f"Tab never came back: stuck at {seen[-3:]}")


def assert_in_order(seen: list[QWidget], *expected: QWidget) -> None:
    """Each expected widget takes the focus exactly once, in this order."""
    for widget in expected:
        assert seen.count(widget) == 1, f"{widget!r} took the focus {seen.count(widget)} times"
    places = [seen.index(widget) for widget in expected]
    assert places == sorted(places)


def show(qtbot, window, key: str):
    window.show_page(key)
    return window.pages[key]


def test_usage_filters_then_the_table_then_the_record(qtbot, window):
    page = show(qtbot, window, "usage")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT)
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: page.detail.record is not None, timeout=WAIT)
    seen = tab_round(qtbot, window, window.sidebar)
    # One stop in the table (Tab used to walk its 9 x 2 cells and never leave), then the
    # selected record's button.
    assert_in_order(seen, page.period, page.search, page.clear_button, page.table,
                    page.detail.conversation_button)


def test_conversations_month_filter_then_both_tables(qtbot, window):
    page = show(qtbot, window, "conversations")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT)
    seen = tab_round(qtbot, window, window.sidebar)
    assert_in_order(seen, page.month_box, page.filter, page.view, page.requests_view)


def test_dashboard_imports_table_is_passed_through(qtbot, window):
    page = show(qtbot, window, "dashboard")
    qtbot.waitUntil(lambda: page.imports.rowCount() == 1, timeout=WAIT)
    seen = tab_round(qtbot, window, window.sidebar)
    assert_in_order(seen, page.imports)


def test_plans_toolbar_tree_then_editor_then_save(qtbot, window):
    page = show(qtbot, window, "plans")
    qtbot.waitUntil(lambda: page.loaded and page.editing is not None, timeout=WAIT)
    seen = tab_round(qtbot, window, window.sidebar)
    # The toolbar's buttons used to take no focus at all.
    assert_in_order(seen, page.new_button, page.version_button, page.catalog_button,
                    page.tree, page.editor.tabs.tabBar(), page.editor.fields["name"],
                    page.editor.fields["vendor"], page.editor.fields["input"])
    page.editor.fields["input"].setText("0.75")  # a change: Revert and Save take the focus
    seen = tab_round(qtbot, window, page.editor.fields["input"])
    assert_in_order(seen, page.revert_button, page.save_button, window.sidebar)


def test_plans_toolbar_keys_work_on_the_plans_page_only(qtbot, window):
    page = show(qtbot, window, "plans")
    qtbot.waitUntil(lambda: page.loaded and page.editing is not None, timeout=WAIT)
    window.activateWindow()
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    usage = show(qtbot, window, "usage")
    usage.search.setFocus()
    qtbot.keyClick(usage.search, Qt.Key.Key_N, keys)
    assert page.editing is not None  # elsewhere the keys do nothing to the plans
    window.show_page("plans")
    page.tree.setFocus()
    qtbot.keyClick(page.tree, Qt.Key.Key_N, keys)
    assert page.editing is None and "new, not saved yet" in page.heading.text()
    # A new plan's prices are empty with the default as a placeholder: typing gives "2.00".
    price = page.editor.fields["input"]
    assert price.text() == "" and price.placeholderText() == "0"
    qtbot.keyClicks(price, "2.00")
    assert price.text() == "2.00"
    assert page.new_action.toolTip() == "New plan (Ctrl+Shift+N)"


def test_imports_history_then_undo_forwards(qtbot, window):
    page = show(qtbot, window, "imports")
    qtbot.waitUntil(lambda: page.history.rowCount() == 1, timeout=WAIT)
    page.history.selectRow(0)
    assert page.undo_button.isEnabled()
    seen = tab_round(qtbot, window, window.sidebar)
    assert_in_order(seen, page.choose_button, page.history, page.undo_button)


def test_settings_rates_table_is_passed_through(qtbot, window, db):
    with Session(db.engine) as session:  # two rates: two rows Tab used to walk
        set_rate(session, currency="EUR", month="2026-03", rate="0.92")
        set_rate(session, currency="EUR", month="2026-04", rate="0.93")
        session.commit()
    window.ctx.changed()
    page = show(qtbot, window, "settings")
    qtbot.waitUntil(lambda: page.rates_table.rowCount() == 2, timeout=WAIT)
    seen = tab_round(qtbot, window, window.sidebar)
    assert_in_order(seen, page.rates_table)
