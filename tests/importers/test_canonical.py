"""The canonical CSV reader (usage-data.md, "Canonical CSV") and record identity.

Expected values are worked out by hand: 2026-03-01T00:00:00Z is 20513 days after the epoch
(56 years of 365 days + 14 leap days 1972..2024 + 31 + 28), i.e. 1_772_323_200 seconds.
"""

from __future__ import annotations

import csv
import io
import pickle
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meterbook.core.records import CANONICAL_FIELDS, STAGE_COLUMNS, UsageRecord, to_epoch_us
from meterbook.importers import canonical
from meterbook.importers.canonical import (
    HEADER_FIELDS,
    is_canonical_header,
    open_text,
    parse_canonical,
)
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.identity import OccurrenceCounter, content_digest
from meterbook.importers.stage_rows import StageRows
from meterbook.store.usage_store import Meters

DATA = Path(__file__).resolve().parent.parent / "data" / "canonical"
MARCH_1 = 1_772_323_200 * 1_000_000  # 2026-03-01T00:00:00Z in epoch microseconds
HOUR = 3600 * 1_000_000


Parsed = list[tuple[int, UsageRecord | LineError, list[str]]]


def parse_file(name: str) -> Parsed:
    with open_text(DATA / name) as text:
        return list(parse_canonical(text, name))


def parse_text(text: str, name: str = "t.csv") -> Parsed:
    return list(parse_canonical(io.StringIO(text, newline=""), name))


def refusal(run) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        run()
    return caught.value


# --- header -------------------------------------------------------------------------------------


def test_header_fields_are_the_canonical_fields():
    assert HEADER_FIELDS == CANONICAL_FIELDS


def test_header_detection_ignores_case_spaces_bom_and_order():
    assert is_canonical_header(["\ufeffMODEL", " Vendor ", "x", "TimeStamp"])
    assert not is_canonical_header(["timestamp", "vendor", "model_name"])
    assert not is_canonical_header([])


def test_missing_required_columns_refuse_the_file_at_line_1():
    error = refusal(lambda: parse_text("Time,vendor,Cost\n2026-03-01,openai,1\n"))
    assert len(error.errors) == 1
    (line_error,) = error.errors
    assert (line_error.file, line_error.line, line_error.column) == ("t.csv", 1, None)
    assert "timestamp, model" in line_error.message
    assert "'Time', 'vendor', 'Cost'" in line_error.message


def test_empty_file_and_duplicate_column_are_refused():
    assert "empty" in refusal(lambda: parse_text("")).errors[0].message
    assert "empty" in refusal(lambda: parse_text("\n\n")).errors[0].message
    error = refusal(lambda: parse_text("timestamp,vendor,model,Model\n"))
    assert "'model' appears twice" in str(error)


def test_header_only_file_has_no_lines():
    assert parse_file("header_only.csv") == []


# --- good files ---------------------------------------------------------------------------------


