"""Alembic's environment for the warehouse migrations (see ``keyprojects.warehouse.migrations``)."""

from __future__ import annotations

from alembic import context

from keyprojects import db, settings
from keyprojects.warehouse.migrations import VERSION_TABLE

config = context.config


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    if config.attributes.get("sql_dir") is None:
        config.attributes["sql_dir"] = settings.load().sql
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = db.make_engine(settings.load().warehouse_url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("the warehouse migrations run online only (they inspect the tables they change)")
run_migrations_online()
