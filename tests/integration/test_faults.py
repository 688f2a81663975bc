"""Faults: kill -9 during a load and during the marts, two runs of one quarter at once, and the
warehouse unreachable. SQLite and PostgreSQL (skipped visibly without a server).

The loads run in subprocesses (fault_worker.py) stopped at a known point inside their transaction and
killed with SIGKILL; the warehouse is then compared table by table with its state before.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from keyprojects import db, runtime
from keyprojects.ingest import loader, staging
from keyprojects.warehouse import schema

from . import badfiles as b

ROOT = Path(__file__).resolve().parents[2]
Q = "2022Q1"
SQL = ROOT / "include" / "sql"
EXPECTATIONS = ROOT / "expectations"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_warehouse(request, tmp_path):
    """A factory of fresh, empty warehouses (url, engine) on the parametrised backend."""
    made = []
    admin = None
    if request.param == "postgres":
        from tests.conftest import PG_URL, _pg_admin_engine

        admin = _pg_admin_engine()

    def make():
        if admin is None:
            url = f"sqlite:///{tmp_path / f'wh{len(made)}.db'}"
        else:
            schema_name = f"kp_fault_{uuid.uuid4().hex[:10]}"
            with admin.begin() as c:
                c.exec_driver_sql(f'CREATE SCHEMA "{schema_name}"')
            sep = "&" if "?" in PG_URL else "?"
            url = f"{PG_URL}{sep}options=-csearch_path%3D{schema_name}"
            made.append(schema_name)
        eng = db.make_engine(url)
        schema.ensure_schema(eng, SQL)
        if admin is None:
            made.append(url)
        engines.append(eng)
        return url, eng

    engines: list = []
    yield make
    for eng in engines:
        eng.dispose()
    if admin is not None:
        with admin.begin() as c:
            for schema_name in made:
                c.exec_driver_sql(f'DROP SCHEMA "{schema_name}" CASCADE')
        admin.dispose()


# content-addressed caches: what a file's bytes hold (by sha256) stays true whichever run read them, and
# is read only through the quarter's load_audit (docs/decisions.md, "inbox_file_units is a cache")
CACHES = ("inbox_file_units",)


def snapshot(engine) -> dict:
    """Every table's rows, sorted: the warehouse's whole state (but its caches, ``CACHES``)."""
    out = {}
    with engine.connect() as conn:
        for table in sorted(set(sa.inspect(conn).get_table_names()) - set(CACHES)):
            rows = conn.execute(sa.text(f"SELECT * FROM {table}")).all()
            out[table] = sorted(repr(tuple(r)) for r in rows)
    return out


def worker(args: dict, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.integration.fault_worker", json.dumps(args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
                            **popen)


def kill_at_pause(args: dict, signal_file: Path) -> None:
    """Start the worker, wait until it pauses inside its transaction, SIGKILL it."""
    proc = worker({**args, "signal": str(signal_file)})
    try:
        for _ in range(1200):
            if signal_file.exists() or proc.poll() is not None:
                break
            time.sleep(0.25)
        assert signal_file.exists(), f"the worker never reached its pause: {proc.communicate()[1][-3000:]}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def load(engine, inbox: Path, list_name: str = "reserve"):
    return loader.load_list(engine, inbox, Q, list_name, expectations_dir=EXPECTATIONS, run_id="r",
                              loaded_at="t")


def reserve_inbox(root: Path, first: int, n: int) -> Path:
    b.reserve_xlsx(root / Q / "reserve" / "list.xlsx", b.reserve_rows(n, first))
    return root


# ---------------------------------------------------------------- kill -9

@pytest.mark.slow
def test_kill_during_a_list_load_keeps_the_last_good_state(new_warehouse, tmp_path):
    url, eng = new_warehouse()
    old, new = reserve_inbox(tmp_path / "old", 1, 3), reserve_inbox(tmp_path / "new", 100, 5)
    load(eng, old)
    before = snapshot(eng)
    assert len(before["stg_reserve"]) == 3
    # killed after the staging table and rejected_rows were replaced, before the commit
    kill_at_pause({"url": url, "action": "load", "inbox": str(new), "quarter": Q, "list": "reserve",
                   "stop_after": 2}, tmp_path / "paused")
    assert snapshot(eng) == before
    # a rerun equals a clean run into an empty warehouse
    load(eng, new)
    _, clean = new_warehouse()
    load(clean, new)
    assert snapshot(eng) == snapshot(clean)
    assert len(snapshot(eng)["stg_reserve"]) == 5


@pytest.fixture(scope="module")
def generated_inbox(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("gen") / "inbox"
    subprocess.run([sys.executable, "-m", "kpgen", "--inbox", str(inbox), "--from", Q, "--seed", "5",
                    "--rows", "300"], check=True, capture_output=True)
    return inbox


@pytest.mark.slow
def test_kill_during_the_marts_keeps_the_last_good_state(new_warehouse, generated_inbox, tmp_path):
    from keyprojects import LISTS
    from keyprojects.warehouse import models

    url, eng = new_warehouse()
    for name in LISTS:
        load(eng, generated_inbox, name)
    with eng.begin() as conn:
        models.build_marts(conn, Q, SQL, run_id="r")
    before = snapshot(eng)
    assert before["int_project_quarter"] and before["bulletin_unit_quarter"]
    # killed after the whole build, before its commit: every mart already deleted and rebuilt
    kill_at_pause({"url": url, "action": "marts", "quarter": Q, "pause_before_commit": True}, tmp_path / "paused")
    assert snapshot(eng) == before
    proc = worker({"url": url, "action": "marts", "quarter": Q})
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    assert snapshot(eng) == before


# ---------------------------------------------------------------- two runs at once

def test_two_loads_of_one_quarter_at_once_never_mix(new_warehouse, tmp_path):
    """Two processes load the same list of the same quarter from different inboxes at once: both
    succeed, one after the other, and the warehouse holds exactly one of the two clean results."""
    url, eng = new_warehouse()
    a, c = reserve_inbox(tmp_path / "a", 1, 3), reserve_inbox(tmp_path / "c", 100, 4)
    procs = [worker({"url": url, "action": "load", "inbox": str(inbox), "quarter": Q, "list": "reserve"})
             for inbox in (a, c)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
    got = snapshot(eng)
    clean = {}
    for inbox in (a, c):
        _, e = new_warehouse()
        load(e, inbox)
        clean[inbox.name] = snapshot(e)
    assert got in (clean["a"], clean["c"])


@pytest.mark.postgres
@pytest.mark.parametrize("new_warehouse", ["postgres"], indirect=True)
def test_a_second_writer_of_a_partition_waits_for_the_first_on_postgres(new_warehouse, tmp_path):
    """Deterministic on PostgreSQL: the test holds the (quarter, list) partition in an open
    transaction with a row of its own; a load of the same partition in another process waits on the
    advisory lock (seen in pg_locks), and once the first commits, it replaces that row rather than
    adding to it."""
    url, eng = new_warehouse()
    inbox = reserve_inbox(tmp_path / "a", 1, 3)
    row = {c: None for c in staging.COLUMNS} | {
        "quarter": Q, "file": "other-run.xlsx", "sheet": "S", "sha256": "x", "unit": "忻府区",
        "row_number": 9, "project_name": "另一运行"}
    conn = eng.connect()
    tx = conn.begin()
    db.replace_partition(conn, "stg_reserve", {"quarter": Q}, [row])
    proc = worker({"url": url, "action": "load", "inbox": str(inbox), "quarter": Q, "list": "reserve"})
    try:
        waiting = False
        for _ in range(1200):
            with eng.connect() as c:
                waiting = c.execute(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                            "AND NOT granted")).scalar() > 0
            if waiting or proc.poll() is not None:
                break
            time.sleep(0.25)
        assert waiting, "the second writer did not wait for the partition lock"
        tx.commit()
        conn.close()
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    names = [r["project_name"] for r in db.fetch(eng, "SELECT project_name FROM stg_reserve")]
    assert sorted(names) == sorted(r[1] for r in b.reserve_rows(3, 1))


# ---------------------------------------------------------------- warehouse unreachable

def test_unreachable_warehouse_is_retried_then_named_without_password():
    eng = db.make_engine("postgresql+psycopg://kp:s3cret@127.0.0.1:9/warehouse?connect_timeout=2")
    attempts = []
    sa.event.listen(eng.pool, "first_connect", lambda *a: attempts.append(1))
    started = []

    @sa.event.listens_for(eng, "do_connect")
    def _count(*a):
        started.append(1)

    with pytest.raises(db.WarehouseUnreachable) as info:
        db.check_reachable(eng, attempts=3, delay=0.01)
    text = str(info.value)
    assert len(started) == 3
    assert "127.0.0.1:9/warehouse" in text and "after 3 attempts" in text and "\n" not in text
    assert "s3cret" not in text and "***" in text


def test_runtime_tasks_fail_clearly_when_the_warehouse_is_unreachable(monkeypatch):
    monkeypatch.setenv("KP_WAREHOUSE_URL", "postgresql+psycopg://kp:s3cret@127.0.0.1:9/warehouse?connect_timeout=2")
    monkeypatch.setattr(db.time, "sleep", lambda s: None)
    with pytest.raises(db.WarehouseUnreachable, match=r"127\.0\.0\.1:9/warehouse\S* is unreachable") as info:
        runtime.resolve_quarter(Q, None, None)
    assert "s3cret" not in str(info.value)


def test_warehouse_tasks_are_retried_by_airflow():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "keyprojects_quarterly.py"))
    dag = bag.dags["keyprojects_quarterly"]
    for task_id in ("resolve_quarter", "load_list", "build_marts", "publish_bulletin"):
        assert dag.get_task(task_id).retries >= 1, task_id
