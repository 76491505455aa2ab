"""The `meterbook` command (cli.md): the desktop app, and every job headless.

Exit status: 0 success, 1 the input was refused (the reason on stderr), 2 wrong usage. No
traceback reaches the user: unexpected errors are logged to a file and summarised. Output cut
short by its reader (`| head`) is no error: meterbook stops quietly, with status 0.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from meterbook import __version__, commands_planner, commands_report
from meterbook.commands_budget import add_budget_parser, budget
from meterbook.core.cost import BY_KEYS, SOURCES, MissingRate
from meterbook.core.periods import parse_month, zone
from meterbook.core.plans import PlanFileError
from meterbook.errors import Refused
from meterbook.importers.errors import ImportRefused
from meterbook.store.errors import DatabaseError, RatesFileError

log = logging.getLogger("meterbook")


def _month(text: str) -> str:
    try:
        y, m = parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return f"{y:04d}-{m:02d}"


def _date(text: str) -> str:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; expected YYYY-MM-DD (e.g. 2026-03-01) or an ISO 8601 "
            "date-time (e.g. 2026-03-01T12:00:00+02:00)") from None
    return text


def _tz(text: str) -> str:
    try:
        zone(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _size(text: str) -> tuple[int, int]:
    """A window size for screenshots, "1024x640"."""
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and int(width) >= 400 and int(height) >= 300):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1024x640 "
                                         "(at least 400x300)")
    return int(width), int(height)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="meterbook", description="What your AI vendors cost, from your own exports.")
    p.add_argument("--version", action="version", version=f"meterbook {__version__}")
    p.add_argument("--db", metavar="PATH_OR_URL",
                   help="database file or SQLAlchemy URL (default: $METERBOOK_DB, else "
                        "meterbook.db in your data folder)")
    p.add_argument("--tz", type=_tz, metavar="ZONE",
                   help="time zone for days, weeks and months (default: the saved setting, "
                        "else this computer's)")
    p.add_argument("--demo", action="store_true", help="open a fresh demo database")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="start the desktop app")
    gui.add_argument("--demo", action="store_true", dest="gui_demo")
    gui.add_argument("--screenshot", metavar="DIR")
    gui.add_argument("--size", type=_size, default=(1280, 800), metavar="WxH",
                     help="the window size of the screenshots (default: 1280x800)")

    demo = sub.add_parser("demo", help="fill the database with realistic demo data")
    demo.add_argument("--months", type=int, default=6)
    demo.add_argument("--force", action="store_true",
                      help="add the demo even to a database that holds records or plans")

    imp = sub.add_parser("import", help="import usage or bills exported by your vendors")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--profile", metavar="NAME",
                     help="the file's format (e.g. openai-usage) or a saved column mapping "
                          "(default: recognised from the header)")
    imp.add_argument("--map", action="append", metavar="COLUMN=FIELD", default=[],
                     help="map a column of any CSV to a Meterbook field (repeat for each)")
    imp.add_argument("--vendor", metavar="V", help="the vendor, for a mapped file without one")
    imp.add_argument("--decimal-comma", action="store_true",
                     help="numbers in a mapped file are written 1.234,56")
    imp.add_argument("--date-format", metavar="FORMAT",
                     help="dates in a mapped file: ISO, MM/DD/YYYY, DD/MM/YYYY, unix, or a "
                          "strptime pattern (default: worked out from the dates)")
    imp.add_argument("--save-profile", metavar="NAME",
                     help="save the --map mapping under this name for --profile NAME")
    imp.add_argument("--skip-bad-lines", action="store_true",
                     help="import the valid lines; keep the refused ones with the batch")
    imp.add_argument("--dry-run", action="store_true", help="check and count, save nothing")
    imp.add_argument("--format", choices=("table", "json"), default="table")

    imports = sub.add_parser("imports", help="the import history").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    _listing(imports.add_parser("list", help="every batch"))
    _listing(imports.add_parser("formats",
                                help="the formats Meterbook recognises, and saved mappings"))
    undo = imports.add_parser("undo", help="remove a batch and re-price what depended on it")
    undo.add_argument("batch", type=int)

    plans = sub.add_parser("plans", help="pricing plans").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    plans_import = plans.add_parser(
        "import", help="save the plans of a TOML file, or prices from LiteLLM's price map")
    plans_import.add_argument("file", metavar="FILE")
    plans_import.add_argument("--vendor", action="append", metavar="V", default=[],
                              help="LiteLLM price map: take only this vendor's prices (repeat)")
    plans_import.add_argument("--effective-from", type=_date, metavar="DATE",
                              help="LiteLLM price map: the prices start then (default: always)")
    plans_export = plans.add_parser("export", help="write every plan as TOML")
    plans_export.add_argument("-o", "--output", metavar="FILE")
    _listing(plans.add_parser("list", help="the saved plans and their versions"))
    _listing(plans.add_parser("catalog", help="the bundled catalog of list prices, with sources"))
    add_catalog = plans.add_parser("add-from-catalog", help="save a plan of the catalog")
    add_catalog.add_argument("name", metavar="NAME")

    cost = sub.add_parser("cost", help="what the usage cost")
    cost.add_argument("--by", choices=BY_KEYS, default="month")
    _period_arguments(cost)
    cost.add_argument("--source", choices=SOURCES, default="auto")
    cost.add_argument("--plans", metavar="FILE.toml",
                      help="price with these plans instead of the saved ones (nothing saved)")
    cost.add_argument("--tz", type=_tz, dest="cost_tz", metavar="ZONE")
    cost.add_argument("--format", choices=("table", "csv", "json"), default="table")

    compare = sub.add_parser("compare", help="the saved plans and alternatives side by side")
    compare.add_argument("--plans", action="append", required=True, metavar="FILE.toml",
                         help="an alternative plan set (repeat for more); nothing is saved")
    _period_arguments(compare)
    for name in ("vendor", "model", "project"):
        compare.add_argument(f"--{name}", metavar=name[0].upper())
    compare.add_argument("--tz", type=_tz, dest="cost_tz", metavar="ZONE")
    compare.add_argument("--format", choices=("table", "csv", "json"), default="table")

    settings = sub.add_parser("settings", help="show or change the home currency and time zone")
    settings.add_argument("--currency", metavar="CODE", help="home currency, e.g. EUR")
    settings.add_argument("--timezone", metavar="ZONE", help="report time zone, e.g. Europe/Paris")
    settings.add_argument("--paper", metavar="a4|letter", help="the PDF report's paper size")
    settings.add_argument("--company", metavar="NAME",
                          help="the company name printed on reports ('' removes it)")

    commands_report.add_parser(sub)

    rates = sub.add_parser("rates", help="exchange rates into the home currency").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    rate_set = rates.add_parser("set", help="one rate: CURRENCY MONTH RATE")
    rate_set.add_argument("currency")
    rate_set.add_argument("month", type=_month)
    rate_set.add_argument("rate")
    _listing(rates.add_parser("list", help="every saved rate"))
    rate_import = rates.add_parser("import", help="a CSV with columns currency,month,rate")
    rate_import.add_argument("file")
    commands_planner.add_parser(sub, month=_month)
    add_budget_parser(sub, _month)

    backup = sub.add_parser("backup", help="a consistent copy of the database (even while "
                                           "the app runs)")
    backup.add_argument("file", nargs="?", metavar="FILE",
                        help="default: NAME-backup-YYYY-MM-DD.db beside the database")
    restore = sub.add_parser("restore", help="put a backup back (a copy of what it replaces "
                                             "is kept)")
    restore.add_argument("file", metavar="FILE")
    return p


def _period_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="from_", type=_date, metavar="DATE",
                        help="first day, inclusive (YYYY-MM-DD)")
    parser.add_argument("--to", type=_date, metavar="DATE", help="last day, exclusive")
    parser.add_argument("--month", type=_month, metavar="YYYY-MM")


def _listing(parser: argparse.ArgumentParser) -> None:
    """Every list command prints a table for people, or JSON for programs (docs/json.md)."""
    parser.add_argument("--format", choices=("table", "json"), default="table")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("cost", "compare") and args.month and (args.from_ or args.to):
        parser.error("--month cannot be combined with --from/--to")
    try:
        status = _dispatch(args)
        if sys.stdout is not None:  # None under pythonw (the app started without a console)
            sys.stdout.flush()  # here, not at exit: a closed pipe must be caught below
        return status
    except BrokenPipeError:
        # The reader went away (`meterbook cost | head`) with what it wanted: no error for
        # the person. Python flushes stdout again at exit; on devnull that cannot fail.
        _quiet_stdout()
        return 0
    except (ImportRefused, PlanFileError, RatesFileError) as exc:
        print(exc, file=sys.stderr)  # FILE:LINE: message, one a line, as editors read them
        return 1
    except (Refused, DatabaseError, MissingRate) as exc:
        print(f"meterbook: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("meterbook: cancelled; nothing was changed", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: a message and a log, no traceback
        from meterbook.logs import log_unexpected

        where = log_unexpected(exc)
        print(f"meterbook: unexpected error: {exc}\n(details were written to {where})",
              file=sys.stderr)
        return 1


def _quiet_stdout() -> None:
    # A stdout that is no file (a test's capture) has no descriptor to point elsewhere.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _compare(args: argparse.Namespace) -> int:
    from meterbook import commands_compare

    return commands_compare.run(args)


def _dispatch(args: argparse.Namespace) -> int:
    from meterbook import commands, commands_backup

    if args.command is None and not args.demo:
        return commands.gui(args, demo=False)
    handlers: dict[str | None, Callable[[argparse.Namespace], int]] = {
        None: lambda a: commands.gui(a, demo=True),
        "gui": lambda a: commands.gui(a, demo=a.gui_demo or a.demo),
        "demo": commands.demo,
        "import": commands.import_usage,
        "imports": commands.imports,
        "plans": commands.plans,
        "cost": commands.cost,
        "compare": _compare,
        "settings": commands.settings,
        "rates": commands.rates,
        "plan-budget": commands_planner.plan_budget,
        "report": commands.report,
        "budget": budget,
        "backup": commands_backup.backup,
        "restore": commands_backup.restore_backup,
    }
    return handlers[args.command](args)
