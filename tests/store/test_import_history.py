"""What one import brought in (store/import_history.py), by the rule of `cost --source auto`:
billed where billed, computed where not, unpriced apart; and the history's rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from tests.helpers import CHAT_CLAUDE_PLANS, import_text, usage_database

from meterbook.store.import_history import batch_summary, history_rows

USAGE = """timestamp,vendor,model,input_tokens,output_tokens,billed_cost,currency
2026-02-27T10:00:00Z,openai,gpt-4o,1000,500,,
2026-02-28T10:00:00Z,anthropic,claude-haiku,1000,0,0.30,USD
2026-03-01T10:00:00Z,mistral,large-2,10,10,,
2026-03-02T10:00:00Z,acme,translate,0,0,2.00,EUR
"""


def test_a_batch_summary_follows_the_auto_rule(tmp_path, store_url):
    with usage_database(tmp_path, CHAT_CLAUDE_PLANS, USAGE, utc=True, url=store_url) as db:
        summary = batch_summary(db, 1, "UTC")
    assert summary.records == 4
    assert (summary.first_month, summary.last_month) == (date(2026, 2, 1), date(2026, 3, 1))
    # USD: gpt-4o computed 1000 * 0.50/1k + 500 * 2.00/1k = 0.50 + 1.00 = 1.50, plus the
    # Claude line's bill 0.30 (its plan would say 1000 * 1.00/1k = 1.00: the bill wins) = 1.80.
    # EUR: the acme bill, 2.00, kept in its currency. mistral: no plan, no bill: unpriced.
    assert summary.amounts == {"EUR": Decimal("2.00"), "USD": Decimal("1.80")}
    assert summary.unpriced_requests == 1


def test_months_are_in_the_report_zone(tmp_path, store_url):
    one_line = USAGE.splitlines()[0] + "\n2026-03-01T05:00:00Z,mistral,large-2,10,10,,\n"
    with usage_database(tmp_path, None, one_line, url=store_url) as db:
        in_utc = batch_summary(db, 1, "UTC")
        in_honolulu = batch_summary(db, 1, "Pacific/Honolulu")
    # 2026-03-01T05:00Z is March 1 in UTC, and still February 28, 19:00 in Honolulu (UTC-10).
    assert (in_utc.first_month, in_utc.last_month) == (date(2026, 3, 1), date(2026, 3, 1))
    assert in_honolulu.last_month == date(2026, 2, 1)
    assert in_utc.amounts == {} and in_utc.unpriced_requests == 1  # no plans, no bill


def test_history_rows_are_newest_first(tmp_path, store_url):
    when = datetime(2026, 3, 5, 12, 30, tzinfo=UTC)
    with usage_database(tmp_path, None, USAGE, now=when, url=store_url) as db:
        import_text(db, tmp_path, USAGE.replace("2026-0", "2025-0"), "older.csv", now=when)
        rows = history_rows(db, "Europe/Berlin")
    assert rows == [(2, "2026-03-05 13:30", "older.csv", "canonical", 4, 4, 0, 0),
                    (1, "2026-03-05 13:30", "usage.csv", "canonical", 4, 4, 0, 0)]
