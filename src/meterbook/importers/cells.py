"""Converting the cells of usage files, with messages for people.

Each converter takes the raw cell and returns the value, or raises Bad with a message that says
what was found and what was expected (the caller adds the file, line and column). Every format
of Meterbook's importers uses these, so a count, a time or an amount is accepted, refused and
explained the same way whatever file it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

MAX_COUNT = 2**53
MAX_UNITS = Decimal(10**12)
MAX_BILLED = Decimal(10**9)
UNIT_PLACES = 6

ZERO = Decimal(0)
UNIT_SCALE = Decimal(10**6)

EXPECT_TIME = (
    "expected an ISO 8601 time like 2026-03-01T12:00:00Z, 2026-03-01 12:00:00 or 2026-03-01"
)
EXPECT_WHOLE = "expected a whole number >= 0"
EXPECT_UNITS = f"expected a decimal number >= 0 with at most {UNIT_PLACES} decimal places"
EXPECT_MONEY = "expected a decimal amount (negative for a credit)"
EXPECT_CURRENCY = "expected a 3-letter ISO 4217 code like USD"
EXPECT_UNIX = "expected a time in unix seconds like 1772323200"

LATEST_UNIX = 253_402_300_799  # 9999-12-31T23:59:59Z
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}

# Cells: the slow, exact path. Each converter takes the raw cell and returns the value or raises
# Bad with a message that says what was found and what was expected.


class Bad(ValueError):
    pass


def show(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def utc(moment: datetime) -> datetime:
    tz = moment.tzinfo
    if tz is UTC:
        return moment
    if tz is None:  # no offset means UTC (usage-data.md)
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def instant(raw: str) -> datetime:
    text = raw.strip()
    if not text:
        raise Bad(f"is empty; {EXPECT_TIME}")
    try:
        return utc(datetime.fromisoformat(text.upper()))
    except ValueError as exc:
        reason = str(exc)
        if reason.startswith("Invalid isoformat"):
            raise Bad(f"{show(raw)} is not a date or time; {EXPECT_TIME}") from None
        # e.g. 2026-02-30: "day is out of range for month"
        raise Bad(f"{show(raw)} is not a valid date or time ({reason}); {EXPECT_TIME}") from None
    except OverflowError:  # year 1 or 9999 shifted out of range by its offset
        raise Bad(f"{show(raw)} is out of the supported range; {EXPECT_TIME}") from None


def required_text(what: str) -> Callable[[str], str]:
    def convert(raw: str) -> str:
        text = raw.strip()
        if not text:
            raise Bad(f"is empty; every line needs a {what}")
        return text.lower() if what == "vendor" else text

    return convert


def text(raw: str) -> str | None:
    return raw.strip() or None


def lower_text(raw: str) -> str | None:
    return raw.strip().lower() or None


def decimal(raw: str, expect: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Bad(f"{show(raw)} is not a number; {expect}") from None
    if not value.is_finite():
        raise Bad(f"{show(raw)} is not a number; {expect}")
    return value


def whole(raw: str, default: int) -> int:
    text = raw.strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        number = decimal(text, EXPECT_WHOLE)
        if number.adjusted() > 17:  # far beyond MAX_COUNT; int() of it could take forever
            value = -1 if number < 0 else MAX_COUNT + 1
        elif number != number.to_integral_value():
            raise Bad(f"{show(raw)} is not a whole number; {EXPECT_WHOLE}") from None
        else:
            value = int(number)
    if value < 0:
        raise Bad(f"{show(raw)} is negative; {EXPECT_WHOLE}")
    if value > MAX_COUNT:
        raise Bad(f"{show(raw)} is absurdly large (above 2**53); {EXPECT_WHOLE}")
    return value


def count(raw: str) -> int:
    """A whole number >= 0; empty is 0 (vendors leave zero counts blank)."""
    return whole(raw, 0)


def required_count(raw: str) -> int:
    if not raw.strip():
        raise Bad(f"is empty; {EXPECT_WHOLE}")
    return whole(raw, 0)


def places(value: Decimal) -> int:
    """Significant decimal places: 1.50 has 1, 2E+3 has 0."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    zeros = 0
    for digit in reversed(digits):
        if digit:
            break
        zeros += 1
    return max(0, -exponent - zeros)


def units(raw: str) -> Decimal:
    text = raw.strip()
    if not text:
        return ZERO
    value = decimal(text, EXPECT_UNITS)
    if value < 0:
        raise Bad(f"{show(raw)} is negative; {EXPECT_UNITS}")
    if value > MAX_UNITS:
        raise Bad(f"{show(raw)} is absurdly large (above 10**12); {EXPECT_UNITS}")
    if places(value) > UNIT_PLACES:
        raise Bad(f"{show(raw)} has more than {UNIT_PLACES} decimal places; {EXPECT_UNITS}")
    return value


