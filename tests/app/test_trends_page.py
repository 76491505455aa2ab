"""The Trends page as a person uses it: pick a grouping, read the charts, click a bar and land
on the Usage page showing that day's records of that vendor; and the Dashboard's charts.

Usage: WORKED_USAGE under CHAT_CLAUDE_PLANS (tests/helpers.py), report zone UTC:
  r1 03-01 openai 2.00 · r2 03-02 openai 0.50 · r3 03-03 anthropic 6.00 (2 requests) ·
  r4 03-31 mistral unpriced · r5 04-01 openai 0.50 (3 requests) · r6_x 04-02 anthropic 4.00
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QSettings, Qt

from meterbook.app.charts.axes import date_x
from meterbook.app.context import AppContext
from meterbook.app.models.usage_model import MODEL, VENDOR
from meterbook.app.window import MainWindow
from tests.helpers import CHAT_CLAUDE_PLANS, WORKED_USAGE, usage_database

D = Decimal
WAIT = 10_000


pytestmark = pytest.mark.usefixtures("american")


@pytest.fixture
def db(tmp_path):
    with usage_database(tmp_path, CHAT_CLAUDE_PLANS, WORKED_USAGE, utc=True) as database:
        yield database


@pytest.fixture
def window(qtbot, db, tmp_path):
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    # "This month" is April 2026 for the Dashboard.
    win = MainWindow(AppContext(db), settings, now=datetime(2026, 4, 15, 12, tzinfo=UTC))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


@pytest.fixture
def trends(qtbot, window):
    window.show_page("trends")
    page = window.pages["trends"]
    qtbot.waitUntil(lambda: page.is_loaded() and page.details is not None, timeout=WAIT)
    return page


def click_chart(qtbot, chart, x: float, y: float) -> None:
    qtbot.mouseClick(chart.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=chart.widget_pos(x, y))


def usage_rows(page) -> list[tuple[str, str]]:
    model = page.model
    return [(model.index(r, VENDOR).data(), model.index(r, MODEL).data())
            for r in range(model.rowCount())]


def test_the_page_opens_on_the_last_90_days_of_usage(trends):
    # The last day with usage is April 2nd: 90 days back is January 3rd, before the first
    # usage (March 1st), where the period starts instead.
    assert (trends.from_date.date().toPython(), trends.to_date.date().toPython()) == (
        date(2026, 3, 1), date(2026, 4, 2))
    s = trends.series
    assert (s.grouping, s.by) == ("day", "vendor")
    assert s.names == ["anthropic", "openai", "mistral"]  # 10.00, 3.00, unpriced only
    assert trends.spend.legend_names() == ["anthropic", "openai", "mistral",
                                           "unpriced requests (no plan)"]
    assert trends.spend.unpriced_marks() == [(date(2026, 3, 31), 1)]
    assert trends.spend.title_text() == "Spend per day by vendor, 1 Mar 2026 to 2 Apr 2026"
    # The other tabs: medians worked out in tests/store/test_spend_series.py.
    assert trends.per_request.median_line.label.format == "median $2.00"
    assert trends.per_conversation.median_line.label.format == "median $6.25"
    assert trends.top_projects.ranking.names == ["support", "sales", "(no project)"]
    assert [trends.tabs.tabText(i) for i in range(trends.tabs.count())] == [
        "Spend", "Cost per request", "Cost per conversation", "Top models", "Top projects"]


def test_switching_to_months_by_model(qtbot, trends):
    bars = list(trends.spend.bars)
    daily = trends._daily[1]
    trends.grouping.setFocus()
    qtbot.keyClick(trends.grouping, Qt.Key.Key_End)  # "Per month", the last choice
    qtbot.waitUntil(lambda: trends.series.grouping == "month", timeout=WAIT)
    s = trends.series
    assert s.starts == [date(2026, 3, 1), date(2026, 4, 1)]
    # March: openai 2.00 + 0.50 = 2.50, anthropic 6.00; April: openai 0.50, anthropic 4.00.
    assert s.amounts["anthropic"] == [D("6.00"), D("4.00")]
    assert s.amounts["openai"] == [D("2.50"), D("0.50")]
    assert trends.spend.bars[:3] == bars[:3]  # the same items, updated in place
    assert trends._daily[1] is daily  # the same days regrouped, not read again
    qtbot.keyClick(trends.dimension, Qt.Key.Key_Down)  # "By model"
    qtbot.waitUntil(lambda: trends.series.by == "model", timeout=WAIT)
    # claude-haiku 10.00, gpt-4o 2.00 + 0.50 = 2.50, gpt-4o-mini 0.50, mistral-large unpriced.
    assert trends.series.names == ["claude-haiku", "gpt-4o", "gpt-4o-mini", "mistral-large"]


def test_clicking_a_bar_opens_the_usage_page_on_that_day_and_vendor(qtbot, window, trends):
    chart = trends.spend
    # March 3rd: anthropic's bar runs from 0 to 6.00; click its middle.
    click_chart(qtbot, chart, date_x(date(2026, 3, 3)) + 43_200, 3.0)
    qtbot.waitUntil(lambda: window.current_page().key == "usage", timeout=WAIT)
    usage = window.pages["usage"]
    qtbot.waitUntil(lambda: usage.model.complete and usage_rows(usage) == [
        ("anthropic", "claude-haiku")], timeout=WAIT)
    assert usage.vendor.currentData() == "anthropic"
    assert (usage.from_date.date().toPython(), usage.to_date.date().toPython()) == (
        date(2026, 3, 3), date(2026, 3, 3))
    assert usage.period.currentData() == "custom"


def test_clicking_a_project_bar_shows_its_records(qtbot, window, trends):
    trends.tabs.setCurrentWidget(trends.top_projects)
    chart = trends.top_projects
    qtbot.waitUntil(lambda: chart.isVisible(), timeout=WAIT)
    click_chart(qtbot, chart, 1.0, 2.0)  # the top bar: support (r1, r2, r6_x)
    usage = window.pages["usage"]
    qtbot.waitUntil(lambda: window.current_page() is usage and usage.model.complete
                    and usage.model.rowCount() == 3, timeout=WAIT)
    assert usage.project.currentData() == "support"
    assert sorted(usage_rows(usage)) == [("anthropic", "claude-haiku"), ("openai", "gpt-4o"),
                                         ("openai", "gpt-4o-mini")]


def test_the_dashboard_charts_the_month_per_day_by_vendor(qtbot, window):
    window.show_page("dashboard")
    page = window.pages["dashboard"]
    qtbot.waitUntil(lambda: page.series is not None, timeout=WAIT)
    # April 2026: openai 0.50 on the 1st, anthropic 4.00 on the 2nd.
    s = page.series
    assert (s.first, s.after) == (date(2026, 4, 1), date(2026, 5, 1))
    assert page.daily_chart.title_text() == "Spend per day, April 2026"
    assert s.amounts["openai"][0] == D("0.50") and s.amounts["anthropic"][1] == D("4.00")
    # Spent so far: 0.50 by the 1st, then 4.50 each day to today (the 15th: 14 days of
    # 4.50); nothing drawn after today.
    assert list(page.cumulative_chart.line.getData()[1]) == [0.5] + [4.5] * 14
    # openai has the same colour on the Dashboard as on Trends (one palette per database).
    openai = page.daily_chart.bars[s.names.index("openai")].opts["brush"].color().name()
    window.show_page("trends")
    trends = window.pages["trends"]
    qtbot.waitUntil(trends.is_loaded, timeout=WAIT)
    on_trends = trends.spend.bars[trends.series.names.index("openai")].opts["brush"]
    assert on_trends.color().name() == openai
    # A click on April 2nd's bar opens the Usage page on that day, anthropic only.
    window.show_page("dashboard")
    click_chart(qtbot, page.daily_chart, date_x(date(2026, 4, 2)) + 43_200, 2.0)
    usage = window.pages["usage"]
    qtbot.waitUntil(lambda: window.current_page() is usage and usage.model.complete
                    and usage_rows(usage) == [("anthropic", "claude-haiku")], timeout=WAIT)
