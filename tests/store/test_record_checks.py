"""A usage record always names a batch and a meter that exist, on SQLite (foreign keys) and on
PostgreSQL (statement-level triggers, migration 0004); and PostgreSQL's COPY import keeps the
import promises the INSERT ... ON CONFLICT it replaced kept."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool
from tests.helpers import CHAT_1_2_PLANS, WORKED_USAGE, import_text, save_plans

from meterbook.store.batches import undo_batch
from meterbook.store.database import alembic_config, open_database

PLANS = CHAT_1_2_PLANS  # 1.00 per 1k input tokens, 2.00 per 1k output tokens

_INSERT = ("INSERT INTO usage_record (id, batch_id, timestamp_us, meter_id, requests, "
           "input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, units_micro, "
           "dedupe_key) VALUES ({id}, {batch}, 0, {meter}, 1, 0, 0, 0, 0, 0, 'k{id}')")


@pytest.fixture
def db(store_url, tmp_path):
    """The six worked records (tests/helpers.py) in batch 1, on meters 1 to 6."""
    with open_database(store_url) as db:
        save_plans(db, PLANS)
        summary = import_text(db, tmp_path, WORKED_USAGE)
        assert (summary.batch, summary.added) == (1, 6)
        yield db


def count(db, query: str) -> int:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(query).scalar()


def refused(db, statement: str) -> None:
    """The statement fails as a broken reference, and leaves nothing changed."""
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.exec_driver_sql(statement)


def test_a_record_naming_no_batch_or_no_meter_is_refused(db):
    refused(db, _INSERT.format(id=100, batch=7, meter=1))  # no batch 7
    refused(db, _INSERT.format(id=100, batch=1, meter=70))  # no meter 70
    ok = _INSERT.format(id=100, batch=1, meter=1)
    refused(db, ok + ", (101, 1, 0, 70, 1, 0, 0, 0, 0, 0, 'k101')")
    refused(db, "UPDATE usage_record SET meter_id = 70 WHERE id = 1")
    assert count(db, "SELECT count(*) FROM usage_record") == 6
    with db.engine.begin() as conn:  # the same row with parents that exist goes in
        conn.exec_driver_sql(ok)
    assert count(db, "SELECT count(*) FROM usage_record") == 7


def test_a_batch_or_meter_that_records_use_cannot_be_deleted_or_renumbered(db):
    refused(db, "DELETE FROM import_batch WHERE id = 1")
    refused(db, "UPDATE import_batch SET id = 50 WHERE id = 1")
    refused(db, "DELETE FROM meter")
    refused(db, "UPDATE meter SET id = id + 100")
    assert count(db, "SELECT count(*) FROM import_batch") == 1
    assert count(db, "SELECT count(*) FROM meter") == 6
    with db.engine.begin() as conn:  # what keeps the ids is allowed: an import's counts
        conn.exec_driver_sql("UPDATE import_batch SET lines = lines + 1")
        # A meter no record uses may go.
        conn.exec_driver_sql("INSERT INTO meter (id, vendor, model, project, service_tier, "
                             "unit_name) VALUES (9, 'x', 'y', '', '', '')")
        conn.exec_driver_sql("DELETE FROM meter WHERE id = 9")
    assert undo_batch(db, 1) == 6  # undo removes the records, then the batch
    assert count(db, "SELECT count(*) FROM import_batch") == 0


def test_a_postgresql_database_of_the_last_release_upgrades_to_the_triggers(pg_cluster):
    url = pg_cluster.url(pg_cluster.new_database(empty=True))
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:  # as the release with budgets left it, with one record
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.upgrade(config, "0003_budgets")
        conn.exec_driver_sql("INSERT INTO import_batch (id, created_us, files, profile, lines, "
                             "added, duplicates, refused) VALUES (1, 0, 'a.csv', 'x', 1, 1, 0, 0)")
        conn.exec_driver_sql("INSERT INTO meter (id, vendor, model, project, service_tier, "
                             "unit_name) VALUES (1, 'openai', 'gpt-4o', '', '', '')")
        conn.exec_driver_sql(_INSERT.format(id=1, batch=1, meter=1))
    engine.dispose()
    with open_database(url) as db:  # opening upgrades it
        # insert, update of records; delete, update of both parents; keys compared bytewise
        assert schema(db) == (0, 6, ["C", "C"])
        assert count(db, "SELECT count(*) FROM usage_record") == 1
        refused(db, _INSERT.format(id=2, batch=2, meter=1))
        refused(db, "DELETE FROM meter")
        with db.engine.begin() as conn:  # and back: the release before had foreign keys
            config = alembic_config(url)
            config.attributes["connection"] = conn
            command.downgrade(config, "0003_budgets")
        assert schema(db) == (2, 0, [None, None])
        assert count(db, "SELECT count(*) FROM usage_record") == 1


def schema(db) -> tuple[int, int, list]:
    """usage_record's foreign keys, Meterbook's triggers, the collations of its two keys."""
    with db.engine.connect() as conn:
        keys = conn.exec_driver_sql("""SELECT count(*) FROM information_schema.table_constraints
            WHERE table_name = 'usage_record' AND constraint_type = 'FOREIGN KEY'""").scalar()
        triggers = conn.exec_driver_sql("""SELECT count(*) FROM information_schema.triggers
            WHERE starts_with(trigger_name, 'meterbook_')""").scalar()
        collations = [c for (c,) in conn.exec_driver_sql("""SELECT collation_name
            FROM information_schema.columns WHERE table_name = 'usage_record'
            AND column_name IN ('conversation_id', 'dedupe_key') ORDER BY column_name""")]
    return keys, triggers, collations


def test_a_key_met_twice_keeps_its_first_record_and_a_second_import_adds_nothing(store_url,
                                                                                 tmp_path):
    # Request ids with a record separator (\x1e) in them: PostgreSQL's import sends a chunk's
    # keys joined by that character, and must send these another way.
    usage = ("timestamp,vendor,model,request_id,input_tokens,output_tokens\n"
             "2026-03-01T09:00:00Z,openai,gpt-4o,a\x1eb,1000,0\n"
             "2026-03-01T10:00:00Z,openai,gpt-4o,c,2000,0\n"
             "2026-03-01T11:00:00Z,openai,gpt-4o,a\x1eb,5000,0\n")  # a repeat of the first
    with open_database(store_url) as db:
        save_plans(db, PLANS)
        first = import_text(db, tmp_path, usage, "one.csv")
        assert (first.added, first.duplicates) == (2, 1)
        # The first of the two a\x1eb lines was kept: 1.00 + 2.00 = 3.00, not 5.00 + 2.00.
        assert count(db, "SELECT sum(charge_nano) FROM usage_charge") == 3_000_000_000
        assert count(db, "SELECT sum(charge_nano) FROM usage_rollup") == 3_000_000_000
        again = import_text(db, tmp_path, usage, "two.csv")
        assert (again.batch, again.added, again.duplicates) == (None, 0, 3)
        assert count(db, "SELECT sum(records) FROM usage_rollup") == 2


def test_a_record_stored_meanwhile_by_another_program_fails_the_import_plainly(
        pg_cluster, tmp_path, monkeypatch):
    """Meterbook's own writers wait for the import lock; a program that does not could store
    a key between the import's check and its COPY: the import then stops whole, saying so."""
    from meterbook.store import postgres
    from meterbook.store.errors import DatabaseError

    name = pg_cluster.new_database()
    with open_database(pg_cluster.url(name)) as db:
        save_plans(db, PLANS)
        import_text(db, tmp_path, WORKED_USAGE)
        # The check misses what is stored, as it would a record written after it.
        monkeypatch.setattr(postgres, "_first_of_each", lambda keys, stored: range(len(keys)))
        with pytest.raises(DatabaseError, match=r"another program .* nothing was imported"):
            import_text(db, tmp_path, WORKED_USAGE, "again.csv")
        assert count(db, "SELECT count(*) FROM usage_record") == 6
        assert count(db, "SELECT count(*) FROM import_batch") == 1
    pg_cluster.give_back(name)
