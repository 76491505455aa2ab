"""The Dashboard as a person reads it: the figure cards, unpriced usage, the latest imports.

The page's clock is fixed (`now=`) and the report zone saved as UTC, so nothing depends on
today's date or the computer's zone. Every expected figure is worked out by hand below.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtGui import QColor, QPalette

from meterbook.app.formatting import warning_color
from meterbook.app.pages.dashboard import DashboardPage
from meterbook.core.plan_files import read_plans
from meterbook.importers.pipeline import import_files
from meterbook.store.plan_ops import save_plan_set
from tests.helpers import (
    CHAT_FEE_PLANS,
    fill_march_april,
    usage_database,
    write_file,
)

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)  # "this month" is April 2026
WAIT = 10_000  # ms

PLANS = CHAT_FEE_PLANS

# Chat: 0.50 per 1k input, 2.00 per 1k output, 5.00 a month; mistral has no plan (unpriced).
#   March: r1 c1 2,000 in + 500 out = 2.00                 -> 2.00 + fee 5.00 = 7.00
MARCH = """\
timestamp,vendor,model,request_id,conversation_id,requests,input_tokens,output_tokens
2026-03-05T10:00:00Z,openai,gpt-4o,r1,c1,1,2000,500
"""
#   April: r2 c2 1,000 in + 1,000 out = 2.50; r3 c2 2,000 in = 1.00; r4 c3 500 out = 1.00;
#          r5 c3 mistral unpriced; r6 c4 mistral unpriced; r7 (no conversation) 3 requests,
#          4,000 in = 2.00; and one line with a bad date, refused.
#   April: usage 6.50 + fee 5.00 = 11.50; 8 requests, 2 unpriced; 6.50 / 6 = 1.0833 a request;
#          conversations c2, c3, c4: only c2 fully priced, 3.50
APRIL = """\
timestamp,vendor,model,request_id,conversation_id,requests,input_tokens,output_tokens
2026-04-02T09:00:00Z,openai,gpt-4o,r2,c2,1,1000,1000
2026-04-02T09:05:00Z,openai,gpt-4o-mini,r3,c2,1,2000,0
2026-04-03T10:00:00Z,openai,gpt-4o,r4,c3,1,0,500
2026-04-04T11:00:00Z,mistral,mistral-large,r5,c3,1,1000,100
2026-04-05T12:00:00Z,mistral,mistral-large,r6,c4,1,300,30
2026-04-06T08:00:00Z,openai,gpt-4o-mini,r7,,3,4000,0
yesterday,openai,gpt-4o,r8,c5,1,10,0
"""


@pytest.fixture(autouse=True)
def english(qapp):
    """Figures in a known locale; one test switches to German."""
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    yield
    QLocale.setDefault(before)


@pytest.fixture
def db(tmp_path):
    with usage_database(tmp_path, utc=True) as database:
        yield database


@pytest.fixture
def filled(db, tmp_path):
    fill_march_april(db, tmp_path, PLANS, MARCH, APRIL)
    return db


def shown(qtbot, ctx) -> DashboardPage:
    page = DashboardPage(ctx, now=NOW)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()  # a page reads its figures when it is first shown
    qtbot.waitUntil(lambda: page.figures is not None, timeout=WAIT)
    return page


def imports_table(page) -> list[list[str]]:
    table = page.imports
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def test_the_cards_show_this_and_last_months_figures(qtbot, ctx, filled):
    page = shown(qtbot, ctx)
    assert page.this_month.value.text() == "$11.50"
    assert "April 2026 so far" in page.this_month.caption.text()
    assert "$5.00 of it monthly fees" in page.this_month.caption.text()
    # The month's total leaves the unpriced requests out, and says so.
    assert "2 requests unpriced, not included" in page.this_month.caption.text()
    assert page.last_month.value.text() == "$7.00"
    assert "March 2026" in page.last_month.caption.text()
    assert "unpriced" not in page.last_month.caption.text()
    assert page.requests.value.text() == "8"
    assert page.requests.caption.text() == "in 3 conversations; 1 in March 2026"
    assert page.subtitle.text() == "April 2026 so far · amounts in USD · times in UTC"


def test_averages_leave_out_fees_and_unpriced_requests(qtbot, ctx, filled):
    page = shown(qtbot, ctx)
    assert page.per_request.value.text() == "$1.08"  # 6.50 / 6 priced = 1.0833...
    assert "6 priced requests" in page.per_request.caption.text()
    assert page.per_conversation.value.text() == "$3.50"  # c2 alone: 2.50 + 1.00
    assert page.per_conversation.caption.text() == (
        "over 1 conversation; 2 with unpriced requests left out")


def test_unpriced_usage_is_counted_in_amber_never_shown_as_zero(qtbot, ctx, filled):
    page = shown(qtbot, ctx)
    assert page.unpriced.value.text() == "2 requests unpriced"
    amber = warning_color(page.palette()).name()
    assert amber in page.unpriced.value.styleSheet()
    assert page.review_unpriced.isVisible()
    with qtbot.waitSignal(ctx.open_page, timeout=WAIT) as opened:
        page.review_unpriced.click()
    assert opened.args == ["usage"]


def test_the_latest_imports_newest_first(qtbot, ctx, filled):
    page = shown(qtbot, ctx)
    # Created 2026-04-07 09:30 and 2026-04-01 08:00 UTC, in en_US's short format.
    when = [row[0].replace("\u202f", " ") for row in imports_table(page)]
    assert when == ["4/7/26 9:30 AM", "4/1/26 8:00 AM"]
    assert [row[1:] for row in imports_table(page)] == [
        ["april.csv", "6", "1"],  # six lines added, the bad date refused
        ["march.csv", "1", "—"],
    ]
    assert page.no_imports.isHidden()


def test_an_empty_database_says_so_rather_than_inventing_averages(qtbot, ctx):
    page = shown(qtbot, ctx)
    assert page.this_month.value.text() == "$0.00"
    assert page.last_month.value.text() == "$0.00"
    assert page.requests.value.text() == "0"
    assert page.per_request.value.text() == "—"
    assert page.per_conversation.value.text() == "—"
    assert page.unpriced.value.text() == "None"
    assert page.unpriced.value.styleSheet() == ""
    assert page.review_unpriced.isHidden()
    assert page.imports.isHidden() and page.no_imports.isVisible()


def test_figures_follow_new_data(qtbot, ctx, filled, tmp_path):
    page = shown(qtbot, ctx)
    assert page.requests.value.text() == "8"
    # One more priced request: 1,000 input tokens = 0.50
    import_files(filled, [write_file(tmp_path, "more.csv", """\
