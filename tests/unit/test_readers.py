"""Unit tests for keyprojects.ingest.readers: one test per quirk of real files (docs/domain.md, docs/rules.md)."""

from __future__ import annotations

import csv
import datetime as dt
import math
import struct
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwt

from keyprojects import config
from keyprojects.ingest import readers
from keyprojects.ingest.readers import FileFault, read_file

DISPATCH_HEADER = ["序号", "项目名称", "县（市、区）", "建设性质", "总投资", "开工状态"]


def make_xlsx(path: Path, sheets: dict, merges: dict | None = None, origin: dict | None = None) -> Path:
    """sheets: name -> list of rows (None = empty cell); merges: name -> ranges; origin: name -> (row, col)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        r0, c0 = (origin or {}).get(name, (1, 1))
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is not None:
                    ws.cell(r0 + i, c0 + j, value)
        for rng in (merges or {}).get(name, ()):
            ws.merge_cells(rng)
    wb.save(path)
    return path


def one_sheet(tmp_path, rows, merges=(), name="t.xlsx", sheet="Sheet1", origin=None):
    return make_xlsx(tmp_path / name, {sheet: rows}, {sheet: merges}, {sheet: origin} if origin else None)


def col(frame: pd.DataFrame, name: str) -> list:
    return [None if (isinstance(v, float) and math.isnan(v)) else v for v in frame[name].tolist()]


# ---------------------------------------------------------------- layout quirks


def test_title_rows_reporter_and_unit_line(tmp_path):
    rows = [
        ["忻州市2022年工业重点项目调度库"],
        ["填报单位：忻府区（盖章）", None, None, None, "单位：亿元"],
        [],
        ["序号", "项目名称", "建设性质", "总投资", "开工状态"],
        [1, "甲项目", "新建", 1.5, "在建"],
        [2, "乙项目", "技改", "800万元", "新开工"],
    ]
    path = one_sheet(tmp_path, rows, merges=["A1:E1"])
    read = read_file(path, "dispatch")  # unit is required: supplied by the 填报单位 line
    sheet = read.sheets[0]
    assert sheet.header_rows == (4, 4)
    assert sheet.reporter == "忻府区"
    assert sheet.amount_units["total_investment"] == "亿元"
    assert "unit" not in sheet.columns
    f = read.frame
    assert col(f, "_row") == [5, 6]
    assert col(f, "unit") == ["忻府区", "忻府区"]
    assert col(f, "unit_raw") == ["忻府区", "忻府区"]
    assert col(f, "total_investment") == [15000.0, 800.0]  # a text cell's own 万元 wins over the 亿元 line
    assert col(f, "nature") == ["新建", "技术改造"]
    assert col(f, "status") == ["续建", "新开工"]
    assert read.rows_read == 2 and read.skipped == []


def test_reporter_in_next_cell_and_unit_column_wins(tmp_path):
    rows = [
        ["填报单位：", "定襄县", None, "单位:万元"],
        ["序号", "项目名称", "县区", "建设性质", "总投资", "开工状态"],
        [1, "甲项目", "五台", "新建", 600, "续建"],
    ]
    read = read_file(one_sheet(tmp_path, rows), "dispatch")
    assert read.sheets[0].reporter == "定襄县"
    assert col(read.frame, "unit") == ["五台县"]  # the sheet's own unit column is used, not the reporter


def test_two_row_merged_header(tmp_path):
    rows = [
        ["序号", "项目名称", "所在县区", "建设性质", "2022年投资", None, "总投资(亿元)", "开工状态"],
        [None, None, None, None, "计划投资", "1-3月完成投资", None, None],
        [1, "甲项目", "原平", "扩建", 300, "120", 2, "续建"],
    ]
    merges = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:F1", "G1:G2", "H1:H2"]
    read = read_file(one_sheet(tmp_path, rows, merges), "dispatch")
    sheet = read.sheets[0]
    assert sheet.header_rows == (1, 2)
    assert sheet.columns == {"seq": 0, "project_name": 1, "unit": 2, "nature": 3, "annual_plan": 4,
                             "ytd_investment": 5, "total_investment": 6, "status": 7}
    assert sheet.amount_units == {"total_investment": "亿元", "annual_plan": "万元", "ytd_investment": "万元",
                                  "month_investment": "万元"}
    f = read.frame
    assert col(f, "_row") == [3]
    assert col(f, "total_investment") == [20000.0]
    assert col(f, "annual_plan") == [300.0] and col(f, "ytd_investment") == [120.0]
    assert col(f, "unit") == ["原平市"]
    assert read.rows_read == 1


def test_group_header_row_above_the_header(tmp_path):
    rows = [
        ["忻州市2022年工业重点项目调度库"],
        ["项目基本情况", None, None, None, "投资情况", None, None],
        ["序号", "项目名称", "县区", "建设性质", "总投资", "1-3月", "开工状态"],
        [1, "甲项目", "静乐", "新建", 900, 100, "续建"],
    ]
    read = read_file(one_sheet(tmp_path, rows, merges=["A1:G1", "A2:D2", "E2:F2"]), "dispatch")
    sheet = read.sheets[0]
    assert sheet.header_rows == (2, 3)
    assert sheet.columns["ytd_investment"] == 5
    assert col(read.frame, "_row") == [4] and col(read.frame, "unit") == ["静乐县"]


def test_two_row_header_without_merges_and_units_row(tmp_path):
    rows = [
        ["序号", "项目名称", "县区", "建设性质", "总投资", "开工状态", "2022年"],
        [None, None, None, None, None, None, "计划投资"],
        [None, None, None, None, "(亿元)", None, "万元"],
        [1, "甲项目", "代县", "新建", "0.5", "未开工", 100],
    ]
    read = read_file(one_sheet(tmp_path, rows), "dispatch")
    sheet = read.sheets[0]
    assert sheet.header_rows == (1, 3)
    assert sheet.columns["annual_plan"] == 6
    assert sheet.amount_units["total_investment"] == "亿元"
    assert col(read.frame, "total_investment") == [5000.0]
    assert col(read.frame, "_row") == [4]


def test_merged_unit_cells_filled_down_but_blanks_not_filled(tmp_path):
    rows = [
        DISPATCH_HEADER,
        [1, "甲项目", "定襄", "新建", 600, "续建"],
        [2, "乙项目", None, "新建", 700, "续建"],
        [3, "丙项目", None, "新建", 800, "续建"],
        [4, "丁项目", None, "新建", 900, "续建"],  # blank, not merged: stays blank
    ]
    read = read_file(one_sheet(tmp_path, rows, merges=["C2:C4"]), "dispatch")
    f = read.frame
    assert col(f, "unit") == ["定襄县", "定襄县", "定襄县", None]
    assert col(f, "unit_raw") == ["定襄", "定襄", "定襄", None]


def test_blank_subtotal_and_note_rows_skipped_and_counted(tmp_path):
    rows = [
        DISPATCH_HEADER,
        [1, "甲项目", "忻府区", "新建", 600, "续建"],
        [],
        ["合 计", None, None, None, 600],
        [None, "其中：小计", None, None, 300],
        [2, "乙项目", "忻府区", "新建", 700, "续建"],
        [None, None, None, None, None, None, None, "   "],
        ["填表人：张三", None, "联系电话：1234567"],
        ["说明：本表金额单位为万元"],
        ["注：续建项目含结转"],
    ]
    read = read_file(one_sheet(tmp_path, rows), "dispatch")
    assert col(read.frame, "_row") == [2, 6]
    got = [(s.row_number, s.reason) for s in read.skipped]
    assert got == [(3, "blank"), (4, "subtotal"), (5, "subtotal"), (7, "blank"), (8, "note"), (9, "note"),
                   (10, "note")]
    assert read.skipped[1].text == "合 计 | 600"
    assert read.skipped[4].text == "填表人:张三 | 联系电话:1234567"
    assert read.skipped[0].file == "t.xlsx" and read.skipped[0].sheet == "Sheet1"
    assert read.rows_read == len(read.frame) + len(read.skipped) == 9
    assert read.sheets[0].rows_read == 9


def test_subtotal_words_inside_project_text_do_not_skip_the_row(tmp_path):
    rows = [
        DISPATCH_HEADER + ["存在问题"],
        [1, "总计量检测中心项目", "忻府区", "新建", 600, "续建", "资金合计缺口200万元"],
        [2, "乙项目", "忻府区", "新建", 700, "续建", "土地未落实：合计"],
        [None, "忻州市五台山风景名胜区小计", None, None, 1300],
        [None, "合计：", None, None, 1300],
        ["小 计（2个）", None, None, None, 1300],
        [None, "合计(万元)", None, None, 1300],
        [None, "合计：3个项目", None, None, 1300],
    ]
    read = read_file(one_sheet(tmp_path, rows), "dispatch")
    assert col(read.frame, "project_name") == ["总计量检测中心项目", "乙项目"]
    assert [(s.row_number, s.reason) for s in read.skipped] == [(r, "subtotal") for r in (4, 5, 6, 7, 8)]


def test_blank_row_inside_merged_range_is_blank(tmp_path):
    rows = [DISPATCH_HEADER, [1, "甲项目", "忻府区", "新建", 600, "续建"], [], [2, "乙项目", None, "新建", 700, "续建"]]
    read = read_file(one_sheet(tmp_path, rows, merges=["C2:C4"]), "dispatch")
    assert [(s.row_number, s.reason) for s in read.skipped] == [(3, "blank")]
    assert col(read.frame, "unit") == ["忻府区", "忻府区"]


# ---------------------------------------------------------------- values


def test_amount_spellings(tmp_path):
    rows = [
        ["项目名称", "县区", "总投资", "年度计划投资（亿元）"],
        ["a", "忻府区", "1,200", 0.5],
        ["b", "忻府区", "1.2亿", "800万元"],
        ["c", "忻府区", "800万元", "0.1"],
        ["d", "忻府区", "１２００", None],
        ["e", "忻府区", "1500", "一千"],
        ["f", "忻府区", 300, "1，000"],
        ["g", "忻府区", "待定", 2],
        ["h", "忻府区", None, "-1"],
    ]
    read = read_file(one_sheet(tmp_path, rows), "reserve")
    f = read.frame
    assert f["total_investment"].dtype == "float64" and f["annual_plan"].dtype == "float64"
    assert col(f, "total_investment") == [1200.0, 12000.0, 800.0, 1200.0, 1500.0, 300.0, None, None]
    assert col(f, "annual_plan") == [5000.0, 800.0, 1000.0, None, None, 10000000.0, 20000.0, -10000.0]
    assert col(f, "total_investment_raw") == ["1,200", "1.2亿", "800万元", "1200", "1500", "300", "待定", None]
    assert col(f, "annual_plan_raw")[0] == "0.5" and col(f, "annual_plan_raw")[4] == "一千"


def test_date_spellings(tmp_path):
    rows = [
        ["项目名称", "县区", "总投资", "开工时间"],
        ["a", "忻府区", 600, 44635],
        ["b", "忻府区", 600, dt.datetime(2022, 3, 15)],
        ["c", "忻府区", 600, "2022年3月"],
        ["d", "忻府区", 600, "2022.3.15"],
        ["e", "忻府区", 600, "2022/03/15"],
        ["f", "忻府区", 600, "20220315"],
        ["g", "忻府区", 600, "三月中旬"],
        ["h", "忻府区", 600, None],
    ]
    read = read_file(one_sheet(tmp_path, rows), "reserve")
    f = read.frame
    assert col(f, "start_date") == ["2022-03-15", "2022-03-15", "2022-03-01", "2022-03-15", "2022-03-15",
                                    "2022-03-15", None, None]
    assert col(f, "start_date_raw")[:3] == ["44635", "2022-03-15", "2022年3月"]
    assert col(f, "start_date_raw")[6] == "三月中旬"


def test_project_code_spellings(tmp_path):
    rows = [
        ["项目代码", "项目名称", "县区", "立项类型", "立项时间", "总投资"],
        [" 2203-140902-04-01-123456 ", "a", "忻府区", "备案", "2022-03-01", 600],
        ["2203－140902－04－01－123457", "b", "忻府区", "核准", "2022-03-01", 600],
        ["22031409020401123458", "c", "忻府区", "审批", "2022-03-01", 600],
        ["2203 140902 04 01 123459", "d", "忻府区", "备案", "2022-03-01", 600],
        ["bad-code", "e", "忻府区", "备案", "2022-03-01", 600],
        [None, "f", "忻府区", "备案", "2022-03-01", 600],
    ]
    read = read_file(one_sheet(tmp_path, rows), "approved")
    codes = col(read.frame, "project_code")
    assert codes[:3] == ["2203-140902-04-01-123456", "2203-140902-04-01-123457", "2203-140902-04-01-123458"]
    assert codes[3] == "2203-140902-04-01-123459"  # spaces removed, then 20 bare digits are hyphenated
    assert codes[4] == "BAD-CODE" and codes[5] is None  # invalid codes are kept for validation to reject
    assert col(read.frame, "project_code_raw")[1] == "2203-140902-04-01-123457"  # NFKC makes － a hyphen
    assert col(read.frame, "approval_type") == ["备案", "核准", "审批", "备案", "备案", "备案"]


def test_unit_aliases_and_vocab(tmp_path):
    rows = [
        ["项目名称", "县（市、区）", "建设性质", "总投资", "开工状态", "所属产业集群", "是否入统"],
        ["a", "忻府", "新建项目", 600, "前期", "光伏", "是"],
        ["b", "忻州市忻府区", "技术改造", 600, "竣工/投产", None, "否"],
        ["c", 140902, "扩建", 600, "在建", "不存在的集群", "√"],
        ["d", "经开区", "改 建", 600, "复工", None, None],
        ["e", "五台山", "迁建", 600, "新开", None, None],
        ["f", "某某县", "翻新", 600, "停工", None, None],
    ]
    read = read_file(one_sheet(tmp_path, rows), "dispatch")
    f = read.frame
    assert col(f, "unit") == ["忻府区", "忻府区", "忻府区", "忻州经济开发区", "五台山风景名胜区", "某某县"]
    assert col(f, "unit_raw")[2] == "140902"
    assert col(f, "nature") == ["新建", "技术改造", "扩建", "改建", "迁建", "翻新"]
    assert col(f, "status") == ["未开工", "竣工投产", "续建", "复工", "新开工", "停工"]
    assert col(f, "cluster")[:3] == ["光伏", None, None]
    assert col(f, "cluster_raw")[2] == "不存在的集群"
    assert col(f, "registered_flag")[:3] == ["是", "否", "是"]
    assert col(f, "name_key") == ["a", "b", "c", "d", "e", "f"]


def test_reading_the_unit_column_only_keeps_rows_skips_and_units(tmp_path):
    rows = [
        ["项目名称", "县（市、区）", "建设性质", "总投资", "开工状态"],
        ["a", "忻府", "新建项目", 600, "前期"],
        ["合计", None, None, 600, None],
        ["b", "经开区", "扩建", "6亿元", "在建"],
    ]
    path = one_sheet(tmp_path, rows)
    full, units = read_file(path, "dispatch"), read_file(path, "dispatch", fields=("unit",))
    assert col(units.frame, "unit") == col(full.frame, "unit") == ["忻府区", "忻州经济开发区"]
    assert col(units.frame, "_row") == col(full.frame, "_row") == [2, 4]
    assert [s.reason for s in units.skipped] == [s.reason for s in full.skipped] == ["subtotal"]
    assert list(units.frame.columns) == list(full.frame.columns)
    assert col(units.frame, "nature") == [None, None] and col(full.frame, "nature") == ["新建", "扩建"]
    assert col(units.frame, "name_key") == [None, None]


# ---------------------------------------------------------------- formats


def test_xls_file_with_merges_and_dates(tmp_path):
    wb = xlwt.Workbook()
    ws = wb.add_sheet("调度库")
    ws.write_merge(0, 0, 0, 5, "忻州市2022年工业重点项目调度库")
    ws.write(1, 0, "单位：亿元")
    for c, h in enumerate(DISPATCH_HEADER + ["开工时间"]):
        ws.write(2, c, h)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    ws.write(3, 0, 1)
    ws.write(3, 1, "甲项目")
    ws.write_merge(3, 4, 2, 2, "繁峙")
    ws.write(3, 3, "新建")
    ws.write(3, 4, 1.2)
    ws.write(3, 5, "续建")
    ws.write(3, 6, dt.datetime(2022, 3, 15), date_style)
    ws.write(4, 0, 2)
    ws.write(4, 1, "乙项目")
    ws.write(4, 3, "扩建")
    ws.write(4, 4, "1,200万元")
    ws.write(4, 5, "新开工")
    ws.write(4, 6, 44640)
    ws.write(6, 0, "合计")
    path = tmp_path / "legacy.xls"
    wb.save(str(path))
    read = read_file(path, "dispatch")
    f = read.frame
    assert read.sheets[0].header_rows == (3, 3)
    assert col(f, "_row") == [4, 5]
    assert col(f, "unit") == ["繁峙县", "繁峙县"]
    assert col(f, "total_investment") == [12000.0, 1200.0]
    assert col(f, "start_date") == ["2022-03-15", "2022-03-20"]
    assert col(f, "seq_raw") == ["1", "2"]
    assert [(s.row_number, s.reason) for s in read.skipped] == [(6, "blank"), (7, "subtotal")]


def test_mislabelled_xls_named_xlsx_is_read(tmp_path):
    wb = xlwt.Workbook()
    ws = wb.add_sheet("S")
    for c, h in enumerate(["项目名称", "县区", "总投资"]):
        ws.write(0, c, h)
    for c, v in enumerate(["甲项目", "代县", 600]):
        ws.write(1, c, v)
    path = tmp_path / "really_xls.xlsx"
    wb.save(str(path))
    read = read_file(path, "reserve")
    assert col(read.frame, "unit") == ["代县"] and col(read.frame, "total_investment") == [600.0]


def _write_csv(path: Path, rows, encoding: str, delimiter: str = ","):
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


CSV_ROWS = [
    ["忻州市签约项目清单"],
    ["序号", "项目名称", "县区", "签约时间", "签约金额"],
    ["1", "甲项目", "保德", "2022/03/15", "1,200"],
    ["", "", "", "", ""],
    ["2", "乙项目", "偏关县", "2022年3月", "1.2亿"],
    ["填表人：李四"],
]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_csv_encodings(tmp_path, encoding):
    path = _write_csv(tmp_path / f"signed_{encoding}.csv", CSV_ROWS, encoding)
    read = read_file(path, "signed")
    f = read.frame
    assert read.sheets[0].sheet == path.stem
    assert read.sheets[0].header_rows == (2, 2)
    assert col(f, "_row") == [3, 5]
    assert col(f, "_sheet") == [path.stem, path.stem]
    assert col(f, "project_name") == ["甲项目", "乙项目"]
    assert col(f, "unit") == ["保德县", "偏关县"]
    assert col(f, "signing_date") == ["2022-03-15", "2022-03-01"]
    assert col(f, "total_investment") == [1200.0, 12000.0]
    assert [(s.row_number, s.reason) for s in read.skipped] == [(4, "blank"), (6, "note")]


def test_csv_tab_delimited_and_multiline_cell_line_numbers(tmp_path):
    rows = [["项目名称", "县区", "签约时间", "签约金额"], ["甲\n项目", "河曲", "2022-03-15", "600"],
            ["乙项目", "河曲", "2022-03-15", "700"]]
    path = _write_csv(tmp_path / "tab.csv", rows, "utf-8", delimiter="\t")
    read = read_file(path, "signed")
    assert col(read.frame, "_row") == [2, 4]  # the first record spans lines 2-3
    assert col(read.frame, "unit") == ["河曲县", "河曲县"]


def test_several_sheets_and_ignored_instructions_sheet(tmp_path):
    sheets = {
        "填表说明": [["填表说明"], ["1. 项目名称：填写全称"], ["2. 总投资单位为万元"]],
        "新建": [DISPATCH_HEADER, [1, "甲项目", "忻府区", "新建", 600, "续建"]],
        "空表": [],
        "技改": [["标题"], DISPATCH_HEADER, [1, "乙项目", "定襄县", "技改", 700, "续建"], ["小计"]],
    }
    read = read_file(make_xlsx(tmp_path / "multi.xlsx", sheets), "dispatch", display_name="忻府区/multi.xlsx")
    assert [s.sheet for s in read.sheets] == ["新建", "技改"]
    assert set(read.ignored_sheets) == {"填表说明", "空表"}
    assert "header" in read.ignored_sheets["填表说明"] and "empty" in read.ignored_sheets["空表"]
    f = read.frame
    assert col(f, "_sheet") == ["新建", "技改"]
    assert col(f, "_row") == [2, 3]
    assert col(f, "_file") == ["忻府区/multi.xlsx"] * 2
    assert read.file == "忻府区/multi.xlsx"
    assert read.rows_read == 3 and [s.reason for s in read.skipped] == ["subtotal"]
    assert read.sha256 == readers.sha256_of(tmp_path / "multi.xlsx")


def test_frame_columns_complete_and_typed(tmp_path):
    rows = [["项目名称", "县区", "总投资"], ["甲项目", "忻府区", 600]]
    read = read_file(one_sheet(tmp_path, rows), "reserve")
    f = read.frame
    names = [h.name for h in config.header_fields()]
    assert list(f.columns) == ["_file", "_sheet", "_row", *(n + "_raw" for n in names), *names, "name_key"]
    assert list(f.columns) == readers.frame_columns()
    assert f["_row"].dtype == "int64"
    assert f["owner_raw"].dtype == object and f["owner_raw"].tolist() == [None]
    assert math.isnan(f["month_investment"].iloc[0])
    assert list(readers.empty_frame().columns) == list(f.columns)
    both = pd.concat([f, f], ignore_index=True)
    assert both["owner"].tolist() == [None, None] and both["total_investment"].dtype == "float64"


# ---------------------------------------------------------------- Excel row numbers


def test_exact_row_numbers_when_used_range_does_not_start_at_a1(tmp_path):
    rows = [
        ["忻州市2022年工业重点项目储备库"],
        ["项目名称", "县区", "总投资"],
        ["甲项目", "忻府区", 600],
        [],
        ["乙项目", "忻府区", 700],
    ]
    # first two rows and first two columns empty; a merged title row
    path = one_sheet(tmp_path, rows, merges=["C3:E3"], origin=(3, 3))
    read = read_file(path, "reserve")
    sheet = read.sheets[0]
    assert sheet.header_rows == (4, 4)
    assert sheet.columns == {"project_name": 2, "unit": 3, "total_investment": 4}
    assert col(read.frame, "_row") == [5, 7]
    assert [(s.row_number, s.reason) for s in read.skipped] == [(6, "blank")]


def test_header_found_only_in_first_30_rows(tmp_path):
    rows = [[f"说明第{i}行"] for i in range(30)] + [["项目名称", "县区", "总投资"], ["甲", "忻府区", 600]]
    with pytest.raises(FileFault, match="no recognisable header"):
        read_file(one_sheet(tmp_path, rows), "reserve")
    rows = [[None]] * 29 + [["项目名称", "县区", "总投资"], ["甲", "忻府区", 600]]
    read = read_file(one_sheet(tmp_path, rows, name="b.xlsx"), "reserve")
    assert read.sheets[0].header_rows == (30, 30) and col(read.frame, "_row") == [31]


# ---------------------------------------------------------------- whole-file faults


def test_fault_no_header(tmp_path):
    path = one_sheet(tmp_path, [["某某表"], ["a", "b"], [1, 2]], name="nohead.xlsx")
    with pytest.raises(FileFault) as info:
        read_file(path, "reserve")
    assert "nohead.xlsx" in str(info.value) and "no recognisable header row in any sheet" in str(info.value)
    assert info.value.file == "nohead.xlsx"


def test_fault_missing_required_column(tmp_path):
    rows = [["项目名称", "县区", "总投资"], ["甲", "忻府区", 600]]
    path = one_sheet(tmp_path, rows, name="dispatch.xlsx", sheet="调度库")
    with pytest.raises(FileFault) as info:
        read_file(path, "dispatch")
    fault = info.value
    assert fault.file == "dispatch.xlsx" and fault.sheet == "调度库"
    text = str(fault)
    assert "dispatch.xlsx" in text and "调度库" in text
    assert "nature (建设性质)" in text and "status (开工状态)" in text and "missing required column" in text
    # the same sheet is fine for the reserve list
    assert len(read_file(path, "reserve").frame) == 1


def test_fault_missing_unit_column_without_reporter(tmp_path):
    rows = [["项目名称", "总投资"], ["甲", 600]]
    with pytest.raises(FileFault, match=r"unit \(县"):
        read_file(one_sheet(tmp_path, rows), "reserve")


def _fake_encrypted_ole() -> bytes:
    """A minimal OLE2/CFB container whose directory names an EncryptionInfo stream (as Office writes)."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[24:28] = struct.pack("<HH", 0x3E, 3)
    header[28:34] = struct.pack("<HHH", 0xFFFE, 9, 6)
    directory = bytearray(512)
    for i, name in enumerate(["Root Entry", "EncryptionInfo", "EncryptedPackage"]):
        raw = name.encode("utf-16-le") + b"\x00\x00"
        directory[i * 128: i * 128 + len(raw)] = raw
        directory[i * 128 + 64: i * 128 + 66] = struct.pack("<H", len(raw))
    return bytes(header) + bytes(directory) + b"\x00" * 512


