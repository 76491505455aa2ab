"""The one way a monthly report becomes a file, for the CLI (`meterbook report`) and the
Reports page alike: gather the report, draw its charts (HTML and PDF), write it whole.

It lives in app/ because the HTML and PDF carry the app's own chart widgets, rendered
offscreen; Qt is imported only when a format needs it, so a CSV needs no display.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from meterbook.core.pause_points import pause_point
from meterbook.errors import Refused
from meterbook.reports import monthly
from meterbook.reports.file_output import write_atomic
from meterbook.store import readers
from meterbook.store.database import Database

FORMATS = ("pdf", "html", "csv", "xlsx")


def _day(value: str | date | None) -> str | None:
    return None if value is None else str(value)[:10] if isinstance(value, date) else value


def report_data(db: Database, *, month: str | None = None, first: str | date | None = None,
                last: str | date | None = None, vendor: str | None = None,
                project: str | None = None, generated_at: datetime | None = None,
                tz_name: str | None = None) -> monthly.MonthlyReport:
    """The report of a month ("YYYY-MM" or "last") or of the days first..last (both
    included), scoped to a vendor and/or project. `generated_at` (default: now) is the time
    written in it and the "today" that refuses a period in the future."""
    if tz_name is None:
        with db.engine.connect() as conn:
            tz_name = readers.effective_timezone(conn)
    now = generated_at or datetime.now(UTC).replace(microsecond=0)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    end = None
    if last is not None:  # the page speaks of the last day; the period is [first, last + 1)
        end = (date.fromisoformat(_day(last)[:10]) + timedelta(days=1)).isoformat()
    period = monthly.choose_period(tz_name, now, month, _day(first), end)
    return monthly.gather(db, period, tz_name, now, vendor, project)


def report_bytes(db: Database, report: monthly.MonthlyReport, fmt: str) -> bytes:
    """The file's bytes in `fmt` (pdf, html, csv or xlsx)."""
    from meterbook.reports import report_csv, report_html, report_xlsx

    if fmt == "csv":
        return report_csv.as_bytes(report)
    if fmt == "xlsx":
        return report_xlsx.as_bytes(report)
    if fmt == "html":  # the same charts as the PDF, as PNG (stable bytes, unlike SVG ids)
        from meterbook.app.report_charts import chart_images

        return report_html.as_bytes(report, chart_images(db, report))
    if fmt == "pdf":
        from meterbook.app import report_pdf
        from meterbook.store.settings import paper_size

        with db.engine.connect() as conn:
            paper = paper_size(conn)
        return report_pdf.as_bytes(db, report, paper)
    raise Refused(f"{fmt!r} is not a report format; choose one of {', '.join(FORMATS)}")


def save_report(db: Database, report: monthly.MonthlyReport, fmt: str, path: str | Path
                ) -> Path:
    """Write a gathered report to `path`, whole or not at all. For the Reports page: gather
    with `report_data` in a worker, then save here, on the GUI thread for pdf and html (their
    charts are widgets, drawn offscreen)."""
    pause_point("report:gathered")
    content = report_bytes(db, report, fmt)
    pause_point("report:rendered")
    write_atomic(path, content)
    return Path(path)


def export_report(db: Database, fmt: str, path: str | Path, *, month: str | None = None,
                  first: str | date | None = None, last: str | date | None = None,
                  vendor: str | None = None, project: str | None = None,
                  generated_at: datetime | None = None, tz_name: str | None = None) -> Path:
    """Write the report to `path` (beside it first, then renamed: never half a file) and
    return the path. Refused, with a sentence for a person, for a period in the future or a
    path that cannot be written; nothing is left behind then. For pdf and html, call it on
    the GUI thread (or in the CLI): the charts are Qt widgets."""
    report = report_data(db, month=month, first=first, last=last, vendor=vendor,
                         project=project, generated_at=generated_at, tz_name=tz_name)
    return save_report(db, report, fmt, path)