timestamp,vendor,model,request_id,conversation_id,input_tokens
2026-04-10T10:00:00Z,openai,gpt-4o,r9,c9,1000
""")], now=NOW)
    ctx.changed()
    qtbot.waitUntil(lambda: page.requests.value.text() == "9", timeout=WAIT)
    assert page.this_month.value.text() == "$12.00"
    assert imports_table(page)[0][1] == "more.csv"


def test_money_follows_the_users_locale(qtbot, ctx, filled):
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    page = shown(qtbot, ctx)
    assert page.this_month.value.text() == "$11,50"
    assert page.per_request.value.text() == "$1,08"
    assert "April 2026" in page.this_month.caption.text()


def test_small_averages_keep_enough_places_not_to_read_as_zero(qtbot, ctx, db, tmp_path):
    save_plan_set(db, read_plans("""
[[plan]]
name = "Cheap"
vendor = "acme"
request = "0.0004"
""", "cheap.toml"))
    import_files(db, [write_file(tmp_path, "cheap.csv", "timestamp,vendor,model,requests\n"
                                                       "2026-04-02T10:00:00Z,acme,bot,10\n")])
    page = shown(qtbot, ctx)
    assert page.this_month.value.text() == "$0.0040"  # 10 x 0.0004
    assert page.per_request.value.text() == "$0.0004"


def test_the_warning_colour_suits_light_and_dark_palettes():
    light, dark = QPalette(QColor("#f0f0f0")), QPalette(QColor("#202020"))
    assert warning_color(light).name() == "#b45309"
    assert warning_color(dark).name() == "#fbbf24"


def test_a_missing_exchange_rate_is_explained_not_guessed(qtbot, ctx, filled):
    save_plan_set(filled, read_plans("""
[[plan]]
name = "Euro chat"
vendor = "mistral"
currency = "EUR"
request = "2.00"
""", "euro.toml"))
    page = DashboardPage(ctx, now=NOW)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(page.error.isVisible, timeout=WAIT)
    assert "no exchange rate for EUR in 2026-04" in page.error.text()
    assert page.figures is None  # nothing shown as if it were known
