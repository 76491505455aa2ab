"""The Reports page as an owner uses it: pick a month, read the preview, export it, open the
folder. The database is the report tests' (tests/reports/report_data.py), in UTC, and the page's
clock is fixed, so nothing depends on today's date or the computer's zone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl

import meterbook.app.pages.reports as page_module
from meterbook.app.context import AppContext
from meterbook.app.pages.reports import ReportsPage
from meterbook.core.money import format_display
from tests.app.test_keyboard import assert_in_order, tab_round
from tests.helpers import cost_of_month, usage_database
from tests.reports.report_data import PLANS, USAGE

NOW = datetime(2026, 5, 3, 8, 0, tzinfo=UTC)  # "this month" is May 2026, which has no usage
WAIT = 10_000  # ms
pytestmark = pytest.mark.usefixtures("american")  # "$1,234.50"


@pytest.fixture
def db(tmp_path):
    with usage_database(tmp_path, PLANS, USAGE, utc=True, now=NOW) as database:
        yield database


@pytest.fixture
def page(qtbot, ctx):
    shown = ReportsPage(ctx, now=NOW)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitUntil(lambda: shown.report is not None, timeout=WAIT)
    return shown


def pick(qtbot, page, combo, text: str) -> None:
    """Choose `text` in a combo box as a person does: open it, click the item."""
    index = combo.findText(text)
    assert index >= 0, f"{text!r} is not among {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    qtbot.waitUntil(lambda: page.report is not None, timeout=WAIT)


def test_a_month_picked_shows_its_total_as_cost_says(qtbot, page, db):
    # April (report_data.py): gpt-4o 6.00 + claude-haiku 5.10 + web-search 0.40 + legacy 0.25
    # + Chat's fee 5.00 = 16.75, as `meterbook cost --month 2026-04`.
    cost = cost_of_month(db, "2026-04-01", "2026-05-01")
    assert cost == Decimal("16.75")
    pick(qtbot, page, page.period, "April 2026")
    text = page.preview.toPlainText()
    assert "AI spend report: 2026-04" in text
    assert f"{format_display(cost)} USD" in text
    # Why it changed, above the preview: March was 14.75 (4.00 + 5.10 + 0.40 + 0.25 + 5.00),
    # so +2.00, and the parts add up to it.
    assert page.change.headline == "April 2026 vs March 2026: +$2.00"
    assert sum(amount for _words, amount in page.change.parts) == Decimal("2.00")


def test_the_month_follows_the_dashboard(qtbot, page, ctx):
    ctx.select_month(date(2026, 3, 1))
    qtbot.waitUntil(lambda: page.report is not None and page.report.period.label == "2026-03",
                    timeout=WAIT)
    assert page.period.currentText() == "March 2026"
    assert f"{format_display(Decimal('14.75'))} USD" in page.preview.toPlainText()


def test_an_empty_month_says_so(qtbot, page):
    # May 2026 (this month) holds no usage; Chat's fee (5.00) is owed all the same.
    pick(qtbot, page, page.period, "May 2026")
    assert ("2026-05 holds no usage: only the fixed charges of the plans in force (5.00 USD) "
            "are owed.") in page.preview.toPlainText()
    assert page.report.empty
    # May is still running (NOW): the change says it sets part of a month against April.
    # 5.00 - 16.75 = -11.75
    assert page.change.headline == "May 2026 so far vs April 2026: -$11.75"
    # The project "web" owes no fee (fees belong to no project): nothing at all.
    pick(qtbot, page, page.project, "web")
    assert ("2026-05 holds no usage and no charges in this scope: this report is empty."
            in page.preview.toPlainText())


def test_export_as_csv_writes_the_file_whose_total_is_the_cost(qtbot, page, db, tmp_path,
                                                             monkeypatch):
    pick(qtbot, page, page.period, "April 2026")
    asked = []

    def save_as(parent, caption, suggested, filters):
        asked.append(Path(suggested).name)
        return str(tmp_path / "out" / "april"), filters  # no extension typed: .csv is added

    (tmp_path / "out").mkdir()
    monkeypatch.setattr(page_module.QFileDialog, "getSaveFileName", save_as)
    qtbot.mouseClick(page.export_buttons["csv"], Qt.MouseButton.LeftButton)
    target = tmp_path / "out" / "april.csv"
    qtbot.waitUntil(lambda: page.exported == target, timeout=WAIT)
    assert asked == ["meterbook-2026-04.csv"]
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    header, *lines = rows
    assert lines[-1][0] == "TOTAL"
    total = Decimal(lines[-1][header.index("cost")])
    assert total == cost_of_month(db, "2026-04-01", "2026-05-01") == Decimal("16.75")
    # the lines add up to the TOTAL line
    assert sum(Decimal(r[header.index("cost")]) for r in lines[:-1]) == total
    assert "Saved april.csv" in page.message.text()

    opened = []
    monkeypatch.setattr(page_module.QDesktopServices, "openUrl", opened.append)
    assert page.open_folder.isVisible()
    qtbot.mouseClick(page.open_folder, Qt.MouseButton.LeftButton)
    assert opened == [QUrl.fromLocalFile(str(tmp_path / "out"))]


def test_a_scope_names_the_file_and_narrows_the_report(qtbot, page, tmp_path, monkeypatch):
    pick(qtbot, page, page.period, "April 2026")
    pick(qtbot, page, page.vendor, "openai")
    # openai in April: gpt-4o 2 x (1.50 + 1.50) = 6.00 + Chat's fee 5.00 = 11.00
    assert page.report.total.cost == Decimal("11.00")
    asked = []
    monkeypatch.setattr(page_module.QFileDialog, "getSaveFileName",
                        lambda *a: (asked.append(Path(a[2]).name), ("", ""))[1])
    qtbot.mouseClick(page.export_buttons["xlsx"], Qt.MouseButton.LeftButton)
    assert asked == ["meterbook-2026-04-openai.xlsx"]
    assert page.exported is None and not page.open_folder.isVisible()  # cancelled: nothing


def test_a_quarter_reports_its_three_months(qtbot, page, db):
    pick(qtbot, page, page.kind, "Quarter")
    pick(qtbot, page, page.period, "Q1 2026")
    # Q1 2026 holds March only: 14.75 (see above), as `meterbook cost --from 2026-01-01
    # --to 2026-04-01`
    assert page.report.total.cost == cost_of_month(db, "2026-01-01", "2026-04-01")
    assert "2026-01-01 to 2026-03-31" in page.preview.toPlainText()


def test_a_file_that_cannot_be_written_is_said_plainly(qtbot, page, tmp_path, monkeypatch):
    pick(qtbot, page, page.period, "April 2026")
    missing = tmp_path / "no-such-folder" / "r.html"
    monkeypatch.setattr(page_module.QFileDialog, "getSaveFileName",
                        lambda *a: (str(missing), ""))
    qtbot.mouseClick(page.export_buttons["html"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "cannot write the report" in page.message.text(), timeout=WAIT)
    assert str(missing) in page.message.text() and "nothing was written" in page.message.text()
    assert not missing.parent.exists() and not page.open_folder.isVisible()


def test_the_keyboard_walks_the_choices_the_exports_and_the_preview(qtbot, window):
    window.show_page("reports")
    page = window.pages["reports"]
    qtbot.waitUntil(page.is_loaded, timeout=WAIT)
    seen = tab_round(qtbot, window, window.sidebar)
    # The preview takes one stop and lets Tab go on (a text browser would keep it for links).
    assert_in_order(seen, page.kind, page.period, page.vendor, page.project,
                    *page.export_buttons.values(), page.preview)


def test_export_as_html_writes_the_page_the_preview_shows(qtbot, page, tmp_path, monkeypatch):
    pick(qtbot, page, page.period, "March 2026")
    target = tmp_path / "march.html"
    monkeypatch.setattr(page_module.QFileDialog, "getSaveFileName",
                        lambda *a: (str(target), ""))
    qtbot.mouseClick(page.export_buttons["html"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.exported == target, timeout=WAIT)
    written = target.read_text("utf-8")
    assert "<h1>AI spend report: 2026-03</h1>" in written
    # March: 4.00 + 5.10 + 0.40 + 0.25 + 5.00 = 14.75 (report_data.py)
    assert "<td>Total (USD)</td><td>14.75 USD</td>" in written
    assert page.open_folder.isVisible()


EURO_PLAN = """
[[plan]]
name = "Euro chat"
vendor = "openai"
model = "gpt-*"
currency = "EUR"
token_unit = 1000
input = "1.00"
output = "2.00"
"""
EURO_USAGE = """\
timestamp,vendor,model,request_id,requests,input_tokens,output_tokens
2026-04-02T09:00:00Z,openai,gpt-4o,e1,1,1000,0
"""


def test_a_missing_exchange_rate_is_named_for_the_owner(qtbot, tmp_path):
    # Home currency USD, a plan in EUR, no EUR rate saved for April: no figure can be given.
    (tmp_path / "euro").mkdir()
    with usage_database(tmp_path / "euro", EURO_PLAN, EURO_USAGE, utc=True, now=NOW) as db:
        context = AppContext(db)
        try:
            page = ReportsPage(context, now=NOW)
            qtbot.addWidget(page)
            page.show()
            qtbot.waitUntil(page.is_loaded, timeout=WAIT)
            assert page.period.currentText() == "April 2026"  # the latest month with usage
            assert page.preview.toPlainText() == (
                "No report: it needs the exchange rate of EUR for April 2026, which nobody "
                "saved (add it in Settings).")
            assert not page.export_buttons["csv"].isEnabled()
            assert not page.change.isVisible()  # no change to explain without figures
        finally:
            context.tasks.shutdown()
