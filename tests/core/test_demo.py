"""The demo recipe shows every kind of figure Meterbook reports."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from meterbook.core.demo import demo_data, spike_day
from meterbook.core.pricing import price_rows
from meterbook.core.records import PricingRow, to_epoch_us
from meterbook.core.stats import median

END = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _priced(plans, records):
    """(charge in nano-units or None, plan index) of each record, by the pricing engine."""
    return price_rows(plans, [
        PricingRow(i, to_epoch_us(r.timestamp),
                   (r.vendor, r.model, r.project or "", r.service_tier or ""), r.requests,
                   r.input_tokens, r.cached_input_tokens, r.cache_write_tokens, r.output_tokens,
                   int(r.units * 10**6)) for i, r in enumerate(records)])


def test_the_demo_is_the_same_every_time_for_the_same_end():
    assert demo_data(END) == demo_data(END)


def test_six_months_of_usage_of_several_vendors_with_conversations():
    plans, records = demo_data(END, months=6)
    assert min(r.timestamp for r in records) >= datetime(2026, 6, 1, tzinfo=UTC)
    assert max(r.timestamp for r in records) < END
    assert {r.vendor for r in records} >= {"openai", "anthropic", "google"}
    conversations = {r.conversation_id for r in records if r.conversation_id}
    assert len(conversations) > 1000
    # a per-request service with volume tiers, and a plan whose price changes mid-period
    assert any(p.volume and p.volume.meter == "requests" for p in plans)
    names = [p.name for p in plans]
    assert any(names.count(n) > 1 for n in names)


def test_some_demo_usage_is_unpriced_and_the_rest_is_priced():
    plans, records = demo_data(END, months=2)
    results = _priced(plans, records)
    unpriced = {records[i].model for i, (charge, _) in enumerate(results) if charge is None}
    assert unpriced == {"mistral-large-latest"}


def test_a_runaway_script_makes_one_recent_weekday_cost_about_8x_anthropics_usual():
    plans, records = demo_data(END, months=3)
    daily = defaultdict(int)
    for r, (charge, _) in zip(records, _priced(plans, records), strict=True):
        if r.vendor == "anthropic" and charge:
            daily[r.timestamp.date()] += charge
    day = spike_day(END)  # END is Friday November 27th: two days before, Wednesday the 25th
    assert str(day) == "2026-11-25"
    weekdays = [daily[day - timedelta(days=n)] for n in range(1, 29)
                if (day - timedelta(days=n)).weekday() < 5]
    # The day's own calls and 7 repeats: 8x that day, and well above any usual weekday.
    ratio = Decimal(daily[day]) / median([Decimal(v) for v in weekdays])
    assert 5 < ratio < 12
    assert daily[day] > 3 * max(weekdays)
