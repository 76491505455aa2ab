"""Meterbook never opens a network connection: the main commands, run as separate processes
with an audit hook that notes and fails any connection past loopback (tests/network_guard.py),
and the guard every test runs under (tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import meterbook
from tests.network_guard import NetworkUsed

HERE = Path(__file__).resolve().parent
SOURCES = Path(meterbook.__file__).resolve().parents[1]
# A vendor cost export of the project's own (the shared real exports may be absent in CI).
COST_EXPORT = HERE / "data" / "anthropic" / "cost_feb_mar.csv"


@pytest.fixture
def guarded(tmp_path):
    """run(*argv): a Python process whose every network attempt is noted in the log (and
    fails); returns (completed process, the attempts noted)."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(HERE / "network_guard.py", site / "network_guard.py")
    log = tmp_path / "network.log"
    (site / "sitecustomize.py").write_text(
        f"import network_guard\nnetwork_guard.install_audit_hook({str(log)!r})\n",
        encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{site}:{SOURCES}",
           "QT_QPA_PLATFORM": "offscreen"}

    def run(*argv: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        done = subprocess.run([sys.executable, *argv], env=env, capture_output=True,
                              text=True, timeout=300, cwd=tmp_path)
        attempts = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return done, attempts

    return run


def test_the_guard_catches_a_connection_and_a_lookup(guarded):
    # Without this, the test below could pass with a guard that sees nothing.
    done, attempts = guarded("-c", "import socket\ntry:\n    socket.create_connection("
                                   "('192.0.2.1', 80), timeout=1)\nexcept Exception: pass")
    assert attempts == ["socket.getaddrinfo '192.0.2.1'"]
    done, attempts = guarded("-c", "import urllib.request\ntry:\n    urllib.request.urlopen("
                                   "'http://example.com/', timeout=1)\nexcept Exception: pass")
    assert attempts == ["socket.getaddrinfo 'example.com'"]
    done, attempts = guarded("-c", "import socket\ns = socket.socket()\ntry:\n    "
                                   "s.connect(('10.1.2.3', 5432))\nexcept Exception: pass")
    assert attempts == ["socket.connect ('10.1.2.3', 5432)"]
    # Loopback is allowed (the PostgreSQL tests' throwaway server listens there).
    done, attempts = guarded("-c", "import socket\nserver = socket.create_server(('127.0.0.1',"
                                   " 0))\nsocket.create_connection(server.getsockname())")
    assert done.returncode == 0, done.stderr
    assert attempts == []


def test_the_main_commands_open_no_network_connection(guarded, tmp_path):
    db = str(tmp_path / "offline.db")
    commands = [
        ("demo", "--months", "2"),
        ("import", str(COST_EXPORT)),
        ("cost", "--format", "json"),
        ("plans", "list"),
        ("plans", "catalog"),
        ("backup", str(tmp_path / "copy.db")),
        ("gui", "--screenshot", str(tmp_path / "shots")),
    ]
    for args in commands:
        done, attempts = guarded("-m", "meterbook", "--db", db, "--tz", "UTC", *args)
        assert done.returncode == 0, (args, done.stderr)
        assert attempts == [], args
    assert len(list((tmp_path / "shots").glob("*.png"))) >= 9  # the screenshots were taken


def test_every_test_runs_offline():
    # The autouse guard of tests/conftest.py: a test that reaches out fails, loopback works.
    with pytest.raises(NetworkUsed):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with pytest.raises(NetworkUsed):
        socket.getaddrinfo("example.com", 443)
    with socket.create_server(("127.0.0.1", 0)) as server:
        socket.create_connection(server.getsockname()).close()
