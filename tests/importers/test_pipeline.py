"""The import promises of usage-data.md: one batch or nothing, idempotent, cancellable."""

import csv
import hashlib
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect
from tests.helpers import child_processes, running

from meterbook.importers import pipeline
from meterbook.importers.errors import ImportRefused
from meterbook.importers.pipeline import ImportCancelled, import_files
from meterbook.store.database import open_database

HEADER = ["timestamp", "vendor", "model", "request_id", "input_tokens", "output_tokens"]


def write_usage(path: Path, n: int, start: int = 0) -> Path:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(start, start + n):
            out.writerow([f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z", "openai", "gpt-4o",
                          f"req-{i}", 100 + i, 10])
    return path


def snapshot(db) -> str:
    """Every row of every table, hashed: equal snapshots mean an unchanged database."""
    digest = hashlib.sha256()
    with db.engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            rows = conn.exec_driver_sql(f'SELECT * FROM "{table}" ORDER BY 1').all()
            digest.update(json.dumps([table, [list(r) for r in rows]], default=str).encode())
    return digest.hexdigest()


@pytest.fixture
def db(store_url):
    database = open_database(store_url)
    yield database
    database.close()


@pytest.fixture(params=["thread", "process"])
def reading(request, monkeypatch, db):
    """Big files are read in a forked process (pipeline._read_in_child), small ones on a
    thread: the promises hold either way. "process" makes every file count as big, and
    checks that the process was used."""
    if request.param == "thread":
        yield
        return
    if db.engine.dialect.name != "sqlite":
        pytest.skip("only imports into SQLite read in a process of their own")
    used = []
    real = pipeline._read_in_child
    monkeypatch.setattr(pipeline, "_FORK_FROM_BYTES", 0)
    monkeypatch.setattr(pipeline, "_read_in_child",
                        lambda *args: used.append(1) or real(*args))
    yield
    assert used, "the import did not read in a process of its own"


def test_ctrl_c_in_the_middle_of_a_big_import_leaves_the_database_as_it_was(db, tmp_path, reading):
    import_files(db, [write_usage(tmp_path / "first.csv", 10)])
    before = snapshot(db)
    big = write_usage(tmp_path / "big.csv", 50_000, start=100)

    def interrupt(done, total):
        # Ctrl-C arrives while the import runs: after the first chunk of 20,000 lines is
        # written, long before the end (a signal, as the terminal sends it).
        if done < total:
            signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        import_files(db, [big], progress=interrupt)
    assert snapshot(db) == before


def test_cancel_leaves_the_database_as_it_was(db, tmp_path, reading):
    before = snapshot(db)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 1  # after the first chunk

    with pytest.raises(ImportCancelled):
        import_files(db, [write_usage(tmp_path / "big.csv", 50_000)], cancelled=cancelled)
    assert snapshot(db) == before


def test_a_refused_file_adds_nothing_and_lists_every_bad_line(db, tmp_path, reading):
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,vendor,model,input_tokens\n"
                    "2026-03-01T00:00:00Z,openai,gpt-4o,10\n"
                    "2026-02-30T00:00:00Z,openai,gpt-4o,10\n"
                    "2026-03-02T00:00:00Z,openai,gpt-4o,-3\n")
    before = snapshot(db)
    with pytest.raises(ImportRefused) as refused:
        import_files(db, [path])
    assert [(e.line, e.column) for e in refused.value.errors] == [(3, "timestamp"),
                                                                   (4, "input_tokens")]
    assert snapshot(db) == before


def test_skip_bad_lines_keeps_the_refused_lines_with_the_batch(db, tmp_path, reading):
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,vendor,model,input_tokens\n"
                    "2026-03-01T00:00:00Z,openai,gpt-4o,10\n"
                    "2026-03-02T00:00:00Z,openai,gpt-4o,ten\n")
    summary = import_files(db, [path], skip_bad_lines=True)
    assert (summary.lines, summary.added, summary.refused) == (2, 1, 1)
    with db.engine.connect() as conn:
        kept = conn.exec_driver_sql(
            "SELECT batch_id, file, line, text FROM refused_line").all()
    assert [tuple(r) for r in kept] == [
        (summary.batch, "bad.csv", 3, "2026-03-02T00:00:00Z,openai,gpt-4o,ten")]


def test_reimport_adds_nothing_and_an_overlapping_export_only_what_is_new(db, tmp_path, reading):
    first = import_files(db, [write_usage(tmp_path / "a.csv", 30)])
    again = import_files(db, [tmp_path / "a.csv"])
    overlap = import_files(db, [write_usage(tmp_path / "b.csv", 40, start=20)])
    assert (first.added, again.added, again.duplicates, again.batch) == (30, 0, 30, None)
    assert (overlap.added, overlap.duplicates) == (30, 10)


