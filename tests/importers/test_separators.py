"""Recognised formats saved with other separators and encodings (issue 13, item 5).

A European Excel saves "CSV" with ';' (UTF-8, with or without a BOM) and "Unicode text" as
UTF-16 LE with a BOM and tabs; other tools write UTF-8 with tabs. Each fixture under tests/data
(whose records the per-format tests work out by hand) is re-saved here with those separators,
and must give the very same records on the very same lines as the comma version.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from meterbook.importers import cells, formats
from meterbook.importers.errors import ImportRefused
from meterbook.importers.pipeline import import_files
from meterbook.importers.sources import FileSource
from meterbook.store.database import open_database

DATA = Path(__file__).resolve().parent.parent / "data"

# One fixture of every recognised CSV format (and every header version that differs in layout).
FIXTURES = {
    "canonical/good.csv": "canonical",
    "openai/completions_usage_2026-03-01_2026-03-01.csv": "openai-usage",
    "openai/completions_usage_older.csv": "openai-usage",
    "openai/cost_2026-03-01_2026-03-04.csv": "openai-cost",
    "anthropic/cost_v1.csv": "anthropic-cost",
    "anthropic/cost_v4.csv": "anthropic-cost",
    "anthropic/tokens_daily.csv": "anthropic-tokens",
    "anthropic/tokens_hourly.csv": "anthropic-tokens",
    "openrouter/activity.csv": "openrouter-activity",
    "openrouter/generations.csv": "openrouter-generations",
    "deepseek/amount-2026-3.csv": "deepseek-usage",
    "azure/ea.csv": "azure-ea",
    "azure/mca.csv": "azure-mca",
    "azure/legacy.csv": "azure-legacy",
}

# (delimiter, how the bytes are written): what spreadsheets and tools save.
SAVES = {
    "semicolon-utf8": (";", "utf-8"),
    "semicolon-utf8-bom": (";", "utf-8-sig"),
    "tab-utf8": ("\t", "utf-8"),
    "excel-unicode-text": ("\t", "utf-16-bom"),  # UTF-16 LE with a BOM, tabs
}


def read_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def save(rows: list[list[str]], path: Path, delimiter: str, encoding: str) -> Path:
    """Write rows as a spreadsheet would: quoting only where needed, CRLF line ends."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    text = buffer.getvalue()
    if encoding == "utf-16-bom":
        path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    else:
        path.write_bytes(text.encode(encoding))
    return path


def records(path: Path) -> tuple[str, list[tuple]]:
    source = FileSource(path)
    return source.profile, [(line, item) for line, item, _cells in source]


def test_every_recognised_csv_format_has_a_fixture_here():
    assert set(FIXTURES.values()) == {f.profile for f in formats.formats() if f.kind == "csv"}


@pytest.mark.parametrize("save_as", sorted(SAVES))
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_a_recognised_format_resaved_gives_the_same_records(tmp_path, name, save_as):
    delimiter, encoding = SAVES[save_as]
    original = DATA / name
    expected_profile, expected = records(original)
    assert expected_profile == FIXTURES[name]
    assert expected, "the fixture has records"
    resaved = save(read_rows(original), tmp_path / Path(name).name, delimiter, encoding)
    assert records(resaved) == (expected_profile, expected)


@pytest.mark.parametrize("save_as", sorted(SAVES))
def test_a_named_profile_reads_a_resaved_file_too(tmp_path, save_as):
    delimiter, encoding = SAVES[save_as]
    original = DATA / "anthropic/cost_v4.csv"
    resaved = save(read_rows(original), tmp_path / "cost.csv", delimiter, encoding)
    source = FileSource(resaved, profile="anthropic-cost")
    assert [(line, item) for line, item, _ in source] == records(original)[1]


# --- a European Excel: decimal commas and day-first dotted dates -------------------------------

