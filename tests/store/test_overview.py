"""The dashboard's figures (store/overview.py), every expected value worked out by hand.

"Now" is always given, so nothing depends on the clock. Plans use `token_unit = 1000` so that
charges stay readable: 1,000 input tokens at "0.50" cost 0.50.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tests.helpers import (
    ANTHROPIC_COST_FEBRUARY,
    CHAT_PLANS,
    cost_of_month,
    fill_march_april,
    import_text,
    report_in_utc,
    save_plans,
)

from meterbook.core.plan_files import read_plans
from meterbook.importers.pipeline import import_files
from meterbook.store.database import open_database
from meterbook.store.overview import dashboard, month_status
from meterbook.store.plan_ops import save_plan_set

D = Decimal
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)  # "this month" is April 2026

PLANS = CHAT_PLANS

# Charges (Chat: 0.50 per 1k input, 0.25 per 1k cached, 2.00 per 1k output; mistral has no
# plan, so its requests are unpriced):
#   r1 03-05T10:00Z c1  2,000 in + 500 out           = 1.00 + 1.00        = 2.00
#   r2 03-31T22:30Z c1  1,000 in                     = 0.50  (April 1st 00:30 in Paris)
MARCH = """\
timestamp,vendor,model,request_id,conversation_id,requests,input_tokens,output_tokens
2026-03-05T10:00:00Z,openai,gpt-4o,r1,c1,1,2000,500
2026-03-31T22:30:00Z,openai,gpt-4o,r2,c1,1,1000,0
"""
#   r3 04-02T09:00Z c2  1,000 in + 2,000 cached + 1,000 out = 0.50 + 0.50 + 2.00 = 3.00
#   r4 04-02T09:05Z c2  2,000 in                      = 1.00
#   r5 04-03T10:00Z c3  500 out                       = 1.00
#   r6 04-04T11:00Z c3  mistral                       unpriced
#   r7 04-05T12:00Z c4  mistral                       unpriced
#   r8 04-06T08:00Z --  3 requests, 4,000 in          = 2.00
#   and one line with a bad date, refused (skip_bad_lines)
APRIL = """\
timestamp,vendor,model,request_id,conversation_id,requests,input_tokens,cached_input_tokens,output_tokens
2026-04-02T09:00:00Z,openai,gpt-4o,r3,c2,1,1000,2000,1000
2026-04-02T09:05:00Z,openai,gpt-4o-mini,r4,c2,1,2000,0,0
2026-04-03T10:00:00Z,openai,gpt-4o,r5,c3,1,0,0,500
2026-04-04T11:00:00Z,mistral,mistral-large,r6,c3,1,1000,0,100
2026-04-05T12:00:00Z,mistral,mistral-large,r7,c4,1,300,0,30
2026-04-06T08:00:00Z,openai,gpt-4o-mini,r8,,3,4000,0,0
yesterday,openai,gpt-4o,r9,c5,1,10,0,0
"""


@pytest.fixture
def db(store_url):
    with open_database(store_url) as database:
        yield database


@pytest.fixture
def filled(db, tmp_path):
    fill_march_april(db, tmp_path, PLANS, MARCH, APRIL)
    return db


def test_an_empty_database_has_zero_spend_and_no_averages(db):
    board = dashboard(db, "UTC", now=NOW)
    assert (board.month, board.last_month, board.currency) == ("2026-04", "2026-03", "USD")
    assert board.this.cost == board.last.cost == D(0)
    assert board.this.requests == board.this.unpriced_requests == board.conversations == 0
    # Nothing to divide: no average at all, rather than a made-up $0.
    assert board.average_per_request is None
    assert board.average_per_conversation is None
    assert board.imports == ()


def test_this_and_last_month_in_utc(filled):
    board = dashboard(filled, "UTC", now=NOW)
    # April: usage 3.00 + 1.00 + 1.00 + 2.00 = 7.00, plus Chat's 5.00 fee = 12.00
    assert board.this.cost == D("12.00")
    assert board.this.fixed_cost == D("5.00")
    # r3..r7 one request each, r8 three: 8 requests, r6 and r7 unpriced
    assert (board.this.requests, board.this.unpriced_requests) == (8, 2)
    # March: 2.00 + 0.50 + the 5.00 fee = 7.50, two requests, none unpriced
    assert board.last.cost == D("7.50")
    assert (board.last.requests, board.last.unpriced_requests) == (2, 0)


def test_averages_leave_out_fees_and_unpriced_usage(filled):
    board = dashboard(filled, "UTC", now=NOW)
    # usage 7.00 over the 6 priced requests = 1.1666... rounded to 9 places
    assert board.average_per_request == D("1.166666667")
    # conversations in April: c2, c3, c4 (r8 has none); c3 and c4 hold unpriced requests,
    # so only c2 (3.00 + 1.00 = 4.00) is averaged
    assert board.conversations == 3
    assert board.conversations_unpriced == 2
    assert board.average_per_conversation == D("4.00")


def test_months_follow_the_report_time_zone(filled):
    board = dashboard(filled, "Europe/Paris", now=NOW)
    # r2 (03-31T22:30Z) is 00:30 on April 1st in Paris (UTC+2): April gains it.
    # April usage 7.00 + 0.50 = 7.50, plus the fee: 12.50; 9 requests, 7 priced
    assert board.this.cost == D("12.50")
    assert (board.this.requests, board.this.unpriced_requests) == (9, 2)
    assert board.average_per_request == D("1.071428571")  # 7.50 / 7 = 1.0714285714...
    # March keeps r1 only: 2.00 + 5.00
    assert board.last.cost == D("7.00")
    # c1 (0.50) and c2 (4.00) are fully priced: (0.50 + 4.00) / 2
    assert board.conversations == 4
    assert board.average_per_conversation == D("2.25")


def test_latest_imports_newest_first(filled):
    board = dashboard(filled, "UTC", now=NOW)
    april, march = board.imports
    assert april.id == march.id + 1
    assert april.files == ("april.csv",)
    assert (april.added, april.refused) == (6, 1)
    assert april.created == datetime(2026, 4, 7, 9, 30, tzinfo=UTC)
    assert (march.files, march.added, march.refused) == (("march.csv",), 2, 0)


def test_only_the_latest_five_imports_are_listed(db, tmp_path):
    for n in range(7):
        path = tmp_path / f"u{n}.csv"
        path.write_text(f"timestamp,vendor,model\n2026-04-0{n + 1}T10:00:00Z,acme,bot\n",
                        encoding="utf-8")
        import_files(db, [path], now=NOW)
    board = dashboard(db, "UTC", now=NOW)
    assert [i.files for i in board.imports] == [(f"u{n}.csv",) for n in (6, 5, 4, 3, 2)]
    # acme has no plan: all seven requests are unpriced, and nothing is averaged
    assert (board.this.requests, board.this.unpriced_requests, board.this.cost) == (7, 7, D(0))
    assert board.average_per_request is None


def test_month_status_agrees_with_the_dashboard(filled):
    board = dashboard(filled, "UTC", now=NOW)
    status = month_status(filled, "UTC", now=NOW)
    assert (status.figures, status.currency, status.choice) == (board.this, "USD", board.choice)
    assert month_status(filled, "UTC", now=NOW, month="2026-03").figures == board.last


def test_foreign_currency_plans_are_converted_at_the_months_rate(db, tmp_path):
    from sqlmodel import Session

    from meterbook.store.settings import set_rate

    save_plan_set(db, read_plans("""
