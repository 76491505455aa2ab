"""Opening the database: where it lives, the engine, and bringing its schema up to date.

Alembic owns the schema (migrations/ beside this file). Opening a database applies any pending
migration, after taking a backup of a SQLite file that already holds data. A database written by
a newer Meterbook, a file that is not a database at all, or a SQLite file belonging to some other
program is refused before anything in it is changed. A damaged file is told as damaged, with the
backups beside it (store/backup.py); a file this user cannot write is opened read-only.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

import platformdirs
import sqlalchemy.exc
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from meterbook.core.resources import resource_path

MIGRATIONS_DIR = resource_path("migrations")
# The newest revision in migrations/versions (a test keeps the two in step). Knowing it here lets
# an up-to-date database open without loading Alembic, which takes a noticeable part of a
# second at every start of the command.
SCHEMA_HEAD = "0004_record_checks"
DB_ENV_VAR = "METERBOOK_DB"

# Applied to every SQLite connection. WAL lets the UI read while the writer writes; NORMAL is
# durable enough in WAL mode (a power cut may lose the last commit, never corrupt the file);
# SQLite leaves foreign keys off unless asked, and the plan tiers rely on ON DELETE CASCADE.
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-65536",  # KiB: 64 MiB of page cache
    # Another Meterbook writing (the app and an import, two windows): wait up to a minute for
    # its turn, then refuse clearly (_sqlite_problem) rather than after the driver's 5 s.
    "PRAGMA busy_timeout=60000",
)


from meterbook.store.backup import backup_sqlite, backups_beside, damaged_message  # noqa: E402
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
    """An open database: the engine, the URL it was opened with, and whether it is read-only
    (a SQLite file that this user may not write: every read works, every write is refused)."""

    engine: Engine
    url: str = field(repr=False)  # may hold a PostgreSQL password: kept out of messages
    read_only: bool = False

    @property
    def path(self) -> Path | None:
        """The file of a SQLite database; None for other databases and in-memory SQLite."""
        return _sqlite_path(self.engine)

    @property
    def display_name(self) -> str:
        """How to show the database to people: its file, or its URL with the password masked
        as ***."""
        return _describe(self.engine)

    @property
    def shown_url(self) -> str:
        """The URL it was opened with, the password masked as ***."""
        return masked(self.url)

    @property
    def location(self) -> str:
        """What opens it again and may be kept (a recent-databases list): its file, or its URL
        without any password (PGPASSWORD or ~/.pgpass supply it; Meterbook stores none)."""
        path = self.path
        if path is not None:
            return str(path)
        url = self.engine.url  # (URL.set(password=None) would leave the password as it is)
        return URL.create(url.drivername, url.username, None, url.host, url.port,
                          url.database, url.query).render_as_string(hide_password=False)

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


def open_database(db: str | None = None, *, read_only: bool | None = None) -> Database:
    """Open (or create) the database named by `db` (see resolve_url), with an up-to-date schema.

    A SQLite file that this user cannot write (the file, or its folder, which SQLite writes its
    journal into) is opened read-only, as is any file when `read_only` is True. Raises
    DatabaseError when it cannot be opened or upgraded.
    """
    url = resolve_url(db)
    engine = _create_engine(url)
    path = _sqlite_path(engine)
    if engine.dialect.name == "sqlite" and path is None:
        # The migration runs on a connection of its own, which an in-memory database does not
        # outlive; and data that vanishes on exit is not what anyone wants from Meterbook.
        raise DatabaseError(f"{_describe(engine)}: Meterbook needs a database file, not memory")
    if path is not None and (reason := _cut_off(path)):
        raise DatabaseError(damaged_message(path, reason))
    if path is not None and read_only is None:
        read_only = not _writable(path)
    if read_only and path is not None:
        if not path.exists():
            raise DatabaseError(f"cannot create {path}: its folder is read-only")
        engine.dispose()
        engine = _create_engine(_read_only_url(path))
    try:
        _bring_up_to_date(engine.url, read_only=bool(read_only))
    except BaseException:
        engine.dispose()
        raise
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect",
                     _set_read_only_pragmas if read_only else _set_sqlite_pragmas)
        event.listen(engine, "handle_error", _explain_sqlite_error)
    return Database(engine=engine, url=url, read_only=bool(read_only))


def _cut_off(path: Path) -> str | None:
    """Why a SQLite file is shorter than its own header says (a copy or download that stopped
    short), else None. Cheap, unlike reading every page: SQLite itself notices only when a
    query reaches a missing page, which may be long after the window opened."""
    wal = path.with_name(path.name + "-wal")
    try:
        if wal.exists() and wal.stat().st_size:
            return None  # in use: a checkpoint may be growing the file right now
        with path.open("rb") as file:
            header = file.read(100)
        size = path.stat().st_size
    except OSError:
        return None
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return None
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is valid only when written by the same change as the header's counter.
    if header[24:28] != header[92:96] or not pages or size >= pages * page_size:
        return None
    return f"the file holds {size:,} bytes of the {pages * page_size:,} it should: it was cut off"


def _writable(path: Path) -> bool:
    """Whether this user may change the file: SQLite writes the file and, beside it, its
    journal (-wal, -shm), so the folder must be writable too. Root passes every such check."""
    if path.exists() and not os.access(path, os.W_OK):
        return False
    return os.access(path.parent, os.W_OK) or not path.parent.exists()


def _read_only_url(path: Path) -> URL:
    """A URL that opens the file read-only (SQLite refuses every write on it, even root's).

    A WAL database needs its -shm file to be read; in a folder nobody may write, that file
    cannot be made, so the file is read as immutable (nobody can change it there either)."""
    uri = f"file:{quote(str(path))}"
    query = {"mode": "ro", "uri": "true"}
    try:
        with contextlib.closing(sqlite3.connect(f"{uri}?mode=ro", uri=True)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size:  # read as immutable, its last changes are lost
            raise DatabaseError(
                f"{path} cannot be read here: its latest changes are still in {wal.name}, "
                "which SQLite reads only in a folder it may write to. Open it where its folder "
                "is writable, or copy both files somewhere you can write") from None
        query["immutable"] = "1"
    except sqlite3.DatabaseError:
        pass  # damaged, or not a database: the checks when opening say so
    return URL.create("sqlite", database=uri, query=query)


def _create_engine(url: str | URL, **options) -> Engine:
    """create_engine, with a bad URL or a missing database driver told as a DatabaseError."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except (sqlalchemy.exc.ArgumentError, ValueError) as exc:
        raise DatabaseError(f"{masked(url)!r} is not a database path or URL: {exc}") from None
    try:
        return create_engine(url, **options)
    except sqlalchemy.exc.NoSuchModuleError:
        raise DatabaseError(f"{shown}: Meterbook does not know this kind of database") from None
    except sqlalchemy.exc.ArgumentError as exc:
        raise DatabaseError(f"{shown} is not a database path or URL: {exc}") from None
    except ImportError as exc:
        raise DatabaseError(f"cannot open {shown}: its driver is not installed ({exc})") from None


def masked(url: str) -> str:
    """A database URL fit to show: any password as ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (sqlalchemy.exc.ArgumentError, ValueError):
        # Not a URL SQLAlchemy reads: hide whatever stands between "user:" and "@".
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(url))


def _set_sqlite_pragmas(dbapi_connection, _connection_record,
                        pragmas: tuple[str, ...] = _SQLITE_PRAGMAS) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in pragmas:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _set_read_only_pragmas(dbapi_connection, connection_record) -> None:
    # Changing the journal mode writes to the file; query_only refuses writes early.
    _set_sqlite_pragmas(dbapi_connection, connection_record,
                        ("PRAGMA foreign_keys=ON", "PRAGMA cache_size=-65536",
                         "PRAGMA query_only=ON"))


def _explain_sqlite_error(context) -> None:
    """A read-only or damaged file, met while reading or writing, is told as a DatabaseError
    for people rather than SQLite's own words."""
    message = _sqlite_problem(context.engine, context.original_exception)
    if message is not None:
        raise DatabaseError(message) from context.original_exception


def _sqlite_problem(engine: Engine, exc: BaseException) -> str | None:
    text = str(exc)
    if "readonly database" in text or "query_only" in text:
        return (f"{_describe(engine)} is read-only (the file or its folder cannot be written): "
                "nothing was changed. To change it, make it writable or copy it somewhere you "
                "can write and open the copy")
    if "database is locked" in text:
        return (f"{_describe(engine)} is busy: another Meterbook (the app, or an import) has "
                "been writing to it for over a minute. Nothing was changed; try again once "
                "it has finished")
    if _disk_is_full(engine, text):
        return (f"{_describe(engine)}: the disk is full, so SQLite could not write: nothing "
                "was changed. Free some space on that disk, then try again")
    path = _sqlite_path(engine)
    if path is not None and _is_damaged(path, text):
        return damaged_message(path, text)
    return None


def explain_sqlite_error(engine: Engine, exc: BaseException) -> DatabaseError | None:
    """A DatabaseError for people about an error of a raw SQLite statement (the staged import
    writes through the driver's own connection, below SQLAlchemy's error handling); None when
    there is nothing to explain."""
    message = _sqlite_problem(engine, exc)
    return None if message is None else DatabaseError(message)


def _disk_is_full(engine: Engine, reason: str) -> bool:
    """SQLite says "database or disk is full" when a page cannot be written, but only "disk
    I/O error" when its -shm or -wal file cannot grow (on opening): the free space tells."""
    if "database or disk is full" in reason:
        return True
    path = _sqlite_path(engine)
    if "disk I/O error" not in reason or path is None:
        return False
    try:
        return shutil.disk_usage(path.parent).free < 1 << 20
    except OSError:
        return False


def _is_damaged(path: Path, reason: str) -> bool:
    """A SQLite file whose pages SQLite cannot read. "file is not a database" also describes a
    text file of someone's notes: only a file with SQLite's header, or one with backups beside
    it, was a database before."""
    if "malformed" in reason:
        return True
    if "not a database" not in reason:
        return False
    try:
        with path.open("rb") as file:
            header = file.read(16)
    except OSError:
        return False
    return header == b"SQLite format 3\x00" or bool(backups_beside(path))


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
    if database and database.startswith("file:") and engine.url.query.get("uri") == "true":
        database = unquote(database.removeprefix("file:"))  # the read-only URL of a file
        if engine.url.query.get("mode") == "memory":
            return None
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


def _is_current(url: URL) -> bool:
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


def _bring_up_to_date(url: URL, read_only: bool = False) -> None:
    if _is_current(url):
        return
    from alembic.script import ScriptDirectory

    config = alembic_config(url.render_as_string(hide_password=False))
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
            if read_only:
                # An upgrade writes; on a file that cannot be written it cannot even start.
                what = f"of an older layout (schema {old})" if tables else "empty"
                raise DatabaseError(
                    f"{where} is read-only and {what}: Meterbook must write to it before it "
                    f"can open it. Make it writable, or copy it somewhere you can write and "
                    f"open the copy")
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
        if _disk_is_full(engine, _reason(exc)):
            raise DatabaseError(_sqlite_problem(engine, exc)) from exc
        raise DatabaseError(f"cannot open {where}: {_reason(exc)}") from exc
    except sqlalchemy.exc.DatabaseError as exc:
        path = _sqlite_path(engine)
        if path is not None and _is_damaged(path, _reason(exc)):
            raise DatabaseError(damaged_message(path, _reason(exc))) from exc
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
        elif conn.dialect.name == "postgresql":  # the same for a team opening a new database
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('meterbook schema'))")
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
