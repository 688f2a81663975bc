"""The quarterly bulletin (季度通报): the mart tables of one quarter as a printable Chinese workbook.

``write_bulletin(engine, "2022Q1", output_dir)`` reads the marts ``bulletin_unit_quarter``,
``bulletin_group_quarter``, ``bulletin_quarter``, ``missed_projects``, ``unregistered_projects`` and
``city_targets`` (bound parameters only) and writes
``<output_dir>/2022Q1/忻州市工业重点项目2022年第一季度通报.xlsx`` with the sheets

* ``季度通报``   header block (issuer, 数据截止日期, 制表日期, units not reported), one row per unit in
  the plan's order, zone-group subtotals and 全市合计, the 说明 of every blank figure;
* ``漏报项目``   one row per project the bureaus' lists name and the unit's libraries miss;
* ``未入统项目`` started projects not registered in investment statistics;
* ``全市目标``   the city's progress against the year's targets, amounts in 亿元;
* ``图表``       native Excel charts (growth against target, 开复工率).

Every figure, total and note comes from the SQL models (include/sql/models); this module lays them
out and formats them, and computes nothing.

Text from input files is always written as a plain string cell (never a formula, never a link),
and the file is deterministic: the same data give the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import config
from .documents import write_atomic
from .quarters import quarter_end
from .warehouse import fetch
from .workbook import (  # noqa: F401  (the look shared with the other workbooks)
    AMOUNT,
    BAD_FILL,
    BAD_FONT_COLOR,
    BODY_FONT,
    BORDER,
    CENTER,
    CITY,
    CN_QUARTER,
    COUNT,
    FONT,
    FORMULA_LEAD,
    GOOD_FILL,
    GOOD_FONT_COLOR,
    GROUP_FILL,
    HEADER_FILL,
    HEADER_FONT,
    HEADER_INFO_ROW,
    HEADER_ROW1,
    HEADER_ROW2,
    LEFT,
    MEASURE_LABELS,
    NOTE_FONT,
    RATE,
    RIGHT,
    SUBTITLE_FONT,
    SUBTITLE_ROW,
    THIN,
    TITLE_FONT,
    TITLE_ROW,
    TOTAL_FILL,
    TOTAL_FONT,
    _attained_style,
    _fixed_moment,
    _header_cell,
    _int,
    _normal_quarter,
    _num,
    _print_setup,
    _row_height,
    _title,
    _workbook_bytes,
    bulletin_filename,
    cutoff_label,
    put,
    quarter_label,
    safe_text,
)

# --------------------------------------------------------------------------------------------
# The main table's columns


@dataclass(frozen=True)
class Column:
    key: str                 # mart column (or a derived key)
    group: str | None        # upper header (merged over the group), None for a single header
    header: str              # lower header (or the only one)
    kind: str                # text | count | amount | rate
    width: float


COLUMNS: tuple[Column, ...] = (
    Column("seq", None, "序号", "count", 5),
    Column("unit", None, "县（市、区）", "text", 14),
    Column("dispatch_projects", "调度库项目", "个数", "count", 7),
    Column("dispatch_total_investment", "调度库项目", "总投资", "amount", 12),
    Column("industrial_investment", "工业投资", "本年累计", "amount", 11),
    Column("industrial_investment_prev", "工业投资", "上年同期", "amount", 11),
    Column("industrial_growth", "工业投资", "同比增速", "rate", 8),
    Column("target_growth", "工业投资", "目标增速", "rate", 8),
    Column("growth_attained", "工业投资", "是否达标", "text", 7),
    Column("growth_rank", "工业投资", "位次", "count", 5),
    Column("newbuild_investment", "新建类投资", "本年累计", "amount", 11),
    Column("newbuild_growth", "新建类投资", "同比增速", "rate", 8),
    Column("renovation_investment", "技改投资", "本年累计", "amount", 11),
    Column("renovation_growth", "技改投资", "同比增速", "rate", 8),
    Column("started_projects", "开复工", "开复工项目数", "count", 7),
    Column("start_rate", "开复工", "开复工率", "rate", 8),
    Column("registered_projects", "规范入统", "已入统", "count", 6),
    Column("started_for_registration", "规范入统", "应入统", "count", 6),
    Column("registration_rate", "规范入统", "规范入统率", "rate", 8),
    Column("missed_reports", None, "漏报项目数", "count", 7),
    Column("yiyuan_projects", "亿元以上项目", "个数", "count", 6),
    Column("yiyuan_share", "亿元以上项目", "占比", "rate", 7),
    Column("cluster_projects", "集群项目", "个数", "count", 6),
    Column("cluster_share", "集群项目", "占比", "rate", 7),
    Column("note", None, "说明", "text", 28),
)
COL = {c.key: i + 1 for i, c in enumerate(COLUMNS)}
FORMATS = {"count": COUNT, "amount": AMOUNT, "rate": RATE}
FIRST_DATA_ROW = 6

FIGURE_COLUMNS = (
    "dispatch_projects", "dispatch_total_investment", "industrial_investment", "industrial_investment_prev",
    "industrial_growth", "target_growth", "growth_attained", "newbuild_investment", "newbuild_growth",
    "renovation_investment", "renovation_growth", "started_projects", "start_rate", "registered_projects",
    "registration_rate", "missed_reports", "yiyuan_projects", "yiyuan_share", "cluster_projects", "cluster_share",
    "note",
)
UNIT_COLUMNS = ("unit", "unit_order", "zone_group", "reserve_status", "dispatch_status", "growth_rank",
                *FIGURE_COLUMNS)
GROUP_COLUMNS = ("group_kind", "group_name", "group_order", "units_not_reported", *FIGURE_COLUMNS)


# --------------------------------------------------------------------------------------------
# Reading the marts (every figure and note is the SQL models'; this module only lays them out)


def read_quarter(conn, quarter: str) -> dict[str, list[dict]]:
    """The quarter's rows of the marts the bulletin shows (bound parameters only), in print order."""
    return {
        "units": fetch(conn, f"select {', '.join(UNIT_COLUMNS)} from bulletin_unit_quarter "
                             "where quarter = :quarter order by unit_order, unit", quarter=quarter),
        "groups": fetch(conn, f"select {', '.join(GROUP_COLUMNS)} from bulletin_group_quarter "
                              "where quarter = :quarter order by group_order, group_name", quarter=quarter),
        "header": fetch(conn, "select issuer, data_cutoff, tabulated_on, units_not_reported from bulletin_quarter "
                              "where quarter = :quarter", quarter=quarter),
        "missed": fetch(conn, "select unit, project_code, project_name, owner, total_investment, sources, "
                              "source_date, candidate_name, candidate_similarity from missed_projects "
                              "where quarter = :quarter", quarter=quarter),
        "unregistered": fetch(conn, "select unit, project_code, project_name, nature, status, start_date, "
                                    "total_investment from unregistered_projects where quarter = :quarter",
                              quarter=quarter),
        "targets": fetch(conn, "select indicator, label, measure, target_shown, actual_shown, shown_unit, attained, "
                               "progress, note from city_targets where quarter = :quarter "
                               "order by indicator_order, measure_order", quarter=quarter),
    }


