"""Alerts in the app: an import through the app that crosses a budget's threshold shows the
Dashboard's banner and pops up one tray notification; undoing it withdraws the alert from the
banner; alerts that stood already at the start show in the banner without a pop-up."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from meterbook.app.context import AppContext
from meterbook.app.window import MainWindow
from meterbook.core.budgets import Budget
from meterbook.store import alerts
from meterbook.store.budgets import save_budget
from tests.helpers import CHAT_FEE_PLANS, import_text, usage_database

WAIT = 20_000  # ms
NOW = datetime(2026, 1, 20, 12, tzinfo=UTC)
# Chat: 0.50 per 1k in, 2.00 per 1k out, 5.00 a month (at January 1st 00:00, UTC).
# "Small", 20.00 a month, alerts at 50 % = 10.00 and 100 % = 20.00, no forecast alert.
# BEFORE: r1 2,000 in + 500 out = 1.00 + 1.00 = 2.00 -> 7.00 with the fee: under 10.00.
BEFORE = """timestamp,vendor,model,request_id,input_tokens,output_tokens
2026-01-02T10:00:00Z,openai,gpt-4o,r1,2000,500
"""
# CROSSING: r2 1,000 out = 2.00 -> 9.00; r3 4,000 in = 2.00 -> 11.00 reaches 10.00 on
# January 5th at 09:40 UTC.
CROSSING = """timestamp,vendor,model,request_id,input_tokens,output_tokens
2026-01-05T09:15:00Z,openai,gpt-4o,r2,0,1000
2026-01-05T09:40:00Z,openai,gpt-4o,r3,4000,0
"""
SMALL = Budget(name="Small", amount=D("20"), thresholds=(50, 100), forecast_alert=False)


class FakeTray:
    """Stands in for QSystemTrayIcon: records what would have popped up."""

    def __init__(self):
        self.messages: list[tuple[str, str]] = []

    def showMessage(self, title: str, text: str) -> None:
        self.messages.append((title, text))


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setattr(alerts, "clock", lambda: NOW)  # the import and the undo check at NOW
    with usage_database(tmp_path, CHAT_FEE_PLANS, BEFORE, now=NOW, utc=True) as database:
        save_budget(database, SMALL)
        yield database


def open_window(qtbot, db, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    win = MainWindow(AppContext(db), settings, now=NOW)
    qtbot.addWidget(win)
    win.show()
    win.alert_tray.tray = FakeTray()
    return win


def banner_lines(window) -> list[str]:
    banner = window.pages["dashboard"].alert_banner
    return [label.text().split("</span> ", 1)[1] for label in banner.lines] \
        if not banner.isHidden() else []


def test_an_import_that_crosses_a_threshold_shows_the_banner_and_the_tray_undo_withdraws(
        qtbot, db, tmp_path, monkeypatch):
    window = open_window(qtbot, db, tmp_path)
    banner = window.pages["dashboard"].alert_banner
    qtbot.waitUntil(lambda: banner.watch.standing is not None, timeout=WAIT)
    assert banner_lines(window) == [] and window.alert_tray.tray.messages == []

    path = tmp_path / "crossing.csv"
    path.write_text(CROSSING, encoding="utf-8")
    window.import_files([str(path)])  # what File > Import and a drop do
    qtbot.waitUntil(lambda: banner_lines(window) != [], timeout=WAIT)
    assert banner_lines(window) == ["Budget 'Small' passed 50 % on 5 Jan at 09:40"]
    assert window.alert_tray.tray.messages == [
        ("Budget alert", "Budget 'Small' passed 50 % on 5 Jan at 09:40")]

    # Undo the import on the Imports page: back to 7.00, under 50 %: the alert is withdrawn.
    imports = window.pages["imports"]
    qtbot.waitUntil(lambda: imports.history.rowCount() == 2, timeout=WAIT)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kw: QMessageBox.StandardButton.Yes)
    window.show_page("imports")
    imports.history.selectRow(0)  # the newest import
    qtbot.mouseClick(imports.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: imports.history.rowCount() == 1, timeout=WAIT)
    qtbot.waitUntil(banner.isHidden, timeout=WAIT)
    assert [a for a in alerts.standing_alerts(db)] == []
    assert len(window.alert_tray.tray.messages) == 1  # a withdrawal pops nothing up


def test_alerts_standing_at_the_start_show_in_the_banner_without_a_pop_up(
        qtbot, db, tmp_path):
    import_text(db, tmp_path, CROSSING, "crossing.csv", now=NOW)  # raised before the app runs
    window = open_window(qtbot, db, tmp_path)
    qtbot.waitUntil(lambda: banner_lines(window) != [], timeout=WAIT)
    assert banner_lines(window) == ["Budget 'Small' passed 50 % on 5 Jan at 09:40"]
    window.ctx.changed()  # any later read: still nothing new for the tray
    qtbot.wait(300)
    assert window.alert_tray.tray.messages == []


def test_acknowledge_on_the_banner_takes_the_alert_off(qtbot, db, tmp_path):
    import_text(db, tmp_path, CROSSING, "crossing.csv", now=NOW)
    window = open_window(qtbot, db, tmp_path)
    banner = window.pages["dashboard"].alert_banner
    qtbot.waitUntil(lambda: len(banner.acknowledge_buttons) == 1, timeout=WAIT)
    qtbot.mouseClick(banner.acknowledge_buttons[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(banner.isHidden, timeout=WAIT)
    [alert] = alerts.standing_alerts(db)
    assert alert.acknowledged  # stands, seen: off the banner, still on the Budgets page
    budgets = window.pages["budgets"]
    window.show_page("budgets")
    budgets.show_seen.setChecked(True)
    qtbot.waitUntil(lambda: budgets.alerts.rowCount() == 1, timeout=WAIT)
    assert budgets.alerts.item(0, 3).text() == "2026-01-20 12:00"  # its "Seen" time
