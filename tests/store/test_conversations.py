"""Conversations and their requests (store/conversations.py), expected values worked out by hand.

Plans use `token_unit = 1000` so that charges stay readable: 1,000 input tokens at "0.50" cost
0.50.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session
from tests.helpers import CHAT_PLANS, import_text, save_plans

from meterbook.core.records import to_epoch_us
from meterbook.store.conversations import (
    BILLED,
    conversation_requests,
    conversation_rows,
    conversations_in,
    usage_months,
)  # fmt: skip
from meterbook.store.database import open_database
from meterbook.store.settings import set_rate

D = Decimal
UTC_TZ = ZoneInfo("UTC")
NOW = datetime(2026, 5, 1, tzinfo=UTC)
APRIL = (to_epoch_us(datetime(2026, 4, 1, tzinfo=UTC)),
         to_epoch_us(datetime(2026, 5, 1, tzinfo=UTC)))

PLANS = CHAT_PLANS

# Charges (Chat: 0.50 per 1k input, 0.25 per 1k cached, 2.00 per 1k output; mistral unpriced):
#   r1 03-05T10:00Z c1  2,000 in + 500 out                       = 1.00 + 1.00        = 2.00
#   r2 03-31T18:00Z c1  1,000 in                                 = 0.50
#   r3 04-02T09:00Z c2  1,000 in + 2,000 cached + 1,000 out      = 0.50 + 0.50 + 2.00 = 3.00
#   r4 04-02T09:05Z c2  2,000 in (gpt-4o-mini)                   = 1.00
#   r5 04-03T10:00Z c3  500 out                                  = 1.00
#   r6 04-04T11:00Z c3  mistral                                  unpriced
#   r7 04-05T12:00Z c4  mistral                                  unpriced
#   r8 04-06T08:00Z --  3 requests, 4,000 in (no conversation)   = 2.00
USAGE = """\
timestamp,vendor,model,request_id,conversation_id,requests,input_tokens,cached_input_tokens,output_tokens
2026-03-05T10:00:00Z,openai,gpt-4o,r1,c1,1,2000,0,500
2026-03-31T18:00:00Z,openai,gpt-4o,r2,c1,1,1000,0,0
2026-04-02T09:00:00Z,openai,gpt-4o,r3,c2,1,1000,2000,1000
2026-04-02T09:05:00Z,openai,gpt-4o-mini,r4,c2,1,2000,0,0
2026-04-03T10:00:00Z,openai,gpt-4o,r5,c3,1,0,0,500
2026-04-04T11:00:00Z,mistral,mistral-large,r6,c3,1,1000,0,100
2026-04-05T12:00:00Z,mistral,mistral-large,r7,c4,1,300,0,30
2026-04-06T08:00:00Z,openai,gpt-4o-mini,r8,,3,4000,0,0
"""


def us(text: str) -> int:
    return to_epoch_us(datetime.fromisoformat(text))


@pytest.fixture
def db(store_url):
    with open_database(store_url) as database:
        yield database


def fill(db, tmp_path, usage: str = USAGE, plans: str = PLANS) -> None:
    save_plans(db, plans)
    import_text(db, tmp_path, usage, now=NOW)


@pytest.fixture
def conn(db, tmp_path):
    fill(db, tmp_path)
    with db.engine.connect() as connection:
        yield connection


def by_id(rows):
    return {r.conversation: r for r in rows}


def test_april_conversations_with_their_sums_times_and_models(conn):
    rows = by_id(conversation_rows(conn, tz=UTC_TZ, from_us=APRIL[0], to_us=APRIL[1]))
    assert list(rows) == ["", "c2", "c3", "c4"]  # c1 is all March
    c2 = rows["c2"]
    assert (c2.requests, c2.input_tokens, c2.cached_input_tokens, c2.output_tokens) == (
        2, 1000 + 2000, 2000, 1000)
    assert c2.cost == D("4.00")  # 3.00 + 1.00
    assert c2.unpriced_requests == 0
    assert (c2.first_us, c2.last_us) == (us("2026-04-02T09:00:00+00:00"),
                                         us("2026-04-02T09:05:00+00:00"))
    assert c2.models == ("gpt-4o", "gpt-4o-mini")
    c3 = rows["c3"]
    assert (c3.requests, c3.cost, c3.unpriced_requests) == (2, D("1.00"), 1)
    assert c3.models == ("gpt-4o", "mistral-large")
    assert not c3.fully_unpriced  # r5 was priced
    assert (c3.first, c3.last) == (datetime(2026, 4, 3, 10, tzinfo=UTC),
                                   datetime(2026, 4, 4, 11, tzinfo=UTC))
    c4 = rows["c4"]
    assert (c4.requests, c4.unpriced_requests, c4.fully_unpriced) == (1, 1, True)
    assert (c4.input_tokens, c4.output_tokens) == (300, 30)
    # The usage of no conversation is a row of its own, never left out: r8
    none = rows[""]
    assert (none.requests, none.input_tokens, none.cost) == (3, 4000, D("2.00"))


def test_all_time_includes_march_and_fees_belong_to_no_conversation(conn):
    rows = by_id(conversation_rows(conn))
    assert list(rows) == ["", "c1", "c2", "c3", "c4"]
    assert (rows["c1"].requests, rows["c1"].cost) == (2, D("2.50"))  # 2.00 + 0.50
    # Usage only: 2.50 + 4.00 + 1.00 + 0 + 2.00; Chat's monthly fees are in no row
    assert sum((r.cost for r in rows.values()), D(0)) == D("9.50")


def test_a_periods_fee_and_minimum_true_up_are_its_fixed_cost_in_no_conversation(db, tmp_path):
    fill(db, tmp_path, plans=PLANS.replace('monthly_fee = "5.00"',
                                           'monthly_fee = "5.00"\nmonthly_minimum = "10.00"'))
    with db.engine.connect() as conn:
        april = conversations_in(conn, from_us=APRIL[0], to_us=APRIL[1])
        everything = conversations_in(conn)
    # April's Chat usage: r3 3.00 + r4 1.00 + r5 1.00 + r8 2.00 = 7.00, under the 10.00
    # minimum: fee 5.00 + true-up 3.00 = 8.00, and no conversation's cost holds any of it
    assert april.fixed_cost == D("8.00")
    assert sum((r.cost for r in april.rows), D(0)) == D("7.00")
    # March too: usage r1 2.00 + r2 0.50 = 2.50, so 5.00 + 7.50 = 12.50; 8.00 + 12.50 = 20.50
    assert everything.fixed_cost == D("20.50")


def test_text_filter_matches_ids_and_models_in_any_case(conn):
    assert [r.conversation for r in conversation_rows(conn, text_filter="C2")] == ["c2"]
    assert [r.conversation for r in conversation_rows(conn, text_filter=" Mistral ")] == [
        "c3", "c4"]
    # gpt-4o-mini: c2 (r4) and the requests without a conversation (r8)
    assert [r.conversation for r in conversation_rows(conn, text_filter="mini")] == ["", "c2"]
    assert conversation_rows(conn, text_filter="nothing like this") == []


def test_a_conversations_requests_in_time_order(conn):
    r3, r4 = conversation_requests(conn, "c2")
    assert (r3.request_id, r3.model, r3.vendor) == ("r3", "gpt-4o", "openai")
    assert (r3.input_tokens, r3.cached_input_tokens, r3.output_tokens) == (1000, 2000, 1000)
    assert (r3.cost, r3.priced_by) == (D("3.00"), "Chat")
    assert r3.time == datetime(2026, 4, 2, 9, tzinfo=UTC)
    assert (r4.request_id, r4.model, r4.cost) == ("r4", "gpt-4o-mini", D("1.00"))


def test_unpriced_requests_have_no_cost_rather_than_zero(conn):
    r5, r6 = conversation_requests(conn, "c3")
    assert (r5.cost, r5.unpriced) == (D("1.00"), False)
    assert (r6.cost, r6.priced_by, r6.unpriced) == (None, "", True)


def test_requests_without_a_conversation_within_a_range_and_limit(conn):
    (r8,) = conversation_requests(conn, "", from_us=APRIL[0], to_us=APRIL[1])
    assert (r8.request_id, r8.requests, r8.cost) == ("r8", 3, D("2.00"))
    assert conversation_requests(conn, None) == [r8]
    # c1's requests are in March: none within April, one with limit=1
    assert conversation_requests(conn, "c1", from_us=APRIL[0], to_us=APRIL[1]) == []
    assert [r.request_id for r in conversation_requests(conn, "c1", limit=1)] == ["r1"]


def test_a_vendors_bill_wins_over_the_computed_charge(db, tmp_path):
    fill(db, tmp_path, usage="""\