def ordered_units(rows: Sequence[dict]) -> list[dict]:
    """Every configured unit in the plan's order (a unit without a mart row gets an empty row),
    then any other unit the mart names, by its unit_order and name."""
    by_unit = {r["unit"]: r for r in rows}
    out = []
    for u in config.units():
        row = by_unit.pop(u.name, None)
        out.append(dict(row) if row is not None else {"unit": u.name, "note": "本季度无该单位汇总数据"})
    extra = sorted(by_unit.values(), key=lambda r: (r.get("unit_order") is None, r.get("unit_order") or 0, r["unit"]))
    out.extend(dict(r) for r in extra)
    return out


def _with_denominator(row: dict) -> dict:
    """应入统 is the 开复工项目数 the registration rate is taken of (shown only beside a rate)."""
    out = dict(row)
    out["started_for_registration"] = row.get("started_projects") if row.get("registered_projects") is not None \
        else None
    return out


def _cn_date(iso: str | None) -> str:
    if not iso:
        return ""
    d = dt.date.fromisoformat(str(iso)[:10])
    return f"{d.year}年{d.month}月{d.day}日"


# --------------------------------------------------------------------------------------------
# Sheets


def _write_unit_row(ws: Worksheet, r: int, seq: int | None, row: dict, kind: str = "unit") -> None:
    """One row of the main table; kind: unit | group (zone-group subtotal) | city (全市合计)."""
    font = BODY_FONT if kind == "unit" else TOTAL_FONT
    attained = _int(row.get("growth_attained"))
    row = _with_denominator(row)
    for c in COLUMNS:
        col = COL[c.key]
        if c.key == "seq":
            value = seq
        elif c.key == "unit":
            value = row.get("unit")
        elif c.key == "note":
            value = row.get("note") or None
        elif c.key == "growth_attained":
            value = None if attained is None else ("达标" if attained else "未达标")
        elif c.kind == "count":
            value = _int(row.get(c.key))
        else:
            value = _num(row.get(c.key))
        align = CENTER if c.key in ("seq", "unit", "growth_attained", "growth_rank") else None
        cell = put(ws, r, col, value, FORMATS.get(c.kind), font=font, alignment=align)
        if c.kind in ("count", "amount", "rate"):
            cell.number_format = FORMATS[c.kind]  # blank cells keep the format, for hand edits
        if kind == "group":
            cell.fill = GROUP_FILL
        elif kind == "city":
            cell.fill = TOTAL_FILL
    _attained_style(ws.cell(r, COL["industrial_growth"]), attained)
    _attained_style(ws.cell(r, COL["growth_attained"]), attained)
    ws.row_dimensions[r].height = _row_height(str(row.get("note") or ""), COLUMNS[COL["note"] - 1].width)


