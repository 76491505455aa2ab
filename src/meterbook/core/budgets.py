"""Budgets: an amount of the home currency for a month, quarter or year, over everything or one
vendor, model or project, with the percentages at which an alert is raised.

Pure rules (no database): what a valid budget is, and which days a period covers. Every refusal
says which value is wrong and why, in words an owner reads (cli.md, issue 8 "Bad input").
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from meterbook.core.money import EXACT, parse_decimal

PERIODS = ("month", "quarter", "year")
DEFAULT_THRESHOLDS = (50, 80, 100)
THRESHOLD_RANGE = (1, 1000)  # percent; above 100 warns of an overrun by that much


class BudgetError(ValueError):
    """A budget refused: the message says which value and why; nothing was saved."""


@dataclass(frozen=True)
class Budget:
    name: str
    amount: Decimal  # home currency
    period: str = "month"
    vendor: str | None = None
    model: str | None = None
    project: str | None = None
    thresholds: tuple[int, ...] = field(default=DEFAULT_THRESHOLDS)
    forecast_alert: bool = True

    def __post_init__(self) -> None:
        check_budget(self)

    @property
    def scope(self) -> str:
        """'everything', or 'vendor openai, project support'."""
        parts = [f"{what} {value}" for what, value in
                 (("vendor", self.vendor), ("model", self.model), ("project", self.project))
                 if value]
        return ", ".join(parts) or "everything"

    @property
    def shares_fixed_charges(self) -> bool:
        """Whether the months' fees and minimums count against this budget. They belong to a
        vendor's plan, not to a model or a project: as in `cost --by model|project`, a budget
        narrowed to either leaves them out (cli.md names the project case)."""
        return self.model is None and self.project is None

    def covers(self, vendor: str, model: str, project: str) -> bool:
        """Whether a meter's usage falls inside the scope (vendor matched case-insensitively,
        as vendors are stored lower-case)."""
        return ((self.vendor is None or vendor == self.vendor.lower())
                and (self.model is None or model == self.model)
                and (self.project is None or project == self.project))


def check_budget(budget: Budget) -> None:
    """BudgetError for the first wrong value of a budget."""
    if not budget.name or not budget.name.strip():
        raise BudgetError("a budget needs a name")
    if not isinstance(budget.amount, Decimal) or not budget.amount.is_finite() \
            or budget.amount <= 0:
        raise BudgetError(f"budget {budget.name!r}: the amount must be a positive number, "
                          f"not {budget.amount}")
    if budget.period not in PERIODS:
        raise BudgetError(f"budget {budget.name!r}: unknown period {budget.period!r}; use "
                          f"{', '.join(PERIODS)}")
    if not budget.thresholds:
        raise BudgetError(f"budget {budget.name!r}: give at least one alert threshold")
    lo, hi = THRESHOLD_RANGE
    for t in budget.thresholds:
        if isinstance(t, bool) or not isinstance(t, int) or not lo <= t <= hi:
            raise BudgetError(f"budget {budget.name!r}: alert threshold {t}% is outside "
                              f"{lo}-{hi}%")
    if len(set(budget.thresholds)) != len(budget.thresholds):
        raise BudgetError(f"budget {budget.name!r}: an alert threshold is given twice "
                          f"({', '.join(map(str, budget.thresholds))})")


def parse_amount(text: str) -> Decimal:
    """A budget amount typed by a person ('400', '1250.50'): a positive decimal."""
    try:
        value = parse_decimal(text)
    except ValueError:
        raise BudgetError(f"the amount must be a positive number, not {text!r}") from None
    if value <= 0:
        raise BudgetError(f"the amount must be a positive number, not {text}")
    return value


def parse_thresholds(text: str) -> tuple[int, ...]:
    """'50,80,100' -> (50, 80, 100), sorted; BudgetError naming the bad item."""
    found = []
    lo, hi = THRESHOLD_RANGE
    for item in text.split(","):
        item = item.strip().rstrip("%").strip()
        if not item.isdigit():
            raise BudgetError(f"alert threshold {item!r} is not a whole percentage; write them "
                              f"as 50,80,100")
        value = int(item)
        if not lo <= value <= hi:
            raise BudgetError(f"alert threshold {value}% is outside {lo}-{hi}%")
        found.append(value)
    return tuple(sorted(set(found)))


def refuse_duplicate(name: str, existing: Iterable[str]) -> None:
    """BudgetError when a budget of this name is saved already (and --replace was not given)."""
    if name in set(existing):
        raise BudgetError(f"a budget named {name!r} exists already; nothing was changed. "
                          "Add --replace to change it, or choose another name")


def period_bounds(period: str, year: int, month: int) -> tuple[date, date]:
    """The first and last day of the period holding the month: the month itself, its calendar
    quarter (January-March, ...) or its calendar year."""
    if period == "month":
        first_month, months = month, 1
    elif period == "quarter":
        first_month, months = 3 * ((month - 1) // 3) + 1, 3
    elif period == "year":
        first_month, months = 1, 12
    else:
        raise BudgetError(f"unknown period {period!r}; use {', '.join(PERIODS)}")
    last_month = first_month + months - 1
    return (date(year, first_month, 1),
            date(year, last_month, calendar.monthrange(year, last_month)[1]))


def threshold_amount(budget: Budget, threshold: int) -> Decimal:
    """threshold % of the amount, exact."""
    return EXACT.divide(EXACT.multiply(budget.amount, Decimal(threshold)), Decimal(100))