def european(rows: list[list[str]], numbers: list[str], dates: list[str]) -> list[list[str]]:
    """Rows as a German Excel writes them: numbers in its General format (no trailing zeros,
    a decimal comma: 2.500 -> 2,5) and ISO dates day first with dots (2026-03-01 ->
    01.03.2026)."""
    header = [name.strip().lower() for name in rows[0]]
    number_at = [header.index(name) for name in numbers]
    date_at = [header.index(name) for name in dates]
    out = [rows[0]]
    for row in rows[1:]:
        row = list(row)
        for i in number_at:
            if row[i].strip():
                row[i] = format(Decimal(row[i]).normalize(), "f").replace(".", ",")
        for i in date_at:
            if row[i][:10].count("-") == 2:
                year, month, day = row[i][:10].split("-")
                row[i] = f"{day}.{month}.{year}" + row[i][10:].replace("T", " ")
        out.append(row)
    return out


EUROPEAN = {
    # fixture: (columns written with decimal commas, columns written as dotted dates)
    "anthropic/cost_v4.csv": (["cost_usd"], ["usage_date_utc"]),
    "anthropic/tokens_daily.csv": ([], ["usage_date_utc"]),
    "openai/cost_2026-03-01_2026-03-04.csv": (["amount_value", "quantity"], []),
    "openrouter/generations.csv": (["cost_total"], []),
    "canonical/good.csv": (["billed_cost", "units"], []),
    "azure/legacy.csv": (["usagequantity", "pretaxcost"], ["usagedatetime"]),
}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16-bom"])
@pytest.mark.parametrize("name", sorted(EUROPEAN))
def test_a_european_excel_resave_with_decimal_commas_gives_the_same_records(
        tmp_path, name, encoding):
    numbers, dates = EUROPEAN[name]
    original = DATA / name
    rows = european(read_rows(original), numbers, dates)
    delimiter = "\t" if encoding == "utf-16-bom" else ";"
    resaved = save(rows, tmp_path / Path(name).name, delimiter, encoding)
    assert resaved.read_bytes() != original.read_bytes()
    assert records(resaved) == records(original)


def test_decimal_commas_are_really_in_the_resaved_file(tmp_path):
    # Guards the test above: cost_v4's first line costs 0.40 -> written "0,40" and 01.03.2026.
    rows = european(read_rows(DATA / "anthropic/cost_v4.csv"), ["cost_usd"], ["usage_date_utc"])
    assert any("," in row[7] for row in rows[1:])
    assert all(row[0].count(".") == 2 for row in rows[1:])


def test_a_comma_file_does_not_read_decimal_commas(tmp_path):
    # In a comma file, "0,40" (quoted) is refused: there a comma in a number is a thousands
    # separator or a mistake, never guessed.
    path = tmp_path / "cost.csv"
    path.write_text("usage_date_utc,model,token_type,cost_usd\n"
                    '2026-03-01,Claude Haiku 4.5,output,"0,40"\n', encoding="utf-8")
    [(line, error, _)] = list(FileSource(path))
    assert (line, error.column) == (2, "cost_usd")
    assert "'0,40' is not a number" in error.message


def test_grouped_numbers_stay_refused_in_a_semicolon_file(tmp_path):
    # 1.234,56 could be read two ways by someone guessing; Meterbook refuses it.
    path = tmp_path / "cost.csv"
    path.write_text("usage_date_utc;model;token_type;cost_usd\n"
                    "01.03.2026;Claude Haiku 4.5;output;1.234,56\n"
                    "01.03.2026;Claude Haiku 4.5;input;12,5\n", encoding="utf-8")
    items = list(FileSource(path))
    assert items[0][1].column == "cost_usd" and "'1.234,56' is not a number" in items[0][1].message
    assert items[1][1].billed_cost == Decimal("12.5")


