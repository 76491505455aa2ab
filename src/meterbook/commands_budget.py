"""`meterbook budget ...`: budgets, their status and alerts, and the forecast settings (cli.md).

Kept apart from commands.py: the arguments are added by `add_budget_parser`, the work is in
store/budgets.py, store/budget_status.py and store/alerts.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from meterbook.core.budgets import (
    DEFAULT_THRESHOLDS,
    PERIODS,
    Budget,
    BudgetError,
    parse_amount,
    parse_thresholds,
)  # fmt: skip
from meterbook.core.forecast import ForecastSettings
from meterbook.core.money import format_display, format_exact, parse_decimal
from meterbook.core.periods import parse_month, zone
from meterbook.errors import Refused
from meterbook.reports.tables import Column, Fit, render, terminal_width

if TYPE_CHECKING:  # the store (SQLAlchemy) loads only when a budget command runs
    from meterbook.store.database import Database

EXIT_ALERT = 3  # cli.md: --fail-on-alert while an unacknowledged alert stands


def clock() -> datetime:
    """Now, for the status and the alert check (tests replace it)."""
    return datetime.now(UTC)


def add_budget_parser(sub, month_type) -> None:
    budget = sub.add_parser("budget", help="budgets and their alerts").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    put = budget.add_parser("set", help="add a budget (or change one, with --replace)")
    put.add_argument("name", metavar="NAME")
    put.add_argument("--amount", required=True, metavar="X", help="in the home currency")
    put.add_argument("--period", default="month", metavar="|".join(PERIODS),
                     help="month (default), quarter or year")
    put.add_argument("--vendor", metavar="V")
    put.add_argument("--model", metavar="M")
    put.add_argument("--project", metavar="P")
    put.add_argument("--alerts", metavar="50,80,100",
                     default=",".join(map(str, DEFAULT_THRESHOLDS)),
                     help="percentages of the amount that raise an alert (1-1000)")
    put.add_argument("--no-forecast-alert", action="store_true",
                     help="no alert when the forecast goes over the amount")
    put.add_argument("--replace", action="store_true", help="change the budget of this name")
    listing = budget.add_parser("list", help="the saved budgets")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    remove = budget.add_parser("remove", help="delete a budget and its alerts")
    remove.add_argument("name", metavar="NAME")
    status = budget.add_parser("status", help="spent, forecast and alerts of each budget")
    status.add_argument("--month", type=month_type, metavar="YYYY-MM",
                        help="the month (or its quarter, year) to show (default: this one)")
    status.add_argument("--fail-on-alert", action="store_true",
                        help=f"exit {EXIT_ALERT} while an unacknowledged alert stands")
    status.add_argument("--format", choices=("table", "json"), default="table")
    ack = budget.add_parser("acknowledge", help="acknowledge an alert (its ID) or --all")
    ack.add_argument("alert", nargs="?", type=int, metavar="ID")
    ack.add_argument("--all", action="store_true")
    fc = budget.add_parser("forecast", help="show or set how forecasts are made")
    fc.add_argument("--window", type=int, metavar="DAYS",
                    help="days of recent spend the run rate is the mean of (default 14)")
    fc.add_argument("--growth", metavar="PCT", help="expected growth per month, in percent")
    fc.add_argument("--season", nargs="+", metavar="MONTH=FACTOR",
                    help="seasonal factors per calendar month, e.g. 12=1.5 1=0.8")


def budget(args: argparse.Namespace) -> int:
    from meterbook.store.database import open_database

    db = open_database(args.db)
    action = {"set": _set, "list": _list, "remove": _remove, "status": _status,
              "acknowledge": _acknowledge, "forecast": _forecast}[args.action]
    try:
        return action(args, db)
    except (BudgetError, ValueError) as exc:
        said = "nothing was changed" in str(exc)
        raise Refused(f"{exc}{'' if said else '; nothing was changed'}") from None


def _set(args: argparse.Namespace, db: Database) -> int:
    from meterbook.store.alerts import check_alerts_safely
    from meterbook.store.budgets import save_budget

    if args.period not in PERIODS:
        raise BudgetError(f"unknown period {args.period!r}: use {', '.join(PERIODS)}")
    new = Budget(name=args.name.strip(), amount=parse_amount(args.amount), period=args.period,
                 vendor=args.vendor, model=args.model, project=args.project,
                 thresholds=parse_thresholds(args.alerts),
                 forecast_alert=not args.no_forecast_alert)
    with db.engine.connect() as conn:
        home = _readers().home_currency(conn)
    replaced = save_budget(db, new, replace=args.replace)
    check_alerts_safely(db, clock())  # a new amount or threshold may raise or withdraw some
    print(f"Budget {new.name!r} {'changed' if replaced else 'saved'}: {new.amount} {home} a "
          f"{new.period} for {new.scope}; alerts at "
          f"{', '.join(f'{t}%' for t in new.thresholds)}"
          f"{'' if new.forecast_alert else ' (no forecast alert)'}")
    return 0


def _list(args: argparse.Namespace, db: Database) -> int:
    from meterbook.store.budgets import load_budgets

    with db.engine.connect() as conn:
        saved = load_budgets(conn)
        home = _readers().home_currency(conn)
    if args.format == "json":
        print(json.dumps({"currency": home, "budgets": [_budget_json(b) for _, b in saved]},
                         indent=2, ensure_ascii=False))
        return 0
    if not saved:
        print("No budgets yet: `meterbook budget set NAME --amount X` adds one.")
        return 0
    columns = (Column("NAME", fit=Fit.WRAP), Column(f"AMOUNT ({home})", right=True),
               Column("PERIOD"), Column("SCOPE", fit=Fit.WRAP), Column("ALERTS AT"),
               Column("FORECAST ALERT"))
    rows = [[b.name, format_display(b.amount), b.period, b.scope,
             ", ".join(f"{t}%" for t in b.thresholds), "yes" if b.forecast_alert else "no"]
            for _, b in saved]
    return _print_lines(render(columns, rows, width=terminal_width()))


def _budget_json(b: Budget) -> dict:
    return {"name": b.name, "amount": _amount(b.amount), "period": b.period,
            "vendor": b.vendor, "model": b.model, "project": b.project,
            "thresholds": list(b.thresholds), "forecast_alert": b.forecast_alert}


def _amount(value: Decimal) -> str:
    """A budget amount as typed, with at least cents: 400 -> "400.00", 12.345 -> "12.345"."""
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else f"{value:f}"


def _remove(args: argparse.Namespace, db: Database) -> int:
    from meterbook.store.budgets import remove_budget

    remove_budget(db, args.name)
    print(f"Budget {args.name!r} removed, with its alerts")
    return 0


def _status(args: argparse.Namespace, db: Database) -> int:
    from meterbook.store.alerts import check_alerts, standing_alerts
    from meterbook.store.budget_status import budget_status
    from meterbook.store.errors import DatabaseError

    now = clock()
    if args.fail_on_alert and not db.read_only:
        # A nightly check: alerts as of now (a new month's fees, forecasts that moved with the
        # days), not only as the last import, undo or plan change left them.
        try:
            check_alerts(db, now)
        except DatabaseError as exc:  # a full disk, a busy database: the status all the same
            print(f"meterbook: warning: the alerts are as last checked, not checked now: {exc}",
                  file=sys.stderr)
    with db.engine.connect() as conn:
        tz_name = args.tz or _readers().effective_timezone(conn)
    today = now.astimezone(zone(tz_name)).date()
    year, month = parse_month(args.month) if args.month else (today.year, today.month)
    status = budget_status(db, year, month, today, tz_name)
    alerts = standing_alerts(db)
    if args.format == "json":
        print(json.dumps(status_json(status, alerts), indent=2, ensure_ascii=False))
    else:
        _print_lines(_status_table(status, alerts))
    if args.fail_on_alert and any(not a.acknowledged for a in alerts):
        return EXIT_ALERT
    return 0


def status_json(status, alerts=()) -> dict:
    """`budget status --format json` exactly as cli.md; "model" is added only for a budget
    narrowed to a model (cli.md's example has none), and the standing spike alerts (of any
    month: a spike is a day, not a budget's period) follow under "spikes" (docs/json.md)."""
    out = []
    for f in status.budgets:
        b = f.budget
        entry = {"name": b.name, "amount": _amount(b.amount), "period": b.period,
                 "vendor": b.vendor, "project": b.project}
        if b.model is not None:
            entry["model"] = b.model
        entry.update({
            "spent": format_exact(f.spent), "percent": str(f.percent),
            "forecast": None if f.forecast.value is None else format_exact(f.forecast.value),
            "alerts": [{"threshold": c.threshold,
                        "crossed_at": _utc(c.crossed_at)}
                       for c in f.crossings]})
        out.append(entry)
    spikes = [{"id": a.id, "vendor": a.vendor, "day": a.day, "spent": format_exact(a.amount),
               "usual": format_exact(a.norm), "limit": format_exact(a.limit),
               "raised_at": _utc(a.raised_at), "acknowledged": a.acknowledged}
              for a in alerts if a.kind == "spike"]
    return {"month": status.month, "currency": status.currency, "budgets": out,
            "spikes": spikes}


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z"


def _status_table(status, alerts) -> list[str]:
    home = status.currency
    columns = (Column("BUDGET", fit=Fit.WRAP), Column("PERIOD"), Column(f"SPENT ({home})",
               right=True), Column(f"AMOUNT ({home})", right=True), Column("%", right=True),
               Column("FORECAST", right=True), Column("CROSSED (UTC)", fit=Fit.WRAP))
    rows = []
    for f in status.budgets:
        fc = f.forecast
        forecast = (fc.reason or "") if fc.value is None else (
            format_display(fc.value) if fc.low == fc.high else
            f"{format_display(fc.value)} ({format_display(fc.low)}–{format_display(fc.high)})")
        crossed = "\n".join(f"{c.threshold}% {c.crossed_at:%Y-%m-%d %H:%M}" for c in f.crossings)
        rows.append([f"{f.budget.name}\n{f.budget.scope}", f"{f.first} – {f.last}",
                     format_display(f.spent), format_display(f.budget.amount),
                     f"{f.percent}", forecast, crossed or "-"])
    lines = render(columns, rows, width=terminal_width(),
                   empty=f"No budgets for {status.month}: `meterbook budget set NAME "
                         "--amount X` adds one.")
    waiting = [a for a in alerts if not a.acknowledged]
    if waiting:
        lines += ["", "Alerts (times in UTC; `meterbook budget acknowledge ID|--all`):"]
        lines += [f"  #{a.id} {a.message}" for a in waiting]
    return lines


def _acknowledge(args: argparse.Namespace, db: Database) -> int:
    from meterbook.store.alerts import acknowledge

    if args.all == (args.alert is not None):
        raise Refused("give an alert ID or --all (see `meterbook budget status`)")
    try:
        count = acknowledge(db, "all" if args.all else args.alert, clock())
    except KeyError:
        raise Refused(f"there is no standing, unacknowledged alert #{args.alert} (see "
                      "`meterbook budget status`)") from None
    print(f"{count} alert{'' if count == 1 else 's'} acknowledged")
    return 0


def _forecast(args: argparse.Namespace, db: Database) -> int:
    from meterbook.store.alerts import check_alerts_safely
    from meterbook.store.budgets import forecast_settings, parse_seasonal, save_forecast_settings

    with db.engine.connect() as conn:
        current = forecast_settings(conn)
    if args.window is not None or args.growth is not None or args.season is not None:
        growth = current.growth_per_month
        if args.growth is not None:
            growth = parse_decimal(args.growth.strip().rstrip("%")) / 100
        seasonal = current.seasonal if args.season is None else parse_seasonal(args.season)
        current = ForecastSettings(
            window_days=current.window_days if args.window is None else args.window,
            growth_per_month=growth, seasonal=seasonal)
        save_forecast_settings(db, current)
        check_alerts_safely(db, clock())  # new settings move forecasts, and their alerts
    seasons = ", ".join(f"{m}={f}" for m, f in sorted(current.seasonal.items())) or "none"
    print(f"window:  {current.window_days} days")
    print(f"growth:  {current.growth_per_month * 100:f}% a month")
    print(f"seasons: {seasons}")
    return 0


def _readers():
    from meterbook.store import readers

    return readers


def _print_lines(lines: list[str]) -> int:
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0