def _header_block(ws: Worksheet, quarter: str, header: dict, ncols: int, unit_text: str | None,
                  not_reported: Sequence[str] = ()) -> None:
    """Title, then 印发单位 | 数据截止日期 | 制表日期 | 单位, then (main sheet) who has not reported."""
    issuer = header.get("issuer") or config.bulletin()["issuer"]
    cutoff = _cn_date(header.get("data_cutoff")) or _cn_date(quarter_end(quarter).isoformat())
    made = _cn_date(header.get("tabulated_on")) or cutoff
    third = max(1, ncols // 3)
    spans = [(1, third, f"印发单位：{issuer}", "left"),
             (third + 1, 2 * third, f"数据截止日期：{cutoff}", "center"),
             (2 * third + 1, ncols, f"制表日期：{made}" + (f"    {unit_text}" if unit_text else ""), "right")]
    for start, end, text, how in spans:
        if end > start:
            ws.merge_cells(start_row=SUBTITLE_ROW, start_column=start, end_row=SUBTITLE_ROW, end_column=end)
        put(ws, SUBTITLE_ROW, start, text, font=SUBTITLE_FONT, alignment=Alignment(horizontal=how), border=False)
    if not_reported:
        ws.merge_cells(start_row=HEADER_INFO_ROW, start_column=1, end_row=HEADER_INFO_ROW, end_column=ncols)
        put(ws, HEADER_INFO_ROW, 1, f"本季度未报送调度库的单位（{len(not_reported)}个）：" + "、".join(not_reported)
            + "。其调度库各项数字为空，不计漏报，合计不含其数据。",
            font=Font(name=FONT, size=10, bold=True, color=BAD_FONT_COLOR), alignment=LEFT, border=False)
        ws.row_dimensions[HEADER_INFO_ROW].height = 18


def write_main_sheet(ws: Worksheet, quarter: str, units: list[dict], groups: list[dict], header: dict) -> int:
    """The 季度通报 sheet; returns the row of 全市合计."""
    ncols = len(COLUMNS)
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncols)
    put(ws, TITLE_ROW, 1, f"{CITY}工业重点项目建设情况通报（{quarter_label(quarter)}）", font=TITLE_FONT,
        alignment=Alignment(horizontal="center", vertical="center"), border=False)
    ws.row_dimensions[TITLE_ROW].height = 30
    not_reported = [u["unit"] for u in units if u.get("dispatch_status") == "not_received"]
    _header_block(ws, quarter, header, ncols, "单位：万元", not_reported)

    # Two header rows: a group header merged over its columns, single headers merged downwards.
    col = 1
    while col <= ncols:
        c = COLUMNS[col - 1]
        if c.group is None:
            ws.merge_cells(start_row=HEADER_ROW1, start_column=col, end_row=HEADER_ROW2, end_column=col)
            _header_cell(ws, HEADER_ROW1, col, c.header)
            _header_cell(ws, HEADER_ROW2, col, None)
            col += 1
            continue
        end = col
        while end < ncols and COLUMNS[end].group == c.group:
            end += 1
        ws.merge_cells(start_row=HEADER_ROW1, start_column=col, end_row=HEADER_ROW1, end_column=end)
        _header_cell(ws, HEADER_ROW1, col, c.group)
        for j in range(col, end + 1):
            if j > col:
                _header_cell(ws, HEADER_ROW1, j, None)
            _header_cell(ws, HEADER_ROW2, j, COLUMNS[j - 1].header)
        col = end + 1
    ws.row_dimensions[HEADER_ROW1].height = 20
    ws.row_dimensions[HEADER_ROW2].height = 28

    r = FIRST_DATA_ROW
    for i, row in enumerate(units, start=1):
        _write_unit_row(ws, r, i, row)
        r += 1
    last_unit_row = r - 1
    city_row = r
    for g in groups:
        label = g["group_name"] if g.get("group_kind") == "city" else f"{g['group_name']}小计"
        _write_unit_row(ws, r, None, {**g, "unit": label}, "city" if g.get("group_kind") == "city" else "group")
        if g.get("group_kind") == "city":
            city_row = r
        r += 1

    # 开复工率 / 规范入统率 at a glance: red (low) to green (high) over the units.
    if units:
        for key in ("start_rate", "registration_rate"):
            letter = get_column_letter(COL[key])
            ws.conditional_formatting.add(
                f"{letter}{FIRST_DATA_ROW}:{letter}{last_unit_row}",
                ColorScaleRule(start_type="num", start_value=0, start_color="F8696B",
                               mid_type="num", mid_value=0.5, mid_color="FFEB84",
                               end_type="num", end_value=1, end_color="63BE7B"))

    notes = [
        "注：1. 金额单位为万元；增速、比率以百分比显示。",
        "2. 空白单元格表示该项数据缺失或无法计算（如未报送、无上年同期数据、分母为0），原因见“说明”列。",
        ("3. 同比增速单元格绿色表示达到目标增速，红色表示未达到；无目标或无法计算时不着色。位次按工业投资"
         "同比增速高于目标增速的幅度排列（1为最高），无增速或无目标的单位不排位次。"),
        ("4. 小计、全市合计：个数、金额为各单位之和（不含未报送或无法计算的单位，见“说明”）；开复工率=开复工项目数/"
         "调度库项目数，规范入统率=已入统/应入统（开复工项目数），占比=项目数/调度库项目数，增速=本年累计/上年同期-1，"
         "均由合计数计算。"),
        "5. 漏报项目、未入统项目明细见《漏报项目》《未入统项目》工作表，全市目标完成情况见《全市目标》工作表。",
    ]
    nr = r + 1
    for text in notes:
        ws.merge_cells(start_row=nr, start_column=1, end_row=nr, end_column=ncols)
        put(ws, nr, 1, text, font=NOTE_FONT, alignment=Alignment(horizontal="left", vertical="top", wrap_text=True),
            border=False)
        ws.row_dimensions[nr].height = 27 if len(text) > 90 else 15
        nr += 1

    for c in COLUMNS:
        ws.column_dimensions[get_column_letter(COL[c.key])].width = c.width
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, COL["unit"] + 1).coordinate
    _print_setup(ws, f"{HEADER_ROW1}:{HEADER_ROW2}")
    # 25 columns fit A4 landscape only at ~50% (tiny print): this sheet prints on A3 landscape.
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.oddHeader.center.text = f"{CITY}工业重点项目建设情况通报（{quarter_label(quarter)}）"
    ws.oddHeader.center.size = 9
    return city_row


