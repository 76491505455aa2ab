"""The series the charts draw (store/spend_series.py), every expected value worked out by hand,
and their agreement with `meterbook cost` (the store's cost query) over the same range.

WORKED_USAGE under CHAT_CLAUDE_PLANS (tests/helpers.py; Chat 0.50 per 1k in, 2.00 per 1k out;
Claude 1.00 per 1k in, 5.00 per 1k out):
  r1    03-01T09:00Z openai     support  1 request          = 2.00
  r2    03-02T10:00Z openai     support  1 request          = 0.50
  r3    03-03T11:00Z anthropic  sales    2 requests         = 6.00
  r4    03-31T23:30Z mistral    sales    1 request          unpriced (no plan)
  r5    04-01T08:00Z openai     --       3 requests         = 0.50
  r6_x  04-02T12:00Z anthropic  support  1 request          = 4.00
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from tests.helpers import (
    ANTHROPIC_COST_FEBRUARY,
    CHAT_CLAUDE_PLANS,
    CHAT_FEE_PLANS,
    SHARED,
    WORKED_USAGE,
    cost_of_month,
    usage_database,
)

from meterbook.core.periods import parse_day, zone
from meterbook.importers.pipeline import import_files
from meterbook.store import readers
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.overview import month_status, opening_month
from meterbook.store.spend_series import (
    FEES,
    NO_PROJECT,
    OTHER,
    buckets,
    cost_per_conversation,
    cost_per_request,
    histogram_bins,
    save_series_colours,
    series_colours,
    spend_series,
    top_spenders,
    usage_span,
)  # fmt: skip

D = Decimal
MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


@pytest.fixture
def worked(tmp_path):
    with usage_database(tmp_path, CHAT_CLAUDE_PLANS, WORKED_USAGE, utc=True) as database:
        yield database


def series_of(db, first, after, grouping="day", by="vendor", tz="UTC", top=6):
    with db.engine.connect() as conn:
        return spend_series(conn, tz, first, after, grouping, by, top)


def cost_by(db, by, first, after, tz="UTC"):
    """`meterbook cost --by BY --from FIRST --to AFTER --tz TZ`, as the store answers it."""
    z = zone(tz)
    with db.engine.connect() as conn:
        return run_cost_query(conn, CostQuery(
            by=by, tz=z, from_us=parse_day(first, z), to_us=parse_day(after, z),
            home_currency=readers.home_currency(conn), rates=readers.rates_for(conn)),
            readers.load_plans(conn))


def test_march_per_day_by_vendor(worked):
    s = series_of(worked, MARCH, APRIL)
    assert len(s.starts) == 31 and s.starts[0] == MARCH and s.ends[-1] == APRIL
    # Ranked by spend: anthropic 6.00, openai 2.00 + 0.50 = 2.50, mistral 0 (all unpriced).
    assert s.names == ["anthropic", "openai", "mistral"]
    assert s.amounts["openai"][:3] == [D("2.00"), D("0.50"), 0]
    assert s.amounts["anthropic"][2] == D("6.00")
    assert s.requests["anthropic"][2] == 2
    # r4 is unpriced: no money anywhere, one unpriced request on March 31st (index 30).
    assert s.amounts["mistral"] == [0] * 31
    assert s.unpriced["mistral"][30] == 1 and s.unpriced_per_bucket()[30] == 1
    assert sum(s.unpriced_per_bucket()) == 1
    # 2.00 + 0.50 + 6.00 = 8.50, what `cost` says of March.
    assert sum(s.totals()) == D("8.50") == cost_of_month(worked, "2026-03-01", "2026-04-01")


def test_weeks_begin_on_monday_and_the_outer_ones_are_clipped(worked):
    # March 1st 2026 is a Sunday: its week began on February 23rd, clipped to March 1st.
    s = series_of(worked, MARCH, APRIL, grouping="week")
    assert s.starts == [date(2026, 3, d) for d in (1, 2, 9, 16, 23, 30)]
    assert s.ends == [date(2026, 3, d) for d in (2, 9, 16, 23, 30)] + [APRIL]
    assert s.amounts["openai"][:2] == [D("2.00"), D("0.50")]  # r1 on Sunday, r2 on Monday
    assert s.amounts["anthropic"][1] == D("6.00")


def test_months_by_project_agree_with_cost_by_project(worked):
    s = series_of(worked, MARCH, MAY, grouping="month", by="project")
    # support: March 2.00 + 0.50, April 4.00; sales: March 6.00 (+ r4 unpriced);
    # no project: April 0.50.
    assert s.starts == [MARCH, APRIL]
    assert s.amounts["support"] == [D("2.50"), D("4.00")]
    assert s.amounts["sales"] == [D("6.00"), 0]
    assert s.amounts[NO_PROJECT] == [0, D("0.50")]
    assert s.unpriced["sales"] == [1, 0]
    report = cost_by(worked, "project", "2026-03-01", "2026-05-01")
    assert {r.key or NO_PROJECT: r.cost for r in report.rows} == {
        name: s.total(name) for name in s.names}


def test_days_are_counted_in_the_report_zone(worked):
    # Paris is UTC+2 from March 29th: r4 (03-31T23:30Z) is April 1st 01:30 there.
    s = series_of(worked, MARCH, APRIL, tz="Europe/Paris")
    assert sum(s.unpriced_per_bucket()) == 0
    april = series_of(worked, APRIL, MAY, tz="Europe/Paris")
    assert april.unpriced["mistral"][0] == 1
    # Kolkata is UTC+5:30 (not whole hours: the records are read, not the hourly rollup):
    # r1 (03-01T09:00Z) is 14:30 on March 1st, r4 05:00 on April 1st.
    kolkata = series_of(worked, MARCH, APRIL, tz="Asia/Kolkata")
    assert kolkata.amounts["openai"][0] == D("2.00")
    assert sum(kolkata.unpriced_per_bucket()) == 0
    for tz in ("Europe/Paris", "Asia/Kolkata"):
        days = series_of(worked, MARCH, MAY, tz=tz)
        report = cost_by(worked, "day", "2026-03-01", "2026-05-01", tz)
        by_day = {r.key: r.cost for r in report.rows}
        assert {f"{d}": t for d, t in zip(days.starts, days.totals(), strict=True) if t} \
            == {k: v for k, v in by_day.items() if v}


GPT_MODELS = "timestamp,vendor,model,request_id,requests,input_tokens,output_tokens\n" + "".join(
    f"2026-03-0{k}T10:00:00Z,openai,gpt-{name},q{k},1,{1000 * k},0\n"
    for k, name in enumerate("abcdefgh", start=1))


def test_beyond_six_series_the_smallest_are_other(tmp_path):
    # gpt-a .. gpt-h cost 0.50 x 1 .. 0.50 x 8 (1,000 x k input tokens at 0.50 per 1k).
    with usage_database(tmp_path, CHAT_CLAUDE_PLANS, GPT_MODELS, utc=True) as db:
        s = series_of(db, MARCH, APRIL, by="model")
    assert s.names == ["gpt-h", "gpt-g", "gpt-f", "gpt-e", "gpt-d", "gpt-c", OTHER]
    assert s.members[OTHER] == ("gpt-a", "gpt-b")
    # gpt-a on March 1st (0.50) and gpt-b on March 2nd (1.00) are "other".
    assert s.amounts[OTHER][:3] == [D("0.50"), D("1.00"), 0]
    assert s.total("gpt-h") == D("4.00")


def test_billed_lines_by_the_auto_rule_and_fees_as_a_series(tmp_path):
    # Chat charges 5.00 a month; the Anthropic export bills 0.07 + 0.09 on the 12th and 2.10 on
    # the 14th. February: 0.16 + 2.10 billed + 5.00 fee = 7.26.
    with usage_database(tmp_path, CHAT_FEE_PLANS, ANTHROPIC_COST_FEBRUARY, utc=True) as db:
        s = series_of(db, date(2026, 2, 1), MARCH)
        assert s.names == ["anthropic", FEES]
        assert s.amounts["anthropic"][11] == D("0.16")
        assert s.amounts["anthropic"][13] == D("2.10")
        assert s.amounts[FEES][0] == D("5.00")  # on the month's first day, as `cost --by day`
        assert sum(s.totals()) == D("7.26") == cost_of_month(db, "2026-02-01", "2026-03-01")
        days = cost_by(db, "day", "2026-02-01", "2026-03-01")
        assert {r.key: r.cost for r in days.rows if r.cost} == {
            f"{d}": t for d, t in zip(s.starts, s.totals(), strict=True) if t}
        vendors = cost_by(db, "vendor", "2026-02-01", "2026-03-01")
        # `cost --by vendor` puts the fee on the plan's vendor; the chart shows it apart.
        assert {r.key: r.usage_cost for r in vendors.rows} == {"anthropic": D("2.26"),
                                                                "openai": 0}
        assert sum(r.fixed_cost for r in vendors.rows) == s.total(FEES)


def test_a_real_cost_export_alone(tmp_path):
    path = SHARED / "real-exports" / "anthropic" / \
        "claude_api_cost_2026_02_08_to_2026_02_15.csv"
    if not path.is_file():
        pytest.skip("../shared/real-exports is absent")
    with usage_database(tmp_path, utc=True) as db:
        import_files(db, [path])
        s = series_of(db, date(2026, 2, 1), MARCH)
        # The README's figure for this file: $19.97 in February 2026.
        assert sum(s.totals()) == D("19.97") == cost_of_month(db, "2026-02-01", "2026-03-01")
        assert s.names == ["anthropic"]


def test_cost_per_request_and_per_conversation(worked):
    with worked.engine.connect() as conn:
        requests = cost_per_request(conn, "UTC", MARCH, MAY)
        talks = cost_per_conversation(conn, "UTC", MARCH, MAY)
    # Per request: r5 0.50 / 3 requests, r2 0.50, r1 2.00, r3 6.00 / 2 = 3.00, r6 4.00; r4 out.
    assert requests.values == [D("0.50") / 3, D("0.50"), D("2.00"), D("3.00"), D("4.00")]
    assert requests.unpriced == 1
    assert requests.median == D("2.00")
    # p90: rank (5 - 1) x 0.9 = 3.6, so 3.00 + 0.6 x (4.00 - 3.00) = 3.60.
    assert requests.p90 == D("3.60")
    # Per conversation: c1 = 2.00 + 0.50 = 2.50, c2 = 6.00 + 4.00 = 10.00; c3 (r4) unpriced,
    # left out; r5 has none. Median (2.50 + 10.00) / 2 = 6.25; p90 2.50 + 0.9 x 7.50 = 9.25.
    assert talks.values == [D("2.50"), D("10.00")]
    assert talks.unpriced == 1
    assert (talks.median, talks.p90) == (D("6.25"), D("9.25"))


def test_top_projects_and_models(worked):
    with worked.engine.connect() as conn:
        projects = top_spenders(conn, "UTC", MARCH, MAY, "project")
        models = top_spenders(conn, "UTC", MARCH, MAY, "model", limit=2)
    # support 2.00 + 0.50 + 4.00 = 6.50; sales 6.00 (+ r4 unpriced); no project 0.50.
    assert projects.names == ["support", "sales", NO_PROJECT]
    assert projects.amounts == [D("6.50"), D("6.00"), D("0.50")]
    assert projects.unpriced == [0, 1, 0]
    # claude-haiku 6.00 + 4.00 = 10.00; gpt-4o 2.00 + 0.50 = 2.50 (gpt-4o-mini 0.50 is third).
    assert models.names == ["claude-haiku", "gpt-4o"]
    assert models.amounts == [D("10.00"), D("2.50")]


def test_histogram_bins_four_to_a_decade():
    values = [D("0.50") / 3, D("0.50"), D("2.00"), D("3.00"), D("4.00")]
    edges, counts = histogram_bins(values)
    # From 10^-1 (below 0.1667) to 10^0.75 = 5.62 (above 4.00), four edges a decade:
    # 0.1, 0.178, 0.316, 0.562, 1, 1.78, 3.16, 5.62.
    assert [round(e, 2) for e in edges] == [D("0.10"), D("0.18"), D("0.32"), D("0.56"),
                                            D("1.00"), D("1.78"), D("3.16"), D("5.62")]
    # 0.1667 | - | 0.50 | - | - | 2.00 and 3.00 | 4.00
    assert counts == [1, 0, 1, 0, 0, 2, 1]
    assert histogram_bins([]) == ([], [])


def test_buckets_and_the_usage_span(worked):
    starts, ends = buckets(date(2026, 1, 15), date(2026, 3, 10), "month")
    assert starts == [date(2026, 1, 15), date(2026, 2, 1), MARCH]
    assert ends == [date(2026, 2, 1), MARCH, date(2026, 3, 10)]
    with worked.engine.connect() as conn:
        assert usage_span(conn, "UTC") == (MARCH, date(2026, 4, 2))


def test_series_colours_are_stored(worked):
    with worked.engine.begin() as conn:
        assert series_colours(conn) == {}
        save_series_colours(conn, {"vendor": {"openai": "#0072B2"}})
        save_series_colours(conn, {"vendor": {"openai": "#0072B2", "anthropic": "#E69F00"}})
    with worked.engine.connect() as conn:
        assert series_colours(conn) == {"vendor": {"openai": "#0072B2",
                                                   "anthropic": "#E69F00"}}


@pytest.mark.parametrize(("now", "month"), [
    (datetime(2026, 4, 15, tzinfo=UTC), "2026-04"),  # April holds r5 and r6_x: this month
    (datetime(2026, 6, 1, tzinfo=UTC), "2026-04"),  # June holds nothing: April, the latest
    (datetime(2026, 2, 1, tzinfo=UTC), "2026-02"),  # before every record: this month all the same
])
def test_the_dashboards_opening_month_is_the_one_its_figures_choose(worked, now, month):
    with worked.engine.connect() as conn:
        assert opening_month(conn, "UTC", now) == month
    assert month_status(worked, "UTC", now).choice.month == month
