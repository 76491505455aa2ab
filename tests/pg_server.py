"""A throwaway PostgreSQL cluster for the tests: initdb into a temporary folder, a free port on
127.0.0.1, password logins only (as a team's server would ask), stopped and removed at the end.

PostgreSQL refuses to run as root: under root (CI) the cluster runs as the `postgres` user the
system package creates, else as `nobody`. Where the server binaries or psycopg are missing,
`why_not()` says how to get them and the PostgreSQL half of the tests is skipped.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from meterbook.store.database import SCHEMA_HEAD, open_database

HOW_TO = ("to run the store tests against PostgreSQL too: `apt-get install postgresql` "
          "(or your system's package) and `pip install -e '.[test]'`")
USER = "meterbook_test"


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                      key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def why_not() -> str | None:
    """Why no cluster can be started here, with what to do about it; None when one can."""
    if _bin_dir() is None:
        return f"PostgreSQL's server programs (initdb, pg_ctl) are not installed: {HOW_TO}"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return f"psycopg is not installed: {HOW_TO}"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running cluster; `url(name)` creates a fresh database and returns its URL."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.password = secrets.token_hex(8)
        self.folder = Path(tempfile.mkdtemp(prefix="meterbook-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.owner = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                with contextlib.suppress(KeyError):
                    self.owner = pwd.getpwnam(name)
                    break
            os.chown(self.folder, self.owner.pw_uid, self.owner.pw_gid)
        self.count = 0
        self.template = ""
        self.free: list[str] = []
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password)
        if self.owner is not None:
            os.chown(pwfile, self.owner.pw_uid, self.owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
                  "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8",
                  "--no-sync", "--locale=C")
        pwfile.unlink()
        # Durability buys nothing in a cluster thrown away at the end.
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w",
                  "-o", f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off "
                        "-c synchronous_commit=off -c full_page_writes=off", "start")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner.pw_name, "--", *command]
        subprocess.run(command, check=True, cwd=self.folder, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def url(self, database: str = "postgres", password: bool = True) -> str:
        secret = f":{self.password}" if password else ""
        return f"postgresql+psycopg://{USER}{secret}@127.0.0.1:{self.port}/{database}"

    def new_database(self, empty: bool = False) -> str:
        """A database at Meterbook's newest schema and without rows, or `empty` (no tables);
        returns its name. One given back (give_back) is used again: copying a database for
        each of hundreds of tests wrote gigabytes, and removing them at the end took minutes."""
        if not empty and self.free:
            return self.free.pop()
        self.count += 1
        name = f"t{self.count}"
        if not empty and not self.template:
            self.template = self.new_database(empty=True)
            open_database(self.url(self.template)).close()
        self._admin(f"CREATE DATABASE {name}"
                    + ("" if empty else f" TEMPLATE {self.template}"))
        return name

    def give_back(self, name: str) -> None:
        """Empty a database that new_database gave, for the next test; one that cannot be
        emptied at once (a test left a transaction open in it) is dropped instead."""
        import psycopg

        url = self.url(name).replace("+psycopg", "")
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("SET lock_timeout = '5s'")
                tables = [t for (t,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
                head = conn.execute("SELECT version_num FROM alembic_version").fetchall()
                if head != [(SCHEMA_HEAD,)]:
                    raise ValueError(f"{name} is at {head}")
                kept = ", ".join(f'"{t}"' for t in tables if t != "alembic_version")
                conn.execute(f"TRUNCATE {kept} RESTART IDENTITY CASCADE")
        except (psycopg.Error, ValueError):
            self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        self.free.append(name)

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(statement)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
