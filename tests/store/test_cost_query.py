"""Cost queries through the store layer: the rollup, GROUP BY and Python paths must agree.

Every expected amount is worked out by hand next to its assert. Plans use `token_unit = 1000`
so that token charges stay readable: 1,000 input tokens at "0.50" cost 0.50.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session
from tests.helpers import CHAT_FEE_PLANS, save_plans, usage_database

from meterbook.core.cost import By, CostReport, CostRow
from meterbook.core.plan_files import read_plans
from meterbook.core.records import to_epoch_us
from meterbook.importers.pipeline import import_files
from meterbook.store.batches import undo_batch
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.plan_store import load_plans

UTC_TZ = ZoneInfo("UTC")
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+05:30 all year: no hourly rollup, the Python path
PARIS = ZoneInfo("Europe/Paris")  # UTC+2 from 2026-03-29 (summer time)
NOW = datetime(2026, 6, 1, tzinfo=UTC)  # when batches are created: fixed, never the clock


def D(text: str) -> Decimal:
    return Decimal(text)


def us(text: str) -> int:
    """An ISO instant (with offset) or a bare date (midnight UTC) -> epoch microseconds."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_epoch_us(moment)


@pytest.fixture
def db(tmp_path, store_url):
    with usage_database(tmp_path, url=store_url) as database:
        yield database


save = save_plans


_counter = 0


def import_csv(db, tmp_path, text: str):
    global _counter
    _counter += 1
    path = tmp_path / f"usage_{_counter}.csv"
    path.write_text(text, encoding="utf-8")
    return import_files(db, [path], now=NOW)


def query(db, **options) -> CostReport:
    with Session(db.engine) as session:
        saved = load_plans(session)
        return run_cost_query(session.connection(), CostQuery(**options), saved)


def rows(report: CostReport) -> dict[str, CostRow]:
    return {r.key: r for r in report.rows}


def money(report: CostReport) -> dict[str, tuple[Decimal, Decimal]]:
    """key -> (usage_cost, fixed_cost)"""
    return {r.key: (r.usage_cost, r.fixed_cost) for r in report.rows}


# --- the three paths agree -------------------------------------------------------------------

PLANS = CHAT_FEE_PLANS + """
[[plan]]
name = "Images"
vendor = "google"
model = "imagen"
[plan.volume]
meter = "requests"
mode = "graduated"
tiers = [ { up_to = 10, price = "0" }, { price = "0.04" } ]
"""

# Charges (Chat: 0.50 per 1k in, 2.00 per 1k out; Images: first 10 requests of a UTC month
# free, then 0.04 each, in time order):
#   r1 2026-03-05T10:00Z  2,000 in x 0.50 + 500 out x 2.00 = 1.00 + 1.00        = 2.00
#   r5 2026-03-20T12:00Z  6 images: positions 1-6 of March, free                 = 0
#   r2 2026-03-31T18:00Z  1,000 in x 0.50                                        = 0.50
#   r3 2026-03-31T18:30Z  1,000 out x 2.00                                       = 2.00
#   r4 2026-03-31T23:30Z  8 images: positions 7-14: 4 free + 4 x 0.04            = 0.16
#   r6 2026-04-02T09:00Z  4,000 in x 0.50 + 250 out x 2.00 = 2.00 + 0.50        = 2.50
#   r7 2026-04-03T09:00Z  12 images: April's 1-10 free + 2 x 0.04               = 0.08
#   r8 2026-04-04T09:00Z  mistral: no plan, unpriced
# Chat's fee: 5.00 in each month; usage 7.24 in all, fixed 10.00.
USAGE = """\
timestamp,vendor,model,request_id,conversation_id,requests,input_tokens,output_tokens
2026-03-05T10:00:00Z,openai,gpt-4o,r1,c1,1,2000,500
2026-03-31T18:00:00Z,openai,gpt-4o,r2,c1,1,1000,0
2026-03-31T18:30:00Z,openai,gpt-4o,r3,c2,1,0,1000
2026-03-31T23:30:00Z,google,imagen,r4,c2,8,0,0
2026-03-20T12:00:00Z,google,imagen,r5,,6,0,0
2026-04-02T09:00:00Z,openai,gpt-4o-mini,r6,,1,4000,250
2026-04-03T09:00:00Z,google,imagen,r7,,12,0,0
2026-04-04T09:00:00Z,mistral,mistral-large,r8,,1,10,10
"""


