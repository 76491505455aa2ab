"""The column-mapping dialog's model (importers/mapping_form.py), without a toolkit: what a
dropped file is, what the form guesses for a German-style file, and that the mapping it makes
keeps every choice, so that next month's file is read the same way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from meterbook.importers.mapping import ColumnMapping
from meterbook.importers.mapping_form import (
    MappingForm,
    guess_currency,
    inspect_file,
    saved_profiles,
)  # fmt: skip
from meterbook.importers.mapping_profiles import save_profile
from meterbook.importers.pipeline import import_files
from meterbook.store.database import open_database

# A shop's export as a German Excel writes it: semicolons, decimal commas, day-first dates.
# Only 28.02.2026 has a day above 12, which tells the order.
SHOP = ("Datum;Dienst;Anfragen;Kosten\n"
        "03.02.2026;translate-pro;12;1,50\n"
        "28.02.2026;translate-pro;3;0,25\n")
# Next month's: every day is 12 or less, so the dates alone cannot tell the order.
SHOP_MARCH = ("Datum;Dienst;Anfragen;Kosten\n"
              "02.03.2026;translate-pro;4;0,40\n"
              "11.03.2026;translate-pro;1;0,10\n")


@pytest.fixture
def db(store_url):
    with open_database(store_url) as database:
        yield database


def shop_form(db, tmp_path, text: str = SHOP, name: str = "shop_2026-02.csv",
              home: str = "EUR") -> MappingForm:
    path = tmp_path / name
    path.write_text(text, encoding="latin-1")
    info = inspect_file(db, str(path))
    assert info.needs_mapping and not info.errors
    return MappingForm([info.name], info.header, info.sample, saved_profiles(db), home)


def stored(db) -> list[tuple]:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("""
            SELECT r.timestamp_us, m.model, r.requests, r.billed_nano, r.currency
            FROM usage_record r JOIN meter m ON m.id = r.meter_id ORDER BY r.id""").fetchall()


def day_us(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp()) * 1_000_000


def test_a_german_file_is_guessed_whole(db, tmp_path):
    form = shop_form(db, tmp_path)
    assert form.header == ["Datum", "Dienst", "Anfragen", "Kosten"]
    assert [form.field_of(c) for c in form.header] == [
        "timestamp", "model", "requests", "billed_cost"]  # "Anfragen" are requests
    assert form.decimal_comma  # 1,50
    assert form.currency == "EUR"  # nothing in the file names one: the home currency
    assert form.found_date_order() == "DD/MM/YYYY"  # 28.02 can only be day first
    assert form.decide_text() == "Decide from the dates (day first here)"
    assert form.examples("Kosten") == ["1,50", "0,25"]
    assert form.save_name == "shop"  # the file's name less its date
    assert form.problems() == ["Choose a vendor column, or type the vendor of every line."]
    form.vendor = "deepl"
    assert form.problems() == []


def test_the_mapping_writes_down_every_choice(db, tmp_path):
    form = shop_form(db, tmp_path)
    form.vendor = "deepl"
    assert form.date_format is None  # "decide from the dates"...
    mapping = form.mapping()
    assert mapping == ColumnMapping(
        {"Datum": "timestamp", "Dienst": "model", "Anfragen": "requests",
         "Kosten": "billed_cost"},
        vendor="deepl", decimal_comma=True, date_format="DD/MM/YYYY",  # ...as decided
        currency="EUR")
    assert ColumnMapping.from_json(mapping.to_json()) == mapping  # saved whole


def test_costs_in_euros_are_stored_as_euros_and_next_months_file_reads_the_same(db, tmp_path):
    form = shop_form(db, tmp_path)
    form.vendor = "deepl"
    path = tmp_path / "shop_2026-02.csv"
    import_files(db, [path], mapping=form.mapping(), profile="shop")
    with db.session() as session:
        save_profile(session, "shop", form.mapping())
        session.commit()
    # 1,50 EUR is 1_500_000_000 nano-euros; 12 requests on the line, not one.
    assert stored(db) == [(day_us(2026, 2, 3), "translate-pro", 12, 1_500_000_000, "EUR"),
                          (day_us(2026, 2, 28), "translate-pro", 3, 250_000_000, "EUR")]

    # March: days all <= 12. The saved mapping is offered and reads 02.03 as March 2nd.
    march = shop_form(db, tmp_path, SHOP_MARCH, "shop_2026-03.csv", home="USD")
    assert march.profile == "shop" and march.problems() == []
    assert march.currency == "EUR" and march.date_format == "DD/MM/YYYY"
    import_files(db, [tmp_path / "shop_2026-03.csv"], mapping=march.mapping(), profile="shop")
    assert stored(db)[2:] == [(day_us(2026, 3, 2), "translate-pro", 4, 400_000_000, "EUR"),
                              (day_us(2026, 3, 11), "translate-pro", 1, 100_000_000, "EUR")]


def test_ambiguous_dates_are_asked_in_the_form_not_refused_later(db, tmp_path):
    form = shop_form(db, tmp_path, SHOP_MARCH, "shop_2026-03.csv")  # no profile saved
    form.vendor = "deepl"
    assert form.found_date_order() == "ambiguous"
    assert form.decide_text() == "Decide from the dates (they do not tell here)"
    [problem] = form.problems()
    assert "month first or day first" in problem
    form.date_format = "DD/MM/YYYY"
    assert form.problems() == []


def test_picking_a_field_frees_the_column_that_had_it(db, tmp_path):
    form = shop_form(db, tmp_path)
    form.pick("Kosten", "requests")
    assert form.field_of("Kosten") == "requests" and form.field_of("Anfragen") == ""
    form.pick("Kosten", "")
    assert form.field_of("Kosten") == ""
    with pytest.raises(ValueError):
        form.pick("Kosten", "price")


def test_a_start_mapping_wins_over_the_guess_and_the_profiles(db, tmp_path):
    earlier = ColumnMapping({"Datum": "timestamp", "Dienst": "model", "Kosten": "billed_cost"},
                            vendor="deepl", decimal_comma=False, date_format="ISO",
                            currency="GBP")
    path = tmp_path / "shop.csv"
    path.write_text(SHOP, encoding="latin-1")
    info = inspect_file(db, str(path))
    form = MappingForm([info.name], info.header, info.sample, {}, "USD", start=earlier)
    assert form.mapping() == earlier  # the refused import's choices, to be corrected


def test_the_currency_is_checked_and_guessed_from_the_file():
    assert guess_currency(["Date", "Kosten (EUR)"]) == "EUR"
    assert guess_currency(["Date", "Cost", "1,50 €"]) == "EUR"
    assert guess_currency(["Date", "Cost", "0.25"]) is None
    form = MappingForm(["x.csv"], ["Date", "Model", "Cost £"], [["2026-03-01", "m", "1"]])
    assert form.currency == "GBP"
    form.vendor, form.currency = "acme", "euro"
    assert form.problems() == ["The currency 'euro' is not a three-letter code like USD or EUR."]


def test_what_a_file_is(db, tmp_path):
    known = tmp_path / "usage.csv"
    known.write_text("timestamp,vendor,model\n2026-03-01T00:00:00Z,openai,gpt-4o\n",
                     encoding="utf-8")
    info = inspect_file(db, str(known))
    assert (info.title, info.needs_mapping, info.mappable) == ("Meterbook usage CSV", False, True)
    odd = tmp_path / "notes.json"
    odd.write_text('{"hello": "world"}', encoding="utf-8")
    info = inspect_file(db, str(odd))
    assert info.errors and not info.needs_mapping and not info.mappable
    info = inspect_file(db, str(tmp_path / "gone.csv"))
    assert "cannot be read" in info.errors[0].message


def test_a_billed_cost_without_a_currency_is_usd_as_before():
    # A profile saved before the currency existed loads as USD, as it was imported then.
    old = ColumnMapping.from_json('{"columns": {"d": "timestamp", "m": "model"}, '
                                  '"vendor": "acme"}')
    assert old.currency is None
    form = MappingForm(["x.csv"], ["d", "m"], [], {"old": old})
    assert form.profile == "old" and form.currency == "USD"
