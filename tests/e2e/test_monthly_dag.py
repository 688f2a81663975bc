"""keyprojects_monthly end to end with dag.test(): generated 13710 exports -> warehouse -> workbook.

Three months of a small generated inbox (the dispatch libraries of their quarters loaded first):
every problem's status, deadlines, overdue flag and days, every early warning and every
per-department count equal the generator's truth; a rerun changes nothing; running the months
out of order gives the same tables as in order; a month without exports publishes nothing."""

import email
import email.policy
import runpy
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from keyprojects import db
from keyprojects.ingest import loader
from keyprojects.monthly import dispatch
from keyprojects.warehouse import schema
from kpgen import generate, generate_months

from ..monthly_truth import assert_monthly_matches, monthly_snapshot

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
QUARTERS = ["2021Q4", "2022Q1"]
MONTHS = ["2022-01", "2022-02", "2022-03"]
SIZE = {"seed": 9, "rows_per_quarter": 300}  # a seed whose window has every case


def _load_libraries(eng, inbox):
    for q in QUARTERS:
        loader.load_list(eng, inbox, q, "dispatch", expectations_dir=ROOT / "expectations")


@pytest.fixture(scope="module")
def env(tmp_path_factory, airflow_db):
    base = tmp_path_factory.mktemp("monthly")
    inbox, output = base / "inbox", base / "output"
    generate(inbox, QUARTERS, **SIZE)
    doc = generate_months(inbox, MONTHS, QUARTERS, **SIZE)
    url = f"sqlite:///{base / 'warehouse.db'}"
    eng = db.make_engine(url)
    schema.ensure_schema(eng, ROOT / "include" / "sql")
    _load_libraries(eng, inbox)
    mp = pytest.MonkeyPatch()
    mp.setenv("KP_INBOX", str(inbox))
    mp.setenv("KP_OUTPUT", str(output))
    mp.setenv("KP_WAREHOUSE_URL", url)
    dag = runpy.run_path(str(ROOT / "dags" / "keyprojects_monthly.py"))["monthly"]
    yield {"base": base, "inbox": inbox, "output": output, "engine": eng, "dag": dag, "truth": doc}
    mp.undo()


def book_problems(book) -> list[dict]:
    """The 问题清单 sheet's rows (县, 项目, 责任单位, 办理状态), as the office reads them."""
    ws = book["问题清单"]
    return [{"unit": r[1], "department": r[5], "status": r[11]} for r in ws.iter_rows(min_row=4, values_only=True)
            if isinstance(r[0], int) and r[11] and not str(r[11]).startswith("待交办")]


def run(dag, month):
    dr = dag.test(run_conf={"month": month})
    assert str(dr.state).endswith("success"), f"run for {month} ended {dr.state}"
    return dr


