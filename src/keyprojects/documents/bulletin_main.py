"""The 季度通报 sheet of the quarterly bulletin: its columns, header block, unit, subtotal and
全市合计 rows (figures and notes from the SQL models, laid out here)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from keyprojects import config
from keyprojects.documents import look
from keyprojects.quarters import quarter_end

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
    Column("unit", None, "县（市、区）", "text", 17),
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
FORMATS = {"count": look.COUNT, "amount": look.AMOUNT, "rate": look.RATE}
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
# Sheets


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


def _write_unit_row(ws, r: int, seq: int | None, row: dict, kind: str = "unit") -> None:
    """One row of the main table; kind: unit | group (zone-group subtotal) | city (全市合计)."""
    font = look.BODY_FONT if kind == "unit" else look.TOTAL_FONT
    fill = {"group": look.GROUP_FILL, "city": look.TOTAL_FILL}.get(kind)
    attained = look.as_int(row.get("growth_attained"))
    row = _with_denominator(row)
    cells = []
    for c in COLUMNS:
        if c.key == "seq":
            value = seq
        elif c.key == "unit":
            value = row.get("unit")
        elif c.key == "note":
            value = unit_note(row.get("note")) if kind == "unit" else (row.get("note") or None)
        elif c.key == "growth_attained":
            value = None if attained is None else ("达标" if attained else "未达标")
        elif c.kind == "count":
            value = look.as_int(row.get(c.key))
        else:
            value = look.as_number(row.get(c.key))
        align = look.CENTER if c.key in ("seq", "unit", "growth_attained", "growth_rank") else None
        # blank figure cells keep their number format, for hand edits
        cells.append(look.cell(ws, value, FORMATS.get(c.kind), font=font, alignment=align, fill=fill))
    look.attained_style(cells[COL["industrial_growth"] - 1], attained)
    look.attained_style(cells[COL["growth_attained"] - 1], attained)
    note = cells[COL["note"] - 1].value
    look.write_row(ws, r, cells, look.row_height(str(note or ""), COLUMNS[COL["note"] - 1].width))


# The unit mart's 说明 clause for projects without cluster words (030_bulletin_unit_quarter.sql): the
# same words in many rows, so the sheet gives them once, in a note under the table, with the counts.
CLUSTER_CLAUSE = re.compile(r"(?:^|；)(\d+)个项目未填所属产业集群，集群项目数无法计算")


def unit_note(note: str | None) -> str | None:
    """A unit row's 说明 without the cluster clause (said once under the table)."""
    return CLUSTER_CLAUSE.sub("", note or "").strip("；") or None


def cluster_note(units: Sequence[dict]) -> str | None:
    """The one note for the units with projects lacking cluster words, with their counts."""
    found = [(u["unit"], m[1]) for u in units if (m := CLUSTER_CLAUSE.search(u.get("note") or ""))]
    if not found:
        return None
    return ("以下单位有项目未填所属产业集群，其集群项目数、占比无法计算（空白）："
            + "、".join(f"{unit}（{n}个）" for unit, n in found) + "。")


