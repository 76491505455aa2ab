"""What each `meterbook` subcommand does: parse nothing, print results, raise for refusals.

cli.py owns the arguments and exit statuses; the work itself is in core/store/importers, which
the desktop app calls too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from meterbook.core.cost import MissingRate, NotingRates, missing_rates_text
from meterbook.core.periods import parse_day, zone
from meterbook.errors import Refused
from meterbook.reports import listings, plan_listing
from meterbook.reports.tables import terminal_width
from meterbook.store import readers
from meterbook.store.database import Database, open_database


def _open(args: argparse.Namespace) -> Database:
    return open_database(args.db)


def _report_tz(args: argparse.Namespace, db: Database) -> str:
    """--tz, else the saved setting, else this computer's zone, else UTC."""
    chosen = getattr(args, "cost_tz", None) or args.tz
    if chosen:
        return chosen
    with db.engine.connect() as conn:
        return readers.effective_timezone(conn)


class _TerminalProgress:
    """Progress on stderr, only when stderr is a terminal (cli.md)."""

    def __init__(self, what: str):
        self.what = what
        self.on = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if self.on and total:
            print(f"\r{self.what}: {100 * done // total:3d}%", end="", file=sys.stderr,
                  flush=True)

    def close(self) -> None:
        if self.on:
            print("\r" + " " * (len(self.what) + 6) + "\r", end="", file=sys.stderr)


