"""The warehouse's schema: ``include/sql/ddl`` brought up to date through the migrations
(``keyprojects.warehouse.migrations``), with the staging tables generated from their one column set
(``keyprojects.ingest.staging``).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from keyprojects.ingest import staging
from keyprojects.warehouse.ddl import sql_statements

_SCHEMA_LOCK = 0x6B70_5343  # "kpSC": the advisory lock held while the schema is brought up to date


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
