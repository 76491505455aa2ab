"""The monthly report's words and summary figures, written once for every format (HTML, XLSX,
and the PDF and Reports page to come)."""

from __future__ import annotations

from decimal import Decimal

from meterbook.core.change import DECOMPOSITION, METHOD, PART_LABELS, PARTS
from meterbook.core.money import format_display
from meterbook.reports.monthly import MonthlyReport, Reconciliation, tokens

MONEY, INT, TEXT = "money", "int", "text"
UNIT_MONEY = "unit_money"  # money per request or conversation: shown to 4 places

# The "why it changed" section opens with this one sentence, naming the method.
CHANGE_SENTENCE = (f"The difference is split by the {METHOD}, so the parts below add up "
                   "exactly to it.")

# What explains billed - computed, as signed amounts that add up to it (after the totals).
RECONCILE_HEADERS = ("billed without usage", "billed, no plan", "computed, no bill",
                     "rounding, prices")


def reconcile_parts(x: Reconciliation) -> list[Decimal]:
    g = x.gaps
    return [g.without_usage, g.billed_unpriced, -g.not_billed, x.other]


def scope_text(report: MonthlyReport) -> str:
    parts = []
    if report.vendor:
        parts.append(f"vendor {report.vendor}")
    if report.project:
        parts.append(f"project {report.project}")
    return ", ".join(parts) or "all vendors and projects"


def rates_text(report: MonthlyReport) -> str:
    if not report.rates:
        return f"none needed (every figure in {report.currency})"
    return "; ".join(f"1 {c} = {r} {report.currency} in {m}" for c, m, r in report.rates)


def unpriced_text(report: MonthlyReport) -> str:
    n = report.total.unpriced_requests
    if not n:
        return "none: every request was priced by a plan or billed by its vendor"
    return (f"{n:,} request{'s' if n != 1 else ''} unpriced: no plan covers them and no vendor "
            "billed them, so they are not in the cost (not counted as zero)")


def refused_text(report: MonthlyReport) -> str:
    n = report.refused_lines
    if not n:
        return "none in the imports this report covers"
    return (f"{n:,} line{'s' if n != 1 else ''} refused by the imports this report covers: "
            "their usage is in no figure here (see `meterbook imports list`)")


def empty_text(report: MonthlyReport) -> str:
    where = "" if report.vendor is None and report.project is None else " in this scope"
    fixed = report.total.fixed_cost
    if fixed:
        return (f"{report.period.label} holds no usage{where}: only the fixed charges of "
                f"the plans in force ({money_text(fixed, report.currency)}) are owed.")
    return f"{report.period.label} holds no usage and no charges{where}: this report is empty."


def summary_pairs(report: MonthlyReport) -> list[tuple[str, str, object]]:
    """(label, kind, value) lines of the summary; kind tells money, counts and text apart."""
    t = report.total
    pairs: list[tuple[str, str, object]] = [
        ("Period", TEXT, report.period.label),
        ("Scope", TEXT, scope_text(report)),
    ]
    if report.empty:
        pairs.append(("Note", TEXT, empty_text(report)))
    pairs += [
        (f"Total ({report.currency})", MONEY, t.cost),
        (f"Previous period ({report.period.previous_label})", MONEY, report.previous_total),
        ("Difference", MONEY, t.cost - report.previous_total),
        ("Usage cost", MONEY, t.usage_cost),
        ("Fixed charges", MONEY, t.fixed_cost),
        ("Requests", INT, t.requests),
        ("Tokens", INT, tokens(t)),
        ("Cost per priced request", UNIT_MONEY, report.cost_per_request),
        ("Conversations", INT, report.conversation_count),
        ("Cost per conversation", UNIT_MONEY, report.cost_per_conversation),
        ("Unpriced usage", TEXT, unpriced_text(report)),
        ("Refused import lines", TEXT, refused_text(report)),
    ]
    return pairs + [("Note", TEXT, note) for note in report.notes]


def change_pairs(report: MonthlyReport) -> list[tuple[str, str, object]]:
    """The shown (cent) parts of the change, adding up to the shown difference."""
    shown = report.change.shown()
    return [(f"Change from {PART_LABELS[p]}", MONEY, shown[p]) for p in PARTS]


def about_pairs(report: MonthlyReport) -> list[tuple[str, str, object]]:
    """How the figures were made: zone, currency, rates, rounding, method, sources, when."""
    return [
        ("Time zone", TEXT, report.tz_name),
        ("Currency", TEXT, report.currency),
        ("Exchange rates", TEXT, rates_text(report)),
        ("Rounding", TEXT, report.rounding),
        ("Method", TEXT, DECOMPOSITION),
        ("Imports covered", TEXT, ", ".join(f"#{i.batch}" for i in report.imports) or "none"),
        ("Generated at", TEXT, report.generated_at.isoformat()),
        ("Meterbook version", TEXT, report.version),
    ]


def money_text(value: Decimal | None, currency: str) -> str:
    return "n/a" if value is None else f"{format_display(value)} {currency}"


# --- budgets and alerts (every format shows the same columns) -----------------------------------

BUDGET_HEADERS = ("budget", "scope", "period", "amount", "spent", "% used", "forecast",
                  "thresholds crossed")
BUDGET_KINDS = (TEXT, TEXT, TEXT, MONEY, MONEY, TEXT, MONEY, TEXT)
ALERT_HEADERS = ("alert", "kind", "what happened", "acknowledged")
ALERT_KINDS = (INT, TEXT, TEXT, TEXT)


def budget_rows(report: MonthlyReport) -> list[list]:
    """One row per saved budget, as it stood at the period's end; the forecast only while
    the budget's period runs (afterwards the spend is final). Crossing times are UTC."""
    rows = []
    last_day = report.generated_at.date()
    for b in report.budgets or []:
        crossed = ", ".join(f"{c.threshold}% on {c.crossed_at:%Y-%m-%d %H:%M} UTC"
                            for c in b.crossings) or "none"
        running = b.last >= last_day
        rows.append([b.budget.name, b.budget.scope, f"{b.first} to {b.last}", b.budget.amount,
                     b.spent, f"{b.percent}%", b.forecast.value if running else None, crossed])
    return rows


def alert_rows(report: MonthlyReport) -> list[list]:
    return [[a.id, a.kind, a.message, "yes" if a.acknowledged else "no"]
            for a in report.alerts or []]


BUDGETS_NONE = "No budget is saved (`meterbook budget add`)."
ALERTS_NONE = "No alert was raised in this period."
