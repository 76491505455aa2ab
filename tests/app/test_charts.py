"""The chart widgets (app/charts) fed with constructed series: what each chart was given and
draws (series, sums, colours), the unpriced markers, updates in place, and export to files.

Assertions are on the data the plot items hold, never on pixels (charts.md).
"""

from __future__ import annotations

import struct
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from sqlmodel import Session

from meterbook.app.charts.axes import compact_money, date_x
from meterbook.app.charts.cumulative import CumulativeSpend, running_totals
from meterbook.app.charts.histogram import CostHistogram
from meterbook.app.charts.palette import (
    FEES_COLOUR,
    OKABE_ITO,
    OTHER_COLOUR,
    SeriesPalette,
    palette_of,
)  # fmt: skip
from meterbook.app.charts.scenario_lines import Scenario, ScenarioLines
from meterbook.app.charts.stacked_bars import StackedBars
from meterbook.app.charts.top_bars import TopBars
from meterbook.app.context import AppContext
from meterbook.store.settings import get_setting
from meterbook.store.spend_series import (
    COLOURS_KEY,
    FEES,
    OTHER,
    Distribution,
    Ranking,
    SpendSeries,
)  # fmt: skip

D = Decimal
WAIT = 10_000


pytestmark = pytest.mark.usefixtures("american")


def three_days() -> SpendSeries:
    """March 1st to 3rd 2026: openai 2.00, 0.50, 0; anthropic 0, 6.00, 1.25; mistral only
    unpriced (3 requests on the 2nd); the month's 5.00 fee on the 1st."""
    days = [date(2026, 3, d) for d in (1, 2, 3)]
    return SpendSeries(
        "day", "vendor", "USD", days[0], date(2026, 3, 4), days,
        [d + timedelta(days=1) for d in days], ["anthropic", "openai", "mistral", FEES],
        amounts={"anthropic": [D(0), D("6.00"), D("1.25")],
                 "openai": [D("2.00"), D("0.50"), D(0)],
                 "mistral": [D(0), D(0), D(0)], FEES: [D("5.00"), D(0), D(0)]},
        requests={"anthropic": [0, 2, 1], "openai": [1, 1, 0], "mistral": [0, 3, 0],
                  FEES: [0, 0, 0]},
        unpriced={"anthropic": [0, 0, 0], "openai": [0, 0, 0], "mistral": [0, 3, 0],
                  FEES: [0, 0, 0]})


def colours_of(bar) -> str:
    return bar.opts["brush"].color().name().upper()


def test_stacked_bars_draw_each_series_on_the_ones_below(qtbot):
    chart = StackedBars()
    qtbot.addWidget(chart)
    palette = SeriesPalette()
    s = three_days()
    chart.set_series(s, palette.colours("vendor", s.names), title="Spend per day, March 2026")
    anthropic, openai, _mistral, fees = chart.bars[:4]
    assert list(openai.opts["height"]) == [2.0, 0.5, 0.0]
    # openai stands on anthropic: y0 is anthropic's height (0, 6.00, 1.25).
    assert list(openai.opts["y0"]) == [0.0, 6.0, 1.25]
    # The fee stands on everything else of March 1st: 0 + 2.00 + 0 = 2.00.
    assert list(fees.opts["y0"]) == [2.0, 6.5, 1.25]
    assert list(fees.opts["height"]) == [5.0, 0.0, 0.0]
    # Day totals: 7.00, 6.50, 1.25 (money, from the Decimals)
    assert s.totals() == [D("7.00"), D("6.50"), D("1.25")]
    # The amber marker of unpriced usage (March 2nd) has its own legend entry.
    assert chart.legend_names() == ["anthropic", "openai", "mistral", FEES,
                                    "unpriced requests (no plan)"]
    # Sorted names get the palette in order; the fee keeps its own colour.
    assert colours_of(anthropic) == OKABE_ITO[0] and colours_of(openai) == OKABE_ITO[2]
    assert colours_of(fees) == FEES_COLOUR.upper()
    assert chart.title_text() == "Spend per day, March 2026"


