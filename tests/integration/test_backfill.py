"""Backfill for real: the README's command against a running scheduler (LocalExecutor, SQLite
metadata database, SQLite warehouse) over 2022Q3-2022Q4, from a small generated inbox whose
2021Q4 was run before (in-process, dag.test(): it ranks 2021); then the backfilled figures, 2022Q4's
growth against 2021Q4 included, and 2022's ranking with 2021's ranks as the previous year's, must
equal the generator's truth. Each task of a backfilled run is its own process, so every quarter
costs ~45 s: two show the order (oldest first) and the growth; the other tests run the DAGs
in-process."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import sqlalchemy as sa

from keyprojects import db
from kpgen import generate

from ..ranking_reference import assert_ranking_matches
from ..services import FINAL, Services, base_env, dag_registered, run_states, task_states, wait_for
from ..truth import assert_figures_match

DAG_ID = "keyprojects_quarterly"
BEFORE = "2021Q4"                 # run in-process first
QUARTERS = ["2022Q3", "2022Q4"]    # backfilled
# the README's backfill command (README, "Backfilling"), over the two quarters
BACKFILL = ["backfill", "create", "--dag-id", DAG_ID, "--from-date", "2022-07-01", "--to-date", "2022-12-31",
            "--max-active-runs", "1"]
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.services, pytest.mark.timeout(2400)]


def test_backfill_two_years_then_2022_growth_matches_truth(tmp_path, airflow_db, monkeypatch):
    inbox, output = tmp_path / "inbox", tmp_path / "output"
    truth = generate(inbox, [BEFORE, *QUARTERS], seed=3, rows_per_quarter=150)
    wh_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    for name, value in (("KP_INBOX", inbox), ("KP_OUTPUT", output), ("KP_WAREHOUSE_URL", wh_url)):
        monkeypatch.setenv(name, str(value))
    dr = runpy.run_path(str(ROOT / "dags" / f"{DAG_ID}.py"))["quarterly"].test(run_conf={"quarter": BEFORE})
    assert str(dr.state).endswith("success"), dr.state
    home = tmp_path / "airflow-home"
    env = base_env(home, KP_INBOX=str(inbox), KP_OUTPUT=str(output), KP_WAREHOUSE_URL=wh_url,
                   AIRFLOW__CORE__EXECUTOR="LocalExecutor", AIRFLOW__CORE__PARALLELISM="4")
    svc = Services(env, tmp_path / "logs")
    meta = sa.create_engine(f"sqlite:///{home / 'airflow.db'}")
    try:
        svc.cli("db", "migrate")  # by hand, as the README says: marks the home ready
        assert (home / ".db-ready").read_text() == f"sqlite:///{home / 'airflow.db'}?timeout=60"
        # `db migrate` registered the DAG; the backfill is created before the services start, so
        # that its inserts never wait on the scheduler's writes to the SQLite metadata database
        assert dag_registered(meta, DAG_ID)
        # the api-server starts while the backfill is made (it does not write runs)
        svc.start("api-server", "api-server", "--host", "127.0.0.1", "--port", env["AIRFLOW__API__PORT"],
                  "--workers", "1")
        svc.cli("dags", "unpause", DAG_ID)  # backfill runs of a paused DAG stay queued
        svc.cli(*BACKFILL)
        svc.wait_for_api()  # the scheduler's tasks talk to it: started after it answers
        svc.start("scheduler", "scheduler")
        svc.start("dag-processor", "dag-processor")

        def finished():
            runs = {r: s for r, s in run_states(meta, DAG_ID).items() if r.startswith("backfill__")}
            return runs if len(runs) == len(QUARTERS) and set(runs.values()) <= FINAL else None

        runs = wait_for(finished, f"the {len(QUARTERS)} backfill runs to finish", svc, limit=2100, every=2)
        failed = {r: task_states(meta, DAG_ID, r) for r, s in runs.items() if s != "success"}
        assert not failed, failed
        with meta.connect() as c:
            starts = c.execute(sa.text(
                "SELECT data_interval_start FROM dag_run WHERE dag_id = :d AND run_id LIKE 'backfill__%' "
                "ORDER BY start_date"), {"d": DAG_ID}).scalars().all()
            retried = c.execute(sa.text("SELECT task_id, map_index, try_number FROM task_instance "
                                        "WHERE dag_id = :d AND try_number > 1"), {"d": DAG_ID}).all()
        assert not retried, f"tasks that needed a retry: {retried}"
        # one at a time, oldest first: a quarter's growth reads the year before
        assert [str(s)[:10] for s in starts] == [f"{q[:4]}-{(int(q[-1]) - 1) * 3 + 1:02d}-01" for q in QUARTERS]
    finally:
        svc.stop()
        meta.dispose()

    eng = db.make_engine(wh_url)
    try:
        for q in QUARTERS:
            assert db.fetch(eng, "SELECT COUNT(*) AS n FROM bulletin_unit_quarter WHERE quarter = :q",
                                   q=q)[0]["n"] > 0, q
        for q in QUARTERS:
            assert_figures_match(eng, truth[q])
        growth = db.fetch(eng, "SELECT unit, industrial_growth FROM bulletin_unit_quarter "
                                      "WHERE quarter = '2022Q4' AND industrial_growth IS NOT NULL")
        assert len(growth) >= 8, growth
        assert list((output / "2022Q4").glob("*.xlsx"))
        # each Q4 run ranked its year; 2022's ranking equals an independent recomputation from the
        # 2022Q4 bulletin rows, with 2021's ranks as the previous year's
        prev = {r["unit"]: r["rank"] for r in db.fetch(
            eng, "SELECT unit, rank, ranked FROM ranking_unit_year WHERE year = 2021") if r["ranked"]}
        assert len(prev) == 15
        ranked = assert_ranking_matches(eng, 2022, previous=prev)
        assert len(ranked) == 16
        assert list((output / "2022").glob("*年度考评排名.xlsx"))
    finally:
        eng.dispose()
