"""The warehouse's schema: ``include/sql/ddl`` brought up to date through the migrations
(``keyprojects.warehouse.migrations``), with the staging tables generated from their one column set
(``keyprojects.ingest.staging``).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from keyprojects.ingest import staging

_SCHEMA_LOCK = 0x6B70_5343  # "kpSC": the advisory lock held while the schema is brought up to date


def sql_statements(path: Path) -> list[str]:
    """The statements of one .sql file (split on ';' at line ends; comments dropped)."""
    body = "\n".join(
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.strip().startswith("--")
    )
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]

_CREATE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)\s*$", re.S | re.I)


def ddl_columns(stmt: str) -> tuple[str, list[str]] | None:
    """(table, columns) of a ``CREATE TABLE IF NOT EXISTS`` statement of ours, else None."""
    m = _CREATE.match(stmt.strip())
    if not m:
        return None
    cols = [line.strip().split()[0] for line in m.group(2).splitlines()
            if line.strip() and not line.strip().upper().startswith(("PRIMARY", "UNIQUE", "CONSTRAINT", "FOREIGN"))]
    return m.group(1), cols


def schema_statements(sql_dir: Path) -> list[str]:
    """Every DDL statement of the warehouse: ``sql_dir/ddl/*.sql`` in name order, then the staging tables
    generated from their one column set (``keyprojects.ingest.staging``)."""
    files = sorted((Path(sql_dir) / "ddl").glob("*.sql"))
    if not files:
        raise FileNotFoundError(f"no DDL files under {Path(sql_dir) / 'ddl'}")
    return [stmt for f in files for stmt in sql_statements(f)] + staging.ddl()


def ensure_schema(engine: Engine | Connection, sql_dir: Path) -> None:
    """Bring the warehouse to the current schema: ``alembic upgrade head`` (``keyprojects.warehouse.migrations``),
    then create what the DDL defines and the warehouse still lacks (a DDL file added since the last
    revision). An existing table without a column its DDL defines raises ``SchemaOutdated``: a
    migration is missing (README, "Schema changes")."""
    from keyprojects.warehouse import migrations

    statements = schema_statements(sql_dir)

    def run(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":  # two runs starting at once upgrade one after the other
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK})")
        migrations.upgrade(conn, sql_dir)
        migrations.check_columns(conn, statements, "no migration adds them; write one (README, 'Schema changes')")
        migrations.apply_statements(conn, statements)

    if isinstance(engine, Connection):
        run(engine)
    else:
        with engine.begin() as conn:
            run(conn)