@pytest.fixture
def usage_db(db, tmp_path):
    save(db, PLANS)
    summary = import_csv(db, tmp_path, USAGE)
    assert (summary.added, summary.batch) == (8, 1)
    return db


def test_by_month_in_utc_uses_the_rollup_and_matches_hand_sums(usage_db):
    report = query(usage_db, by="month", tz=UTC_TZ)
    assert money(report) == {
        "2026-03": (D("4.66"), D("5")),  # 2.00 + 0 + 0.50 + 2.00 + 0.16 = 4.66; fee 5.00
        "2026-04": (D("2.58"), D("5")),  # 2.50 + 0.08 = 2.58; fee 5.00
    }
    assert rows(report)["2026-04"].unpriced_requests == 1  # r8
    assert rows(report)["2026-03"].requests == 1 + 1 + 1 + 8 + 6
    assert report.total.usage_cost == D("7.24")
    assert report.total.fixed_cost == D("10")
    assert report.total.cost == D("17.24")


def test_a_half_hour_zone_goes_through_python_and_splits_months_at_local_midnight(usage_db):
    # Kolkata is UTC+05:30: r2 (18:00Z) is 23:30 on March 31, r3 (18:30Z) is 00:00 on April 1,
    # r4 (23:30Z) is 05:00 on April 1.
    report = query(usage_db, by="month", tz=KOLKATA)
    assert money(report) == {
        "2026-03": (D("2.50"), D("5")),  # r1 2.00 + r5 0 + r2 0.50
        "2026-04": (D("4.74"), D("5")),  # r3 2.00 + r4 0.16 + r6 2.50 + r7 0.08
    }
    assert report.total.cost == D("17.24")  # the same money, only split differently


def test_by_day_in_a_half_hour_zone(usage_db):
    report = query(usage_db, by="day", tz=KOLKATA)
    got = money(report)
    assert got["2026-03-31"] == (D("0.50"), D("0"))  # r2 only
    assert got["2026-04-01"] == (D("2.16"), D("5"))  # r3 2.00 + r4 0.16; April's fee
    assert got["2026-03-01"] == (D("0"), D("5"))  # March's fee falls on its first day
    assert report.total.cost == D("17.24")


def test_a_record_late_on_march_31_utc_is_in_april_in_paris(usage_db):
    # r4 at 2026-03-31T23:30Z is 01:30 on April 1 in Paris (UTC+2); r3 at 18:30Z is still
    # March 31 there. Paris is a whole-hour zone: this is the rollup path.
    report = query(usage_db, by="month", tz=PARIS)
    assert money(report) == {
        "2026-03": (D("4.50"), D("5")),  # r1 2.00 + r5 0 + r2 0.50 + r3 2.00
        "2026-04": (D("2.74"), D("5")),  # r4 0.16 + r6 2.50 + r7 0.08
    }
    assert rows(report)["2026-04"].requests == 8 + 1 + 12 + 1  # r4 r6 r7 r8


def test_request_month_and_conversation_totals_agree(usage_db):
    by_month = query(usage_db, by="month", tz=UTC_TZ)
    by_request = query(usage_db, by="request", tz=UTC_TZ)
    by_conversation = query(usage_db, by="conversation", tz=UTC_TZ)
    for report in (by_request, by_conversation):
        assert report.total.usage_cost == by_month.total.usage_cost == D("7.24")
        assert report.total.fixed_cost == by_month.total.fixed_cost == D("10")
        assert report.total.requests == by_month.total.requests == 31
        assert report.total.unpriced_requests == 1
        # The fees belong to months, not to requests or conversations: the total only.
        assert all(r.fixed_cost == 0 for r in report.rows)
    # One row per record, in time order, keyed by request_id.
    assert [r.key for r in by_request.rows] == ["r1", "r5", "r2", "r3", "r4", "r6", "r7", "r8"]
    assert [r.usage_cost for r in by_request.rows] == [
        D("2.00"), D("0"), D("0.50"), D("2.00"), D("0.16"), D("2.50"), D("0.08"), D("0")]
    r4 = by_request.rows[4]
    assert r4.details["plan"] == "Images"
    assert r4.details["timestamp"].startswith("2026-03-31T23:30:00")
    assert by_request.rows[7].details["plan"] == ""  # unpriced
    assert money(by_conversation) == {
        "": (D("2.58"), D("0")),  # r5 0 + r6 2.50 + r7 0.08 + r8 unpriced
        "c1": (D("2.50"), D("0")),  # r1 2.00 + r2 0.50
        "c2": (D("2.16"), D("0")),  # r3 2.00 + r4 0.16
    }



