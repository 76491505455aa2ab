"""The Usage page as a person uses it: read the records, search, pick a vendor or a month,
sort by a column, select a record and read it in full. Expected values are worked out by hand.

Times and money are read in the en_GB locale ("02/04/2026 12:00", "$4.0000"); the report zone
is saved as UTC.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from meterbook.app.context import AppContext
from meterbook.app.models import usage_model
from meterbook.app.models.usage_model import COST, RECORD_ID_ROLE, UNPRICED, UsageTableModel
from meterbook.app.pages.usage import UsagePage
from meterbook.importers.pipeline import import_files
from meterbook.store.database import open_database
from tests.helpers import CHAT_CLAUDE_PLANS, WORKED_USAGE, usage_database, write_file

WAIT = 10_000  # ms
NOW = datetime(2026, 6, 1, tzinfo=UTC)

PLANS = CHAT_CLAUDE_PLANS

USAGE = WORKED_USAGE  # each record's charge is worked out beside it

HEADER = ["Time", "Vendor", "Model", "Project", "Requests", "Input", "Output", "Cost", "Priced by"]
ROWS = {
    "r6_x": ["02/04/2026 12:00", "anthropic", "claude-haiku", "support", "1", "3,000", "200",
             "$4.0000", "Claude"],
    "r5": ["01/04/2026 08:00", "openai", "gpt-4o", "", "3", "0", "250", "$0.5000", "Chat"],
    "r4": ["31/03/2026 23:30", "mistral", "mistral-large", "sales", "1", "500", "100",
           UNPRICED, ""],
    "r3": ["03/03/2026 11:00", "anthropic", "claude-haiku", "sales", "2", "1,000", "1,000",
           "$6.0000", "Claude"],
    "r2": ["02/03/2026 10:00", "openai", "gpt-4o-mini", "support", "1", "1,000", "0",
           "$0.5000", "Chat"],
    "r1": ["01/03/2026 09:00", "openai", "gpt-4o", "support", "1", "2,000", "500", "$2.0000",
           "Chat"],
}
NEWEST_FIRST = ["r6_x", "r5", "r4", "r3", "r2", "r1"]


pytestmark = pytest.mark.usefixtures("british")


@pytest.fixture
def db(tmp_path, store_url):
    with usage_database(tmp_path, PLANS, USAGE, now=NOW, utc=True, url=store_url) as database:
        yield database


def open_page(qtbot, ctx) -> UsagePage:
    page = UsagePage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    # The count first reads "N records · adding up…" while the totals are summed in the
    # background; a busy machine can leave it there for a moment, so wait for the sums.
    qtbot.waitUntil(lambda: page.model.complete and bool(page.count_label.text())
                    and "adding up" not in page.count_label.text(), timeout=WAIT)
    qtbot.waitUntil(lambda: page.vendor.count() > 1, timeout=WAIT)
    return page


@pytest.fixture
def page(qtbot, ctx) -> UsagePage:
    return open_page(qtbot, ctx)


def table(page) -> list[list[str]]:
    model = page.model
    return [[model.index(r, c).data() for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def shown(page) -> list[str]:
    """The request ids of the rows, top to bottom."""
    return [page.model.record(r).request_id for r in range(page.model.rowCount())]


def wait_for(qtbot, page, expected: list[str]) -> None:
    qtbot.waitUntil(lambda: page.model.complete and shown(page) == expected, timeout=WAIT)


def pick(qtbot, combo, text: str) -> None:
    """Choose an entry as a person does: focus the closed combo and type its first letters."""
    combo.setFocus()
    qtbot.keyClicks(combo, text)
    assert combo.currentText() == text


def click_header(qtbot, page, column: int) -> None:
    header = page.table.horizontalHeader()
    where = QPoint(header.sectionViewportPosition(column) + 10, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=where)


def click_row(qtbot, page, row: int) -> None:
    rect = page.table.visualRect(page.model.index(row, 1))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


# --- reading ------------------------------------------------------------------------------------


def test_every_record_newest_first(page):
    model = page.model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(9)] == HEADER
    assert table(page) == [ROWS[r] for r in NEWEST_FIRST]
    # 1+1+2+1+3+1 = 9 requests; 2.00+0.50+6.00+0.50+4.00 = 13.00 (r4 unpriced)
    assert page.count_label.text().startswith("6 records · 9 requests · cost $13.00 · ")
    assert "1 unpriced" in page.count_label.text()
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    assert model.index(0, COST).data(Qt.ItemDataRole.TextAlignmentRole) == right


def test_the_unpriced_record_stands_out(page):
    row = NEWEST_FIRST.index("r4")
    model = page.model
    assert model.index(row, COST).data() == UNPRICED
    amber = model.index(row, 0).data(Qt.ItemDataRole.BackgroundRole)
    assert amber is not None and amber.color().name() in ("#fef3c7", "#3d2e0a")
    assert model.index(row, COST).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "No saved plan covers mistral" in model.index(row, COST).data(
        Qt.ItemDataRole.ToolTipRole)
    # Priced rows keep the view's own colours
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None


def test_the_model_passes_qt_model_tests(qtmodeltester, page):
    qtmodeltester.check(page.model)


def test_an_empty_model_passes_qt_model_tests(qtmodeltester, ctx):
    qtmodeltester.check(UsageTableModel(ctx))


# --- filtering ----------------------------------------------------------------------------------


def test_typing_in_the_search_box(qtbot, page):
    qtbot.keyClicks(page.search, "ana")
    wait_for(qtbot, page, ["r3", "r1"])
    # r3 + r1: 2 + 1 requests, 6.00 + 2.00
    qtbot.waitUntil(lambda: page.count_label.text()
                    == "2 records · 3 requests · cost $8.00 · all priced", timeout=WAIT)
    page.search.clear()
    qtbot.keyClicks(page.search, "c2 sales")  # every word must match
    wait_for(qtbot, page, ["r3"])


def test_picking_a_vendor_narrows_the_models(qtbot, page):
    pick(qtbot, page.vendor, "openai")
    wait_for(qtbot, page, ["r5", "r2", "r1"])
    models = [page.model_combo.itemText(i) for i in range(page.model_combo.count())]
    assert models == ["All models", "gpt-4o", "gpt-4o-mini"]
    pick(qtbot, page.model_combo, "gpt-4o-mini")
    wait_for(qtbot, page, ["r2"])


def test_a_project_or_none(qtbot, page):
    pick(qtbot, page.project, "(no project)")
    wait_for(qtbot, page, ["r5"])


def test_the_unpriced_count_shows_just_those(qtbot, page):
    assert 'href="unpriced"' in page.count_label.text()
    page.count_label.linkActivated.emit("unpriced")  # the link "1 unpriced"
    wait_for(qtbot, page, ["r4"])
    qtbot.waitUntil(lambda: page.count_label.text().startswith("1 unpriced record ·"),
                    timeout=WAIT)
    page.count_label.linkActivated.emit("all")
    wait_for(qtbot, page, NEWEST_FIRST)


def test_picking_a_month(qtbot, page):
    pick(qtbot, page.period, "March 2026")
    wait_for(qtbot, page, ["r4", "r3", "r2", "r1"])
    assert page.from_date.date().toString("yyyy-MM-dd") == "2026-03-01"
    assert page.to_date.date().toString("yyyy-MM-dd") == "2026-03-31"
    qtbot.waitUntil(lambda: "4 records" in page.count_label.text(), timeout=WAIT)


def test_editing_a_date_makes_a_custom_range(qtbot, page):
    pick(qtbot, page.period, "March 2026")
    wait_for(qtbot, page, ["r4", "r3", "r2", "r1"])
    page.to_date.setDate(page.to_date.date().addDays(-29))  # to 2 March
    assert page.period.currentText() == "Custom dates"
    wait_for(qtbot, page, ["r2", "r1"])


def test_nothing_matches_then_clear_filters(qtbot, page):
    qtbot.keyClicks(page.search, "no such thing")
    qtbot.waitUntil(lambda: page.table_stack.currentWidget() is page.empty, timeout=WAIT)
    assert "No records match" in page.empty_text.text()
    qtbot.mouseClick(page.empty_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, page, NEWEST_FIRST)
    assert page.search.text() == "" and page.table_stack.currentWidget() is page.table


def test_an_empty_database_invites_an_import(qtbot, tmp_path):
    with open_database(str(tmp_path / "empty.db")) as database:
        context = AppContext(database)
        try:
            page = UsagePage(context)
            qtbot.addWidget(page)
            page.show()
            qtbot.waitUntil(lambda: page.table_stack.currentWidget() is page.empty,
                            timeout=WAIT)
            assert "No usage yet" in page.empty_text.text()
            with qtbot.waitSignal(context.open_page) as asked:
                qtbot.mouseClick(page.empty_button, Qt.MouseButton.LeftButton)
            assert asked.args == ["imports"]
        finally:
            context.tasks.shutdown()


# --- sorting ------------------------------------------------------------------------------------


def test_clicking_a_column_header_sorts(qtbot, page):
    click_header(qtbot, page, COST)
    header = page.table.horizontalHeader()
    cheapest_first = ["r5", "r2", "r1", "r6_x", "r3", "r4"]  # ties newest first; unpriced last
    if header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder:
        wait_for(qtbot, page, cheapest_first)
        click_header(qtbot, page, COST)
        wait_for(qtbot, page, ["r4", "r3", "r6_x", "r1", "r5", "r2"])
    else:
        wait_for(qtbot, page, ["r4", "r3", "r6_x", "r1", "r5", "r2"])
        click_header(qtbot, page, COST)
        wait_for(qtbot, page, cheapest_first)


def test_sorting_keeps_the_selected_record(qtbot, page):
    click_row(qtbot, page, NEWEST_FIRST.index("r3"))
    assert page.detail.values["request_id"] == "r3"
    page.table.sortByColumn(COST, Qt.SortOrder.DescendingOrder)
    wait_for(qtbot, page, ["r4", "r3", "r6_x", "r1", "r5", "r2"])
    current = page.table.currentIndex()
    assert current.row() == 1 and current.data(RECORD_ID_ROLE) == page.detail.record.id
    assert page.detail.values["request_id"] == "r3"


# --- the detail panel -------------------------------------------------------------------------


def test_selecting_a_record_shows_every_field(qtbot, page):
    assert page.detail.values == {}  # nothing selected yet
    click_row(qtbot, page, NEWEST_FIRST.index("r3"))
    values = page.detail.values
    assert values["time"] == "03/03/2026 11:00:00 (UTC)"
    assert (values["vendor"], values["model"], values["project"]) == (
        "anthropic", "claude-haiku", "sales")
    assert (values["requests"], values["input"], values["output"]) == ("2", "1,000", "1,000")
    assert (values["cached"], values["cache_write"], values["units"]) == ("0", "0", "—")
    assert values["cost"] == "$6.00 (Claude)"
    assert values["charge"] == "$6.00"
    assert values["plan"] == "Claude"
    assert values["billed"] == "not in the export"
    assert (values["request_id"], values["conversation_id"], values["user"]) == (
        "r3", "c2", "ana")
    assert values["api_key"] == "—"
    assert "claude-haiku" in page.detail.text.toPlainText()
    assert page.detail.plans_button.isHidden()


def test_the_unpriced_record_says_where_to_fix_it(qtbot, page):
    click_row(qtbot, page, NEWEST_FIRST.index("r4"))
    assert page.detail.values["cost"] == UNPRICED
    assert page.detail.values["charge"] == "no plan covers it"
    assert page.detail.values["plan"] == "—"
    assert "no saved plan covers mistral" in page.detail.text.toPlainText()
    assert not page.detail.plans_button.isHidden()
    with qtbot.waitSignal(page.ctx.open_page) as asked:
        qtbot.mouseClick(page.detail.plans_button, Qt.MouseButton.LeftButton)
    assert asked.args == ["plans"]


def test_show_the_conversation_of_a_record(qtbot, page):
    click_row(qtbot, page, NEWEST_FIRST.index("r3"))
    qtbot.mouseClick(page.detail.conversation_button, Qt.MouseButton.LeftButton)
    assert page.search.text() == "c2"
    wait_for(qtbot, page, ["r6_x", "r3"])


def test_copy_puts_the_selected_rows_on_the_clipboard(qtbot, page):
    click_row(qtbot, page, 0)
    page.table.copy()
    lines = QApplication.clipboard().text().splitlines()
    assert lines == ["\t".join(HEADER), "\t".join(ROWS["r6_x"])]


# --- changes and big lists ----------------------------------------------------------------------


def test_new_usage_shows_after_an_import(qtbot, tmp_path, ctx, page):
    click_row(qtbot, page, NEWEST_FIRST.index("r3"))
    more = ("timestamp,vendor,model,request_id,input_tokens\n"
            "2026-05-01T10:00:00Z,openai,gpt-4o,r7,1000\n")
    import_files(ctx.db, [write_file(tmp_path, "more.csv", more)], now=NOW)
    ctx.changed()
    wait_for(qtbot, page, ["r7", *NEWEST_FIRST])
    assert page.model.index(0, COST).data() == "$0.5000"
    # The record being read stays selected, one row lower now
    qtbot.waitUntil(lambda: page.table.currentIndex().row() == 4, timeout=WAIT)
    assert page.detail.values["request_id"] == "r3"


def test_the_first_screen_then_the_rest(qtbot, monkeypatch, ctx):
    """With room for 2 ids at first and pages of 2 rows (2 kept), a 6-record list still
    reads right: the first ids, "…" below them, then every row once all ids are in."""
    monkeypatch.setattr(usage_model, "FIRST", 2)
    monkeypatch.setattr(usage_model, "PAGE", 2)
    monkeypatch.setattr(usage_model, "MAX_PAGES", 2)
    page = open_page(qtbot, ctx)
    assert table(page) == [ROWS[r] for r in NEWEST_FIRST]
    assert len(page.model._pages) <= 2
    assert table(page)[::-1] == [ROWS[r] for r in NEWEST_FIRST[::-1]]  # read backwards too


def test_rows_not_read_yet_show_a_placeholder(qtbot, ctx):
    model = UsageTableModel(ctx)
    with qtbot.waitSignal(model.loaded, timeout=WAIT):
        model.reload()
    assert model.rowCount() == 6
    # Pretend only the first 2 ids had arrived: the other rows wait with "…"
    model._ids = model._ids[:2]
    model._pages.clear()
    assert model.index(5, 0).data() == usage_model.LOADING
    assert model.index(5, COST).data() == ""
    assert model.record(5) is None


def test_a_long_list_sorted_keeps_the_selected_record(qtbot, monkeypatch, ctx):
    """A list longer than the first step is reset rather than re-laid-out when sorted; the
    page then finds the selected record again once its new place is known."""
    monkeypatch.setattr(usage_model, "FIRST", 2)
    page = open_page(qtbot, ctx)
    click_row(qtbot, page, NEWEST_FIRST.index("r1"))
    page.table.sortByColumn(COST, Qt.SortOrder.DescendingOrder)
    wait_for(qtbot, page, ["r4", "r3", "r6_x", "r1", "r5", "r2"])
    qtbot.waitUntil(lambda: page.table.currentIndex().row() == 3, timeout=WAIT)
    assert page.detail.values["request_id"] == "r1"


def test_a_late_answer_to_an_earlier_filter_is_dropped(qtbot, page, monkeypatch):
    """Mistral's records are listed slowly; OpenAI, picked after, answers first. Mistral's
    answer, when it comes, changes nothing, and the page is no longer busy."""
    gate, real = threading.Event(), usage_model.usage_ids

    def slow_for_mistral(conn, f, *args, **options):
        if f.vendor == "mistral":
            gate.wait(WAIT / 1000)
        return real(conn, f, *args, **options)

    monkeypatch.setattr(usage_model, "usage_ids", slow_for_mistral)
    pick(qtbot, page.vendor, "mistral")
    qtbot.wait(QApplication.keyboardInputInterval() + 50)  # a new search, not "mistralo…"
    pick(qtbot, page.vendor, "openai")
    wait_for(qtbot, page, ["r5", "r2", "r1"])
    gate.set()
    qtbot.wait(200)
    assert shown(page) == ["r5", "r2", "r1"] and page.count_label.text().startswith("3 records")
    assert page.busy_label.text() == ""
