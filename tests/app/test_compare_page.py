"""The Compare page driven like a person: build an alternative in a quick form, Compare, read
the totals; they agree with `meterbook compare --format json` and with arithmetic by hand.

The database is WORKED_USAGE under CHAT_CLAUDE_PLANS (tests/helpers.py), in UTC:
  openai:    r1 1 request 2.00, r2 1 request 0.50, r5 3 requests 0.50  -> 5 requests, 3.00
  anthropic: r3 2 requests 6.00, r6 1 request 4.00                     -> 3 requests, 10.00
  mistral:   r4 1 request, no plan                                     -> 1 unpriced request
  saved plans in all: 13.00 over 9 requests, 3 conversations (c1, c2, c3).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from meterbook.app.context import AppContext
from meterbook.app.formatting import money
from meterbook.app.window import MainWindow
from meterbook.store.compare import SAVED
from tests.app.test_keyboard import assert_in_order, tab_round
from tests.helpers import (
    ANTHROPIC_COST_FEBRUARY,
    CHAT_CLAUDE_PLANS,
    WORKED_USAGE,
    usage_database,
    write_file,
)

WAIT = 15_000  # ms
FLAT = "openai flat 0.40 per request"


@pytest.fixture
def db(tmp_path):
    with usage_database(tmp_path, CHAT_CLAUDE_PLANS, WORKED_USAGE, utc=True) as database:
        yield database


def scenario_rows(page) -> dict[str, list[str]]:
    """The totals table as a person reads it: scenario name -> its cells."""
    table = page.totals
    return {table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())}


def opened(qtbot, window):
    window.show_page("compare")
    page = window.pages["compare"]
    qtbot.waitUntil(lambda: page.answer is not None and page.is_loaded(), timeout=WAIT)
    return page


def compare_now(qtbot, page) -> None:
    qtbot.mouseClick(page.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.is_loaded, timeout=WAIT)


def remove_every_alternative(qtbot, page) -> None:
    while page.alternatives.count():
        page.alternatives.setCurrentRow(0)
        qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)


def add_file(qtbot, page, monkeypatch, folder, name: str, prices: str) -> None:
    """With no other alternative: a plan file for every openai model with these `prices`
    lines; pick "A plan file", click Add and choose it in the file dialog."""
    remove_every_alternative(qtbot, page)
    path = write_file(folder, name, '[[plan]]\nname = "File plan"\nvendor = "openai"\n'
                                    f'model = "*"\n{prices}')
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    picker = page.picker
    picker.kind.setCurrentIndex(picker.kind.findData("file"))
    qtbot.mouseClick(picker.add_button, Qt.MouseButton.LeftButton)


def test_a_flat_price_typed_in_the_form_is_compared_with_the_saved_plans(
        qtbot, window, american):
    page = opened(qtbot, window)
    # The first visit suggests a flat price for the costliest model's vendor: anthropic's
    # requests cost 10.00 / 3 = 3.333... each today, rounded to two digits: 3.3.
    assert [page.alternatives.item(i).text() for i in range(page.alternatives.count())] == [
        "anthropic flat 3.3 per request"]
    remove_every_alternative(qtbot, page)
    fill(qtbot, page, "flat", price="0.40")
    assert page.alternatives.item(0).text() == FLAT
    compare_now(qtbot, page)
    rows = scenario_rows(page)
    # Saved: 13.00 over 9 requests and 3 conversations (13/9 = 1.4444..., 13/3 = 4.3333...).
    assert rows["saved plans"][1:] == ["$13.00", "", "", "9", "1", "$1.4444", "$4.3333"]
    # The flat price covers openai only; the saved plans keep pricing anthropic:
    #   5 openai requests x 0.40 = 2.00, + anthropic 10.00 = 12.00 (mistral stays unpriced);
    #   12.00 - 13.00 = -1.00, -1.00 / 13.00 = -7.69%; 12/9 = 1.3333 a request, 12/3 = 4.00.
    assert rows[FLAT][1:] == ["$12.00", "-$1.00", "-7.69%", "9", "1", "$1.3333", "$4.0000"]
    # Break-even per vendor and model; mistral priced nothing: "no requests", never $0.
    table = page.break_even
    cells = {(table.item(r, 0).text(), table.item(r, 1).text()): table.item(r, 4).text()
             for r in range(table.rowCount())}
    # gpt-4o: r1 2.00 + r5 0.50 over 4 requests = 0.625; claude-haiku 10.00 / 3 = 3.3333.
    assert cells[("openai", "gpt-4o")] == "$0.625000"
    assert cells[("anthropic", "claude-haiku")] == "$3.3333"
    assert cells[("mistral", "mistral-large")] == "no requests"
    # The inverse for the flat price: gpt-4o's 4 requests cost 4 x 0.40 = 1.60 flat against
    # 2.50 saved, so Chat's prices x 1.60 / 2.50 = 0.64: 0.50 -> 0.32 in, 2.00 -> 1.28 out.
    assert ("openai gpt-4o: openai flat 0.40 per request costs what Chat's prices x 0.64 "
            "would: input $0.3200, output $1.2800 per 1,000 tokens.") in page.equivalents.text()


def test_the_totals_agree_with_meterbook_compare_json(qtbot, window, db, cli, tmp_path,
                                                       american):
    page = opened(qtbot, window)
    remove_every_alternative(qtbot, page)
    fill(qtbot, page, "flat", price="0.40")
    page.vendor.setCurrentIndex(page.vendor.findData("openai"))
    compare_now(qtbot, page)
    rows = scenario_rows(page)
    plan = write_file(tmp_path, "flat.toml", f'[[plan]]\nname = "{FLAT}"\nvendor = "openai"\n'
                                             'model = "*"\nrequest = "0.40"\n')
    doc = cli("compare", "--plans", str(plan), "--vendor", "openai", "--format", "json",
              db=tmp_path / "t.db").json
    cli_rows = {s["name"]: s for s in doc["scenarios"]}
    for shown, name in (("saved plans", SAVED), (FLAT, "flat")):
        s = cli_rows[name]
        assert rows[shown][1] == money(Decimal(s["cost"]), "USD")
        assert rows[shown][4] == f"{s['requests']:,}"
        assert rows[shown][5] == f"{s['unpriced_requests']:,}"
    assert rows[FLAT][2] == money(Decimal(cli_rows["flat"]["difference"]), "USD")
    assert rows[FLAT][3] == f"{cli_rows['flat']['difference_percent']}%"
    # By hand, openai only: saved 2.00 + 0.50 + 0.50 = 3.00; flat 5 x 0.40 = 2.00;
    # -1.00 / 3.00 = -33.33%; 0.40 a request; one conversation (r5 has none): 2.00.
    assert rows["saved plans"][1] == "$3.00"
    assert rows[FLAT][1:] == ["$2.00", "-$1.00", "-33.33%", "5", "0", "$0.400000", "$2.0000"]


def test_save_as_plan_then_it_prices_as_any_plan_and_the_plans_page_lists_it(
        qtbot, window, american):
    page = opened(qtbot, window)
    remove_every_alternative(qtbot, page)
    fill(qtbot, page, "flat", price="0.40")
    compare_now(qtbot, page)
    page.alternatives.setCurrentRow(0)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    # Saved, the flat price now prices openai: the saved plans cost what the alternative
    # did (12.00, see above), and the alternative no longer differs from them.
    qtbot.waitUntil(lambda: page.is_loaded()
                    and scenario_rows(page).get("saved plans", ["", ""])[1] == "$12.00",
                    timeout=WAIT)
    assert scenario_rows(page)[FLAT][1:4] == ["$12.00", "$0.00", "0.00%"]
    assert not page.save_button.isEnabled()  # it is a plan now: nothing more to save
    window.show_page("plans")
    plans = window.pages["plans"]
    qtbot.waitUntil(lambda: bool(plans.tree.findItems(
        FLAT, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)), timeout=WAIT)


def fill(qtbot, page, kind: str, **typed: str) -> None:
    """Pick a quick form, type each field, Add."""
    picker = page.picker
    picker.kind.setCurrentIndex(picker.kind.findData(kind))
    fields = picker.fields[kind]
    fields["vendor"].setCurrentText("openai")
    for name, text in typed.items():
        fields[name].clear()
        qtbot.keyClicks(fields[name], text)
    qtbot.mouseClick(picker.add_button, Qt.MouseButton.LeftButton)


def test_volume_tiers_and_a_fee_with_requests_included_per_billing_month(
        qtbot, window, american):
    page = opened(qtbot, window)
    remove_every_alternative(qtbot, page)
    fill(qtbot, page, "tiers", tiers="1 at 0.5, 0.1")
    fill(qtbot, page, "fee", fee="1.00", included="2", then="0.10")
    names = [page.alternatives.item(i).text() for i in range(page.alternatives.count())]
    assert names == ["openai volume tiers", "openai 1.00 a month, 2 requests included"]
    compare_now(qtbot, page)
    rows = scenario_rows(page)
    # openai has 2 requests in March (r1, r2) and 3 in April (r5); anthropic keeps 10.00.
    # Tiers, each month: the first request 0.50, the others 0.10:
    #   March 0.50 + 0.10 = 0.60; April 0.50 + 2 x 0.10 = 0.70; 1.30 + 10.00 = 11.30.
    assert rows["openai volume tiers"][1:3] == ["$11.30", "-$1.70"]
    # Fee: 1.00 a month for March and April = 2.00; March's 2 requests are included, April's
    # third costs 0.10: 2.10 + 10.00 = 12.10.
    assert rows[names[1]][1:3] == ["$12.10", "-$0.90"]


def pick_named(qtbot, page, kind: str, name: str) -> None:
    picker = page.picker
    picker.kind.setCurrentIndex(picker.kind.findData(kind))
    names = picker.fields[kind]["name"]
    names.setCurrentIndex(names.findText(name))
    qtbot.mouseClick(picker.add_button, Qt.MouseButton.LeftButton)


def test_a_saved_plan_and_a_catalog_plan_as_alternatives(qtbot, window, american):
    page = opened(qtbot, window)
    remove_every_alternative(qtbot, page)
    pick_named(qtbot, page, "saved", "Chat")
    pick_named(qtbot, page, "catalog", "OpenAI GPT-6.2 Sol")
    assert [page.alternatives.item(i).text() for i in range(page.alternatives.count())] == [
        "Chat", "OpenAI GPT-6.2 Sol"]
    page.alternatives.setCurrentRow(0)
    assert not page.save_button.isEnabled()  # a saved plan is one already
    page.alternatives.setCurrentRow(1)
    assert page.save_button.isEnabled()
    compare_now(qtbot, page)
    rows = scenario_rows(page)
    # Chat over the saved plans prices exactly as saved; the catalog plan covers gpt-6.2-sol*
    # only, none of this usage, so the saved plans keep pricing all of it: 13.00, no change.
    assert rows["Chat"][1:5] == ["$13.00", "$0.00", "0.00%", "9"]
    assert rows["OpenAI GPT-6.2 Sol"][1:5] == ["$13.00", "$0.00", "0.00%", "9"]


def test_what_was_typed_wrong_is_said_and_nothing_is_added(qtbot, window):
    page = opened(qtbot, window)
    remove_every_alternative(qtbot, page)
    fill(qtbot, page, "flat", price="abc")
    assert page.alternatives.count() == 0
    assert "Price per request: type a number such as 0.002 (not 'abc')." in (
        page.picker.message.text())
    picker = page.picker
    picker.kind.setCurrentIndex(picker.kind.findData("fee"))
    fields = picker.fields["fee"]
    fields["vendor"].setCurrentText("openai")
    qtbot.keyClicks(fields["fee"], "-5")
    qtbot.keyClicks(fields["included"], "lots")
    qtbot.mouseClick(picker.add_button, Qt.MouseButton.LeftButton)
    message = picker.message.text()  # every problem at once
    assert "Monthly fee: a price cannot be negative (-5)." in message
    assert "Requests included: type a whole number of requests" in message
    assert "Then per request: type a price." in message
    assert page.alternatives.count() == 0
    fill(qtbot, page, "flat", price="0.40")
    fill(qtbot, page, "flat", price="0.40")  # the same one again is not listed twice
    assert page.alternatives.count() == 1
    assert picker.message.text() == f"{FLAT!r} is on the list already."


def test_an_alternative_file_with_errors_lists_every_problem(qtbot, window, tmp_path,
                                                              monkeypatch):
    page = opened(qtbot, window)
    add_file(qtbot, page, monkeypatch, tmp_path, "bad.toml",
             'input = "-1"\nfrobnicate = 3\n')
    message = page.picker.message.text()
    # The file named, then each problem with its line.
    assert message.startswith(f"Not added, {tmp_path / 'bad.toml'} has problems:")
    assert "input: '-1' is negative; prices must be 0 or more (line 5)" in message
    assert "frobnicate: unknown key 'frobnicate' (line 6)" in message
    assert page.alternatives.count() == 0


def test_an_alternative_in_a_currency_without_rates_names_it(qtbot, window, tmp_path,
                                                              monkeypatch):
    page = opened(qtbot, window)
    add_file(qtbot, page, monkeypatch, tmp_path, "euro.toml",
             'currency = "EUR"\nrequest = "0.3"\n')
    assert page.alternatives.item(0).text() == "euro"
    compare_now(qtbot, page)
    # openai's usage is in March and April 2026: both months need a EUR rate.
    assert page.note.text().startswith(
        "No exchange rate into USD for EUR from March 2026 to April 2026")
    assert page.totals.rowCount() == 0


def test_a_period_with_no_usage_says_so(qtbot, window):
    page = opened(qtbot, window)
    page.period.setCurrentIndex(page.period.findData("custom"))
    page.from_date.setDate(page.from_date.date().fromString("2025-01-01", "yyyy-MM-dd"))
    page.to_date.setDate(page.to_date.date().fromString("2025-01-31", "yyyy-MM-dd"))
    compare_now(qtbot, page)
    assert page.note.text().startswith("No usage in this period and scope")
    assert page.totals.rowCount() == 0 and not page.tabs.isVisible()


def test_a_cost_export_alone_says_why_there_is_nothing_to_compare(qtbot, tmp_path):
    # Three billed lines (ANTHROPIC_COST_FEBRUARY): money, no tokens for a plan to price.
    with usage_database(tmp_path, CHAT_CLAUDE_PLANS, ANTHROPIC_COST_FEBRUARY, utc=True) as db:
        settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
        window = MainWindow(AppContext(db), settings)
        qtbot.addWidget(window)
        window.show()
        page = opened(qtbot, window)
        assert page.note.text().startswith("The 3 records here hold no requests or priced "
                                           "usage: they are lines of a vendor's cost export")
        assert page.alternatives.count() == 0  # nothing to suggest a price from
        assert not page.totals.isVisible() and not page.tabs.isVisible()
        window.close()


def test_a_month_is_compared_on_its_own(qtbot, window, american):
    page = opened(qtbot, window)
    remove_every_alternative(qtbot, page)
    page.period.setCurrentIndex(page.period.findData("2026-04"))
    compare_now(qtbot, page)
    # April: r5 0.50 (3 requests) + r6 4.00 (1 request) = 4.50 over 4 requests.
    assert scenario_rows(page)["saved plans"][1:6] == ["$4.50", "", "", "4", "0"]


def saved_total(page) -> str:
    rows = scenario_rows(page)
    return rows["saved plans"][1] if "saved plans" in rows else ""


def test_changing_the_period_or_scope_compares_again_without_a_click(qtbot, window,
                                                                     american):
    page = opened(qtbot, window)
    remove_every_alternative(qtbot, page)
    assert saved_total(page) == "$13.00"  # all usage (the header's sum)
    # The periods list: All usage, April 2026, March 2026, Custom dates. One arrow key down:
    # April alone, compared with no click: r5 0.50 (3 requests) + r6 4.00 (1) = 4.50.
    page.period.setFocus()
    qtbot.keyClick(page.period, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: saved_total(page) == "$4.50", timeout=WAIT)
    assert scenario_rows(page)["saved plans"][4:6] == ["4", "0"]
    # Down again: March. r1 2.00 + r2 0.50 + r3 6.00 = 8.50 over 1 + 1 + 2 + 1 = 5 requests,
    # r4's one (mistral, no plan) unpriced.
    qtbot.keyClick(page.period, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: saved_total(page) == "$8.50", timeout=WAIT)
    assert scenario_rows(page)["saved plans"][4:6] == ["5", "1"]
    # The scope too: anthropic only, over March: r3 6.00 over 2 requests.
    page.vendor.setFocus()
    qtbot.keyClicks(page.vendor, "anthropic")
    qtbot.waitUntil(lambda: saved_total(page) == "$6.00", timeout=WAIT)
    assert scenario_rows(page)["saved plans"][4:6] == ["2", "0"]


def test_the_keyboard_walks_the_question_in_reading_order(qtbot, window):
    page = opened(qtbot, window)
    seen = tab_round(qtbot, window, window.sidebar)
    assert_in_order(seen, page.period, page.vendor, page.model, page.project,
                    page.picker.kind, page.picker.add_button, page.alternatives,
                    page.compare_button, page.totals)