@pytest.mark.parametrize("by", list(By))
def test_the_fees_a_key_has_no_share_of_are_carried_by_the_report(usage_db, by):
    # Chat's fee, 5.00 in March and April = 10.00. A month, day, week, vendor or plan holds
    # its part; no single request, conversation, model or project does: the report carries
    # those 10.00 apart (unshared_fixed), and the rows hold none of it.
    report = query(usage_db, by=by, tz=UTC_TZ)
    in_rows = sum((r.fixed_cost for r in report.rows), D("0"))
    assert report.by is by
    assert report.total.fixed_cost == in_rows + report.unshared_fixed == D("10")
    if by in (By.REQUEST, By.CONVERSATION, By.MODEL, By.PROJECT):
        assert (in_rows, report.unshared_fixed) == (D("0"), D("10"))
    else:
        assert (in_rows, report.unshared_fixed) == (D("10"), D("0"))

def test_conversations_in_a_half_hour_zone_match_utc(usage_db):
    # Conversations have no time key: the zone changes nothing but the path taken.
    utc = query(usage_db, by="conversation", tz=UTC_TZ)
    kolkata = query(usage_db, by="conversation", tz=KOLKATA)
    assert money(kolkata) == money(utc)


@pytest.mark.parametrize("by", ["month", "vendor", "plan", "model", "project", "week", "day"])
def test_what_if_with_the_saved_plans_gives_the_saved_charges(usage_db, by):
    saved_plans = read_plans(PLANS, "same.toml")
    saved = query(usage_db, by=by, tz=UTC_TZ)
    whatif = query(usage_db, by=by, tz=UTC_TZ, whatif=saved_plans)
    assert money(whatif) == money(saved)
    assert whatif.total.cost == saved.total.cost == D("17.24")
    assert whatif.total.unpriced_requests == saved.total.unpriced_requests == 1


def test_what_if_over_part_of_a_month_still_counts_the_tiers_from_the_first_of_the_month(
        usage_db):
    # [2026-03-25, 2026-04-01) holds r2 0.50, r3 2.00 and r4 0.16: r4 is only partly free
    # because r5 (March 20, outside the range) already used 6 of March's 10 free images.
    # No month starts inside the range: no fixed charges.
    window = {"from_us": us("2026-03-25"), "to_us": us("2026-04-01")}
    saved = query(usage_db, by="month", tz=UTC_TZ, **window)
    whatif = query(usage_db, by="month", tz=UTC_TZ, whatif=read_plans(PLANS, "same.toml"),
                   **window)
    for report in (saved, whatif):
        assert money(report) == {"2026-03": (D("2.66"), D("0"))}  # 0.50 + 2.00 + 0.16


def test_by_plan_puts_the_fee_on_its_plan_and_unpriced_usage_under_an_empty_key(usage_db):
    report = query(usage_db, by="plan", tz=UTC_TZ)
    assert money(report) == {
        "": (D("0"), D("0")),  # r8
        "Chat": (D("7.00"), D("10")),  # 2.00 + 0.50 + 2.00 + 2.50; two fees
        "Images": (D("0.24"), D("0")),  # 0.16 + 0.08
    }
    assert rows(report)[""].unpriced_requests == 1


def test_a_range_covers_the_fees_of_the_months_that_start_inside_it(usage_db):
    # [2026-03-15, 2026-04-15): April 1 is inside, March 1 is not: only April's fee.
    report = query(usage_db, by="month", tz=UTC_TZ, from_us=us("2026-03-15"),
                   to_us=us("2026-04-15"))
    assert money(report) == {
        "2026-03": (D("2.66"), D("0")),  # r5 0 + r2 0.50 + r3 2.00 + r4 0.16
        "2026-04": (D("2.58"), D("5")),  # r6 2.50 + r7 0.08; April's fee
    }


