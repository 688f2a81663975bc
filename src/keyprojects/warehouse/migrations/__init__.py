"""Schema migrations of the warehouse, through Alembic (README, "Schema changes").

The chain starts at the schema of release 00fce12, the last one without migrations
(``versions/0001_release_00fce12.sql`` is its DDL, kept as it was). Each later revision holds
explicit operations for tables that *change*, then creates what the DDL files of ``include/sql/ddl``
define and the warehouse lacks (every statement there is an idempotent ``create ... if not exists``),
so a new table needs only its DDL file.

``upgrade(conn, sql_dir)`` runs ``alembic upgrade head`` on the caller's connection (SQLite or
PostgreSQL; on PostgreSQL the connection's ``search_path`` decides the schema). The revision reached
is kept in the table ``kp_schema_version``, apart from any ``alembic_version`` table of Airflow's.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent
VERSION_TABLE = "kp_schema_version"


def alembic_config(conn: Connection | None = None, sql_dir: Path | None = None):
    """An Alembic Config for this package's migrations, bound to ``conn`` and ``sql_dir`` when given
    (else ``env.py`` takes both from ``keyprojects.settings``)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    cfg.attributes["sql_dir"] = Path(sql_dir) if sql_dir is not None else None
    return cfg


def upgrade(conn: Connection, sql_dir: Path, revision: str = "head") -> None:
    """``alembic upgrade <revision>`` in the caller's connection and transaction."""
    from alembic import command

    command.upgrade(alembic_config(conn, sql_dir), revision)


def current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


# ------------------------------------------------------------------ helpers for the revisions

def apply_statements(conn: Connection, statements: list[str]) -> None:
    """Run idempotent DDL statements (``create table|index if not exists``)."""
    for stmt in statements:
        conn.exec_driver_sql(stmt)


def check_columns(conn: Connection, statements: list[str], why: str) -> None:
    """Raise ``SchemaOutdated`` for any existing table lacking a column its ``create table`` defines."""
    from keyprojects.db import SchemaOutdated
    from keyprojects.warehouse.ddl import ddl_columns

    insp = sa.inspect(conn)
    for stmt in statements:
        table_cols = ddl_columns(stmt)
        if table_cols is None or not insp.has_table(table_cols[0]):
            continue
        have = {c["name"] for c in insp.get_columns(table_cols[0])}
        missing = [c for c in table_cols[1] if c not in have]
        if missing:
            raise SchemaOutdated(f"warehouse table {table_cols[0]} lacks columns {', '.join(missing)}: {why}")


def add_column_if_missing(conn: Connection, table: str, column: str, sql_type: str) -> None:
    """``alter table … add column`` unless the column is there (a fresh warehouse already has it when
    a later revision created the table from the current DDL)."""
    from alembic import op

    if column not in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
        op.execute(f"alter table {table} add column {column} {sql_type}")


def rename_table_if_exists(conn: Connection, old: str, new: str) -> None:
    """Rename ``old`` to ``new`` when ``old`` exists and ``new`` does not."""
    from alembic import op

    insp = sa.inspect(conn)
    if insp.has_table(old) and not insp.has_table(new):
        op.rename_table(old, new)


def rebuild_with_key(conn: Connection, table: str, statements: list[str], fill: dict[str, str] | None = None,
                     where: str | None = None) -> None:
    """Give an existing table the shape its current DDL defines (new columns, a primary key), keeping
    its rows: drop its indexes, rename it aside, create it and its indexes from ``statements``, copy
    the columns both shapes share (``fill``: SQL expressions over the old row for new NOT NULL
    columns; ``where``: rows to keep), drop the old one. A no-op when the table is absent or already
    has a primary key (a warehouse created from the current DDL)."""
    from keyprojects.warehouse.ddl import ddl_columns

    insp = sa.inspect(conn)
    if not insp.has_table(table) or insp.get_pk_constraint(table).get("constrained_columns"):
        return
    old_cols = [c["name"] for c in insp.get_columns(table)]
    for ix in insp.get_indexes(table):
        conn.exec_driver_sql(f"drop index if exists {ix['name']}")
    aside = f"{table}_before_0002"
    conn.exec_driver_sql(f"alter table {table} rename to {aside}")
    mine = [s for s in statements if (ddl_columns(s) or ("",))[0] == table
            or s.lower().split(" on ", 1)[-1].strip().startswith(f"{table} ")]
    for stmt in mine:
        conn.exec_driver_sql(stmt)
    new_cols = next(ddl_columns(s)[1] for s in mine if ddl_columns(s))
    fill = fill or {}
    cols = [c for c in new_cols if c in old_cols or c in fill]
    exprs = [fill.get(c, c) for c in cols]
    conn.exec_driver_sql(f"insert into {table} ({', '.join(cols)}) select {', '.join(exprs)} from {aside}"
                         + (f" where {where}" if where else ""))
    conn.exec_driver_sql(f"drop table {aside}")