timestamp,vendor,model,request_id,conversation_id,input_tokens,billed_cost
2026-04-02T10:00:00Z,openai,gpt-4o,b1,t1,1000,0.75
2026-04-02T10:01:00Z,openai,gpt-4o,b2,t1,1000,
""")
    with db.engine.connect() as conn:
        b1, b2 = conversation_requests(conn, "t1")
        # b1 was billed 0.75 (its computed 0.50 is not used); b2 has no bill: 0.50 computed
        assert (b1.cost, b1.priced_by) == (D("0.75"), BILLED)
        assert (b2.cost, b2.priced_by) == (D("0.50"), "Chat")
        (t1,) = conversation_rows(conn)
        assert t1.cost == D("1.25")


def test_foreign_plans_are_converted_at_their_months_rate(db, tmp_path):
    fill(db, tmp_path, plans="""
[[plan]]
name = "Euro chat"
vendor = "mistral"
currency = "EUR"
request = "2.00"
""", usage="""\
timestamp,vendor,model,request_id,conversation_id
2026-03-31T10:00:00Z,mistral,large,m1,t1
2026-04-01T10:00:00Z,mistral,large,m2,t1
""")
    with db.engine.connect() as conn:
        # Never a silent 1:1: without rates the costs are unknown, and every missing month
        # is named at once.
        m1, m2 = conversation_requests(conn, "t1", tz=UTC_TZ)
        assert (m1.cost, m1.missing_rate, m2.cost, m2.missing_rate) == (
            None, ("EUR", "2026-03"), None, ("EUR", "2026-04"))
        assert not m1.unpriced  # priced, only not convertible
        found = conversations_in(conn, tz=UTC_TZ)
        assert found.rows[0].cost is None and found.fixed_cost is None
        assert found.missing_rates == (("EUR", "2026-03"), ("EUR", "2026-04"))
    with Session(db.engine) as session:
        set_rate(session, currency="EUR", month="2026-03", rate="1.10")
        set_rate(session, currency="EUR", month="2026-04", rate="1.20")
        session.commit()
    with db.engine.connect() as conn:
        m1, m2 = conversation_requests(conn, "t1", tz=UTC_TZ)
        assert (m1.cost, m2.cost) == (D("2.2000"), D("2.4000"))  # 2.00 x 1.10, 2.00 x 1.20
        (t1,) = conversation_rows(conn, tz=UTC_TZ)
        assert t1.cost == D("4.60")


def test_usage_months_newest_first(conn):
    assert usage_months(conn, UTC_TZ) == ["2026-04", "2026-03"]


def test_usage_months_follow_the_report_zone(db, tmp_path):
    fill(db, tmp_path, usage="timestamp,vendor,model\n2026-03-31T22:30:00Z,openai,gpt-4o\n")
    with db.engine.connect() as conn:
        assert usage_months(conn, UTC_TZ) == ["2026-03"]
        # 00:30 on April 1st in Paris (UTC+2 in summer time)
        assert usage_months(conn, ZoneInfo("Europe/Paris")) == ["2026-04"]


def test_usage_months_of_an_empty_database(db):
    with db.engine.connect() as conn:
        assert usage_months(conn, UTC_TZ) == []
