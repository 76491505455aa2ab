"""The Dashboard's cumulative chart against the budgets: spend so far, a line per threshold of
the monthly budgets over everything, and the forecast with its band while the month runs.

The page's clock is fixed (April 15th 2026, noon UTC) and the report zone is UTC; every
expected figure is worked out by hand below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from meterbook.app.pages.dashboard import DashboardPage
from meterbook.core.budgets import Budget
from meterbook.store.budgets import save_budget
from tests.helpers import CHAT_FEE_PLANS, import_text, usage_database

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
WAIT = 10_000  # ms
HEAD = "timestamp,vendor,model,request_id,conversation_id,requests,input_tokens,output_tokens\n"

pytestmark = pytest.mark.usefixtures("american")


def usage(days: list[date]) -> str:
    """One request a day at 09:00 UTC: 2,000 input tokens (1.00 under Chat's 0.50 per 1k) on
    odd days, 4,000 (2.00) on even days."""
    return HEAD + "".join(
        f"{d}T09:00:00Z,openai,gpt-4o,r{d},c{d},1,{2000 if d.day % 2 else 4000},0\n"
        for d in days)


@pytest.fixture
def db(tmp_path):
    with usage_database(tmp_path, CHAT_FEE_PLANS, utc=True) as database:
        yield database


def shown(qtbot, ctx) -> DashboardPage:
    page = DashboardPage(ctx, now=NOW)
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.show()
    qtbot.waitUntil(lambda: page.series is not None, timeout=WAIT)
    return page


def ys(item) -> list[float]:
    data = item.getData()[1]
    return [] if data is None else [float(v) for v in data]


def drawn_budget_lines(chart) -> list[tuple[str, float]]:
    return [(line.label.format.split(":")[0], line.value())
            for line in chart.budget_lines if line.isVisible()]


def test_spend_budget_thresholds_and_forecast_band(qtbot, ctx, db, tmp_path):
    import_text(db, tmp_path, usage([date(2026, 4, d) for d in range(1, 16)]))
    save_budget(db, Budget("Monthly", Decimal("60.00")))  # thresholds 50, 80, 100 %
    # Not measured against the month's whole spend: not drawn.
    save_budget(db, Budget("OpenAI", Decimal("10"), vendor="openai"))
    save_budget(db, Budget("Quarter", Decimal("150"), period="quarter"))
    page = shown(qtbot, ctx)
    chart = page.cumulative_chart
    # Day 1: the 5.00 fee + 1.00 = 6.00; then +2.00 on even days, +1.00 on odd days, to
    # today (the 15th): 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24, 26, 27.
    assert ys(chart.line) == [6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24, 26, 27]
    # Monthly 60.00: 50 % = 30.00, 80 % = 48.00, 100 % = 60.00.
    assert drawn_budget_lines(chart) == [("Monthly 50 %", 30.0), ("Monthly 80 %", 48.0),
                                         ("Monthly 100 %", 60.0)]
    # Run rate: April 1-14 (the 14 complete days before today) cost 7 x 1.00 + 7 x 2.00 =
    # 21.00, 1.50 a day; 15 days remain (16th-30th): forecast 27.00 + 15 x 1.50 = 49.50.
    # Band: the days' median is 1.50, each 0.50 from it (MAD 0.50); half-width
    # 2 x 1.4826 x 0.50 x sqrt(15) = 5.7421 (to 4 places).
    half = float(2 * Decimal("1.4826") * Decimal("0.5") * Decimal(15).sqrt())
    assert round(half, 4) == 5.7421
    assert ys(chart.forecast_line) == [27.0, 49.5]
    assert ys(chart.low_line) == pytest.approx([27.0, 49.5 - half], abs=1e-6)
    assert ys(chart.high_line) == pytest.approx([27.0, 49.5 + half], abs=1e-6)
    # The forecast runs from today to the month's last day, and the band fills between.
    forecast_days = [d for d, _v in chart.forecast]
    assert forecast_days == [date(2026, 4, 15), date(2026, 4, 30)]
    assert chart.band.curves == [chart.low_line, chart.high_line]
    filled = chart.band.path().boundingRect()  # the shaded band, in the plot's units
    assert (filled.top(), filled.bottom()) == pytest.approx((27.0, 49.5 + half), abs=1e-6)
    assert "forecast" in chart.legend_names()
    assert chart.note_text() == ""


def test_an_ended_month_shows_what_was_spent_only(qtbot, ctx, db, tmp_path):
    import_text(db, tmp_path, usage([date(2026, 3, d) for d in range(1, 32)]))
    save_budget(db, Budget("Monthly", Decimal("100")))
    page = shown(qtbot, ctx)
    page.select_month(date(2026, 3, 1))
    chart = page.cumulative_chart
    qtbot.waitUntil(lambda: page.series is not None and page.series.first == date(2026, 3, 1)
                    and len(ys(chart.line)) == 31, timeout=WAIT)
    # March: 5.00 fee + 16 odd days x 1.00 + 15 even days x 2.00 = 51.00 by the 31st.
    assert ys(chart.line)[0] == 6.0 and ys(chart.line)[-1] == 51.0
    assert ys(chart.forecast_line) == [] and ys(chart.low_line) == []
    assert "forecast" not in chart.legend_names()
    assert chart.note_text() == ""
    assert drawn_budget_lines(chart) == [("Monthly 50 %", 50.0), ("Monthly 80 %", 80.0),
                                         ("Monthly 100 %", 100.0)]


def test_too_little_history_is_said_on_the_chart(qtbot, ctx, db, tmp_path):
    # Spend from the 12th: three complete days (12th-14th) before today, seven needed.
    import_text(db, tmp_path, usage([date(2026, 4, d) for d in (12, 13, 14, 15)]))
    page = shown(qtbot, ctx)
    chart = page.cumulative_chart
    qtbot.waitUntil(lambda: chart.note_text() != "", timeout=WAIT)
    assert chart.note_text() == "No forecast: too little history: 3 days of spend, 7 needed"
    assert ys(chart.forecast_line) == []
    # The fee on the 1st, nothing more to the 11th, then 2.00, 1.00, 2.00, 1.00.
    assert ys(chart.line) == [5.0] * 11 + [7.0, 8.0, 10.0, 11.0]
    assert drawn_budget_lines(chart) == []  # no budget saved: no line


def test_the_dashboard_is_read_while_the_window_is_still_being_built(qtbot, ctx, db,
                                                                     tmp_path):
    # Start-up: the figures and the charts are read from the page's construction on, not
    # from its first showing, so that a fresh start shows them sooner (issue 8, item 8).
    import_text(db, tmp_path, usage([date(2026, 4, 1), date(2026, 4, 2)]))
    page = DashboardPage(ctx, now=NOW)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.figures is not None and page.series is not None,
                    timeout=WAIT)
    assert not page.isVisible()
    # April: the 5.00 fee + 1.00 (the 1st) + 2.00 (the 2nd) = 8.00.
    assert page.this_month.value.text() == "$8.00"
    assert ys(page.cumulative_chart.line)[:2] == [6.0, 8.0]