def _write_list_sheet(ws: Worksheet, title: str, quarter: str, header: dict,
                      headers: Sequence[tuple[str, float]], rows: Sequence[Sequence[tuple]], empty_text: str,
                      footnote: str | None = None, unit_text: str = "单位：万元") -> None:
    """A titled, printable table. Each row is a sequence of (value, number format[, attained]) cells;
    an ``attained`` flag colours the cell green or red."""
    ncols = len(headers)
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncols)
    put(ws, TITLE_ROW, 1, title, font=TITLE_FONT, alignment=Alignment(horizontal="center", vertical="center"),
        border=False)
    ws.row_dimensions[TITLE_ROW].height = 30
    _header_block(ws, quarter, header, ncols, unit_text)
    hr = 3
    for j, (text, width) in enumerate(headers, start=1):
        _header_cell(ws, hr, j, text)
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.row_dimensions[hr].height = 28
    r = hr + 1
    if not rows:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        put(ws, r, 1, empty_text, alignment=CENTER)
    for values in rows:
        longest = 0.0
        for j, (value, fmt, *attained) in enumerate(values, start=1):
            cell = put(ws, r, j, value, fmt, alignment=CENTER if j <= 2 or attained else None)
            if fmt:
                cell.number_format = fmt
            if attained:
                _attained_style(cell, attained[0])
            if isinstance(value, str):
                longest = max(longest, _row_height(value, headers[j - 1][1]))
        ws.row_dimensions[r].height = max(18.0, longest)
        r += 1
    if footnote:
        ws.merge_cells(start_row=r + 1, start_column=1, end_row=r + 1, end_column=ncols)
        put(ws, r + 1, 1, footnote, font=NOTE_FONT, alignment=Alignment(horizontal="left", wrap_text=True),
            border=False)
        ws.row_dimensions[r + 1].height = 27 if len(footnote) > 80 else 15
    ws.freeze_panes = ws.cell(hr + 1, 1).coordinate
    _print_setup(ws, f"{hr}:{hr}")
    ws.oddHeader.center.text = title
    ws.oddHeader.center.size = 9