def test_good_file_with_every_field():
    rows = parse_file("good.csv")
    assert [line for line, _, _ in rows] == [2, 3, 4, 5, 6]
    records = [record for _, record, _ in rows]
    assert all(isinstance(record, UsageRecord) for record in records)
    assert records[0] == UsageRecord(
        timestamp=datetime(2026, 3, 1, 9, 15, 2, tzinfo=UTC), vendor="openai",
        model="gpt-4o-mini", requests=1, input_tokens=1830, cached_input_tokens=1024,
        cache_write_tokens=0, output_tokens=212, units=Decimal(0), unit_name=None,
        request_id="req_001", conversation_id="conv_17", project="support", user="ana",
        api_key="key-prod", service_tier="standard", billed_cost=None, currency=None,
    )  # fmt: skip
    # 12:00 at +02:00 is 10:00 UTC; a time without offset is UTC; a bare date is midnight UTC.
    assert [to_epoch_us(r.timestamp) for r in records] == [
        MARCH_1 + (9 * 3600 + 15 * 60 + 2) * 1_000_000,
        MARCH_1 + 10 * HOUR,
        MARCH_1 + 12 * HOUR,
        MARCH_1 + 24 * HOUR,
        MARCH_1 + 24 * HOUR + (8 * 3600 + 30 * 60 + 15) * 1_000_000 + 250_000,
    ]
    second = records[1]
    assert (second.vendor, second.service_tier) == ("anthropic", "batch")  # lower-cased
    assert (second.requests, second.cache_write_tokens) == (3, 1200)
    assert (second.billed_cost, second.currency) == (Decimal("0.012345"), "USD")
    assert second.request_id is None and second.user is None  # empty optional text -> None
    assert (records[2].units, records[2].unit_name) == (Decimal(4), "images")
    assert records[2].billed_cost is None and records[2].currency is None
    # A credit: negative billed cost, currency defaulting to USD.
    credit = records[3]
    assert (credit.requests, credit.billed_cost, credit.currency) == (0, Decimal("-1.50"), "USD")
    assert (records[4].units, records[4].currency) == (Decimal("12.5"), "CNY")
    assert rows[0][2][:3] == ["2026-03-01T09:15:02Z", "openai", "gpt-4o-mini"]  # raw cells


def test_bom_shuffled_upper_case_headers_and_crlf():
    rows = parse_file("bom_shuffled.csv")
    assert [line for line, _, _ in rows] == [2, 3]
    first, second = (record for _, record, _ in rows)
    assert isinstance(first, UsageRecord) and isinstance(second, UsageRecord)
    assert (first.vendor, first.model) == ("openai", "gpt-4o")
    assert (first.input_tokens, first.output_tokens) == (5, 7)
    assert first.requests == 1 and to_epoch_us(first.timestamp) == MARCH_1
    assert (second.input_tokens, second.output_tokens) == (0, 0)  # empty counts default to 0


# --- bad lines ----------------------------------------------------------------------------------

# line -> (column, what the message must say); lines 2 and 21 are good, 19 and 20 are blank.
BAD_LINES = {
    3: ("input_tokens", "'-5' is negative; expected a whole number >= 0"),
    4: ("input_tokens", "'12.5' is not a whole number"),
    5: ("input_tokens", "'abc' is not a number"),
    6: ("input_tokens", "absurdly large"),
    7: ("requests", "'many' is not a number"),
    8: ("timestamp", "day is out of range for month"),
    9: ("timestamp", "'yesterday' is not a date or time; expected an ISO 8601 time"),
    10: ("timestamp", "is empty"),
    11: ("vendor", "is empty"),
    12: ("model", "is empty"),
    13: ("units", "has more than 6 decimal places"),
    14: ("units", "'-1' is negative"),
    15: ("billed_cost", "'1..2' is not a number"),
    16: ("currency", "'dollars' is not a currency code"),
    17: (None, "contains a NUL byte"),
    18: (None, "has 4 cells; expected 8 cells"),
    22: ("timestamp", "out of the supported range"),
    23: (None, "has 9 cells; expected 8 cells"),
}


def test_bad_lines_are_refused_one_by_one_with_column_and_reason():
    rows = parse_file("bad_lines.csv")
    good = [line for line, item, _ in rows if isinstance(item, UsageRecord)]
    assert good == [2, 21]
    errors = {line: item for line, item, _ in rows if isinstance(item, LineError)}
    assert sorted(errors) == sorted(BAD_LINES)
    for line, (column, text) in BAD_LINES.items():
        assert errors[line].line == line and errors[line].file == "bad_lines.csv"
        assert errors[line].column == column, line
        assert text in errors[line].message, (line, errors[line].message)
    assert str(errors[3]) == (
        "bad_lines.csv:3: column 'input_tokens': '-5' is negative; expected a whole number >= 0"
    )
    assert str(errors[17]) == "bad_lines.csv:17: contains a NUL byte"
    last_good = next(item for line, item, _ in rows if line == 21)
    assert (last_good.vendor, last_good.currency) == ("openai", "EUR")
    assert last_good.billed_cost == Decimal("2.5")