def test_months_match_truth_rerun_and_out_of_order(env):
    eng, dag, doc = env["engine"], env["dag"], env["truth"]
    # the generated window exercises what the issue asks for
    fates = {p["status"] for p in doc["problems"].values()}
    assert "已办结" in fates and fates - {"已办结"}
    assert any(p["major"] for p in doc["problems"].values())
    assert any(p["not_reported"] for p in doc["problems"].values())
    assert any(r["overdue"] for r in doc["problems_month"])
    assert any(r["days_not_reported"] for r in doc["problems_month"])   # 不再报送, never overdue
    assert any(r["pending_days"] is not None for r in doc["problems_month"])   # 待交办, not charged
    reasons = [w[3].split(",") for w in doc["early_warnings"]]
    assert {r for rs in reasons for r in rs} == {"ytd_below_plan", "no_new_investment", "not_started"}
    assert any(len(rs) > 1 for rs in reasons)   # one warning per project, reasons joined
    assert len({w[:3] for w in doc["early_warnings"]}) == len(doc["early_warnings"])
    # finished projects with two months of no new investment, and no such warning for them
    idle = {tuple(f) for f in doc["finished_idle"]}
    assert idle and not any("no_new_investment" in w[3] and tuple(w[:3]) in idle for w in doc["early_warnings"])
    assert any(doc["missing_units"][m] for m in MONTHS)
    assert {r[2] for m in MONTHS for r in doc["loads"][m]["no_problem_rows"]} == {"无", "暂无", "无问题", "/", "—"}

    for m in MONTHS:
        run(dag, m)
    assert_monthly_matches(eng, doc)

    # the workbook of the last month: its sheets, the overdue problems in red with 超期天数
    book_path = env["output"] / MONTHS[-1] / "忻州市工业重点项目2022年3月调度通报.xlsx"
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["本月进展", "问题清单", "不再报送问题", "按责任单位", "预警项目", "未报送"]
    overdue = [r for r in doc["problems_month"] if r["month"] == MONTHS[-1] and r["overdue"]]
    ws = book["问题清单"]
    red = [row for row in ws.iter_rows(min_row=4) if row[0].fill.fgColor.rgb in ("00FFC7CE", "FFFFC7CE")]
    assert len(red) == len(overdue) and all(isinstance(row[12].value, int) and row[12].value > 0 for row in red)

    # delivery (issue 18 §1), no kp_smtp: the office's workbook and each 责任单位's open problems as
    # .eml files in the month's outbox, with the files' bytes attached
    outbox = env["output"] / MONTHS[-1] / "outbox"
    mails = {}
    for p in sorted(outbox.glob("*.eml")):
        msg = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        mails[msg["To"].addresses[0].addr_spec] = msg
    office = mails.pop("office@xinzhou-kp.example")
    assert {a.get_filename(): a.get_content() for a in office.iter_attachments()} == {
        book_path.name: book_path.read_bytes()}
    folder = env["output"] / MONTHS[-1] / "问题清单"
    open_by_department = Counter(p["department"] for p in book_problems(book) if p["department"])
    assert {p.stem for p in folder.glob("*.xlsx")} == set(open_by_department)
    assert mails and all(len(list(m.iter_attachments())) == 1 for m in mails.values())
    for m in mails.values():
        [att] = m.iter_attachments()
        assert att.get_content() == (folder / att.get_filename()).read_bytes()
        department = att.get_filename()[:-5]
        assert f"未办结问题{open_by_department[department]}个" in m.get_body().get_content()
    deliveries = db.fetch(eng, "select * from deliveries where period = :m", m=MONTHS[-1])
    assert {d["status"] for d in deliveries} == {"written"} and len(deliveries) == len(mails) + 1

    # a rerun changes nothing: tables, workbook bytes, deliveries
    before, payload = monthly_snapshot(eng), book_path.read_bytes()
    n_deliveries = db.fetch(eng, "select count(*) as n from deliveries")[0]["n"]
    run(dag, MONTHS[-1])
    assert monthly_snapshot(eng) == before
    assert book_path.read_bytes() == payload
    assert db.fetch(eng, "select count(*) as n from deliveries")[0]["n"] == n_deliveries
    assert len(list(outbox.glob("*.eml"))) == len(mails) + 1

    # out of order, straight through the package: the same tables
    other = db.make_engine(f"sqlite:///{env['base'] / 'shuffled.db'}")
    schema.ensure_schema(other, ROOT / "include" / "sql")
    _load_libraries(other, env["inbox"])
    for m in (MONTHS[2], MONTHS[0], MONTHS[1]):
        dispatch.load_month(other, env["inbox"], m, expectations_dir=ROOT / "expectations")
        with other.begin() as conn:
            dispatch.build_monthly(conn, ROOT / "include" / "sql")
    shuffled = monthly_snapshot(other)
    assert shuffled == before
    other.dispose()


def test_a_month_without_exports_fails_and_publishes_nothing(env):
    eng, dag = env["engine"], env["dag"]
    before = monthly_snapshot(eng)
    dr = dag.test(run_conf={"month": "2022-09"})
    assert str(dr.state).endswith("failed")
    states = {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}
    assert states["load_progress"].endswith("failed")
    assert not states["publish_dispatch"].endswith("success")
    assert not (env["output"] / "2022-09").exists()
    assert monthly_snapshot(eng) == before
