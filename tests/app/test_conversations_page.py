"""The Conversations page as a person uses it: read the table, filter it, sort it, pick a
month, open a conversation and read its requests. Expected values are worked out by hand.

Times and money are read in the en_GB locale ("02/04/2026 09:00", "$1,234.5678"); the report
zone is saved as UTC.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from meterbook.app.context import AppContext
from meterbook.app.models.conversations_model import ConversationsModel, RequestsModel
from meterbook.app.pages.conversations import ConversationsPage
from meterbook.app.window import MainWindow
from meterbook.core.plan_files import read_plans
from meterbook.importers.pipeline import import_files
from meterbook.store.conversations import conversation_requests, conversation_rows
from meterbook.store.database import open_database
from meterbook.store.plan_ops import save_plan_set
from tests.helpers import CHAT_PLANS, usage_database

WAIT = 10_000  # ms
NOW = datetime(2026, 4, 15, tzinfo=UTC)
APRIL_1 = int(datetime(2026, 4, 1, tzinfo=UTC).timestamp()) * 10**6

PLANS = CHAT_PLANS

# Chat: 0.50 per 1k input, 0.25 per 1k cached, 2.00 per 1k output; mistral is unpriced.
#   r1 03-05T10:00 c1  2,000 in + 500 out                   = 2.00
#   r2 04-02T09:00 c2  1,000 in + 2,000 cached + 1,000 out  = 0.50 + 0.50 + 2.00 = 3.00
#   r3 04-02T09:05 c2  2,000 in (gpt-4o-mini)               = 1.00
#   r4 04-03T10:00 c3  500 out                              = 1.00
#   r5 04-04T11:00 c3  mistral                              unpriced
#   r6 04-05T12:00 c4  mistral                              unpriced
#   r7 04-06T08:00 --  3 requests, 4,000 in                 = 2.00
# April: c2 4.00 (2 requests), "" 2.00 (3), c3 1.00 (2, 1 unpriced), c4 unpriced (1)
USAGE = """\
timestamp,vendor,model,request_id,conversation_id,requests,input_tokens,cached_input_tokens,output_tokens
2026-03-05T10:00:00Z,openai,gpt-4o,r1,c1,1,2000,0,500
2026-04-02T09:00:00Z,openai,gpt-4o,r2,c2,1,1000,2000,1000
2026-04-02T09:05:00Z,openai,gpt-4o-mini,r3,c2,1,2000,0,0
2026-04-03T10:00:00Z,openai,gpt-4o,r4,c3,1,0,0,500
2026-04-04T11:00:00Z,mistral,mistral-large,r5,c3,1,1000,0,100
2026-04-05T12:00:00Z,mistral,mistral-large,r6,c4,1,300,0,30
2026-04-06T08:00:00Z,openai,gpt-4o-mini,r7,,3,4000,0,0
"""

HEADER = ["Conversation", "First request", "Requests", "Input", "Cached", "Output", "Cost",
          "Unpriced"]
C2 = ["c2", "02/04/2026 09:00", "2", "3,000", "2,000", "1,000", "$4.0000", ""]
NONE = ["(no conversation)", "06/04/2026 08:00", "3", "4,000", "0", "0", "$2.0000", ""]
C3 = ["c3", "03/04/2026 10:00", "2", "1,000", "0", "600", "$1.0000", "1 unpriced"]
C4 = ["c4", "05/04/2026 12:00", "1", "300", "0", "30", "unpriced", "1 unpriced"]


pytestmark = pytest.mark.usefixtures("british")


@pytest.fixture
def db(tmp_path, store_url):
    with usage_database(tmp_path, PLANS, USAGE, now=NOW, utc=True, url=store_url) as database:
        yield database


@pytest.fixture
def page(qtbot, ctx):
    widget = ConversationsPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    qtbot.waitUntil(lambda: widget.model.rowCount() > 0, timeout=WAIT)
    return widget


def table(view) -> list[list[str]]:
    model = view.model()
    return [[model.index(r, c).data() for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def plain(label) -> str:
    return re.sub(r"<[^>]+>", "", label.text().replace("<br>", "\n"))


def open_row(qtbot, page, row: int, how: str = "double-click") -> None:
    index = page.model.index(row, 0)
    page.view.setCurrentIndex(index)
    if how == "double-click":
        center = page.view.visualRect(index).center()
        # A real double-click: the first press and release, then the double-click (QTest's
        # mouseDClick alone sends no release, and the view ignores it).
        qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=center)
        qtbot.mouseDClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    else:
        page.view.setFocus()
        qtbot.keyClick(page.view, Qt.Key.Key_Return)


def test_the_newest_month_costliest_first(page):
    assert page.month_box.currentText() == "April 2026"
    model = page.model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(8)] == HEADER
    # Costliest first; c4, whose cost nobody computed, below even a priced $0
    assert table(page.view) == [C2, NONE, C3, C4]
    # 3 conversations (the requests without one are not a conversation), 8 requests,
    # 4.00 + 2.00 + 1.00 = 7.00; Chat's monthly fee of 5.00 is in none of them
    assert plain(page.summary) == ("3 conversations · 8 requests · $7.00 · 2 requests unpriced"
                                   "\n+ monthly fees $5.00, which are in no conversation")


def test_money_and_numbers_are_right_aligned(page):
    model = page.model
    for column in range(2, 8):
        alignment = Qt.AlignmentFlag(model.index(0, column).data(
            Qt.ItemDataRole.TextAlignmentRole))
        assert alignment & Qt.AlignmentFlag.AlignRight
    alignment = Qt.AlignmentFlag(model.index(0, 0).data(Qt.ItemDataRole.TextAlignmentRole))
    assert alignment & Qt.AlignmentFlag.AlignLeft


def test_typing_in_the_filter_keeps_matching_conversations_and_models(qtbot, page):
    qtbot.keyClicks(page.filter, "mistral")
    assert table(page.view) == [C3, C4]
    # Nothing of them priced but r4's 1.00; the unpriced ones are counted, not zeroed
    assert plain(page.summary) == ("2 conversations · 3 requests · $1.00 · 2 requests unpriced"
                                   "\n+ monthly fees $5.00, which are in no conversation")
    page.filter.clear()
    qtbot.keyClicks(page.filter, "C4")
    assert table(page.view) == [C4]
    # Only unpriced usage left: no sum at all rather than a $0.00
    assert plain(page.summary) == ("1 conversation · 1 request · 1 request unpriced"
                                   "\n+ monthly fees $5.00, which are in no conversation")
    page.filter.clear()
    qtbot.keyClicks(page.filter, "no conv")
    assert table(page.view) == [NONE]
    page.filter.clear()
    assert len(table(page.view)) == 4


def test_clicking_the_cost_header_sorts_cheapest_first(qtbot, page):
    header = page.view.horizontalHeader()
    x = header.sectionViewportPosition(6) + header.sectionSize(6) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(x, header.height() // 2))
    assert header.sortIndicatorSection() == 6
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert [row[0] for row in table(page.view)] == ["c4", "c3", "(no conversation)", "c2"]


def test_sorting_by_numbers_is_numeric_not_alphabetical(page):
    page.view.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # input tokens
    # 4,000 > 3,000 > 1,000 > 300 (as text "300" would come first)
    assert [row[3] for row in table(page.view)] == ["4,000", "3,000", "1,000", "300"]
    page.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert [row[0] for row in table(page.view)] == ["c2", "c3", "c4", "(no conversation)"]


def test_double_click_opens_the_conversations_requests(qtbot, page):
    open_row(qtbot, page, 0)  # c2
    qtbot.waitUntil(lambda: page.requests_model.rowCount() == 2, timeout=WAIT)
    assert table(page.requests_view) == [
        ["02/04/2026 09:00", "gpt-4o", "r2", "1", "1,000", "2,000", "1,000", "$3.0000", "Chat"],
        ["02/04/2026 09:05", "gpt-4o-mini", "r3", "1", "2,000", "0", "0", "$1.0000", "Chat"],
    ]
    assert plain(page.panel_title) == "c2 · 2 requests · $4.0000"


def test_enter_opens_a_conversation_with_an_unpriced_request(qtbot, page):
    open_row(qtbot, page, 2, how="enter")  # c3
    qtbot.waitUntil(lambda: page.requests_model.rowCount() == 2, timeout=WAIT)
    r4, r5 = table(page.requests_view)
    assert (r4[2], r4[7], r4[8]) == ("r4", "$1.0000", "Chat")
    assert (r5[1], r5[2], r5[7], r5[8]) == ("mistral-large", "r5", "unpriced", "no plan")
    assert plain(page.panel_title) == "c3 · 2 requests · $1.0000 · 1 unpriced, not included"


def test_the_month_selector_reads_another_month_or_all_time(qtbot, page):
    months = [page.month_box.itemText(i) for i in range(page.month_box.count())]
    assert months == ["April 2026", "March 2026", "All time"]
    page.month_box.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT)
    assert table(page.view) == [
        ["c1", "05/03/2026 10:00", "1", "2,000", "0", "500", "$2.0000", ""]]
    page.month_box.setCurrentIndex(2)
    qtbot.waitUntil(lambda: page.model.rowCount() == 5, timeout=WAIT)
    # c1 and the requests of no conversation both cost 2.00: equal costs keep their order
    assert [row[0] for row in table(page.view)] == ["c2", "(no conversation)", "c1", "c3",
                                                    "c4"]


def test_new_data_reloads_and_keeps_the_open_conversation(qtbot, page, ctx, db, tmp_path):
    open_row(qtbot, page, 0)
    qtbot.waitUntil(lambda: page.requests_model.rowCount() == 2, timeout=WAIT)
    path = tmp_path / "more.csv"
    # r8 c2 1,000 out = 2.00: c2 becomes 6.00 with 3 requests
    path.write_text("timestamp,vendor,model,request_id,conversation_id,output_tokens\n"
                    "2026-04-09T10:00:00Z,openai,gpt-4o,r8,c2,1000\n", encoding="utf-8")
    import_files(db, [path], now=NOW)
    ctx.changed()
    qtbot.waitUntil(lambda: page.requests_model.rowCount() == 3, timeout=WAIT)
    assert table(page.view)[0][:3] == ["c2", "02/04/2026 09:00", "3"]
    assert table(page.view)[0][6] == "$6.0000"
    assert plain(page.panel_title) == "c2 · 3 requests · $6.0000"


def test_column_widths_set_by_hand_survive_new_data_and_a_restart(qtbot, db, tmp_path):
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)

    def conversations_of(window) -> ConversationsPage:
        qtbot.addWidget(window)
        window.show()
        window.show_page("conversations")
        found = window.pages["conversations"]
        qtbot.waitUntil(lambda: found.model.rowCount() == 4, timeout=WAIT)
        return found

    first = MainWindow(AppContext(db), settings, now=NOW)
    page = conversations_of(first)
    header, requests = page.view.horizontalHeader(), page.requests_view.horizontalHeader()
    # Nothing remembered yet: the columns fit their text, "02/04/2026 09:00" whole.
    assert header.sectionSize(1) >= page.view.sizeHintForColumn(1)
    open_row(qtbot, page, 0)  # c2's 2 requests
    qtbot.waitUntil(lambda: page.requests_model.rowCount() == 2, timeout=WAIT)
    header.resizeSection(2, 150)  # Requests, dragged wider than its text needs
    requests.resizeSection(1, 210)  # the requests' Model
    # New data reloads the page: r8 gives c2 a 3rd request.
    path = tmp_path / "more.csv"
    path.write_text("timestamp,vendor,model,request_id,conversation_id,output_tokens\n"
                    "2026-04-09T10:00:00Z,openai,gpt-4o,r8,c2,1000\n", encoding="utf-8")
    import_files(db, [path], now=NOW)
    first.ctx.changed()
    qtbot.waitUntil(lambda: page.requests_model.rowCount() == 3, timeout=WAIT)
    assert table(page.view)[0][2] == "3"
    assert (header.sectionSize(2), requests.sectionSize(1)) == (150, 210)
    first.close()

    # A restart: the same settings, a new window, the widths the person chose.
    second = MainWindow(AppContext(db), settings, now=NOW)
    page = conversations_of(second)
    open_row(qtbot, page, 0)
    qtbot.waitUntil(lambda: page.requests_model.rowCount() == 3, timeout=WAIT)
    assert page.view.horizontalHeader().sectionSize(2) == 150
    assert page.requests_view.horizontalHeader().sectionSize(1) == 210
    second.close()


def test_the_models_pass_qt_model_tester(qtmodeltester, db):
    with db.engine.connect() as conn:
        rows = conversation_rows(conn)
        requests = conversation_requests(conn, "c3")
    conversations = ConversationsModel()
    conversations.set_rows(rows, "USD", ZoneInfo("UTC"))
    qtmodeltester.check(conversations)
    conversations.sort(6, Qt.SortOrder.DescendingOrder)
    conversations.set_filter("c")
    qtmodeltester.check(conversations)
    listed = RequestsModel()
    listed.set_rows(requests, "USD", ZoneInfo("UTC"))
    qtmodeltester.check(listed)
    # all time: c1 2.00 + c2 4.00 + c3 1.00 + c4 nothing + no conversation 2.00
    assert sum((r.cost for r in rows), Decimal(0)) == Decimal("9.00")


def test_an_empty_database_shows_an_empty_table_and_no_sum(qtbot, tmp_path):
    with open_database(str(tmp_path / "empty.db")) as empty:
        context = AppContext(empty)
        widget = ConversationsPage(context)
        qtbot.addWidget(widget)
        widget.show()
        qtbot.waitUntil(lambda: plain(widget.summary) == "0 conversations · 0 requests",
                        timeout=WAIT)
        assert widget.model.rowCount() == 0
        assert [widget.month_box.itemText(i) for i in range(widget.month_box.count())] == [
            "All time"]
        context.tasks.shutdown()


def test_a_missing_exchange_rate_is_explained_not_guessed(qtbot, ctx, db):
    save_plan_set(db, read_plans("""
