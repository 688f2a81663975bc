"""The warehouse schema: the staging column set defined once (keyprojects.ingest.staging) and derived everywhere."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from keyprojects import LISTS, db
from keyprojects.ingest import staging
from keyprojects.warehouse import ddl, matching, migrations, schema


def _check_staging(eng):
    insp = sa.inspect(eng)
    for name in LISTS:
        assert tuple(c["name"] for c in insp.get_columns(f"stg_{name}")) == staging.COLUMNS
    assert staging.COLUMNS == staging.COLUMNS
    with eng.connect() as conn:
        cols = matching.row_columns(conn)
    assert cols[0] == "list" and set(cols[1:]) <= set(staging.COLUMNS)
    assert {"file", "sheet", "row_number", "project_code", "project_name", "name_key", "unit"} <= set(cols)


def test_staging_tables_follow_the_one_column_set_sqlite(sqlite_engine):
    _check_staging(sqlite_engine)


def test_staging_tables_follow_the_one_column_set_postgres(pg_engine):
    _check_staging(pg_engine)


# ------------------------------------------------------------------ migrations

ROOT = Path(__file__).resolve().parents[2]
SQL = ROOT / "include" / "sql"
MIGRATIONS = ROOT / "src" / "keyprojects" / "warehouse" / "migrations"
PREVIOUS_RELEASE_DDL = MIGRATIONS / "versions" / "0001_release_00fce12.sql"

DATA = {
    "stg_dispatch": {"quarter": "2022Q1", "file": "a.xlsx", "sheet": "S", "row_number": 3, "sha256": "x",
                     "project_name": "甲项目", "unit": "忻府区", "total_investment": 12000.5},
    "load_audit": {"quarter": "2022Q1", "list": "dispatch", "file": "a.xlsx", "sha256": "x", "status": "loaded",
                   "rows_read": 1, "rows_loaded": 1},
    "int_project_rows": {"quarter": "2022Q1", "list": "dispatch", "project_key": "N:忻府区|甲项目", "seq": 0,
                         "file": "a.xlsx", "sheet": "S", "row_number": 3, "project_name": "甲项目", "unit": "忻府区"},
    "bulletin_unit_quarter": {"quarter": "2022Q1", "unit": "忻府区", "dispatch_projects": 1,
                              "industrial_investment": 12000.5},
    # marts rebuilt with primary keys by revision 0002: their rows stay
    "city_targets": {"quarter": "2022Q1", "indicator": "industrial_investment", "measure": "amount",
                     "target": 3500000.0, "actual": 12000.5},
    "unregistered_projects": {"quarter": "2022Q1", "unit": "忻府区", "project_name": "甲项目",
                              "total_investment": 12000.5},
}


def _previous_release(conn):
    """A warehouse as release 00fce12 made it (its own DDL, no migrations), with data in it."""
    for stmt in ddl.sql_statements(PREVIOUS_RELEASE_DDL):
        conn.exec_driver_sql(stmt)
    for table, row in DATA.items():
        db.replace_partition(conn, table, {"quarter": "2022Q1"}, [row])


def _check_upgrade(eng, tmp_path):
    with eng.begin() as conn:
        _previous_release(conn)
    assert not sa.inspect(eng).has_table(migrations.VERSION_TABLE)

    schema.ensure_schema(eng, SQL)
    with eng.connect() as conn:
        assert migrations.current_revision(conn) == "0002"
    for table, row in DATA.items():
        [got] = db.fetch(eng, f"SELECT * FROM {table}")
        assert {k: got[k] for k in row} == row, table
    insp = sa.inspect(eng)
    for stmt in schema.schema_statements(SQL):
        table_cols = ddl.ddl_columns(stmt)
        if table_cols:
            assert {c["name"] for c in insp.get_columns(table_cols[0])} >= set(table_cols[1])
    assert db.fetch(eng, "SELECT project_key FROM unregistered_projects")[0]["project_key"] == "N:忻府区|甲项目"
    assert sa.inspect(eng).get_pk_constraint("bulletin_unit_quarter")["constrained_columns"] == ["quarter", "unit"]
    schema.ensure_schema(eng, SQL)  # a rerun changes nothing
    assert db.fetch(eng, "SELECT COUNT(*) AS n FROM stg_dispatch")[0]["n"] == 1

    # a table added in a new DDL file is created at head without a new revision ...
    sql = tmp_path / "sql"
    shutil.copytree(SQL, sql)
    (sql / "ddl" / "090_extra.sql").write_text(
        "create table if not exists extra_table (\n    quarter text not null,\n    n integer\n);\n"
        "create index if not exists ix_extra_table on extra_table (quarter);\n", encoding="utf-8")
    schema.ensure_schema(eng, sql)
    assert sa.inspect(eng).has_table("extra_table")
    # ... but a column added to an existing table needs a migration, and says so
    extra = sql / "ddl" / "090_extra.sql"
    extra.write_text(extra.read_text(encoding="utf-8").replace("n integer", "n integer,\n    m text"), encoding="utf-8")
    with pytest.raises(db.SchemaOutdated, match="extra_table lacks columns m: no migration adds them"):
        schema.ensure_schema(eng, sql)


def test_upgrade_keeps_the_data_of_the_previous_release_sqlite(tmp_path):
    eng = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        _check_upgrade(eng, tmp_path)
    finally:
        eng.dispose()


def test_upgrade_keeps_the_data_of_the_previous_release_postgres(tmp_path):
    from tests.conftest import PG_URL, _pg_admin_engine

    admin = _pg_admin_engine()
    schema_name = f"kp_mig_{uuid.uuid4().hex[:10]}"
    with admin.begin() as c:
        c.exec_driver_sql(f'CREATE SCHEMA "{schema_name}"')
    sep = "&" if "?" in PG_URL else "?"
    eng = db.make_engine(f"{PG_URL}{sep}options=-csearch_path%3D{schema_name}")
    try:
        _check_upgrade(eng, tmp_path)
        with admin.connect() as c:  # everything went into the search_path's schema_name
            tables = {r[0] for r in c.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema_name,))}
        assert {migrations.VERSION_TABLE, "stg_dispatch", "extra_table"} <= tables
    finally:
        eng.dispose()
        with admin.begin() as c:
            c.exec_driver_sql(f'DROP SCHEMA "{schema_name}" CASCADE')
        admin.dispose()


def test_a_fresh_warehouse_is_at_head(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert migrations.current_revision(conn) == "0002"


def test_generated_staging_ddl_follows_the_sql_style():
    from sqlfluff.core import FluffConfig, Linter

    linter = Linter(config=FluffConfig.from_path(str(ROOT)))
    sql = "".join(f"{stmt};\n" for stmt in staging.ddl())
    assert [v.desc() for v in linter.lint_string(sql).get_violations()] == []