def test_an_impossible_dotted_date_is_refused(tmp_path):
    path = tmp_path / "cost.csv"
    path.write_text("usage_date_utc;model;token_type;cost_usd\n"
                    "31.02.2026;Claude Haiku 4.5;output;0,40\n", encoding="utf-8")
    [(_, error, _)] = list(FileSource(path))
    assert error.column == "usage_date_utc" and "day is out of range" in error.message


def test_the_spreadsheet_forms():
    assert cells.comma_number("0,03") == "0.03"
    assert cells.comma_number("-1,5") == "-1.5"
    assert cells.comma_number("1.234,56") == "1.234,56"  # left for the converter to refuse
    assert cells.comma_number("gpt-4o, input") == "gpt-4o, input"
    assert cells.dotted_date("01.03.2026") == "2026-03-01"
    assert cells.dotted_date("1.3.2026 9:05") == "2026-03-01T09:05:00"
    assert cells.dotted_date("2026-03-01") == "2026-03-01"


# --- the whole import, on the command line's pipeline -------------------------------------------


def test_a_semicolon_anthropic_cost_file_imports_with_its_total(tmp_path):
    # cost_v4.csv re-saved by a German Excel; its costs, by hand, sum as in the comma version.
    original = DATA / "anthropic/cost_v4.csv"
    expected = sum(Decimal(row[7]) for row in read_rows(original)[1:] if row[7].strip())
    rows = european(read_rows(original), ["cost_usd"], ["usage_date_utc"])
    path = save(rows, tmp_path / "claude_api_cost.csv", ";", "utf-8-sig")
    db = open_database(str(tmp_path / "m.db"))
    try:
        summary = import_files(db, [path])
        assert (summary.profile, summary.refused) == ("anthropic-cost", 0)
        with db.engine.connect() as conn:
            nano = conn.exec_driver_sql("SELECT sum(billed_nano) FROM usage_record").scalar()
        assert Decimal(nano) / 10**9 == expected
    finally:
        db.close()


def test_an_unrecognised_semicolon_header_still_lists_its_columns(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Datum;Dienst;Kosten\n01.03.2026;x;1,5\n", encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        FileSource(path)
    assert "Its columns: 'Datum', 'Dienst', 'Kosten'." in refused.value.errors[0].message


def test_a_thousands_shaped_number_is_refused_in_a_tab_file_only(tmp_path):
    # 1,234 in a tab file could be 1.234 (German Excel) or 1234 (a US thousands group): tabs
    # say nothing of the locale, so it is refused with the reason. With ';' it is 1.234.
    text = ("usage_date_utc{0}model{0}token_type{0}cost_usd\n"
            "2026-03-01{0}Claude Haiku 4.5{0}output{0}1,234\n"
            "2026-03-01{0}Claude Haiku 4.5{0}input{0}0,125\n")
    tab, semicolon = tmp_path / "tab.txt", tmp_path / "semicolon.csv"
    tab.write_text(text.format("\t"), encoding="utf-8")
    semicolon.write_text(text.format(";"), encoding="utf-8")
    [(_, ambiguous, _), (_, plain, _)] = list(FileSource(tab))
    assert ambiguous.column == "cost_usd"
    assert ambiguous.message.startswith("'1,234' could be a decimal comma or a thousands")
    assert plain.billed_cost == Decimal("0.125")  # a group never starts with 0
    assert [item.billed_cost for _, item, _ in FileSource(semicolon)] == [
        Decimal("1.234"), Decimal("0.125")]


def test_a_thousands_shaped_number_in_a_canonical_tab_file_is_refused(tmp_path):
    path = tmp_path / "usage.txt"
    path.write_text("timestamp\tvendor\tmodel\tbilled_cost\n"
                    "2026-03-01\topenai\tgpt-4o\t1,234\n"
                    "2026-03-01\topenai\tgpt-4o\t1,5\n", encoding="utf-8")
    [(_, refused, _), (_, read, _)] = list(FileSource(path))
    assert refused.column == "billed_cost" and "'1,234' is not a number" in refused.message
    assert read.billed_cost == Decimal("1.5")
