"""The monthly SQL models on hand-made exports, on SQLite and PostgreSQL: the ytd check against the
previous month's export, problems carried across months, overdue as of month end, 不再报送 (never
overdue, days since last reported), 待交办 (its age, not charged to the department), one warning
per project with its reasons joined (no 'no new investment' for 竣工投产), matching to the latest
loaded dispatch library, and the same tables whatever the order of the months."""

from pathlib import Path

import pytest
from openpyxl import Workbook

from keyprojects import db
from keyprojects.ingest import normalize
from keyprojects.monthly import dispatch

ROOT = Path(__file__).resolve().parents[2]
HEAD = ["序号", "县（市、区）", "项目代码", "项目名称", "本月完成投资（万元）", "本年累计完成投资（万元）",
        "年度计划投资（万元）", "形象进度", "存在问题", "问题类别", "责任单位", "提出时间", "是否重大问题",
        "办理状态", "办结时间", "开工状态"]


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
        [2, "定襄县", None, "乙项目", 0, 50, 2000, "前期", None, None, None, None, None, None, None],
        [3, "忻府区", None, "戊项目", 0, 1000, 1000, "已投产", None, None, None, None, None, None, None,
         "竣工/投产"]])
    _export(root, "2022-03", [
        [1, "忻府区", None, "甲项目", 100, 250, 1200, "主体施工", "用地指标不足", "用地", "市自然资源局",
         "2022-02-10", "否", "已反馈", None],
        [2, "定襄县", None, "乙项目", 0, 50, 2000, "前期", "缺少能耗指标", "能耗", "市能源局", "2022.3.5",
         "是", "已办结", "2022-03-20"],
        [3, "外星县", None, "丙项目", 0, 50, 2000, "前期", None, None, None, None, None, None, None],
        [4, "代县", None, "丁项目", 10, 20, 100, "主体施工", "电力接入需协调", "其他", "市工信局", "2022-03-01",
         "否", "待交办", None],
        [5, "忻府区", None, "戊项目", 0, 1000, 1000, "已投产", None, None, None, None, None, None, None,
         "竣工/投产"]])
    return root


def _run(engine, inbox, months):
    for m in months:
        dispatch.load_month(engine, inbox, m, expectations_dir=ROOT / "expectations")
        with engine.begin() as conn:
            dispatch.build_monthly(conn, ROOT / "include" / "sql")


def _check(engine):
    rej = db.fetch(engine, "select quarter, list, row_number, rule, message from rejected_rows "
                                  "order by row_number")
    assert [(r["quarter"], r["list"], r["row_number"], r["rule"]) for r in rej] == [
        ("2022-03", "progress", 4, "bad_number"), ("2022-03", "progress", 6, "unknown_unit")]
    assert "below the previous month's 300万元" in rej[0]["message"]
    probs = {r["project_name"]: r for r in db.fetch(engine, "select * from problems")}
    jia, yi = probs["甲项目"], probs["乙项目"]
    assert (jia["status"], jia["settle_by"], jia["not_reported"], jia["closed_on"]) == \
        ("已交办", "2022-02-17", 1, None)
    assert (yi["status"], yi["major"], yi["assign_by"], yi["feedback_by"], yi["settle_by"], yi["closed_month"]) == \
        ("已办结", 1, "2022-03-06", "2022-03-08", "2022-04-05", "2022-03")
    pm = {(r["month"], r["problem_id"]): r for r in db.fetch(engine, "select * from problems_month")}
    feb, mar = pm[("2022-02", jia["problem_id"])], pm[("2022-03", jia["problem_id"])]
    assert (feb["overdue"], feb["days_overdue"], feb["not_reported"], feb["days_not_reported"]) == (1, 11, 0, None)
    # 不再报送 in March (its row was rejected): listed apart, not overdue, 31 days since last reported
    assert (mar["overdue"], mar["days_overdue"], mar["not_reported"], mar["days_not_reported"]) == (0, 0, 1, 31)
    closed = pm[("2022-03", yi["problem_id"])]
    assert closed["closed_in_month"] == 1 and closed["overdue"] == 0 and closed["pending_days"] is None
    # 待交办 since 2022-03-01: 30 days old at the month's end, overdue, but not charged to 市工信局
    ding = pm[("2022-03", probs["丁项目"]["problem_id"])]
    assert (ding["status"], ding["pending_days"], ding["overdue"], ding["days_overdue"]) == ("待交办", 30, 1, 23)
    dept = {(r["month"], r["department"]): (r["open_problems"], r["overdue_problems"], r["closed_problems"])
            for r in db.fetch(engine, "select * from department_month")}
    assert dept == {("2022-02", "市自然资源局"): (1, 1, 0), ("2022-03", "市自然资源局"): (1, 0, 0),
                    ("2022-03", "市能源局"): (0, 0, 1)}
    # one row per project and month, reasons joined; 戊项目 (竣工投产) is no 'no new investment'
    warn = sorted((r["month"], r["project_name"], r["reason"], r["reason_text"]) for r in db.fetch(
        engine, "select * from early_warnings"))
    assert warn == [("2022-02", "乙项目", "ytd_below_plan", "累计完成投资低于年度计划进度的0.5倍"),
                    ("2022-03", "乙项目", "ytd_below_plan,no_new_investment",
                     "累计完成投资低于年度计划进度的0.5倍；连续2个月无新增投资")]
    review = db.fetch(engine, "select count(*) as n from progress_review")[0]["n"]
    assert review == 6  # no dispatch library loaded: every row listed, none dropped


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
    load = dispatch.load_month(sqlite_engine, root, "2022-02", expectations_dir=ROOT / "expectations")
    assert load.rows_loaded == 1 and load.rows_rejected == {"missing_required": 1}
    with sqlite_engine.begin() as conn:
        dispatch.build_monthly(conn, ROOT / "include" / "sql")
    stg = db.fetch(sqlite_engine, "select project_name, problem, problem_id from stg_progress")
    assert stg == [{"project_name": "甲项目", "problem": None, "problem_id": None}]
    month = db.fetch(sqlite_engine, "select project_name, ytd_investment from progress_month")
    assert month == [{"project_name": "甲项目", "ytd_investment": 300}]
    assert db.fetch(sqlite_engine, "select count(*) as n from problems")[0]["n"] == 0
    raw = db.fetch(sqlite_engine, "select cells from raw_rows where disposition = 'loaded'")
    assert none.strip() in raw[0]["cells"]  # the cell as read is kept


