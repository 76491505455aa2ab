"""Budget alerts (store/alerts.py): raised once per budget, threshold and period, acknowledged,
withdrawn when an undo takes spend back under, raised again when it is crossed again; checked
by the import, undo and plan change themselves."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from tests.helpers import CHAT_FEE_PLANS, import_text, save_plans, usage_database

from meterbook.core.budgets import Budget
from meterbook.store import alerts
from meterbook.store.alerts import acknowledge, check_alerts, standing_alerts
from meterbook.store.batches import undo_batch
from meterbook.store.budgets import save_budget

# Chat: 0.50 per 1k in, 2.00 per 1k out, 5.00 a month. Running total in March: the fee 5.00 at
# March 1st 00:00, then r1 2.00 -> 7, r2 2.00 -> 9, r3 2.00 -> 11.
FIRST = """\
timestamp,vendor,model,request_id,input_tokens,output_tokens
2026-03-02T10:00:00Z,openai,gpt-4o,r1,2000,500
2026-03-05T09:15:00Z,openai,gpt-4o,r2,4000,0
2026-03-05T09:40:00Z,openai,gpt-4o,r3,0,1000
"""
# r5: 12,000 in x 0.50/1k = 6.00 -> 17
SECOND = """\
timestamp,vendor,model,request_id,input_tokens,output_tokens
2026-03-06T12:00:00Z,openai,gpt-4o,r5,12000,0
"""
MARCH_6 = datetime(2026, 3, 6, 18, tzinfo=UTC)
# Thresholds of 20.00: 25% = 5.00, 50% = 10.00, 80% = 16.00.
CHAT = Budget(name="Chat", amount=D("20"), thresholds=(25, 50, 80), forecast_alert=False)


@pytest.fixture
def db(tmp_path, monkeypatch):
    # An undo or a plan change checks alerts as of the clock: March 6th here.
    monkeypatch.setattr(alerts, "clock", lambda: MARCH_6)
    with usage_database(tmp_path, utc=True) as database:
        save_plans(database, CHAT_FEE_PLANS)
        save_budget(database, CHAT)
        yield database


def thresholds(found) -> list[tuple[int, datetime]]:
    return [(a.threshold, a.crossed_at) for a in found]


def test_an_import_raises_each_threshold_it_crosses_once(db, tmp_path):
    import_text(db, tmp_path, FIRST, "first.csv", now=MARCH_6)  # the import checks alerts
    assert thresholds(standing_alerts(db)) == [
        (25, datetime(2026, 3, 1, tzinfo=UTC)),  # the fee alone reaches 5.00
        (50, datetime(2026, 3, 5, 9, 40, tzinfo=UTC))]  # r3 takes 9 to 11
    assert all(a.budget == "Chat" and a.period_start == "2026-03-01" and a.kind == "threshold"
               and a.raised_at == MARCH_6 for a in standing_alerts(db))
    # Checked again (and again): nothing new is raised, nothing is repeated.
    assert check_alerts(db, MARCH_6) == []
    assert check_alerts(db, datetime(2026, 3, 7, tzinfo=UTC)) == []
    assert len(standing_alerts(db)) == 2

    import_text(db, tmp_path, SECOND, "second.csv", now=MARCH_6)
    [eighty] = [a for a in standing_alerts(db) if a.threshold == 80]
    assert eighty.crossed_at == datetime(2026, 3, 6, 12, tzinfo=UTC)  # r5 takes 11 to 17
    assert len(standing_alerts(db)) == 3


def test_acknowledged_alerts_stand_but_no_longer_wait(db, tmp_path):
    import_text(db, tmp_path, FIRST, "first.csv", now=MARCH_6)
    first, _ = standing_alerts(db)
    assert acknowledge(db, first.id, MARCH_6) == 1
    assert [a.acknowledged for a in standing_alerts(db)] == [True, False]
    with pytest.raises(KeyError):
        acknowledge(db, first.id)  # already acknowledged
    with pytest.raises(KeyError):
        acknowledge(db, 999)
    assert acknowledge(db, "all") == 1
    assert all(a.acknowledged for a in standing_alerts(db))
    assert check_alerts(db, MARCH_6) == []  # an acknowledged alert is not raised again


def test_an_undo_withdraws_what_it_takes_back_under_and_a_new_crossing_raises_again(
        db, tmp_path):
    import_text(db, tmp_path, FIRST, "first.csv", now=MARCH_6)  # batch 1: 25%, 50%
    second = import_text(db, tmp_path, SECOND, "second.csv", now=MARCH_6)  # batch 2: 80%
    [eighty] = [a for a in standing_alerts(db) if a.threshold == 80]
    acknowledge(db, eighty.id, MARCH_6)

    undo_batch(db, second.batch)  # back to 11.00: under 80% (16.00), still over 50%
    assert thresholds(standing_alerts(db)) == [
        (25, datetime(2026, 3, 1, tzinfo=UTC)), (50, datetime(2026, 3, 5, 9, 40, tzinfo=UTC))]

    import_text(db, tmp_path, SECOND, "again.csv", now=MARCH_6)  # 17.00 again
    [again] = [a for a in standing_alerts(db) if a.threshold == 80]
    assert again.id != eighty.id and not again.acknowledged  # a new alert, waiting


def test_a_plan_change_that_lowers_the_charges_withdraws(db, tmp_path):
    import_text(db, tmp_path, FIRST, "first.csv", now=MARCH_6)
    # Chat without its fee: 6.00 of usage; 25% (5.00) is now reached by r3 only; 50% is not.
    save_plans(db, CHAT_FEE_PLANS.replace('monthly_fee = "5.00"', 'monthly_fee = "0"'))
    assert thresholds(standing_alerts(db)) == [(25, datetime(2026, 3, 1, tzinfo=UTC))]
    # The 25% alert stands (it was raised for this period already): not raised twice, even
    # though the record that reaches it is now another one.
    assert check_alerts(db, MARCH_6) == []


def test_replacing_a_budget_withdraws_alerts_its_new_amount_does_not_reach(db, tmp_path):
    import_text(db, tmp_path, FIRST, "first.csv", now=MARCH_6)
    save_budget(db, Budget(name="Chat", amount=D("100"), thresholds=(25, 50, 80),
                           forecast_alert=False), replace=True)
    check_alerts(db, MARCH_6)  # 11.00 of 100.00: no threshold reached
    assert standing_alerts(db) == []


# Claude: 1.00 per 1k input. One request a day, March 1st-10th: 1.00 a day.
CLAUDE = '[[plan]]\nname = "Claude"\nvendor = "anthropic"\nmodel = "claude-*"\n' \
         'token_unit = 1000\ninput = "1.00"\n'
TEN_DAYS = "timestamp,vendor,model,request_id,input_tokens\n" + "".join(
    f"2026-03-{d:02d}T12:00:00Z,anthropic,claude-haiku,c{d},1000\n" for d in range(1, 11))


def test_a_forecast_over_the_amount_alerts_once_and_is_withdrawn_when_it_is_not(tmp_path):
    now = datetime(2026, 3, 11, 9, tzinfo=UTC)
    with usage_database(tmp_path, CLAUDE, utc=True) as db:
        save_budget(db, Budget(name="Claude", amount=D("25"), thresholds=(1000,)))
        import_text(db, tmp_path, TEN_DAYS, now=now)
        # spent 10.00 by March 11th; run rate 1.00 over 10 days of history; 20 days left:
        # forecast 30.00 > 25.00
        [alert] = standing_alerts(db)
        assert (alert.kind, alert.budget, alert.amount) == ("forecast", "Claude", D("30"))
        assert check_alerts(db, now) == []
        save_budget(db, Budget(name="Claude", amount=D("40"), thresholds=(1000,)),
                    replace=True)
        check_alerts(db, now)  # 30.00 is under 40.00
        assert standing_alerts(db) == []


def test_a_failing_check_never_fails_the_import(db, tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(alerts, "check_alerts", broken)
    summary = import_text(db, tmp_path, FIRST, "first.csv", now=MARCH_6)
    assert summary.added == 3
    assert standing_alerts(db) == []


def test_spike_alerts_are_kept_once_per_vendor_and_day(db):
    spike = alerts.record_spike(db, "anthropic", "2026-03-04", D("80"), D("10"), D("30"),
                                MARCH_6)
    assert (spike.kind, spike.vendor, spike.day, spike.budget) == (
        "spike", "anthropic", "2026-03-04", None)
    assert alerts.record_spike(db, "anthropic", "2026-03-04", D("80"), D("10"), D("30")) is None
    assert "anthropic: 80.00 spent on 2026-03-04" in spike.message
