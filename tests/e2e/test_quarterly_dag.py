"""keyprojects_quarterly end to end with dag.test(): generated inbox -> warehouse -> bulletin.

Two quarters a year apart, so the later one has growth figures; the run is repeated to show that a
rerun changes nothing."""

import email
import email.policy
import json
import runpy
from pathlib import Path

import openpyxl
import pytest

from keyprojects import LISTS, db
from kpgen import generate

from ..truth import (
    assert_figures_match,
    assert_matches_truth,
    assert_matches_world,
    assert_returns_match,
    table_snapshot,
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
QUARTERS = ["2021Q2", "2022Q2"]


@pytest.fixture(scope="module")
def env(tmp_path_factory, airflow_db):
    base = tmp_path_factory.mktemp("e2e")
    inbox, output = base / "inbox", base / "output"
    generate(inbox, QUARTERS, seed=5, rows_per_quarter=1200)
    url = f"sqlite:///{base / 'warehouse.db'}"
    mp = pytest.MonkeyPatch()
    mp.setenv("KP_INBOX", str(inbox))
    mp.setenv("KP_OUTPUT", str(output))
    mp.setenv("KP_WAREHOUSE_URL", url)
    dag = runpy.run_path(str(ROOT / "dags" / "keyprojects_quarterly.py"))["quarterly"]
    yield {"inbox": inbox, "output": output, "engine": db.make_engine(url), "dag": dag}
    mp.undo()


def run(dag, quarter):
    dr = dag.test(run_conf={"quarter": quarter})
    assert str(dr.state).endswith("success"), f"run for {quarter} ended {dr.state}"
    return dr


def truth(inbox, quarter):
    return json.loads((inbox / "_truth" / f"{quarter}.json").read_text(encoding="utf-8"))


def test_quarterly_runs_match_truth_and_rerun_changes_nothing(env):
    eng, dag = env["engine"], env["dag"]
    for q in QUARTERS:
        run(dag, q)
        assert_matches_truth(eng, truth(env["inbox"], q))
        assert_figures_match(eng, truth(env["inbox"], q))
        assert_matches_world(eng, truth(env["inbox"], q))
        assert_returns_match(eng, truth(env["inbox"], q), env["output"])

    q = QUARTERS[-1]
    tables = ["load_audit", "rejected_rows", "skipped_rows", "raw_rows", "bulletin_unit_quarter", "missed_reports",
              "unregistered_projects", "city_targets"] + [f"stg_{name}" for name in LISTS]
    before = {t: table_snapshot(eng, t, q) for t in tables}
    # delivery (issue 18 §1), no kp_smtp: .eml files in the quarter's outbox, the office's with the
    # bulletin and the draft 通报, each sender with a contact its 退回清单; the rest no_contact
    outbox = env["output"] / q / "outbox"
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox.glob("*.eml")]
    by_to = {m["To"].addresses[0].addr_spec: m for m in mails}
    office = {a.get_filename() for a in by_to["office@xinzhou-kp.example"].iter_attachments()}
    assert {p.name for p in (env["output"] / q).glob("*.xlsx")} | {p.name for p in (env["output"] / q).glob(
        "*.docx")} == office
    returned = {p.stem for p in (env["output"] / q / "退回清单").glob("*.xlsx")}
    delivered = {r["addressee"]: r["status"] for r in db.fetch(
        eng, "select addressee, status from deliveries where period = :q and kind = 'returns'", q=q)}
    assert set(delivered) == returned and set(delivered.values()) <= {"written", "no_contact"}
    assert "written" in delivered.values()
    n_deliveries = db.fetch(eng, "select count(*) as n from deliveries")[0]["n"]
    book = next((env["output"] / q).glob("*.xlsx"))
    cells_before = [[c.value for c in row] for ws in openpyxl.load_workbook(book) for row in ws.iter_rows()]
    run(dag, q)
    assert {t: table_snapshot(eng, t, q) for t in tables} == before
    cells_after = [[c.value for c in row] for ws in openpyxl.load_workbook(book) for row in ws.iter_rows()]
    assert cells_after == cells_before
    # the rerun wrote the same bytes: nothing delivered again
    assert db.fetch(eng, "select count(*) as n from deliveries")[0]["n"] == n_deliveries
    assert len(list(outbox.glob("*.eml"))) == len(mails)

    # growth is known for the later quarter, not for the first
    first = db.fetch(eng, "SELECT industrial_growth, note FROM bulletin_unit_quarter WHERE quarter = :q",
                            q=QUARTERS[0])
    assert all(r["industrial_growth"] is None and r["note"] for r in first)
    later = db.fetch(eng, "SELECT industrial_growth FROM bulletin_unit_quarter WHERE quarter = :q", q=q)
    assert sum(r["industrial_growth"] is not None for r in later) >= 10
    assert (env["output"] / q / "validation" / "index.html").exists()


def test_a_broken_file_fails_the_run_and_publishes_nothing(env):
    import shutil

    eng, dag, inbox = env["engine"], env["dag"], env["inbox"]
    shutil.copytree(inbox / "2022Q2", inbox / "2022Q3")
    (inbox / "2022Q3" / "signed" / "坏文件.xlsx").write_bytes(b"PK\x03\x04 broken")
    dr = dag.test(run_conf={"quarter": "2022Q3"})
    assert str(dr.state).endswith("failed")
    states = {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}
    assert states["check_loads"].endswith("failed")
    assert not states["publish_bulletin"].endswith("success")
    audit = db.fetch(eng, "SELECT file, status, message FROM load_audit WHERE quarter = '2022Q3' AND "
                                 "status = 'failed'")
    assert [a["file"] for a in audit] == ["坏文件.xlsx"] and "坏文件.xlsx" in audit[0]["message"]
    # the other lists loaded; nothing was built or published for the quarter
    assert db.fetch(eng, "SELECT COUNT(*) AS n FROM stg_dispatch WHERE quarter = '2022Q3'")[0]["n"] > 0
    assert db.fetch(eng, "SELECT COUNT(*) AS n FROM bulletin_unit_quarter WHERE quarter = '2022Q3'")[0]["n"] == 0
    assert not list((env["output"] / "2022Q3").glob("*.xlsx"))


def test_a_failed_mart_check_stops_publishing_and_the_last_bulletin_stays(env, tmp_path, monkeypatch):
    import shutil

    dag, q = env["dag"], QUARTERS[-1]
    book = next((env["output"] / q).glob("*.xlsx"))
    before = book.read_bytes()
    suites = tmp_path / "expectations"
    shutil.copytree(ROOT / "expectations", suites)
    strict = json.loads((suites / "marts" / "bulletin_unit_quarter.json").read_text(encoding="utf-8"))
    strict["expectations"].append({"type": "expect_column_values_to_be_between",
                                   "kwargs": {"column": "start_rate", "min_value": 0, "max_value": 0.01},
                                   "meta": {"check": "start_rate_below_one_percent", "description": "a test"}})
    (suites / "marts" / "bulletin_unit_quarter.json").write_text(json.dumps(strict, ensure_ascii=False),
                                                                 encoding="utf-8")
    monkeypatch.setenv("KP_EXPECTATIONS", str(suites))
    dr = dag.test(run_conf={"quarter": q})
    assert str(dr.state).endswith("failed")
    states = {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}
    assert states["check_marts"].endswith("failed") and not states["publish_bulletin"].endswith("success")
    assert book.read_bytes() == before
