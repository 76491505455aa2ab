"""A team's shared database on PostgreSQL (a throwaway cluster, tests/pg_server.py): the 64-bit
upgrade of a database at the first revision, several people importing at once, and credentials
that are never shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel
from tests.helpers import CHAT_1_2_PLANS, save_plans, write_file

from meterbook.cli import main
from meterbook.importers.pipeline import import_files
from meterbook.store.batches import undo_batch
from meterbook.store.database import SCHEMA_HEAD, alembic_config, open_database
from meterbook.store.postgres import CHECKED_BY_TRIGGERS, lock_usage_writes

SRC = Path(__file__).resolve().parents[2] / "src"
# For the tests that run the command (`cli`) on databases of their own, on the cluster.
on_the_server = pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)

PLANS = CHAT_1_2_PLANS  # 1.00 per 1k input tokens, 2.00 per 1k output tokens


def usage(first: int, count: int) -> str:
    """Requests req-FIRST ... of 1,000 input and 100 output tokens each, an hour apart from
    2026-03-01: each costs 1,000 x 1.00/1k + 100 x 2.00/1k = 1.00 + 0.20 = 1.20."""
    lines = ["timestamp,vendor,model,request_id,input_tokens,output_tokens"]
    for n in range(first, first + count):
        lines.append(f"2026-03-{1 + n // 24 % 28:02d}T{n % 24:02d}:00:00Z,openai,gpt-4o,"
                     f"req-{n},1000,100")
    return "\n".join(lines) + "\n"


def scalars(url: str, query: str) -> list:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.exec_driver_sql(query).one())
    finally:
        engine.dispose()


@on_the_server
def test_a_database_at_the_first_revision_upgrades_and_then_saves_instants(pg_cluster, cli,
                                                                           tmp_path):
    url = pg_cluster.url(pg_cluster.new_database(empty=True))
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:  # as the first Meterbook release left it
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.exec_driver_sql("INSERT INTO setting (key, value) VALUES ('kept', 'as it was')")
    engine.dispose()
    assert cli("--db", url, "settings").code == 0  # opening it upgrades it
    widened = scalars(url, """SELECT count(*) FILTER (WHERE data_type = 'bigint'),
        count(*) FILTER (WHERE column_name = 'timestamp_us' AND data_type = 'bigint')
        FROM information_schema.columns WHERE table_name = 'usage_record'""")
    # usage_record: id, batch_id, timestamp_us, meter_id, six counts and billed_nano = 11.
    assert widened == [11, 1]
    assert scalars(url, "SELECT value FROM setting WHERE key = 'kept'")[0] == "as it was"
    # 2026-03-01T00:00Z is 1,772,323,200,000,000 us: more than a 32-bit column holds.
    with open_database(url) as db:
        save_plans(db, PLANS)
    plain = cli("--db", url, "import", str(write_file(tmp_path, "u.csv", usage(0, 2))))
    assert plain.code == 0, plain.err
    result = cli("--db", url, "cost", "--format", "json")
    assert result.code == 0, result.err
    assert result.json["total"]["cost"] == "2.400000000"  # two requests of 1.20


def test_three_people_importing_at_once_keep_every_import_promise(pg_cluster, tmp_path):
    """Three real processes import overlapping exports into one new database at once."""
    url = pg_cluster.url(pg_cluster.new_database(empty=True))
    # Files of 3,000 requests: req-0..2999, req-1500..4499, req-3000..5999. Together: 6,000.
    files = [write_file(tmp_path, f"part{n}.csv", usage(1500 * n, 3000)) for n in range(3)]
    env = {**os.environ, "PYTHONPATH": str(SRC), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    with open_database(url) as db:
        save_plans(db, PLANS)
    people = [subprocess.Popen([sys.executable, "-m", "meterbook", "--db", url, "import",
                                str(path), "--format", "json"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
              for path in files]
    outcomes = [person.communicate(timeout=300) for person in people]
    assert [person.returncode for person in people] == [0, 0, 0], outcomes
    summaries = [json.loads(out) for out, _err in outcomes]
    # Every line is either added or a duplicate of a record another import stored first.
    assert [s["added"] + s["duplicates"] for s in summaries] == [3000, 3000, 3000]
    assert sum(s["added"] for s in summaries) == 6000  # none lost, none twice
    records, keys, charged = scalars(url, """SELECT count(*), count(DISTINCT dedupe_key),
        (SELECT count(*) FROM usage_charge) FROM usage_record""")
    assert (records, keys, charged) == (6000, 6000, 6000)
    # Each batch whole: it holds exactly the records its summary says it added.
    for summary in summaries:
        if summary["batch"] is None:  # nothing new: no batch was kept
            assert summary["added"] == 0
            continue
        held = scalars(url, f"SELECT count(*) FROM usage_record WHERE batch_id = "
                            f"{summary['batch']}")[0]
        assert held == summary["added"]
    # The hourly sums agree with the records: 6,000 records of 1.20 = 7,200.00 in nano-units.
    assert scalars(url, "SELECT sum(records), sum(charge_nano) FROM usage_rollup") == [
        6000, 7_200_000_000_000]


@pytest.fixture
def server(pg_cluster):
    """A migrated database; its URL without the password, and the password."""
    return pg_cluster.url(pg_cluster.new_database(), password=False), pg_cluster.password


@on_the_server
def test_the_password_comes_from_pgpassword_and_is_never_shown(server, cli, monkeypatch,
                                                               tmp_path):
    url, password = server
    with_password = url.replace("@", f":{password}@", 1)
    shown = cli("--db", with_password, "settings")
    assert shown.code == 0
    assert password not in shown.out + shown.err
    assert "database:      postgresql+psycopg://meterbook_test:***@127.0.0.1" in shown.out
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    refused = cli("--db", url, "settings")  # no password anywhere: told, not a traceback
    assert refused.code != 0 and "password" in refused.err
    monkeypatch.setenv("PGPASSWORD", password)
    assert cli("--db", url, "settings").code == 0


def test_meterbook_db_names_the_team_database_for_every_command(server, monkeypatch, capsys):
    url, password = server
    monkeypatch.setenv("PGPASSWORD", password)
    monkeypatch.setenv("METERBOOK_DB", url)
    assert main(["demo", "--months", "1"]) == 0
    assert main(["settings"]) == 0
    assert f"database:      {url}\n" in capsys.readouterr().out


@on_the_server
def test_the_password_comes_from_a_pgpass_file(server, cli, monkeypatch, tmp_path):
    url, password = server
    monkeypatch.delenv("PGPASSWORD", raising=False)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:*:*:meterbook_test:{password}\n")
    pgpass.chmod(0o600)  # libpq ignores a file others may read
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    result = cli("--db", url, "demo")
    assert result.code == 0 and "saved in postgresql+psycopg://meterbook_test@" in result.out


@on_the_server
def test_a_wrong_password_is_told_without_showing_it(server, cli):
    url, _password = server
    result = cli("--db", url.replace("@", ":not-this-one@", 1), "cost")
    assert result.code != 0
    assert "not-this-one" not in result.err and "password authentication failed" in result.err


def test_an_undo_waits_for_an_import_in_progress(pg_cluster, tmp_path):
    url = pg_cluster.url(pg_cluster.new_database())
    with open_database(url) as db:
        import_files(db, [write_file(tmp_path, "u.csv", usage(0, 3))])
        someone = create_engine(url, poolclass=NullPool)
        undone = []
        try:
            with someone.begin() as conn:
                lock_usage_writes(conn)  # what an import holds until it commits
                undo = threading.Thread(target=lambda: undone.append(undo_batch(db, 1)))
                undo.start()
                while not conn.exec_driver_sql("SELECT count(*) FROM pg_locks WHERE "
                                               "locktype = 'advisory' AND NOT granted").scalar():
                    assert undo.is_alive()  # it must wait, not finish or fail
                assert undone == []
            undo.join(60)
        finally:
            someone.dispose()
        assert undone == [3]  # then it removes the batch's three records


def test_three_people_opening_a_new_team_database_at_once_make_its_tables_once(pg_cluster,
                                                                                tmp_path):
    url = pg_cluster.url(pg_cluster.new_database(empty=True))
    env = {**os.environ, "PYTHONPATH": str(SRC), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    people = [subprocess.Popen([sys.executable, "-m", "meterbook", "--db", url, "settings"],
                               env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE) for _ in range(3)]
    outcomes = [person.communicate(timeout=300) for person in people]
    assert [person.returncode for person in people] == [0, 0, 0], outcomes
    assert scalars(url, "SELECT string_agg(version_num, ',') FROM alembic_version") == [
        SCHEMA_HEAD]


def test_the_models_match_the_migrated_postgresql_schema(pg_cluster):
    """Fails when a column of tables.py says 64-bit and PostgreSQL's is not, or the reverse:
    the ORM would cast to the wrong type. The two foreign keys that migration 0004 turned
    into triggers are the only difference, and named as such."""
    url = pg_cluster.url(pg_cluster.new_database())
    with open_database(url) as db, db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert sorted((kind, fk.name) for kind, fk in differences) == [
        ("add_fk", name) for name in sorted(CHECKED_BY_TRIGGERS)]
