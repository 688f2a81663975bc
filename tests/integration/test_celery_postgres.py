"""The production shape for real: CeleryExecutor on the machine's Redis, PostgreSQL for Airflow's
metadata, Celery's results and the warehouse (the warehouse reached through the Airflow connection
``kp_warehouse``). api-server, scheduler, dag-processor and one celery worker run as `bin/airflow`
subprocesses started at the same moment on a fresh home (the first-use lock), a generated quarter
is triggered, and the warehouse must equal a LocalExecutor/SQLite ``dag.test()`` of the same inbox.
Skipped, with the reason, only when Redis or PostgreSQL does not answer."""

from __future__ import annotations

import json
import runpy
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from keyprojects import LISTS, db
from kpgen import generate

from ..conftest import PG_URL, _pg_admin_engine
from ..services import (
    FINAL,
    Services,
    api_get,
    api_token,
    base_env,
    dag_registered,
    redis_or_skip,
    run_states,
    task_states,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
DAG_ID = "keyprojects_quarterly"
QUARTER = "2022Q2"
pytestmark = [pytest.mark.services, pytest.mark.postgres, pytest.mark.timeout(1500)]
COMPARED = ["load_audit", "raw_rows", "rejected_rows", "skipped_rows", "bulletin_unit_quarter", "missed_reports",
            "unregistered_projects", "city_targets"] + [f"stg_{name}" for name in LISTS]


@pytest.fixture
def pg_databases():
    """Two fresh databases (Airflow metadata + Celery results; warehouse), dropped afterwards."""
    redis_or_skip()
    admin = _pg_admin_engine().execution_options(isolation_level="AUTOCOMMIT")
    tag = uuid.uuid4().hex[:10]
    names = {"airflow": f"kp_af_{tag}", "warehouse": f"kp_wh_{tag}"}
    with admin.connect() as c:
        for n in names.values():
            c.exec_driver_sql(f'CREATE DATABASE "{n}"')
    base = sa.engine.make_url(PG_URL)
    urls = {k: base.set(drivername="postgresql+psycopg", database=v).render_as_string(hide_password=False)
            for k, v in names.items()}
    yield urls
    with admin.connect() as c:
        for n in names.values():
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
    admin.dispose()


def snapshot(engine, quarter):
    def norm(v):
        return round(v, 6) if isinstance(v, float) else v

    out = {}
    for t in COMPARED:
        rows = db.fetch(engine, f"SELECT * FROM {t} WHERE quarter = :q", q=quarter)
        out[t] = sorted(repr(sorted((k, norm(v)) for k, v in r.items() if k not in ("run_id", "loaded_at")))
                        for r in rows)
    return out


def test_celery_run_on_postgres_equals_a_local_sqlite_run(tmp_path, pg_databases, airflow_db, monkeypatch):
    inbox, output = tmp_path / "inbox", tmp_path / "output"
    generate(inbox, [QUARTER], seed=11, rows_per_quarter=300)

    # the reference: LocalExecutor semantics, SQLite warehouse, in-process dag.test()
    ref_url = f"sqlite:///{tmp_path / 'reference.db'}"
    monkeypatch.setenv("KP_INBOX", str(inbox))
    monkeypatch.setenv("KP_OUTPUT", str(tmp_path / "ref-output"))
    monkeypatch.setenv("KP_WAREHOUSE_URL", ref_url)
    monkeypatch.delenv("AIRFLOW_CONN_KP_WAREHOUSE", raising=False)
    dag = runpy.run_path(str(ROOT / "dags" / f"{DAG_ID}.py"))["quarterly"]
    dr = dag.test(run_conf={"quarter": QUARTER})
    assert str(dr.state).endswith("success"), dr.state
    reference = db.make_engine(ref_url)

    unused = tmp_path / "must-stay-unused.db"
    queue = f"kp_test_{uuid.uuid4().hex[:8]}"  # this test's own Celery queue on the shared Redis
    env = base_env(
        tmp_path / "airflow-home",
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=pg_databases["airflow"],
        AIRFLOW__CELERY__BROKER_URL="redis://127.0.0.1:6379/0",
        AIRFLOW__OPERATORS__DEFAULT_QUEUE=queue,
        KP_INBOX=str(inbox), KP_OUTPUT=str(output),
        KP_WAREHOUSE_URL=f"sqlite:///{unused}",  # the connection below must win
        AIRFLOW_CONN_KP_WAREHOUSE=pg_databases["warehouse"].replace("postgresql+psycopg://", "postgres://", 1),
    )
    svc = Services(env, tmp_path / "logs")
    meta = sa.create_engine(pg_databases["airflow"])
    try:
        # all at once on a fresh home: the first-use set-up must run once, under the lock
        svc.start("api-server", "api-server", "--host", "127.0.0.1", "--port", env["AIRFLOW__API__PORT"],
                      "--workers", "1")
        svc.start("scheduler", "scheduler")
        svc.start("dag-processor", "dag-processor")
        svc.start("worker", "celery", "worker", "--concurrency", "2", "--queues", queue, "--skip-serve-logs",
                  "--without-gossip", "--without-mingle")
        wait_for(lambda: dag_registered(meta, DAG_ID), "the DAG to be registered", svc)
        svc.cli("dags", "unpause", DAG_ID)
        svc.wait_for_api()  # the worker's tasks talk to it: the run is triggered once it answers
        assert (tmp_path / "airflow-home" / ".db-ready").read_text() == pg_databases["airflow"]
        run_id = f"celery_{QUARTER}"
        svc.cli("dags", "trigger", DAG_ID, "--run-id", run_id, "--conf", json.dumps({"quarter": QUARTER}))
        state = wait_for(lambda: run_states(meta, DAG_ID).get(run_id) in FINAL and run_states(meta, DAG_ID)[run_id],
                         f"run {run_id} to finish", svc)
        assert state == "success", (task_states(meta, DAG_ID, run_id), svc.tail("worker"))

        # every task ran through Celery on this test's queue; the result backend records each one
        # (the last result may land just after the run is marked successful). On a Q2 run
        # publish_ranking skips itself, and refresh_dependent, mapped over no later quarter (none is
        # built), is skipped without running.
        with meta.connect() as c:
            rows = c.execute(sa.text("SELECT task_id, state, queue, external_executor_id FROM task_instance "
                                     "WHERE run_id = :r"), {"r": run_id}).all()
            retried = c.execute(sa.text("SELECT task_id FROM task_instance WHERE run_id = :r AND try_number > 1"),
                                {"r": run_id}).scalars().all()
        assert not retried, f"tasks that needed a retry: {retried}"
        assert {t for t, state, _, _ in rows if state == "skipped"} <= {"publish_ranking", "refresh_dependent"}, rows
        tis = [(q, ext) for t, state, q, ext in rows if state != "skipped" or ext]
        assert tis and all(q == queue and ext for q, ext in tis), tis

        def results():
            with meta.connect() as c:
                return c.execute(sa.text("SELECT COUNT(*) FROM celery_taskmeta WHERE status = 'SUCCESS' AND "
                                         "task_id = ANY(:ids)"), {"ids": [ext for _, ext in tis]}).scalar()
        wait_for(lambda: results() >= len(tis), "Celery's results of every task", svc, limit=120, every=1)

        # the plugin's links, served by the running api-server
        token = api_token(svc)
        links = api_get(svc, f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/publish_bulletin/links",
                        token).json()["extra_links"]
        report = links["Validation report"]
        assert report and report.startswith(svc.api)
        page = api_get(svc, report.removeprefix(svc.api), token)
        assert page.status_code == 200 and "html" in page.headers["content-type"], page.text[:500]
        book = api_get(svc, links["Bulletin"].removeprefix(svc.api), token)
        assert book.status_code == 200 and book.content[:2] == b"PK", book.text[:500]
        assert api_get(svc, links["Bulletin"].removeprefix(svc.api)).status_code in (401, 403)  # no token
        escape = api_get(svc, report.removeprefix(svc.api) + "..%2F..%2F..%2Finbox%2F", token)
        assert escape.status_code == 404
    finally:
        svc.stop()
        meta.dispose()

    for name, p in svc.procs.items():
        assert p.poll() is not None, f"{name} still running"
    assert not unused.exists(), "the warehouse URL setting was used although kp_warehouse is defined"
    pg = db.make_engine(pg_databases["warehouse"])
    try:
        got, want = snapshot(pg, QUARTER), snapshot(reference, QUARTER)
        assert sum(len(v) for v in want.values()) > 100
        for t in COMPARED:
            assert got[t] == want[t], (t, len(got[t]), len(want[t]), sorted(set(got[t]) ^ set(want[t]))[:3])
    finally:
        pg.dispose()
        reference.dispose()
    assert list((output / QUARTER).glob("*.xlsx"))