def gui(args: argparse.Namespace, demo: bool) -> int:
    """The desktop app; `--screenshot DIR` saves each page as a PNG and exits."""
    screenshot = getattr(args, "screenshot", None)
    if not os.environ.get("QT_QPA_PLATFORM"):
        if screenshot:
            # Photographing the pages needs no screen: without this a machine with no display
            # (a server, CI, an SSH session) gets Qt's abort about the "xcb" plugin instead.
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        elif sys.platform.startswith("linux") and not (
                os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise Refused("there is no screen to show the window on (neither DISPLAY nor "
                          "WAYLAND_DISPLAY is set): start it from a desktop session, or save "
                          "the pages as pictures with `meterbook gui --screenshot DIR`")
    from meterbook.app.launch import run

    return run(args.db, demo=demo, screenshot_dir=screenshot,
               size=getattr(args, "size", (1280, 800)))


def demo(args: argparse.Namespace) -> int:
    from meterbook.importers.demo import save_demo, what_it_holds

    if args.months < 1 or args.months > 36:
        raise Refused("--months must be between 1 and 36")
    db = _open(args)
    held = None if args.force else what_it_holds(db)
    if held:
        raise Refused(f"{db.display_name} already holds {held}: the demo would mix with them. "
                      "Nothing was changed. Give the demo a database of its own (meterbook "
                      "--db demo.db demo, or meterbook --demo for the app), or add --force")
    save_demo(db, args.months)
    print(f"Demo data ({args.months} months) saved in {db.shown_url}")
    return 0


def import_usage(args: argparse.Namespace) -> int:
    for name in args.files:
        if not Path(name).is_file():
            raise Refused(f"{name}: no such file")
    mapping, opened = _mapping_from_args(args)
    try:
        db = _open(args)
        summary = _import_files(args, db, mapping, opened)
    finally:
        if opened is not None:
            opened.close()
    if args.save_profile and mapping is not None and not args.dry_run:
        _save_profile(db, args.save_profile, mapping)
    for error in summary.errors:
        print(error, file=sys.stderr)
    for warning in summary.warnings:
        print(f"{warning.file}:{warning.line}: warning: {warning.detail}", file=sys.stderr)
    unlisted = summary.future_lines - len(summary.warnings)
    if unlisted > 0:
        print(f"... and {unlisted:,} more lines dated more than a day after now",
              file=sys.stderr)
    # Exit 0 even when --skip-bad-lines kept nothing but refused lines: the import did what it
    # was asked, and the summary (and JSON: added 0, refused N) says so.
    if args.format == "json":
        print(json.dumps(summary.as_json(), indent=2))
        return 0
    files = ", ".join(summary.files)
    if summary.lines == 0:
        print(f"{files} ({summary.profile}): no usage lines; nothing imported")
        return 0
    verb = "would add" if summary.dry_run else "added"
    where = f" as batch {summary.batch}" if summary.batch else ""
    empty = (f" ({summary.empty_lines:,} with nothing to import)" if summary.empty_lines
             else "")
    print(f"{files} ({summary.profile}): {summary.lines:,} lines{empty}, {verb} "
          f"{summary.added:,}{where}, {summary.duplicates:,} already imported, "
          f"{summary.refused:,} refused")
    if summary.kept_refused_only:
        print(f"No record was added: batch {summary.batch} keeps only the {summary.refused:,} "
              f"refused lines (meterbook imports undo {summary.batch} removes it).")
    if summary.future_lines:
        many = (f"{summary.future_lines:,} lines are" if summary.future_lines > 1
                else "1 line is")
        print(f"Warning: {many} dated more than a day after now (listed on stderr): "
              f"imported, but check the dates.")
    return 0


def _import_files(args: argparse.Namespace, db: Database, mapping, opened):
    from meterbook.importers.errors import ImportRefused
    from meterbook.importers.pipeline import import_files

    progress = _TerminalProgress("importing")
    try:
        summary = import_files(db, args.files, profile=args.profile or args.save_profile,
                               mapping=mapping, opened=opened,
                               skip_bad_lines=args.skip_bad_lines, dry_run=args.dry_run,
                               progress=progress)
    except ImportRefused as exc:
        progress.close()
        if args.format == "json" and getattr(exc, "summary", None) is not None:
            print(json.dumps(exc.summary.as_json(), indent=2))
        raise
    progress.close()
    return summary


def _mapping_from_args(args: argparse.Namespace):
    """The --map mapping with its options, and the first file opened with its header read to
    check the mapping (the import reads on from it: the header is read once); (None, None)
    without --map. The options alone are a usage mistake."""
    from meterbook.importers.mapping import (
        ColumnMapping,
        OpenedCsv,
        check_mapping,
        parse_map_args,
    )  # fmt: skip

    options = [name for name, value in (("--vendor", args.vendor),
               ("--decimal-comma", args.decimal_comma), ("--date-format", args.date_format),
               ("--save-profile", args.save_profile)) if value]
    if not args.map:
        if options:
            raise Refused(f"{', '.join(options)} go with --map COLUMN=FIELD (a column "
                          "mapping); a recognised format needs none")
        return None, None
    if args.profile:
        raise Refused("give either --profile or --map, not both")
    opened = OpenedCsv(args.files[0])
    try:
        columns = parse_map_args(args.map, opened.header)
        mapping = ColumnMapping(columns=columns, vendor=args.vendor,
                                decimal_comma=args.decimal_comma, date_format=args.date_format)
        problems = check_mapping(mapping, opened.header)
    except ValueError as exc:
        opened.close()
        raise Refused(str(exc)) from None
    if problems:
        opened.close()
        raise Refused("\n".join(problems))
    return mapping, opened


def _save_profile(db: Database, name: str, mapping) -> None:
    from meterbook.importers.mapping_profiles import save_profile

    with db.session() as session:
        try:
            save_profile(session, name, mapping)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        session.commit()
    print(f"Column mapping saved as {name!r}: next time, --profile {name!r}", file=sys.stderr)


def imports(args: argparse.Namespace) -> int:
    from meterbook.store.batches import list_batches, undo_batch

    db = _open(args)
    if args.action == "formats":
        return _list_formats(db, args.format)
    if args.action == "undo":
        try:
            removed = undo_batch(db, args.batch)
        except KeyError:
            raise Refused(f"there is no import batch {args.batch} "
                          "(see `meterbook imports list`)") from None
        print(f"Removed batch {args.batch}: {removed:,} records; charges re-priced")
        return 0
    batches = list_batches(db)
    if args.format == "json":
        return _print_json({"batches": [listings.batch_json(b) for b in batches]})
    if not batches:
        print("No imports yet.")
        return 0
    return _print_lines(listings.batches_table(batches, terminal_width()))


def _list_formats(db: Database, output: str) -> int:
    from meterbook.importers.formats import formats
    from meterbook.importers.mapping_profiles import list_profiles

    with db.engine.connect() as conn:
        saved = list_profiles(conn)
    if output == "json":
        return _print_json({
            "formats": [{"profile": f.profile, "title": f.title, "kind": f.kind}
                        for f in formats()],
            "saved_mappings": list(saved)})
    print("Recognised from the header (or name one with --profile):")
    _print_lines(listings.formats_table([(f.profile, f.title) for f in formats()],
                                        terminal_width()))
    print("Saved column mappings:" if saved else "No saved column mappings "
          "(import with --map ... --save-profile NAME to make one).")
    for name in saved:
        print(f"  {name}")
    return 0


def _print_json(document: dict) -> int:
    print(json.dumps(document, indent=2, ensure_ascii=False))
    return 0


def _print_lines(lines: list[str]) -> int:
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


def plans(args: argparse.Namespace) -> int:
    from meterbook.store import plan_ops

    db = _open(args)
    if args.action == "import":
        path = Path(args.file)
        if not path.is_file():
            raise Refused(f"{args.file}: no such file")
        if _is_json(path):
            result = _import_litellm(db, path, args)
        elif args.vendor or args.effective_from:
            raise Refused("--vendor and --effective-from are for LiteLLM's price map (JSON); "
                          "a TOML file says its own vendors and dates")
        else:
            result = plan_ops.import_plan_file(db, path)
        print(f"{args.file}: saved {result.saved} plan version(s) ({result.replaced} replaced); "
              f"{result.repriced:,} record(s) re-priced")
        return 0
    if args.action == "catalog":
        from meterbook.core.catalog import catalog_plans

        if args.format == "json":
            return _print_json({"plans": [plan_listing.plan_json(p) for p in catalog_plans()]})
        _print_lines(plan_listing.plans_table(catalog_plans(), terminal_width()))
        print("\nSave one with `meterbook plans add-from-catalog NAME`.")
        return 0
    if args.action == "add-from-catalog":
        from meterbook.core.catalog import UnknownCatalogPlan, catalog_entry

        try:
            versions = catalog_entry(args.name)
        except UnknownCatalogPlan as exc:
            raise Refused(str(exc).strip("'\"")) from None
        result = plan_ops.save_plan_set(db, versions, "catalog")
        print(f"{versions[0].name}: saved {result.saved} version(s) from the catalog; "
              f"{result.repriced:,} record(s) re-priced")
        return 0
    if args.action == "export":
        text = plan_ops.export_plans(db)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"Plans written to {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    saved = plan_ops.list_plans(db)
    if args.format == "json":
        return _print_json({"plans": [{"id": pid, **plan_listing.plan_json(plan)}
                                      for pid, plan in saved]})
    if not saved:
        print("No plans yet: `meterbook plans import FILE.toml` adds some.")
        return 0
    return _print_lines(plan_listing.plans_table([p for _, p in saved], terminal_width()))


def _is_json(path: Path) -> bool:
    """A JSON object (LiteLLM's price map is one); TOML plan files start with [[plan]]."""
    with open(path, "rb") as f:
        return f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _import_litellm(db: Database, path: Path, args: argparse.Namespace):
    from meterbook.core.litellm_prices import load_litellm_price_map, plans_from_litellm
    from meterbook.store import plan_ops

    try:
        document = load_litellm_price_map(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(f"{path.name}: {exc}") from None
    start = None
    if args.effective_from:
        start = datetime.fromisoformat(args.effective_from)
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
    found, notes = plans_from_litellm(document, vendors=set(args.vendor) or None,
                                      effective_from=start, source=f"LiteLLM {path.name}")
    if notes:
        print(f"{path.name}: {len(notes)} entr{'y' if len(notes) == 1 else 'ies'} not taken "
              "(no price Meterbook plans can hold, or a duplicate):", file=sys.stderr)
        for note in notes[:10]:
            print(f"  {note}", file=sys.stderr)
        if len(notes) > 10:
            print(f"  ... and {len(notes) - 10} more", file=sys.stderr)
    if not found:
        raise Refused(f"{path.name}: no prices to import"
                      + (f" for {', '.join(args.vendor)}" if args.vendor else ""))
    return plan_ops.save_plan_set(db, found, path.name)


def cost(args: argparse.Namespace) -> int:
    return _print_cost(args, _open(args))


def _missing_rates(conn, query, plans) -> str:
    """Every rate the query lacks, found in one more pass that notes them instead of stopping
    at the first, with the commands that add them."""
    from dataclasses import replace

    from meterbook.store.cost_query import run_cost_query

    noting = NotingRates(query.rates or {})
    run_cost_query(conn, replace(query, rates=noting), plans)
    if not noting.missing:
        return ""
    first = min(noting.missing)
    return (f"{missing_rates_text(noting.missing, query.home_currency)}; add them with "
            f"`meterbook rates set {first[0]} {first[1]} RATE` (one a month) or "
            "`meterbook rates import FILE`")


def period(args: argparse.Namespace, tz) -> tuple[int | None, int | None]:
    """--month, or --from/--to (days in the report zone, --to exclusive), as instants."""
    if args.month:
        y, m = (int(x) for x in args.month.split("-"))
        y2, m2 = (y + 1, 1) if m == 12 else (y, m + 1)
        return parse_day(f"{y:04d}-{m:02d}-01", tz), parse_day(f"{y2:04d}-{m2:02d}-01", tz)
    from_us = parse_day(args.from_, tz) if args.from_ else None
    to_us = parse_day(args.to, tz) if args.to else None
    if from_us is not None and to_us is not None and to_us <= from_us:
        raise Refused("--to must be after --from (--to is exclusive)")
    return from_us, to_us


def _print_cost(args: argparse.Namespace, db: Database) -> int:
    from meterbook.core.plan_files import read_plans
    from meterbook.reports import cost_output
    from meterbook.store.cost_query import CostQuery, run_cost_query

    tz_name = _report_tz(args, db)
    tz = zone(tz_name)
    from_us, to_us = period(args, tz)
    whatif = None
    if args.plans:
        path = Path(args.plans)
        if not path.is_file():
            raise Refused(f"{args.plans}: no such file")
        whatif = read_plans(path.read_text(encoding="utf-8-sig"), str(path))
        from meterbook.core.plan_checks import check_plan_set
        from meterbook.core.plans import PlanFileError

        problems = check_plan_set(whatif)
        if problems:
            raise PlanFileError(str(path), problems)
    with db.engine.connect() as conn:
        query = CostQuery(by=args.by, source=args.source, tz=tz, from_us=from_us, to_us=to_us,
                          home_currency=readers.home_currency(conn),
                          rates=readers.rates_for(conn), whatif=whatif)
        plans = readers.load_plans(conn)
        try:
            report = run_cost_query(conn, query, plans)
        except MissingRate as exc:
            raise Refused(_missing_rates(conn, query, plans) or str(exc)) from None
        only_billed = None
        if args.source == "computed" and whatif is None and not report.total.usage_cost:
            only_billed = _only_billed_lines(conn, query)
    if only_billed is not None and args.format == "table" and not report.total.cost:
        # A table of 0.00 would read as "free": say why nothing was computed instead.
        print(only_billed)
        return 0
    if args.format == "json":
        print(cost_output.as_json(report))
    elif args.format == "csv":
        sys.stdout.write(cost_output.as_csv(report))
    else:
        sys.stdout.write(cost_output.as_table(report, tz_name, terminal_width()))
    if only_billed is not None:  # after the plans' fees; csv and json keep their shape
        print(("\n" if args.format == "table" else "") + only_billed,
              file=sys.stdout if args.format == "table" else sys.stderr)
    return 0


def _only_billed_lines(conn, query) -> str | None:
    """Why `--source computed` found nothing, when every record in the period is a billed
    cost line (money from the vendor, no tokens for a plan to price); None otherwise."""
    from meterbook.core.money import format_display
    from meterbook.store.usage_query import UsageFilter, usage_totals

    totals = usage_totals(conn, UsageFilter(from_us=query.from_us, to_us=query.to_us),
                          query.tz, query.home_currency, query.rates, exact_records=True)
    if not totals.records or totals.requests or totals.billed_records < totals.records:
        return None
    billed = ("" if totals.missing_rates else
              f" They were billed {format_display(totals.billed)} {totals.currency} in all.")
    return (f"No usage charge was computed: every record in this period ({totals.records:,}) is a "
            "billed cost line from a vendor's cost export, which carries the vendor's own "
            f"money and no token counts for a plan to price.{billed}\nUse --source auto (the "
            "default) or --source billed to see them.")


def report(args: argparse.Namespace) -> int:
    from meterbook.commands_report import report as write_report

    db = _open(args)
    return write_report(args, db, _report_tz(args, db))


def settings(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from meterbook.store import settings as settings_store

    db = _open(args)
    with Session(db.engine) as session:
        before = settings_store.home_currency(session)
        try:
            if args.currency:
                settings_store.set_home_currency(session, code=args.currency)
            if args.timezone:
                settings_store.set_report_timezone(session, name=args.timezone)
            if args.paper:
                settings_store.set_paper_size(session, paper=args.paper)
            if args.company is not None:
                settings_store.set_company_name(session, name=args.company)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        session.commit()
        home = settings_store.home_currency(session)
        tz = settings_store.report_timezone(session)
        paper = settings_store.paper_size(session.connection())
        company = settings_store.company_name(session.connection())
        has_rates = bool(settings_store.list_rates(session))
    if home != before and has_rates:
        print(f"Note: the saved exchange rates were entered against {before}; check them with "
              "`meterbook rates list`.", file=sys.stderr)
    print(f"home currency: {home}")
    print(f"time zone:     {tz or 'not set (this computer’s zone is used)'}")
    print(f"paper:         {paper}")
    print(f"company:       {company or 'not set'}")
    print(f"database:      {db.shown_url}")
    return 0


def rates(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from meterbook.store import settings as settings_store

    db = _open(args)
    with Session(db.engine) as session:
        if args.action == "set":
            if args.currency.strip().upper() == settings_store.home_currency(session):
                raise Refused(f"{args.currency.upper()} is the home currency: its figures need "
                              "no exchange rate")
            try:
                settings_store.set_rate(session, currency=args.currency, month=args.month,
                                        rate=args.rate)
            except ValueError as exc:
                raise Refused(str(exc)) from None
            session.commit()
            print(f"1 {args.currency.upper()} = {args.rate} "
                  f"{settings_store.home_currency(session)} in {args.month}")
            return 0
        if args.action == "import":
            if not Path(args.file).is_file():
                raise Refused(f"{args.file}: no such file")
            count = settings_store.import_rates_csv(session, path=args.file)
            session.commit()
            print(f"{args.file}: {count} rate(s) saved")
            return 0
        home = settings_store.home_currency(session)
        saved = settings_store.list_rates(session)
    if args.format == "json":
        return _print_json(listings.rates_json(saved, home))
    if not saved:
        print(f"No exchange rates. Home currency: {home}.")
        return 0
    return _print_lines(listings.rates_table(saved, home, terminal_width()))
