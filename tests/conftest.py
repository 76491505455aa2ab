"""Shared fixtures: the `meterbook` command run in-process, isolated from the user's files."""

from __future__ import annotations

import os

# Qt tests run without a screen, whatever the machine has (set before Qt is imported).
os.environ["QT_QPA_PLATFORM"] = "offscreen"

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from meterbook.cli import main
from tests import pg_server
from tests.network_guard import refuse_network

# --- running the command ----------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No test reads $METERBOOK_DB or writes an error log, a data file or the app's window
    settings (QSettings) into the user's folders."""
    monkeypatch.delenv("METERBOOK_DB", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Meterbook works offline: a test that reaches past loopback fails (network_guard.py)."""
    refuse_network(monkeypatch)


@pytest.fixture
def cli(tmp_path, capsys, store_url):
    """cli(*args, tz="UTC", db=None): run `meterbook --db DB --tz TZ ARGS...`; DB is
    `store_url` (tmp_path/meterbook.db, then a PostgreSQL database) unless given; cli.url."""
    default_db = store_url

    def run(*args: str, tz: str = "UTC", db: Path | None = None) -> Result:
        argv = ["--db", str(db or default_db), "--tz", tz, *args]
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --version, --help and usage errors
            code = exc.code
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        assert "unexpected error" not in err
        return Result(code, out, err)

    run.url = store_url
    return run


# --- the store on both backends --------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster for the whole run (tests/pg_server.py), stopped at the
    end; the tests that need it skip, saying how to get it, where PostgreSQL is missing."""
    reason = pg_server.why_not()
    if reason is not None:
        pytest.skip(reason)
    cluster = pg_server.Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """Where a test's database lives: a new SQLite file, then a new database on the test
    cluster (every test that touches the store runs on both)."""
    if request.param == "sqlite":
        yield str(tmp_path / "meterbook.db")
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = cluster.new_database()
    yield cluster.url(name)
    cluster.give_back(name)
