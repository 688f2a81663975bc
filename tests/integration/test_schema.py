"""The warehouse schema: the staging column set defined once (keyprojects.staging) and derived everywhere."""

from __future__ import annotations

import sqlalchemy as sa

from keyprojects import LISTS, matching, staging, warehouse


def _check_staging(eng):
    insp = sa.inspect(eng)
    for name in LISTS:
        assert tuple(c["name"] for c in insp.get_columns(f"stg_{name}")) == staging.COLUMNS
    assert warehouse.STAGING_COLUMNS == staging.COLUMNS
    with eng.connect() as conn:
        cols = matching.row_columns(conn)
    assert cols[0] == "list" and set(cols[1:]) <= set(staging.COLUMNS)
    assert {"file", "sheet", "row_number", "project_code", "project_name", "name_key", "unit"} <= set(cols)


def test_staging_tables_follow_the_one_column_set_sqlite(sqlite_engine):
    _check_staging(sqlite_engine)


def test_staging_tables_follow_the_one_column_set_postgres(pg_engine):
    _check_staging(pg_engine)