[[plan]]
name = "Euro chat"
vendor = "mistral"
currency = "EUR"
request = "2.00"
""", "euro.toml"))
    path = tmp_path / "u.csv"
    path.write_text("timestamp,vendor,model,conversation_id\n"
                    "2026-04-02T10:00:00Z,mistral,large,t1\n", encoding="utf-8")
    import_files(db, [path], now=NOW)
    with Session(db.engine) as session:
        set_rate(session, currency="EUR", month="2026-04", rate="1.10")
        session.commit()
    board = dashboard(db, "UTC", now=NOW)
    # one request at 2.00 EUR x 1.10 = 2.20 USD
    assert board.this.cost == board.average_per_request == board.average_per_conversation == D(
        "2.2000")


# February: the cost export's 2.26 billed by Anthropic, and one OpenAI request priced by Chat:
# 1,000 input tokens at 0.50 per 1k = 0.50; Chat's monthly fee 5.00.
#   cost 2.26 + 0.50 + 5.00 = 7.76, of which 2.26 billed; 1 request (the bills count none)
FEBRUARY_USAGE = """\
timestamp,vendor,model,request_id,input_tokens
2026-02-20T10:00:00Z,openai,gpt-4o,f1,1000
"""


@pytest.fixture
def february(db, tmp_path):
    report_in_utc(db)
    save_plans(db, PLANS)
    import_text(db, tmp_path, ANTHROPIC_COST_FEBRUARY, "cost.csv", now=NOW)
    import_text(db, tmp_path, FEBRUARY_USAGE, "february.csv", now=NOW)
    return db


def test_billed_lines_count_at_their_billed_cost_and_are_told_apart(february):
    board = dashboard(february, "UTC", now=NOW, month="2026-02")
    assert board.this.cost == D("7.76")  # 2.26 billed + 0.50 computed + 5.00 fee
    assert board.this.billed == D("2.26")
    assert board.this.fixed_cost == D("5.00")
    assert (board.this.requests, board.this.unpriced_requests) == (1, 0)
    assert board.this.cost == cost_of_month(february, "2026-02-01", "2026-03-01")
    assert board.this.billed == cost_of_month(february, "2026-02-01", "2026-03-01",
                                                 "billed")
    status = month_status(february, "UTC", now=NOW, month="2026-02")
    assert (status.figures.cost, status.figures.billed) == (D("7.76"), D("2.26"))


def test_a_database_whose_usage_ended_before_this_month_opens_on_its_latest_month(february):
    # Usage in February only, "now" in April: the overview opens on February and says why.
    board = dashboard(february, "UTC", now=NOW)
    assert (board.month, board.last_month) == ("2026-02", "2026-01")
    assert board.choice.latest_instead and not board.is_current
    assert board.choice.months == ("2026-02",)
    assert board.this.cost == D("7.76")
    assert month_status(february, "UTC", now=NOW).choice.month == "2026-02"
    # A month asked for is shown as it is: January had no usage, only Chat's 5.00 fee (as
    # `meterbook cost --month 2026-01` says too).
    january = dashboard(february, "UTC", now=NOW, month="2026-01")
    assert (january.month, january.this.cost, january.this.requests) == ("2026-01", D(5), 0)
    assert january.this.cost == cost_of_month(february, "2026-01-01", "2026-02-01")
    assert not january.choice.latest_instead


def test_this_month_is_kept_when_it_has_usage(filled):
    board = dashboard(filled, "UTC", now=NOW)
    assert (board.month, board.choice.latest_instead, board.is_current) == (
        "2026-04", False, True)
    assert board.choice.months == ("2026-03", "2026-04")


def test_a_home_currency_without_rates_makes_money_unavailable_and_lists_every_gap(
        february, tmp_path):
    from sqlmodel import Session

    from meterbook.store.settings import set_home_currency

    import_text(february, tmp_path, FEBRUARY_USAGE.replace("2026-02-20", "2026-04-02")
                .replace("f1", "a1"), "april.csv", now=NOW)
    with Session(february.engine) as session:
        set_home_currency(session, code="EUR")
        session.commit()
    board = dashboard(february, "UTC", now=NOW)
    # Every figure is in USD (bills, Chat's prices and its fee) and no rate is saved: the
    # fee makes March need one too, although March holds no record.
    assert board.choice.missing_rates == (("USD", "2026-02"), ("USD", "2026-03"),
                                          ("USD", "2026-04"))
    assert (board.month, board.currency) == ("2026-04", "EUR")
    assert board.this.cost is None and board.this.billed is None
    assert board.this.missing_rates == (("USD", "2026-04"),)
    assert board.last.cost is None
    assert board.average_per_request is None and board.average_per_conversation is None
    assert board.this.requests == 1  # counts need no rate
