"""Numbers and money for people, in the user's locale: Decimal in, text out (never a float)."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QLocale

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