def write_missed_sheet(ws: Worksheet, quarter: str, header: dict, missed: Sequence[dict], unit_key) -> None:
    ordered = sorted(missed, key=lambda m: (unit_key(m.get("unit")), str(m.get("project_name") or ""),
                                            str(m.get("project_code") or "")))
    rows = []
    for i, m in enumerate(ordered, start=1):
        sim = _num(m.get("candidate_similarity"))
        rows.append([(i, COUNT), (m.get("unit"), None), (m.get("project_code"), None), (m.get("project_name"), None),
                     (m.get("owner"), None), (_num(m.get("total_investment")), AMOUNT), (m.get("sources"), None),
                     (m.get("source_date"), None), (m.get("candidate_name"), None), (sim, RATE if sim else None)])
    _write_list_sheet(ws, f"{CITY}工业重点项目漏报项目清单（{quarter_label(quarter)}）", quarter, header,
                      [("序号", 5), ("县（市、区）", 12), ("项目代码", 25), ("项目名称", 40), ("建设单位", 28),
                       ("总投资（万元）", 12), ("来源清单", 11), ("立项/签约日期", 12), ("疑似对应在库项目", 40),
                       ("相似度", 8)], rows, "本季度无漏报项目",
                      footnote="注：来源清单：签约=市商务局签约清单，立项=市行政审批局立项清单，能源=市能源局能源类清单；"
                               "一个项目列一行，多个来源以顿号分隔。“疑似对应在库项目”为本单位储备库/调度库中名称相近"
                               "（相似度≥90%）的项目，可能为同一项目名称填写不一致，请核实。未报送调度库的单位不计漏报。")


