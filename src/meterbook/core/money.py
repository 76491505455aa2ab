"""Exact money: Decimal in code, integer nano-units (10^-9) in the database and in the engine.

A record's charge is kept to 9 decimal places (pricing-plans.md asks for at least 9), rounded
half-to-even once, when the engine finishes the record. Sums of nano-units are exact integers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

NANO = 10**9
MICRO = 10**6
_NANO_Q = Decimal("1e-9")
# Wide enough that no multiplication of prices, quantities and rates ever rounds.
EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN)


def to_nano(amount: Decimal) -> int:
    """Decimal money -> integer nano-units, rounded half-to-even."""
    return int(amount.quantize(_NANO_Q, rounding=ROUND_HALF_EVEN, context=EXACT).scaleb(9, EXACT))


def from_nano(nano: int) -> Decimal:
    return Decimal(nano).scaleb(-9)


def div_round(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-to-even, in integers (denominator > 0)."""
    q, r = divmod(numerator, denominator)
    twice = 2 * r
    if twice > denominator or (twice == denominator and q % 2):
        q += 1
    return q


def parse_decimal(text: str) -> Decimal:
    """A decimal string as people write it ("2.50", "-1", "1e-6"); ValueError if it is not one."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"{text!r} is not a decimal number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a decimal number")
    return value


def format_exact(amount: Decimal) -> str:
    """Money for JSON and CSV: 9 decimal places, except an exact zero, which is written "0"."""
    if not amount:
        return "0"
    return f"{amount:.9f}"  # Decimal's own formatting: exact, rounded half-to-even


def format_quantity(value: Decimal) -> str:
    """A non-money decimal (units) without exponent or trailing zeros: "1500", "12.5", "0"."""
    if value == 0:
        return "0"
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_display(amount: Decimal, places: int = 2) -> str:
    """Money for people: thousands separators, rounded half-to-even to `places`."""
    return f"{amount:,.{places}f}"  # Decimal's formatting rounds half-to-even