def test_two_identical_lines_are_two_records_and_stay_two_on_reimport(db, tmp_path, reading):
    path = tmp_path / "cost.csv"
    line = "2026-02-12,--,Default,chat-key,--,--,--,0.07,web_search,--,--\n"
    path.write_text("usage_date_utc,model,workspace,api_key,usage_type,context_window,"
                    "token_type,cost_usd,cost_type,inference_geo,speed\n" + line + line)
    summary = import_files(db, [path])
    assert (summary.profile, summary.added) == ("anthropic-cost", 2)
    assert import_files(db, [path]).added == 0


def test_an_empty_file_and_a_header_only_export_import_nothing(db, tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text(",".join(HEADER) + "\n")
    for name in ("empty.csv", "header.csv"):
        summary = import_files(db, [tmp_path / name])
        assert (summary.lines, summary.added, summary.batch) == (0, 0, None)


def test_a_file_that_is_not_text_is_refused(db, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(ImportRefused) as refused:
        import_files(db, [path])
    assert "not a text file" in str(refused.value)


def test_the_summary_names_each_recognised_format(db, tmp_path):
    usage = write_usage(tmp_path / "usage.csv", 3)
    api = tmp_path / "usage.json"
    api.write_text(json.dumps({"object": "page", "data": [{
        "object": "bucket", "start_time": 1772323200, "end_time": 1772409600,
        "results": [{"object": "organization.usage.completions.result", "input_tokens": 50,
                     "input_cached_tokens": 20, "output_tokens": 5, "num_model_requests": 2,
                     "model": "gpt-4o-mini"}]}]}))
    summary = import_files(db, [usage, api])
    assert summary.profile == "canonical,openai-usage-api"
    assert summary.added == 4


# --- issue 13, item 8: the smaller promises of an import ----------------------------------------

DATA = Path(__file__).resolve().parent.parent / "data"
ALL_BAD = """\
timestamp,vendor,model,input_tokens
2026-03-01T00:00:00Z,openai,gpt-4o,abc
nope,openai,gpt-4o,1
"""


def test_skip_bad_lines_keeps_a_batch_of_refused_lines_when_every_line_is_bad(
        db, tmp_path, reading):
    from meterbook.store.batches import list_batches, refused_lines, undo_batch

    path = tmp_path / "bad.csv"
    path.write_text(ALL_BAD)
    before = snapshot(db)
    dry = import_files(db, [path], skip_bad_lines=True, dry_run=True)
    assert (dry.batch, dry.refused, snapshot(db)) == (None, 2, before)  # a dry run keeps none
    summary = import_files(db, [path], skip_bad_lines=True)
    assert (summary.batch, summary.lines, summary.added, summary.refused) == (1, 2, 0, 2)
    assert summary.kept_refused_only
    # The README's promise: the refused lines are kept with the batch, as written in the file.
    assert [(r.file, r.line, r.text) for r in refused_lines(db, 1)] == [
        ("bad.csv", 2, "2026-03-01T00:00:00Z,openai,gpt-4o,abc"),
        ("bad.csv", 3, "nope,openai,gpt-4o,1")]
    assert [(b.id, b.lines, b.added, b.refused) for b in list_batches(db)] == [(1, 2, 0, 2)]
    assert undo_batch(db, 1) == 0  # no records to remove; the batch and its lines go
    assert (list_batches(db), refused_lines(db, 1)) == ([], [])


NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FUTURE = """\
timestamp,vendor,model,input_tokens
2026-03-10T12:00:00Z,openai,gpt-4o,1
2026-03-11T12:00:00Z,openai,gpt-4o,2
2026-03-11T12:00:01Z,openai,gpt-4o,3
2027-01-01T00:00:00+02:00,openai,gpt-4o,4
"""


def test_lines_dated_more_than_a_day_after_now_are_imported_with_a_warning(
        db, tmp_path, reading):
    path = tmp_path / "future.csv"
    path.write_text(FUTURE)
    summary = import_files(db, [path], now=NOW)
    assert summary.added == 4  # imported all the same
    # Now + 1 day is 2026-03-11T12:00:00Z: line 3 is exactly that (no warning), line 4 one
    # second later, line 5 is 2026-12-31T22:00Z.
    assert [(w.file, w.line) for w in summary.warnings] == [("future.csv", 4), ("future.csv", 5)]
    assert summary.future_lines == 2
    assert summary.as_json()["warnings"][1] == {
        "file": "future.csv", "line": 5,
        "message": "dated 2026-12-31 22:00 UTC, more than a day after now (2026-03-10 12:00 "
                   "UTC); imported, but is the date right?"}
    assert summary.as_json()["future_lines"] == 2


def test_no_warnings_no_warnings_field(db, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text(FUTURE.splitlines()[0] + "\n" + FUTURE.splitlines()[1] + "\n")
    summary = import_files(db, [path], now=NOW)
    assert summary.warnings == [] and "warnings" not in summary.as_json()


def test_the_warning_list_is_capped_and_the_lines_counted(db, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "SHOWN_WARNINGS", 1)
    path = tmp_path / "future.csv"
    path.write_text(FUTURE)
    summary = import_files(db, [path], now=NOW)
    assert ([w.line for w in summary.warnings], summary.future_lines) == ([4], 2)


def test_the_clock_is_the_default_now(db, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "clock", lambda: NOW)
    path = tmp_path / "future.csv"
    path.write_text(FUTURE)
    assert [w.line for w in import_files(db, [path]).warnings] == [4, 5]


def test_an_openai_cost_export_counts_its_empty_days(db, reading):
    # cost_2026-03-01_2026-03-04.csv: 8 data lines; lines 2 and 9 are empty days (blank
    # amounts), the 6 others one charge each.
    summary = import_files(db, [DATA / "openai" / "cost_2026-03-01_2026-03-04.csv"])
    assert (summary.lines, summary.empty_lines, summary.added) == (8, 2, 6)
    assert summary.as_json()["empty_lines"] == 2


def test_an_anthropic_token_line_of_nothing_counts_as_an_empty_line(db, tmp_path):
    path = tmp_path / "claude_api_tokens.csv"
    path.write_text(
        "usage_date_utc,model_version,usage_input_tokens_no_cache,usage_output_tokens,"
        "web_search_count\n"
        "2026-03-01,claude-haiku-4-5,10,5,0\n"
        "2026-03-01,--,0,0,0\n")  # no model, no tokens, no searches: nothing to import
    summary = import_files(db, [path])
    assert (summary.lines, summary.empty_lines, summary.added) == (2, 1, 1)


def test_an_unknown_header_of_300000_columns_gives_a_short_message(db, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(300_000)) + "\n" + "1," * 299_999 + "1\n")
    with pytest.raises(ImportRefused) as refused:
        import_files(db, [path])
    [error] = refused.value.errors
    message = str(error)
    assert len(message) < 2_000  # it was 3.8 MB
    assert "'c39'" in message and "'c40'" not in message
    assert "The header has 300,000 columns: the first 40 are listed" in message


def test_a_named_format_lacking_columns_of_a_wide_header_gives_a_short_message(db, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(300_000)) + "\n")
    with pytest.raises(ImportRefused) as refused:
        import_files(db, [path], profile="anthropic-cost")
    [error] = refused.value.errors
    assert len(str(error)) < 2_000
    assert str(error).endswith("'c39' and 299,960 more (300,000 columns)")


def test_future_lines_of_a_semicolon_file_with_dotted_dates(db, tmp_path):
    # Line 3: 12.03.2026 is 2026-03-12 00:00, 12 hours past now + 1 day (2026-03-11 12:00).
    path = tmp_path / "usage.csv"
    path.write_text("timestamp;vendor;model;billed_cost\n"
                    "10.03.2026;openai;gpt-4o;0,5\n"
                    "12.03.2026;openai;gpt-4o;1,5\n", encoding="utf-8")
    summary = import_files(db, [path], now=NOW)
    assert (summary.added, [w.line for w in summary.warnings]) == (2, [3])


def test_a_mapped_file_opened_to_check_its_header_is_read_on_and_again_for_future_dates(
        db, tmp_path, reading):
    from meterbook.importers.mapping import ColumnMapping, OpenedCsv

    # 3,000 lines of 2026-03-01 (larger than a read buffer), then line 3,002 dated
    # 2026-03-12, more than a day after NOW (2026-03-10 12:00).
    path = tmp_path / "mapped.csv"
    path.write_text("when,what\n" + "2026-03-01,gpt-4o\n" * 3_000 + "2026-03-12,gpt-4o\n")
    mapping = ColumnMapping({"when": "timestamp", "what": "model"}, vendor="openai")
    with OpenedCsv(path) as opened:
        assert opened.header == ["when", "what"]
        summary = import_files(db, [path], mapping=mapping, opened=opened, now=NOW)
    # Every data line read (3,000 + 1), and the future one found again by reading the file
    # anew: in the "process" case the child read the opened file, and its position is gone.
    assert summary.lines == 3_001
    assert [(w.file, w.line) for w in summary.warnings] == [("mapped.csv", 3_002)]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc")
def test_an_import_killed_outright_leaves_no_reading_process_behind(tmp_path):
    # kill -9 gives the importing process no chance to stop its forked reader: the reader must
    # notice by itself (the pipe has no reader any more) rather than wait on it for ever.
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("timestamp,vendor,model,request_id,input_tokens,output_tokens\n")
        for i in range(300_000):
            out.write(f"2026-03-01T00:00:00Z,openai,gpt-4o,r{i},{i % 977},{i % 131}\n")
    script = ("import sys; from meterbook.importers import pipeline; "
              "pipeline._FORK_FROM_BYTES = 0; from meterbook.cli import main; "
              f"sys.exit(main(['--db', {str(tmp_path / 'k.db')!r}, 'import', {str(path)!r}]))")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (readers := child_processes(proc.pid)) and time.monotonic() < deadline:
            assert proc.poll() is None, "the import ended before its reader could be seen"
            time.sleep(0.01)
        assert readers, "the import never started its reading process"
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 20
    while any(running(pid) for pid in readers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(running(pid) for pid in readers)
