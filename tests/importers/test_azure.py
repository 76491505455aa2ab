"""Azure cost exports: "azure-ea", "azure-mca" and "azure-legacy" (importers/azure.py).

The fixtures under tests/data/azure use the real headers of each layout; every expected record
is worked out by hand from their lines (Quantity x block size of UnitOfMeasure).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tests.helpers import SHARED, header_of

from meterbook.core.records import UsageRecord
from meterbook.importers import formats
from meterbook.importers.azure import (
    ModelMeter,
    azure_date,
    model_meter,
    quantity,
    unit_block,
)
from meterbook.importers.canonical import open_text
from meterbook.importers.cells import Bad
from meterbook.importers.errors import ImportRefused, LineError

DATA = Path(__file__).resolve().parent.parent / "data" / "azure"
REAL = SHARED / "real-exports" / "azure"


def day(year: int, month: int, date: int) -> datetime:
    return datetime(year, month, date, tzinfo=UTC)


def read(profile: str, path: Path) -> list:
    with open_text(path) as text:
        return list(formats.by_profile(profile).read(text, path.name))


def records(items) -> dict[int, UsageRecord]:
    found = {}
    for line, item, _cells in items:
        assert isinstance(item, UsageRecord), item
        found[line] = item
    return found


def azure(ts, model, billed, currency="USD", **rest) -> UsageRecord:
    return UsageRecord(timestamp=ts, vendor="azure", model=model, requests=0,
                       billed_cost=Decimal(billed), currency=currency, **rest)


# --- recognition --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "profile"), [
    ("ea.csv", "azure-ea"), ("mca.csv", "azure-mca"), ("legacy.csv", "azure-legacy"),
])  # fmt: skip
def test_each_layout_is_recognised_by_exactly_one_format(name, profile):
    header = header_of(DATA / name)
    assert formats.recognise_csv(header).profile == profile
    names = formats.normalise_header(header)
    claimed = [f.profile for f in formats.formats() if f.kind == "csv" and f.recognise(names)]
    assert claimed == [profile]


def test_a_header_with_the_columns_of_two_layouts_is_claimed_once():
    names = ["date", "cost", "costinbillingcurrency", "billingcurrency", "billingcurrencycode",
             "metername", "usagedatetime", "pretaxcost", "currency"]
    claimed = [f.profile for f in formats.formats() if f.kind == "csv" and f.recognise(names)]
    assert claimed == ["azure-mca"]


# --- cells --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("09/21/2023", day(2023, 9, 21)),
    ("1/2/2026", day(2026, 1, 2)),  # January 2nd: EA writes the month first
    ("12/31/2025", day(2025, 12, 31)),
    ("2020-09-22", day(2020, 9, 22)),
    ("2019-07-29 00:00:00", day(2019, 7, 29)),
    ("2019-07-29T00:00:00.0000000Z", day(2019, 7, 29)),
])  # fmt: skip
def test_dates(raw, expected):
    assert azure_date(raw) == expected


@pytest.mark.parametrize("raw", ["", "13/01/2026", "02/30/2026", "yesterday", "2026-13-01"])
def test_bad_dates(raw):
    with pytest.raises(Bad):
        azure_date(raw)


@pytest.mark.parametrize(("raw", "size", "name"), [
    ("1K", 1000, "units"), ("1M", 10**6, "units"), ("10K", 10**4, "units"),
    ("10 Hours", 10, "hours"), ("1 Hour", 1, "hours"), ("1/Hour", 1, "units/hour"),
    ("1 /Month", 1, "units/month"), ("100000000", 10**8, "units"), ("1 GB/Month", 1, "gb/month"),
    ("1 MB", 1, "mb"), ("10K Transactions", 10**4, "transactions"), ("1K Tokens", 1000, "tokens"),
    ("", 1, "units"), ("GB", 1, "gb"), ("0 Unassigned", 1, "unassigned"), ("1B", 10**9, "units"),
])  # fmt: skip
def test_units_of_measure_are_block_sizes(raw, size, name):
    assert unit_block(raw) == (Decimal(size), name)


def test_absurd_quantities_are_refused_before_any_arithmetic():
    with pytest.raises(Bad, match="absurdly large"):
        quantity("1E+999999")
    assert quantity("") == 0 and quantity("-1") == -1 and quantity("0.0004") == Decimal("0.0004")


@pytest.mark.parametrize(("meter", "expected"), [
    ("gpt 4o 1120 Inp glbl Tokens", ModelMeter("gpt-4o-1120", "input", "global")),
    ("gpt 4o 1120 Outp glbl Tokens", ModelMeter("gpt-4o-1120", "output", "global")),
    ("gpt 4o 1120 cached Inp glbl Tokens", ModelMeter("gpt-4o-1120", "cached", "global")),
    ("gpt 4.1 nano cchd Inp DZone Tokens", ModelMeter("gpt-4.1-nano", "cached", "datazone")),
    ("gpt-4o-mini-0718-Outp-regnl Tokens", ModelMeter("gpt-4o-mini-0718", "output", "regional")),
    ("gpt 4.1 Batch Outp Data Zone Tokens", ModelMeter("gpt-4.1", "output", "batch")),
    ("o3 0416 Inp glbl Tokens", ModelMeter("o3-0416", "input", "global")),
    ("GPT 5 Inpt Glbl 1M Tokens", ModelMeter("gpt-5", "input", "global")),
    ("text-embedding-3-small Tokens", ModelMeter("text-embedding-3-small", None, None)),
    ("D2 v3/D2s v3", None), ("LRS Data Stored", None), ("Tokens", None),
])  # fmt: skip
def test_model_meters(meter, expected):
    assert model_meter(meter) == expected


def test_a_bare_version_is_a_gpt_model_only_when_the_product_says_so():
    assert model_meter("5.4 inp Gl 1M Tokens", "Azure OpenAI GPT5").model == "gpt-5.4"
    assert model_meter("5.4 inp Gl 1M Tokens", "Azure Something").model == "5.4"


# --- conversion ---------------------------------------------------------------------------------


def test_ea_export_with_a_bom_us_dates_models_other_meters_and_a_refund():
    ai = {"project": "rg-ai", "service_tier": "global"}
    storage = azure(day(2026, 3, 3), "LRS Data Stored", "0.0024691356", project="rg-data",
                    units=Decimal("0.123457"), unit_name="gb/month")  # 0.12345678 rounded
    assert records(read("azure-ea", DATA / "ea.csv")) == {
        2: azure(day(2026, 3, 2), "gpt-4o-1120", "0.0308625", input_tokens=12345, **ai),
        3: azure(day(2026, 3, 2), "gpt-4o-1120", "0.025", output_tokens=2500, **ai),
        4: azure(day(2026, 3, 2), "gpt-4o-1120", "0.01", cached_input_tokens=8000, **ai),
        5: azure(day(2026, 3, 2), "gpt-4o-mini-0718", "0.0002475", input_tokens=1500,
                 project="rg-ai", service_tier="regional"),  # 0.0015 x 1M
        6: azure(day(2026, 3, 2), "D2 v3/D2s v3", "2.64", units=Decimal(24),
                 unit_name="hours", project="AI Prod"),  # no resource group: the subscription
        7: storage,
        8: storage,  # an identical line: a second charge
        9: azure(day(2025, 12, 31), "gpt-4o-1120", "-0.0025", **ai),  # refund: no usage
    }


def test_mca_export_with_iso_dates_and_another_currency():
    eur = {"currency": "EUR"}
    assert records(read("azure-mca", DATA / "mca.csv")) == {
        2: azure(day(2026, 3, 3), "o3-0416", "0.0264", output_tokens=3000, project="rg-llm",
                 service_tier="datazone", **eur),
        3: azure(day(2026, 3, 3), "gpt-5.4", "0.625", input_tokens=250000, project="rg-llm",
                 service_tier="global", **eur),
        4: azure(day(2026, 3, 4), "text-embedding-3-small", "0.0008", units=Decimal(40000),
                 unit_name="tokens", project="Platform", **eur),
        5: azure(day(2026, 3, 4), "4 vCPU", "0.9", units=Decimal(15), unit_name="hours",
                 project="rg-llm", **eur),
    }


def test_legacy_export():
    assert records(read("azure-legacy", DATA / "legacy.csv")) == {
        2: azure(day(2026, 3, 4), "gpt-35-turbo-0125", "0.0025", input_tokens=5000,
                 project="rg-chat", service_tier="regional"),
        3: azure(day(2026, 3, 4), "Disk Read Operations", "0.00010368",
                 units=Decimal("0.288"), unit_name="units", project="rg-chat"),
    }


def test_a_header_only_export_has_no_lines():
    assert read("azure-ea", DATA / "ea_header_only.csv") == []


def test_bad_lines_are_refused_with_file_line_and_column():
    items = read("azure-ea", DATA / "ea_bad.csv")
    errors = {line: item for line, item, _ in items if isinstance(item, LineError)}
    assert sorted(errors) == [2, 3, 4, 5]
    assert all(e.file == "ea_bad.csv" and e.line == n for n, e in errors.items())
    assert str(errors[2]).startswith("ea_bad.csv:2: column 'Date': '13/01/2026' is not a valid "
                                     "date (month must be in 1..12)")
    assert errors[3].column == "Quantity" and errors[3].message.startswith("'lots' is not a")
    assert errors[4].column == "Cost" and errors[4].message.startswith("is empty")
    assert errors[5].column == "BillingCurrency"
    assert "not a currency code" in errors[5].message
    assert isinstance(items[-1][1], UsageRecord) and items[-1][0] == 6


def test_a_profile_forced_on_the_wrong_layout_refuses_the_file():
    with pytest.raises(ImportRefused) as caught:
        read("azure-legacy", DATA / "ea.csv")
    (error,) = caught.value.errors
    assert (error.file, error.line) == ("ea.csv", 1)
    assert "usagedatetime" in error.message


# --- the real exports ---------------------------------------------------------------------------


def real(name: str) -> Path:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"the real export {name} is not here")
    return path


def test_the_real_ea_export_imports_whole_with_the_billed_total():
    path = real("EA_ActualCost_Small.csv")
    assert formats.recognise_csv(header_of(path)).profile == "azure-ea"
    found = [item for _, item, _ in read("azure-ea", path)]
    assert all(isinstance(item, UsageRecord) for item in found) and len(found) == 11
    # By hand: 3.25 + 0.00004 + 0.000011139 + 2.64 + 0 + 0 + 0.000002 + 0.21268368 + 0
    #          + 1.9584 + 0.4838709677419368
    assert sum(r.billed_cost for r in found) == Decimal("8.5450077867419368")
    assert {r.currency for r in found} == {"USD"}
    assert found[0].timestamp == day(2023, 9, 21)  # 09/21/2023
    assert (found[1].units, found[1].unit_name) == (Decimal(4), "units")  # 0.0004 x 10K


def test_the_real_legacy_export_imports_whole_with_the_billed_total():
    path = real("legacy_costreport.csv")
    assert formats.recognise_csv(header_of(path)).profile == "azure-legacy"
    found = [item for _, item, _ in read("azure-legacy", path)]
    assert all(isinstance(item, UsageRecord) for item in found) and len(found) == 3
    assert sum(r.billed_cost for r in found) == Decimal("0.00011016")  # 0 + 0.00010368 + 0.00000648


def test_the_real_mca_export_and_its_anonymised_currency():
    path = real("mca_cost_export_v2.csv")
    assert formats.recognise_csv(header_of(path)).profile == "azure-mca"
    # The file is anonymised test data: its BillingCurrencyCode is "MC", which is no currency,
    # so every line is refused on that column (and only on it)...
    items = read("azure-mca", path)
    assert len(items) == 5
    assert all(isinstance(item, LineError) and item.column == "BillingCurrencyCode"
               for _, item, _ in items)
    # ...and with a real code in its place every line imports.
    with open_text(path) as text:
        fixed = text.read().replace(",MC,", ",USD,")
    found = [item for _, item, _ in
             formats.by_profile("azure-mca").read(io.StringIO(fixed, newline=""), path.name)]
    assert all(isinstance(item, UsageRecord) for item in found) and len(found) == 5
    # By hand: 0.114455 + 0 + 3.455664 + 0.034567754 + 16.393727
    assert sum(r.billed_cost for r in found) == Decimal("19.998413754")
    assert (found[3].units, found[3].unit_name) == (Decimal(574800000), "units")  # 5.748 x 1e8