def test_unpriced_usage_is_an_amber_marker_with_its_count(qtbot):
    chart = StackedBars()
    qtbot.addWidget(chart)
    s = three_days()
    chart.set_series(s, SeriesPalette().colours("vendor", s.names))
    # mistral drew no bar (height 0 every day) but March 2nd carries a marker.
    assert list(chart.bars[2].opts["height"]) == [0.0, 0.0, 0.0]
    assert chart.unpriced_marks() == [(date(2026, 3, 2), 3)]
    points = chart.unpriced_marker.data
    assert len(points) == 1 and points[0]["data"] == 3
    assert points[0]["x"] == pytest.approx(date_x(date(2026, 3, 2)) + 43_200)
    # The hover over March 2nd's openai segment (6.00 to 6.50) names it and the unpriced count.
    text = chart.describe(date_x(date(2026, 3, 2)) + 43_200, 6.25)
    assert text == ("Mon 2 Mar 2026 · openai $0.50 (1 request) · total $6.50, 6 requests"
                    " · 3 requests unpriced, not in the bars")


def test_a_refresh_updates_the_same_items(qtbot):
    chart = StackedBars()
    qtbot.addWidget(chart)
    s = three_days()
    colours = SeriesPalette().colours("vendor", s.names)
    chart.set_series(s, colours)
    items = list(chart.plot.listDataItems()), list(chart.bars), chart.unpriced_marker
    s.amounts["openai"] = [D("1.00"), D("1.00"), D("1.00")]
    chart.set_series(s, colours)
    assert (list(chart.plot.listDataItems()), list(chart.bars), chart.unpriced_marker) == items
    assert list(chart.bars[1].opts["height"]) == [1.0, 1.0, 1.0]
    # Fewer series: the spare bar is emptied and hidden, not removed.
    s.names = ["anthropic", "openai"]
    chart.set_series(s, colours)
    assert chart.bars[2] is items[1][2] and not chart.bars[2].isVisible()
    assert chart.legend_names() == ["anthropic", "openai"]  # mistral's unpriced gone too
    assert chart.unpriced_marks() == []


def test_a_click_on_a_bar_gives_its_day_and_series(qtbot):
    chart = StackedBars()
    qtbot.addWidget(chart)
    s = three_days()
    chart.set_series(s, SeriesPalette().colours("vendor", s.names))
    middle = date_x(date(2026, 3, 2)) + 43_200
    # anthropic is 0 to 6.00 on March 2nd; above the stack there is no series.
    assert chart.hit(middle, 3.0) == (date(2026, 3, 2), date(2026, 3, 3), "anthropic")
    assert chart.hit(middle, 6.4) == (date(2026, 3, 2), date(2026, 3, 3), "openai")
    assert chart.hit(middle, 9.0) == (date(2026, 3, 2), date(2026, 3, 3), None)
    # The fee is nobody's usage: the whole day.
    assert chart.hit(date_x(date(2026, 3, 1)) + 43_200, 4.0)[2] is None