def test_billed_source_counts_records_without_a_bill_as_unpriced(db, tmp_path):
    save(db, PLANS)
    import_csv(db, tmp_path, """\
timestamp,vendor,model,request_id,input_tokens,billed_cost
2026-03-02T10:00:00Z,openai,gpt-4o,b1,1000,0.75
2026-03-03T10:00:00Z,openai,gpt-4o,b2,1000,
""")
    # computed: 0.50 + 0.50 = 1.00 (+ fee 5.00); billed: 0.75, b2 unpriced, no fee;
    # auto: 0.75 billed + 0.50 computed = 1.25 (+ fee 5.00)
    computed = query(db, source="computed", tz=UTC_TZ)
    billed = query(db, source="billed", tz=UTC_TZ)
    auto = query(db, source="auto", tz=UTC_TZ)
    assert money(computed) == {"2026-03": (D("1.00"), D("5"))}
    assert money(billed) == {"2026-03": (D("0.75"), D("0"))}
    assert billed.total.unpriced_requests == 1
    assert money(auto) == {"2026-03": (D("1.25"), D("5"))}
    assert auto.total.unpriced_requests == computed.total.unpriced_requests == 0
    assert query(db, source="billed", by="request", tz=UTC_TZ).total.unpriced_requests == 1


# --- fixed charges ----------------------------------------------------------------------------


def test_a_plan_starting_on_the_16th_of_a_30_day_month_pays_half_the_fee(db, tmp_path):
    save(db, """
[[plan]]
name = "Pro"
vendor = "acme"
effective_from = 2026-04-16
request = "0.10"
monthly_fee = "30.00"
""")
    import_csv(db, tmp_path, """\
timestamp,vendor,model
2026-04-20T12:00:00Z,acme,bot
2026-05-03T12:00:00Z,acme,bot
""")
    report = query(db, by="month", tz=UTC_TZ)
    assert money(report) == {
        "2026-04": (D("0.10"), D("15")),  # April 16-30 is 15 of 30 days: 30.00 x 15/30
        "2026-05": (D("0.10"), D("30")),  # the whole of May
    }


def test_monthly_minimum_tops_up_only_months_below_it(db, tmp_path):
    save(db, """
[[plan]]
name = "Team"
vendor = "globex"
request = "1.00"
monthly_minimum = "10.00"
""")
    import_csv(db, tmp_path, """\
timestamp,vendor,model,requests
2026-03-05T12:00:00Z,globex,g1,3
2026-04-05T12:00:00Z,globex,g1,12
""")
    for tz in (UTC_TZ, KOLKATA):  # rollup and Python paths
        report = query(db, by="month", tz=tz)
        assert money(report) == {
            "2026-03": (D("3"), D("7")),  # 3 x 1.00 = 3.00 < 10.00: true-up 7.00
            "2026-04": (D("12"), D("0")),  # 12.00 >= 10.00: no true-up
        }
        assert report.total.cost == D("22")
    by_vendor = query(db, by="vendor", tz=UTC_TZ)
    assert money(by_vendor) == {"globex": (D("15"), D("7"))}


def test_a_prorated_minimum_is_topped_up_with_the_prorated_amount(db, tmp_path):
    save(db, """
[[plan]]
name = "Pro"
vendor = "acme"
effective_from = 2026-04-16
request = "0.10"
monthly_fee = "30.00"
monthly_minimum = "10.00"
""")
    import_csv(db, tmp_path, "timestamp,vendor,model\n2026-04-20T12:00:00Z,acme,bot\n")
    report = query(db, by="month", tz=UTC_TZ)
    # f = 15/30: fee 15.00; minimum 5.00 - usage 0.10 = true-up 4.90
    assert money(report) == {"2026-04": (D("0.10"), D("19.90"))}


def test_versions_pay_their_own_fee_on_their_own_days(db, tmp_path):
    save(db, PLANS)
    import_csv(db, tmp_path, USAGE)
    save(db, """
[[plan]]
name = "Chat"
vendor = "openai"
model = "gpt-*"
effective_from = 2026-03-15
token_unit = 1000
input = "1.00"
output = "4.00"
monthly_fee = "8.00"
""")
    report = query(db, by="month", tz=UTC_TZ)
    got = money(report)
    # March: 14 days at 5.00 and 17 days at 8.00: (5 x 14 + 8 x 17) / 31 = 206 / 31
    # = 6.645161290322... -> 6.645161290
    assert got["2026-03"][1] == D("6.645161290")
    assert got["2026-04"][1] == D("8")


# --- re-pricing -------------------------------------------------------------------------------


