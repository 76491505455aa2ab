"""The Dashboard as a person reads it: the figure cards, unpriced usage, the latest imports.

The page's clock is fixed (`now=`) and the report zone saved as UTC, so nothing depends on
today's date or the computer's zone. Every expected figure is worked out by hand below.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QColor, QPalette
from sqlmodel import Session

import meterbook.app.pages.dashboard as page_module
from meterbook.app.formatting import warning_color
from meterbook.app.pages.dashboard import DashboardPage
from meterbook.app.pages.rate_dialogs import MissingRatesDialog
from meterbook.core.plan_files import read_plans
from meterbook.importers.pipeline import import_files
from meterbook.store.plan_ops import save_plan_set
from meterbook.store.settings import set_home_currency
from tests.helpers import (
    ANTHROPIC_COST_FEBRUARY,
    CHAT_FEE_PLANS,
    cost_of_month,
    fill_march_april,
    usage_database,
    write_file,
)

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)  # "this month" is April 2026
D = Decimal
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
def db(tmp_path, store_url):
    with usage_database(tmp_path, utc=True, url=store_url) as database:
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


def test_a_missing_exchange_rate_makes_money_unavailable_never_guessed(qtbot, ctx, filled):
    save_plan_set(filled, read_plans("""
[[plan]]
name = "Euro chat"
vendor = "mistral"
currency = "EUR"
request = "2.00"
""", "euro.toml"))
    page = shown(qtbot, ctx)  # the cards are filled, not left at "…"
    # Euro chat prices r5 and r6 in April: April needs a EUR rate, March (no mistral) does not.
    assert page.this_month.value.text() == "Unavailable"
    assert "no EUR rate for April 2026" in (
        page.this_month.caption.text())
    assert page.per_request.value.text() == page.per_conversation.value.text() == "Unavailable"
    assert page.last_month.value.text() == "$7.00"
    assert page.requests.value.text() == "8"
    assert "No exchange rate into USD for EUR in April 2026" in page.missing_rates.text()
    assert page.add_rates.isVisible()


# --- a cost export, a past month, the month picker -----------------------------------------

@pytest.fixture
def billed(db, tmp_path):
    """Only a vendor's cost export, in February 2026 (2.26 billed: see ANTHROPIC_COST_FEBRUARY);
    "now" is April, so the latest month with usage is before this month."""
    import_files(db, [write_file(tmp_path, "cost.csv", ANTHROPIC_COST_FEBRUARY)], now=NOW)
    return db


def test_a_past_months_cost_export_opens_on_its_month_with_the_billed_amount(
        qtbot, ctx, billed):
    page = shown(qtbot, ctx)
    assert page.notice.isVisible()
    assert page.notice.text() == ("Showing February 2026, the latest month with usage: there "
                                  "is none in April 2026 yet.")
    assert page.month_combo.currentText() == "February 2026"
    # The card agrees with the store's cost query ("meterbook cost", source auto): 2.26.
    assert cost_of_month(billed, "2026-02-01", "2026-03-01") == D("2.26")
    assert page.this_month.title.text() == "February 2026"
    assert page.this_month.value.text() == "$2.26"
    assert page.this_month.caption.text() == "includes $2.26 billed by vendors"
    # A bill counts no requests: no average to make up.
    assert page.per_request.value.text() == "—"
    assert page.per_request.caption.text() == (
        "No requests counted in February 2026; the vendors' bills count none")
    assert page.last_month.title.text() == "January 2026"
    assert page.last_month.value.text() == "$0.00"
    assert page.requests.title.text() == "Requests in February 2026"
    assert page.unpriced.value.text() == "None"  # billed lines are priced by their bill
    assert page.subtitle.text() == "February 2026 · amounts in USD · times in UTC"


def test_the_month_picker_moves_between_months(qtbot, ctx, billed):
    page = shown(qtbot, ctx)
    # The combo holds the months with usage and this month, newest first.
    assert [page.month_combo.itemText(i) for i in range(page.month_combo.count())] == [
        "April 2026", "February 2026"]
    assert not page.previous.isEnabled()  # nothing before February
    qtbot.mouseClick(page.next, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.figures.month == "2026-03", timeout=WAIT)
    assert page.this_month.title.text() == "March 2026"
    assert page.this_month.value.text() == "$0.00"
    assert page.notice.isHidden()  # a month chosen by hand needs no explanation
    qtbot.mouseClick(page.next, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.figures.month == "2026-04", timeout=WAIT)
    assert page.this_month.title.text() == "This month"
    assert "April 2026 so far" in page.this_month.caption.text()
    assert not page.next.isEnabled()  # not past this month
    page.month_combo.activated.emit(page.month_combo.findText("February 2026"))
    qtbot.waitUntil(lambda: page.this_month.value.text() == "$2.26", timeout=WAIT)
    assert page.month_combo.currentText() == "February 2026"


def test_another_page_can_ask_for_a_month(qtbot, ctx, filled):
    page = shown(qtbot, ctx)
    assert page.figures.month == "2026-04"
    ctx.select_month(date(2026, 3, 1))  # as the Imports page does after an import
    qtbot.waitUntil(lambda: page.figures.month == "2026-03", timeout=WAIT)
    # March: 2.00 + the 5.00 fee; February before it had nothing
    assert page.this_month.value.text() == "$7.00"
    assert page.last_month.title.text() == "February 2026"


# --- a home currency without rates ----------------------------------------------------------

def set_home(db, code: str) -> None:
    with Session(db.engine) as session:
        set_home_currency(session, code=code)
        session.commit()


def test_euros_without_rates_never_show_dollars_and_list_every_missing_month(
        qtbot, ctx, filled):
    # Everything (Chat's prices and its fee) is in USD: March and April each need a USD rate.
    set_home(filled, "EUR")
    page = shown(qtbot, ctx)
    for card in (page.this_month, page.last_month, page.per_request, page.per_conversation):
        assert card.value.text() == "Unavailable"
        assert "$" not in card.caption.text()
    assert "no USD rate for April 2026" in page.this_month.caption.text()
    assert "no USD rate for March 2026" in page.last_month.caption.text()
    assert page.requests.value.text() == "8"  # counts need no rate
    assert "No exchange rate into EUR for USD from March 2026 to April 2026" in (
        page.missing_rates.text())
    assert page.subtitle.text() == "April 2026 so far · amounts in EUR · times in UTC"


def test_the_rate_button_opens_the_editor_for_every_missing_month(qtbot, ctx, filled):
    set_home(filled, "EUR")
    page = shown(qtbot, ctx)
    with qtbot.waitSignal(ctx.open_page, timeout=WAIT) as opened:
        qtbot.mouseClick(page.add_rates, Qt.MouseButton.LeftButton)
    assert opened.args == ["settings"]
    dialog = page.window().findChild(MissingRatesDialog)
    assert [(dialog.table.item(r, 0).text(), dialog.table.item(r, 1).text())
            for r in range(dialog.table.rowCount())] == [("USD", "2026-03"), ("USD", "2026-04")]
    assert not dialog.save_button.isEnabled()
    dialog.fields[0].setText("abc")
    assert "USD in 2026-03" in dialog.problem.text() and not dialog.save_button.isEnabled()
    dialog.fields[0].setText("0.90")
    dialog.fields[1].setText("0.80")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    # April: 11.50 USD x 0.80 = 9.20 EUR; March: 7.00 USD x 0.90 = 6.30 EUR
    qtbot.waitUntil(lambda: page.this_month.value.text() == "€9.20", timeout=WAIT)
    assert page.last_month.value.text() == "€6.30"
    assert page.missing_rates.isHidden() and page.add_rates.isHidden()


def test_a_failed_read_leaves_no_card_waiting(qtbot, ctx, filled, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OSError("disk I/O error")

    monkeypatch.setattr(page_module, "dashboard", broken)
    page = DashboardPage(ctx, now=NOW)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(page.error.isVisible, timeout=WAIT)
    assert "disk I/O error" in page.error.text()
    assert all(card.value.text() == "—" for card in page.cards)  # none left at "…"


def test_the_last_month_asked_for_wins_whatever_answer_comes_last(
        qtbot, ctx, filled, monkeypatch):
    page = shown(qtbot, ctx)
    gate = threading.Event()
    read = page_module.dashboard

    def slow_for_march(db, tz, now=None, month=None):
        if month == "2026-03":
            gate.wait(10)  # March's answer arrives after April's
        return read(db, tz, now=now, month=month)

    monkeypatch.setattr(page_module, "dashboard", slow_for_march)
    months_shown: list[str] = []
    show = page.show_figures
    monkeypatch.setattr(page, "show_figures", lambda f: (months_shown.append(f.month), show(f)))
    ctx.select_month(date(2026, 3, 1))
    ctx.select_month(date(2026, 4, 1))
    qtbot.waitUntil(lambda: months_shown == ["2026-04"], timeout=WAIT)
    gate.set()  # March's answer now arrives, after April's
    qtbot.wait(300)
    assert months_shown == ["2026-04"]  # and is dropped
    assert page.this_month.value.text() == "$11.50"
