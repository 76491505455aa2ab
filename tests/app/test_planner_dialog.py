"""The budget planner dialog, opened from Tools › Plan a budget…: the form filled as a person
types it, the twelve months read from its table, and the budget it creates.

The clock is fixed (the window's `now`); the figures are worked out by hand below and must
equal core.planner.plan_budget's, the engine's pricing of the same synthetic usage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QSettings, Qt

from meterbook.app.context import AppContext
from meterbook.app.models.conversations_model import summary_money
from meterbook.app.window import MainWindow
from meterbook.core.plan_form import SampleRequest
from meterbook.core.planner import Forecast, plan_budget
from meterbook.store import readers
from tests.helpers import CHAT_FEE_PLANS, save_plans

NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
WAIT = 10_000  # ms

pytestmark = pytest.mark.usefixtures("american")


@pytest.fixture
def window(qtbot, db, tmp_path):
    save_plans(db, CHAT_FEE_PLANS)  # Chat: 0.50 per 1k input, 2.00 per 1k output, 5.00 a month
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    win = MainWindow(AppContext(db), settings, now=NOW)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def type_into(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClicks(edit, text)


@pytest.fixture
def planner(qtbot, window):
    window.planner_action.trigger()  # Tools › Plan a budget…
    dialog = window.planner
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    type_into(qtbot, dialog.requests, "1000")
    type_into(qtbot, dialog.size["input_tokens"], "2000")
    type_into(qtbot, dialog.growth, "10")
    type_into(qtbot, dialog.seasons, "12=2")
    yield dialog
    dialog.close()


def test_the_table_is_the_planners_year(planner, db):
    rows = planner.table_rows()
    assert planner.plan.currentText() == "Chat" and planner.first_month.text() == "2026-11"
    # A request: 2,000 input tokens x 0.50 per 1k = 1.00; the month's fee 5.00.
    # 2026-11 (n=0): 1,000 requests = 1,000.00 + 5.00 = 1,005.00
    # 2026-12 (n=1): 1,000 x 1.1 x 2 (December) = 2,200 -> 2,200.00 + 5.00 = 2,205.00
    # 2027-01 (n=2): 1,000 x 1.1^2 = 1,210 -> 1,210.00 + 5.00 = 1,215.00
    assert rows[:3] == [["2026-11", "1,000", "$1,000.00", "$5.00", "$1,005.00"],
                        ["2026-12", "2,200", "$2,200.00", "$5.00", "$2,205.00"],
                        ["2027-01", "1,210", "$1,210.00", "$5.00", "$1,215.00"]]
    # 2027-10 (n=11): 1,000 x 1.1^11 = 2,853.1167 -> 2,853 requests, 2,858.00 with the fee.
    assert rows[11] == ["2027-10", "2,853", "$2,853.00", "$5.00", "$2,858.00"]
    # Every month as the engine prices the same forecast (plan_budget, as `plan-budget`).
    with db.engine.connect() as conn:
        versions = [p for _id, p in readers.load_plans(conn) if p.name == "Chat"]
    expected = plan_budget(versions, Forecast("2026-11", 1000, SampleRequest(input_tokens=2000),
                                              growth=Decimal("0.1"),
                                              seasonal={12: Decimal(2)}))
    assert [r[0] for r in rows[:12]] == [m.month for m in expected.months]
    assert [r[4] for r in rows[:12]] == [summary_money(m.total, "USD") for m in expected.months]
    assert rows[12][0] == "Total" and rows[12][4] == summary_money(expected.total, "USD")
    # The chart draws the same twelve totals.
    assert list(planner.chart.lines[0].getData()[1]) == [float(m.total)
                                                         for m in expected.months]
    assert planner.error.text() == ""


def test_a_wrong_figure_is_named_and_nothing_is_shown(qtbot, planner):
    type_into(qtbot, planner.requests, "lots")
    assert planner.error.text() == "Requests a month: 'lots' is not a whole number of 0 or more"
    assert planner.table_rows() == []
    assert not planner.create.isEnabled()
    type_into(qtbot, planner.seasons, "13=2")
    type_into(qtbot, planner.requests, "10")
    assert planner.error.text() == "seasonal factor for month 13: months are 1 to 12"


def test_create_budget_saves_the_peak_month(qtbot, planner, cli):
    # The peak month is 2027-10 (2,858.00, above December's 2,205.00).
    assert "$2,858.00" in planner.budget_note.text()
    type_into(qtbot, planner.budget_name, "Chat plan")
    qtbot.mouseClick(planner.create, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: planner.saved.text() == "Budget 'Chat plan' saved.", timeout=WAIT)
    listed = cli("budget", "list", "--format", "json")
    assert listed.code == 0
    assert '"name": "Chat plan"' in listed.out and '"amount": "2858.00"' in listed.out
    assert '"vendor": "openai"' in listed.out and '"period": "month"' in listed.out
    # Again under the same name: refused with `budget set`'s words; nothing changes.
    qtbot.mouseClick(planner.create, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "exists already" in planner.error.text(), timeout=WAIT)
    assert planner.error.text().startswith(
        "a budget named 'Chat plan' exists already; nothing was changed.")
    assert cli("budget", "list", "--format", "json").out.count('"name"') == 1
