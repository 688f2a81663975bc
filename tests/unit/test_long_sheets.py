"""The long lists are written as write-only sheets (docs/decisions.md, 'Write-only sheets'): a row
deep in a large 退回清单 and a large 漏报项目 sheet keeps the look of a short one (font, border,
alignment, format, height, quote prefix), the sheet keeps its title block and print set-up, and the
same rows give the same bytes."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from keyprojects.documents import bulletin_sheets, look, returns

Q = "2022Q4"
N = 3000
MOMENT = dt.datetime(2022, 12, 31)


def rejected_rows() -> list[dict]:
    """Rows too wide for A4 (their cells go in one wrapped 原表内容 column); every 500th came in a
    file whose name a spreadsheet would take for a formula, every 1000th has a character XML cannot hold."""
    rows = []
    for i in range(1, N + 1):
        name = f"忻府区第{i}号年产五万吨新材料项目" + ("\x01" if i % 1000 == 7 else "")
        rows.append({"list": "signed", "file": "=签约.xlsx" if i % 500 == 0 else "签约.xlsx", "sheet": "Sheet1",
                     "row_number": i + 3, "rule": "bad_date", "field": "signing_date", "value": "2022年13月",
                     "in_bureau_list": False,
                     "cells": {"unit": "忻府区", "project_name": name, "owner": "甲公司",
                               "progress": "设备安装" * (i % 7), "problems": "无", "total_investment": str(i),
                               "signing_date": "2022年13月"}})
    return rows


def missed_rows() -> list[dict]:
    return [{"unit": "忻府区", "project_code": f"2203-140902-89-01-{i:06d}", "project_name": f"甲公司第{i:05d}号项目",
             "owner": "-负责人" if i % 700 == 0 else "甲公司", "total_investment": 1000 + i, "sources": "签约",
             "source_date": "2022-03-01", "candidate_name": None, "candidate_similarity": None,
             "category": "missed"} for i in range(1, N + 1)]


def returns_bytes() -> bytes:
    return look.workbook_bytes(returns.build_workbook("市商务局", Q, rejected_rows()), MOMENT)


def missed_bytes() -> bytes:
    wb = look.stream_workbook()
    bulletin_sheets.write_missed_sheet(wb.create_sheet("漏报项目"), Q, {}, missed_rows(), lambda unit: (0, unit or ""))
    return look.workbook_bytes(wb, MOMENT)


def border_sides(cell) -> set:
    b = cell.border
    return {(s.style, s.color.rgb) for s in (b.left, b.right, b.top, b.bottom)}


def tall_enough(ws, row: int, widths: list[float]) -> float:
    """The height that shows every text cell of the row whole, each line of it wrapped."""
    texts = [(c.value, w) for c, w in zip(ws[row], widths, strict=False) if isinstance(c.value, str)]
    return max([18.0] + [sum(look.row_height(p, w) - 4 for p in v.split("\n")) + 4 for v, w in texts])


@pytest.mark.parametrize("make", [returns_bytes, missed_bytes], ids=["退回清单", "漏报项目"])
def test_a_long_sheet_is_the_same_bytes_on_every_run(make):
    assert make() == make()


def test_a_row_deep_in_a_long_returns_sheet_keeps_the_look():
    ws = load_workbook(io.BytesIO(returns_bytes()))["签约清单"]
    widths = [6, 22, 10, 6, returns.ORIGINAL_WIDTH, 34, 40]
    assert ws.max_row == 3 + N and [c.value for c in ws[3]][4] == returns.ORIGINAL
    assert [ws.column_dimensions[c].width for c in "ABCDEFG"] == widths
    assert {"A1:G1", "A2:C2", "D2:G2"} <= {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].font.name == "黑体" and ws["A1"].font.sz == 16 and ws.row_dimensions[1].height == 30
    assert ws["A2"].alignment.wrap_text and ws.row_dimensions[2].height > 18
    assert ws.freeze_panes == "A4" and ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页" and "市商务局" in ws.oddHeader.center.text
    assert ws["A3"].value == "序号" and ws["A3"].fill.fgColor.rgb.endswith("D9E1F2") and ws["A3"].font.b
    for r in (4, 2500, 2 + N):
        seq, file, text, problem = ws.cell(r, 1), ws.cell(r, 2), ws.cell(r, 5), ws.cell(r, 6)
        assert seq.value == r - 3 and seq.number_format == "0" and seq.alignment.horizontal == "center"
        assert file.value == "签约.xlsx" and file.alignment.horizontal == "left" and file.alignment.wrap_text
        for c in (seq, file, text, problem):
            assert (c.font.name, c.font.sz, c.font.b) == ("宋体", 10, False)
            assert border_sides(c) == {("thin", "00808080")}
        assert text.value.count("\n") >= 5 and ws.row_dimensions[r].height == tall_enough(ws, r, widths) > 18
    assert "\x01" not in ws.cell(3 + 1007, 5).value and "第1007号" in ws.cell(3 + 1007, 5).value
    formula_like = ws.cell(3 + 500, 2)
    assert formula_like.value == "=签约.xlsx" and formula_like.data_type == "s" and formula_like.quotePrefix
    assert not ws.cell(3 + 499, 2).quotePrefix


def test_a_row_deep_in_a_long_missed_sheet_keeps_the_look():
    ws = load_workbook(io.BytesIO(missed_bytes()))["漏报项目"]
    assert ws.freeze_panes == "A4" and ws.print_title_rows == "$3:$3" and int(ws.page_setup.paperSize) == 9
    assert ws["A1"].value.endswith("漏报项目清单（2022年第四季度）")
    assert ws["A4"].value == f"一、漏报项目（计入漏报数）：{N}个"
    # a section heading is one line across the table (not wrapped into the narrow 序号 column)
    assert "A4:K4" in {str(m) for m in ws.merged_cells.ranges} and ws.row_dimensions[4].height == 20
    assert ws["A4"].font.b and ws["A4"].alignment.horizontal == "left"
    row = 4 + 700  # the 700th project, under its section heading
    seq, code, owner, total = (ws.cell(row, j) for j in (1, 3, 5, 6))
    assert seq.value == 700 and seq.alignment.horizontal == "center"
    assert owner.value == "-负责人" and owner.data_type == "s" and owner.quotePrefix
    assert not ws.cell(row - 1, 5).quotePrefix
    assert total.value == 1700 and total.number_format == "#,##0.00" and total.alignment.horizontal == "right"
    for c in (seq, code, owner, total):
        assert (c.font.name, c.font.sz) == ("宋体", 10) and border_sides(c) == {("thin", "00808080")}
    assert ws.row_dimensions[row].height == tall_enough(ws, row, [5, 12, 25, 40, 28, 12, 11, 12, 40, 8, 30])
    last = 4 + 2 + N  # the two empty sections' headings after the last project
    assert ws.cell(last + 2, 1).value.startswith("注：") and ws.cell(last + 2, 1).font.sz == 9


def test_rows_of_a_write_only_sheet_go_top_to_bottom():
    wb = look.stream_workbook()
    ws = wb.create_sheet("x")
    look.write_row(ws, 2, [look.cell(ws, "b")])
    with pytest.raises(ValueError, match="top to bottom"):
        look.write_row(ws, 2, [look.cell(ws, "c")])
    look.write_row(ws, 4, [None, look.cell(ws, 4)])
    back = load_workbook(io.BytesIO(look.workbook_bytes(wb, MOMENT)))["x"]
    assert [[c.value for c in row] for row in back.iter_rows()] == [[None, None], ["b", None], [None, None], [None, 4]]
