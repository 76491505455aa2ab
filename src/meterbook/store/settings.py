"""Settings saved in the database: home currency, report time zone and exchange rates.

Every function takes the session first and the rest by keyword. None of them commits: the
caller (the one writer) decides when the work is complete, so that, say, a rates import and the
re-pricing it causes are saved together.
"""

from __future__ import annotations

import csv
import re
import zoneinfo
from decimal import Decimal
from functools import cache
from pathlib import Path

from sqlmodel import Session, select

from meterbook.core.cost import MissingRate  # noqa: F401  (raised for settings' rates)
from meterbook.core.money import parse_decimal
from meterbook.store import readers
from meterbook.store.errors import RatesFileError
from meterbook.store.readers import HOME_CURRENCY_KEY, REPORT_TIMEZONE_KEY
from meterbook.store.tables import ExchangeRate, Setting

_CURRENCY = re.compile(r"[A-Za-z]{3}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_RATES_COLUMNS = ("currency", "month", "rate")


# --- plain settings ---------------------------------------------------------------------------


def get_setting(session: Session, *, key: str) -> str | None:
    row = session.get(Setting, key)
    return None if row is None else row.value


def set_setting(session: Session, *, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
        session.add(row)


def delete_setting(session: Session, *, key: str) -> None:
    row = session.get(Setting, key)
    if row is not None:
        session.delete(row)
        session.flush()  # or session.get() would still find it


# --- home currency and report time zone ---------------------------------------------------------


def normalize_currency(code: str) -> str:
    """A three-letter currency code, upper-cased; ValueError for anything else."""
    text = code.strip() if isinstance(code, str) else ""
    if not _CURRENCY.fullmatch(text):
        raise ValueError(
            f"{code!r} is not a currency code: use the three-letter ISO 4217 code, such as "
            f"USD or EUR"
        )
    return text.upper()


def home_currency(session: Session) -> str:
    """The currency totals are shown in; USD until set."""
    session.flush()
    return readers.home_currency(session.connection())


def set_home_currency(session: Session, *, code: str) -> str:
    """Save the home currency and return it as saved (upper-case)."""
    code = normalize_currency(code)
    set_setting(session, key=HOME_CURRENCY_KEY, value=code)
    return code


def report_timezone(session: Session) -> str | None:
    """The saved report time zone; None when unset (the caller falls back to the computer's)."""
    session.flush()
    return readers.report_timezone(session.connection())


def set_report_timezone(session: Session, *, name: str | None) -> str | None:
    """Save the report time zone (an IANA name such as Europe/Paris); None removes it.

    Returns the name as saved: the database's own spelling, so that "europe/paris" typed on a
    computer with a case-insensitive disk is still found on one without.
    """
    if name is None:
        delete_setting(session, key=REPORT_TIMEZONE_KEY)
        return None
    canonical = canonical_timezone(name)
    set_setting(session, key=REPORT_TIMEZONE_KEY, value=canonical)
    return canonical


# --- the report's paper and company name ---------------------------------------------------------

COMPANY_KEY = "company_name"
PAPER_KEY = "paper_size"
PAPERS = ("a4", "letter")
# Countries that print on US Letter (the rest of the world uses A4), by locale region.
_LETTER_REGIONS = ("US", "CA", "MX", "PH")
_COMPANY_MAX = 120


def default_paper(locale_name: str | None = None) -> str:
    """"letter" for a US, Canadian, Mexican or Philippine locale ("en_US.UTF-8", "fr_CA"),
    "a4" otherwise; `locale_name` defaults to this computer's paper locale (LC_PAPER, LC_ALL,
    LANG)."""
    if locale_name is None:
        import os

        locale_name = next((os.environ[k] for k in ("LC_ALL", "LC_PAPER", "LANG")
                            if os.environ.get(k)), "")
    region = re.split(r"[._@]", locale_name.replace("-", "_") + "_")[1:2]
    return "letter" if region and region[0].upper() in _LETTER_REGIONS else "a4"


def normalize_paper(paper: str) -> str:
    text = paper.strip().lower() if isinstance(paper, str) else ""
    if text not in PAPERS:
        raise ValueError(f"{paper!r} is not a paper size: use a4 or letter")
    return text


def paper_size(conn) -> str:
    """The report's paper, "a4" or "letter": the saved one, else the locale's."""
    return readers.get_setting(conn, PAPER_KEY) or default_paper()


def set_paper_size(session: Session, *, paper: str) -> str:
    paper = normalize_paper(paper)
    set_setting(session, key=PAPER_KEY, value=paper)
    return paper


def company_name(conn) -> str | None:
    """The company name printed on reports; None when unset."""
    return readers.get_setting(conn, COMPANY_KEY)


def set_company_name(session: Session, *, name: str) -> str | None:
    """Save the company name (spaces around it trimmed); an empty name removes it."""
    text = " ".join(name.split()) if isinstance(name, str) else ""
    if len(text) > _COMPANY_MAX:
        raise ValueError(f"the company name is {len(text)} characters long; keep it to "
                         f"{_COMPANY_MAX}")
    if not text:
        delete_setting(session, key=COMPANY_KEY)
        return None
    set_setting(session, key=COMPANY_KEY, value=text)
    return text


def canonical_timezone(name: str) -> str:
    """The IANA spelling of a time zone name, matched case-insensitively; ValueError if unknown."""
    text = name.strip() if isinstance(name, str) else ""
    canonical = _timezone_names().get(text.lower())
    if canonical is None:
        raise ValueError(f"unknown time zone {name!r}")
    return canonical


@cache
def _timezone_names() -> dict[str, str]:
    names = {name.lower(): name for name in zoneinfo.available_timezones()}
    # available_timezones() leaves out "UTC" on some systems although ZoneInfo accepts it.
    names.setdefault("utc", "UTC")
    return names


# --- exchange rates ---------------------------------------------------------------------------


def normalize_month(month: str) -> str:
    """A month as YYYY-MM; ValueError for anything else."""
    text = month.strip() if isinstance(month, str) else ""
    m = _MONTH.fullmatch(text)
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) == 0:
        raise ValueError(f"{month!r} is not a month: write it as YYYY-MM, such as 2026-03")
    return text


def normalize_rate(rate: Decimal | str) -> Decimal:
    """A positive decimal rate; ValueError otherwise. Floats are refused: they are not exact."""
    if isinstance(rate, str):
        value = parse_decimal(rate)
    elif isinstance(rate, Decimal) and rate.is_finite():
        value = rate
    else:
        raise ValueError(f"{rate!r} is not a decimal number")
    if value <= 0:
        raise ValueError(f"the rate must be more than 0, not {rate}")
    return value


def set_rate(session: Session, *, currency: str, month: str, rate: Decimal | str) -> None:
    """Save what one unit of `currency` was worth in the home currency during `month`."""
    _put_rate(session, normalize_currency(currency), normalize_month(month), normalize_rate(rate))


def delete_rate(session: Session, *, currency: str, month: str) -> bool:
    """Remove a saved rate; False if there was none."""
    row = session.get(ExchangeRate, (normalize_currency(currency), normalize_month(month)))
    if row is None:
        return False
    session.delete(row)
    session.flush()  # or session.get() would still find it
    return True


def list_rates(session: Session) -> list[tuple[str, str, Decimal]]:
    """Every saved rate as (currency, month, rate), sorted by currency then month."""
    rows = session.exec(select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.month))
    return [(row.currency, row.month, Decimal(row.rate)) for row in rows]


