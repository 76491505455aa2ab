"""`meterbook report --format pdf`: the accountant's PDF says what `meterbook cost` says, on the
paper and with the company name of the settings, numbered pages, names shown as text; and the
demo's budgets and alerts appear in the PDF, the HTML and the XLSX."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from meterbook.app.report_export import export_report
from meterbook.importers.demo import save_demo
from meterbook.store.database import open_database
from meterbook.store.settings import default_paper
from tests.helpers import report_in_utc
from tests.reports.report_data import HOSTILE, load_with_cli

AT = "2026-05-03T08:00:00Z"
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext (poppler-utils) reads the PDF's text")


@pytest.fixture
def loaded(cli, tmp_path):
    load_with_cli(cli, tmp_path)
    return cli


def _pdf(cli, out: Path, *args: str):
    return cli("report", "--format", "pdf", "-o", str(out), "--generated-at", AT, *args)


def _text(path: Path) -> str:
    """The PDF's text; NFKC undoes the font's ligatures ("ﬁ" is "fi")."""
    return unicodedata.normalize("NFKC", subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
        text=True).stdout)


def _page_sizes(path: Path) -> set[tuple[str, str]]:
    return set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", path.read_bytes()))


@needs_pdftotext
def test_the_pdf_total_is_what_cost_says_with_numbered_pages(loaded, tmp_path):
    rows = list(csv.DictReader(io.StringIO(loaded("cost", "--month", "2026-04", "--format",
                                                  "csv").out)))
    assert Decimal(rows[-1]["cost"]) == Decimal("16.75")  # report_data.py, by hand
    out = tmp_path / "april.pdf"
    result = _pdf(loaded, out, "--month", "2026-04")
    assert result.code == 0, result.err
    assert result.out == f"Report for 2026-04 written to {out}\n"
    text = _text(out)
    assert re.search(r"Total \(USD\)\s+16\.75 USD", text)
    # March: 14.75, so the difference is 16.75 - 14.75 = 2.00
    assert re.search(r"Previous period \(2026-03\)\s+14\.75 USD", text)
    pages = text.count("\f")  # pdftotext ends every page with a form feed
    assert pages >= 2
    for n in range(1, pages + 1):
        assert f"Page {n} of {pages}" in text
    assert "Shapley (symmetric) decomposition" in text


def test_paper_a4_or_letter_from_the_settings(loaded, tmp_path):
    assert loaded("settings", "--paper", "letter").code == 0
    out = tmp_path / "letter.pdf"
    assert _pdf(loaded, out, "--month", "2026-04").code == 0
    assert _page_sizes(out) == {(b"612.000000", b"792.000000")}  # 8.5 x 11 in, 72 pt an inch
    assert loaded("settings", "--paper", "A4").code == 0
    assert _pdf(loaded, out, "--month", "2026-04").code == 0
    # 210 x 297 mm = 595.3 x 841.9 pt (Qt rounds A4 to whole points)
    assert _page_sizes(out) == {(b"595.000000", b"842.000000")}
    result = loaded("settings", "--paper", "a5")
    assert result.code == 1 and "'a5' is not a paper size: use a4 or letter" in result.err


def test_the_default_paper_follows_the_locale():
    assert [default_paper(n) for n in ("en_US.UTF-8", "fr_CA", "es_MX", "en_PH.utf8")] == \
        ["letter"] * 4
    assert [default_paper(n) for n in ("en_GB.UTF-8", "de_DE@euro", "C", "")] == ["a4"] * 4


@needs_pdftotext
def test_company_name_and_hostile_names_are_text(loaded, tmp_path):
    (tmp_path / "hostile.csv").write_text(HOSTILE, encoding="utf-8")
    assert loaded("import", str(tmp_path / "hostile.csv")).code == 0
    assert loaded("settings", "--company", "Dupont & Fils <SARL>").code == 0
    out = tmp_path / "april.pdf"
    assert _pdf(loaded, out, "--month", "2026-04").code == 0
    text = _text(out)
    assert text.count("Dupont & Fils <SARL>") >= 2  # the title and every page's head
    # The names from the file, as they were written: text, never markup or formulas.
    assert "<script>alert(1)</script>" in text
    assert "=1+1" in text and '=HYPERLINK("http://x")' in text


@needs_pdftotext
def test_an_empty_month_says_so(loaded, tmp_path):
    out = tmp_path / "jan.pdf"
    result = _pdf(loaded, out, "--month", "2026-01")
    assert result.code == 0
    assert result.err.startswith("2026-01 holds no usage")
    text = " ".join(_text(out).split())
    # Chat's fee is owed every month, usage or not
    assert "2026-01 holds no usage: only the fixed charges of the plans in force (5.00 USD) " \
           "are owed." in text
    assert "Page 1 of" in text


def test_a_path_that_cannot_be_written_leaves_nothing(loaded, tmp_path):
    missing = tmp_path / "no-such-folder" / "r.pdf"
    result = _pdf(loaded, missing, "--month", "2026-04")
    assert result.code == 1
    assert result.err.startswith(f"meterbook: {missing}: cannot write the report (")
    assert not missing.exists()
    assert [p.name for p in tmp_path.rglob("*.part")] == []


def test_same_database_same_pdf_and_html(loaded, tmp_path):
    for suffix in ("pdf", "html"):
        a, b = tmp_path / f"a.{suffix}", tmp_path / f"b.{suffix}"
        for out in (a, b):
            assert loaded("report", "--format", suffix, "-o", str(out), "--generated-at", AT,
                          "--month", "2026-04").code == 0
        assert a.read_bytes() == b.read_bytes(), suffix
    assert b"(D:20260503080000" in (tmp_path / "a.pdf").read_bytes()  # --generated-at
    page = (tmp_path / "a.html").read_text("utf-8")
    # the three charts, as images in the page
    assert len(re.findall(r'<img class="chart" alt="[^"]+" src="data:image/png;base64,',
                          page)) == 3


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo as of 2026-05-20 noon UTC: its budgets' alerts stand in May."""
    folder = tmp_path_factory.mktemp("demo")
    with open_database(str(folder / "demo.db")) as db:
        report_in_utc(db)
        save_demo(db, 3, datetime(2026, 5, 20, 12, tzinfo=UTC))
    return folder / "demo.db"


