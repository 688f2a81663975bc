"""The quarterly bulletin workbook: layout, figures, city totals, safety of text, print setup, determinism."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from keyprojects import config, warehouse
from keyprojects.bulletin import COL, FIRST_DATA_ROW, write_bulletin

SQL_DIR = Path(__file__).resolve().parents[2] / "include" / "sql"
Q = "2022Q1"
FILE = "忻州市工业重点项目2022年第一季度通报.xlsx"
GREEN, RED = "C6EFCE", "FFC7CE"
EVIL_NAME = '=HYPERLINK("http://x","y")'


def _unit_row(u, i: int) -> dict:
    target = {"太忻一体化经济区": 0.15, "省级开发区县": 0.12, "其余县": 0.10}.get(u.zone_group)
    dispatch, started = 10 + i, 8 + i
    return {
        "quarter": Q, "unit": u.name, "unit_order": i, "zone_group": u.zone_group,
        "dispatch_projects": dispatch, "dispatch_total_investment": 1000.5 * (i + 1),
        "industrial_investment": 100.0 * (i + 1), "industrial_investment_prev": 80.0 * (i + 1),
        "industrial_growth": 0.25, "target_growth": target, "growth_attained": None if target is None else 1,
        "newbuild_investment": 60.0 * (i + 1), "newbuild_growth": 0.2,
        "renovation_investment": 40.0 * (i + 1), "renovation_growth": 0.3,
        "started_projects": started, "start_rate": started / dispatch,
        "registered_projects": 6 + i, "registration_rate": (6 + i) / started,
        "missed_reports": i % 3, "yiyuan_projects": 3, "yiyuan_share": 3 / dispatch,
        "cluster_projects": 2, "cluster_share": 2 / dispatch, "note": None, "run_id": "t",
    }


def _rows() -> dict[str, list[dict]]:
    units = {u.name: _unit_row(u, u.order) for u in config.units()}
    # 定襄县 misses its target.
    units["定襄县"].update(industrial_investment=200.0, industrial_investment_prev=200.0, industrial_growth=0.0,
                         growth_attained=0)
    # 五台县 has no figure for last year: growth cannot be computed.
    units["五台县"].update(industrial_investment_prev=None, industrial_growth=None, growth_attained=None,
                         note="无上年同期数据")
    # 五台山风景名胜区 has no projects at all.
    units["五台山风景名胜区"].update(
        dispatch_projects=0, dispatch_total_investment=0.0, industrial_investment=0.0,
        industrial_investment_prev=None, industrial_growth=None, target_growth=None, growth_attained=None,
        newbuild_investment=0.0, newbuild_growth=None, renovation_investment=0.0, renovation_growth=None,
        started_projects=0, start_rate=None, registered_projects=0, registration_rate=None, missed_reports=0,
        yiyuan_projects=0, yiyuan_share=None, cluster_projects=0, cluster_share=None,
        note="无调度库项目")
    missed = [
        {"quarter": Q, "unit": "原平市", "source_list": "signed", "project_code": None, "project_name": "乙项目",
         "total_investment": 800.0},
        {"quarter": Q, "unit": "原平市", "source_list": "approved", "project_code": "2201-140981-04-01-000001",
         "project_name": "丙项目", "total_investment": 1200.0},
        {"quarter": Q, "unit": "忻府区", "source_list": "energy", "project_code": "-123",
         "project_name": EVIL_NAME, "total_investment": 5000.0},
        {"quarter": Q, "unit": "忻府区", "source_list": "approved", "project_code": None,
         "project_name": "+1+2", "total_investment": 600.0},
    ]
    unregistered = [
        {"quarter": Q, "unit": "代县", "project_code": "2201-140923-04-01-000009", "project_name": "丁项目",
         "status": "续建", "total_investment": 900.0},
        {"quarter": Q, "unit": "忻府区", "project_code": None, "project_name": "@SUM(A1)", "status": "新开工",
         "total_investment": 700.0},
    ]
    targets = [
        {"quarter": Q, "indicator": "industrial_investment", "label": "工业固定资产投资", "measure": "growth",
         "target": 0.10, "actual": None, "attained": None},
        {"quarter": Q, "indicator": "industrial_investment", "label": "工业固定资产投资", "measure": "amount",
         "target": 3500000.0, "actual": 12345.6, "attained": 0},
        {"quarter": Q, "indicator": "newbuild_investment", "label": None, "measure": "growth",
         "target": 0.10, "actual": 0.2, "attained": 1},
        {"quarter": Q, "indicator": "yiyuan_projects", "label": "亿元以上工业重点项目", "measure": "share",
         "target": 0.30, "actual": 0.35, "attained": 1},
    ]
    return {"bulletin_unit_quarter": list(units.values()), "missed_reports": missed,
            "unregistered_projects": unregistered, "city_targets": targets}


@pytest.fixture
def engine(tmp_path):
    eng = warehouse.make_engine(f"sqlite:///{tmp_path / 'wh.db'}")
    warehouse.ensure_schema(eng, SQL_DIR)
    with eng.begin() as conn:
        for table, rows in _rows().items():
            warehouse.replace_partition(conn, table, {"quarter": Q}, rows)
        # Another quarter's rows must not leak into this bulletin.
        other = dict(_rows()["missed_reports"][0], quarter="2021Q4", project_name="别的季度")
        warehouse.replace_partition(conn, "missed_reports", {"quarter": "2021Q4"}, [other])
    yield eng
    eng.dispose()


@pytest.fixture
def book(engine, tmp_path):
    path = write_bulletin(engine, Q, tmp_path / "out")
    return path, load_workbook(path)


def _unit_row_no(name: str) -> int:
    return FIRST_DATA_ROW + next(u.order for u in config.units() if u.name == name)


def _fill(cell) -> str | None:
    if cell.fill is None or cell.fill.fill_type != "solid":
        return None
    return str(cell.fill.fgColor.rgb)[-6:]


def test_path_and_sheets(book, tmp_path):
    path, wb = book
    assert path == tmp_path / "out" / Q / FILE
    assert wb.sheetnames == ["季度通报", "漏报项目", "未入统项目", "全市目标", "图表"]


def test_title_and_headers(book):
    ws = book[1]["季度通报"]
    assert ws["A1"].value == "忻州市工业重点项目建设情况通报（2022年第一季度）"
    assert "A1:T1" in {str(r) for r in ws.merged_cells.ranges}
    subtitle = " ".join(str(c.value) for c in ws[2] if c.value)
    assert "截至2022年3月31日" in subtitle and "单位：万元" in subtitle
    assert ws.cell(3, COL["unit"]).value == "县(市、区)"
    assert ws.cell(3, COL["dispatch_projects"]).value == "调度库项目"
    assert ws.cell(4, COL["dispatch_projects"]).value == "个数"
    assert ws.cell(4, COL["dispatch_total_investment"]).value == "总投资"
    assert ws.cell(3, COL["industrial_investment"]).value == "工业投资"
    assert [ws.cell(4, COL[k]).value for k in ("industrial_investment", "industrial_growth", "target_growth",
                                              "growth_attained")] == ["本年累计", "同比增速", "目标增速", "是否达标"]
    assert ws.cell(3, COL["newbuild_investment"]).value == "新建类投资"
    assert ws.cell(3, COL["renovation_investment"]).value == "技改投资"
    assert ws.cell(3, COL["start_rate"]).value == "开复工率"
    assert ws.cell(3, COL["registration_rate"]).value == "规范入统率"
    assert ws.cell(3, COL["missed_reports"]).value == "漏报项目数"
    assert ws.cell(3, COL["yiyuan_projects"]).value == "亿元以上项目"
    assert ws.cell(3, COL["cluster_projects"]).value == "集群项目"
    assert ws.cell(4, COL["cluster_share"]).value == "占比"


def test_unit_rows_in_plan_order_with_figures(book):
    ws = book[1]["季度通报"]
    names = [ws.cell(FIRST_DATA_ROW + i, COL["unit"]).value for i in range(16)]
    assert names == [u.name for u in config.units()]
    r = _unit_row_no("忻府区")
    assert ws.cell(r, COL["seq"]).value == 1
    assert ws.cell(r, COL["dispatch_projects"]).value == 10
    assert ws.cell(r, COL["dispatch_total_investment"]).value == pytest.approx(1000.5)
    assert ws.cell(r, COL["industrial_investment"]).value == pytest.approx(100.0)
    assert ws.cell(r, COL["industrial_growth"]).value == pytest.approx(0.25)
    assert ws.cell(r, COL["target_growth"]).value == pytest.approx(0.15)
    assert ws.cell(r, COL["growth_attained"]).value == "达标"
    assert ws.cell(r, COL["start_rate"]).value == pytest.approx(0.8)
    assert ws.cell(r, COL["registration_rate"]).value == pytest.approx(6 / 8)
    assert ws.cell(r, COL["yiyuan_share"]).value == pytest.approx(0.3)
    # number formats
    assert ws.cell(r, COL["dispatch_projects"]).number_format == "0"
    assert ws.cell(r, COL["industrial_investment"]).number_format == "#,##0.00"
    assert ws.cell(r, COL["industrial_growth"]).number_format == "0.0%"
    assert ws.cell(r, COL["start_rate"]).number_format == "0.0%"
    r = _unit_row_no("偏关县")
    assert ws.cell(r, COL["target_growth"]).value == pytest.approx(0.10)
    assert ws.cell(r, COL["industrial_investment"]).value == pytest.approx(1500.0)


def test_null_figures_blank_with_notes(book):
    ws = book[1]["季度通报"]
    r = _unit_row_no("五台县")
    assert ws.cell(r, COL["industrial_growth"]).value is None
    assert ws.cell(r, COL["growth_attained"]).value is None
    assert ws.cell(r, COL["industrial_investment"]).value == pytest.approx(300.0)
    assert "无上年同期数据" in ws.cell(r, COL["note"]).value
    r = _unit_row_no("五台山风景名胜区")
    assert ws.cell(r, COL["dispatch_projects"]).value == 0
    for key in ("industrial_growth", "target_growth", "start_rate", "registration_rate", "yiyuan_share",
                "cluster_share", "newbuild_growth"):
        assert ws.cell(r, COL[key]).value is None, key
    assert ws.cell(r, COL["note"]).value == "无调度库项目，开复工率无法计算"
    # a footnote explains blank cells
    texts = [c.value for row in ws.iter_rows(min_row=FIRST_DATA_ROW + 17) for c in row if isinstance(c.value, str)]
    assert any("空白单元格" in t for t in texts)


def test_attainment_fills(book):
    ws = book[1]["季度通报"]
    assert _fill(ws.cell(_unit_row_no("忻府区"), COL["industrial_growth"])) == GREEN
    assert _fill(ws.cell(_unit_row_no("定襄县"), COL["industrial_growth"])) == RED
    assert ws.cell(_unit_row_no("定襄县"), COL["growth_attained"]).value == "未达标"
    assert _fill(ws.cell(_unit_row_no("五台县"), COL["industrial_growth"])) is None
    assert _fill(ws.cell(_unit_row_no("五台山风景名胜区"), COL["industrial_growth"])) is None
    ranges = {str(r.sqref) for r in ws.conditional_formatting}
    letter = get_column_letter(COL["start_rate"])
    assert f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + 15}" in ranges


def test_city_total_row(book):
    ws = book[1]["季度通报"]
    r = FIRST_DATA_ROW + 16
    rows = _rows()["bulletin_unit_quarter"]
    assert ws.cell(r, COL["unit"]).value == "全市合计"
    assert ws.cell(r, COL["dispatch_projects"]).value == sum(x["dispatch_projects"] for x in rows)
    invested = sum(x["industrial_investment"] for x in rows)
    assert ws.cell(r, COL["industrial_investment"]).value == pytest.approx(invested)
    assert ws.cell(r, COL["missed_reports"]).value == sum(x["missed_reports"] for x in rows)
    started = sum(x["started_projects"] for x in rows)
    assert ws.cell(r, COL["start_rate"]).value == pytest.approx(started / sum(x["dispatch_projects"] for x in rows))
    assert ws.cell(r, COL["registration_rate"]).value == pytest.approx(
        sum(x["registered_projects"] for x in rows) / started)
    # 五台县 has investment but no previous figure: the city's growth is left blank, with the reason.
    assert ws.cell(r, COL["industrial_growth"]).value is None
    assert "五台县" in ws.cell(r, COL["note"]).value
    assert ws.cell(r, COL["target_growth"]).value == pytest.approx(0.10)
    # newbuild growth comes from city_targets' actual
    assert ws.cell(r, COL["newbuild_growth"]).value == pytest.approx(0.2)


def test_city_growth_when_every_previous_figure_is_known(engine, tmp_path):
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE bulletin_unit_quarter SET industrial_investment_prev = 300.0 "
                             "WHERE unit = '五台县'")
    wb = load_workbook(write_bulletin(engine, Q, tmp_path / "o2"))
    ws = wb["季度通报"]
    rows = _rows()["bulletin_unit_quarter"]
    cur = sum(x["industrial_investment"] for x in rows)
    prev = sum(x["industrial_investment_prev"] or 0 for x in rows) + 300.0
    r = FIRST_DATA_ROW + 16
    assert ws.cell(r, COL["industrial_growth"]).value == pytest.approx(cur / prev - 1)
    assert _fill(ws.cell(r, COL["industrial_growth"])) == GREEN  # 0.25-ish >= 0.10


def test_missed_sheet(book):
    ws = book[1]["漏报项目"]
    assert [c.value for c in ws[3]] == ["序号", "县(市、区)", "项目代码", "项目名称", "总投资(万元)", "来源清单"]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=7)]
    assert body == [
        [1, "忻府区", None, "+1+2", 600.0, "立项清单(行政审批局)"],
        [2, "忻府区", "-123", EVIL_NAME, 5000.0, "能源类清单(能源局)"],
        [3, "原平市", "2201-140981-04-01-000001", "丙项目", 1200.0, "立项清单(行政审批局)"],
        [4, "原平市", None, "乙项目", 800.0, "签约清单(商务局)"],
    ]
    assert ws.cell(8, 1).value is None  # nothing from another quarter
    assert "2022年第一季度" in ws["A1"].value


def test_unregistered_sheet(book):
    ws = book[1]["未入统项目"]
    assert [c.value for c in ws[3]] == ["序号", "县(市、区)", "项目代码", "项目名称", "开工状态", "总投资(万元)"]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=5)]
    assert body == [[1, "忻府区", None, "@SUM(A1)", "新开工", 700.0],
                    [2, "代县", "2201-140923-04-01-000009", "丁项目", "续建", 900.0]]


def test_targets_sheet(book):
    ws = book[1]["全市目标"]
    assert [c.value for c in ws[3]] == ["序号", "指标", "口径", "目标", "实际", "是否完成", "完成进度"]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=7)]
    label = next(t["label"] for t in config.targets(2022)["city"] if t["indicator"] == "newbuild_investment")
    assert body == [
        [1, "工业固定资产投资", "金额(万元)", 3500000.0, 12345.6, "未完成", pytest.approx(12345.6 / 3500000.0)],
        [2, "工业固定资产投资", "增速", 0.10, None, None, None],
        [3, label, "增速", 0.10, 0.2, "完成", None],
        [4, "亿元以上工业重点项目", "占比", 0.30, 0.35, "完成", None],
    ]
    assert ws["G4"].number_format == "0.0%"
    assert _fill(ws["F4"]) == RED and _fill(ws["F6"]) == GREEN and _fill(ws["F5"]) is None
    assert ws["D4"].number_format == "#,##0.00" and ws["D5"].number_format == "0.0%"


def test_charts_and_print_setup(book):
    wb = book[1]
    charts = wb["图表"]._charts
    assert len(charts) == 2
    growth = charts[0]
    refs = [s.val.numRef.f for c in [growth, *growth._charts[1:]] for s in c.series]
    assert any(f"$F${FIRST_DATA_ROW}" in f for f in refs)  # 同比增速 column of 季度通报
    assert any(f"$G${FIRST_DATA_ROW}" in f for f in refs)  # 目标增速 column
    for name in ("季度通报", "漏报项目", "未入统项目", "全市目标"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape", name
        assert int(ws.page_setup.paperSize) == 9, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert int(ws.page_setup.fitToWidth) == 1, name
        assert ws.print_options.horizontalCentered, name
        assert ws.print_title_rows, name
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text, name
        assert ws.freeze_panes, name
    main = wb["季度通报"]
    assert main.freeze_panes == f"C{FIRST_DATA_ROW}"
    assert main.print_title_rows == "$3:$4"
    assert main.column_dimensions["B"].width >= 10


def test_no_formula_and_no_hyperlink_anywhere(book):
    wb = book[1]
    seen = set()
    for ws in wb.worksheets:
        assert not ws._hyperlinks
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                assert c.hyperlink is None
                if isinstance(c.value, str):
                    seen.add(c.value)
    assert {EVIL_NAME, "+1+2", "-123", "@SUM(A1)"} <= seen


def test_rerun_is_identical(engine, book, tmp_path):
    path, wb = book
    first = path.read_bytes()
    again = write_bulletin(engine, Q, tmp_path / "out")
    assert again == path
    assert again.read_bytes() == first
    wb2 = load_workbook(again)
    for ws in wb.worksheets:
        values = [[c.value for c in r] for r in ws.iter_rows()]
        assert values == [[c.value for c in r] for r in wb2[ws.title].iter_rows()]
    assert wb2.properties.created == wb2.properties.modified
    assert wb2.properties.created.date().isoformat() == "2022-03-31"


def test_empty_quarter_is_refused(engine, tmp_path):
    with pytest.raises(LookupError, match="2022Q2"):
        write_bulletin(engine, "2022Q2", tmp_path / "out")


def test_unit_without_mart_row_is_listed_blank(engine, tmp_path):
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM bulletin_unit_quarter WHERE unit = '河曲县'")
    ws = load_workbook(write_bulletin(engine, Q, tmp_path / "o3"))["季度通报"]
    r = _unit_row_no("河曲县")
    assert ws.cell(r, COL["unit"]).value == "河曲县"
    assert ws.cell(r, COL["dispatch_projects"]).value is None
    assert ws.cell(r, COL["note"]).value == "本季度无该单位汇总数据"
