"""Saved column mappings (table mapping_profile): `--save-profile NAME` keeps a mapping and
`--profile NAME` reuses it for the next file of the same shape (importers/mapping.py).

Reads use plain SQL on a connection, so that commands that only read need not load the ORM; the
write goes through the session like settings.

Decisions where the spec is silent: names are stripped, at most 100 characters, and must not be
a built-in format's profile (compared case-insensitively). Saving replaces a profile of the same
name (created_us becomes the new save time), refuses a mapping that check_mapping finds
incomplete, and, like store/settings.py, does not commit: the caller does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from meterbook.core.records import to_epoch_us
from meterbook.importers.mapping import ColumnMapping, check_mapping

_MAX_NAME = 100


def check_profile_name(name: str) -> str:
    """The name stripped; ValueError when empty, too long, or a built-in format's profile."""
    from meterbook.importers.formats import formats

    text = name.strip()
    if not text:
        raise ValueError("a profile needs a name")
    if len(text) > _MAX_NAME:
        raise ValueError(f"a profile name has at most {_MAX_NAME} characters")
    builtin = next((f for f in formats() if f.profile.lower() == text.lower()), None)
    if builtin is not None:
        raise ValueError(f"{text!r} is the built-in format {builtin.title!r}; choose another "
                         f"name for the column mapping")
    return text


def save_profile(session: Any, name: str, mapping: ColumnMapping,
                 now: datetime | None = None) -> None:
    """Save (or replace) the mapping as profile `name`; the caller commits. ValueError for a
    bad name or a mapping that could not import anything (check_mapping)."""
    from meterbook.store.tables import MappingProfile

    name = check_profile_name(name)
    problems = check_mapping(mapping)
    if problems:
        raise ValueError("\n".join(problems))
    created = to_epoch_us(now or datetime.now(UTC))
    row = session.get(MappingProfile, name)
    if row is None:
        row = MappingProfile(name=name, mapping=mapping.to_json(), created_us=created)
    else:
        row.mapping, row.created_us = mapping.to_json(), created
    session.add(row)
    session.flush()


def delete_profile(session: Any, name: str) -> bool:
    """Remove a saved profile; False when there was none. The caller commits."""
    from meterbook.store.tables import MappingProfile

    row = session.get(MappingProfile, name.strip())
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def _connection(conn_or_session: Any) -> Any:
    if hasattr(conn_or_session, "exec_driver_sql"):  # a Connection
        return conn_or_session
    conn_or_session.flush()  # a Session: let the query see what it holds unflushed
    return conn_or_session.connection()


def load_profile(conn_or_session: Any, name: str) -> ColumnMapping | None:
    """The saved mapping named `name`, or None. ValueError when its stored JSON is damaged."""
    from meterbook.store.sql import sql

    conn = _connection(conn_or_session)
    text = conn.exec_driver_sql(sql(conn, "SELECT mapping FROM mapping_profile WHERE name = ?"),
                                (name.strip(),)).scalar_one_or_none()
    if text is None:
        return None
    try:
        return ColumnMapping.from_json(text)
    except ValueError as exc:
        raise ValueError(f"the saved profile {name!r} is damaged: {exc}") from None


def list_profiles(conn_or_session: Any) -> list[str]:
    """The names of the saved mappings, sorted."""
    conn = _connection(conn_or_session)
    rows = conn.exec_driver_sql("SELECT name FROM mapping_profile ORDER BY name")
    return [name for (name,) in rows]
