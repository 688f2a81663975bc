"""The monthly SQL models on hand-made exports, on SQLite and PostgreSQL: the ytd check against the
previous month's export, problems carried across months, overdue as of month end, 不再报送,
warnings, and the same tables whatever the order of the months."""

from pathlib import Path

import pytest
from openpyxl import Workbook

from keyprojects import monthly, warehouse

ROOT = Path(__file__).resolve().parents[2]
HEAD = ["序号", "县（市、区）", "项目代码", "项目名称", "本月完成投资（万元）", "本年累计完成投资（万元）",
        "年度计划投资（万元）", "形象进度", "存在问题", "问题类别", "责任单位", "提出时间", "是否重大问题",
        "办理状态", "办结时间"]


def _export(inbox, month, rows):
    folder = inbox / month / "progress"
    folder.mkdir(parents=True)
    wb = Workbook()
    ws = wb.active
    ws.append([f"忻州市工业重点项目{month}调度"])
    ws.append(["单位：万元"])
    ws.append(HEAD)
    for r in rows:
        ws.append(r)
    ws.append(["合计"])
    wb.save(folder / "export.xlsx")


@pytest.fixture
def inbox(tmp_path):
    root = tmp_path / "inbox"
    _export(root, "2022-02", [
        [1, "忻府区", None, "甲项目", 100, 300, 1200, "主体施工", "用地指标不足", "用地", "市自然资源局",
         "2022-02-10", "否", "已交办", None],
        [2, "定襄县", None, "乙项目", 0, 50, 2000, "前期", None, None, None, None, None, None, None]])
    _export(root, "2022-03", [
        [1, "忻府区", None, "甲项目", 100, 250, 1200, "主体施工", "用地指标不足", "用地", "市自然资源局",
         "2022-02-10", "否", "已反馈", None],
        [2, "定襄县", None, "乙项目", 0, 50, 2000, "前期", "缺少能耗指标", "能耗", "市能源局", "2022.3.5",
         "是", "已办结", "2022-03-20"],
        [3, "外星县", None, "丙项目", 0, 50, 2000, "前期", None, None, None, None, None, None, None]])
    return root


def _run(engine, inbox, months):
    for m in months:
        monthly.load_month(engine, inbox, m, expectations_dir=ROOT / "expectations")
        with engine.begin() as conn:
            monthly.build_monthly(conn, ROOT / "include" / "sql")


def _check(engine):
    rej = warehouse.fetch(engine, "select quarter, list, row_number, rule, message from rejected_rows "
                                  "order by row_number")
    assert [(r["quarter"], r["list"], r["row_number"], r["rule"]) for r in rej] == [
        ("2022-03", "progress", 4, "bad_number"), ("2022-03", "progress", 6, "unknown_unit")]
    assert "below the previous month's 300万元" in rej[0]["message"]
    probs = {r["project_name"]: r for r in warehouse.fetch(engine, "select * from problems")}
    jia, yi = probs["甲项目"], probs["乙项目"]
    assert (jia["status"], jia["settle_by"], jia["not_reported"], jia["closed_on"]) == \
        ("已交办", "2022-02-17", 1, None)
    assert (yi["status"], yi["major"], yi["assign_by"], yi["feedback_by"], yi["settle_by"], yi["closed_month"]) == \
        ("已办结", 1, "2022-03-06", "2022-03-08", "2022-04-05", "2022-03")
    pm = {(r["month"], r["problem_id"]): r for r in warehouse.fetch(engine, "select * from problems_month")}
    assert (pm[("2022-02", jia["problem_id"])]["days_overdue"], pm[("2022-03", jia["problem_id"])]["days_overdue"]) \
        == (11, 42)
    assert pm[("2022-03", jia["problem_id"])]["not_reported"] == 1
    closed = pm[("2022-03", yi["problem_id"])]
    assert closed["closed_in_month"] == 1 and closed["overdue"] == 0
    dept = {(r["month"], r["department"]): (r["open_problems"], r["overdue_problems"], r["closed_problems"])
            for r in warehouse.fetch(engine, "select * from department_month")}
    assert dept == {("2022-02", "市自然资源局"): (1, 1, 0), ("2022-03", "市自然资源局"): (1, 1, 0),
                    ("2022-03", "市能源局"): (0, 0, 1)}
    warn = sorted((r["month"], r["project_name"], r["reason"]) for r in warehouse.fetch(
        engine, "select * from early_warnings"))
    assert warn == [("2022-02", "乙项目", "ytd_below_plan"), ("2022-03", "乙项目", "no_new_investment"),
                    ("2022-03", "乙项目", "ytd_below_plan")]
    review = warehouse.fetch(engine, "select count(*) as n from progress_review")[0]["n"]
    assert review == 3  # no dispatch library loaded: every row listed, none dropped


def test_monthly_tables_sqlite_in_any_order(sqlite_engine, inbox, tmp_path):
    _run(sqlite_engine, inbox, ["2022-03", "2022-02"])
    _check(sqlite_engine)
    _run(sqlite_engine, inbox, ["2022-02", "2022-03", "2022-03"])
    _check(sqlite_engine)


def test_monthly_tables_postgres(pg_engine, inbox):
    _run(pg_engine, inbox, ["2022-02", "2022-03"])
    _check(pg_engine)


@pytest.mark.parametrize("none", ["无", "暂无", "无问题", "/", "—", " 无。", "——"])
def test_a_problem_cell_saying_none_is_a_row_without_a_problem(sqlite_engine, tmp_path, none):
    """存在问题 "无" (暂无, 无问题, "/", "—") is no problem: the row loads, no problem is raised, and
    the project's month is kept; a real problem without 提出时间 is still missing_required."""
    root = tmp_path / "inbox"
    _export(root, "2022-02", [
        [1, "忻府区", None, "甲项目", 100, 300, 1200, "主体施工", none, None, None, None, None, None, None],
        [2, "定襄县", None, "乙项目", 0, 50, 2000, "前期", "用地指标不足", "用地", None, None, None, None, None]])
    load = monthly.load_month(sqlite_engine, root, "2022-02", expectations_dir=ROOT / "expectations")
    assert load.rows_loaded == 1 and load.rows_rejected == {"missing_required": 1}
    with sqlite_engine.begin() as conn:
        monthly.build_monthly(conn, ROOT / "include" / "sql")
    stg = warehouse.fetch(sqlite_engine, "select project_name, problem, problem_id from stg_progress")
    assert stg == [{"project_name": "甲项目", "problem": None, "problem_id": None}]
    month = warehouse.fetch(sqlite_engine, "select project_name, ytd_investment from progress_month")
    assert month == [{"project_name": "甲项目", "ytd_investment": 300}]
    assert warehouse.fetch(sqlite_engine, "select count(*) as n from problems")[0]["n"] == 0
    raw = warehouse.fetch(sqlite_engine, "select cells from raw_rows where disposition = 'loaded'")
    assert none.strip() in raw[0]["cells"]  # the cell as read is kept
