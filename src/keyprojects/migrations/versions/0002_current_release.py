"""The current release: explicit changes to existing tables, then every table of the current DDL.

Tables that change shape get explicit operations in ``upgrade`` *before* the DDL is applied (a
rename before the new name is created, a column added with ``migrations.add_column_if_missing``);
brand-new tables need nothing here: ``include/sql/ddl`` and the staging tables are applied last,
each statement an idempotent ``create ... if not exists``.

Changes to existing tables in this release: none yet (the staging tables keep their columns; they
are generated from ``keyprojects.staging`` instead of six copies in ``020_staging.sql``).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from pathlib import Path

from alembic import context, op

from keyprojects import migrations
from keyprojects.warehouse import ddl_columns, schema_statements, sql_statements

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _sql_dir() -> Path:
    return context.config.attributes["sql_dir"]


def upgrade() -> None:
    conn = op.get_bind()
    # explicit operations on existing tables go here, e.g.
    #   migrations.rename_table_if_exists(conn, "old_name", "int_new_name")
    #   migrations.add_column_if_missing(conn, "load_audit", "new_column", "text")
    statements = schema_statements(_sql_dir())
    migrations.check_columns(conn, statements, "no migration adds them; write one (README, 'Schema changes')")
    migrations.apply_statements(conn, statements)


def downgrade() -> None:
    baseline = Path(__file__).with_name("0001_release_00fce12.sql")
    old = {t[0] for t in map(ddl_columns, sql_statements(baseline)) if t}
    for stmt in reversed(schema_statements(_sql_dir())):
        table_cols = ddl_columns(stmt)
        if table_cols and table_cols[0] not in old:
            op.execute(f"drop table if exists {table_cols[0]}")
