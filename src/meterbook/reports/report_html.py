"""The monthly report as one self-contained HTML page.

A small writer rather than a template library: the page is a fixed sequence of headings and
tables, and every piece of text goes through one function, `esc` (html.escape, quotes too),
so nothing from an imported file can become markup. Charts (added by the charts work) come in
by name as SVG text or PNG bytes and are embedded as <img> data URIs: an image loaded so runs
no script, whatever its labels hold.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from decimal import Decimal

from meterbook.core.change import PART_LABELS, PARTS
from meterbook.core.cost import CostRow
from meterbook.core.money import format_display
from meterbook.reports.monthly import MonthlyReport, tokens
from meterbook.reports.report_text import (
    ALERT_HEADERS,
    ALERT_KINDS,
    ALERTS_NONE,
    BUDGET_HEADERS,
    BUDGET_KINDS,
    BUDGETS_NONE,
    CHANGE_SENTENCE,
    DECOMPOSITION,
    MONEY,
    RECONCILE_HEADERS,
    TEXT,
    UNIT_MONEY,
    about_pairs,
    alert_rows,
    budget_rows,
    empty_text,
    reconcile_parts,
    summary_pairs,
)  # fmt: skip

CHARTS = {"daily_spend": "Daily spend by vendor", "spend_by_vendor": "Spend by vendor",
          "cumulative": "Spent so far, against the budget for everything over the period"}
_STYLE = """
body{font-family:"Segoe UI",Helvetica,Arial,sans-serif;color:#1d2330;margin:2em auto;
max-width:60em;padding:0 1em;font-size:14px}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;
border-bottom:1px solid #ccd;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{padding:.25em .6em;border-bottom:1px solid #e4e6ee;text-align:left;vertical-align:top}
th{background:#f3f4f8}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.n,td:first-child{white-space:nowrap}tr.total td{font-weight:bold;border-top:2px solid #889}
.note{background:#fff6e0;border-left:4px solid #e0a000;padding:.5em .8em}
.small{color:#556;font-size:.9em}.company{font-size:1.1em;font-weight:bold;margin:0}img.chart{max-width:100%}
@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}}
"""
# For Qt's rich text (the PDF, app/report_pdf.py): sizes in points, the subset of CSS Qt
# reads; the table layout comes from the <table> attributes below.
PRINT_STYLE = """
body{font-family:"DejaVu Sans";color:#1d2330;font-size:8pt}
h1{font-size:15pt;margin-bottom:2pt}h2{font-size:11pt;margin-top:12pt;margin-bottom:4pt}
th{background-color:#eef0f5;font-weight:bold;text-align:left}
td.n,th.n{text-align:right}tr.total td{font-weight:bold}th,td.n{white-space:nowrap}
h2.charts{page-break-before:always}table{margin-bottom:4pt}
.note{background-color:#fff6e0}.small{color:#556;font-size:7pt}
.company{font-size:10pt;font-weight:bold;margin:0}
"""
_PRINT_TABLE = ' width="100%" cellspacing="0" cellpadding="3" border="0.5"'


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _money(value: Decimal | None) -> str:
    return "" if value is None else format_display(value)


def _cell(kind: str, value: object) -> str:
    if kind == MONEY:
        return f'<td class="n">{esc(_money(value))}</td>'  # type: ignore[arg-type]
    if kind == TEXT:
        return f"<td>{esc(value)}</td>"
    return f'<td class="n">{esc(f"{value:,}")}</td>'


def _table(headers: Sequence[str], kinds: Sequence[str], rows: Sequence[Sequence],
           total: Sequence | None = None, empty: str = "None.") -> str:
    if not rows:
        return f'<p class="small">{esc(empty)}</p>'
    head = "".join(f'<th{"" if k == TEXT else " class=n"}>{esc(h)}</th>'
                   for h, k in zip(headers, kinds, strict=True))
    body = ["<tr>" + "".join(_cell(k, v) for k, v in zip(kinds, r, strict=True)) + "</tr>"
            for r in rows]
    if total is not None:
        body.append('<tr class="total">' + "".join(
            _cell(k, v) for k, v in zip(kinds, total, strict=True)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _pairs(pairs: Sequence[tuple[str, str, object]], currency: str) -> str:
    """Labelled figures as a two-column table, money with its currency."""
    def text(kind: str, value: object) -> str:
        if value is None:
            return "n/a"
        if kind in (MONEY, UNIT_MONEY):
            places = 2 if kind == MONEY else 4
            return f"{format_display(value, places)} {currency}"  # type: ignore[arg-type]
        return f"{value:,}" if kind == "int" else str(value)

    return _table(("item", "value"), (TEXT, TEXT), [[label, text(k, v)] for label, k, v in pairs])


def _group_rows(rows: list[CostRow]) -> list[list]:
    return [[r.key, r.requests, tokens(r), r.usage_cost, r.fixed_cost, r.cost,
             r.unpriced_requests] for r in rows]


_GROUP_KINDS = (TEXT, "int", "int", MONEY, MONEY, MONEY, "int")


def _chart(name: str, image: str | bytes, width: int | None = None, first: bool = False
           ) -> str:
    if isinstance(image, str):
        data, mime = image.encode("utf-8"), "image/svg+xml"
    else:
        data, mime = image, "image/png"
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    # In print the charts start a page of their own: a heading never parts from its chart.
    head = '<h2 class="charts">' if width and first else "<h2>"
    return (f"{head}{esc(CHARTS.get(name, name))}</h2>"
            f'<img class="chart" alt="{esc(CHARTS.get(name, name))}" src="{uri}"'
            f'{f" width={width}" if width else ""}>')


def _change(report: MonthlyReport) -> str:
    shown = report.change.shown()
    rows = [[PART_LABELS[p], shown[p]] for p in PARTS]
    out = [_table(("part", report.currency), (TEXT, MONEY), rows,
                  ["difference", sum(shown.values(), Decimal(0))])]
    lines = []
    for ln in report.change.lines:
        parts = ln.shown()
        lines.append([ln.vendor, ln.model or "(fixed charges)", ln.before, ln.after,
                      *(parts[p] for p in PARTS)])
    out.append(_table(("vendor", "model", "before", "after",
                       *(part.replace("_", " ") for part in PARTS)),
                      (TEXT, TEXT, MONEY, MONEY, *(MONEY for _ in PARTS)), lines))
    out.append(f'<p class="small">{esc(DECOMPOSITION)}</p>')
    return "".join(out)


def _chart_order(name: str) -> tuple[int, str]:
    return (list(CHARTS).index(name) if name in CHARTS else len(CHARTS), name)


def as_text(report: MonthlyReport, charts: Mapping[str, str | bytes] | None = None,
            print_width: int | None = None) -> str:
    """The page; `print_width` (the page's width in CSS pixels) lays it out for Qt's rich
    text instead, for the PDF: points for sizes, table attributes, charts as wide as the
    page."""
    cur = report.currency
    p: list[str] = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(f'Meterbook report {report.period.label}')}</title>",
        f"<style>{PRINT_STYLE if print_width else _STYLE}</style></head><body>",
        *([f'<p class="company">{esc(report.company)}</p>'] if report.company else []),
        f"<h1>AI spend report: {esc(report.period.label)}</h1>",
        f'<p class="small">{esc(f"Amounts in {cur}, time zone {report.tz_name}.")}</p>',
    ]
    if report.empty:
        p.append(f'<p class="note">{esc(empty_text(report))}</p>')
    p.append("<h2>Summary</h2>")
    p.append(_pairs(summary_pairs(report), cur))
    if report.budgets is not None:
        p.append("<h2>Budgets</h2>")
        p.append(_table(BUDGET_HEADERS, BUDGET_KINDS, budget_rows(report), empty=BUDGETS_NONE))
        p.append("<h2>Alerts raised in the period</h2>")
        p.append(_table(ALERT_HEADERS, ALERT_KINDS, alert_rows(report), empty=ALERTS_NONE))
    if report.vendor or report.project:
        p.append('<p class="small">The charts cover every vendor and project, so a report '
                 "narrowed to one carries none.</p>")
    for i, name in enumerate(sorted(charts or {}, key=_chart_order)):
        p.append(_chart(name, charts[name], print_width, first=not i))
    p.append("<h2>Why it changed since the previous period</h2>")
    p.append(f"<p>{esc(CHANGE_SENTENCE)}</p>")
    p.append(_change(report))
    heads = ("requests", "tokens", "usage cost", "fixed", "cost", "unpriced requests")
    total = report.total
    total_row = ["TOTAL", total.requests, tokens(total), total.usage_cost, total.fixed_cost,
                 total.cost, total.unpriced_requests]
    for by in ("vendor", "model", "project"):
        p.append(f"<h2>Spend by {by}</h2>")
        rows = _group_rows(report.grouped(by))
        fixed_apart = by != "vendor" and total.fixed_cost
        if fixed_apart:
            rows.append(["(fixed charges: fees and minimums)", 0, 0, Decimal(0),
                         total.fixed_cost, total.fixed_cost, 0])
        p.append(_table((by, *heads), _GROUP_KINDS, rows, total_row))
    p.append("<h2>Fixed charges</h2>")
    p.append(_table(("vendor", "plan", cur), (TEXT, TEXT, MONEY),
                    [[f.vendor, f.plan, f.amount] for f in report.fixed],
                    empty="None: no plan charges a monthly fee or minimum here."))
    p.append("<h2>Most expensive conversations</h2>")
    p.append(_table(("conversation", "requests", "tokens", "cost", "unpriced requests"),
                    (TEXT, "int", "int", MONEY, "int"),
                    [[r.key, r.requests, tokens(r), r.usage_cost, r.unpriced_requests]
                     for r in report.conversations],
                    empty="No request in this period belongs to a conversation."))
    p.append("<h2>Reconciliation: billed against computed</h2>")
    p.append(_table(("vendor", "billed", "computed", "difference", *RECONCILE_HEADERS),
                    (TEXT, MONEY, MONEY, MONEY, MONEY, MONEY, MONEY, MONEY),
                    [[x.vendor, x.billed, x.computed, x.difference, *reconcile_parts(x)]
                     for x in report.reconciliation],
                    empty="No vendor billed in this period: there is nothing to reconcile "
                          "(cost exports and billed costs are compared when imported)."))
    p.append('<p class="small">Billed: the vendors\' own cost in their exports. Computed: '
             "the saved plans' charges for the same vendor's usage. The difference comes from "
             "lines billed without usage (money, no requests or tokens: nothing for a plan to "
             "price), usage billed that no plan prices, usage computed that carries no bill, "
             "and, on records with both, the vendor's rounding and prices that differ from "
             "the plans'.</p>")
    p.append("<h2>Imports covered</h2>")
    p.append(_table(("batch", "imported", "files", "records in period", "refused lines"),
                    ("int", TEXT, TEXT, "int", "int"),
                    [[i.batch, i.created, i.files, i.records, i.refused]
                     for i in report.imports],
                    empty="No import brought usage into this period."))
    p.append("<h2>About this report</h2>")
    p.append(_pairs(about_pairs(report), cur))
    if not print_width:  # in print, every page's foot says it
        made = f"Made {report.generated_at.isoformat()} by Meterbook {report.version}."
        p.append(f'<p class="small">{esc(made)}</p>')
    p.append("</body></html>\n")
    page = "\n".join(p)
    # Every text went through esc(), so "<table>" here is always markup, never a name.
    return page.replace("<table>", f"<table{_PRINT_TABLE}>") if print_width else page


def as_bytes(report: MonthlyReport, charts: Mapping[str, str | bytes] | None = None) -> bytes:
    return as_text(report, charts).encode("utf-8")
