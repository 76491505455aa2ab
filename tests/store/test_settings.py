"""Settings: plain keys, home currency, report time zone and exchange rates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from meterbook.store import settings
from meterbook.store.database import open_database
from meterbook.store.settings import (
    MissingRate,
    RatesFileError,
    get_setting,
    home_currency,
    import_rates_csv,
    list_rates,
    rates_for,
    report_timezone,
    set_home_currency,
    set_rate,
    set_report_timezone,
    set_setting,
)


@pytest.fixture
def db(store_url):
    with open_database(store_url) as database:
        yield database


def test_settings_round_trip_across_sessions(db):
    with db.session() as session:
        assert get_setting(session, key="colour") is None
        set_setting(session, key="colour", value="blue")
        set_setting(session, key="colour", value="green")
        session.commit()
    with db.session() as session:
        assert get_setting(session, key="colour") == "green"


def test_nothing_is_saved_without_the_callers_commit(db):
    with db.session() as session:
        set_setting(session, key="colour", value="blue")
        set_home_currency(session, code="EUR")
        set_rate(session, currency="GBP", month="2026-03", rate=Decimal("1.2"))
        session.rollback()
    with db.session() as session:
        assert get_setting(session, key="colour") is None
        assert home_currency(session) == "USD"
        assert list_rates(session) == []


def test_home_currency_defaults_to_usd_and_is_upper_cased(db):
    with db.session() as session:
        assert home_currency(session) == "USD"
        assert set_home_currency(session, code=" eur ") == "EUR"
        session.commit()
    with db.session() as session:
        assert home_currency(session) == "EUR"


@pytest.mark.parametrize("code", ["", "EU", "EURO", "US1", "€€€", "12"])
def test_home_currency_must_be_three_letters(db, code):
    with db.session() as session, pytest.raises(ValueError, match="not a currency code"):
        set_home_currency(session, code=code)


def test_report_timezone_is_unset_then_saved_in_its_own_spelling(db):
    with db.session() as session:
        assert report_timezone(session) is None
        assert set_report_timezone(session, name="europe/paris") == "Europe/Paris"
        session.commit()
    with db.session() as session:
        assert report_timezone(session) == "Europe/Paris"
        assert set_report_timezone(session, name="UTC") == "UTC"
        set_report_timezone(session, name=None)
        session.commit()
    with db.session() as session:
        assert report_timezone(session) is None


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "/usr/share/zoneinfo/UTC"])
def test_unknown_time_zone_is_refused(db, name):
    with db.session() as session:
        with pytest.raises(ValueError, match="unknown time zone"):
            set_report_timezone(session, name=name)
        assert report_timezone(session) is None


def test_rates_set_list_and_lookup(db):
    with db.session() as session:
        set_rate(session, currency="eur", month="2026-03", rate=Decimal("1.0850"))
        set_rate(session, currency="GBP", month="2026-01", rate="1.27")
        set_rate(session, currency="EUR", month="2026-01", rate=Decimal("1.09"))
        set_rate(session, currency="EUR", month="2026-01", rate=Decimal("1.10"))  # replaces
        session.commit()
    with db.session() as session:
        assert list_rates(session) == [
            ("EUR", "2026-01", Decimal("1.10")),
            ("EUR", "2026-03", Decimal("1.0850")),
            ("GBP", "2026-01", Decimal("1.27")),
        ]
        # Stored as text: the written form, trailing zeros included, comes back.
        assert str(rates_for(session)[("EUR", "2026-03")]) == "1.0850"
        assert settings.delete_rate(session, currency="GBP", month="2026-01") is True
        assert settings.delete_rate(session, currency="GBP", month="2026-01") is False
        assert set(rates_for(session)) == {("EUR", "2026-01"), ("EUR", "2026-03")}


@pytest.mark.parametrize(
    ("currency", "month", "rate", "message"),
    [
        ("EUR", "2026-3", Decimal(1), "not a month"),
        ("EUR", "2026-13", Decimal(1), "not a month"),
        ("EUR", "March", Decimal(1), "not a month"),
        ("EURO", "2026-03", Decimal(1), "not a currency code"),
        ("EUR", "2026-03", Decimal(0), "more than 0"),
        ("EUR", "2026-03", Decimal("-1.1"), "more than 0"),
        ("EUR", "2026-03", Decimal("NaN"), "not a decimal number"),
        ("EUR", "2026-03", 1.1, "not a decimal number"),  # floats are not exact
        ("EUR", "2026-03", "abc", "not a decimal number"),
    ],
)
def test_bad_rates_are_refused(db, currency, month, rate, message):
    with db.session() as session:
        with pytest.raises(ValueError, match=message):
            set_rate(session, currency=currency, month=month, rate=rate)
        assert list_rates(session) == []


def test_missing_rate_message_says_how_to_fix_it():
    error = MissingRate("EUR", "2026-03")
    assert (error.currency, error.month) == ("EUR", "2026-03")
    assert str(error) == (
        "no exchange rate for EUR in 2026-03 (meterbook rates set EUR 2026-03 RATE)"
    )


def test_import_rates_csv_with_bom_any_header_case_and_order(db, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(
        "\ufeffMonth, Currency ,RATE,note\n"
        "2026-01,eur,1.09,from the bank\n"
        "\n"
        "2026-02,EUR,1.0875,\n"
        "2026-01,GBP,1.27,\n",
        encoding="utf-8",
    )
    with db.session() as session:
        set_rate(session, currency="EUR", month="2026-01", rate=Decimal("9"))
        assert import_rates_csv(session, path=path) == 3
        session.commit()
    with db.session() as session:
        assert list_rates(session) == [
            ("EUR", "2026-01", Decimal("1.09")),
            ("EUR", "2026-02", Decimal("1.0875")),
            ("GBP", "2026-01", Decimal("1.27")),
        ]


def test_import_rates_csv_lists_every_bad_line_and_saves_nothing(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "currency,month,rate\n"
        "EUR,2026-01,1.09\n"
        "EURO,2026-01,1.1\n"
        "GBP,2026-13,0\n"
        "JPY,2026-01\n"
        "EUR,2026-01,1.10\n"
        "CHF,2026-01,1.13\n",
        encoding="utf-8",
    )
    with db.session() as session:
        with pytest.raises(RatesFileError) as e:
            import_rates_csv(session, path=path)
        assert list_rates(session) == []
    lines = str(e.value).splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        f"{path}:3",
        f"{path}:4",
        f"{path}:5",
        f"{path}:6",
    ]
    assert "currency:" in lines[0]
    assert "month:" in lines[1] and "rate:" in lines[1]
    assert "rate: missing" in lines[2]
    assert "already given on line 2" in lines[3]
    assert [line for line, _ in e.value.problems] == [3, 4, 5, 6]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"currency,when,rate\nEUR,2026-01,1.1\n", r":1: the header needs the column\(s\) month"),
        (b"currency,month,rate\nEUR,2026-01,1\xe9\n", "not UTF-8"),
    ],
)
def test_import_rates_csv_refuses_unreadable_files(db, tmp_path, content, message):
    path = tmp_path / "rates.csv"
    path.write_bytes(content)
    with db.session() as session:
        with pytest.raises(RatesFileError, match=message):
            import_rates_csv(session, path=path)
        assert list_rates(session) == []


def test_import_rates_csv_missing_file(db, tmp_path):
    with db.session() as session, pytest.raises(RatesFileError, match="cannot read the file"):
        import_rates_csv(session, path=tmp_path / "nope.csv")
