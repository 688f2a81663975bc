"""Issue 14 §5: a rerun of an earlier quarter refreshes what reads it (dag.test()).

2021Q4 and 2022Q4 are run in order (a forward backfill: nothing is triggered). Then the statistics
bureau resends 2021Q4's 入统清单: one unit's year-to-date investment halved, another unit's rows
gone. The rerun of 2021Q4 re-ranks 2021 and triggers keyprojects_quarterly for 2022Q4 (conf
{"quarter": "2022Q4"}); once that run is done (dag.test stands in for the scheduler), 2022Q4's
上年同期 and growth and 2022's 上年位次 / 位次变化 follow the resent file."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import openpyxl
import pytest

from keyprojects import db
from kpgen import generate

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
EARLY, LATE = "2021Q4", "2022Q4"


@pytest.fixture(scope="module")
def env(tmp_path_factory, airflow_db):
    base = tmp_path_factory.mktemp("refresh")
    inbox, output = base / "inbox", base / "output"
    generate(inbox, [EARLY, LATE], seed=5, rows_per_quarter=400)
    url = f"sqlite:///{base / 'warehouse.db'}"
    mp = pytest.MonkeyPatch()
    mp.setenv("KP_INBOX", str(inbox))
    mp.setenv("KP_OUTPUT", str(output))
    mp.setenv("KP_WAREHOUSE_URL", url)
    dag = runpy.run_path(str(ROOT / "dags" / "keyprojects_quarterly.py"))["quarterly"]
    yield {"inbox": inbox, "engine": db.make_engine(url), "dag": dag}
    mp.undo()


def _run(dag, quarter):
    dr = dag.test(run_conf={"quarter": quarter})
    assert str(dr.state).endswith("success"), f"run for {quarter} ended {dr.state}"
    return dr


def _states(dr) -> dict:
    return {ti.task_id: str(ti.state).split(".")[-1] for ti in dr.get_task_instances()}


def _triggered(after: str) -> list:
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        return [(r.run_id, r.conf) for r in session.query(DagRun).filter(DagRun.dag_id == "keyprojects_quarterly")
                if r.run_id.startswith("refresh__") and f"__after__{after}__" in r.run_id]


def _bulletin(eng, q):
    return {r["unit"]: r for r in db.fetch(
        eng, "select unit, industrial_investment, industrial_investment_prev, industrial_growth "
             "from bulletin_unit_quarter where quarter = :q", q=q)}


def _ranks(eng, year):
    return {r["unit"]: r for r in db.fetch(
        eng, "select unit, rank, previous_rank, rank_change from ranking_unit_year where year = :y", y=year)}


def _resend_registered(eng, inbox: Path, halve: str, drop: str) -> dict[str, float]:
    """Replace 2021Q4's 入统清单 by one clean workbook of the rows loaded, ``halve``'s year-to-date
    halved and ``drop``'s rows left out; returns the resent year-to-date per unit."""
    rows = db.fetch(eng, """
        select project_code, project_name, unit, nature, total_investment, ytd_investment
        from stg_registered where quarter = :q order by file, sheet, row_number""", q=EARLY)
    folder = inbox / EARLY / "registered"
    shutil.rmtree(folder)
    folder.mkdir()
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["项目代码", "项目名称", "县（市、区）", "建设性质", "总投资", "本年累计完成投资"])
    sums: dict[str, float] = {}
    for r in rows:
        if r["unit"] == drop:
            continue
        ytd = round(r["ytd_investment"] / 2, 2) if r["unit"] == halve else r["ytd_investment"]
        ws.append([r["project_code"], r["project_name"], r["unit"], r["nature"], r["total_investment"], ytd])
        sums[r["unit"]] = sums.get(r["unit"], 0.0) + ytd
    book.save(folder / "入统清单（更正）.xlsx")
    return sums


def test_a_rerun_of_2021q4_refreshes_2022q4_and_2022s_ranking(env):
    eng, dag = env["engine"], env["dag"]
    # a forward backfill: the earlier quarter has nothing to refresh yet, the later one neither
    for q in (EARLY, LATE):
        dr = _run(dag, q)
        assert _states(dr).get("find_dependents") == "success"
        assert _states(dr).get("refresh_dependent") in (None, "skipped", "removed")
    assert _triggered(EARLY) == [] and _triggered(LATE) == []
    ranks_2021 = _ranks(eng, 2021)
    before = _bulletin(eng, LATE)
    ranked = sorted((u for u, r in ranks_2021.items() if r["rank"]), key=lambda u: ranks_2021[u]["rank"])
    drop = ranked[0]                                   # the best-ranked unit loses its 入统 rows
    halve = next(u for u in ranked[1:] if (before[u]["industrial_investment_prev"] or 0) > 0)
    resent = _resend_registered(eng, env["inbox"], halve=halve, drop=drop)

    # the watcher's rerun of 2021Q4: it re-ranks 2021 and triggers 2022Q4 with the quarter as conf
    dr = _run(dag, EARLY)
    assert _states(dr)["refresh_dependent"] == "success"
    triggered = _triggered(EARLY)
    assert len(triggered) == 1 and triggered[0][1] == {"quarter": LATE}
    new_2021 = _ranks(eng, 2021)
    assert new_2021[drop]["rank"] != ranks_2021[drop]["rank"]
    assert _bulletin(eng, LATE) == before            # stale until the triggered run has run

    # the triggered run (dag.test stands in for the scheduler): figures follow the resent file
    dr = _run(dag, LATE)
    assert _triggered(LATE) == []                      # nothing reads 2022Q4 yet: no cascade
    after = _bulletin(eng, LATE)
    assert after[halve]["industrial_investment_prev"] == pytest.approx(resent[halve], abs=0.01)
    assert after[halve]["industrial_investment_prev"] != pytest.approx(before[halve]["industrial_investment_prev"])
    assert after[halve]["industrial_growth"] == pytest.approx(
        after[halve]["industrial_investment"] / after[halve]["industrial_investment_prev"] - 1, abs=1e-6)
    assert after[drop]["industrial_growth"] is None     # 上年同期 0: no growth, never 0
    ranks_2022 = _ranks(eng, 2022)
    for unit, r in ranks_2022.items():
        assert r["previous_rank"] == new_2021[unit]["rank"], unit
        if r["rank"] is not None and r["previous_rank"] is not None:
            assert r["rank_change"] == r["previous_rank"] - r["rank"], unit
    assert ranks_2022[drop]["previous_rank"] != ranks_2021[drop]["rank"]
