"""The monthly report as an XLSX workbook (XlsxWriter): a summary sheet and one sheet per
breakdown; money as numbers with a currency format (never text), frozen header rows, column
widths that fit, an autofilter. Text is always written as text (`write_string`, never
`write`, which would take "=..." for a formula) and neutralised as in the CSV.

The file depends only on the report: its creation time is the report's `generated_at`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

import xlsxwriter

from meterbook.core.change import PARTS
from meterbook.core.cost import CostRow
from meterbook.reports.file_output import neutralise
from meterbook.reports.monthly import MonthlyReport, tokens
from meterbook.reports.report_csv import COLUMNS
from meterbook.reports.report_text import (
    ALERT_HEADERS,
    ALERT_KINDS,
    BUDGET_HEADERS,
    BUDGET_KINDS,
    INT,
    MONEY,
    RECONCILE_HEADERS,
    TEXT,
    UNIT_MONEY,
    about_pairs,
    alert_rows,
    budget_rows,
    change_pairs,
    reconcile_parts,
    summary_pairs,
)  # fmt: skip

_ROW_KINDS = (INT, INT, INT, INT, INT, MONEY, MONEY, MONEY, INT)
_WRAP_AT = 80
_GROUP_HEADERS = ("requests", "tokens", "usage_cost", "fixed_cost", "cost", "unpriced_requests")


class _Book:
    def __init__(self, report: MonthlyReport):
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True})
        self.book.set_properties({
            "title": f"Meterbook report {report.period.label}",
            "created": report.generated_at.replace(tzinfo=None),
            "comments": f"Meterbook {report.version}"})
        money = f'#,##0.00 "{report.currency}";-#,##0.00 "{report.currency}"'
        unit = money.replace("0.00", "0.0000")
        self.formats = {MONEY: self.book.add_format({"num_format": money}),
                        UNIT_MONEY: self.book.add_format({"num_format": unit}),
                        INT: self.book.add_format({"num_format": "#,##0"}),
                        TEXT: None,
                        "head": self.book.add_format({"bold": True, "bottom": 1}),
                        "wrap": self.book.add_format({"text_wrap": True, "valign": "top"})}
        self.currency = report.currency

    def _width(self, kind: str, value) -> int:
        if value is None:
            return 0
        if kind in (MONEY, UNIT_MONEY):
            places = 2 if kind == MONEY else 4
            return len(f"{Decimal(value):,.{places}f}") + len(self.currency) + 2
        if kind == INT:
            return len(f"{value:,}")
        return max((len(part) for part in str(value).split("\n")), default=0)

    def _cell(self, sheet, r: int, c: int, kind: str, value) -> None:
        if value is None:
            return
        if kind == TEXT:
            sheet.write_string(r, c, neutralise(str(value)))
        else:  # a spreadsheet's numbers are binary floats: the exact figures are in the CSV
            sheet.write_number(r, c, float(value), self.formats[kind])

    def table(self, name: str, headers: Sequence[str], kinds: Sequence[str],
              rows: Sequence[Sequence]) -> None:
        sheet = self.book.add_worksheet(name)
        widths = [len(h) for h in headers]
        for c, head in enumerate(headers):
            sheet.write_string(0, c, head, self.formats["head"])
        for r, row in enumerate(rows, start=1):
            for c, (kind, value) in enumerate(zip(kinds, row, strict=True)):
                self._cell(sheet, r, c, kind, value)
                widths[c] = max(widths[c], self._width(kind, value))
        for c, width in enumerate(widths):
            sheet.set_column(c, c, min(width + 2, 80))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)

    def pairs(self, name: str, pairs: Sequence[tuple[str, str, object]]) -> None:
        """A sheet of labelled figures (the summary): label, then a number or text."""
        sheet = self.book.add_worksheet(name)
        widths = [4, 5]
        for r, (label, kind, value) in enumerate(pairs):
            sheet.write_string(r, 0, neutralise(label), self.formats["head"] if not r else None)
            if kind == TEXT and len(str(value)) > _WRAP_AT:  # a paragraph: wrapped, not cut
                sheet.write_string(r, 1, neutralise(str(value)), self.formats["wrap"])
            else:
                self._cell(sheet, r, 1, kind, value)
            widths = [max(widths[0], len(label)),
                      max(widths[1], min(self._width(kind, value), _WRAP_AT))]
        sheet.set_column(0, 0, widths[0] + 2)
        sheet.set_column(1, 1, widths[1] + 2)
        sheet.freeze_panes(1, 0)

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def _counts(row: CostRow) -> list:
    return [row.requests, row.input_tokens, row.cached_input_tokens, row.cache_write_tokens,
            row.output_tokens, row.usage_cost, row.fixed_cost, row.cost, row.unpriced_requests]


def _group(row: CostRow) -> list:
    return [row.key, row.requests, tokens(row), row.usage_cost, row.fixed_cost, row.cost,
            row.unpriced_requests]


def as_bytes(report: MonthlyReport) -> bytes:
    book = _Book(report)
    book.pairs("Summary", [("Meterbook monthly report", TEXT, report.period.label),
                           *summary_pairs(report), *change_pairs(report),
                           *about_pairs(report)])

    lines = [[ln.vendor, ln.model, ln.project, *_counts(ln.row)] for ln in report.lines]
    lines += [[f.vendor, f.plan, "", *_counts(CostRow(f.plan, fixed_cost=f.amount))]
              for f in report.fixed]
    lines.append(["TOTAL", "", "", *_counts(report.total)])
    book.table("Lines", COLUMNS, (TEXT, TEXT, TEXT, *_ROW_KINDS), lines)
    group_kinds = (TEXT, INT, INT, MONEY, MONEY, MONEY, INT)
    for by in ("vendor", "model", "project"):
        book.table(f"By {by}", (by, *_GROUP_HEADERS), group_kinds,
                   [_group(r) for r in report.grouped(by)])
    book.table("Why it changed", ("vendor", "model", "before", "after", "difference",
                                  *(p.replace("_", " ") for p in PARTS)),
               (TEXT, TEXT, MONEY, MONEY, MONEY, *(MONEY for _ in PARTS)),
               [[ln.vendor, ln.model or "(fixed charges)", ln.before, ln.after, ln.difference,
                 *(Decimal(ln.parts[p].numerator) / ln.parts[p].denominator for p in PARTS)]
                for ln in report.change.lines])
    if report.budgets is not None:
        book.table("Budgets", BUDGET_HEADERS, BUDGET_KINDS, budget_rows(report))
        book.table("Alerts", ALERT_HEADERS, ALERT_KINDS, alert_rows(report))
    book.table("Conversations", ("conversation", "requests", "tokens", "cost",
                                 "unpriced_requests"), (TEXT, INT, INT, MONEY, INT),
               [[r.key, r.requests, tokens(r), r.usage_cost, r.unpriced_requests]
                for r in report.conversations])
    book.table("Reconciliation", ("vendor", "billed", "computed", "difference",
                                  *RECONCILE_HEADERS),
               (TEXT, MONEY, MONEY, MONEY, MONEY, MONEY, MONEY, MONEY),
               [[x.vendor, x.billed, x.computed, x.difference, *reconcile_parts(x)]
                for x in report.reconciliation])
    book.table("Imports", ("batch", "imported", "files", "records in period",
                           "refused lines"), (INT, TEXT, TEXT, INT, INT),
               [[i.batch, i.created, i.files, i.records, i.refused] for i in report.imports])
    return book.close()
