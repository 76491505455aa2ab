"""The PDF report for one month of a million-record database (issue 12: under 3 s).

usage: python benchmarks/bench_report.py [ROWS=1000000]
Uses benchmarks/out/cost-ROWS.db (bench_cost.py builds it) and times, for the busiest month,
the report's figures alone (`gather`), the PDF in-process (figures, three charts offscreen,
layout and writing) and `meterbook report --format pdf` as a whole command (interpreter, Qt
and all). Each figure is the best of 3 runs. Not a test: run it by hand; it prints a table.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench_cost import OUT, best_of
from meterbook.app.report_export import export_report, report_data
from meterbook.store.database import open_database

AT = datetime(2027, 1, 1, tzinfo=UTC)  # after every generated month: none is "in the future"


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1_000_000
    source = OUT / f"cost-{rows}.db"
    if not source.exists():
        sys.exit(f"{source} is missing: run benchmarks/bench_cost.py {rows} first")
    db = open_database(str(source))
    with db.engine.connect() as conn:
        month, count = conn.exec_driver_sql(
            "SELECT strftime('%Y-%m', timestamp_us / 1000000, 'unixepoch') AS m, count(*) "
            "FROM usage_record GROUP BY m ORDER BY count(*) DESC LIMIT 1").one()
    out = Path(tempfile.mkdtemp(prefix="bench-report-")) / f"{month}.pdf"

    def figures() -> None:
        report_data(db, month=month, generated_at=AT, tz_name="UTC")

    def pdf() -> None:
        export_report(db, "pdf", out, month=month, generated_at=AT, tz_name="UTC")

    def command() -> None:
        subprocess.run([sys.executable, "-m", "meterbook", "--db", str(source), "--tz", "UTC",
                        "report", "--month", month, "--format", "pdf", "-o", str(out),
                        "--generated-at", AT.isoformat()], check=True,
                       stdout=subprocess.DEVNULL)

    results = [("report figures (gather)", best_of(3, figures)),
               ("PDF, in-process (figures, charts, layout)", best_of(3, pdf)),
               ("meterbook report --format pdf (command)", best_of(3, command))]
    print(f"{rows:,} records; {month}: {count:,} of them; {out.stat().st_size:,} bytes of PDF")
    for name, seconds in results:
        print(f"  {name:45} {seconds:7.3f} s")
    db.close()


if __name__ == "__main__":
    main()
