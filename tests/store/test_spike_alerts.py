"""Spike alerts raised by the alert check itself (store/alerts.check_alerts): after an import a
day far above its vendor's recent norm stands as an alert, once; an undo that takes the day
back under its limit withdraws it; `budget status` shows it and --fail-on-alert counts it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from tests.helpers import CHAT_FEE_PLANS, import_text, usage_database

from meterbook import commands_budget
from meterbook.store import alerts
from meterbook.store.alerts import acknowledge, check_alerts, standing_alerts
from meterbook.store.batches import undo_batch

# Chat: 0.50 per 1k in (its 5.00 monthly fee is not a day's usage: daily_spend leaves it out).
# March 1st to 28th, openai: odd days 4,000 in = 2.00, even days 6,000 in = 3.00.
HEADER = "timestamp,vendor,model,request_id,input_tokens,output_tokens\n"
USUAL = HEADER + "".join(
    f"2026-03-{d:02d}T10:00:00Z,openai,gpt-4o,u{d},{4000 if d % 2 else 6000},0\n"
    for d in range(1, 29))
# March 29th: 20,000 in = 10.00. Its window (March 1st-28th) is 14 x 2.00 and 14 x 3.00:
#   norm  = median = (2.00 + 3.00) / 2 = 2.50
#   MAD   = median of |x - 2.50| = 0.50, spread = 1.4826 x 0.50 = 0.7413
#   limit = max(2.50 + 5 x 0.7413 = 6.2065, 2.50 x 3 = 7.50, 1) = 7.50 < 10.00: a spike.
RUNAWAY = HEADER + "2026-03-29T15:00:00Z,openai,gpt-4o,x1,20000,0\n"
# 14,000 in = 7.00 on March 29th instead: under 7.50, no spike.
BUSY = HEADER + "2026-03-29T15:00:00Z,openai,gpt-4o,b1,14000,0\n"
NOW = datetime(2026, 3, 30, 12, tzinfo=UTC)


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setattr(alerts, "clock", lambda: NOW)  # an undo checks alerts at the clock
    with usage_database(tmp_path, CHAT_FEE_PLANS, USUAL, now=NOW, utc=True) as database:
        yield database


def spikes(db) -> list[tuple]:
    return [(a.vendor, a.day, a.amount, a.norm, a.limit, a.acknowledged)
            for a in standing_alerts(db) if a.kind == "spike"]


def test_a_runaway_day_raises_one_spike_alert_with_its_norm_and_limit(db, tmp_path):
    assert spikes(db) == []  # the usual days alone: no spike, and no budget needed
    import_text(db, tmp_path, RUNAWAY, "runaway.csv", now=NOW)  # the import checks alerts
    assert spikes(db) == [("openai", "2026-03-29", D("10.00"), D("2.50"), D("7.50"), False)]
    [alert] = standing_alerts(db)
    assert alert.raised_at == NOW
    assert alert.message == "openai: 10.00 spent on 2026-03-29, above its usual 2.50 (limit 7.50)"
    # Checked again, the next day, and once acknowledged: never raised twice.
    assert check_alerts(db, NOW) == []
    assert check_alerts(db, NOW + timedelta(days=1)) == []
    acknowledge(db, alert.id, NOW)
    assert check_alerts(db, NOW) == []
    assert spikes(db) == [("openai", "2026-03-29", D("10.00"), D("2.50"), D("7.50"), True)]


def test_a_busy_day_under_the_limit_raises_nothing(db, tmp_path):
    import_text(db, tmp_path, BUSY, "busy.csv", now=NOW)
    assert spikes(db) == []


def test_an_undo_withdraws_the_spike_and_a_new_runaway_raises_it_again(db, tmp_path):
    runaway = import_text(db, tmp_path, RUNAWAY, "runaway.csv", now=NOW)
    assert len(spikes(db)) == 1
    undo_batch(db, runaway.batch)  # March 29th back to 0.00
    assert spikes(db) == []
    import_text(db, tmp_path, RUNAWAY.replace("x1", "x2"), "again.csv", now=NOW)
    assert spikes(db) == [("openai", "2026-03-29", D("10.00"), D("2.50"), D("7.50"), False)]


def test_spikes_older_than_the_recent_days_are_not_raised(db, tmp_path):
    # 35 days back from May 10th is April 6th: March 29th is too old to alert about.
    import_text(db, tmp_path, RUNAWAY, "runaway.csv", now=datetime(2026, 5, 10, tzinfo=UTC))
    assert spikes(db) == []
    assert date(2026, 5, 10) - timedelta(days=alerts.SPIKE_DAYS - 1) == date(2026, 4, 6)
    # Checked as of March 30th, the same day is recent: raised.
    assert [a.day for a in check_alerts(db, NOW)] == ["2026-03-29"]


def test_budget_status_lists_the_spike_and_fail_on_alert_counts_it(db, tmp_path, cli,
                                                                   monkeypatch):
    monkeypatch.setattr(commands_budget, "clock", lambda: NOW)
    import_text(db, tmp_path, RUNAWAY, "runaway.csv", now=NOW)
    db.close()  # the command opens the file itself
    path = tmp_path / "t.db"
    result = cli("budget", "status", "--format", "json", "--fail-on-alert", db=path)
    assert result.code == 3  # no budget at all: the spike alone waits
    assert result.json == {
        "month": "2026-03", "currency": "USD", "budgets": [],
        "spikes": [{"id": 1, "vendor": "openai", "day": "2026-03-29",
                    "spent": "10.000000000", "usual": "2.500000000", "limit": "7.500000000",
                    "raised_at": "2026-03-30T12:00:00Z", "acknowledged": False}]}
    table = cli("budget", "status", db=path)
    assert "#1 openai: 10.00 spent on 2026-03-29, above its usual 2.50 (limit 7.50)" in table.out
    assert cli("budget", "acknowledge", "1", db=path).code == 0
    assert cli("budget", "status", "--fail-on-alert", db=path).code == 0