def header_block(ws, quarter: str, header: dict, ncols: int, unit_text: str | None,
                  not_reported: Sequence[str] = ()) -> None:
    """Row 2: 制表单位 | 数据截止日期 | 制表日期 | 单位, then (main sheet) row 3: who has not reported.
    Set the sheet's column widths first: a part wider than its third of the row wraps, and the row
    is made tall enough to show it whole (never clipped at the cell's edge)."""
    issuer = header.get("issuer") or config.bulletin()["issuer"]
    cutoff = _cn_date(header.get("data_cutoff")) or _cn_date(quarter_end(quarter).isoformat())
    made = _cn_date(header.get("tabulated_on")) or cutoff
    third = max(1, ncols // 3)
    spans = [(1, third, f"制表单位：{issuer}", "left"),
             (third + 1, 2 * third, f"数据截止日期：{cutoff}", "center"),
             (2 * third + 1, ncols, f"制表日期：{made}" + (f"    {unit_text}" if unit_text else ""), "right")]
    height = 18.0
    cells: list = [None] * ncols
    for start, end, text, how in spans:
        if end > start:
            look.merge(ws, look.SUBTITLE_ROW, start, look.SUBTITLE_ROW, end)
        width = sum(ws.column_dimensions[get_column_letter(j)].width or 8.43 for j in range(start, end + 1))
        height = max(height, look.row_height(text, width))
        cells[start - 1] = look.cell(ws, text, font=look.SUBTITLE_FONT,
                                     alignment=Alignment(horizontal=how, vertical="center", wrap_text=True),
                                     border=False)
    look.write_row(ws, look.SUBTITLE_ROW, cells, height)
    if not_reported:
        look.merge(ws, look.HEADER_INFO_ROW, 1, look.HEADER_INFO_ROW, ncols)
        look.write_row(ws, look.HEADER_INFO_ROW, [look.cell(
            ws, f"本季度未报送调度库的单位（{len(not_reported)}个）：" + "、".join(not_reported)
            + "。其调度库各项数字为空，不计漏报，合计不含其数据。",
            font=Font(name=look.FONT, size=10, bold=True, color=look.BAD_FONT_COLOR), alignment=look.LEFT,
            border=False)], 18)


def write_main_sheet(ws, quarter: str, units: list[dict], groups: list[dict], header: dict) -> int:
    """The 季度通报 sheet (write-only: rows top to bottom); returns the row of 全市合计."""
    ncols = len(COLUMNS)
    title = f"{look.CITY}工业重点项目建设情况通报（{look.quarter_label(quarter)}）"
    for c in COLUMNS:  # written with the first row: widths, frozen panes, print set-up
        ws.column_dimensions[get_column_letter(COL[c.key])].width = c.width
    ws.freeze_panes = f"{get_column_letter(COL['unit'] + 1)}{FIRST_DATA_ROW}"
    look.print_setup(ws, f"{look.HEADER_ROW1}:{look.HEADER_ROW2}")
    # 25 columns fit A4 landscape only at ~50% (tiny print): this sheet prints on A3 landscape.
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A3
    ws.oddHeader.center.text = title
    ws.oddHeader.center.size = 9
    look.title_row(ws, title, ncols)
    not_reported = [u["unit"] for u in units if u.get("dispatch_status") == "not_received"]
    header_block(ws, quarter, header, ncols, "单位：万元", not_reported)

    # Two header rows: a group header merged over its columns, single headers merged downwards.
    upper: list = [None] * ncols
    lower: list = [None] * ncols
    col = 1
    while col <= ncols:
        c = COLUMNS[col - 1]
        if c.group is None:
            look.merge(ws, look.HEADER_ROW1, col, look.HEADER_ROW2, col)
            upper[col - 1], lower[col - 1] = look.header(ws, c.header), look.header(ws, None)
            col += 1
            continue
        end = col
        while end < ncols and COLUMNS[end].group == c.group:
            end += 1
        look.merge(ws, look.HEADER_ROW1, col, look.HEADER_ROW1, end)
        for j in range(col, end + 1):
            upper[j - 1] = look.header(ws, c.group if j == col else None)
            lower[j - 1] = look.header(ws, COLUMNS[j - 1].header)
        col = end + 1
    look.write_row(ws, look.HEADER_ROW1, upper, 20)
    look.write_row(ws, look.HEADER_ROW2, lower, max(28.0, *(look.row_height(c.header, c.width) for c in COLUMNS)))

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

    # 开复工率 / 规范入统率 at a glance: the lowest unit red, the median yellow, the highest green,
    # so the worst stands out however high the rates are.
    if units:
        for key in ("start_rate", "registration_rate"):
            letter = get_column_letter(COL[key])
            ws.conditional_formatting.add(
                f"{letter}{FIRST_DATA_ROW}:{letter}{last_unit_row}",
                ColorScaleRule(start_type="min", start_color="F8696B",
                               mid_type="percentile", mid_value=50, mid_color="FFEB84",
                               end_type="max", end_color="63BE7B"))
    notes = [
        "注：1. 金额单位为万元；增速、比率以百分比显示。",
        "2. 空白单元格表示该项数据缺失或无法计算（如未报送、无上年同期数据、分母为0），原因见“说明”列。",
        ("3. 同比增速单元格绿色表示达到目标增速，红色表示未达到；无目标或无法计算时不着色。位次按工业投资"
         "同比增速高于目标增速的幅度排列（1为最高），无增速或无目标的单位不排位次。"),
        ("4. 小计、全市合计：个数、金额为各单位之和（不含未报送或无法计算的单位，见“说明”）；开复工率=开复工项目数/"
         "调度库项目数，规范入统率=已入统/应入统（开复工项目数），占比=项目数/调度库项目数，增速=本年累计/上年同期-1，"
         "均由合计数计算。"),
        "5. 漏报项目、未入统项目明细见《漏报项目》《未入统项目》工作表，全市目标完成情况见《全市目标》工作表。",
        ("6. 开复工率、规范入统率按各单位高低着色：最低为红色，居中为黄色，最高为绿色。"),
    ]
    ungrouped = [u["unit"] for u in units if not u.get("zone_group")]
    if ungrouped and any(g.get("group_kind") != "city" for g in groups):
        notes.append(f"{len(notes) + 1}. {'、'.join(ungrouped)}不属于任何分组，未计入小计，"
                     "故各小计之和不等于全市合计（全市合计含其数据）。")
    clusters = cluster_note(units)
    if clusters:
        notes.append(f"{len(notes) + 1}. {clusters}")
    nr = r + 1
    for text in notes:
        look.merge(ws, nr, 1, nr, ncols)
        look.write_row(ws, nr, [look.cell(ws, text, font=look.NOTE_FONT, alignment=Alignment(
            horizontal="left", vertical="top", wrap_text=True), border=False)],
                       look.row_height(text, sum(c.width for c in COLUMNS)))
        nr += 1
    return city_row
