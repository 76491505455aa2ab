"""Times the app's reads (the soak's questions) on a database as it is, without importing.

usage: python benchmarks/bench_queries.py URL_OR_PATH [--month YYYY-MM] [--explain]
Each of app_queries.ASKS (the Dashboard overview, the Usage page's first page, the
Conversations page for the newest month, `cost --by month`) runs three times; the best wall
time is printed, and the best CPU time of this process beside it (on a shared machine the wall
time waits for the cores; the CPU time tells the work done, SQLite's included, not
PostgreSQL's). `--explain` also prints the plan of every SELECT they send: EXPLAIN QUERY PLAN on
SQLite, EXPLAIN on PostgreSQL. Opening the database upgrades its schema as the app would (with
the app's backup first): run it on a copy to time the same file before and after a change.
Not a test: run by hand.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from app_queries import ASKS, newest_month  # noqa: E402
from meterbook.core.periods import parse_month  # noqa: E402
from meterbook.store.database import masked, open_database  # noqa: E402

ROUNDS = 3


class _Statements:
    """Every statement (with its parameters) the driver runs while recording."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, tuple]] = []

    def add(self, statement: str, params=()) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            key = (statement, tuple(params or ()))
            if key not in self.seen:
                self.seen.append(key)


def _recording(db, statements: _Statements):
    """Make every new pooled connection report what it runs: SQLite through its trace
    callback (statements with their values written in), psycopg through a cursor class."""
    from sqlalchemy import event

    def on_connect(dbapi_conn, _record):
        if db.engine.dialect.name == "sqlite":
            dbapi_conn.set_trace_callback(statements.add)
            return
        base = dbapi_conn.cursor_factory

        class Recording(base):
            def execute(self, query, params=None, **kw):
                statements.add(str(query), params or ())
                return super().execute(query, params, **kw)

        dbapi_conn.cursor_factory = Recording

    db.engine.dispose()  # connections opened before this would not record
    event.listen(db.engine, "connect", on_connect)
    return lambda: event.remove(db.engine, "connect", on_connect)


def _explain(db, statements: _Statements) -> None:
    sqlite = db.engine.dialect.name == "sqlite"
    with db.engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        for statement, params in statements.seen:
            print("\n  " + " ".join(statement.split())[:600])
            if sqlite:
                cursor.execute("EXPLAIN QUERY PLAN " + statement)
                for _id, parent, _unused, detail in cursor.fetchall():
                    print(f"    {'  ' * (parent > 0)}{detail}")
            else:
                cursor.execute("EXPLAIN " + statement, params)
                for (line,) in cursor.fetchall():
                    print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", metavar="URL_OR_PATH")
    parser.add_argument("--month", help="the month asked for (default: the newest record's)")
    parser.add_argument("--explain", action="store_true",
                        help="print the query plan of every SELECT sent")
    args = parser.parse_args()
    db = open_database(args.db)
    try:
        month = parse_month(args.month) if args.month else newest_month(db)
        if month is None:
            raise SystemExit(f"{args.db}: no usage records to ask about")
        with db.engine.connect() as conn:
            records = conn.exec_driver_sql("SELECT count(*) FROM usage_record").scalar_one()
        print(f"{masked(args.db)}: {records:,} records; month {month[0]:04d}-{month[1]:02d}; "
              f"best of {ROUNDS}")
        for name, ask in ASKS.items():
            best, cpu = float("inf"), float("inf")
            for _ in range(ROUNDS):
                t, c = time.perf_counter(), time.process_time()
                ask(db, month)
                best = min(best, time.perf_counter() - t)
                cpu = min(cpu, time.process_time() - c)
            print(f"  {name:32} {best:8.3f} s  (CPU {cpu:.3f} s)", flush=True)
            if args.explain:
                statements = _Statements()
                stop = _recording(db, statements)
                ask(db, month)
                stop()
                db.engine.dispose()
                _explain(db, statements)
                print()
    finally:
        db.close()


if __name__ == "__main__":
    main()
