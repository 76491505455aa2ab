"""One batch of known and mapped files (importers/mapped_import.py), the way the Imports page
imports a drop: the mappings to remember are saved only once the import went through."""

from __future__ import annotations

import pytest
from tests.helpers import write_file

from meterbook.importers.errors import ImportRefused
from meterbook.importers.mapped_import import Mapped, import_mapped
from meterbook.importers.mapping import ColumnMapping
from meterbook.importers.mapping_profiles import list_profiles, load_profile
from meterbook.store.database import open_database

KNOWN = "timestamp,vendor,model,input_tokens\n2026-03-01T00:00:00Z,openai,gpt-4o,10\n"
SHOP = "Datum;Dienst;Kosten\n03.02.2026;translate-pro;1,50\n"
SHOP_MAPPING = ColumnMapping({"Datum": "timestamp", "Dienst": "model", "Kosten": "billed_cost"},
                             vendor="deepl", decimal_comma=True, date_format="DD/MM/YYYY",
                             currency="EUR")


@pytest.fixture
def db(store_url):
    with open_database(store_url) as database:
        yield database


def test_known_and_mapped_files_are_one_batch_and_the_mapping_is_saved(db, tmp_path):
    known, shop = write_file(tmp_path, "usage.csv", KNOWN), write_file(tmp_path, "s.csv", SHOP)
    chosen = Mapped(SHOP_MAPPING, "shop")
    summary = import_mapped(db, [str(known), str(shop)], {str(shop): chosen}, False)
    assert (summary.batch, summary.added, summary.profile) == (1, 2, "canonical,shop")
    with db.engine.connect() as conn:
        assert load_profile(conn, "shop") == SHOP_MAPPING


def test_a_refused_import_saves_no_mapping(db, tmp_path):
    # Without the decimal comma, "1,50" is refused: nothing imported, nothing remembered.
    shop = write_file(tmp_path, "s.csv", SHOP)
    wrong = ColumnMapping(SHOP_MAPPING.columns, vendor="deepl", date_format="DD/MM/YYYY")
    with pytest.raises(ImportRefused):
        import_mapped(db, [str(shop)], {str(shop): Mapped(wrong, "shop")}, False)
    with db.engine.connect() as conn:
        assert list_profiles(conn) == []
        assert conn.exec_driver_sql("SELECT count(*) FROM usage_record").scalar() == 0
