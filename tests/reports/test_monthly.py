"""The monthly report's figures (reports/monthly.py) and its CSV, XLSX and HTML files, read
back: totals equal `meterbook cost`, reconciliation and the change worked out by hand, unsafe
names neutralised, the same database giving the same bytes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pytest
from tests.helpers import cost_of_month, import_text, usage_database
from tests.reports.report_data import HOSTILE, PLANS, USAGE

from meterbook.reports import monthly, report_csv, report_html, report_xlsx

D = Decimal
AT = datetime(2026, 5, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    with usage_database(tmp_path, PLANS, USAGE, utc=True, now=AT) as database:
        yield database


def _april(db, **scope) -> monthly.MonthlyReport:
    period = monthly.choose_period("UTC", AT, "2026-04")
    return monthly.gather(db, period, "UTC", AT, **scope)


def _csv_rows(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_lines_fixed_charges_and_total_as_cost_says(db):
    report = _april(db)
    assert report.total.cost == cost_of_month(db, "2026-04-01", "2026-05-01") == D("14.50")
    assert [(ln.vendor, ln.model, ln.project, ln.row.usage_cost) for ln in report.lines] == [
        ("anthropic", "claude-haiku", "api", D("3.10")),  # billed, counted as billed
        ("anthropic", "web-search", "api", D("0.40")),
        ("mistral", "mistral-large", "api", D(0)),
        ("openai", "gpt-4o", "web", D("6.00")),  # 2 x (1.50 + 1.50) at April's prices
    ]
    assert report.lines[2].row.unpriced_requests == 1
    assert [(f.vendor, f.plan, f.amount) for f in report.fixed] == [("openai", "Chat", D(5))]
    assert report.previous_total == D("12.50")
    # Conversations c4 3.00, c5 3.00, c6 3.10: 9.10 over 3; 9.50 usage over 3 priced requests
    assert [r.key for r in report.conversations] == ["c6", "c4", "c5"]
    assert report.cost_per_conversation == D("9.10") / 3
    assert report.cost_per_request == D("9.50") / 3
    assert [(i.batch, i.records, i.refused) for i in report.imports] == [(1, 5, 0)]


def test_reconciliation_by_hand(db):
    # anthropic billed 3.10 + 0.40 = 3.50; its plan computes claude-haiku at 3.00 and cannot
    # price web-search (no usage): difference 0.50 = 0.40 billed without usage + 0.10 other.
    [rec] = _april(db).reconciliation
    assert (rec.vendor, rec.billed, rec.computed) == ("anthropic", D("3.50"), D("3.00"))
    assert (rec.difference, rec.billed_without_usage, rec.other) == (D("0.50"), D("0.40"),
                                                                      D("0.10"))


def test_why_it_changed_is_the_price_rise(db):
    # Same requests, tokens and models both months; only Chat's new version: gpt-4o 4.00 ->
    # 6.00. The whole 14.50 - 12.50 = 2.00 is price, in the gpt-4o line.
    change = _april(db).change
    assert change.parts["price"] == 2
    assert all(v == 0 for k, v in change.parts.items() if k != "price")
    assert sum(change.parts.values(), Fraction(0)) == change.difference == D("2.00")
    gpt = next(ln for ln in change.lines if ln.model == "gpt-4o")
    assert gpt.parts["price"] == 2 and (gpt.before, gpt.after) == (D("4.00"), D("6.00"))


def test_scopes(db):
    # openai: gpt-4o 6.00 and Chat's fee 5.00
    assert _april(db, vendor="OpenAI").total.cost == D("11.00")
    # project api: 3.10 + 0.40 + mistral's unpriced request; fees belong to no project
    api = _april(db, project="api")
    assert (api.total.cost, api.fixed, api.total.unpriced_requests) == (D("3.50"), [], 1)
    assert any("belong to a vendor's plan" in n for n in api.notes)


def test_csv_lines_sum_to_the_total(db):
    rows = _csv_rows(report_csv.as_bytes(_april(db)))
    assert list(rows[0]) == list(report_csv.COLUMNS)
    *lines, total = rows
    assert total["vendor"] == "TOTAL" and total["cost"] == "14.500000000"
    assert [(r["model"], r["fixed_cost"]) for r in lines if r["fixed_cost"] != "0"] == [
        ("Chat", "5.000000000")]  # the fee on its own line, the plan's name as model
    for column in ("requests", "output_tokens", "usage_cost", "fixed_cost", "cost",
                   "unpriced_requests"):
        assert sum(D(r[column]) for r in lines) == D(total[column])


def test_xlsx_money_is_numbers_with_headers_frozen_and_filtered(db, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(report_xlsx.as_bytes(_april(db)))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:5] == ["Summary", "Lines", "By vendor", "By model", "By project"]
    lines = book["Lines"]
    last = [c.value for c in lines[lines.max_row]]
    assert last[0] == "TOTAL" and last[10] == 14.5  # cost, a number
    cost_cell = lines.cell(lines.max_row, 11)
    assert cost_cell.data_type == "n" and "USD" in cost_cell.number_format
    assert lines.freeze_panes == "A2" and lines.auto_filter.ref == f"A1:L{lines.max_row}"
    # widths fit the longest text: "claude-haiku" (12) in a column no narrower
    assert lines.column_dimensions["B"].width >= len("claude-haiku")
    summary = {r[0].value: r[1].value for r in book["Summary"].iter_rows()}
    assert summary["Total (USD)"] == 14.5 and summary["Previous period (2026-03)"] == 12.5
    vendors = {r[0].value: r[5].value for r in book["By vendor"].iter_rows(min_row=2)}
    assert vendors == {"openai": 11.0, "anthropic": 3.5, "mistral": 0}


def test_html_states_total_change_and_unpriced_usage(db):
    page = report_html.as_text(_april(db))
    assert "<h1>AI spend report: 2026-04</h1>" in page
    assert "<td>Total (USD)</td><td>14.50 USD</td>" in page
    assert '<td>price changes (plan versions; cost per token)</td><td class="n">2.00</td>' \
        in page
    assert '<td>Cost per priced request</td><td>3.1667 USD</td>' in page  # 9.50 / 3
    assert "1 request unpriced: no plan covers them" in page
    assert "Shapley" in page


def test_unsafe_names_are_neutralised_and_escaped(db, tmp_path):
    import_text(db, tmp_path, HOSTILE, "hostile.csv", now=AT)
    report = _april(db)
    rows = _csv_rows(report_csv.as_bytes(report))
    projects = {r["project"] for r in rows}
    assert {"'=HYPERLINK(\"http://x\")", "'+cmd", "'-2+3"} <= projects
    assert "'=1+1" in {r["model"] for r in rows}
    path = tmp_path / "r.xlsx"
    path.write_bytes(report_xlsx.as_bytes(report))
    book = openpyxl.load_workbook(path)
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "'@SUM(A1)" in texts and "'=1+1" in texts
    page = report_html.as_text(report)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=HYPERLINK(&quot;http://x&quot;)" in page


def test_same_database_same_bytes(db):
    first, second = _april(db), _april(db)
    assert report_csv.as_bytes(first) == report_csv.as_bytes(second)
    assert report_html.as_bytes(first) == report_html.as_bytes(second)
    assert report_xlsx.as_bytes(first) == report_xlsx.as_bytes(second)


def test_an_empty_month_says_so(db):
    february = monthly.choose_period("UTC", AT, "2026-02")
    # No usage in February, but Chat (in force since always) still charges its 5.00 fee
    fees_only = monthly.gather(db, february, "UTC", AT)
    assert fees_only.empty and fees_only.total.cost == D(5) == cost_of_month(
        db, "2026-02-01", "2026-03-01")
    assert "2026-02 holds no usage: only the fixed charges of the plans in force (5.00 USD)" \
        in report_html.as_text(fees_only)
    # A project owes no fee: nothing at all
    report = monthly.gather(db, february, "UTC", AT, project="api")
    assert report.empty and report.total.cost == 0
    assert "2026-02 holds no usage and no charges in this scope: this report is empty." in \
        report_html.as_text(report)
    [total] = _csv_rows(report_csv.as_bytes(report))
    assert total["vendor"] == "TOTAL" and total["cost"] == "0"