[[plan]]
name = "Euro chat"
vendor = "mistral"
currency = "EUR"
request = "2.00"
""", "euro.toml"))
    widget = ConversationsPage(ctx)
    qtbot.addWidget(widget)
    widget.show()
    # Mistral's requests (r5 in c3, r6 in c4) are priced in EUR, with no rate for April: no
    # figure of the month can be converted, so none is shown, and the month is named.
    qtbot.waitUntil(lambda: "unavailable" in plain(widget.summary), timeout=WAIT)
    assert plain(widget.summary).endswith(
        "cost unavailable: no exchange rate into USD for EUR in April 2026")
    assert [widget.model.index(r, 6).data() for r in range(widget.model.rowCount())] == [
        "unavailable"] * 4
    assert widget.error.isHidden()


def test_a_late_answer_for_an_earlier_month_is_dropped(qtbot, page, monkeypatch):
    """March is read slowly; All time, picked after it, answers first. When March's answer
    comes at last, the page keeps showing All time (the latest question wins)."""
    from meterbook.app.pages import conversations as page_module

    gate, real = threading.Event(), page_module.conversations_in

    def slow_for_march(conn, **options):
        if options["from_us"] is not None and options["to_us"] <= APRIL_1:
            gate.wait(WAIT / 1000)
        return real(conn, **options)

    monkeypatch.setattr(page_module, "conversations_in", slow_for_march)
    page.month_box.setCurrentIndex(1)  # March: held at the gate
    page.month_box.setCurrentIndex(2)  # All time: 5 rows
    qtbot.waitUntil(lambda: page.model.rowCount() == 5, timeout=WAIT)
    gate.set()  # March's answer arrives now, late
    qtbot.wait(200)
    assert page.model.rowCount() == 5 and page.month_box.currentText() == "All time"