def test_a_new_plan_version_reprices_only_the_records_after_its_start(usage_db):
    before = {r.key: r.usage_cost for r in query(usage_db, by="request", tz=UTC_TZ).rows}
    save(usage_db, """
[[plan]]
name = "Chat"
vendor = "openai"
model = "gpt-*"
effective_from = 2026-03-15
token_unit = 1000
input = "1.00"
output = "4.00"
monthly_fee = "5.00"
""")
    after = {r.key: r.usage_cost for r in query(usage_db, by="request", tz=UTC_TZ).rows}
    assert after["r1"] == before["r1"] == D("2.00")  # March 5: still the first version
    assert after["r2"] == D("1.00")  # 1,000 in x 1.00 (was 0.50)
    assert after["r3"] == D("4.00")  # 1,000 out x 4.00 (was 2.00)
    assert after["r6"] == D("5.00")  # 4,000 x 1.00 + 250 x 4.00 = 4.00 + 1.00 (was 2.50)
    for other in ("r4", "r5", "r7", "r8"):  # other vendors: untouched
        assert after[other] == before[other]
    by_month = query(usage_db, by="month", tz=UTC_TZ)
    assert money(by_month) == {
        "2026-03": (D("7.16"), D("5")),  # 2.00 + 0 + 1.00 + 4.00 + 0.16
        "2026-04": (D("5.08"), D("5")),  # 5.00 + 0.08
    }


def test_undoing_a_batch_moves_the_remaining_records_into_the_free_tier(db, tmp_path):
    save(db, PLANS)
    late = import_csv(db, tmp_path, """\
timestamp,vendor,model,request_id,requests
2026-03-20T12:00:00Z,google,imagen,late1,4
2026-03-21T12:00:00Z,google,imagen,late2,4
""")
    # 8 images: all inside March's 10 free ones
    assert query(db, tz=UTC_TZ).total.usage_cost == D("0")
    early = import_csv(db, tmp_path, """\
timestamp,vendor,model,request_id,requests
2026-03-01T12:00:00Z,google,imagen,early1,5
2026-03-02T12:00:00Z,google,imagen,early2,5
2026-03-03T12:00:00Z,google,imagen,early3,1
""")
    # early1-2 use the 10 free images; early3 1 x 0.04; late1-2 8 x 0.04 = 0.32
    by_request = query(db, by="request", tz=UTC_TZ)
    assert [(r.key, r.usage_cost) for r in by_request.rows] == [
        ("early1", D("0")), ("early2", D("0")), ("early3", D("0.04")),
        ("late1", D("0.16")), ("late2", D("0.16"))]
    assert query(db, tz=UTC_TZ).total.usage_cost == D("0.36")  # 0.04 + 0.32

    assert undo_batch(db, early.batch) == 3
    # Back to positions 1-8 of March: free again, in every path.
    for by in ("month", "request", "conversation"):
        report = query(db, by=by, tz=UTC_TZ)
        assert report.total.usage_cost == D("0")
        assert report.total.requests == 8
    assert query(db, by="month", tz=KOLKATA).total.usage_cost == D("0")
    assert late.batch == 1


def test_undo_of_an_unknown_batch_is_a_key_error(db):
    with pytest.raises(KeyError):
        undo_batch(db, 99)


def test_a_second_import_into_the_same_hours_keeps_the_rollup_exact(db, tmp_path):
    # Re-pricing after an import rebuilds the hourly rollup from the month's start; records
    # already rolled up must not be counted twice or refused as duplicates.
    save(db, PLANS)
    import_csv(db, tmp_path, "timestamp,vendor,model,request_id,input_tokens\n"
                             "2026-03-10T10:05:00Z,openai,gpt-4o,x1,1000\n")
    second = import_csv(db, tmp_path, "timestamp,vendor,model,request_id,input_tokens\n"
                                      "2026-03-10T10:45:00Z,openai,gpt-4o,x2,3000\n")
    assert second.batch == 2
    report = query(db, by="month", tz=UTC_TZ)
    # 1,000 x 0.50 + 3,000 x 0.50 = 0.50 + 1.50
    assert money(report) == {"2026-03": (D("2.00"), D("5"))}
    assert report.total.requests == 2


def test_an_empty_database_has_no_rows_and_a_zero_total(db):
    save(db, PLANS)
    report = query(db, by="month", tz=UTC_TZ)
    assert report.rows == []
    assert report.total.cost == 0
