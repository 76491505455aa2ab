"""The cost output formats: exact JSON and CSV, a table for people."""

import csv
import io
import json
from decimal import Decimal as D

from meterbook.core.cost import By, CostReport, CostRow
from meterbook.reports.cost_output import as_csv, as_json, as_table, row_json


def report(by="month", details=None):
    rows = [
        CostRow("2026-03", 1200, 5_400_000, 0, 0, 800_000, 0, D("31.25"), D("20"), 0),
        CostRow('odd "key" é', 3, 1, 2, 3, 4, 1_500_000, D("0.0000000004"), D(0), 2,
                details or {}),
    ]
    total = CostRow("total", 1203, 5_400_001, 2, 3, 800_004, 1_500_000, D("31.2500000004"),
                    D("20"), 2)
    return CostReport("USD", by, "auto", rows, total)


def test_json_matches_cli_md_field_for_field():
    data = json.loads(as_json(report()))
    assert data["currency"] == "USD" and data["by"] == "month" and data["source"] == "auto"
    assert data["rows"][0] == {
        "key": "2026-03", "requests": 1200, "input_tokens": 5400000, "cached_input_tokens": 0,
        "cache_write_tokens": 0, "output_tokens": 800000, "units": "0",
        "usage_cost": "31.250000000", "fixed_cost": "20.000000000", "cost": "51.250000000",
        "unpriced_requests": 0}
    # money is a string with 9 decimals (0.4 nano rounds to 0.000000000), zero is "0"
    assert data["rows"][1]["usage_cost"] == "0.000000000"
    assert data["rows"][1]["fixed_cost"] == "0" and data["rows"][1]["units"] == "1.5"
    assert data["rows"][1]["key"] == 'odd "key" é'
    assert data["total"]["cost"] == "51.250000000"


def test_json_written_by_hand_equals_json_dumps_of_the_same_rows():
    rep = report(by="request", details={"model": "gpt-4o", "vendor": "openai"})
    data = json.loads(as_json(rep))
    assert data["rows"] == [row_json(r) for r in rep.rows]
    assert data["rows"][1]["model"] == "gpt-4o"


def test_csv_has_a_header_every_row_and_the_total():
    lines = list(csv.reader(io.StringIO(as_csv(report()))))
    assert lines[0][:3] == ["key", "requests", "input_tokens"]
    assert lines[1][0] == "2026-03" and lines[1][9] == "51.250000000"
    assert lines[-1][0] == "total" and len(lines) == 4


def test_table_rounds_money_to_cents_with_separators_and_flags_unpriced():
    text = as_table(report(), "Europe/Paris")
    assert "Cost in USD by month (source: auto, time zone: Europe/Paris)" in text
    assert "5,400,000" in text and "51.25" in text
    total_line = next(line for line in text.splitlines() if line.startswith("TOTAL"))
    assert total_line.split()[-2:] == ["51.25", "2"]
    assert "2 requests unpriced" in text


def test_an_empty_period_says_so():
    empty = CostReport("EUR", "day", "auto", [], CostRow("total"))
    assert "(no usage in this period)" in as_table(empty, "UTC")
    assert json.loads(as_json(empty))["rows"] == []


def test_fees_outside_every_row_are_explained_under_the_table():
    rows = [CostRow("gpt-4o", 2, 10, 0, 0, 5, 0, D("1.50"))]
    total = CostRow("total", 2, 10, 0, 0, 5, 0, D("1.50"), D("20"))
    by_model = CostReport("USD", "model", "auto", rows, total, unshared_fixed=D("20"))
    assert by_model.by is By.MODEL
    assert ("The total includes 20.00 of monthly fixed charges (fees, minimums), which belong "
            "to no single model.") in as_table(by_model, "UTC")
    # by vendor the fee sits in the vendor's row: nothing to explain
    by_vendor = CostReport("USD", "vendor", "auto",
                           [CostRow("openai", 2, 10, 0, 0, 5, 0, D("1.50"), D("20"))], total)
    assert "belong to no single" not in as_table(by_vendor, "UTC")
