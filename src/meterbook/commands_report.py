"""`meterbook report`: the monthly report as a file (issue 12). cli.py owns the arguments."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from meterbook.errors import Refused

FORMATS = ("pdf", "html", "csv", "xlsx")


def add_parser(sub) -> None:
    """The `report` subcommand's arguments."""
    rep = sub.add_parser("report", help="the monthly report, as a file for the accountant")
    rep.add_argument("--month", metavar="YYYY-MM|last",
                     help="the month (or 'last': the month before this one)")
    rep.add_argument("--from", dest="from_", metavar="DATE",
                     help="first day, inclusive (YYYY-MM-DD), for a quarter or a year")
    rep.add_argument("--to", metavar="DATE", help="last day, exclusive")
    rep.add_argument("--vendor", metavar="V", help="only this vendor")
    rep.add_argument("--project", metavar="P", help="only this project")
    rep.add_argument("--format", choices=FORMATS, required=True)
    rep.add_argument("-o", "--output", metavar="FILE", required=True)
    rep.add_argument("--generated-at", metavar="ISO",
                     help="the time written as the report's making (default: now), for "
                          "reproducible files")
    rep.add_argument("--tz", dest="cost_tz", metavar="ZONE")


def _generated_at(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(f"--generated-at {text!r} is not an ISO 8601 date-time "
                      "(e.g. 2026-03-01T09:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_args(args: argparse.Namespace) -> str | None:
    if args.month and (args.from_ or args.to):
        raise Refused("--month cannot be combined with --from/--to")
    if not args.month and not (args.from_ and args.to):
        raise Refused("say which period: --month YYYY-MM, --month last, or --from and --to")
    for option, text in (("--from", args.from_), ("--to", args.to)):
        if text:
            try:
                datetime.fromisoformat(text)
            except ValueError:
                raise Refused(f"{option} {text!r} is not a date; expected YYYY-MM-DD "
                              "(e.g. 2026-03-01)") from None
    if args.month and args.month != "last":
        from meterbook.core.periods import parse_month

        try:
            y, m = parse_month(args.month)
        except ValueError as exc:
            raise Refused(f"--month: {exc}") from None
        return f"{y:04d}-{m:02d}"
    return args.month


def report(args: argparse.Namespace, db, tz_name: str) -> int:
    from meterbook.app.report_export import save_report
    from meterbook.core.periods import zone
    from meterbook.reports import monthly
    from meterbook.reports.report_text import empty_text

    month = _check_args(args)
    try:
        zone(tz_name)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    generated_at = _generated_at(args.generated_at)
    period = monthly.choose_period(tz_name, generated_at if args.generated_at else
                                   datetime.now(UTC), month, args.from_, args.to)
    data = monthly.gather(db, period, tz_name, generated_at, args.vendor, args.project)
    save_report(db, data, args.format, args.output)
    if data.empty:  # a valid question (the file exists and says so), but worth a word
        print(f"{empty_text(data)} Written to {args.output}", file=sys.stderr)
    else:
        print(f"Report for {period.label} written to {args.output}")
    return 0
