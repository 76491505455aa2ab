"""Small helpers the test modules share: a database with plans and usage imported from CSV text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from meterbook.core.periods import parse_day, zone
from meterbook.core.plan_files import read_plans
from meterbook.importers.pipeline import import_files
from meterbook.store import readers
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.database import open_database
from meterbook.store.plan_ops import save_plan_set
from meterbook.store.settings import set_report_timezone

# Chat: 0.50 per 1k input, 0.25 per 1k cached, 2.00 per 1k output, 5.00 a month.
CHAT_PLANS = """
[[plan]]
name = "Chat"
vendor = "openai"
model = "gpt-*"
token_unit = 1000
input = "0.50"
cached_input = "0.25"
output = "2.00"
monthly_fee = "5.00"
"""

# Chat: 0.50 per 1k input, 2.00 per 1k output, 5.00 a month.
CHAT_FEE_PLANS = """
[[plan]]
name = "Chat"
vendor = "openai"
model = "gpt-*"
token_unit = 1000
input = "0.50"
output = "2.00"
monthly_fee = "5.00"
"""

# Chat: 0.50 per 1k in, 2.00 per 1k out; Claude: 1.00 per 1k in, 5.00 per 1k out.
CHAT_CLAUDE_PLANS = """
[[plan]]
name = "Chat"
vendor = "openai"
model = "gpt-*"
token_unit = 1000
input = "0.50"
output = "2.00"

[[plan]]
name = "Claude"
vendor = "anthropic"
model = "claude-*"
token_unit = 1000
input = "1.00"
output = "5.00"
"""


def write_file(folder: Path, name: str, text: str) -> Path:
    """Write `text` (UTF-8) to folder/name and return the path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def save_plans(db, text: str) -> None:
    save_plan_set(db, read_plans(text, "test.toml"))


def import_text(db, folder: Path, text: str, name: str = "usage.csv", **options):
    """Write CSV text to folder/name and import it (options go to import_files)."""
    return import_files(db, [write_file(folder, name, text)], **options)


def fill_march_april(db, folder: Path, plans: str, march: str, april: str) -> None:
    """Save `plans`, import March (on April 1st) then April (on April 7th, bad lines skipped)."""
    save_plans(db, plans)
    import_text(db, folder, march, "march.csv", now=datetime(2026, 4, 1, 8, 0, tzinfo=UTC))
    import_text(db, folder, april, "april.csv", skip_bad_lines=True,
                now=datetime(2026, 4, 7, 9, 30, tzinfo=UTC))


def report_in_utc(db) -> None:
    with Session(db.engine) as session:
        set_report_timezone(session, name="UTC")
        session.commit()


@contextmanager
def usage_database(folder: Path, plans: str | None = None, usage: str | None = None, *,
                   now=None, utc: bool = False) -> Iterator:
    """Open folder/t.db; optionally save the report zone as UTC, save `plans` and import
    `usage` (as folder/usage.csv, at `now`)."""
    with open_database(str(folder / "t.db")) as database:
        if utc:
            report_in_utc(database)
        if plans is not None:
            save_plans(database, plans)
        if usage is not None:
            import_text(database, folder, usage, now=now)
        yield database


# An Anthropic Console cost export (billed lines: a cost each, no token counts), February 2026:
# 0.07 + 0.09 + 2.10 = 2.26 USD billed by the vendor.
ANTHROPIC_COST_FEBRUARY = """\
usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,cost_type,inference_geo,speed
2026-02-12,--,Default,chat-key,--,--,--,0.07,web_search,--,--
2026-02-12,Claude Haiku 4.5,Default,chat-key,message,≤ 200k,input_no_cache,0.09,token,not_available,
2026-02-14,Claude Sonnet 4.5,Default,chat-key,message,≤ 200k,output,2.10,token,not_available,
"""


def cost_of_month(db, first: str, after: str, source: str = "auto"):
    """What `meterbook cost --from FIRST --to AFTER --source SOURCE` totals in UTC, as the
    store's cost query answers it: the figure the app's pages must agree with."""
    tz = zone("UTC")
    with db.engine.connect() as conn:
        return run_cost_query(conn, CostQuery(
            source=source, tz=tz, from_us=parse_day(first, tz), to_us=parse_day(after, tz),
            home_currency=readers.home_currency(conn), rates=readers.rates_for(conn)),
            readers.load_plans(conn)).total.cost
