"""A generated quarter loaded into SQLite and the real PostgreSQL equals the generator's truth, and a
rerun leaves the tables as one run does."""

import pytest

from keyprojects import LISTS
from keyprojects.ingest import loader
from kpgen import generate

from ..conftest import validation_report_writer as report
from ..truth import assert_matches_truth, assert_matches_world, table_snapshot

TABLES = ("load_audit", "rejected_rows", "skipped_rows", "raw_rows") + tuple(f"stg_{name}" for name in LISTS)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("inbox")
    truth = generate(root, ["2022Q2"], seed=11, rows_per_quarter=1500)
    return root, truth


def _load_all(engine, root, expectations_dir, run_id):
    return {name: loader.load_list(engine, root, "2022Q2", name, expectations_dir=expectations_dir, run_id=run_id,
                                     loaded_at="2022-07-01T00:00:00+00:00")
            for name in LISTS}


def _check(engine, inbox, expectations_dir):
    root, truth = inbox
    _load_all(engine, root, expectations_dir, "run-1")
    assert_matches_truth(engine, truth["2022Q2"])
    assert_matches_world(engine, truth["2022Q2"])
    first = {t: table_snapshot(engine, t, "2022Q2") for t in TABLES}
    _load_all(engine, root, expectations_dir, "run-2")
    assert {t: table_snapshot(engine, t, "2022Q2") for t in TABLES} == first


def test_generated_quarter_on_sqlite(sqlite_engine, inbox, expectations_dir):
    _check(sqlite_engine, inbox, expectations_dir)


@pytest.mark.postgres
def test_generated_quarter_on_postgres(pg_engine, inbox, expectations_dir):
    _check(pg_engine, inbox, expectations_dir)


def test_a_list_loaded_a_file_at_a_time_equals_one_load(sqlite_engine, inbox, expectations_dir, tmp_path):
    """load_list goes a part at a time (pipeline.PART_ROWS rows or more); parts of one file each
    leave the same rows and summaries as the whole list at once."""
    from keyprojects import db
    from keyprojects.warehouse import schema

    root, truth = inbox
    other = db.make_engine(f"sqlite:///{tmp_path / 'parts.db'}")
    schema.ensure_schema(other, loader.Path(__file__).resolve().parents[2] / "include" / "sql")
    kw = {"expectations_dir": expectations_dir, "run_id": "r", "loaded_at": "2022-07-01T00:00:00+00:00"}
    for name in LISTS:
        whole = loader.load_list(sqlite_engine, root, "2022Q2", name, part_rows=None,
                                   report=report(tmp_path / "whole"), **kw)
        parts = loader.load_list(other, root, "2022Q2", name, part_rows=1,
                                 report=report(tmp_path / "parts"), **kw)
        assert {**parts.as_dict(), "report": None} == {**whole.as_dict(), "report": None}
        assert parts.report and loader.Path(parts.report).is_file()
    for t in TABLES:
        assert table_snapshot(other, t, "2022Q2") == table_snapshot(sqlite_engine, t, "2022Q2"), t
    assert_matches_truth(other, truth["2022Q2"])