def write_unregistered_sheet(ws: Worksheet, quarter: str, header: dict, unregistered: Sequence[dict],
                             unit_key) -> None:
    ordered = sorted(unregistered, key=lambda m: (unit_key(m.get("unit")), str(m.get("project_name") or ""),
                                                  str(m.get("project_code") or "")))
    rows = [[(i, COUNT), (m.get("unit"), None), (m.get("project_code"), None), (m.get("project_name"), None),
             (m.get("nature"), None), (m.get("status"), None), (m.get("start_date"), None),
             (_num(m.get("total_investment")), AMOUNT)]
            for i, m in enumerate(ordered, start=1)]
    _write_list_sheet(ws, f"{CITY}工业重点项目未入统项目清单（{quarter_label(quarter)}）", quarter, header,
                      [("序号", 5), ("县（市、区）", 12), ("项目代码", 26), ("项目名称", 46), ("建设性质", 11),
                       ("开工状态", 11), ("开工时间", 12), ("总投资（万元）", 14)], rows, "本季度无未入统项目",
                      footnote="注：调度库中已开复工（新开工、续建、复工、竣工/投产）但未列入市统计局入统清单的项目。")


def write_targets_sheet(ws: Worksheet, quarter: str, header: dict, targets: Sequence[dict]) -> None:
    fmts = {"亿元": AMOUNT, "个": COUNT, "%": RATE}
    rows = []
    for i, t in enumerate(targets, start=1):
        fmt = fmts.get(t.get("shown_unit"), AMOUNT)
        attained = _int(t.get("attained"))
        measure = MEASURE_LABELS.get(t["measure"], t["measure"])
        rows.append([(i, COUNT), (t.get("label") or t["indicator"], None), (measure, None),
                     (_num(t.get("target_shown")), fmt), (_num(t.get("actual_shown")), fmt),
                     (None if attained is None else ("完成" if attained else "未完成"), None, attained),
                     (_num(t.get("progress")), RATE), (t.get("note"), None)])
    _write_list_sheet(ws, f"{CITY}工业重点项目全市目标完成情况（{quarter_label(quarter)}）", quarter, header,
                      [("序号", 5), ("指标", 30), ("口径", 10), ("目标", 12), ("实际", 12), ("是否完成", 9),
                       ("完成进度", 9), ("说明", 30)],
                      rows, "本年度未设全市目标（无目标配置）",
                      footnote="注：实际值为截至本季度末的累计数，与通报表“全市合计”行一致；年度目标按全年计；"
                               "完成进度=实际/目标（金额、个数）；空白表示无法计算，是否完成为空表示无法判断。",
                      unit_text="金额单位：亿元")


