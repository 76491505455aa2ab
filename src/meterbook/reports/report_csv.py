"""The monthly report as CSV (issue 12): one line per vendor, model and project, one per
fixed charge (its plan's name in `model`), and a last TOTAL line that the lines add up to.

Money is exact (9 decimal places, as `meterbook cost --format csv`); UTF-8 with a byte order
mark so that Excel reads the names right; text from imported files neutralised against
formulas.
"""

from __future__ import annotations

import csv
import io

from meterbook.core.cost import CostRow
from meterbook.core.money import format_exact
from meterbook.reports.file_output import neutralise
from meterbook.reports.monthly import MonthlyReport

COLUMNS = ("vendor", "model", "project", "requests", "input_tokens", "cached_input_tokens",
           "cache_write_tokens", "output_tokens", "usage_cost", "fixed_cost", "cost",
           "unpriced_requests")


def _cells(vendor: str, model: str, project: str, row: CostRow) -> list[str]:
    return [neutralise(vendor), neutralise(model), neutralise(project), str(row.requests),
            str(row.input_tokens), str(row.cached_input_tokens), str(row.cache_write_tokens),
            str(row.output_tokens), format_exact(row.usage_cost),
            format_exact(row.fixed_cost), format_exact(row.cost), str(row.unpriced_requests)]


def as_text(report: MonthlyReport) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for ln in report.lines:
        w.writerow(_cells(ln.vendor, ln.model, ln.project, ln.row))
    for f in report.fixed:
        w.writerow(_cells(f.vendor, f.plan, "", CostRow(f.plan, fixed_cost=f.amount)))
    w.writerow(["TOTAL", "", "", *_cells("", "", "", report.total)[3:]])
    return out.getvalue()


def as_bytes(report: MonthlyReport) -> bytes:
    return as_text(report).encode("utf-8-sig")
