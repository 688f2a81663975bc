"""Every DAG imports cleanly, parses fast and keeps heavy libraries out of its top level."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))
HEAVY = ("pandas", "great_expectations", "openpyxl", "python_calamine", "sqlalchemy", "keyprojects")

PROBE = r"""
import json, runpy, sys, time
# the baseline every DAG file pays anyway: Airflow's own authoring API
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, Param, dag, task
before = set(sys.modules)
t = time.perf_counter()
ns = runpy.run_path(sys.argv[1])
elapsed = time.perf_counter() - t
from airflow.sdk import DAG
new = sorted({m.split('.')[0] for m in set(sys.modules) - before})
dags = [v.dag_id for v in ns.values() if isinstance(v, DAG)]
print(json.dumps({"elapsed": elapsed, "new": new, "dags": dags}))
"""


def test_dagbag_has_no_import_errors(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    assert {"keyprojects_quarterly"} <= set(bag.dag_ids)
    for dag_id in bag.dag_ids:
        dag = bag.get_dag(dag_id)
        assert dag.doc_md and len(dag.doc_md) > 200, f"{dag_id} needs a doc_md for engineers"
        assert "keyprojects" in dag.tags
        for t in dag.tasks:
            assert t.retries >= 1, f"{dag_id}.{t.task_id} has no retries"


@pytest.mark.parametrize("path", DAG_FILES, ids=[p.name for p in DAG_FILES])
def test_dag_file_parses_fast_without_heavy_imports(path):
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["dags"], f"{path.name} defines no DAG"
    assert res["elapsed"] < 0.5, f"{path.name} took {res['elapsed']:.2f}s to parse"
    heavy = [m for m in res["new"] if m in HEAVY]
    assert not heavy, f"{path.name} imports {heavy} at top level"


def test_quarterly_dag_shape():
    import runpy

    ns = runpy.run_path(str(ROOT / "dags" / "keyprojects_quarterly.py"))
    dag = next(v for v in ns.values() if getattr(v, "dag_id", None) == "keyprojects_quarterly")
    assert {"resolve_quarter", "load_list", "check_loads", "build_marts", "check_marts",
            "publish_bulletin"} <= set(dag.task_ids)
    assert "quarter" in dag.params
    # a quarterly data interval, not a zero-length cron interval

    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    info = coerce_to_core_timetable(dag.timetable).next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=True))
    start, end = info.data_interval.start, info.data_interval.end
    assert (start.year, start.month, start.day) == (2021, 1, 1)
    assert (end.year, end.month, end.day) == (2021, 4, 1)


def test_a_run_over_a_quarter_interval_processes_that_quarter():
    """`dags test keyprojects_quarterly 2022-04-01` and a backfill both give the interval 2022-01-01 -> 2022-04-01."""
    import datetime as dt
    import runpy

    from keyprojects.quarters import quarter_from_interval

    ns = runpy.run_path(str(ROOT / "dags" / "keyprojects_quarterly.py"))
    dag = ns["quarterly"]
    from airflow.serialization.encoders import coerce_to_core_timetable

    interval = coerce_to_core_timetable(dag.timetable).infer_manual_data_interval(
        run_after=dt.datetime(2022, 4, 1, tzinfo=dt.timezone.utc)
    )
    assert quarter_from_interval(interval.start, interval.end) == "2022Q1"


def test_bulletin_is_an_asset_downstream_dags_can_schedule_on():
    import runpy

    from airflow.sdk import Asset

    dag = runpy.run_path(str(ROOT / "dags" / "keyprojects_quarterly.py"))["quarterly"]
    publish = dag.get_task("publish_bulletin")
    assert [o.name for o in publish.outlets if isinstance(o, Asset)] == ["keyprojects_quarterly_bulletin"]
    assert dag.get_task("build_marts").downstream_task_ids == {"check_marts"}
    assert dag.get_task("check_marts").downstream_task_ids == {"publish_bulletin", "rank_year", "draft_notice",
                                                               "publish_returns"}
    assert dag.get_task("rank_year").downstream_task_ids == {"publish_ranking", "find_dependents"}
    assert dag.get_task("check_loads").downstream_task_ids == {"build_marts"}
    # issue 14 §5: what reads the quarter is refreshed once it is published and ranked
    assert dag.get_task("find_dependents").upstream_task_ids == {"resolve_quarter", "publish_bulletin", "rank_year"}
    assert dag.get_task("refresh_dependent").upstream_task_ids == {"find_dependents"}
    # issue 18 §1: delivery after every publishing task; a skipped ranking does not stop it
    deliver = dag.get_task("deliver_documents")
    assert deliver.upstream_task_ids == {"resolve_quarter", "publish_bulletin", "publish_ranking", "draft_notice",
                                         "publish_returns"}
    assert deliver.trigger_rule == "none_failed"


def test_monthly_dag_shape_and_interval():
    import datetime as dt
    import runpy

    from airflow.sdk import Asset
    from airflow.serialization.encoders import coerce_to_core_timetable

    from keyprojects.quarters import month_from_interval

    dag = runpy.run_path(str(ROOT / "dags" / "keyprojects_monthly.py"))["monthly"]
    assert ["resolve_month", "load_progress", "build_monthly", "publish_dispatch", "deliver_documents"] == \
        [t.task_id for t in dag.topological_sort()]
    assert "month" in dag.params
    publish = dag.get_task("publish_dispatch")
    assert [o.name for o in publish.outlets if isinstance(o, Asset)] == ["keyprojects_monthly_dispatch"]
    interval = coerce_to_core_timetable(dag.timetable).infer_manual_data_interval(
        run_after=dt.datetime(2022, 4, 1, tzinfo=dt.timezone.utc))
    assert month_from_interval(interval.start, interval.end) == "2022-03"
