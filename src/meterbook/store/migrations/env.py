"""Alembic environment for Meterbook's schema.

The application runs it through meterbook.store.database, which passes an open connection already
inside the transaction it will commit (config.attributes["connection"]). Developers can also use
the alembic command with the alembic.ini at the repository root, e.g. to autogenerate a revision.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import meterbook.store.tables  # noqa: F401  (defines the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name)

_OPTIONS = {
    "target_metadata": target_metadata,
    # SQLite can alter little in place: batch mode recreates the table instead.
    "render_as_batch": True,
    "compare_type": True,
}


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **_OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **_OPTIONS)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
