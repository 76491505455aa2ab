"""The Budgets page driven like a person: a budget added through the form shows the figures
`meterbook budget status` prints; refused input shows the command's message and saves nothing;
forecast settings are saved; an alert acknowledged on the page leaves the list's waiting ones
and the Dashboard's banner."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from meterbook.app.context import AppContext
from meterbook.app.window import MainWindow
from meterbook.store import alerts
from meterbook.store.budgets import forecast_settings, load_budgets
from tests.app.test_keyboard import assert_in_order, tab_round
from tests.helpers import CHAT_FEE_PLANS, usage_database

WAIT = 20_000  # ms
NOW = datetime(2026, 1, 20, 12, tzinfo=UTC)
# Chat: 0.50 per 1k in, 2.00 per 1k out, 5.00 a month. January 2026 (running total):
#   the fee 5.00 at January 1st 00:00                              5.00
#   r1 01-02 10:00  2,000 in + 500 out = 1.00 + 1.00 = 2.00         7.00
#   r2 01-05 09:15  4,000 in           = 2.00                       9.00
#   r3 01-05 09:40  1,000 out          = 2.00                      11.00
# A budget of 20.00: 11.00 spent is 55.00 %; its 50 % (10.00) was reached by r3.
USAGE = """timestamp,vendor,model,request_id,input_tokens,output_tokens
2026-01-02T10:00:00Z,openai,gpt-4o,r1,2000,500
2026-01-05T09:15:00Z,openai,gpt-4o,r2,4000,0
2026-01-05T09:40:00Z,openai,gpt-4o,r3,0,1000
"""


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setattr(alerts, "clock", lambda: NOW)
    with usage_database(tmp_path, CHAT_FEE_PLANS, USAGE, now=NOW, utc=True) as database:
        yield database


def open_page(qtbot, db, tmp_path, now=NOW):
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    win = MainWindow(AppContext(db), settings, now=now)
    qtbot.addWidget(win)
    win.show()
    win.show_page("budgets")
    budgets = win.pages["budgets"]
    qtbot.waitUntil(lambda: budgets.view is not None, timeout=WAIT)
    return budgets


@pytest.fixture
def page(qtbot, db, tmp_path):
    budgets = open_page(qtbot, db, tmp_path)
    yield budgets
    budgets.window().close()


def row(table, n: int) -> list[str]:
    return [table.item(n, c).text() for c in range(table.columnCount())]


def fill_budget(qtbot, page, name: str, amount: str, thresholds: str | None = None):
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.name, name)
    qtbot.keyClicks(dialog.amount, amount)
    if thresholds is not None:
        dialog.thresholds.clear()
        qtbot.keyClicks(dialog.thresholds, thresholds)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    return dialog


def test_a_budget_added_in_the_form_shows_what_budget_status_prints(qtbot, page, db, cli,
                                                                    tmp_path):
    assert page.table.rowCount() == 0 and page.empty.isVisible()
    dialog = fill_budget(qtbot, page, "All AI", "20")
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=WAIT)
    name, period, scope, amount, spent, percent, _forecast, _bar = row(page.table, 0)
    assert (name, period, scope, amount) == ("All AI", "Jan 2026",
                                             "everything", "$20.00")
    assert (spent, percent) == ("$11.00", "55.00 %")
    status = cli("budget", "status", "--month", "2026-01", "--format", "json",
                 db=tmp_path / "t.db").json
    [b] = status["budgets"]
    assert (b["spent"], b["percent"]) == ("11.000000000", "55.00")
    assert f"{b['percent']} %" == percent
    # Saving checked the alerts: 50 % stands, reached by r3 on January 5th at 09:40.
    qtbot.waitUntil(lambda: page.alerts.rowCount() == 1, timeout=WAIT)
    assert row(page.alerts, 0) == ["2026-01-05 09:40", "Threshold",
                                   "Budget 'All AI' passed 50 % on 5 Jan at 09:40", ""]


@pytest.mark.parametrize(("amount", "thresholds", "message"), [
    ("-5", None, "the amount must be a positive number, not -5"),
    ("ten", None, "the amount must be a positive number, not 'ten'"),
    ("20", "50,1001", "alert threshold 1001% is outside 1-1000%"),
])
def test_refused_input_shows_the_message_and_saves_nothing(qtbot, page, db, amount,
                                                           thresholds, message):
    dialog = fill_budget(qtbot, page, "All AI", amount, thresholds)
    assert dialog.isVisible()  # still open, to correct
    assert dialog.message.isVisible() and message in dialog.message.text()
    with db.engine.connect() as conn:
        assert load_budgets(conn) == []
    assert page.table.rowCount() == 0


def test_a_name_in_use_is_refused(qtbot, page, db):
    fill_budget(qtbot, page, "All AI", "20")
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=WAIT)
    dialog = fill_budget(qtbot, page, "All AI", "99")
    assert "a budget named 'All AI' exists already" in dialog.message.text()
    with db.engine.connect() as conn:
        [(_, saved)] = load_budgets(conn)
    assert str(saved.amount) == "20"


def test_forecast_settings_are_saved_from_their_form(qtbot, page, db):
    qtbot.mouseClick(page.forecast_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.window.setValue(7)
    dialog.growth.clear()
    qtbot.keyClicks(dialog.growth, "5")
    qtbot.keyClicks(dialog.seasonal, "12=1.5, 1=0.8")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "last 7 days" in page.forecast_note.text(), timeout=WAIT)
    with db.engine.connect() as conn:
        saved = forecast_settings(conn)
    assert (saved.window_days, str(saved.growth_per_month)) == (7, "0.05")  # 5 % typed
    assert {m: str(f) for m, f in saved.seasonal.items()} == {12: "1.5", 1: "0.8"}


def test_acknowledging_an_alert_takes_it_off_the_list_and_the_banner(qtbot, page, db):
    fill_budget(qtbot, page, "All AI", "20")
    qtbot.waitUntil(lambda: page.alerts.rowCount() == 1, timeout=WAIT)
    banner = page.window().pages["dashboard"].alert_banner
    qtbot.waitUntil(lambda: len(banner.lines) == 1, timeout=WAIT)
    assert not page.acknowledge_button.isEnabled()  # nothing chosen yet
    page.alerts.selectRow(0)
    qtbot.mouseClick(page.acknowledge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.alerts.rowCount() == 0, timeout=WAIT)  # off the list
    assert banner.isHidden() and banner.lines == []  # and off the banner
    assert not page.acknowledge_all_button.isEnabled()  # nothing waits any more
    [alert] = alerts.standing_alerts(db)
    assert alert.acknowledged_at == NOW
    page.show_seen.setChecked(True)  # it still stands: listed when asked, with when it was seen
    assert row(page.alerts, 0)[2:] == ["Budget 'All AI' passed 50 % on 5 Jan at 09:40",
                                       "2026-01-20 12:00"]


def test_the_page_is_walked_with_tab_one_stop_per_table(qtbot, page):
    fill_budget(qtbot, page, "All AI", "20")
    qtbot.waitUntil(lambda: page.table.rowCount() == 1 and page.alerts.rowCount() == 1,
                    timeout=WAIT)
    page.table.selectRow(0)  # Edit and Remove take the focus once a budget is chosen
    page.alerts.selectRow(0)
    window = page.window()
    seen = tab_round(qtbot, window, window.sidebar)
    assert_in_order(seen, page.add_button, page.edit_button, page.remove_button,
                    page.forecast_button, page.table, page.show_seen, page.acknowledge_button,
                    page.acknowledge_all_button, page.alerts)


def test_the_page_follows_the_month_the_dashboard_shows(qtbot, page):
    fill_budget(qtbot, page, "All AI", "20")
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=WAIT)
    page.ctx.select_month(date(2025, 12, 1))  # the Dashboard's picker says this
    # December 2025: its own 5.00 fee (owed from December 1st), no usage: 25.00 %.
    qtbot.waitUntil(lambda: row(page.table, 0)[1] == "Dec 2025", timeout=WAIT)
    assert "December 2025" in page.subtitle.text()
    assert row(page.table, 0)[4:6] == ["$5.00", "25.00 %"]


def test_editing_the_amount_withdraws_the_alert_it_no_longer_reaches_and_remove(qtbot, page,
                                                                               db):
    fill_budget(qtbot, page, "All AI", "20")
    qtbot.waitUntil(lambda: page.alerts.rowCount() == 1, timeout=WAIT)  # 50 % of 20.00
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=WAIT)
    page.table.selectRow(0)
    assert page.edit_button.isEnabled()
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog.name.isReadOnly() and dialog.amount.text() == "20"
    dialog.amount.clear()
    qtbot.keyClicks(dialog.amount, "40")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    # 11.00 of 40.00 = 27.50 %: under 50 % (20.00), the alert is withdrawn.
    qtbot.waitUntil(lambda: row(page.table, 0)[5] == "27.50 %", timeout=WAIT)
    qtbot.waitUntil(lambda: page.alerts.rowCount() == 0, timeout=WAIT)
    page.table.selectRow(0)
    assert page.remove_button.isEnabled()
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    page.dialog.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=WAIT)
    with db.engine.connect() as conn:
        assert load_budgets(conn) == []


def test_it_opens_on_the_dashboards_month_the_latest_with_usage(qtbot, db, tmp_path):
    # February 10th: February holds no record yet, so the Dashboard opens on January.
    page = open_page(qtbot, db, tmp_path, now=datetime(2026, 2, 10, tzinfo=UTC))
    dashboard = page.window().pages["dashboard"]
    qtbot.waitUntil(lambda: dashboard.month_combo.currentData() == "2026-01", timeout=WAIT)
    fill_budget(qtbot, page, "All AI", "20")
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=WAIT)
    assert row(page.table, 0)[1] == "Jan 2026" and "January 2026" in page.subtitle.text()
    page.window().close()
