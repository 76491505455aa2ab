"""`meterbook compare`: the saved plans and alternative plan files side by side on stored usage.

Nothing is saved: the alternatives are priced in memory (store/compare.py). A plan file with
errors is refused with every problem listed (PlanFileError, as `plans import`), before any
usage is read.
"""

from __future__ import annotations

import argparse
import sys

from meterbook.commands import _open, _report_tz, period
from meterbook.core.periods import zone
from meterbook.core.plans import PlanFileError
from meterbook.core.quick_plans import alternative_from_file
from meterbook.errors import Refused
from meterbook.reports import compare_output
from meterbook.reports.tables import terminal_width
from meterbook.store import readers
from meterbook.store.compare import MissingRates, Scope, compare


def run(args: argparse.Namespace) -> int:
    alternatives, problems = [], []
    for path in args.plans:
        try:
            alternatives.append(alternative_from_file(path))
        except PlanFileError as exc:  # every file's problems, not only the first file's
            problems.extend(str(exc).splitlines())
    if problems:
        raise Refused("alternative plans refused, nothing compared:\n" + "\n".join(problems))
    names = [a.name for a in alternatives]
    if len(set(names)) < len(names) or "saved" in names:
        raise Refused("two alternatives share a file name (or one is named 'saved'): "
                      "give each plan file its own name")
    db = _open(args)
    tz_name = _report_tz(args, db)
    tz = zone(tz_name)
    from_us, to_us = period(args, tz)
    scope = Scope(from_us, to_us, tz, args.vendor, args.model, args.project)
    with db.engine.connect() as conn:
        try:
            result = compare(conn, scope, readers.load_plans(conn), alternatives,
                             readers.home_currency(conn), readers.rates_for(conn))
        except MissingRates as exc:
            raise Refused(str(exc)) from None
    if args.format != "table":  # the table says these itself; csv and json keep their shape
        if result.empty:
            print("No usage in this scope: nothing to compare (0 records).", file=sys.stderr)
        if compare_output.billed_only_note(result):
            print(compare_output.billed_only_note(result), file=sys.stderr)
    if args.format == "json":
        print(compare_output.as_json(result))
    elif args.format == "csv":
        sys.stdout.write(compare_output.as_csv(result))
    else:
        sys.stdout.write(compare_output.as_table(result, tz_name, terminal_width()))
    return 0
