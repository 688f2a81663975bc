"""keyprojects_quarterly end to end for the office's documents: a Q4 run ranks the year and writes
the ranking workbook, a Q3 run does not touch the ranking; every run writes the draft 通报 and the
退回清单; a rerun writes identical bytes and leaves the ranking as it was."""

import runpy
from pathlib import Path

import pytest

from keyprojects import db
from kpgen import generate

from ..ranking_reference import assert_ranking_matches
from ..truth import table_snapshot

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
QUARTERS = ["2021Q4", "2022Q3", "2022Q4"]


@pytest.fixture(scope="module")
def env(tmp_path_factory, airflow_db):
    base = tmp_path_factory.mktemp("e2e-office")
    inbox, output = base / "inbox", base / "output"
    generate(inbox, QUARTERS, seed=9, rows_per_quarter=700)
    url = f"sqlite:///{base / 'warehouse.db'}"
    mp = pytest.MonkeyPatch()
    mp.setenv("KP_INBOX", str(inbox))
    mp.setenv("KP_OUTPUT", str(output))
    mp.setenv("KP_WAREHOUSE_URL", url)
    dag = runpy.run_path(str(ROOT / "dags" / "keyprojects_quarterly.py"))["quarterly"]
    yield {"output": output, "engine": db.make_engine(url), "dag": dag}
    mp.undo()


def run(dag, quarter):
    dr = dag.test(run_conf={"quarter": quarter})
    assert str(dr.state).endswith("success"), f"run for {quarter} ended {dr.state}"
    return {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}


def _files(output: Path) -> dict[str, bytes]:
    return {str(p.relative_to(output)): p.read_bytes() for p in sorted(output.rglob("*"))
            if p.is_file() and p.suffix in (".xlsx", ".docx")}


def test_q4_ranks_the_year_other_quarters_do_not(env):
    eng, dag, out = env["engine"], env["dag"], env["output"]
    states = run(dag, "2021Q4")
    assert states["publish_ranking"].endswith("success")
    assert (out / "2021" / "忻州市工业重点项目2021年度考评排名.xlsx").exists()
    assert_ranking_matches(eng, 2021)

    states = run(dag, "2022Q3")
    assert states["publish_ranking"].endswith("skipped") and states["rank_year"].endswith("success")
    assert db.fetch(eng, "SELECT COUNT(*) AS n FROM ranking_unit_year WHERE year = 2022")[0]["n"] == 0
    assert not (out / "2022").exists()
    assert (out / "2022Q3" / "忻州市工业重点项目2022年第三季度通报（初稿）.docx").exists()

    run(dag, "2022Q4")
    prev = {r["unit"]: r["rank"] for r in db.fetch(
        eng, "SELECT unit, rank FROM ranking_unit_year WHERE year = 2021 AND rank IS NOT NULL")}
    assert_ranking_matches(eng, 2022, prev)
    for q in QUARTERS:
        assert (out / q / "退回清单").is_dir() and list((out / q / "退回清单").glob("*.xlsx"))

    before_files = _files(out)
    before_rank = [table_snapshot(eng, "ranking_unit_year", q, ignore=("run_id",)) for q in ("2021Q4", "2022Q4")]
    run(dag, "2022Q4")
    assert _files(out) == before_files
    assert [table_snapshot(eng, "ranking_unit_year", q, ignore=("run_id",))
            for q in ("2021Q4", "2022Q4")] == before_rank
