"""CSV files through a column mapping (importers/mapping.py): delimiters, encodings, decimal
commas, date orders, `--map` arguments, the unrecognised-header message and saved profiles.

The fixtures in tests/data/mapping were written for these tests; expected values are worked out
by hand from them.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from meterbook.core.records import UsageRecord
from meterbook.importers import mapping as mapping_module
from meterbook.importers.canonical import open_text
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.mapping import (
    ColumnMapping,
    as_format,
    check_mapping,
    parse_map_args,
    plain_number,
    read_header,
    read_mapped,
    sniff_delimiter,
)
from meterbook.importers.mapping_guess import guess_mapping, unrecognised_header_message
from meterbook.importers.mapping_profiles import (
    delete_profile,
    list_profiles,
    load_profile,
    save_profile,
)
from meterbook.store.database import open_database

DATA = Path(__file__).resolve().parent.parent / "data" / "mapping"

SIMPLE = ColumnMapping({"Date": "timestamp", "Model": "model", "Tokens In": "input_tokens"},
                       vendor="openai")


def read_file(name: str, mapping: ColumnMapping) -> list[tuple[int, object, list[str]]]:
    with open_text(DATA / name) as text:
        return list(read_mapped(text, name, mapping))


def records(items) -> list[UsageRecord]:
    found = [item for _line, item, _cells in items]
    assert all(isinstance(item, UsageRecord) for item in found), found
    return found


def refusal(run) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        run()
    return caught.value


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- the files ----------------------------------------------------------------------------------


def test_semicolon_latin1_file_with_decimal_commas():
    mapping = ColumnMapping(
        {"Datum": "timestamp", "Modèle": "model", "Entrée": "input_tokens",
         "Sortie": "output_tokens", "Coût": "billed_cost", "Projet": "project"},
        vendor="OpenAI", decimal_comma=True, date_format="DD.MM.YYYY",
    )  # fmt: skip
    items = read_file("semicolon_latin1.csv", mapping)
    assert [line for line, _item, _cells in items] == [2, 3]
    first, second = records(items)
    assert first == UsageRecord(
        timestamp=at(2026, 3, 1, 9, 15), vendor="openai", model="gpt-4o-mini",
        input_tokens=1830, output_tokens=212, project="Équipe A",
        billed_cost=Decimal("0.52"), currency="USD",
    )  # fmt: skip
    assert second.timestamp == at(2026, 3, 13, 18, 0)
    assert (second.input_tokens, second.output_tokens) == (2210, 388)
    assert second.billed_cost == Decimal("1234.56")
    assert items[0][2][5] == "Équipe A"  # the cells as the file holds them


def test_decimal_commas_are_refused_unless_asked_for():
    mapping = ColumnMapping({"Date": "timestamp", "Model": "model", "Cost": "billed_cost"},
                            vendor="acme")
    items = list(read_mapped("Date;Model;Cost\n2026-03-01;m;0,5\n", "eu.csv", mapping))
    assert items == [(2, LineError("eu.csv", 2, "Cost", "'0,5' has a decimal comma; import "
                                   "with --decimal-comma if the file writes numbers like 0,5"),
                      ["2026-03-01", "m", "0,5"])]
    # Auto dates see 01.03 and 13.03 (day first); the token counts 1.830 are not whole numbers.
    latin = ColumnMapping({"Datum": "timestamp", "Modèle": "model", "Entrée": "input_tokens"},
                          vendor="openai")
    errors = [item for _line, item, _cells in read_file("semicolon_latin1.csv", latin)]
    assert errors == [
        LineError("semicolon_latin1.csv", 2, "Entrée", "'1.830' is not a whole number; "
                  "expected a whole number >= 0"),
        LineError("semicolon_latin1.csv", 3, "Entrée", "'2.210' is not a whole number; "
                  "expected a whole number >= 0"),
    ]


def test_tab_file_with_a_vendor_column():
    mapping = ColumnMapping({
        "When": "timestamp", "Provider": "vendor", "Model": "model", "Requests": "requests",
        "Prompt tokens": "input_tokens", "Cached tokens": "cached_input_tokens",
        "Completion tokens": "output_tokens", "Request ID": "request_id",
    })  # fmt: skip
    first, second = records(read_file("tab.tsv", mapping))
    assert first == UsageRecord(
        timestamp=at(2026, 3, 1, 9, 15, 2), vendor="anthropic", model="claude-sonnet-4",
        requests=1, input_tokens=1200, cached_input_tokens=800, output_tokens=150,
        request_id="msg_001",
    )  # fmt: skip
    assert second.timestamp == at(2026, 3, 1, 8, 0)  # 10:00 at +02:00
    assert (second.vendor, second.requests, second.input_tokens) == ("anthropic", 3, 5000)


def test_utf16_excel_unicode_text_with_us_dates_and_am_pm():
    mapping = ColumnMapping({"Date": "timestamp", "Model": "model", "Input": "input_tokens",
                             "Output": "output_tokens", "Cost": "billed_cost",
                             "Team": "project"}, vendor="openai")
    first, second = records(read_file("excel_unicode.txt", mapping))
    # 3/25/2026 can only be month first, so 3/1/2026 is 1 March.
    assert first.timestamp == at(2026, 3, 25, 14, 5, 9)
    assert second.timestamp == at(2026, 3, 1, 9, 0)
    assert first.project == "Recherche & Développement"
    assert (first.input_tokens, first.output_tokens, first.billed_cost) == (
        1000, 500, Decimal("0.0125"))
    assert read_header(DATA / "excel_unicode.txt") == (
        ["Date", "Model", "Input", "Output", "Cost", "Team"], "\t")


def test_month_first_file():
    mapping = ColumnMapping({**SIMPLE.columns, "Tokens Out": "output_tokens",
                             "Amount": "billed_cost"}, vendor="openai")
    first, second, third = records(read_file("mdy.csv", mapping))
    assert first.timestamp == at(2026, 3, 1, 14, 5)
    assert first.billed_cost == Decimal("1234.50")  # "1,234.50": a thousands comma
    assert second.timestamp == at(2026, 3, 25)
    assert third.timestamp == at(2025, 12, 31, 23, 59, 59)
    assert (third.billed_cost, third.currency) == (None, None)


def test_day_first_file():
    first, second = records(read_file("dmy.csv", SIMPLE))
    assert first.timestamp == at(2026, 3, 1)
    assert second.timestamp == at(2026, 3, 25, 8, 30)
    assert (first.vendor, first.model, first.input_tokens) == ("openai", "mistral-large", 100)


def test_ambiguous_dates_are_refused_with_the_way_to_choose():
    refused = refusal(lambda: read_file("ambiguous.csv", SIMPLE))
    assert refused.errors == [LineError(
        "ambiguous.csv", 0, "Date",
        "the dates are ambiguous: '03/01/2026' (line 2) could be MM/DD/YYYY (March 1) or "
        "DD/MM/YYYY (3 January), and no date in the file has a day above 12 to tell; choose "
        "with --date-format MM/DD/YYYY or --date-format DD/MM/YYYY",
    )]
    day_first = ColumnMapping(SIMPLE.columns, vendor="openai", date_format="DD/MM/YYYY")
    assert [r.timestamp for r in records(read_file("ambiguous.csv", day_first))] == [
        at(2026, 1, 3), at(2026, 2, 4), at(2026, 12, 12)]
    month_first = ColumnMapping(SIMPLE.columns, vendor="openai", date_format="mm/dd/yyyy")
    assert [r.timestamp for r in records(read_file("ambiguous.csv", month_first))] == [
        at(2026, 3, 1), at(2026, 4, 2), at(2026, 12, 12)]


def test_conflicting_dates_are_refused():
    refused = refusal(lambda: read_file("conflicting.csv", SIMPLE))
    (error,) = refused.errors
    assert (error.file, error.line, error.column) == ("conflicting.csv", 0, "Date")
    assert error.message.startswith(
        "the dates mix two orders: line 2 has '25/03/2026', which can only be DD/MM/YYYY, and "
        "line 4 has '03/26/2026', which can only be MM/DD/YYYY;")
    # Choosing an order refuses the lines in the other one.
    day_first = ColumnMapping(SIMPLE.columns, vendor="openai", date_format="DD/MM/YYYY")
    items = read_file("conflicting.csv", day_first)
    assert [item.timestamp for _l, item, _c in items[:2]] == [at(2026, 3, 25), at(2026, 1, 3)]
    assert items[2][1] == LineError("conflicting.csv", 4, "Date", "'03/26/2026' is not a valid "
                                    "DD/MM/YYYY date (month must be in 1..12)")


def test_a_later_line_that_contradicts_the_read_ahead_is_refused(monkeypatch):
    monkeypatch.setattr(mapping_module, "DATE_READ_AHEAD", 2)
    text = "Date,Model\n25/03/2026,m\n01/03/2026,m\n03/26/2026,m\n"
    items = list(read_mapped(text, "t.csv", ColumnMapping(
        {"Date": "timestamp", "Model": "model"}, vendor="v")))
    assert [item.timestamp for _l, item, _c in items[:2]] == [at(2026, 3, 25), at(2026, 3, 1)]
    error = items[2][1]
    assert isinstance(error, LineError) and (error.line, error.column) == (4, "Date")
    assert error.message.startswith("'03/26/2026' is not a valid DD/MM/YYYY date (month must "
                                    "be in 1..12), the order the file's first lines use;")


def test_read_ahead_scope_is_named_and_later_undecided_dates_are_refused(monkeypatch):
    monkeypatch.setattr(mapping_module, "DATE_READ_AHEAD", 2)
    mapping = ColumnMapping({"Date": "timestamp", "Model": "model"}, vendor="v")
    refused = refusal(lambda: list(read_mapped("Date,Model\n03/01/2026,m\n02/02/2026,m\n"
                                               "25/12/2026,m\n", "t.csv", mapping)))
    assert "no date in its first 2 lines has a day above 12" in refused.errors[0].message
    # No slash date to decide from: equal parts read the same either way, others are refused.
    items = list(read_mapped("Date,Model\n2026-03-01,m\n04/04/2026,m\n03/04/2026,m\n",
                             "t.csv", mapping))
    assert items[1][1].timestamp == at(2026, 4, 4)
    assert items[2][1].message.startswith("cannot tell whether '03/04/2026' is MM/DD/YYYY or "
                                          "DD/MM/YYYY")


# --- dates, numbers, rows -----------------------------------------------------------------------


def one(text: str, **options) -> UsageRecord | LineError:
    mapping = ColumnMapping({"T": "timestamp", "M": "model", "C": "billed_cost"}, vendor="v",
                            **options)
    (item,) = [item for _l, item, _c in read_mapped(f"T,M,C\n{text}\n", "t.csv", mapping)]
    return item


def test_time_forms():
    assert one("2026-03-01T12:00:00+02:00,m,").timestamp == at(2026, 3, 1, 10)
    assert one("2026-03-01,m,", date_format="MM/DD/YYYY").timestamp == at(2026, 3, 1)
    assert one("13/03/2026 14:05:06.5 Z,m,").timestamp == datetime(2026, 3, 13, 14, 5, 6, 500000,
                                                                   tzinfo=UTC)
    assert one("13-03-2026T14:05+01:00,m,").timestamp == at(2026, 3, 13, 13, 5)
    assert one("3/13/2026 12:30 AM,m,").timestamp == at(2026, 3, 13, 0, 30)
    assert one("1772323200,m,", date_format="unix").timestamp == at(2026, 3, 1)
    assert one("1772323200.25,m,", date_format="unix").timestamp == datetime(
        2026, 3, 1, 0, 0, 0, 250000, tzinfo=UTC)
    assert one("01 Mar 2026 10h00,m,", date_format="%d %b %Y %Hh%M").timestamp == at(
        2026, 3, 1, 10)
    assert one("2026-03-01,m,", date_format="%d %b %Y").timestamp == at(2026, 3, 1)


def test_time_refusals():
    assert one("03/13/2026,m,", date_format="ISO").message == (
        "'03/13/2026' is not ISO 8601 as --date-format ISO says; choose with --date-format "
        "MM/DD/YYYY or --date-format DD/MM/YYYY")
    assert one("1772323200,m,").message.endswith("; for unix seconds use --date-format unix")
    assert one("1772323200000,m,", date_format="unix").message == (
        "'1772323200000' is out of range as unix seconds (it looks like milliseconds)")
    assert one("yesterday,m,", date_format="%d.%m.%Y").message == (
        "'yesterday' does not match the date format '%d.%m.%Y' (nor ISO 8601)")
    assert one("31/02/2026,m,", date_format="DD/MM/YYYY").message == (
        "'31/02/2026' is not a valid DD/MM/YYYY date (day is out of range for month)")
    assert one("yesterday,m,", date_format="DD/MM/YYYY").message == (
        "'yesterday' is not a date or time; expected DD/MM/YYYY or ISO 8601")


@pytest.mark.parametrize(("raw", "comma", "plain"), [
    ("1,234", False, "1234"), ("1,234,567.5", False, "1234567.5"), ("-0.5", False, "-0.5"),
    ("1 234.5", False, "1234.5"), ("0,5", True, "0.5"), ("1.234,56", True, "1234.56"),
    ("1.234", True, "1234"), ("1\u00a0234,5", True, "1234.5"), ("-2,5", True, "-2.5"),
    ("", True, ""), ("12", True, "12"),
])  # fmt: skip
def test_plain_numbers(raw, comma, plain):
    assert plain_number(raw, comma) == plain


@pytest.mark.parametrize(("raw", "comma"), [
    ("0,5", False), ("12,34", False), ("1.234,56", False), ("0.5", True), ("1,234.56", True),
    ("1,2,3", True),
])  # fmt: skip
def test_numbers_written_against_the_convention_are_refused(raw, comma):
    with pytest.raises(mapping_module.cells.Bad):
        plain_number(raw, comma)


def test_number_messages_show_the_cell_as_written():
    assert one("2026-03-01,m,\"1.234,5x\"", decimal_comma=True).message == (
        "'1.234,5x' is not written with a decimal comma (like 1.234,56 or 0,5) as "
        "--decimal-comma says")
    mapping = ColumnMapping({"T": "timestamp", "M": "model", "N": "input_tokens"}, vendor="v",
                            decimal_comma=True)
    (item,) = [i for _l, i, _c in read_mapped("T;M;N\n2026-03-01;m;1,5\n", "t.csv", mapping)]
    assert item.message == "'1,5' is not a whole number; expected a whole number >= 0"


def test_vendor_cell_wins_and_the_given_vendor_fills_blanks():
    text = "T,V,M\n2026-03-01,Acme,m\n2026-03-01,,m\n"
    both = ColumnMapping({"T": "timestamp", "V": "vendor", "M": "model"}, vendor="Other")
    assert [r.vendor for r in records(read_mapped(text, "t.csv", both))] == ["acme", "other"]
    column_only = ColumnMapping({"T": "timestamp", "V": "vendor", "M": "model"})
    items = list(read_mapped(text, "t.csv", column_only))
    assert items[1][1] == LineError("t.csv", 3, "V", "is empty; every line needs a vendor (or "
                                    "give --vendor for the whole file)")


def test_rows_of_the_wrong_width_and_bad_bytes_are_refused():
    text = "T,M,C\n2026-03-01,m,1\n2026-03-01,m,0,5\n2026-03-01,m,2,,\n2026-03-01,m\n" \
           "2026-03-01,m\x00,1\n"
    items = list(read_mapped(text, "t.csv", ColumnMapping(
        {"T": "timestamp", "M": "model", "C": "billed_cost"}, vendor="v")))
    assert [item.billed_cost for _l, item, _c in items[:1]] == [Decimal(1)]
    assert [(line, getattr(item, "message", None)) for line, item, _c in items[1:]] == [
        (3, "has 4 cells; expected 3 like the header"),
        (4, None),  # trailing empty cells are harmless
        (5, "has 2 cells; expected 3 like the header"),
        (6, "contains a NUL byte"),
    ]


def test_whole_file_refusals():
    refused = refusal(lambda: list(read_mapped("", "e.csv", SIMPLE)))
    assert refused.errors == [LineError("e.csv", 0, None, "the file is empty")]
    refused = refusal(lambda: list(read_mapped("Date,Model\n2026-03-01,m\n", "t.csv", SIMPLE)))
    assert refused.errors == [LineError(
        "t.csv", 1, None, "the file has no column 'Tokens In'; its columns are 'Date', 'Model'")]
    assert list(read_mapped("date,MODEL,tokens in\n", "t.csv", SIMPLE)) == []  # any case


def test_delimiter_given_by_the_mapping():
    mapping = ColumnMapping({"a;b": "model", "T": "timestamp"}, vendor="v", delimiter="comma")
    (record,) = records(read_mapped("a;b,T\nx;y,2026-03-01\n", "t.csv", mapping))
    assert record.model == "x;y"
    assert ColumnMapping({}, delimiter="tab").delimiter == "\t"
    with pytest.raises(ValueError, match="is not a delimiter"):
        ColumnMapping({}, delimiter="ab")


def test_as_format():
    fmt = as_format(SIMPLE, "my-csv")
    assert (fmt.profile, fmt.kind, fmt.recognise(["date"])) == ("my-csv", "csv", False)
    (record,) = records(fmt.read(io.StringIO("Date,Model,Tokens In\n2026-03-01,m,5\n",
                                             newline=""), "t.csv"))
    assert record.input_tokens == 5


# --- sniffing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("sample", "delimiter"), [
    ("a,b,c\n1,2,3\n", ","),
    ("a;b;c\n1,5;2;3,25\n", ";"),  # decimal commas do not fool it
    ("a\tb\tc\n1,5\t2\t3\n", "\t"),
    ('a;"b,c";d\n1;"2,3";4\n', ";"),
    ("a;b,c\n1;2,3\n", ","),  # a tie: comma
    ("date;model, version;cost\n01.03.2026;x;0,5\n", ";"),  # more columns win a tie
    ("single\nx\n", ","),
    ("", ","),
    ("a;b;c\n1;2;3\n4;5", ";"),  # an unfinished last line is left out
])  # fmt: skip
def test_sniff_delimiter(sample, delimiter):
    assert sniff_delimiter(sample) == delimiter


# --- the mapping and --map ----------------------------------------------------------------------


def test_parse_map_args():
    header = ["Created At", "Model", "Tokens=In"]
    assert parse_map_args(["created at=timestamp", " Model = MODEL ", "Tokens=In=input_tokens"],
                          header) == {"Created At": "timestamp", "Model": "model",
                                      "Tokens=In": "input_tokens"}
    assert parse_map_args(["Anything=model"], None) == {"Anything": "model"}


def test_parse_map_args_errors():
    header = ["Created At", "Model"]
    with pytest.raises(ValueError) as caught:
        parse_map_args(["Created At=time", "Price=billed_cost", "Model", "timestamp=Created At",
                        "Created At=timestamp", "Model=timestamp", "Created At=model"], header)
    fields = ("timestamp, vendor, model, requests, input_tokens, cached_input_tokens, "
              "cache_write_tokens, output_tokens, units, unit_name, request_id, "
              "conversation_id, project, user, api_key, service_tier, billed_cost, currency")
    assert str(caught.value).splitlines() == [
        f"--map 'Created At=time': 'time' is not a field; the fields are {fields}",
        "--map 'Price=billed_cost': the file has no column 'Price'; its columns are "
        "'Created At', 'Model'",
        "--map 'Model': expected COLUMN=FIELD, like --map \"Created At=timestamp\"",
        "--map 'timestamp=Created At': the column comes first: --map \"Created At=timestamp\"",
        "--map 'Model=timestamp': timestamp is already mapped from 'Created At'; one field "
        "takes one column",
        "--map 'Created At=model': the column 'Created At' is already mapped to timestamp",
    ]
    with pytest.raises(ValueError, match="2 columns named 'x'"):
        parse_map_args(["x=model"], ["x ", "X", "x"])


def test_column_mapping_validation_and_json():
    mapping = ColumnMapping({" Date ": "TIMESTAMP", "Modèle": "model"}, vendor=" Acme ",
                            decimal_comma=True, date_format="dd.mm.yyyy", delimiter=";")
    assert mapping.columns == {"Date": "timestamp", "Modèle": "model"}
    assert (mapping.vendor, mapping.date_format) == ("acme", "DD/MM/YYYY")
    assert ColumnMapping.from_json(mapping.to_json()) == mapping
    assert ColumnMapping({}, vendor="  ").vendor is None
    with pytest.raises(ValueError, match="'cost' is not a field"):
        ColumnMapping({"Cost": "cost"})
    with pytest.raises(ValueError, match="mapped from both 'A' and 'B'"):
        ColumnMapping({"A": "model", "B": "model"})
    with pytest.raises(ValueError, match="is not a date format"):
        ColumnMapping({}, date_format="YYYY/DD/MM")
    with pytest.raises(ValueError, match="not valid JSON"):
        ColumnMapping.from_json("{")
    with pytest.raises(ValueError, match="lacks its columns"):
        ColumnMapping.from_json("[]")


def test_the_files_currency_is_kept_and_checked():
    mapping = ColumnMapping({"Datum": "timestamp", "Dienst": "model", "Kosten": "billed_cost"},
                            vendor="deepl", decimal_comma=True, currency=" eur ")
    assert mapping.currency == "EUR"
    assert ColumnMapping.from_json(mapping.to_json()) == mapping
    with pytest.raises(ValueError, match="not a currency code"):
        ColumnMapping({}, currency="euro")
    with pytest.raises(ValueError, match="not a currency code"):
        ColumnMapping.from_json('{"columns": {}, "currency": 5}')
    text = "Datum;Dienst;Kosten;Währung\n03.02.2026;x;1,50;\n04.02.2026;x;2,00;GBP\n"
    with_column = ColumnMapping({**mapping.columns, "Währung": "currency"}, vendor="deepl",
                                decimal_comma=True, date_format="DD/MM/YYYY", currency="EUR")
    got = records(read_mapped(text, "shop.csv", with_column))
    # A blank cell takes the file's currency; a cell that names one wins.
    assert [(r.billed_cost, r.currency) for r in got] == [(Decimal("1.50"), "EUR"),
                                                          (Decimal("2.00"), "GBP")]
    without = ColumnMapping(mapping.columns, vendor="deepl", decimal_comma=True,
                            date_format="DD/MM/YYYY")
    assert records(read_mapped(text, "shop.csv", without))[0].currency == "USD"  # as before


def test_check_mapping():
    assert check_mapping(SIMPLE, ["Date", "Model", "Tokens In"]) == []
    assert check_mapping(ColumnMapping({"Tokens": "input_tokens"}), ["Date"]) == [
        'no column is mapped to timestamp: add --map "COLUMN=timestamp"',
        'no column is mapped to model: add --map "COLUMN=model"',
        'no vendor: give --vendor NAME for the whole file, or map a column with --map '
        '"COLUMN=vendor"',
        "the file has no column 'Tokens'; its columns are 'Date'",
    ]


# --- unrecognised headers -----------------------------------------------------------------------


def test_unrecognised_header_message():
    message = unrecognised_header_message(
        "march usage.csv", ["\ufeffCreated At", "Model", "Prompt Tokens", "Tokens Out",
                            "Total Tokens", "Amount", "Notes"])
    assert message.splitlines()[:4] == [
        "march usage.csv: the header is not one Meterbook recognises.",
        "Its columns: 'Created At', 'Model', 'Prompt Tokens', 'Tokens Out', 'Total Tokens', "
        "'Amount', 'Notes'.",
        "Map the columns to fields with --map COLUMN=FIELD, for example (guessed from the "
        "names: check them):",
        '  meterbook import "march usage.csv" --map "Created At=timestamp" --map "Model=model" '
        '--map "Prompt Tokens=input_tokens" --map "Tokens Out=output_tokens" '
        '--map "Amount=billed_cost" --vendor VENDOR',
    ]
    assert "--save-profile NAME" in message and "--decimal-comma" in message


def test_unrecognised_header_without_guesses_and_read_with_the_wrong_delimiter():
    message = unrecognised_header_message("x.csv", ["Spalte A;Spalte B"])
    assert "Its columns: 'Spalte A', 'Spalte B'." in message
    assert ('  meterbook import x.csv --map "COLUMN=timestamp" --map "COLUMN=model" '
            "--vendor VENDOR") in message


def test_guess_mapping():
    assert guess_mapping(["usage_date_utc", "model_version", "usage_input_tokens_no_cache",
                          "usage_input_tokens_cache_write_5m", "usage_input_tokens_cache_read",
                          "usage_output_tokens", "amount_currency", "amount_value"]) == {
        "usage_date_utc": "timestamp", "model_version": "model",
        "usage_input_tokens_no_cache": "input_tokens",
        "usage_input_tokens_cache_write_5m": "cache_write_tokens",
        "usage_input_tokens_cache_read": "cached_input_tokens",
        "usage_output_tokens": "output_tokens", "amount_currency": "currency",
        "amount_value": "billed_cost",
    }  # fmt: skip
    assert guess_mapping(["end_time", "start_time", "vendor"]) == {
        "start_time": "timestamp", "vendor": "vendor"}


@pytest.mark.parametrize("header, expected", [
    # German, as a shop's export writes it: "Anfragen" are requests, the service is the model.
    (["Datum", "Dienst", "Anfragen", "Kosten"],
     ["timestamp", "model", "requests", "billed_cost"]),
    (["Fecha", "Servicio", "Solicitudes", "Importe", "Moneda"],
     ["timestamp", "model", "requests", "billed_cost", "currency"]),
    (["Date", "Modèle", "Requêtes", "Montant"], ["timestamp", "model", "requests", "billed_cost"]),
    (["Data", "Modello", "Richieste", "Token di ingresso", "Token di uscita", "Costo"],
     ["timestamp", "model", "requests", "input_tokens", "output_tokens", "billed_cost"]),
    (["Datum", "Modell", "Eingabe-Tokens", "Ausgabe-Tokens", "Anbieter", "Projekt", "Benutzer"],
     ["timestamp", "model", "input_tokens", "output_tokens", "vendor", "project", "user"]),
    # A model column wins over the service; the service tier is not a model.
    (["date", "service", "model", "service_tier"], ["timestamp", "", "model", "service_tier"]),
])
def test_guess_mapping_in_other_languages(header, expected):
    guessed = guess_mapping(header)
    assert [guessed.get(column, "") for column in header] == expected


# --- saved profiles -----------------------------------------------------------------------------


def test_profiles_round_trip(tmp_path):
    db = open_database(str(tmp_path / "t.db"))
    try:
        first = ColumnMapping({"Date": "timestamp", "Model": "model"}, vendor="acme",
                              decimal_comma=True, date_format="%d.%m.%Y", delimiter=";")
        with db.session() as session:
            save_profile(session, " acme-eu ", first, now=at(2026, 3, 1))
            assert load_profile(session, "acme-eu") == first  # seen before the commit
            session.commit()
        with db.engine.connect() as conn:
            assert load_profile(conn, "acme-eu") == first
            assert load_profile(conn, "nope") is None
            created = conn.exec_driver_sql("SELECT created_us FROM mapping_profile").scalar()
            assert created == 1_772_323_200 * 1_000_000
        second = ColumnMapping({"When": "timestamp", "Model": "model", "Who": "vendor"})
        with db.session() as session:
            save_profile(session, "acme-eu", second)  # replaces
            save_profile(session, "b", first)
            session.commit()
            assert list_profiles(session) == ["acme-eu", "b"]
            assert load_profile(session, "acme-eu") == second
            assert delete_profile(session, "b") is True
            assert delete_profile(session, "b") is False
            session.commit()
        with db.engine.connect() as conn:
            assert list_profiles(conn) == ["acme-eu"]
    finally:
        db.close()


def test_profile_names_and_mappings_are_checked(tmp_path):
    db = open_database(str(tmp_path / "t.db"))
    try:
        with db.session() as session:
            for name in ("canonical", "Canonical", "  "):
                with pytest.raises(ValueError):
                    save_profile(session, name, SIMPLE)
            with pytest.raises(ValueError, match="no vendor"):
                save_profile(session, "x", ColumnMapping({"D": "timestamp", "M": "model"}))
            assert list_profiles(session) == []
    finally:
        db.close()
