"""What each `meterbook` subcommand does: parse nothing, print results, raise for refusals.

cli.py owns the arguments and exit statuses; the work itself is in core/store/importers, which
the desktop app calls too.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from meterbook.cli import Refused
from meterbook.core.periods import parse_day, zone
from meterbook.core.records import from_epoch_us
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
    from meterbook.app.launch import run

    return run(args.db, demo=demo, screenshot_dir=getattr(args, "screenshot", None),
               size=getattr(args, "size", (1280, 800)))


def _fill_demo(db: Database, months: int) -> None:
    from meterbook.core.demo import demo_data
    from meterbook.store.demo_store import save_demo

    plans, records = demo_data(end=datetime.now(UTC), months=months)
    save_demo(db, plans, records)


def demo(args: argparse.Namespace) -> int:
    if args.months < 1 or args.months > 36:
        raise Refused("--months must be between 1 and 36")
    db = _open(args)
    _fill_demo(db, args.months)
    print(f"Demo data ({args.months} months) saved in {db.url}")
    return 0


def import_usage(args: argparse.Namespace) -> int:
    from meterbook.importers.errors import ImportRefused
    from meterbook.importers.pipeline import import_files

    for name in args.files:
        if not Path(name).is_file():
            raise Refused(f"{name}: no such file")
    mapping = _mapping_from_args(args)
    db = _open(args)
    progress = _TerminalProgress("importing")
    try:
        summary = import_files(db, args.files, profile=args.profile or args.save_profile,
                               mapping=mapping,
                               skip_bad_lines=args.skip_bad_lines, dry_run=args.dry_run,
                               progress=progress)
    except ImportRefused as exc:
        progress.close()
        if args.format == "json" and getattr(exc, "summary", None) is not None:
            print(json.dumps(exc.summary.as_json(), indent=2))
        raise
    progress.close()
    if args.save_profile and mapping is not None and not args.dry_run:
        _save_profile(db, args.save_profile, mapping)
    for error in summary.errors:
        print(error, file=sys.stderr)
    if args.format == "json":
        print(json.dumps(summary.as_json(), indent=2))
        return 0
    files = ", ".join(summary.files)
    if summary.lines == 0:
        print(f"{files} ({summary.profile}): no usage lines; nothing imported")
        return 0
    verb = "would add" if summary.dry_run else "added"
    where = f" as batch {summary.batch}" if summary.batch else ""
    print(f"{files} ({summary.profile}): {summary.lines:,} lines, {verb} "
          f"{summary.added:,}{where}, {summary.duplicates:,} already imported, "
          f"{summary.refused:,} refused")
    return 0


def _mapping_from_args(args: argparse.Namespace):
    """The --map mapping with its options; the options alone are a usage mistake."""
    from meterbook.importers.mapping import (
        ColumnMapping,
        check_mapping,
        parse_map_args,
        read_header,
    )  # fmt: skip

    options = [name for name, value in (("--vendor", args.vendor),
               ("--decimal-comma", args.decimal_comma), ("--date-format", args.date_format),
               ("--save-profile", args.save_profile)) if value]
    if not args.map:
        if options:
            raise Refused(f"{', '.join(options)} go with --map COLUMN=FIELD (a column "
                          "mapping); a recognised format needs none")
        return None
    if args.profile:
        raise Refused("give either --profile or --map, not both")
    header, _delimiter = read_header(args.files[0])
    try:
        columns = parse_map_args(args.map, header)
        mapping = ColumnMapping(columns=columns, vendor=args.vendor,
                                decimal_comma=args.decimal_comma, date_format=args.date_format)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    problems = check_mapping(mapping, header)
    if problems:
        raise Refused("\n".join(problems))
    return mapping


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
        return _list_formats(db)
    if args.action == "undo":
        try:
            removed = undo_batch(db, args.batch)
        except KeyError:
            raise Refused(f"there is no import batch {args.batch} "
                          "(see `meterbook imports list`)") from None
        print(f"Removed batch {args.batch}: {removed:,} records; charges re-priced")
        return 0
    batches = list_batches(db)
    if not batches:
        print("No imports yet.")
        return 0
    print(f"{'BATCH':>5}  {'WHEN (UTC)':16}  {'FORMAT':10}  {'LINES':>9}  {'ADDED':>9}  "
          f"{'DUPL.':>7}  {'REFUSED':>7}  FILES")
    for b in batches:
        when = from_epoch_us(b.created_us).strftime("%Y-%m-%d %H:%M")
        print(f"{b.id:>5}  {when:16}  {b.profile:10}  {b.lines:>9,}  {b.added:>9,}  "
              f"{b.duplicates:>7,}  {b.refused:>7,}  {', '.join(b.files.splitlines())}")
    return 0


def _list_formats(db: Database) -> int:
    from meterbook.importers.formats import formats
    from meterbook.importers.mapping_profiles import list_profiles

    print("Recognised from the header (or name one with --profile):")
    for fmt in formats():
        print(f"  {fmt.profile:24}  {fmt.title}")
    with db.engine.connect() as conn:
        saved = list_profiles(conn)
    print("Saved column mappings:" if saved else "No saved column mappings "
          "(import with --map ... --save-profile NAME to make one).")
    for name in saved:
        print(f"  {name}")
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

        print(f"{'PLAN':32}  {'VENDOR':10}  {'MODEL':26}  {'FROM':10}  {'CUR':3}  PRICES")
        for plan in catalog_plans():
            _print_plan(plan)
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
    if not saved:
        print("No plans yet: `meterbook plans import FILE.toml` adds some.")
        return 0
    print(f"{'PLAN':32}  {'VENDOR':10}  {'MODEL':26}  {'FROM':10}  {'CUR':3}  PRICES")
    for _, plan in saved:
        _print_plan(plan)
    return 0


def _print_plan(plan) -> None:
    start = f"{plan.effective_from:%Y-%m-%d}" if plan.effective_from else "always"
    tier = f" [{plan.service_tier}]" if plan.service_tier else ""
    model = (plan.model + tier)[:26]
    print(f"{plan.name[:32]:32}  {plan.vendor[:10]:10}  {model:26}  {start:10}  "
          f"{plan.currency:3}  {_price_summary(plan)}")


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


def _price_summary(plan) -> str:
    parts = []
    unit = f"/{plan.token_unit:,} tok" if plan.token_unit != 1_000_000 else "/M tok"
    if plan.input or plan.output:
        parts.append(f"in {plan.input} out {plan.output}{unit}")
    if plan.request:
        parts.append(f"{plan.request}/request")
    if plan.unit_price:
        parts.append(f"{plan.unit_price}/{plan.unit_size:,} units")
    if plan.volume:
        parts.append(f"{plan.volume.mode} tiers on {plan.volume.meter}")
    if plan.size_tiers:
        parts.append(f"{len(plan.size_tiers)} size tier(s)")
    if plan.monthly_fee:
        parts.append(f"fee {plan.monthly_fee}/month")
    if plan.monthly_minimum:
        parts.append(f"minimum {plan.monthly_minimum}/month")
    return "; ".join(parts) or "free"


def cost(args: argparse.Namespace) -> int:
    return _print_cost(args, _open(args))


def _print_cost(args: argparse.Namespace, db: Database) -> int:
    from meterbook.core.plan_files import read_plans
    from meterbook.reports import cost_output
    from meterbook.store.cost_query import CostQuery, run_cost_query

    tz_name = _report_tz(args, db)
    tz = zone(tz_name)
    from_us = to_us = None
    if args.month:
        y, m = (int(x) for x in args.month.split("-"))
        from_us = parse_day(f"{y:04d}-{m:02d}-01", tz)
        y2, m2 = (y + 1, 1) if m == 12 else (y, m + 1)
        to_us = parse_day(f"{y2:04d}-{m2:02d}-01", tz)
    else:
        from_us = parse_day(args.from_, tz) if args.from_ else None
        to_us = parse_day(args.to, tz) if args.to else None
    if from_us is not None and to_us is not None and to_us <= from_us:
        raise Refused("--to must be after --from (--to is exclusive)")
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
        report = run_cost_query(conn, query, readers.load_plans(conn))
    if args.format == "json":
        print(cost_output.as_json(report))
    elif args.format == "csv":
        sys.stdout.write(cost_output.as_csv(report))
    else:
        sys.stdout.write(cost_output.as_table(report, tz_name))
    return 0


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
        except ValueError as exc:
            raise Refused(str(exc)) from None
        session.commit()
        home = settings_store.home_currency(session)
        tz = settings_store.report_timezone(session)
        has_rates = bool(settings_store.list_rates(session))
    if home != before and has_rates:
        print(f"Note: the saved exchange rates were entered against {before}; check them with "
              "`meterbook rates list`.", file=sys.stderr)
    print(f"home currency: {home}")
    print(f"time zone:     {tz or 'not set (this computer’s zone is used)'}")
    print(f"database:      {db.url}")
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
    if not saved:
        print(f"No exchange rates. Home currency: {home}.")
        return 0
    print(f"{'CURRENCY':8}  {'MONTH':7}  RATE (in {home})")
    for currency, month, rate in saved:
        print(f"{currency:8}  {month:7}  {rate}")
    return 0
