"""The Usage page's queries: filters, every sort order, counts and rows, unpriced included.

Plans use `token_unit = 1000` so charges stay readable: 1,000 input tokens at "0.50" cost 0.50.
Each record's charge is worked out by hand beside USAGE (tests/helpers.py WORKED_USAGE);
expected orders list request ids.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tests.helpers import CHAT_CLAUDE_PLANS, WORKED_USAGE, usage_database

from meterbook.core.records import to_epoch_us
from meterbook.store.database import open_database
from meterbook.store.usage_query import (
    SORT_KEYS,
    UsageFilter,
    fetch_rows,
    filter_choices,
    usage_count,
    usage_ids,
    usage_totals,
)  # fmt: skip

NOW = datetime(2026, 6, 1, tzinfo=UTC)

PLANS = CHAT_CLAUDE_PLANS

USAGE = WORKED_USAGE  # each record's charge is worked out beside it
NEWEST_FIRST = ["r6_x", "r5", "r4", "r3", "r2", "r1"]


def us(text: str) -> int:
    return to_epoch_us(datetime.fromisoformat(text).replace(tzinfo=UTC))


@pytest.fixture
def db(tmp_path, store_url):
    with usage_database(tmp_path, PLANS, USAGE, now=NOW, url=store_url) as database:
        yield database


@pytest.fixture
def conn(db):
    with db.engine.connect() as connection:
        yield connection


def request_ids(conn, f: UsageFilter | None = None, sort="time", descending=True,
                **options) -> list[str]:
    ids = usage_ids(conn, f or UsageFilter(), sort, descending, **options)
    rows = fetch_rows(conn, ids)
    return [rows[i].request_id for i in ids]


# --- order ------------------------------------------------------------------------------------


def test_time_order_newest_first_and_reversed(conn):
    assert request_ids(conn) == NEWEST_FIRST
    assert request_ids(conn, descending=False) == NEWEST_FIRST[::-1]


def test_limit_gives_the_first_screen(conn):
    assert request_ids(conn, limit=2) == ["r6_x", "r5"]


@pytest.mark.parametrize(("sort", "descending", "expected"), [
    # unpriced sorts above every price; ties (r5 and r2 cost 0.50) put the newest first
    ("cost", True, ["r4", "r3", "r6_x", "r1", "r5", "r2"]),
    ("cost", False, ["r5", "r2", "r1", "r6_x", "r3", "r4"]),
    ("requests", True, ["r5", "r3", "r6_x", "r4", "r2", "r1"]),
    ("input", True, ["r6_x", "r1", "r3", "r2", "r4", "r5"]),
    ("output", False, ["r2", "r4", "r6_x", "r5", "r1", "r3"]),
    # vendor, then model, then newest first
    ("vendor", False, ["r6_x", "r3", "r4", "r5", "r1", "r2"]),
    ("model", False, ["r6_x", "r3", "r5", "r1", "r2", "r4"]),
    ("project", False, ["r5", "r4", "r3", "r6_x", "r2", "r1"]),
    # descending: unpriced first, then "Claude" before "Chat"
    ("plan", True, ["r4", "r6_x", "r3", "r5", "r2", "r1"]),
])  # fmt: skip
def test_every_sort(conn, sort, descending, expected):
    assert request_ids(conn, sort=sort, descending=descending) == expected


def test_the_sort_keys_the_page_offers():
    assert {"time", "vendor", "model", "project", "requests", "input", "output",
            "cost"} <= set(SORT_KEYS)


def test_an_unknown_sort_is_refused(conn):
    with pytest.raises(ValueError, match="unknown sort"):
        usage_ids(conn, UsageFilter(), "colour")


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("f", "expected"), [
    (UsageFilter(vendor="openai"), ["r5", "r2", "r1"]),
    (UsageFilter(model="gpt-4o"), ["r5", "r1"]),
    (UsageFilter(vendor="openai", project="support"), ["r2", "r1"]),
    (UsageFilter(project=""), ["r5"]),  # records without a project
    (UsageFilter(project="sales"), ["r4", "r3"]),
    (UsageFilter(vendor="nobody"), []),
    # March in UTC: from its first instant, up to (not including) April's
    (UsageFilter(from_us=us("2026-03-01"), to_us=us("2026-04-01")), ["r4", "r3", "r2", "r1"]),
    (UsageFilter(from_us=us("2026-04-01T08:00:00")), ["r6_x", "r5"]),
    (UsageFilter(unpriced=True), ["r4"]),
    (UsageFilter(unpriced=True, vendor="openai"), []),
])  # fmt: skip
def test_filters(conn, f, expected):
    assert request_ids(conn, f) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("ana", ["r3", "r1"]),  # user
    ("CLAUDE", ["r6_x", "r3"]),  # model, any case
    ("mistral", ["r4"]),  # vendor
    ("c1", ["r2", "r1"]),  # conversation
    ("r5", ["r5"]),  # request id
    ("support", ["r6_x", "r2", "r1"]),  # project
    ("c2 sales", ["r3"]),  # every word must match
    ("_", ["r6_x"]),  # LIKE's wildcards are searched for as they are
    ("%", []),
])  # fmt: skip
def test_text_search(conn, text, expected):
    assert request_ids(conn, UsageFilter(text=text)) == expected


def test_text_search_with_another_sort(conn):
    assert request_ids(conn, UsageFilter(text="support"), "cost") == ["r6_x", "r1", "r2"]


# --- counts -------------------------------------------------------------------------------------


# (records, requests, unpriced records, cost); requests and costs from the table above.
@pytest.mark.parametrize(("f", "expected"), [
    # 1+1+2+1+3+1 = 9 requests; 2.00+0.50+6.00+0.50+4.00 = 13.00
    (UsageFilter(), (6, 9, 1, "13.00")),
    (UsageFilter(vendor="mistral"), (1, 1, 1, "0")),
    (UsageFilter(vendor="openai"), (3, 5, 0, "3.00")),  # r1 r2 r5: 2.00+0.50+0.50
    # whole hours: the rollup answers (r1..r4: 2.00+0.50+6.00 = 8.50)
    (UsageFilter(from_us=us("2026-03-01"), to_us=us("2026-04-01")), (4, 5, 1, "8.50")),
    (UsageFilter(from_us=us("2026-04-01"), project="sales"), (0, 0, 0, "0")),
    # one microsecond past r1: not a whole hour, the records answer (r2..r4: 6.50)
    (UsageFilter(from_us=us("2026-03-01T09:00:00.000001"), to_us=us("2026-04-01")),
     (3, 4, 1, "6.50")),
    (UsageFilter(text="sales"), (2, 3, 1, "6.00")),  # r3 r4
    (UsageFilter(text="nothing like it"), (0, 0, 0, "0")),
    (UsageFilter(vendor="nobody"), (0, 0, 0, "0")),
    (UsageFilter(unpriced=True), (1, 1, 1, "0")),
    (UsageFilter(unpriced=True, from_us=us("2026-03-31T23:00:00.000001")), (1, 1, 1, "0")),
    (UsageFilter(unpriced=True, text="support"), (0, 0, 0, "0")),
])  # fmt: skip
def test_totals(conn, f, expected):
    for exact in (False, True):  # the rollup (where it can answer) and the records agree
        t = usage_totals(conn, f, exact_records=exact)
        assert (t.records, t.requests, t.unpriced, t.cost) == (*expected[:3],
                                                               Decimal(expected[3]))
        assert t.billed == 0 and t.currency == "USD" and not t.missing_rates
    assert usage_totals(conn, f).records == usage_count(conn, f) == len(usage_ids(conn, f))


# --- rows ---------------------------------------------------------------------------------------


def test_rows_carry_charge_plan_and_every_field(conn):
    rows = {r.request_id: r for r in fetch_rows(conn, usage_ids(conn, UsageFilter())).values()}
    r3 = rows["r3"]
    assert (r3.vendor, r3.model, r3.project, r3.user, r3.conversation_id) == (
        "anthropic", "claude-haiku", "sales", "ana", "c2")
    assert (r3.requests, r3.input_tokens, r3.output_tokens) == (2, 1000, 1000)
    assert (r3.cached_input_tokens, r3.cache_write_tokens, r3.units) == (0, 0, Decimal(0))
    assert r3.timestamp_us == us("2026-03-03T11:00:00")
    assert r3.charge == Decimal("6.00") and r3.charge_currency == "USD"
    assert r3.plan_name == "Claude" and r3.priced
    assert r3.billed is None and r3.api_key is None
    assert rows["r1"].charge == Decimal("2.00") and rows["r1"].plan_name == "Chat"
    assert rows["r5"].charge == Decimal("0.50") and rows["r5"].project == ""


def test_an_unpriced_row_has_no_charge_and_no_plan(conn):
    rows = fetch_rows(conn, usage_ids(conn, UsageFilter(vendor="mistral")))
    (row,) = rows.values()
    assert row.charge is None and row.plan_name is None and row.plan_version_id is None
    assert not row.priced


def test_rows_of_ids_that_are_gone_are_left_out(conn):
    ids = list(usage_ids(conn, UsageFilter()))
    assert set(fetch_rows(conn, [*ids, 999_999])) == set(ids)
    assert fetch_rows(conn, []) == {}


def test_many_ids_are_read_in_chunks(conn):
    ids = list(usage_ids(conn, UsageFilter()))
    assert len(fetch_rows(conn, ids * 300)) == 6  # 1,800 ids: several IN lists


# --- choices ------------------------------------------------------------------------------------


def test_filter_choices(conn):
    choices = filter_choices(conn)
    assert choices.vendors == ["anthropic", "mistral", "openai"]
    assert choices.models == ["claude-haiku", "gpt-4o", "gpt-4o-mini", "mistral-large"]
    assert choices.projects == ["", "sales", "support"]
    assert choices.models_by_vendor["openai"] == ["gpt-4o", "gpt-4o-mini"]
    assert (choices.first_us, choices.last_us) == (us("2026-03-01T09:00:00"),
                                                   us("2026-04-02T12:00:00"))


def test_an_empty_database(store_url):
    with open_database(store_url) as database, \
            database.engine.connect() as conn:
        assert list(usage_ids(conn, UsageFilter())) == []
        assert usage_totals(conn, UsageFilter()).records == 0
        choices = filter_choices(conn)
        assert choices.vendors == [] and choices.first_us is None
