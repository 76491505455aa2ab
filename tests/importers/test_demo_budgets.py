"""The demo's budgets: one over everything, one for the vendor of the runaway script, whose
month so far crosses its 50 and 80 % alerts (importers/demo.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from tests.helpers import usage_database

from meterbook.importers.demo import round_up, save_demo
from meterbook.store.alerts import standing_alerts
from meterbook.store.budget_status import budget_status

NOW = datetime(2026, 11, 27, 18, tzinfo=UTC)  # the runaway script ran on the 25th


def test_round_up_keeps_two_significant_figures():
    assert round_up(D("183.4")) == D("190")
    assert round_up(D("56.0")) == D("56")
    assert round_up(D("1234")) == D("1300")
    assert round_up(D("0")) == D("10")


def test_the_demo_budgets_and_their_standing_alerts(tmp_path):
    with usage_database(tmp_path, utc=True) as db:
        save_demo(db, months=2, now=NOW)
        status = budget_status(db, 2026, 11, date(2026, 11, 27), "UTC")
        standing = standing_alerts(db)
    every, vendor = sorted(status.budgets, key=lambda f: f.budget.vendor or "")
    assert (every.budget.name, every.budget.scope) == ("All AI", "everything")
    assert (vendor.budget.name, vendor.budget.scope) == ("Anthropic", "vendor anthropic")
    # amount = this month's spend / 0.9, rounded up to two figures: 82-90 % of it is spent
    assert D("80") < vendor.percent <= D("90")
    assert [c.threshold for c in vendor.crossings] == [50, 80]
    assert {(a.budget, a.threshold) for a in standing if a.kind == "threshold"} >= {
        ("Anthropic", 50), ("Anthropic", 80)}
    # "All AI" is a quarter above the bigger of last month and this month so far
    assert every.percent < D("80")
    assert not any(a.budget == "All AI" and a.threshold == 100 for a in standing)
    # The runaway script's day (core/demo.py: about 8x Anthropic's usual) stands as a spike.
    assert [(a.vendor, a.day) for a in standing if a.kind == "spike"] == [
        ("anthropic", "2026-11-25")]