def test_a_vendor_keeps_its_colour_on_every_chart_and_after_a_restart(qtbot, db):
    ctx = AppContext(db)
    try:
        bars, top = StackedBars(), TopBars()
        qtbot.addWidget(bars)
        qtbot.addWidget(top)
        s = three_days()
        bars.set_series(s, palette_of(ctx).colours("vendor", s.names))
        ranking = Ranking("vendor", "USD", ["anthropic", "openai"], [D("7.25"), D("2.50")],
                          [3, 2], [0, 0])
        top.set_ranking(ranking, palette_of(ctx).colours("vendor", ranking.names),
                        date(2026, 3, 1), date(2026, 3, 4))
        openai_on_bars = colours_of(bars.bars[1])
        openai_on_top = top.bars.opts["brushes"][1].color().name().upper()
        assert openai_on_bars == openai_on_top == OKABE_ITO[2]
        qtbot.waitUntil(lambda: not ctx.tasks.running, timeout=WAIT)  # stored by the writer
    finally:
        ctx.tasks.shutdown()
    with Session(db.engine) as session:
        assert '"openai": "#009E73"' in get_setting(session, key=COLOURS_KEY)
    again = AppContext(db)  # a new session on the same database
    try:
        # A vendor seen for the first time now takes a free colour, never openai's.
        found = palette_of(again).colours("vendor", ["deepl", "openai"])
        assert found["openai"] == OKABE_ITO[2]
        # anthropic, mistral and openai took the first three (sorted by name).
        assert found["deepl"] == OKABE_ITO[3]
        assert palette_of(again).colour("vendor", OTHER) == OTHER_COLOUR
    finally:
        again.tasks.shutdown()


def test_cumulative_spend_with_budget_lines_and_a_forecast(qtbot):
    chart = CumulativeSpend()
    qtbot.addWidget(chart)
    s = three_days()
    # Running totals: 7.00, 7.00 + 6.50 = 13.50, 13.50 + 1.25 = 14.75.
    assert running_totals(s) == (s.starts, [D("7.00"), D("13.50"), D("14.75")])
    chart.set_spend_series(s, title="Spent so far in March 2026")
    xs, ys = chart.line.getData()
    assert list(ys) == [7.0, 13.5, 14.75]
    assert xs[0] == date_x(date(2026, 3, 1)) + 43_200  # a day's point stands over its middle
    chart.set_budget_lines([("Everything 50 %", D("50")), ("Everything 100 %", D("100"))])
    lines = list(chart.budget_lines)
    assert [line.value() for line in lines] == [50.0, 100.0]
    assert lines[1].label.format == "Everything 100 %: $100.00"
    points = [(date(2026, 3, d), D(15) + 2 * d) for d in range(4, 32)]
    chart.set_forecast(points, [v - 3 for _d, v in points], [v + 3 for _d, v in points])
    assert list(chart.forecast_line.getData()[1])[:2] == [23.0, 25.0]  # 15 + 2 x 4, 15 + 2 x 5
    assert list(chart.high_line.getData()[1])[-1] == 80.0  # 15 + 2 x 31 + 3
    assert chart.band.curves == [chart.low_line, chart.high_line]
    assert chart.legend_names() == ["spent so far", "forecast"]
    # Budgets change: the same lines move, the spare one hides.
    chart.set_budget_lines([("Everything 80 %", D("80"))])
    assert chart.budget_lines == lines and lines[0].value() == 80.0
    assert not lines[1].isVisible()
    assert chart.unpriced_marker.data["x"].tolist() == [date_x(date(2026, 3, 2)) + 43_200]
    assert chart.describe(date_x(date(2026, 3, 2)) + 43_200, 13.5) == (
        "by the end of 2 Mar 2026: $13.50 spent · 3 requests unpriced, not included")


def test_histogram_of_cost_per_request(qtbot):
    chart = CostHistogram()
    qtbot.addWidget(chart)
    values = [D("0.50") / 3, D("0.50"), D("2.00"), D("3.00"), D("4.00")]
    d = Distribution("request", "USD", values, 1, D("2.00"), D("3.60"))
    chart.set_distribution(d, title="Cost per request", flat_price=D("1"))
    # Four bins a decade (see test_spend_series): counts 1, 0, 1, 0, 0, 2, 1.
    assert list(chart.bars.opts["height"]) == [1, 0, 1, 0, 0, 2, 1]
    assert chart.bars.opts["x0"][0] == pytest.approx(-1.0)  # log10 of the first edge, 0.1
    assert chart.median_line.value() == pytest.approx(0.30103)  # log10(2.00)
    assert chart.median_line.label.format == "median $2.00"
    assert chart.p90_line.label.format == "90th percentile $3.60"
    # The flat price at log10(1) = 0; the tint from it to the last edge (log10 5.62 = 0.75).
    assert chart.flat_line.value() == 0.0
    assert chart.above_flat.getRegion() == pytest.approx((0.0, 0.75))
    assert chart.legend_names() == ["requests (5)", "1 with unpriced usage, not shown"]


