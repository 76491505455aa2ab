"""Billed cost lines (a vendor's cost export: money, no requests or tokens) in the app.

The Usage and Conversations pages count money as `meterbook cost --source auto` does: the
vendor's bill where a line has one, the computed charge otherwise, "unpriced" only for usage
with neither. Each figure below is checked against the cost query and worked out by hand.

The cost export (tests/data/anthropic/cost_feb_mar.csv, the Console's v4 header):
  2026-02-12  web_search                 0.07
  2026-02-12  claude-haiku-4-5  input    0.09
  2026-02-12  claude-haiku-4-5  output   0.03
  2026-02-13  claude-sonnet-4-5 cache    0.75   February: 0.07+0.09+0.03+0.75 = 0.94
  2026-03-02  claude-sonnet-4-5 output   3.30   March:    3.30
                                                all:      0.94+3.30 = 4.24
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, Qt
from sqlmodel import Session

from meterbook.app.models.usage_model import COST, PLAN
from meterbook.app.pages.conversations import ConversationsPage
from meterbook.importers.pipeline import import_files
from meterbook.store import readers
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.settings import set_home_currency
from tests.app.test_conversations_page import plain
from tests.app.test_usage_page import open_page, pick
from tests.helpers import CHAT_PLANS, import_text, save_plans, usage_database

WAIT = 10_000  # ms
NOW = datetime(2026, 3, 20, tzinfo=UTC)
COST_EXPORT = Path(__file__).parent.parent / "data" / "anthropic" / "cost_feb_mar.csv"

# A plan that also covers the Haiku lines: they carry no tokens, so it computes $0 for them.
HAIKU_PLAN = """
[[plan]]
name = "Haiku list"
vendor = "anthropic"
model = "claude-haiku-*"
token_unit = 1000
input = "1.00"
output = "5.00"
"""

# February usage with tokens, priced by Chat (0.50 per 1k in, 2.00 per 1k out, 5.00 a month):
#   u1 c1 gpt-4o  2,000 in + 500 out = 1.00 + 1.00 = 2.00
#   u2 c2 mistral                    unpriced (no plan, no bill)
TOKENS = """\
timestamp,vendor,model,request_id,conversation_id,requests,input_tokens,output_tokens
2026-02-20T10:00:00Z,openai,gpt-4o,u1,c1,1,2000,500
2026-02-21T10:00:00Z,mistral,mistral-large,u2,c2,1,100,10
"""

pytestmark = pytest.mark.usefixtures("british")


@pytest.fixture
def db(tmp_path, store_url):
    with usage_database(tmp_path, utc=True, url=store_url) as database:
        import_files(database, [COST_EXPORT], now=NOW)
        yield database


def auto_cost(db, month: str | None = None, by: str = "month"):
    """What `meterbook cost --source auto` reports (UTC), for the month or all time."""
    lo = hi = None
    if month is not None:
        y, m = (int(x) for x in month.split("-"))
        lo = int(datetime(y, m, 1, tzinfo=UTC).timestamp()) * 10**6
        hi = int(datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=UTC).timestamp()) * 10**6
    with db.engine.connect() as conn:
        return run_cost_query(conn, CostQuery(
            by=by, tz=ZoneInfo("UTC"), from_us=lo, to_us=hi,
            home_currency=readers.home_currency(conn), rates=readers.rates_for(conn),
        ), readers.load_plans(conn))


def conversations_page(qtbot, ctx) -> ConversationsPage:
    page = ConversationsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitUntil(lambda: page.month_box.count() > 0 and page.summary.text() != "Reading…",
                    timeout=WAIT)
    return page


def rows_by_model(page) -> dict[str, list[list[str]]]:
    model, found = page.model, {}
    for r in range(model.rowCount()):
        texts = [model.index(r, c).data() for c in range(model.columnCount())]
        found.setdefault(texts[2], []).append(texts)
    return found


# --- the Usage page -----------------------------------------------------------------------------


def test_usage_shows_billed_lines_with_their_bill_and_a_total_as_cost_counts_it(qtbot, ctx,
                                                                                  db):
    page = open_page(qtbot, ctx)
    assert auto_cost(db).total.cost == Decimal("4.24")  # 0.94 + 3.30, as `cost` says
    # 5 lines, no requests (a cost line has none), the bills' 4.24, nothing unpriced
    qtbot.waitUntil(lambda: page.count_label.text() == (
        "5 records · 0 requests · cost $4.24 (all billed by the vendor) · all priced"),
        timeout=WAIT)
    rows = rows_by_model(page)
    assert [r[COST] for r in rows["claude-sonnet-4-5"]] == ["$3.3000", "$0.7500"]
    assert sorted(r[COST] for r in rows["claude-haiku-4-5"]) == ["$0.0300", "$0.0900"]
    assert {r[PLAN] for rs in rows.values() for r in rs} == {"vendor's bill"}
    # Nothing amber: every line has a cost
    model = page.model
    assert all(model.index(r, 0).data(Qt.ItemDataRole.BackgroundRole) is None
               for r in range(model.rowCount()))
    assert "vendor's own figure" in model.index(0, COST).data(Qt.ItemDataRole.ToolTipRole)
    pick(qtbot, page.period, "February 2026")
    assert auto_cost(db, "2026-02").total.cost == Decimal("0.94")
    qtbot.waitUntil(lambda: page.count_label.text() == (
        "4 records · 0 requests · cost $0.94 (all billed by the vendor) · all priced"),
        timeout=WAIT)


def test_a_billed_line_a_plan_covers_too_shows_both_bill_first(qtbot, ctx, db):
    save_plans(db, HAIKU_PLAN)
    page = open_page(qtbot, ctx)
    # The plan computes $0 for the Haiku lines (no tokens), but the bill still counts: 4.24
    assert auto_cost(db).total.cost == Decimal("4.24")
    qtbot.waitUntil(lambda: "cost $4.24 (all billed by the vendor)" in
                    page.count_label.text(), timeout=WAIT)
    model = page.model
    row = next(r for r in range(model.rowCount())
               if model.index(r, COST).data() == "$0.0900")
    assert model.index(row, PLAN).data() == "vendor's bill · also Haiku list"
    assert model.index(row, COST).data(Qt.ItemDataRole.ToolTipRole) == (
        "billed $0.09 · computed $0.0000 by plan Haiku list")
    page.table.setCurrentIndex(model.index(row, 0))
    qtbot.waitUntil(lambda: page.detail.record is not None, timeout=WAIT)
    text = page.detail.text.toPlainText()
    assert "billed $0.09 · computed $0.0000 by plan Haiku list" in text
    assert page.detail.values["cost"] == "$0.09 (vendor's bill · also Haiku list)"
    assert page.detail.plans_button.isHidden()


def test_billed_computed_and_unpriced_together(qtbot, ctx, db, tmp_path):
    save_plans(db, CHAT_PLANS)
    import_text(db, tmp_path, TOKENS, now=NOW)
    page = open_page(qtbot, ctx)
    pick(qtbot, page.period, "February 2026")
    # 4 cost lines + u1 + u2 = 6 records; 2 requests; 0.94 billed + 2.00 computed = 2.94;
    # u2 has neither
    report = auto_cost(db, "2026-02")
    assert (report.total.usage_cost, report.total.fixed_cost) == (Decimal("2.94"),
                                                                  Decimal("5.00"))
    qtbot.waitUntil(lambda: plain(page.count_label) == (
        "6 records · 2 requests · cost $2.94 ($0.94 billed, $2.00 computed) · 1 unpriced"),
        timeout=WAIT)
    rows = rows_by_model(page)
    assert rows["mistral-large"][0][COST] == "unpriced"
    assert rows["gpt-4o"][0][COST:] == ["$2.0000", "Chat"]


def test_a_missing_exchange_rate_names_every_month(qtbot, ctx, db):
    with Session(db.engine) as session:
        set_home_currency(session, code="EUR")
        session.commit()
    page = open_page(qtbot, ctx)
    # The bills are in USD; no USD->EUR rate for either month: no figure, both months named
    qtbot.waitUntil(lambda: "unavailable" in page.count_label.text(), timeout=WAIT)
    assert plain(page.count_label) == (
        "5 records · 0 requests · cost unavailable: no exchange rate into EUR for USD from "
        "February 2026 to March 2026 · all priced")
    assert "$" not in page.count_label.text().split("cost")[1]


# --- the Conversations page ---------------------------------------------------------------------


def test_conversations_count_billed_lines_not_zero_requests(qtbot, ctx, db):
    page = conversations_page(qtbot, ctx)
    assert page.month_box.currentText() == "March 2026"  # the newest month with usage
    assert auto_cost(db, "2026-03", by="conversation").total.cost == Decimal("3.30")
    assert plain(page.summary) == "1 billed cost line (in no conversation) · $3.30"
    assert [page.model.index(0, c).data() for c in (0, 2, 6)] == [
        "(no conversation)", "0", "$3.3000"]
    page.month_box.setCurrentIndex(page.month_box.findText("All time"))
    qtbot.waitUntil(lambda: plain(page.summary).startswith("5 billed"), timeout=WAIT)
    assert auto_cost(db, by="conversation").total.cost == Decimal("4.24")
    assert plain(page.summary) == "5 billed cost lines (in no conversation) · $4.24"


def test_conversations_with_billed_lines_and_fees(qtbot, ctx, db, tmp_path):
    save_plans(db, CHAT_PLANS + HAIKU_PLAN)
    import_text(db, tmp_path, TOKENS, now=NOW)
    page = conversations_page(qtbot, ctx)
    page.month_box.setCurrentIndex(page.month_box.findText("February 2026"))
    qtbot.waitUntil(lambda: "conversations" in plain(page.summary), timeout=WAIT)
    report = auto_cost(db, "2026-02", by="conversation")
    assert (report.total.usage_cost, report.total.fixed_cost) == (Decimal("2.94"),
                                                                  Decimal("5.00"))
    # c1 and c2; u1 + u2 = 2 requests; 4 cost lines; 2.00 + 0.94 = 2.94; Chat's 5.00 fee
    assert plain(page.summary) == (
        "2 conversations · 2 requests · 4 billed cost lines · $2.94 · 1 request unpriced"
        "\n+ monthly fees $5.00, which are in no conversation")
    none = next(r for r in range(page.model.rowCount())
                if page.model.index(r, 0).data() == "(no conversation)")
    assert page.model.index(none, 6).data() == "$0.9400"
    page.view.setCurrentIndex(page.model.index(none, 0))
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.requests_model.rowCount() == 4, timeout=WAIT)
    assert "4 billed cost lines · $0.9400" in plain(page.panel_title)
    requests = page.requests_model
    haiku = [r for r in range(4) if requests.index(r, 1).data() == "claude-haiku-4-5"]
    assert sorted(requests.index(r, 7).data() for r in haiku) == ["$0.0300", "$0.0900"]
    assert {requests.index(r, 8).data() for r in haiku} == {"vendor's bill · also Haiku list"}
    tips = {requests.index(r, 7).data(Qt.ItemDataRole.ToolTipRole) for r in haiku}
    assert tips == {"billed $0.0900 · computed $0.0000 by plan Haiku list",
                    "billed $0.0300 · computed $0.0000 by plan Haiku list"}


def test_sorting_by_cost_orders_bills_and_charges_together(qtbot, ctx, db, tmp_path):
    save_plans(db, CHAT_PLANS)
    import_text(db, tmp_path, TOKENS, now=NOW)
    page = open_page(qtbot, ctx)
    header = page.table.horizontalHeader()
    middle = QPoint(header.sectionViewportPosition(COST) + header.sectionSize(COST) // 2,
                    header.height() // 2)
    for _click in range(2):  # a new column sorts ascending first; the second click reverses
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=middle)
    qtbot.waitUntil(lambda: page.model.sort_key == "cost" and page.model.descending
                    and page.model.complete and not page.model.busy, timeout=WAIT)
    costs = [page.model.index(r, COST).data() for r in range(page.model.rowCount())]
    # Unpriced first when descending, then bills (3.30, 0.75, 0.09, 0.07, 0.03) and u1's
    # computed 2.00 in one order
    assert costs == ["unpriced", "$3.3000", "$2.0000", "$0.7500", "$0.0900", "$0.0700",
                     "$0.0300"]
