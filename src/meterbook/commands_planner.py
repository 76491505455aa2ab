"""`meterbook plan-budget`: the budget planner (core/planner.py) on the command line.

A year of projected cost under a saved plan, from the requests expected a month, their
typical size, a monthly growth and seasonal factors; a table for people, JSON for programs.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from meterbook.errors import Refused


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return int(text)


def _decimal(text: str) -> Decimal:
    from meterbook.core.money import parse_decimal

    try:
        return parse_decimal(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _season(text: str) -> tuple[int, Decimal]:
    """M=F: calendar month 1-12 and its factor, e.g. 12=1.5 (December half as busy again)."""
    month, sep, factor = text.partition("=")
    if not sep or not month.strip().isdigit() or not 1 <= int(month) <= 12:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a seasonal factor; expected MONTH=FACTOR with a month 1-12, "
            "e.g. 12=1.5")
    return int(month), _decimal(factor)


def add_parser(sub, month: Callable[[str], str]) -> None:
    """The `plan-budget` subcommand, on cli.py's subparsers; `month` is cli.py's YYYY-MM type
    (this module cannot import cli.py, which imports it)."""
    p = sub.add_parser("plan-budget", help="project a year of cost under a saved plan")
    p.add_argument("--plan", required=True, metavar="NAME", help="a saved plan's name")
    p.add_argument("--requests", required=True, type=_count, metavar="N",
                   help="requests expected in the first month")
    for kind in ("input", "cached-input", "cache-write", "output"):
        p.add_argument(f"--{kind}-tokens", type=_count, default=0, metavar="N",
                       help=f"{kind.replace('-', ' ')} tokens of a typical request")
    p.add_argument("--units", type=_decimal, default=Decimal(0), metavar="N",
                   help="units of a typical request (plans priced per unit)")
    p.add_argument("--growth", type=_decimal, default=Decimal(0), metavar="PCT",
                   help="growth per month in percent, compounded (e.g. 5)")
    p.add_argument("--season", type=_season, action="append", default=[], metavar="M=F",
                   help="factor for a calendar month, e.g. 12=1.5 (repeatable)")
    p.add_argument("--from", dest="plan_from", type=month, metavar="YYYY-MM",
                   help="first month (default: this month)")
    p.add_argument("--months", type=_count, default=12, metavar="N", help="how many (12)")
    p.add_argument("--format", choices=("table", "json"), default="table")


def plan_budget(args: argparse.Namespace) -> int:
    from meterbook.core.plan_form import SampleRequest
    from meterbook.core.planner import Forecast
    from meterbook.core.planner import plan_budget as project
    from meterbook.store import readers
    from meterbook.store.database import open_database

    with open_database(args.db) as db, db.engine.connect() as conn:
        saved = [plan for _, plan in readers.load_plans(conn)]
    versions = [p for p in saved if p.name == args.plan]
    if not versions:
        names = sorted({p.name for p in saved})
        known = f"saved plans: {', '.join(names)}" if names else "no plan is saved yet"
        raise Refused(f"no saved plan is named {args.plan!r} ({known})")
    first = args.plan_from or f"{datetime.now():%Y-%m}"
    try:
        forecast = Forecast(
            first, args.requests,
            SampleRequest(input_tokens=args.input_tokens,
                          cached_input_tokens=args.cached_input_tokens,
                          cache_write_tokens=args.cache_write_tokens,
                          output_tokens=args.output_tokens, units=args.units),
            growth=args.growth / 100, seasonal=dict(args.season), months=args.months)
        budget = project(versions, forecast)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    if args.format == "json":
        print(json.dumps(_as_json(budget, args), indent=2, ensure_ascii=False))
    else:
        print(_as_table(budget, args), end="")
    return 0


def _as_json(budget, args: argparse.Namespace) -> dict:
    from meterbook.core.money import format_exact

    return {
        "plan": budget.plan, "currency": budget.currency,
        "growth_percent": str(args.growth),
        "seasonal": {str(m): str(f) for m, f in sorted(dict(args.season).items())},
        "months": [{"month": m.month, "requests": m.requests,
                    "usage_cost": format_exact(m.usage_cost),
                    "fixed_cost": format_exact(m.fixed_cost), "cost": format_exact(m.total)}
                   for m in budget.months],
        "total": format_exact(budget.total),
    }


def _as_table(budget, args: argparse.Namespace) -> str:
    from meterbook.core.money import format_display
    from meterbook.reports.tables import Column, render, terminal_width

    columns = [Column("MONTH"), *(Column(h, right=True)
                                  for h in ("REQUESTS", "USAGE", "FIXED", "COST"))]
    rows = [[m.month, f"{m.requests:,}", format_display(m.usage_cost),
             format_display(m.fixed_cost), format_display(m.total)] for m in budget.months]
    total = ["TOTAL", f"{sum(m.requests for m in budget.months):,}",
             format_display(sum((m.usage_cost for m in budget.months), Decimal(0))),
             format_display(sum((m.fixed_cost for m in budget.months), Decimal(0))),
             format_display(budget.total)]
    growth = f", growing {args.growth}% a month" if args.growth else ""
    seasons = ", ".join(f"{m}: x{f}" for m, f in sorted(dict(args.season).items()))
    out = [f"Projected cost in {budget.currency} under plan {budget.plan!r}{growth}"
           + (f" (seasons {seasons})" if seasons else ""), ""]
    out += render(columns, rows, width=terminal_width(), footer=total, rules=True)
    return "\n".join(out) + "\n"