def _library(engine, quarter, rows):
    """A loaded dispatch library (stg_dispatch) and the units' submissions of the quarter."""
    base = {"quarter": quarter, "file": "dispatch.xlsx", "sheet": "S", "sha256": "x"}
    with engine.begin() as conn:
        db.replace_partition(conn, "stg_dispatch", {"quarter": quarter}, [
            {**base, "row_number": i + 4, "unit": u, "project_name": n, "name_key": normalize.normalize_name(n),
             "total_investment": 5000.0, "status": "续建"} for i, (u, n) in enumerate(rows)])
        db.replace_partition(conn, "unit_submissions", {"quarter": quarter}, [
            {"quarter": quarter, "unit": u, "list": "dispatch", "files": f, "rows_loaded": f,
             "status": "received" if f else "not_received"} for u, f in (("忻府区", 1), ("定襄县", 0))])


@pytest.mark.parametrize("engine_name", ["sqlite_engine", "pg_engine"])
def test_a_month_before_its_library_uses_the_latest_loaded_one(engine_name, inbox, tmp_path, request):
    from keyprojects.documents import dispatch_workbook

    engine = request.getfixturevalue(engine_name)
    _library(engine, "2021Q4", [("忻府区", "甲项目"), ("定襄县", "乙项目")])
    _run(engine, inbox, ["2022-02"])
    rows = {r["project_name"]: r for r in db.fetch(
        engine, "select project_name, library_quarter, matched_by from progress_month where month = '2022-02'")}
    # 2022Q1's library has not arrived: matched to 2021Q4's, which is named
    assert {n: (r["library_quarter"], r["matched_by"]) for n, r in rows.items()} == {
        "甲项目": ("2021Q4", "name"), "乙项目": ("2021Q4", "name"), "戊项目": ("2021Q4", None)}
    review = db.fetch(engine, "select project_name, reason from progress_review where month = '2022-02'")
    assert [(r["project_name"], r["reason"]) for r in review] == [("戊项目", "not_in_dispatch_library")]
    data = dispatch_workbook.read_month(engine, "2022-02")
    assert "2022Q1调度库尚未报送，本月进展按已加载的最近一期（2021Q4）调度库匹配" in \
        dispatch_workbook.library_note("2022-02", [r["library_quarter"] for r in data["libraries"]])
    # 定襄县 sent no dispatch library in 2021Q4 but reports in 13710: said in a note, sources apart
    _library(engine, "2022Q1", [("忻府区", "甲项目")])
    _run(engine, inbox, ["2022-02"])
    units = {u["unit"]: u for u in dispatch_workbook.read_month(engine, "2022-02")["units"]}
    assert units["定襄县"]["library_status"] == "not_received" and units["定襄县"]["reported"] == 1
    assert dispatch_workbook.unit_note(units["定襄县"]) == "季度调度库未报送，13710平台有本月进展"
    assert dispatch_workbook.unit_note(units["忻府区"]) is None and units["忻府区"]["projects"] == 2
    assert dispatch_workbook.unit_note(units["代县"]) == "未报送"


def test_an_early_months_workbook_does_not_read_a_later_month(sqlite_engine, inbox, tmp_path):
    from openpyxl import load_workbook

    from keyprojects.documents import dispatch_workbook

    _run(sqlite_engine, inbox, ["2022-02"])
    alone = dispatch_workbook.write_dispatch(sqlite_engine, "2022-02", tmp_path / "a").read_bytes()
    _run(sqlite_engine, inbox, ["2022-03"])  # a later month, in which 甲项目's problem is no longer reported
    path = dispatch_workbook.write_dispatch(sqlite_engine, "2022-02", tmp_path / "b")
    assert path.read_bytes() == alone
    book = load_workbook(path)
    listed = [row[2].value for row in book["问题清单"].iter_rows(min_row=4) if row[2].value]
    assert listed == ["甲项目"] and book["问题清单"]["N4"].value is None
    assert book["不再报送问题"]["A4"].value == "本月无不再报送的问题"
    march = load_workbook(dispatch_workbook.write_dispatch(sqlite_engine, "2022-03", tmp_path / "c"))
    vanished = march["不再报送问题"]
    assert (vanished["C4"].value, vanished["J4"].value) == ("甲项目", 31)
    pending = [row for row in march["问题清单"].iter_rows(min_row=4) if row[2].value == "丁项目"]
    assert pending[0][11].value == "待交办（30天）"
    footnote = [c.value for row in march["按责任单位"].iter_rows() for c in row if c.value and "待交办" in str(c.value)]
    assert footnote and "待交办问题1个" in footnote[0] and "30天" in footnote[0]