def test_multi_line_cells_keep_physical_line_numbers():
    rows = parse_file("multiline.csv")
    assert [line for line, _, _ in rows] == [2, 5, 6]  # the first row spans lines 2-4
    assert rows[0][1].project == "a project\nspanning\nthree lines"
    assert isinstance(rows[1][1], LineError) and rows[1][1].line == 5
    assert rows[2][1].project == 'one "quoted" word'


def test_nul_in_an_unknown_column_refuses_the_line():
    rows = parse_text("timestamp,vendor,model,note\n2026-03-01,openai,m,a\x00b\n2026-03-01,x,m,\n")
    assert isinstance(rows[0][1], LineError) and rows[0][1].message == "contains a NUL byte"
    assert isinstance(rows[1][1], UsageRecord) and rows[0][0] == 2 and rows[1][0] == 3


def test_whole_numbers_written_as_decimals_and_limits():
    rows = parse_text(
        "timestamp,vendor,model,requests,output_tokens\n"
        "2026-03-01,a,m,12.0,1.5e3\n"
        "2026-03-01,a,m,9007199254740992, 7 \n"  # 2**53 itself is allowed
        "2026-03-01,a,m,1e400,1\n"
    )
    assert (rows[0][1].requests, rows[0][1].output_tokens) == (12, 1500)
    assert (rows[1][1].requests, rows[1][1].output_tokens) == (2**53, 7)
    assert "absurdly large" in rows[2][1].message


def test_timestamp_variants():
    rows = parse_text(
        "timestamp,vendor,model\n"
        "2026-03-01T12:00:00.123456789Z,a,m\n"  # beyond microseconds: truncated
        "2026-03-01t02:00:00-03:00,a,m\n"  # lower-case t, negative offset
        " 2026-03-01 00:00:00 ,a,m\n"
    )
    assert [to_epoch_us(item.timestamp) for _, item, _ in rows] == [
        MARCH_1 + 12 * HOUR + 123_456, MARCH_1 + 5 * HOUR, MARCH_1,
    ]  # fmt: skip
    assert all(item.timestamp.tzinfo is UTC for _, item, _ in rows)


def test_rows_from_a_csv_reader_use_its_line_numbers():
    text = 'timestamp,vendor,model,project\n2026-03-01,a,m,"x\ny"\n2026-03-01,b,m,z\n'
    reader = csv.reader(io.StringIO(text, newline=""))
    assert [line for line, _, _ in parse_canonical(reader, "r.csv")] == [2, 4]
    rows = [["timestamp", "vendor", "model"], ["2026-03-01", "a", "m"], ["2026-03-01", "b", ""]]
    parsed = list(parse_canonical(rows, "rows"))
    assert [line for line, _, _ in parsed] == [2, 3]
    assert parsed[1][1].column == "model"
    with_nul = [rows[0], ["2026-03-01", "a\x00", "m"]]
    (only,) = parse_canonical(with_nul, "rows")
    assert only[1].message == "contains a NUL byte"
    # rows from a chain that starts with an already-read header, numbered by the reader
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    chained = (row for rows in ([header], reader) for row in rows)
    assert [line for line, _, _ in parse_canonical(chained, "r", reader=reader)] == [2, 4]


def test_a_cell_too_large_for_csv_refuses_its_line_only():
    text = "timestamp,vendor,model\n2026-03-01,a," + "m" * 200 + "\n2026-03-01,b,m\n"
    old = csv.field_size_limit(100)
    try:
        rows = parse_text(text)
    finally:
        csv.field_size_limit(old)
    assert rows[0][0] == 2 and "cannot be read as CSV" in rows[0][1].message
    assert rows[1][0] == 3 and rows[1][1].vendor == "b"


# --- opening files ------------------------------------------------------------------------------


def test_open_text_encodings(tmp_path):
    text = "timestamp,vendor,model\n2026-03-01,openai,café\n"
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "cp1252"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        with open_text(path) as handle:
            rows = list(parse_canonical(handle, path.name))
        assert rows[0][1].model == "café", encoding