def test_fault_encrypted_workbook(tmp_path):
    path = tmp_path / "secret.xlsx"
    path.write_bytes(_fake_encrypted_ole())
    with pytest.raises(FileFault) as info:
        read_file(path, "reserve")
    text = str(info.value)
    assert "secret.xlsx" in text and "password-protected" in text and "without a password" in text


def test_fault_corrupt_zip(tmp_path):
    good = one_sheet(tmp_path, [["项目名称", "县区", "总投资"], ["甲", "忻府区", 600]], name="good.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(good.read_bytes()[:300])
    with pytest.raises(FileFault, match="bad.xlsx: the file is damaged"):
        read_file(bad, "reserve")


def test_fault_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(FileFault, match="notes.xlsx: the file cannot be opened as a workbook"):
        read_file(path, "reserve")


def test_fault_oversized_zip(tmp_path, monkeypatch):
    path = one_sheet(tmp_path, [["项目名称", "县区", "总投资"], ["甲", "忻府区", 600]])
    monkeypatch.setenv("KP_MAX_UNCOMPRESSED_MB", "0.001")
    with pytest.raises(FileFault, match="more than the allowed"):
        read_file(path, "reserve")


def test_fault_zip_bomb_ratio(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\x00" * (11 * 1024 * 1024))
    with pytest.raises(FileFault, match="zip bomb"):
        read_file(path, "reserve")


def test_fault_html_saved_as_xls_and_unsupported_and_empty(tmp_path):
    # a web page named .xls is read as one (issue 16); this one has no list header
    html = tmp_path / "export.xls"
    html.write_text("<html><table><tr><td>项目名称</td></tr></table></html>", encoding="utf-8")
    with pytest.raises(FileFault, match="no recognisable header") as exc:
        read_file(html, "reserve")
    assert exc.value.format == "html" and not exc.value.not_a_table
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\x00\x01")
    with pytest.raises(FileFault, match="PDF document, not a table") as exc:
        read_file(pdf, "reserve")
    assert exc.value.format == "pdf" and exc.value.not_a_table and "PDF" in exc.value.reason_zh
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(FileFault, match="empty"):
        read_file(empty, "reserve")
    with pytest.raises(FileFault, match="not found"):
        read_file(tmp_path / "missing.xlsx", "reserve")


def test_file_fault_str_and_pickle():
    import pickle

    fault = FileFault("a.xlsx", "missing required column unit (县(市、区))", sheet="Sheet1")
    assert str(fault) == "a.xlsx, sheet 'Sheet1': missing required column unit (县(市、区))"
    again = pickle.loads(pickle.dumps(fault))
    assert (again.file, again.sheet, again.message) == ("a.xlsx", "Sheet1", fault.message)
    assert str(FileFault("b.csv", "x")) == "b.csv: x"


def test_xml_entities_are_never_expanded(tmp_path):
    """A workbook whose XML declares entities (billion laughs, an external file) is refused with a
    message naming it: calamine's XML reader does not expand entities, and nothing is read literally
    either."""
    src = one_sheet(tmp_path, [["项目名称", "县区", "总投资"], ["甲", "忻府区", 600]], name="src.xlsx")
    evil = tmp_path / "evil.xlsx"
    doctype = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
               '<!ENTITY x SYSTEM "file:///etc/hostname">]>')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(evil, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                assert "<sheetData>" in text and "<!DOCTYPE" not in text
                text = doctype + text
                # an inline string cell that uses both entities
                text = text.replace("<sheetData>", '<sheetData><row r="20"><c r="A20" t="inlineStr"><is><t>&b;&x;'
                                                   "</t></is></c></row>", 1)
                data = text.encode("utf-8")
            zout.writestr(item, data)
    with pytest.raises(FileFault, match="evil.xlsx"):
        read_file(evil, "reserve")