def test_top_bars_sorted_with_their_amounts(qtbot):
    chart = TopBars()
    qtbot.addWidget(chart)
    ranking = Ranking("model", "USD", ["claude-haiku", "gpt-4o", "mistral-large"],
                      [D("10.00"), D("2.50"), D(0)], [3, 2, 1], [0, 0, 1])
    chart.set_ranking(ranking, SeriesPalette().colours("model", ranking.names),
                      date(2026, 3, 1), date(2026, 5, 1))
    assert list(chart.bars.opts["width"]) == [10.0, 2.5, 0.0]
    assert list(chart.bars.opts["y"]) == [2.0, 1.0, 0.0]  # the largest at the top
    assert [label.textItem.toPlainText() for label in chart.amount_labels] == [
        " $10.00", " $2.50", " 1 request unpriced"]  # unpriced is never "$0.00"
    assert chart.hit(1.0, 2.0) == (date(2026, 3, 1), date(2026, 5, 1), "claude-haiku")


def test_scenario_lines_saved_solid_alternatives_dashed(qtbot):
    chart = ScenarioLines()
    qtbot.addWidget(chart)
    months = [date(2026, m, 1) for m in (1, 2, 3)]
    chart.set_scenarios(months, [Scenario("Saved plans", (D(100), D(110), D(120)), saved=True),
                                 Scenario("Flat 115", (D(115),) * 3)],
                        {"Saved plans": OKABE_ITO[0], "Flat 115": OKABE_ITO[1]}, "USD")
    saved, flat = chart.lines[:2]
    assert list(saved.getData()[1]) == [100.0, 110.0, 120.0]
    assert saved.opts["pen"].style() == Qt.PenStyle.SolidLine
    assert flat.opts["pen"].style() == Qt.PenStyle.DashLine
    assert chart.legend_names() == ["Saved plans", "Flat 115 (alternative)"]
    assert chart.describe(date_x(months[1]), 0) == (
        "Feb 2026: Saved plans $110.00 · Flat 115 $115.00")


def test_export_to_png_at_twice_the_size_and_to_svg(qtbot, tmp_path):
    chart = StackedBars()
    qtbot.addWidget(chart)
    s = three_days()
    chart.set_series(s, SeriesPalette().colours("vendor", s.names))
    chart.resize(600, 300)  # never shown: as the report writer renders it
    png = chart.export(tmp_path / "spend.png")
    width, _height = struct.unpack(">II", png.read_bytes()[16:24])  # the PNG header
    assert width == 2 * int(chart.view.ci.boundingRect().width())
    svg = chart.export(tmp_path / "spend.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg
    with pytest.raises(ValueError, match=r"spend\.pdf: a chart is saved as \.png or \.svg"):
        chart.export(tmp_path / "spend.pdf")


def test_money_ticks_use_no_more_decimals_than_needed():
    assert [compact_money(D(v), "USD") for v in ("1234", "350", "0.04", "0.0031", "10",
                                                 "2.5", "1500000")] == [
        "$1.2k", "$350", "$0.04", "$0.0031", "$10", "$2.50", "$1.5M"]


def test_the_chart_follows_the_application_palette(qtbot):
    chart = StackedBars()
    qtbot.addWidget(chart)
    palette = chart.palette()
    palette.setColor(palette.ColorRole.Base, QColor("#202020"))
    palette.setColor(palette.ColorRole.WindowText, QColor("#eeeeee"))
    chart.setPalette(palette)
    assert chart.view.backgroundBrush().color().name() == "#202020"
    assert chart.plot.getAxis("left").textPen().color().name() == "#eeeeee"