def test_open_text_refuses_binary_files(tmp_path):
    path = tmp_path / "usage.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + bytes(4000))
    error = refusal(lambda: open_text(path))
    assert str(error).startswith("usage.sqlite: is not a text file")
    assert error.errors[0].line == 0
    control = tmp_path / "blob.bin"
    control.write_bytes(bytes([0x89, 0x01, 0x02, 0xFF]) * 50)
    assert "is not a text file" in str(refusal(lambda: open_text(control)))


def test_undecodable_utf8_line_is_refused_alone(tmp_path):
    path = tmp_path / "mixed.csv"
    head = ("timestamp,vendor,model\n" + "2026-03-01,openai,gpt-4o\n" * 400).encode()
    path.write_bytes(head + b"2026-03-01,openai,caf\xe9\n2026-03-01,openai,ok\n")
    with open_text(path) as handle:
        rows = list(parse_canonical(handle, path.name))
    assert len(rows) == 402
    assert rows[400][0] == 402 and "not valid" in rows[400][1].message
    assert rows[400][2][2] == "caf\ufffd"  # raw cells stay storable text
    assert rows[401][1].model == "ok"


# --- identity -----------------------------------------------------------------------------------


def test_dedupe_keys():
    rows = parse_text(
        "timestamp,vendor,model,request_id,units,output_tokens\n"
        "2026-03-01T12:00:00+02:00,openai,m,,1.50,5\n"
        "2026-03-01 10:00:00,OpenAI,m,,1.5,5\n"  # the same content, written differently
        "2026-03-01T10:00:00Z,openai,m,,1.5,6\n"
        "2026-03-01T10:00:00Z,openai,m,req_1,,\n"
    )
    records = [item for _, item, _ in rows]
    counter = OccurrenceCounter()
    keys = [counter.key(record) for record in records]
    digest = content_digest(records[0]).hex()
    assert len(digest) == 32
    assert keys[0] == f"c:{digest}:1" and keys[1] == f"c:{digest}:2"
    assert keys[2].startswith("c:") and keys[2].split(":")[1] != digest
    assert keys[3] == "r:openai:req_1" and len(counter) == 2
    # a second file (or the same file again) with its own counter gives the same keys
    again = OccurrenceCounter()
    assert [again.key(r) for r in records] == keys


def test_content_digest_covers_every_field():
    base = UsageRecord(datetime(2026, 3, 1, tzinfo=UTC), "openai", "m")
    changed = [
        UsageRecord(datetime(2026, 3, 1, 0, 0, 0, 1, tzinfo=UTC), "openai", "m"),
        UsageRecord(base.timestamp, "openai", "m", project="p"),
        UsageRecord(base.timestamp, "openai", "m", user="p"),  # same text, other field
        UsageRecord(base.timestamp, "openai", "m", billed_cost=Decimal(0), currency="USD"),
        UsageRecord(base.timestamp, "openai", "m", units=Decimal("0.000001")),
        UsageRecord(base.timestamp, "openai", "m", requests=0),
    ]
    digests = {content_digest(record) for record in [base, *changed]}
    assert len(digests) == 1 + len(changed)


# --- errors -------------------------------------------------------------------------------------


def test_line_error_and_import_refused_text():
    assert str(LineError("a.csv", 3, "cost_usd", "'x' is not a number")) == (
        "a.csv:3: column 'cost_usd': 'x' is not a number"
    )
    assert str(LineError("a.csv", 4, None, "contains a NUL byte")) == (
        "a.csv:4: contains a NUL byte"
    )
    errors = [LineError("a.csv", n, None, "bad") for n in range(1, 54)]
    text = str(ImportRefused(errors)).splitlines()
    assert len(text) == 51 and text[49] == "a.csv:50: bad" and text[50] == "... and 3 more"
    copy = pickle.loads(pickle.dumps(ImportRefused(errors)))
    assert copy.errors == errors


