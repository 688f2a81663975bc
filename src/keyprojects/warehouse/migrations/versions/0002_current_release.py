"""The current release: explicit changes to existing tables, then every table of the current DDL.

Tables that change shape get explicit operations in ``upgrade`` *before* the DDL is applied (a
rename before the new name is created, a column added with ``migrations.add_column_if_missing``);
brand-new tables need nothing here: ``include/sql/ddl`` and the staging tables are applied last,
each statement an idempotent ``create ... if not exists``.

Changes to existing tables in this release (the staging tables keep their columns; they are
generated from ``keyprojects.ingest.staging`` instead of six copies in ``020_staging.sql``):

- intermediate tables take the ``int_`` prefix: ``project_master``, ``project_quarter``,
  ``match_review`` are renamed;
- ``int_project_rows`` gains ``cluster_text``, ``signing_date``, ``start_date``, ``owner``;
- the marts ``bulletin_unit_quarter``, ``city_targets``, ``missed_reports`` and
  ``unregistered_projects`` gain primary keys and columns: rebuilt with their rows kept;
- ``problems_month`` gains ``days_not_reported`` and ``pending_days``, ``progress_unit_month``
  gains ``library_status`` (issue 14 §6);
- ``bulletin_unit_quarter``, ``bulletin_group_quarter`` and ``ranking_unit_year`` gain ``returned_reports`` and
  ``unconfirmed_reports``, ``missed_projects`` gains ``category`` and the ``returned_*`` lineage;
- ``load_audit`` gains ``format`` (issue 16);
- ``ranking_unit_year`` (only year, unit, score, rank, run_id in 00fce12, never written) gets the
  contract's columns: dropped and created again from ``040_ranking.sql``.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

from keyprojects.warehouse import migrations
from keyprojects.warehouse.ddl import ddl_columns, sql_statements
from keyprojects.warehouse.schema import schema_statements

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _sql_dir() -> Path:
    return context.config.attributes["sql_dir"]


def upgrade() -> None:
    conn = op.get_bind()
    # office: ranking_unit_year had only score and rank (never written): recreate it with its columns
    insp = sa.inspect(conn)
    if insp.has_table("ranking_unit_year") and \
            "ranked" not in {c["name"] for c in insp.get_columns("ranking_unit_year")}:
        op.execute("drop table ranking_unit_year")
    statements = schema_statements(_sql_dir())
    for old in ("project_master", "project_quarter", "match_review"):
        migrations.rename_table_if_exists(conn, old, f"int_{old}")
    if sa.inspect(conn).has_table("int_project_rows"):
        for column in ("cluster_text", "signing_date", "start_date", "owner"):
            migrations.add_column_if_missing(conn, "int_project_rows", column, "text")
    # monthly (issue 14 §6): 不再报送 and 待交办 ages; the quarter's library status beside 13710
    for table, column, sql_type in (("problems_month", "days_not_reported", "integer"),
                                    ("problems_month", "pending_days", "integer"),
                                    ("progress_unit_month", "library_status", "text")):
        if sa.inspect(conn).has_table(table):
            migrations.add_column_if_missing(conn, table, column, sql_type)
    migrations.rebuild_with_key(conn, "bulletin_unit_quarter", statements)
    migrations.rebuild_with_key(conn, "city_targets", statements)
    migrations.rebuild_with_key(conn, "missed_reports", statements, where="project_key is not null")
    migrations.rebuild_with_key(conn, "unregistered_projects", statements, fill={
        "project_key": "case when project_code is not null then 'C:' || project_code "
                       "else 'N:' || unit || '|' || project_name end"})
    # 退回待改 / 待核实 (issue 14): counted apart from 漏报
    for table, columns in (("bulletin_unit_quarter", ("returned_reports", "unconfirmed_reports")),
                           ("bulletin_group_quarter", ("returned_reports", "unconfirmed_reports")),
                           ("ranking_unit_year", ("returned_reports", "unconfirmed_reports")),
                           ("missed_projects", ("category", "returned_list", "returned_file", "returned_sheet",
                                                "returned_row_number", "returned_rule"))):
        if sa.inspect(conn).has_table(table):
            for column in columns:
                sql_type = "integer" if column.endswith(("_reports", "_row_number")) else "text"
                migrations.add_column_if_missing(conn, table, column, sql_type)
    # issue 16: the detected format of every file
    if sa.inspect(conn).has_table("load_audit"):
        migrations.add_column_if_missing(conn, "load_audit", "format", "text")
    # submission_quality (issue 18 §3): receipt times in China time; the lists' senders. Archives,
    # drop folder, resends and one meaning of received (issue 16 §4-5)
    for table, column, sql_type in (("load_history", "received_at", "text"),
                                    ("load_history", "received_day", "integer"),
                                    ("cfg_list", "source", "text"),
                                    ("inbox_file_units", "data_rows", "integer"),
                                    ("inbox_arrivals", "submission", "text")):
        if sa.inspect(conn).has_table(table):
            migrations.add_column_if_missing(conn, table, column, sql_type)
    migrations.check_columns(conn, statements, "no migration adds them; write one (README, 'Schema changes')")
    migrations.apply_statements(conn, statements)


def downgrade() -> None:
    baseline = Path(__file__).with_name("0001_release_00fce12.sql")
    old = {t[0] for t in map(ddl_columns, sql_statements(baseline)) if t}
    for stmt in reversed(schema_statements(_sql_dir())):
        table_cols = ddl_columns(stmt)
        if table_cols and table_cols[0] not in old:
            op.execute(f"drop table if exists {table_cols[0]}")
