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