# --- properties ---------------------------------------------------------------------------------

_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1, max_size=12,
).filter(lambda s: s == s.strip())  # fmt: skip
_LOWER = _TEXT.filter(lambda s: s == s.lower())
_COUNT = st.integers(0, 2**53)


@st.composite
def usage_records(draw) -> UsageRecord:
    billed = draw(
        st.none()
        | st.integers(0, 12).flatmap(
            lambda p: st.decimals(-(10**9), 10**9, places=p, allow_nan=False)
        )
    )
    code = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)
    return UsageRecord(
        timestamp=draw(
            st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC))
        ),
        vendor=draw(_LOWER), model=draw(_TEXT), requests=draw(_COUNT),
        input_tokens=draw(_COUNT), cached_input_tokens=draw(_COUNT),
        cache_write_tokens=draw(_COUNT), output_tokens=draw(_COUNT),
        units=draw(st.decimals(0, 10**12, places=6, allow_nan=False)),
        unit_name=draw(st.none() | _TEXT), request_id=draw(st.none() | _TEXT),
        conversation_id=draw(st.none() | _TEXT), project=draw(st.none() | _TEXT),
        user=draw(st.none() | _TEXT), api_key=draw(st.none() | _TEXT),
        service_tier=draw(st.none() | _LOWER), billed_cost=billed,
        currency=draw(code if billed is not None else st.none() | code),
    )  # fmt: skip


def _write_time(moment: datetime, style: int, offset_minutes: int) -> str:
    if style == 0:
        return moment.isoformat().replace("+00:00", "Z")
    if style == 1:
        return moment.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat()
    return moment.replace(tzinfo=None).isoformat(sep=" ")


@settings(max_examples=100, deadline=None)
@given(
    records=st.lists(usage_records(), min_size=1, max_size=3),
    order=st.randoms(use_true_random=False),
    style=st.integers(0, 2),
    offset=st.integers(-14 * 60, 14 * 60),
)
def test_any_valid_record_round_trips_through_canonical_csv(records, order, style, offset):
    fields = list(CANONICAL_FIELDS)
    order.shuffle(fields)
    # Optional columns that only hold defaults may be left out of the file.
    defaults = UsageRecord(datetime(2026, 1, 1, tzinfo=UTC), "v", "m")
    fields = [
        f for f in fields
        if f in ("timestamp", "vendor", "model")
        or any(getattr(r, f) != getattr(defaults, f) for r in records)
        or order.random() < 0.5
    ]  # fmt: skip
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([f.upper() if order.random() < 0.3 else f for f in fields])
    for record in records:
        cells = []
        for field in fields:
            value = getattr(record, field)
            if field == "timestamp":
                cells.append(_write_time(value, style, offset))
            else:
                cells.append("" if value is None else str(value))
        writer.writerow(cells)
    parsed = list(parse_canonical(io.StringIO(out.getvalue(), newline=""), "p.csv"))
    assert [item for _, item, _ in parsed] == records