def test_budgets_and_alerts_in_every_format(demo, tmp_path):
    at = datetime(2026, 5, 20, 13, tzinfo=UTC)
    with open_database(str(demo)) as db:
        paths = {fmt: export_report(db, fmt, tmp_path / f"may.{fmt}", month="2026-05",
                                    generated_at=at) for fmt in ("pdf", "html", "xlsx")}
    book = openpyxl.load_workbook(paths["xlsx"])
    budgets = [[c.value for c in r] for r in book["Budgets"].iter_rows()]
    assert budgets[0][:3] == ["budget", "scope", "period"]
    assert {r[0] for r in budgets[1:]} == {"All AI", "Anthropic"}
    assert all(r[2] == "2026-05-01 to 2026-05-31" for r in budgets[1:])
    alerts = [[c.value for c in r] for r in book["Alerts"].iter_rows()][1:]
    # the demo's vendor budget stands at 82-90 %: its 50 and 80 % alerts were raised
    messages = [r[2] for r in alerts]
    assert any(m.startswith("Anthropic: 50% of the budget reached on 2026-05-") for m in messages)
    assert any(m.startswith("Anthropic: 80% of the budget reached on 2026-05-") for m in messages)
    page = paths["html"].read_text("utf-8")
    assert "<h2>Budgets</h2>" in page and "<h2>Alerts raised in the period</h2>" in page
    for message in messages:
        assert message in page
    if shutil.which("pdftotext"):
        text = " ".join(_text(paths["pdf"]).split())
        assert "Budgets" in text and "Alerts raised in the period" in text
        assert "Anthropic: 80% of the budget reached on 2026-05-" in text


def test_the_spend_by_vendor_chart_ranks_as_the_trends_page(demo):
    from datetime import date

    from meterbook.app.report_charts import _vendor_ranking
    from meterbook.app.report_export import report_data
    from meterbook.store.spend_series import top_spenders

    with open_database(str(demo)) as db:
        report = report_data(db, month="2026-04", generated_at=datetime(2026, 5, 20, tzinfo=UTC))
        with db.engine.connect() as conn:
            trends = top_spenders(conn, "UTC", date(2026, 4, 1), date(2026, 5, 1), "vendor")
    assert _vendor_ranking(report) == trends
    assert trends.names  # the demo's April has usage of several vendors
