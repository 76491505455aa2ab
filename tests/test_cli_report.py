"""`meterbook report`: the files it writes carry `meterbook cost`'s totals, and bad requests
(a future month, a path that cannot be written) are refused with a clear message."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.reports.report_data import load_with_cli

AT = "2026-05-03T08:00:00Z"


@pytest.fixture
def loaded(cli, tmp_path):
    load_with_cli(cli, tmp_path)
    return cli


def _report(cli, out: Path, *args: str):
    return cli("report", "--format", out.suffix[1:], "-o", str(out), "--generated-at", AT,
               *args)


def _cost_total(cli, *period: str) -> Decimal:
    rows = list(csv.DictReader(io.StringIO(cli("cost", *period, "--format", "csv").out)))
    return Decimal(rows[-1]["cost"])


def test_every_format_totals_what_cost_says(loaded, tmp_path):
    cost = _cost_total(loaded, "--month", "2026-04")
    assert cost == Decimal("16.75")  # 6.00 + 5.10 + 0.40 + 0.25 + 5.00 (report_data.py)
    for name in ("r.csv", "r.xlsx", "r.html"):
        result = _report(loaded, tmp_path / name, "--month", "2026-04")
        assert result.code == 0, result.err
        assert result.out == f"Report for 2026-04 written to {tmp_path / name}\n"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text("utf-8-sig"))))
    assert rows[-1]["vendor"] == "TOTAL" and Decimal(rows[-1]["cost"]) == cost
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    summary = {r[0].value: r[1].value for r in book["Summary"].iter_rows()}
    assert Decimal(str(summary["Total (USD)"])) == cost
    page = (tmp_path / "r.html").read_text("utf-8")
    assert re.search(r"<td>Total \(USD\)</td><td>([\d,.]+) USD</td>", page)[1] == "16.75"


def test_a_quarter_and_a_scope(loaded, tmp_path):
    out = tmp_path / "q.csv"
    assert _report(loaded, out, "--from", "2026-03-01", "--to", "2026-05-01").code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    # 14.75 + 16.75, as cost says for the same days
    assert Decimal(rows[-1]["cost"]) == Decimal("31.50") == _cost_total(
        loaded, "--from", "2026-03-01", "--to", "2026-05-01")
    assert _report(loaded, out, "--month", "2026-04", "--vendor", "openai").code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    assert {r["vendor"] for r in rows} == {"openai", "TOTAL"}
    assert rows[-1]["cost"] == "11.000000000"  # gpt-4o 6.00 + Chat's fee 5.00


def test_last_month_is_the_one_before_generated_at(loaded, tmp_path):
    out = tmp_path / "last.html"
    assert _report(loaded, out, "--month", "last").code == 0
    assert "<h1>AI spend report: 2026-04</h1>" in out.read_text("utf-8")


def test_same_database_byte_identical_files(loaded, tmp_path):
    for suffix in ("csv", "html", "xlsx"):
        a, b = tmp_path / f"a.{suffix}", tmp_path / f"b.{suffix}"
        assert _report(loaded, a, "--month", "2026-04").code == 0
        assert _report(loaded, b, "--month", "2026-04").code == 0
        assert a.read_bytes() == b.read_bytes(), suffix


def test_an_empty_month_still_gives_a_report_that_says_so(loaded, tmp_path):
    out = tmp_path / "jan.html"
    result = _report(loaded, out, "--month", "2026-01", "--project", "web")
    assert result.code == 0
    assert result.err.startswith("2026-01 holds no usage and no charges in this scope")
    assert "this report is empty" in out.read_text("utf-8")


def test_a_future_month_is_refused_and_writes_nothing(loaded, tmp_path):
    out = tmp_path / "june.csv"
    result = _report(loaded, out, "--month", "2026-06")
    assert result.code == 1
    assert result.err == ("meterbook: 2026-06 is in the future (today is 2026-05-03 in UTC): "
                          "there is nothing to report yet\n")
    assert not out.exists()


def test_a_path_that_cannot_be_written(loaded, tmp_path):
    missing = tmp_path / "no-such-folder" / "r.csv"
    result = _report(loaded, missing, "--month", "2026-04")
    assert result.code == 1
    assert result.err.startswith(f"meterbook: {missing}: cannot write the report (")
    assert "nothing was written" in result.err
    folder = tmp_path / "a-folder.csv"
    folder.mkdir()
    result = _report(loaded, folder, "--month", "2026-04")
    assert result.code == 1 and "it is a folder" in result.err
    assert list(tmp_path.glob(".*.part")) == []  # no temporary file left behind


def test_an_existing_report_is_replaced_whole(loaded, tmp_path):
    out = tmp_path / "r.csv"
    out.write_text("old", encoding="utf-8")
    assert _report(loaded, out, "--month", "2026-04").code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfvendor,model,project,")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_a_vendor_no_usage_names_is_refused(loaded, tmp_path):
    out = tmp_path / "r.csv"
    result = _report(loaded, out, "--month", "2026-04", "--vendor", "opnai")
    assert result.code == 1
    assert result.err == ("meterbook: no usage of vendor 'opnai' in this database; vendors: "
                          "'anthropic', 'mistral', 'openai'\n")
    assert not out.exists()


def test_usage_errors(loaded, tmp_path):
    out = tmp_path / "r.docx"
    assert _report(loaded, out, "--month", "2026-04").code == 2  # not a report format
    result = _report(loaded, tmp_path / "r.csv", "--month", "2026-04", "--from", "2026-03-01")
    assert result.code == 1 and "--month cannot be combined" in result.err
    result = _report(loaded, tmp_path / "r.csv", "--from", "2026-03-01", "--to", "May")
    assert result.code == 1 and "--to 'May' is not a date; expected YYYY-MM-DD" in result.err
    result = _report(loaded, tmp_path / "r.csv", "--from", "2026-05-01", "--to", "2026-03-01")
    assert result.code == 1 and "--to must be after --from" in result.err
    result = _report(loaded, tmp_path / "r.csv", "--month", "April")
    assert result.code == 1 and "'April' is not a month" in result.err
    result = loaded("report", "--format", "csv", "-o", str(tmp_path / "r.csv"),
                    "--month", "2026-04", "--generated-at", "soon")
    assert result.code == 1 and "--generated-at 'soon' is not an ISO 8601" in result.err
