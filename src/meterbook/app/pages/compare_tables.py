"""What the Compare page works out besides drawing: the scope asked, the alternative as priced,
the first visit's suggestion, and the text of its tables (money in the user's locale; a figure
over no requests says so, never $0)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from meterbook.app.formatting import count, money
from meterbook.app.pages.compare_forms import Chosen
from meterbook.app.tables import configure_table
from meterbook.core.compare import NO_REQUESTS
from meterbook.core.periods import zone
from meterbook.core.plans import Plan
from meterbook.core.quick_plans import Alternative, over_saved
from meterbook.core.records import to_epoch_us
from meterbook.store.compare import Comparison, Scope

NO_CONVERSATIONS = "no conversations"
TOTAL_COLUMNS = ("Scenario", "Cost", "Difference", "%", "Requests", "Unpriced", "Per request",
                 "Per conversation")
BREAK_EVEN_COLUMNS = ("Vendor", "Model", "Requests", "Saved cost", "Break-even per request",
                      "Median", "90th pct", "Pay more at break-even", "Money moved")


def scope_of(asked: tuple, tz_name: str) -> Scope:
    """The Scope of the values the page read: period "all", "YYYY-MM" or "custom" (first and
    last day), each day starting at midnight in the report zone; vendor, model, project."""
    value, first, last, vendor, model, project = asked
    tz = zone(tz_name)

    def start(day: date) -> int:
        return to_epoch_us(datetime(day.year, day.month, day.day, tzinfo=tz))

    from_us = to_us = None
    if value == "custom":
        last = max(first, last)
        from_us, to_us = start(first), start(date.fromordinal(last.toordinal() + 1))
    elif value not in (None, "all"):
        y, m = (int(x) for x in value.split("-"))
        from_us, to_us = start(date(y, m, 1)), start(date(y + m // 12, m % 12 + 1, 1))
    return Scope(from_us, to_us, tz, vendor, model, project)


def priced_as(chosen: Chosen, saved: list[Plan]) -> Alternative:
    """The alternative as compared: over the saved plans when it covers only its vendor (the
    other vendors keep their saved prices), without the saved versions it repeats."""
    if not chosen.over_saved:
        return chosen.alternative
    names = {p.name for p in chosen.alternative.plans}
    return over_saved(chosen.alternative, [p for p in saved if p.name not in names])


def as_saved(chosen: Chosen, saved: list[Plan]) -> Alternative:
    """"Save as plan": the alternative's own versions as they were compared (raised above the
    saved plans for its vendor), so that once saved they price what they priced here."""
    names = {p.name for p in chosen.alternative.plans}
    compared = priced_as(chosen, saved)
    return Alternative(chosen.alternative.name,
                       tuple(p for p in compared.plans if p.name in names))


def suggestion(c: Comparison) -> tuple[str, Decimal] | None:
    """The first visit's alternative: the costliest model's vendor at a flat price near what
    its requests cost on average today (its break-even over all its models), rounded to two
    significant digits so it reads as a price someone would quote."""
    top = max(c.models, key=lambda m: m.break_even.cost, default=None)
    if top is None:
        return None
    same = [m.break_even for m in c.models if m.vendor == top.vendor]
    requests = sum(b.requests for b in same)
    cost = sum(b.cost for b in same)
    if not requests or not cost:
        return None
    price = cost / requests
    return top.vendor, price.quantize(Decimal(1).scaleb(price.adjusted() - 1), ROUND_HALF_UP)


def per_text(value: Decimal | None, currency: str, none: str) -> str:
    """A price per request or conversation: 6 places under 1, 4 above; `none` for None."""
    return none if value is None else money(value, currency, 4 if value >= 1 else 6)


def signed(text: str, value: Decimal) -> str:
    return ("+" if value > 0 else "") + text


def totals_rows(c: Comparison) -> list[tuple[str, ...]]:
    cur, rows = c.currency, []
    for i, s in enumerate(c.scenarios):
        first = i == 0
        pct = s.difference_percent
        rows.append(("saved plans" if first else s.name, money(s.cost, cur),
                     "" if first else signed(money(s.difference, cur), s.difference),
                     "" if first or pct is None else signed(f"{pct}%", pct),
                     count(s.requests), count(s.unpriced_requests),
                     per_text(s.cost_per_request, cur, NO_REQUESTS),
                     per_text(s.cost_per_conversation, cur, NO_CONVERSATIONS)))
    return rows


def break_even_rows(c: Comparison) -> list[tuple[str, ...]]:
    cur, rows = c.currency, []
    for m in c.models:
        sp, share = m.spread, m.flat.share_paying_more
        rows.append((m.vendor, m.model, count(m.break_even.requests),
                     money(m.break_even.cost, cur), per_text(m.break_even.price, cur, NO_REQUESTS),
                     per_text(sp.median if sp else None, cur, "-"),
                     per_text(sp.p90 if sp else None, cur, "-"),
                     NO_REQUESTS if share is None else f"{share * 100:.1f}%",
                     money(m.flat.paid_more, cur)))
    return rows


def equivalents_text(c: Comparison) -> str:
    """The inverse of break-even, for each flat per-request alternative: the per-token prices
    (the saved plan's, all scaled alike) that would cost what the flat price costs."""
    lines = []
    for m in c.models:
        for e in m.flat_equivalents:
            p = e.prices
            if p is None:
                continue
            unit, cur = f"{p.token_unit:,} tokens", c.currency
            lines.append(f"{m.vendor} {m.model}: {e.scenario} costs what {p.based_on}'s prices "
                         f"x {p.factor:.2f} would: input {money(p.input, cur, 4)}, output "
                         f"{money(p.output, cur, 4)} per {unit}.")
    return "\n".join(lines)


def per_conversation_rows(c: Comparison) -> list[tuple[str, ...]]:
    """One row a month: its cost per conversation under each scenario."""
    months = [m.month for m in c.scenarios[0].months]
    return [(month, *(per_text(s.months[k].cost_per_conversation, c.currency, NO_CONVERSATIONS)
                      for s in c.scenarios)) for k, month in enumerate(months)]


def make_table(columns: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    configure_table(table)
    return table


def fill(table: QTableWidget, rows: list[tuple[str, ...]],
         columns: list[str] | None = None) -> None:
    """The rows in the table, numbers right-aligned (every column but the first)."""
    if columns is not None:
        table.setColumnCount(len(columns))
        table.setHorizontalHeaderLabels(columns)
    table.setRowCount(len(rows))
    for row, cells in enumerate(rows):
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if col > 0:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, col, item)
    table.resizeColumnsToContents()
