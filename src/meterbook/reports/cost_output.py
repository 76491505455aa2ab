"""`meterbook cost` output: an aligned table for people, exact CSV and JSON for programs."""

from __future__ import annotations

import csv
import io
import json

from meterbook.core.cost import By, CostReport, CostRow
from meterbook.core.money import format_display, format_exact, format_quantity
from meterbook.reports.tables import Column, Fit, render

CSV_COLUMNS = ("key", "requests", "input_tokens", "cached_input_tokens", "cache_write_tokens",
               "output_tokens", "units", "usage_cost", "fixed_cost", "cost", "unpriced_requests")
DETAIL_COLUMNS = ("timestamp", "vendor", "model", "project", "plan")  # --by request only


def row_json(row: CostRow) -> dict:
    out = {
        "key": row.key, "requests": row.requests, "input_tokens": row.input_tokens,
        "cached_input_tokens": row.cached_input_tokens,
        "cache_write_tokens": row.cache_write_tokens, "output_tokens": row.output_tokens,
        "units": format_quantity(row.units), "usage_cost": format_exact(row.usage_cost),
        "fixed_cost": format_exact(row.fixed_cost), "cost": format_exact(row.cost),
        "unpriced_requests": row.unpriced_requests,
    }
    out.update(row.details)
    return out


_ROW_JSON = ('{"key": %s, "requests": %d, "input_tokens": %d, "cached_input_tokens": %d, '
             '"cache_write_tokens": %d, "output_tokens": %d, "units": "%s", '
             '"usage_cost": "%s", "fixed_cost": "%s", "cost": "%s", "unpriced_requests": %d')


def _row_line(row: CostRow, encode) -> str:
    """row_json(row) as JSON text, by string formatting: a hundred thousand conversations
    are written in a fraction of the time json.dumps takes for as many dicts."""
    text = _ROW_JSON % (
        encode(row.key), row.requests, row.input_tokens, row.cached_input_tokens,
        row.cache_write_tokens, row.output_tokens, format_quantity(row.units),
        format_exact(row.usage_cost), format_exact(row.fixed_cost), format_exact(row.cost),
        row.unpriced_requests)
    extra = "".join(f", {encode(k)}: {encode(v)}" for k, v in row.details.items())
    return text + extra + "}"


def as_json(report: CostReport) -> str:
    """cli.md's JSON, one row a line."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    rows = ",\n".join("    " + _row_line(r, encode) for r in report.rows)
    return (f'{{\n  "currency": {encode(report.currency)},\n  "by": {encode(report.by)},\n'
            f'  "source": {encode(report.source)},\n  "rows": ['
            + (f"\n{rows}\n  " if rows else "")
            + f'],\n  "total": {_row_line(report.total, encode)}\n}}')


def as_csv(report: CostReport) -> str:
    buf = io.StringIO()
    details = [c for c in DETAIL_COLUMNS if report.by == By.REQUEST]
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *details])
    for row in [*report.rows, report.total]:
        data = row_json(row)
        writer.writerow([data[c] for c in CSV_COLUMNS] + [data.get(c, "") for c in details])
    return buf.getvalue()


def as_table(report: CostReport, tz_name: str, width: int | None = None) -> str:
    """Aligned columns, money to 2 decimals with separators, unpriced requests and a total;
    fitted to `width` characters when given (a terminal's)."""
    show_units = any(r.units_micro for r in report.rows)
    show_write = any(r.cache_write_tokens for r in report.rows)
    show_fixed = report.total.fixed_cost != 0
    header = [report.by.upper(), "REQUESTS", "INPUT", "CACHED"]
    header += ["CACHE WRITE"] * show_write + ["OUTPUT"] + ["UNITS"] * show_units
    header += ["USAGE", "FIXED"] * show_fixed + ["COST", "UNPRICED"]
    if report.by == By.REQUEST:
        header[1:1] = ["TIME (UTC)", "MODEL"]

    def cells(row: CostRow, key: str) -> list[str]:
        out = [key]
        if report.by == By.REQUEST:
            out += [row.details.get("timestamp", "")[:19].replace("T", " "),
                    row.details.get("model", "")]
        out += [f"{row.requests:,}", f"{row.input_tokens:,}", f"{row.cached_input_tokens:,}"]
        out += [f"{row.cache_write_tokens:,}"] * show_write + [f"{row.output_tokens:,}"]
        if show_units:
            out.append(_units(row))
        if show_fixed:
            out += [format_display(row.usage_cost), format_display(row.fixed_cost)]
        out += [format_display(row.cost), f"{row.unpriced_requests:,}" if
                row.unpriced_requests else "-"]
        return out

    body = [cells(r, r.key or "(none)") for r in report.rows]
    total = cells(report.total, "TOTAL")
    if report.by == By.REQUEST:
        total[1:3] = ["", ""]
    text_cols = {0, 1, 2} if report.by == By.REQUEST else {0}
    # Keys and model names give way in the middle ("claude-h…0251001"); numbers never.
    elided = {0, 2} if report.by == By.REQUEST else {0}
    columns = [Column(h, right=i not in text_cols, fit=Fit.ELIDE if i in elided else Fit.KEEP)
               for i, h in enumerate(header)]
    out = [f"Cost in {report.currency} by {report.by} (source: {report.source}, "
           f"time zone: {tz_name})", ""]
    out += render(columns, body, width=width, footer=total, rules=True,
                  empty="(no usage in this period)")
    if report.total.unpriced_requests:
        n = report.total.unpriced_requests
        out += ["", f"{n:,} request{'s' if n != 1 else ''} unpriced: no plan covers them, so "
                "they are not in the cost (not counted as zero). See `meterbook plans list`."]
    if report.unshared_fixed:
        out += ["", f"The total includes {format_display(report.unshared_fixed)} of monthly "
                f"fixed charges (fees, minimums), which belong to no single {report.by}."]
    return "\n".join(out) + "\n"


def _units(row: CostRow) -> str:
    whole, frac = divmod(row.units_micro, 10**6)
    return f"{whole:,}" + (format_quantity(row.units)[len(str(whole)):] if frac else "")