def rates_for(session: Session) -> dict[tuple[str, str], Decimal]:
    """Every saved rate keyed by (currency, month), for converting many figures at once."""
    return {(currency, month): rate for currency, month, rate in list_rates(session)}


def import_rates_csv(session: Session, *, path: str | Path) -> int:
    """Save every rate of a CSV file with columns currency, month, rate; return how many.

    All or nothing: if any line is wrong, RatesFileError lists every problem and nothing is
    saved. The header is matched case-insensitively, in any order; other columns are ignored.
    A rate already saved for the same currency and month is replaced.
    """
    path = Path(path)
    rates, problems = _read_rates(path)
    if problems:
        raise RatesFileError(str(path), problems)
    for (currency, month), rate in rates.items():
        _put_rate(session, currency, month, rate)
    return len(rates)


def _put_rate(session: Session, currency: str, month: str, rate: Decimal) -> None:
    row = session.get(ExchangeRate, (currency, month))
    if row is None:
        session.add(ExchangeRate(currency=currency, month=month, rate=str(rate)))
    else:
        row.rate = str(rate)
        session.add(row)


def _read_rates(
    path: Path,
) -> tuple[dict[tuple[str, str], Decimal], list[tuple[int | None, str]]]:
    problems: list[tuple[int | None, str]] = []
    rates: dict[tuple[str, str], Decimal] = {}
    first_line: dict[tuple[str, str], int] = {}
    try:
        # utf-8-sig drops the byte-order mark spreadsheet programs put at the start.
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                return rates, [(None, "the file is empty; it needs the header currency,month,rate")]
            columns = [name.strip().lower() for name in header]
            missing = [name for name in _RATES_COLUMNS if name not in columns]
            if missing:
                return rates, [(1, f"the header needs the column(s) {', '.join(missing)}")]
            where = {name: columns.index(name) for name in _RATES_COLUMNS}
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                try:
                    key, rate = _parse_rate_row(row, where)
                except ValueError as exc:
                    problems.append((line, str(exc)))
                    continue
                if key in first_line:
                    problems.append(
                        (line, f"{key[0]} {key[1]} is already given on line {first_line[key]}")
                    )
                    continue
                first_line[key] = line
                rates[key] = rate
    except UnicodeDecodeError:
        problems.append((None, "the file is not UTF-8 text; save it as CSV UTF-8"))
    except OSError as exc:
        problems.append((None, f"cannot read the file: {exc.strerror or exc}"))
    except csv.Error as exc:
        problems.append((None, f"not a readable CSV file: {exc}"))
    return rates, problems


def _parse_rate_row(row: list[str], where: dict[str, int]) -> tuple[tuple[str, str], Decimal]:
    """One data line -> ((currency, month), rate); ValueError naming every bad cell."""
    parsers = {"currency": normalize_currency, "month": normalize_month, "rate": normalize_rate}
    values = {}
    errors = []
    for name, parse in parsers.items():
        index = where[name]
        text = row[index].strip() if index < len(row) else ""
        if not text:
            errors.append(f"{name}: missing")
            continue
        try:
            values[name] = parse(text)
        except ValueError as exc:
            errors.append(f"{name}: {exc}")
    if errors:
        raise ValueError("; ".join(errors))
    return (values["currency"], values["month"]), values["rate"]
