"""Small helpers for fast bulk SQL that stays portable between SQLite and PostgreSQL.

Bulk paths go through the DB-API cursor (executemany with tuples), which is several times faster
than ORM objects for millions of rows; placeholders follow the driver's paramstyle.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection


def placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def marks(conn: Connection, n: int) -> str:
    p = placeholder(conn)
    return ", ".join([p] * n)


def sql(conn: Connection, text: str) -> str:
    """Write queries with `?` placeholders; this turns them into the driver's style."""
    p = placeholder(conn)
    return text if p == "?" else text.replace("?", p)


def in_list(conn: Connection, values) -> str:
    return "(" + marks(conn, len(values)) + ")"


def fetch_all(conn: Connection, statement: str, params: tuple = ()) -> list[tuple]:
    """Plain tuples straight from the driver: for millions of rows, SQLAlchemy's Row objects
    cost more than the query. `statement` uses `?` placeholders."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql(conn, statement), params)
        return cursor.fetchall()
    finally:
        cursor.close()
