"""The report's charts: the app's own chart widgets (app/charts), filled with the report's
period and rendered offscreen, so the PDF and HTML show what the Dashboard and Trends show.

Three charts: spend per day stacked by vendor, spend by vendor (the top bars), and the running
total against the month's budgets. They cover everything in the period, so a report scoped to
a vendor or project carries none (they would show more than the report's figures).
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

from meterbook.core.records import from_epoch_us
from meterbook.reports.monthly import MonthlyReport
from meterbook.store.database import Database
from meterbook.store.spend_series import Ranking, series_colours, spend_series

CHART_SIZE = (900, 320)  # logical pixels; exported at twice that (charts.base.PNG_SCALE)
TITLES = {"daily_spend": "Daily spend by vendor", "spend_by_vendor": "Spend by vendor",
          "cumulative": "Spent so far"}


def application():
    """The running QApplication, or an offscreen one for the CLI (no window is ever shown)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        from PySide6.QtCore import qInstallMessageHandler

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        qInstallMessageHandler(_quiet_offscreen)
        app = QApplication(["meterbook-report"])
    return app


def _quiet_offscreen(_kind, _context, message: str) -> None:
    """The offscreen platform warns about window hints it ignores for every chart laid out:
    nothing a person asked about. Other Qt messages still reach stderr."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def _light(chart) -> None:
    """Reports are printed: the light palette whatever the app's theme."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    chart.setPalette(QApplication.style().standardPalette())
    chart.resize(*CHART_SIZE)
    # Laid out like a shown widget (axes sized, tick labels placed) but never on a screen.
    chart.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    chart.show()
    chart.apply_palette()


def _png(chart) -> bytes:
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()  # the layout settles before the scene is drawn
    with tempfile.TemporaryDirectory(prefix="meterbook-chart-") as folder:
        path = Path(folder) / "chart.png"
        chart.export(path)
        return path.read_bytes()


def chart_images(db: Database, report: MonthlyReport) -> dict[str, bytes]:
    """PNG bytes by name (TITLES' keys); empty for a scoped or empty report."""
    if report.vendor or report.project or report.empty:
        return {}
    from PySide6.QtCore import QThread

    if QThread.currentThread() is not application().thread():
        # Widgets live on the GUI thread only; a worker drawing them would crash Qt.
        raise RuntimeError("the report's charts are drawn on the GUI thread: save a PDF or "
                           "HTML report there (report_export.save_report)")
    from meterbook.app.charts.cumulative import CumulativeSpend
    from meterbook.app.charts.palette import SeriesPalette
    from meterbook.app.charts.stacked_bars import StackedBars
    from meterbook.app.charts.top_bars import TopBars

    tz = report.tz_name
    first = _local_day(report.period.from_us, tz)
    after = _local_day(report.period.to_us, tz)
    with db.engine.connect() as conn:
        series = spend_series(conn, tz, first, after, "day", "vendor")
        palette = SeriesPalette(series_colours(conn))  # the app's colours; none saved here
    ranking = _vendor_ranking(report)
    out = {}
    daily = StackedBars()
    _light(daily)
    daily.set_series(series, palette.colours("vendor", series.names), title=TITLES["daily_spend"])
    out["daily_spend"] = _png(daily)
    top = TopBars()
    _light(top)
    top.set_ranking(ranking, palette.colours("vendor", ranking.names), first, after,
                    title=TITLES["spend_by_vendor"])
    out["spend_by_vendor"] = _png(top)
    cumulative = CumulativeSpend()
    _light(cumulative)
    cumulative.set_spend_series(series, title=TITLES["cumulative"])
    # Only budgets for everything over exactly this period compare with this line.
    lines = [(b.budget.name, b.budget.amount) for b in report.budgets or []
             if b.budget.scope == "everything" and b.first == first
             and (after - b.last).days == 1]
    cumulative.set_budget_lines(lines)
    out["cumulative"] = _png(cumulative)
    for chart in (daily, top, cumulative):
        chart.deleteLater()
    return out


def _vendor_ranking(report: MonthlyReport, limit: int = 10) -> Ranking:
    """What `top_spenders(..., "vendor")` gives the Trends page, from the report's own rows
    (usage charges: a monthly fee is no vendor's usage), without asking the database again."""
    rows = sorted(report.grouped("vendor"), key=lambda r: (-r.usage_cost, r.key))[:limit]
    return Ranking("vendor", report.currency, [r.key for r in rows],
                   [r.usage_cost for r in rows], [r.requests for r in rows],
                   [r.unpriced_requests for r in rows])


def _local_day(us: int, tz_name: str) -> date:
    from meterbook.core.periods import zone

    return from_epoch_us(us).astimezone(zone(tz_name)).date()
