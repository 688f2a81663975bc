"""Baseline: the warehouse of release 00fce12, the last one without migrations.

Its DDL is kept as it was in ``0001_release_00fce12.sql``. Every statement is idempotent, so on a
warehouse that release made this revision creates nothing; it only checks that the tables it finds
have that release's columns (a warehouse from an even older version is named, not misused).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

from keyprojects.warehouse import migrations
from keyprojects.warehouse.ddl import ddl_columns, sql_statements

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DDL = Path(__file__).with_suffix(".sql")


def upgrade() -> None:
    conn = op.get_bind()
    statements = sql_statements(DDL)
    migrations.check_columns(conn, statements, "it was created by a version of keyprojects older than release "
                             "00fce12, the first the migrations know; rebuild the warehouse (README, 'Schema changes')")
    migrations.apply_statements(conn, statements)


def downgrade() -> None:
    for stmt in reversed(sql_statements(DDL)):
        table_cols = ddl_columns(stmt)
        if table_cols:
            op.execute(f"drop table if exists {table_cols[0]}")