# Cells for the fast/slow agreement test: per kind of column, plain values (the fast path's
# business) and tricky ones (where the two paths could drift apart); one cell in four is tricky.
_JUNK = ["", " ", "abc", "NaN", "Infinity", "-", "Ä€$", "a\x00"]
_KINDS = {
    "timestamp": (
        ["2026-03-01T12:00:00Z", "2026-03-01 12:00:00", "2026-03-01", "2026-03-01T12:00:00+02:00"],
        [" 2026-03-01T12:00:00Z", "2026-02-30", "2026-03-01t12:00:00z", "2026-03-01T12:00:00.5Z",
         "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-01:00", "20260301", "24:00"],
    ),
    "count": (
        ["", "0", "1", "1830", "9007199254740992"],
        ["-1", "-0", "12.0", "1e3", "1.5", "1_000", "\uff11\uff12", " 7 ", "+3",
         "9007199254740993", "1e999999999", "-1e999999999"],
    ),
    "decimal": (
        ["", "0", "1.5", "0.000001", "1000000000", "-2.25"],
        ["-0", "0.1234567", "1.5000000", "1e3", "1E-7", "-1000000001", "1000000000000",
         "1000000000000.000001", " 2.5 ", "1_0.5", "sNaN"],
    ),
    "currency": (["", "USD", "eur"], ["US", " eur ", "EURO", "ÄBC", "ß\u00df"]),
    "text": (["", "OpenAI", "gpt-4o", "Batch"], ["  x  ", "a\nb", "\u0130", "\u00a0"]),
}  # fmt: skip
_KIND_OF = {
    "timestamp": "timestamp", "units": "decimal", "billed_cost": "decimal", "currency": "currency",
    **dict.fromkeys(
        ["requests", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens"],
        "count",
    ),
}  # fmt: skip


def _cell(column: str) -> st.SearchStrategy[str]:
    plain, tricky = _KINDS[_KIND_OF.get(column, "text")]
    tricky_cells = st.sampled_from(tricky + _JUNK) | st.text(max_size=4)
    return st.integers(0, 3).flatmap(lambda n: tricky_cells if n == 0 else st.sampled_from(plain))


@settings(max_examples=200, deadline=None)
@given(
    optional=st.sets(st.sampled_from(CANONICAL_FIELDS[3:])),
    data=st.data(),
)
def test_fast_path_agrees_with_the_exact_path(optional, data):
    columns = ["timestamp", "vendor", "model", *sorted(optional)]
    index = {field: position for position, field in enumerate(columns)}
    fast = canonical._make_fast(index)
    positions = tuple(index.get(field, len(columns)) for field in CANONICAL_FIELDS)
    for _ in range(5):
        row = [data.draw(_cell(column)) for column in columns]
        exact = canonical._slow([*row, ""], positions)
        try:
            quick = fast(row)
        except Exception:
            continue
        assert quick == exact, row


# store/staging.py: the stage table's defaults, by column number.
# What a stage column holds for a field the file lacks (core/records.py declares it as SQL).
STAGE_DEFAULTS = {
    "requests": 1, "input_tokens": 0, "cached_input_tokens": 0, "cache_write_tokens": 0,
    "output_tokens": 0, "units_micro": 0, "request_id": "", "conversation_id": "", "user": "",
    "api_key": "", "billed_nano": "", "currency": "",
}  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    optional=st.sets(st.sampled_from(CANONICAL_FIELDS[3:])),
    data=st.data(),
)
def test_staged_fast_path_makes_the_stage_row_of_the_exact_record(optional, data):
    """What the import stores of a line is the same whichever path read it."""
    columns = ["timestamp", "vendor", "model", *sorted(optional)]
    index = {field: position for position, field in enumerate(columns)}
    fast_rows, exact_rows = StageRows(Meters(None)), StageRows(Meters(None))
    fast = canonical._make_fast(index, fast_rows)
    fast_rows.lacks(field for field in CANONICAL_FIELDS if field not in index)
    constant = fast_rows.constant
    positions = tuple(index.get(field, len(columns)) for field in CANONICAL_FIELDS)
    seen: list[list[str]] = []
    for _ in range(8):
        if seen and data.draw(st.booleans()):  # a line again: its content's next occurrence
            row = data.draw(st.sampled_from(seen))
        else:
            row = [data.draw(_cell(column)) for column in columns]
            seen.append(row)
        exact = canonical._slow([*row, ""], positions)
        if not isinstance(exact, UsageRecord):
            continue
        try:
            quick = fast(row)
        except Exception:
            quick = fast_rows.row(exact)  # as the pipeline does: the exact path's record
        assert quick == exact_rows.row(exact), row
        # The columns the packer leaves to the stage table's defaults hold them indeed.
        left = {STAGE_COLUMNS[n]: quick[n] for n in constant}
        assert left == {name: STAGE_DEFAULTS[name] for name in left}
    assert fast_rows.meters.keys == exact_rows.meters.keys