def write_charts_sheet(ws: Worksheet, main: Worksheet, quarter: str, header: dict, n_units: int) -> None:
    ncols = 16
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncols)
    put(ws, TITLE_ROW, 1, f"{CITY}工业重点项目建设情况图表（{quarter_label(quarter)}）", font=TITLE_FONT,
        alignment=Alignment(horizontal="center", vertical="center"), border=False)
    _header_block(ws, quarter, header, ncols, None)
    if n_units == 0:
        return
    first, last = FIRST_DATA_ROW, FIRST_DATA_ROW + n_units - 1
    # Unit names are text: categories as a string reference (set_categories would make a numRef).
    cats = str(Reference(main, min_col=COL["unit"], min_row=first, max_row=last))

    def categorise(chart) -> None:
        for series in chart.series:
            series.cat = AxDataSource(strRef=StrRef(f=cats))

    growth = BarChart()
    growth.type = "col"
    growth.title = "各县（市、区）工业投资同比增速与目标增速"
    growth.y_axis.title = "增速"
    growth.y_axis.number_format = "0%"
    growth.add_data(Reference(main, min_col=COL["industrial_growth"], min_row=first, max_row=last),
                    titles_from_data=False)
    categorise(growth)
    growth.series[0].tx = SeriesLabel(v="工业投资同比增速")
    target = LineChart()
    target.add_data(Reference(main, min_col=COL["target_growth"], min_row=first, max_row=last), titles_from_data=False)
    target.series[0].tx = SeriesLabel(v="目标增速")
    target.series[0].marker.symbol = "dash"
    target.series[0].marker.size = 12
    target.series[0].graphicalProperties.line.noFill = True
    target.series[0].marker.graphicalProperties = GraphicalProperties(solidFill="C00000")
    target.series[0].marker.graphicalProperties.line.solidFill = "C00000"  # visible over the bars
    categorise(target)
    growth += target
    growth.x_axis.delete = False
    growth.y_axis.delete = False
    growth.x_axis.tickLblPos = "low"  # unit names below the plot, not across negative bars
    growth.legend.position = "b"
    growth.width, growth.height = 26, 10
    ws.add_chart(growth, "A4")

    # Horizontal bars: one unit per line, its label at the bar's end, so labels never overlap.
    rate = BarChart()
    rate.type = "bar"
    rate.title = "各县（市、区）开复工率"
    rate.y_axis.title = "开复工率"
    rate.y_axis.number_format = "0%"
    rate.y_axis.scaling.min = 0
    rate.y_axis.scaling.max = 1.1
    rate.y_axis.majorUnit = 0.2
    rate.x_axis.scaling.orientation = "maxMin"  # the plan's order from top to bottom
    rate.y_axis.crosses = "max"  # ... with the percentage axis at the bottom
    rate.add_data(Reference(main, min_col=COL["start_rate"], min_row=first, max_row=last), titles_from_data=False)
    rate.series[0].tx = SeriesLabel(v="开复工率")
    categorise(rate)
    rate.dataLabels = DataLabelList()
    rate.dataLabels.showVal = True
    rate.dataLabels.showSerName = False
    rate.dataLabels.showCatName = False
    rate.dataLabels.showLegendKey = False
    rate.dataLabels.numFmt = "0.0%"
    rate.dataLabels.position = "outEnd"
    rate.gapWidth = 60
    rate.x_axis.delete = False
    rate.y_axis.delete = False
    rate.legend = None
    rate.width, rate.height = 26, 14
    ws.add_chart(rate, "A26")

    _print_setup(ws, "")
    ws.page_setup.fitToHeight = 1


# --------------------------------------------------------------------------------------------
# Saving


def build_workbook(data: dict[str, list[dict]], quarter: str) -> Workbook:
    rank = {u.name: u.order for u in config.units()}

    def unit_key(unit: str | None) -> tuple:
        return (rank.get(unit or "", len(rank)), unit or "")

    units = ordered_units(data["units"])
    header = data["header"][0] if data.get("header") else {}

    wb = Workbook()
    main = wb.active
    main.title = "季度通报"
    write_main_sheet(main, quarter, units, data.get("groups", []), header)
    write_missed_sheet(wb.create_sheet("漏报项目"), quarter, header, data["missed"], unit_key)
    write_unregistered_sheet(wb.create_sheet("未入统项目"), quarter, header, data["unregistered"], unit_key)
    write_targets_sheet(wb.create_sheet("全市目标"), quarter, header, data["targets"])
    write_charts_sheet(wb.create_sheet("图表"), main, quarter, header, len(units))
    wb.active = 0
    return wb


def write_bulletin(conn_or_engine, quarter: str, output_dir: Path) -> Path:
    """Write the quarter's bulletin workbook and return its path.

    ``<output_dir>/<quarter>/忻州市工业重点项目<YYYY>年第<N>季度通报.xlsx``; a rerun replaces the file
    (written to a temporary file and renamed, so a reader never sees half a workbook).
    Raises ``LookupError`` when the mart holds no rows for the quarter (the metrics have not run).
    """
    quarter = _normal_quarter(quarter)
    data = read_quarter(conn_or_engine, quarter)
    if not data["units"]:
        raise LookupError(f"bulletin_unit_quarter has no rows for {quarter}: run the quarter's metrics first")
    wb = build_workbook(data, quarter)
    payload = _workbook_bytes(wb, _fixed_moment(quarter))

    return write_atomic(Path(output_dir) / quarter / bulletin_filename(quarter), payload)
