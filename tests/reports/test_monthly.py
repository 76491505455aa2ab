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

from meterbook.core.periods import zone
from meterbook.reports import monthly, report_csv, report_html, report_xlsx
from meterbook.store import readers
from meterbook.store.change_query import change_between
from meterbook.store.cost_query import CostQuery

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
    assert report.total.cost == cost_of_month(db, "2026-04-01", "2026-05-01") == D("16.75")
    assert [(ln.vendor, ln.model, ln.project, ln.row.usage_cost) for ln in report.lines] == [
        ("anthropic", "claude-haiku", "api", D("5.10")),  # billed 3.10 + computed 2.00
        ("anthropic", "legacy", "api", D("0.25")),
        ("anthropic", "web-search", "api", D("0.40")),
        ("mistral", "mistral-large", "api", D(0)),
        ("openai", "gpt-4o", "web", D("6.00")),  # 2 x (1.50 + 1.50) at April's prices
    ]
    assert report.lines[3].row.unpriced_requests == 1
    assert [(f.vendor, f.plan, f.amount) for f in report.fixed] == [("openai", "Chat", D(5))]
    assert report.previous_total == D("14.75")
    # Conversations c4 3.00, c5 3.00, c6 3.10: 9.10 over 3
    assert [r.key for r in report.conversations] == ["c6", "c4", "c5"]
    assert report.cost_per_conversation == D("9.10") / 3
    # 6.00 + 5.10 + 0.25 + 0.40 = 11.75 usage over 6 requests, 1 of them unpriced
    assert report.cost_per_request == D("11.75") / 5
    assert [(i.batch, i.records, i.refused) for i in report.imports] == [(1, 7, 0)]


def test_reconciliation_by_hand(db):
    # anthropic billed 3.10 (claude-haiku) + 0.40 (web-search) + 0.25 (legacy) = 3.75;
    # Claude computes claude-haiku 3.00 + 2.00 (the unbilled request) = 5.00.
    # 3.75 - 5.00 = -1.25 = 0.40 billed without usage + 0.25 billed that no plan prices
    #   - 2.00 computed, not billed + 0.10 rounding and prices (3.10 billed vs 3.00).
    [rec] = _april(db).reconciliation
    assert (rec.vendor, rec.billed, rec.computed) == ("anthropic", D("3.75"), D("5.00"))
    assert rec.difference == D("-1.25")
    assert (rec.gaps.without_usage, rec.gaps.billed_unpriced, rec.gaps.not_billed) == (
        D("0.40"), D("0.25"), D("2.00"))
    assert rec.other == D("0.10")
    page = report_html.as_text(_april(db))
    assert ('<td>anthropic</td><td class="n">3.75</td><td class="n">5.00</td>'
            '<td class="n">-1.25</td><td class="n">0.40</td><td class="n">0.25</td>'
            '<td class="n">-2.00</td><td class="n">0.10</td>') in page


def test_why_it_changed_is_the_price_rise(db):
    # Same requests, tokens and models both months; only Chat's new version: gpt-4o 4.00 ->
    # 6.00. The whole 16.75 - 14.75 = 2.00 is price, in the gpt-4o line.
    change = _april(db).change
    assert change.parts["price"] == 2
    assert all(v == 0 for k, v in change.parts.items() if k != "price")
    assert sum(change.parts.values(), Fraction(0)) == change.difference == D("2.00")
    gpt = next(ln for ln in change.lines if ln.model == "gpt-4o")
    assert gpt.parts["price"] == 2 and (gpt.before, gpt.after) == (D("4.00"), D("6.00"))


def test_scopes(db):
    # openai: gpt-4o 6.00 and Chat's fee 5.00
    assert _april(db, vendor="OpenAI").total.cost == D("11.00")
    # project api: 5.10 + 0.25 + 0.40 + mistral's unpriced request; fees belong to no project
    api = _april(db, project="api")
    assert (api.total.cost, api.fixed, api.total.unpriced_requests) == (D("5.75"), [], 1)
    assert any("belong to a vendor's plan" in n for n in api.notes)


def test_csv_lines_sum_to_the_total(db):
    rows = _csv_rows(report_csv.as_bytes(_april(db)))
    assert list(rows[0]) == list(report_csv.COLUMNS)
    *lines, total = rows
    assert total["vendor"] == "TOTAL" and total["cost"] == "16.750000000"
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
    assert last[0] == "TOTAL" and last[10] == 16.75  # cost, a number
    cost_cell = lines.cell(lines.max_row, 11)
    assert cost_cell.data_type == "n" and "USD" in cost_cell.number_format
    assert lines.freeze_panes == "A2" and lines.auto_filter.ref == f"A1:L{lines.max_row}"
    # widths fit the longest text: "claude-haiku" (12) in a column no narrower
    assert lines.column_dimensions["B"].width >= len("claude-haiku")
    summary = {r[0].value: r[1].value for r in book["Summary"].iter_rows()}
    assert summary["Total (USD)"] == 16.75 and summary["Previous period (2026-03)"] == 14.75
    vendors = {r[0].value: r[5].value for r in book["By vendor"].iter_rows(min_row=2)}
    assert vendors == {"openai": 11.0, "anthropic": 5.75, "mistral": 0}


def test_html_states_total_change_and_unpriced_usage(db):
    page = report_html.as_text(_april(db))
    assert "<h1>AI spend report: 2026-04</h1>" in page
    assert "<td>Total (USD)</td><td>16.75 USD</td>" in page
    assert '<td>price changes (plan versions; cost per token)</td><td class="n">2.00</td>' \
        in page
    assert "<td>Cost per priced request</td><td>2.3500 USD</td>" in page  # 11.75 / 5
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


def test_the_dashboard_asks_for_the_change_between_two_months(db):
    # store/change_query.change_between: what the Dashboard and Reports page call, the same
    # parts as the report's (14.75 -> 16.75, all of it Chat's new prices)
    with db.engine.connect() as conn:
        change = change_between(conn, "2026-03", "2026-04", CostQuery(tz=zone("UTC")),
                                readers.load_plans(conn))
    assert (change.before, change.after) == (D("14.75"), D("16.75"))
    assert change.shown() == {"volume": 0, "size": 0, "mix": 0, "price": D("2.00"),
                              "fixed": 0, "billed_lines": 0}
