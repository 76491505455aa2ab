"""Hostile files: every importer (each format of formats._MODULES, a `--map` mapping) and the
plan reader fed random and malformed input. Each file ends in a clear refusal (ImportRefused or
PlanFileError: short, naming the file) or an import whose batch holds exactly what the summary
says; never another exception, never part of a batch.

The property runs are bounded (max_examples below) so the suite stays fast.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import CHAT_CLAUDE_PLANS, CHAT_FEE_PLANS, save_plans

from meterbook.core.plans import PlanFileError
from meterbook.importers.errors import ImportRefused
from meterbook.importers.mapping import ColumnMapping
from meterbook.importers.pipeline import import_files
from meterbook.store.database import open_database
from meterbook.store.plan_ops import import_plan_file

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
# A refusal prints at most SHOWN_ERRORS lines (importers/errors.py); each must stay readable:
# a header is listed up to 40 columns of up to 40 characters (formats.listing).
LONGEST_MESSAGE_LINE = 2_000
LONGEST_MESSAGE = 51 * LONGEST_MESSAGE_LINE

# A good file of each format: its header and lines are the starting point of every mutation.
SAMPLES = {
    "openai-usage": "openai/completions_usage_2026-03-01_2026-03-01.csv",
    "openai-cost": "openai/cost_2026-03-01_2026-03-04.csv",
    "openai-usage-api": "openai/usage_api_completions_page.json",
    "anthropic-cost": "anthropic/cost_feb_mar.csv",
    "anthropic-tokens": "anthropic/tokens_hourly.csv",
    "openrouter-activity": "openrouter/activity.csv",
    "openrouter-generations": "openrouter/generations.csv",
    "deepseek-usage": "deepseek/amount-2026-3.csv",
    "azure-ea": "azure/ea.csv",
    "azure-mca": "azure/mca.csv",
    "azure-legacy": "azure/legacy.csv",
    "canonical": "canonical/good.csv",
}
PROFILES = sorted(SAMPLES)

HOSTILE_CELLS = [
    "", " ", "-1", "-0", "0", "1e309", "-1e309", "NaN", "inf", "1e-400", "0x10", "1_000",
    "99999999999999999999999999999999", "-99999999999999999999", "9" * 400, "1,5", "1.234,56",
    "2026-02-30", "2026-13-01T00:00:00Z", "0000-00-00", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z", "1969-12-31", "2026-03-01T25:61:00Z", "-62135596800",
    "253402300800", "99999999999999999", "2026-03-01T00:00:00+99:00",
    "=cmd|' /C calc'!A0", "+SUM(A1:A9)", "@SUM(1)", "-2+3", "\x00", "a\x00b", "\ufeff", "'",
    '"', "\r", "\n", "\u202e", "ÿ", "𝟘", "١٢٣", "１２３", "true", "null", "[]", "{}",
]

cells = st.one_of(
    st.sampled_from(HOSTILE_CELLS),
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(repr),
)
DELIMITERS = [",", ";", "\t", "|"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]
BOUNDED = settings(max_examples=25, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """One database for every example, with plans for OpenAI and Anthropic: what imports is
    priced too."""
    with open_database(str(tmp_path_factory.mktemp("hostile") / "h.db")) as database:
        save_plans(database, CHAT_CLAUDE_PLANS)
        yield database


def stored(db) -> tuple[int, int, int, int]:
    """Records, charges, batches and refused lines in the database."""
    with db.engine.connect() as conn:
        return tuple(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                     for table in ("usage_record", "usage_charge", "import_batch",
                                   "refused_line"))


def check_refusal(exc: ImportRefused | PlanFileError, name: str) -> None:
    text = str(exc)
    assert text, "a refusal says why"
    assert len(text) <= LONGEST_MESSAGE, f"{len(text):,} characters"
    for line in text.splitlines():
        assert len(line) <= LONGEST_MESSAGE_LINE, line[:200]
    if isinstance(exc, ImportRefused):
        assert all(error.file == name for error in exc.errors)


def attempt(db, path: Path, **options) -> None:
    """Import `path`: a clear refusal that changed nothing, or one whole batch."""
    before = stored(db)
    try:
        summary = import_files(db, [path], now=NOW, **options)
    except ImportRefused as exc:
        check_refusal(exc, path.name)
        assert stored(db) == before, "a refused file left something behind"
        return
    after = stored(db)
    assert after[0] - before[0] == summary.added
    assert after[2] - before[2] == (1 if summary.batch is not None else 0)
    assert len(summary.errors) == summary.refused


def sample_rows(profile: str) -> list[list[str]]:
    text = (DATA / SAMPLES[profile]).read_text(encoding="utf-8-sig")
    return [row for row in csv.reader(io.StringIO(text)) if row]


def write_csv(path: Path, rows: list[list[str]], delimiter: str, encoding: str) -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding, errors="replace"))
    return path


CSV_PROFILES = [p for p in PROFILES if p != "openai-usage-api"]


@pytest.mark.parametrize("profile", CSV_PROFILES)
@BOUNDED
@given(data=st.data())
def test_a_format_given_hostile_cells_refuses_clearly_or_imports_whole(
        db, tmp_path, profile, data):
    header, *lines = sample_rows(profile)
    rows = [header]
    for line in data.draw(st.lists(st.sampled_from(lines), min_size=1, max_size=3)):
        changed = data.draw(st.dictionaries(st.integers(0, len(header) - 1), cells,
                                            max_size=len(header)))
        rows.append([changed.get(i, cell) for i, cell in enumerate(line)])
    path = write_csv(tmp_path / f"{profile}.csv", rows, data.draw(st.sampled_from(DELIMITERS)),
                     data.draw(st.sampled_from(ENCODINGS)))
    attempt(db, path, profile=data.draw(st.sampled_from([None, profile])),
            skip_bad_lines=data.draw(st.booleans()))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40),
              st.floats(), cells),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)


def mutate(document: object, data) -> object:
    """The document with some of its values replaced by hostile ones of any JSON type."""
    if isinstance(document, dict):
        return {key: (data.draw(json_values) if data.draw(st.integers(0, 5)) == 0
                      else mutate(value, data)) for key, value in document.items()}
    if isinstance(document, list):
        return [mutate(item, data) for item in document]
    return document


@BOUNDED
@given(data=st.data())
def test_the_usage_api_json_given_hostile_values_refuses_clearly_or_imports_whole(
        db, tmp_path, data):
    document = json.loads((DATA / SAMPLES["openai-usage-api"]).read_text(encoding="utf-8"))
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(mutate(document, data), allow_nan=True), encoding="utf-8")
    attempt(db, path, profile=data.draw(st.sampled_from([None, "openai-usage-api"])))


MAPPING = ColumnMapping({"when": "timestamp", "what": "model", "in": "input_tokens",
                         "out": "output_tokens", "paid": "billed_cost"}, vendor="openai")


@BOUNDED
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=7), min_size=1, max_size=4),
       delimiter=st.sampled_from(DELIMITERS[:3]), encoding=st.sampled_from(ENCODINGS),
       skip=st.booleans())
def test_a_mapping_given_hostile_cells_refuses_clearly_or_imports_whole(
        db, tmp_path, rows, delimiter, encoding, skip):
    path = write_csv(tmp_path / "mapped.csv", [["when", "what", "in", "out", "paid"], *rows],
                     delimiter, encoding)
    attempt(db, path, mapping=MAPPING, skip_bad_lines=skip)


@BOUNDED
@given(content=st.binary(max_size=3000), profile=st.sampled_from([None, *PROFILES]))
def test_random_bytes_are_refused_clearly_or_imported_whole(db, tmp_path, content, profile):
    path = tmp_path / "random.csv"
    path.write_bytes(content)
    attempt(db, path, profile=profile)


@BOUNDED
@given(content=st.binary(max_size=3000))
def test_random_bytes_through_a_mapping_are_refused_clearly_or_imported_whole(
        db, tmp_path, content):
    path = tmp_path / "random.csv"
    path.write_bytes(b"when,what,in,out,paid\n" + content)
    attempt(db, path, mapping=MAPPING)


# --- big shapes -------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [None, *CSV_PROFILES])
def test_ten_thousand_extra_columns_and_a_million_character_cell(db, tmp_path, profile):
    rows = sample_rows(profile or "canonical")
    wide = [rows[0] + [f"extra{i}" for i in range(10_000)],
            *[row + ["x"] * 10_000 for row in rows[1:]]]
    attempt(db, write_csv(tmp_path / "wide.csv", wide, ",", "utf-8"), profile=profile)
    long_line = [rows[0], [("y" * 1_000_000 if i == 1 else c) for i, c in enumerate(rows[1])]]
    attempt(db, write_csv(tmp_path / "long.csv", long_line, ",", "utf-8"), profile=profile)


def test_a_header_of_500000_columns_gives_a_short_message(db, tmp_path):
    path = tmp_path / "huge-header.csv"
    path.write_text(",".join(f"c{i}" for i in range(500_000)) + "\n1\n", encoding="utf-8")
    for options in ({}, {"mapping": ColumnMapping({"c1": "timestamp"}, vendor="x")},
                    {"profile": "canonical"}):
        with pytest.raises(ImportRefused) as refused:
            import_files(db, [path], now=NOW, **options)
        check_refusal(refused.value, path.name)
        # The unknown header's help is a few lines (which columns, how to map them).
        assert len(str(refused.value)) <= 2_000 and len(str(refused.value).splitlines()) <= 12


# --- plan files -------------------------------------------------------------------------------

PLAN = CHAT_FEE_PLANS.strip() + "\neffective_from = 2026-03-01\n"
toml_values = st.one_of(
    st.sampled_from(['"-1"', '"1e309"', '"NaN"', '"99999999999999999999999999999"', "-5",
                     "1e309", "nan", "inf", "2026-02-30", "9999-12-31T23:59:59Z", "true",
                     "[]", "{}", '""', '"=cmd|calc"', '"\\u0000"', "0x10", "1_000",
                     "99999999999999999999"]),
    cells.map(json.dumps),  # any text as a TOML string (JSON's escapes are TOML's)
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@BOUNDED
@given(data=st.data())
def test_a_plan_file_with_hostile_values_is_refused_clearly_or_saved(db, tmp_path, data):
    lines = PLAN.splitlines()
    for n in data.draw(st.sets(st.integers(1, len(lines) - 1), max_size=4)):
        key = lines[n].split(" = ")[0]
        lines[n] = f"{key} = {data.draw(toml_values)}"
    path = tmp_path / "plans.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try_plans(db, path)


@BOUNDED
@given(content=st.binary(max_size=2000))
def test_random_bytes_as_a_plan_file_are_refused_clearly(db, tmp_path, content):
    path = tmp_path / "plans.toml"
    path.write_bytes(content)
    try_plans(db, path)


def try_plans(db, path: Path) -> None:
    before = stored(db)
    try:
        import_plan_file(db, path)
    except PlanFileError as exc:
        check_refusal(exc, path.name)
        assert str(path) in str(exc)
        assert stored(db) == before


@pytest.fixture
def fresh(tmp_path):
    with open_database(str(tmp_path / "fresh.db")) as database:
        save_plans(database, CHAT_CLAUDE_PLANS)
        yield database


def test_a_charge_too_large_to_store_refuses_the_file_and_the_plans(fresh, tmp_path):
    db = fresh
    # 2**53 tokens (the largest count a cell may hold) x 0.50 per 1k = 4.5e12 USD, i.e.
    # 4.5e21 billionths: beyond a 64-bit integer (9.2e18), though each figure is valid alone.
    path = tmp_path / "big.csv"
    path.write_text("timestamp,vendor,model,input_tokens\n"
                    f"2026-03-01T00:00:00Z,openai,gpt-4o,{2**53}\n", encoding="utf-8")
    before = stored(db)
    with pytest.raises(ImportRefused) as refused:
        import_files(db, [path], now=NOW)
    assert str(refused.value) == (
        "big.csv: a charge comes to more than Meterbook can store (over 9 billion in the plan's "
        "currency): check the file's token counts and the plans' prices; nothing was imported")
    assert stored(db) == before
    # A plan priced at 10**12 per 1k tokens, over 2**40 tokens already stored (2**40 x 10**9 =
    # 1.1e21 USD), is refused the same way, and the saved plans stay.
    path.write_text("timestamp,vendor,model,request_id,input_tokens\n"
                    f"2026-03-01T00:00:00Z,openai,gpt-4o,huge-1,{2**40}\n", encoding="utf-8")
    import_files(db, [path], now=NOW)
    plans = tmp_path / "dear.toml"
    plans.write_text(CHAT_CLAUDE_PLANS.replace('input = "0.50"', 'input = "1000000000000"'),
                     encoding="utf-8")
    before = stored(db)
    with pytest.raises(PlanFileError) as too_dear:
        import_plan_file(db, plans)
    assert str(too_dear.value) == (
        f"{plans}: plan '', key '': with these prices a charge comes to more than Meterbook can "
        "store (over 9 billion): check the prices")
    assert stored(db) == before
