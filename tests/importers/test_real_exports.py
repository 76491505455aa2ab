"""Real export files from public repositories (../shared/real-exports), when they are there.

They are never copied into the project; this test reads them in place and skips without them.
"""


import pytest
from tests.helpers import SHARED

from meterbook.importers.errors import ImportRefused
from meterbook.importers.pipeline import import_files
from meterbook.store.database import open_database

REAL = SHARED / "real-exports"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-exports is absent")

# file -> (format recognised, lines, records added); worked out by reading the files
IMPORTED = {
    "anthropic/claude_api_cost_2026_02_08_to_2026_02_15.csv": ("anthropic-cost", 24, 24),
    "openai/completions_usage_api_output_excerpt.json": ("openai-usage-api", 3, 3),
    "azure/EA_ActualCost_Small.csv": ("azure-ea", 11, 11),
    "azure/legacy_costreport.csv": ("azure-legacy", 3, 3),
}
# Not usage exports of an AI vendor: refused at the header, with the columns listed.
UNRECOGNISED = ["aws/cur_2023-06-01.csv", "gcp/billing_export_2022-08-01.csv",
                "azure/PricingUnits.csv"]


@pytest.fixture
def db(store_url):
    database = open_database(store_url)
    yield database
    database.close()


@pytest.mark.parametrize("name", sorted(IMPORTED))
def test_real_exports_import_whole(db, name):
    profile, lines, added = IMPORTED[name]
    summary = import_files(db, [REAL / name])
    assert (summary.profile, summary.lines, summary.added, summary.refused) == (
        profile, lines, added, 0)
    assert import_files(db, [REAL / name]).added == 0  # and only once


@pytest.mark.parametrize("name", UNRECOGNISED)
def test_other_bills_are_refused_with_their_columns(db, name):
    with pytest.raises(ImportRefused) as refused:
        import_files(db, [REAL / name])
    [error] = refused.value.errors
    assert error.line == 1 and "Its columns:" in error.message and "--map" in error.message


def test_the_anonymised_mca_export_is_refused_for_its_currency_code(db):
    # The anonymised test data writes the billing currency as "MC", which is no ISO code.
    with pytest.raises(ImportRefused) as refused:
        import_files(db, [REAL / "azure/mca_cost_export_v2.csv"])
    assert {e.column for e in refused.value.errors} == {"BillingCurrencyCode"}
    assert len(refused.value.errors) == 5


ANTHROPIC_COST = "anthropic/claude_api_cost_2026_02_08_to_2026_02_15.csv"


@pytest.mark.parametrize("delimiter, encoding", [(";", "utf-8-sig"), ("\t", "utf-16")])
def test_the_real_anthropic_cost_export_resaved_by_excel_imports_whole(db, tmp_path, delimiter,
                                                                        encoding):
    # As a European Excel saves it (';', decimal commas, dotted dates) and as its "Unicode
    # text" (UTF-16 with a BOM, tabs): the same 24 lines, $19.97 in all (the README's figure).
    import csv

    with open(REAL / ANTHROPIC_COST, encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    cost = header.index("cost_usd")
    for row in rows:
        year, month, day = row[0].split("-")
        row[0], row[cost] = f"{day}.{month}.{year}", row[cost].replace(".", ",")
    path = tmp_path / "claude_api_cost.csv"
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows([header, *rows])
    summary = import_files(db, [path])
    assert (summary.profile, summary.lines, summary.added, summary.refused) == (
        "anthropic-cost", 24, 24, 0)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT sum(billed_nano) FROM usage_record").scalar() == (
            19_970_000_000)
