"""Opening the database: where it lives, the engine, and bringing its schema up to date.

Alembic owns the schema (migrations/ beside this file). Opening a database applies any pending
migration, after taking a backup of a SQLite file that already holds data. A database written by
a newer Meterbook, a file that is not a database at all, or a SQLite file belonging to some other
program is refused before anything in it is changed.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import sqlalchemy.exc
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (a test keeps the two in step). Knowing it here lets
# an up-to-date database open without loading Alembic, which takes a noticeable part of a
# second at every start of the command.
SCHEMA_HEAD = "0001"
DB_ENV_VAR = "METERBOOK_DB"

# Applied to every SQLite connection. WAL lets the UI read while the writer writes; NORMAL is
# durable enough in WAL mode (a power cut may lose the last commit, never corrupt the file);
# SQLite leaves foreign keys off unless asked, and the plan tiers rely on ON DELETE CASCADE.
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-65536",  # KiB: 64 MiB of page cache
)


from meterbook.store.errors import DatabaseError  # noqa: E402  (re-exported)


def default_database_path() -> Path:
    """`meterbook.db` in the user's data folder, which is created if missing."""
    folder = Path(platformdirs.user_data_dir("Meterbook", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "meterbook.db"


def resolve_url(db: str | None) -> str:
    """The SQLAlchemy URL to open: `db`, else $METERBOOK_DB, else the default file.

    A value containing "://" is taken as a URL; anything else is a file path. An empty value
    counts as not given, so `METERBOOK_DB=` in a shell means the default.
    """
    value = db or os.environ.get(DB_ENV_VAR) or None
    if value is not None and "://" in value:
        return value
    path = default_database_path() if value is None else Path(value).expanduser()
    return f"sqlite:///{path.resolve()}"


@dataclass(eq=False)
class Database:
    """An open database: the engine and the URL it was opened with."""

    engine: Engine
    url: str

    @property
    def path(self) -> Path | None:
        """The file of a SQLite database; None for other databases and in-memory SQLite."""
        return _sqlite_path(self.engine)

    @property
    def display_name(self) -> str:
        """How to show the database to people: its file, or its URL without the password."""
        return _describe(self.engine)

    def session(self):
        """An ORM session (SQLModel is imported here, not at start: read-only commands that
        never need it start faster)."""
        from sqlmodel import Session

        return Session(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_database(db: str | None = None) -> Database:
    """Open (or create) the database named by `db` (see resolve_url), with an up-to-date schema.

    Raises DatabaseError when it cannot be opened or upgraded.
    """
    url = resolve_url(db)
    engine = _create_engine(url)
    if engine.dialect.name == "sqlite" and _sqlite_path(engine) is None:
        # The migration runs on a connection of its own, which an in-memory database does not
        # outlive; and data that vanishes on exit is not what anyone wants from Meterbook.
        raise DatabaseError(f"{_describe(engine)}: Meterbook needs a database file, not memory")
    try:
        _bring_up_to_date(url)
    except BaseException:
        engine.dispose()
        raise
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
    return Database(engine=engine, url=url)


def _create_engine(url: str, **options) -> Engine:
    """create_engine, with a bad URL or a missing database driver told as a DatabaseError."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except (sqlalchemy.exc.ArgumentError, ValueError) as exc:
        raise DatabaseError(f"{url!r} is not a database path or URL: {exc}") from None
    try:
        return create_engine(url, **options)
    except sqlalchemy.exc.NoSuchModuleError:
        raise DatabaseError(f"{shown}: Meterbook does not know this kind of database") from None
    except sqlalchemy.exc.ArgumentError as exc:
        raise DatabaseError(f"{shown} is not a database path or URL: {exc}") from None
    except ImportError as exc:
        raise DatabaseError(f"cannot open {shown}: its driver is not installed ({exc})") from None


def _set_sqlite_pragmas(dbapi_connection, _connection_record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def alembic_config(url: str | None = None):
    """An Alembic configuration for our migrations, without any alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolation would read a "%" of an escaped password as a reference.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_path(engine: Engine) -> Path | None:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _describe(engine: Engine) -> str:
    """How to name the database in messages: its file, else its URL without the password."""
    path = _sqlite_path(engine)
    if path is not None:
        return str(path)
    return engine.url.render_as_string(hide_password=True)


def _migration_connect(dbapi_connection, _connection_record) -> None:
    # sqlite3 (before Python 3.12's autocommit attribute) never emits BEGIN before DDL, so each
    # CREATE/ALTER would commit on its own. Taking transaction control makes the whole upgrade
    # one transaction: a failing migration leaves the file as it was.
    dbapi_connection.isolation_level = None
    # Batch migrations copy a table and DROP the original; with foreign keys on, that DROP would
    # cascade-delete the rows of every table pointing at it. SQLite's documented procedure for
    # schema changes is: keys off, change, foreign_key_check, commit.
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def _is_current(url: str) -> bool:
    """True when the database already records SCHEMA_HEAD (read only, no Alembic)."""
    engine = _create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if "alembic_version" not in inspect(conn).get_table_names():
                return False
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
            return [tuple(r) for r in rows] == [(SCHEMA_HEAD,)]
    except sqlalchemy.exc.DBAPIError:
        return False  # the full check below says what is wrong
    finally:
        engine.dispose()


def _bring_up_to_date(url: str) -> None:
    if _is_current(url):
        return
    from alembic.script import ScriptDirectory

    config = alembic_config(url)
    script = ScriptDirectory.from_config(config)
    known = {revision.revision for revision in script.walk_revisions()}
    head = script.get_current_head()

    # A separate short-lived engine: the migration needs connection settings the application's
    # connections must not have, and NullPool makes sure none of them is reused afterwards.
    engine = _create_engine(url, poolclass=NullPool)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(engine, "connect", _migration_connect)
    where = _describe(engine)
    try:
        with engine.connect() as conn:
            # Only reads until every check has passed: a refused file is left exactly as it was.
            current, tables = _probe(conn)
            conn.commit()
            unknown = [rev for rev in current if rev not in known]
            if unknown:
                raise DatabaseError(
                    f"{where} was written by a newer version of Meterbook (schema "
                    f"{'+'.join(unknown)}); upgrade Meterbook to open it"
                )
            if current == (head,):
                return
            if tables and "alembic_version" not in tables:
                shown = ", ".join(sorted(tables)[:5])
                raise DatabaseError(
                    f"{where} is not a Meterbook database: it holds other tables ({shown})"
                )
            old = "+".join(current) or "base"
            backup = None
            if tables and sqlite and (path := _sqlite_path(engine)) is not None:
                try:
                    backup = backup_sqlite(path, old)
                except (OSError, sqlite3.Error) as exc:
                    raise DatabaseError(
                        f"cannot upgrade {where}: its backup could not be written ({exc}); "
                        f"nothing was changed"
                    ) from exc
            _upgrade(conn, config, sqlite, where, old, backup)
    except sqlalchemy.exc.OperationalError as exc:
        raise DatabaseError(f"cannot open {where}: {_reason(exc)}") from exc
    except sqlalchemy.exc.DatabaseError as exc:
        raise DatabaseError(f"{where} is not a Meterbook database: {_reason(exc)}") from exc
    finally:
        engine.dispose()


def _probe(conn: Connection) -> tuple[tuple[str, ...], set[str]]:
    """The schema revision(s) recorded in the database and the names of its tables."""
    from alembic.runtime.migration import MigrationContext

    tables = set(inspect(conn).get_table_names())
    current = MigrationContext.configure(conn).get_current_heads() if tables else ()
    return tuple(current), tables


def _upgrade(
    conn: Connection, config, sqlite: bool, where: str, old: str, backup: Path | None
) -> None:
    from alembic import command

    try:
        if sqlite:
            # IMMEDIATE takes the write lock now, so two Meterbooks opening the same old file
            # upgrade one after the other; the second then finds nothing left to do.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        if sqlite:
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise DatabaseError(f"the upgrade left {len(broken)} broken references")
        conn.commit()
    except Exception as exc:
        conn.rollback()
        if isinstance(exc, sqlalchemy.exc.OperationalError) and "locked" in str(exc):
            raise DatabaseError(f"cannot upgrade {where}: {_reason(exc)}") from exc
        kept = f"; a copy of it was saved as {backup}" if backup else ""
        reason = _reason(exc) if isinstance(exc, sqlalchemy.exc.DBAPIError) else str(exc)
        raise DatabaseError(
            f"could not upgrade {where} from schema {old}: {reason}. The database was left "
            f"unchanged{kept}"
        ) from exc


def _reason(exc: sqlalchemy.exc.DBAPIError) -> str:
    return str(exc.orig) if exc.orig is not None else str(exc)


def backup_sqlite(path: Path, revision: str) -> Path:
    """Copy a SQLite database to `<name>.bak-<revision>` beside it and return the copy's path.

    Uses SQLite's online backup, which copies what is committed including pages still in the
    WAL, even while another connection writes. An earlier backup is never overwritten: the copy
    gets `-2`, `-3`... instead.
    """
    target = path.with_name(f"{path.name}.bak-{revision}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.bak-{revision}-{n}")
    source = sqlite3.connect(path)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    except BaseException:
        target.unlink(missing_ok=True)  # a half-written copy must not pass for a backup
        raise
    finally:
        source.close()
    return target
