"""`meterbook ... | head`: the reader closes the pipe after the lines it wanted, and meterbook
stops there, quietly: exit status 0, nothing on stderr, no error log."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from meterbook.importers.mapping import ColumnMapping
from meterbook.importers.mapping_profiles import save_profile
from meterbook.importers.pipeline import import_files
from meterbook.logs import log_path
from meterbook.store.database import open_database

SRC = Path(__file__).resolve().parents[1] / "src"
# Far more than a pipe holds (64 KiB on Linux) and than `head` reads at once: meterbook is
# still writing when the pipe closes, whatever the timing.
ROWS = 3000


def _many_mappings(path: Path) -> None:
    """3,000 saved column mappings: `imports formats` prints one line each, ~130 KB."""
    mapping = ColumnMapping({"Date": "timestamp", "Model": "model"}, vendor="acme")
    with open_database(str(path)) as db, db.session() as session:
        for n in range(ROWS):
            save_profile(session, f"acme-{n:05d}-a-mapping-with-a-long-enough-name", mapping)
        session.commit()


def _many_requests(path: Path) -> None:
    """3,000 requests: `cost --by request` prints one line each, ~270 KB."""
    csv = path.with_suffix(".csv")
    csv.write_text("timestamp,vendor,model,request_id,input_tokens\n" + "".join(
        f"2026-03-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z,openai,gpt-4o,r{n},100\n"
        for n in range(ROWS)), encoding="utf-8")
    with open_database(str(path)) as db:
        import_files(db, [csv], now=datetime(2026, 3, 2, tzinfo=UTC))


@pytest.mark.parametrize(("fill", "command", "first"), [
    (_many_mappings, ["imports", "formats"], "Recognised from the header"),
    (_many_requests, ["cost", "--by", "request", "--tz", "UTC"], "Cost in USD by request"),
])
def test_a_reader_that_stops_early_ends_meterbook_quietly(tmp_path, fill, command, first):
    db = tmp_path / "meterbook.db"
    fill(db)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])}
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as stderr:
        run = subprocess.Popen([sys.executable, "-m", "meterbook", "--db", str(db), *command],
                               stdout=subprocess.PIPE, stderr=stderr, env=env)
        line = run.stdout.readline()  # like `| head -1`: the first line, then the pipe closes
        run.stdout.close()
        status = run.wait(timeout=60)
    assert line.decode().startswith(first)
    assert errors.read_text(encoding="utf-8") == ""  # no "unexpected error: [Errno 32]"
    assert status == 0
    assert not log_path().exists()
