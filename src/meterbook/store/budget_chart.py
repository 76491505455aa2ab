"""What the Dashboard's cumulative chart draws for a month: the spend so far against the
month's budgets, with the forecast to the month's end.

The budgets drawn are the monthly budgets over everything: the chart's line is the month's
whole spend, so only a budget measured against that same spend can be read against it (a
vendor's budget, or a quarter's, would need a line of its own). Each of their thresholds is a
line, labelled "<name> <threshold> %". The spend and the forecast are budget_status's, for
everything this month, so the line, the cards and `meterbook budget status` agree: fixed
charges count on the month's first day, and the forecast is core/forecast.py's, drawn from
today's total to the month's last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Connection

from meterbook.core.budgets import Budget, threshold_amount
from meterbook.store.budget_status import budget_status
from meterbook.store.budgets import load_budgets

# Not saved: the month over everything, the scope whose spend the chart's line shows.
_WHOLE_MONTH = Budget(name="everything", amount=Decimal(1), period="month")


@dataclass(frozen=True)
class BudgetChart:
    first: date
    last: date
    currency: str
    spent: list[tuple[date, Decimal]]  # the running total at the end of each day, to today
    lines: list[tuple[str, Decimal]]  # ("Monthly 80 %", amount), lowest first
    # The forecast's running total at today and at the month's last day, with the band's ends;
    # empty for a month that has ended or without enough history (`no_forecast` says why).
    forecast: list[tuple[date, Decimal]]
    low: list[Decimal]
    high: list[Decimal]
    no_forecast: str | None  # None when there is a forecast or the month has ended
    ended: bool


def budget_chart(conn: Connection, year: int, month: int, today: date,
                 tz_name: str | None = None) -> BudgetChart:
    """The chart of year-month as of `today` (a date in the report zone)."""
    status = budget_status(conn, year, month, today, tz_name, budgets=[(None, _WHOLE_MONTH)])
    figures, currency = status.budgets[0], status.currency
    lines = sorted(
        ((f"{budget.name} {t} %", threshold_amount(budget, t))
         for _id, budget in load_budgets(conn)
         if budget.period == "month" and budget.scope == "everything"
         for t in budget.thresholds),
        key=lambda line: (line[1], line[0]))
    ended = today >= figures.last
    f = figures.forecast
    spent = figures.cumulative
    if ended or f.value is None or not spent:
        return BudgetChart(figures.first, figures.last, currency, spent, lines, [], [], [],
                           None if ended else f.reason or "too little history", ended)
    now_day, now_total = spent[-1]
    return BudgetChart(figures.first, figures.last, currency, spent, lines,
                       [(now_day, now_total), (figures.last, f.value)],
                       [now_total, f.low], [now_total, f.high], None, False)

