"""Small helpers the test modules share: a database with plans and usage imported from CSV text."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from meterbook.core.periods import parse_day, zone
from meterbook.core.plan_files import read_plans
from meterbook.importers import formats
from meterbook.importers.canonical import open_text
from meterbook.importers.pipeline import import_files
from meterbook.store import readers
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.database import open_database
from meterbook.store.plan_ops import save_plan_set
from meterbook.store.settings import set_report_timezone

# The shared folder beside the repository (../shared: specs, real exports, benchmark tools),
# found from here so that the tests run wherever the repository is checked out.
SHARED = Path(__file__).resolve().parents[2] / "shared"

# Chat: 1.00 per 1k input, 2.00 per 1k output.
CHAT_1_2_PLANS = """
[[plan]]
name = "Chat"
vendor = "openai"
model = "gpt-*"
token_unit = 1000
input = "1.00"
output = "2.00"
"""

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


# Six requests over March and April 2026 with their charges under CHAT_CLAUDE_PLANS (Chat: 0.50
# per 1k in, 2.00 per 1k out; Claude: 1.00 per 1k in, 5.00 per 1k out), worked out by hand; the
# Usage page's and the usage queries' tests read them. "r6_x" has an underscore for the search
# (LIKE's wildcard).
#   r1    2,000 in x 0.50 + 500 out x 2.00 = 1.00 + 1.00    = 2.00
#   r2    1,000 in x 0.50                                   = 0.50
#   r3    1,000 in x 1.00 + 1,000 out x 5.00 = 1.00 + 5.00  = 6.00
#   r4    mistral: no plan                                  = unpriced
#   r5    250 out x 2.00                                    = 0.50
#   r6_x  3,000 in x 1.00 + 200 out x 5.00 = 3.00 + 1.00    = 4.00
WORKED_USAGE = """\
timestamp,vendor,model,request_id,conversation_id,project,user,requests,input_tokens,output_tokens
2026-03-01T09:00:00Z,openai,gpt-4o,r1,c1,support,ana,1,2000,500
2026-03-02T10:00:00Z,openai,gpt-4o-mini,r2,c1,support,ben,1,1000,0
2026-03-03T11:00:00Z,anthropic,claude-haiku,r3,c2,sales,ana,2,1000,1000
2026-03-31T23:30:00Z,mistral,mistral-large,r4,c3,sales,chloe,1,500,100
2026-04-01T08:00:00Z,openai,gpt-4o,r5,,,ben,3,0,250
2026-04-02T12:00:00Z,anthropic,claude-haiku,r6_x,c2,support,dev,1,3000,200
"""


def write_file(folder: Path, name: str, text: str) -> Path:
    """Write `text` (UTF-8) to folder/name and return the path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def header_of(path: Path) -> list[str]:
    """The first row of a usage file, decoded as the import decodes it."""
    with open_text(path) as text:
        return next(csv.reader(text))


def read_recognised(path: Path) -> list:
    """Recognise a usage file from its header, as the import does, and read it: (line, record
    or LineError, cells) per line."""
    fmt = formats.recognise_csv(header_of(path))
    assert fmt is not None, f"{path.name} is not recognised"
    with open_text(path) as text:
        return list(fmt.read(text, path.name))


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
                   now=None, utc: bool = False, url: str | None = None) -> Iterator:
    """Open `url` (the store_url fixture's), else folder/t.db; optionally save the report zone
    as UTC, save `plans` and import `usage` (as folder/usage.csv, at `now`)."""
    with open_database(url or str(folder / "t.db")) as database:
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


def child_processes(pid: int) -> set[int]:
    """The live child processes of pid (Linux: /proc/PID/task/*/children)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(n) for n in (task / "children").read_text().split()}
    return found


def running(pid: int) -> bool:
    """True while pid exists and is not a zombie (which has stopped, unreaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
