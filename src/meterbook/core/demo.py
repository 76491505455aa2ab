"""The demo: plans and six months of usage a small business could really have.

Deterministic for a given end date and seed, so tests and screenshots are repeatable. It shows
every kind of figure Meterbook reports: token plans of three vendors, a per-request service with
graduated volume tiers, per-character pricing with a monthly fee, a mid-period price change,
conversations, usage that no plan prices (shown as unpriced, never as $0), and one runaway
script: a recent weekday on which Anthropic's calls were repeated, so the day cost about 8 times
its usual (what spike alerts are for).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

from meterbook.core.plans import Plan, SizeTier, Volume, VolumeTier
from meterbook.core.records import UsageRecord

SOURCE = "Meterbook demo (list prices as of 2026)"


def _month_start(moment: datetime, back: int) -> datetime:
    y, m = moment.year, moment.month - back
    while m <= 0:
        y, m = y - 1, m + 12
    return datetime(y, m, 1, tzinfo=UTC)


def demo_plans(start: datetime, change: datetime) -> list[Plan]:
    return [
        Plan(name="OpenAI gpt-4o", vendor="openai", model="gpt-4o*", input=D("2.50"),
             cached_input=D("1.25"), output=D("10.00"), effective_from=start, source=SOURCE),
        Plan(name="OpenAI gpt-4o-mini", vendor="openai", model="gpt-4o-mini*", input=D("0.15"),
             cached_input=D("0.075"), output=D("0.60"), effective_from=start, source=SOURCE),
        Plan(name="OpenAI batch", vendor="openai", model="gpt-4o*", service_tier="batch",
             priority=1, input=D("2.50"), output=D("10.00"), multiplier=D("0.5"),
             effective_from=start, source=SOURCE),
        Plan(name="Claude Sonnet 4.5", vendor="anthropic", model="claude-sonnet-4-5*",
             input=D("3.00"), cached_input=D("0.30"), cache_write=D("3.75"), output=D("15.00"),
             size_tiers=(SizeTier(above_input_tokens=200_000, input=D("6.00"),
                                  cached_input=D("0.60"), cache_write=D("7.50"),
                                  output=D("22.50")),),
             effective_from=start, source=SOURCE),
        Plan(name="Claude Haiku 4.5", vendor="anthropic", model="claude-haiku-4-5*",
             input=D("1.00"), cached_input=D("0.10"), cache_write=D("1.25"), output=D("5.00"),
             effective_from=start, source=SOURCE),
        # The price change: a cheaper Haiku from the middle of the period on.
        Plan(name="Claude Haiku 4.5", vendor="anthropic", model="claude-haiku-4-5*",
             input=D("0.80"), cached_input=D("0.08"), cache_write=D("1.00"), output=D("4.00"),
             effective_from=change, source=SOURCE),
        Plan(name="Gemini 2.5 Flash", vendor="google", model="gemini-2.5-flash*",
             input=D("0.30"), output=D("2.50"), effective_from=start, source=SOURCE),
        Plan(name="Vision label detection", vendor="google", model="vision-label-detection",
             effective_from=start, source=SOURCE,
             volume=Volume(meter="requests", mode="graduated", tiers=(
                 VolumeTier(up_to=1000, price=D("0")),
                 VolumeTier(up_to=5_000_000, price=D("0.0015")),
                 VolumeTier(price=D("0.0010"))))),
        Plan(name="DeepL API Pro", vendor="deepl", model="translate", unit_price=D("25.00"),
             unit_size=1_000_000, monthly_fee=D("5.49"), effective_from=start, source=SOURCE),
    ]


# (vendor, model, project, share of conversations, input range, output range, cache share)
_CHAT = [
    ("openai", "gpt-4o-mini", "support", 0.45, (800, 4000), (80, 600), 0.5),
    ("openai", "gpt-4o", "sales", 0.15, (1500, 9000), (200, 1200), 0.3),
    ("anthropic", "claude-haiku-4-5", "support", 0.20, (1000, 6000), (100, 700), 0.6),
    ("anthropic", "claude-sonnet-4-5", "internal", 0.12, (4000, 60000), (300, 3000), 0.7),
    ("google", "gemini-2.5-flash", "internal", 0.05, (2000, 30000), (200, 1500), 0.0),
    ("mistral", "mistral-large-latest", "sales", 0.03, (1000, 5000), (100, 800), 0.0),
]


def demo_data(end: datetime, months: int = 6, seed: int = 7
              ) -> tuple[list[Plan], list[UsageRecord]]:
    """Plans and usage from the first day of `months - 1` months before `end` up to `end`."""
    rng = random.Random(seed)
    start = _month_start(end, months - 1)
    change = _month_start(end, months // 2) + timedelta(days=14)
    plans = demo_plans(start, change)
    records: list[UsageRecord] = []
    day = start
    n_conv = 0
    while day < end:
        growth = 1 + (day - start).days / 180  # the business grows
        weekday = day.weekday() < 5
        conversations = int(rng.randint(25, 40) * growth * (1 if weekday else 0.4))
        for _ in range(conversations):
            n_conv += 1
            vendor, model, project, _, (i0, i1), (o0, o1), cache = rng.choices(
                _CHAT, weights=[c[3] for c in _CHAT])[0]
            t = day + timedelta(seconds=rng.randint(7 * 3600, 20 * 3600))
            for turn in range(rng.randint(2, 9)):
                t += timedelta(seconds=rng.randint(20, 240))
                if t >= end:
                    break
                total_in = rng.randint(i0, i1) + 400 * turn
                cached = int(total_in * cache * rng.random()) if turn else 0
                write = int(total_in * 0.2) if vendor == "anthropic" and turn == 0 else 0
                records.append(UsageRecord(
                    timestamp=t, vendor=vendor, model=model,
                    input_tokens=total_in - cached - write, cached_input_tokens=cached,
                    cache_write_tokens=write, output_tokens=rng.randint(o0, o1),
                    request_id=f"demo-{len(records):07d}", conversation_id=f"conv-{n_conv:06d}",
                    project=project, user=rng.choice(["ana", "ben", "chloe", "dev"]),
                ))
        # A nightly batch job and the image labelling service, as hourly buckets.
        if weekday:
            records.append(UsageRecord(
                timestamp=day + timedelta(hours=2), vendor="openai", model="gpt-4o",
                service_tier="batch", requests=rng.randint(150, 300),
                input_tokens=rng.randint(300_000, 600_000),
                output_tokens=rng.randint(50_000, 90_000), project="internal"))
        for hour in (9, 13, 17):
            records.append(UsageRecord(
                timestamp=day + timedelta(hours=hour), vendor="google",
                model="vision-label-detection", requests=int(rng.randint(40, 160) * growth),
                units=D(0), project="catalog"))
        if rng.random() < 0.6:
            chars = rng.randint(20_000, 120_000)
            records.append(UsageRecord(
                timestamp=day + timedelta(hours=11), vendor="deepl", model="translate",
                units=D(chars), unit_name="characters", project="sales"))
        day += timedelta(days=1)
    records += _runaway_script(records, spike_day(end))
    records = [r for r in records if r.timestamp < end]
    return plans, records


SPIKE_VENDOR = "anthropic"
# The script sends each of the day's calls 7 more times: the day costs about 8x its usual.
SPIKE_REPEATS = 7


def spike_day(end: datetime) -> date:
    """The day of the runaway script: the last weekday at least two days before `end` (recent,
    and a whole day of usage)."""
    day = (end - timedelta(days=2)).date()
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _runaway_script(records: list[UsageRecord], day: date) -> list[UsageRecord]:
    originals = [r for r in records
                 if r.vendor == SPIKE_VENDOR and r.timestamp.date() == day]
    return [replace(r, timestamp=r.timestamp + timedelta(seconds=n),
                    request_id=f"demo-spike-{n}-{i:05d}", conversation_id=f"runaway-{n}-{i:05d}",
                    user="cron")
            for n in range(1, SPIKE_REPEATS + 1) for i, r in enumerate(originals)]
