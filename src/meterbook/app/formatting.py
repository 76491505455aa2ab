"""Numbers and money for people, in the user's locale: Decimal in, text out (never a float)."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QLocale, QTime
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from meterbook.core.cost import missing_rates_text as describe_missing_rates
from meterbook.core.periods import parse_month
from meterbook.core.records import from_epoch_us
from meterbook.store.conversations import BILLED

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "CHF": "CHF "}


def _localise(text: str) -> str:
    """'1,234.56' written with the locale's group and decimal separators."""
    locale = QLocale()
    group, point = locale.groupSeparator(), locale.decimalPoint()
    return text.replace(",", "\0").replace(".", point).replace("\0", group)


def money(amount: Decimal, currency: str, places: int = 2) -> str:
    sign = "-" if amount < 0 else ""
    number = _localise(f"{abs(amount):,.{places}f}")
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"


def count(value: int) -> str:
    return _localise(f"{value:,}")


def file_size(n: int) -> str:
    """A size in bytes for people (KB and MB of 1024)."""
    size = float(n)  # display only: sizes are not money
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


# --- colours, times and words shared by the pages ------------------------------------------


def warning_color(palette: QPalette | None = None) -> QColor:
    """Amber that stays readable on the current palette's background, light or dark."""
    palette = palette or QGuiApplication.palette()
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor("#fbbf24" if dark else "#b45309")


def muted_color(palette: QPalette | None = None) -> QColor:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.PlaceholderText)


def when_text(ts_us: int, tz: ZoneInfo) -> str:
    """An instant as local time in the report zone, in the user's short date-time format."""
    local = from_epoch_us(ts_us).astimezone(tz)
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return f"{local:%Y-%m-%d %H:%M}"  # the C locale's own format reads "2 04 2026"
    moment = QDateTime(QDate(local.year, local.month, local.day),
                       QTime(local.hour, local.minute, local.second))
    return locale.toString(moment, QLocale.FormatType.ShortFormat)


def month_title(label: str) -> str:
    """'2026-04' -> 'April 2026' in the user's language."""
    year, month = parse_month(label)
    return f"{QLocale().standaloneMonthName(month)} {year}"


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 request', '2,000 requests' (English only, as is the rest of the interface)."""
    return f"{count(n)} {one if n == 1 else (many or one + 's')}"


# --- what a figure is made of, said the same way on every page ------------------------------


def billed_note(billed: Decimal | None, amount: str) -> str:
    """'includes $19.97 billed by vendors' (`amount` is `billed` as the page writes money)
    when part of a figure is the vendors' own bill (the cost rule "auto": billed where
    billed, computed otherwise); '' when none is."""
    return f"includes {amount} billed by vendors" if billed else ""


def missing_rates_text(pairs, home: str, capital: bool = True) -> str:
    """'No exchange rate into EUR for USD from July 2026 to December 2026; GBP in July 2026':
    every missing pair at once, consecutive months as one span (core.cost's wording)."""
    text = describe_missing_rates(pairs, home, month_title)
    return text[0].upper() + text[1:] if capital else text


def priced_by_text(billed: bool, plan: str | None) -> str:
    """What priced a record, for the Usage and Conversations tables: the vendor's bill (naming
    a plan that covers the line too), else the plan's name, else "" (unpriced)."""
    if billed:
        return f"{BILLED} · also {plan}" if plan else BILLED
    return plan or ""


def both_amounts_text(billed: str, computed: str, plan: str) -> str:
    """A billed line a plan covers too: both figures, the bill first, as it is what counts
    (as in `meterbook cost`)."""
    return f"billed {billed} · computed {computed} by plan {plan}"