def money(raw: str) -> Decimal | None:
    text = raw.strip()
    if not text:
        return None
    value = decimal(text, EXPECT_MONEY)
    if abs(value) > MAX_BILLED:
        raise Bad(f"{show(raw)} is absurdly large (beyond ±10**9); {EXPECT_MONEY}")
    return value


def currency(raw: str) -> str | None:
    code = raw.strip().upper()
    if not code:
        return None
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise Bad(f"{show(raw)} is not a currency code; {EXPECT_CURRENCY}")
    return code


def unix_seconds(raw: str) -> datetime:
    text = raw.strip()
    if not text:
        raise Bad(f"is empty; {EXPECT_UNIX}")
    number = decimal(text, EXPECT_UNIX)
    if number != number.to_integral_value():
        raise Bad(f"{show(raw)} is not a whole number of seconds; {EXPECT_UNIX}")
    if not 0 <= number <= LATEST_UNIX:
        raise Bad(f"{show(raw)} is out of the supported range; {EXPECT_UNIX}")
    return datetime.fromtimestamp(int(number), UTC)


def flag(raw: str) -> bool:
    text = raw.strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise Bad(f"{show(raw)} is not true or false; expected true, false or empty")


# Spreadsheets of decimal-comma locales (a European Excel) save "CSV" with ';' and "Unicode text"
# with tabs, and write numbers and dates as they show them: 0,03 and 12.02.2026. In a file
# separated by ';' or tabs (only: in a comma file a comma inside a number is a thousands
# separator or a mistake) these two forms are read as 0.03 and 2026-02-12; the rewritten text
# then goes through the usual converter. Grouped numbers (1.234,56) stay refused: a spreadsheet's
# General format writes none, and guessing which mark groups would risk a factor of 1000. For
# that reason too, in a tab file (tabs say nothing of the locale, unlike ';') a number shaped
# like a thousands group, 1,234, is refused: it could be 1.234 or 1234.
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d*,\d+\s*")
_GROUPED = re.compile(r"\s*[+-]?[1-9]\d{0,2},\d{3}\s*")
# Day first: every locale that writes dates with dots puts the day first.
_DOTTED_DATE = re.compile(
    r"\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*")


def comma_number(raw: str) -> str:
    """"0,03" -> "0.03"; anything else as it is."""
    return raw.replace(",", ".") if _DECIMAL_COMMA.fullmatch(raw) else raw


def tab_comma_number(raw: str) -> str:
    """comma_number for a tab file: "1,234" is left as it is (and so refused)."""
    return raw if _GROUPED.fullmatch(raw) else comma_number(raw)


def dotted_date(raw: str) -> str:
    """"12.02.2026" -> "2026-02-12", "12.02.2026 13:05" -> "2026-02-12T13:05:00"; anything else
    as it is (an impossible day then gets instant()'s message)."""
    found = _DOTTED_DATE.fullmatch(raw)
    if found is None:
        return raw
    day, month, year, hour, minute, second = found.groups()
    date = f"{year}-{int(month):02}-{int(day):02}"
    if hour is None:
        return date
    return f"{date}T{int(hour):02}:{minute}:{second or '00'}"


SPREADSHEET_FORMS: dict[Callable[[str], object], Callable[[str], str]] = {
    count: comma_number, required_count: comma_number, units: comma_number,
    money: comma_number, instant: dotted_date,
}  # fmt: skip


def spreadsheet_form(form: Callable[[str], str]):
    """Decorates a format's own converter that reads numbers (form=comma_number) or dates
    (form=dotted_date), so that it reads them as a decimal-comma spreadsheet writes them."""
    def register(convert):
        SPREADSHEET_FORMS[convert] = form
        return convert

    return register


def in_spreadsheet(convert: Callable[[str], object], delimiter: str
                   ) -> Callable[[str], object]:
    """`convert` for a cell of a file separated by `delimiter`, ';' or a tab (see
    SPREADSHEET_FORMS)."""
    form = SPREADSHEET_FORMS.get(convert)
    if form is None:
        return convert
    if form is comma_number and delimiter == "\t":
        def read(raw: str) -> object:
            if _GROUPED.fullmatch(raw):
                raise Bad(f"{show(raw)} could be a decimal comma or a thousands separator (a "
                          f"file separated by tabs does not say which); write it without the "
                          f"comma, or save the file with ';' if the comma is decimal")
            return convert(comma_number(raw))

        return read
    return lambda raw: convert(form(raw))
