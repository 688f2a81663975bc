"""The quarterly bulletin (季度通报): the mart tables of one quarter as a printable Chinese workbook.

``write_bulletin(engine, "2022Q1", output_dir)`` reads ``bulletin_unit_quarter``, ``missed_reports``,
``unregistered_projects`` and ``city_targets`` (bound parameters only) and writes
``<output_dir>/2022Q1/忻州市工业重点项目2022年第一季度通报.xlsx`` with the sheets

* ``季度通报``   one row per unit in the plan's order, then 全市合计, notes for blank figures;
* ``漏报项目``   the projects the bureaus' lists name and the units' libraries miss;
* ``未入统项目`` started projects not registered in investment statistics;
* ``全市目标``   the city's progress against the year's targets;
* ``图表``       native Excel charts (growth against target, 开复工率).

Text from input files is always written as a plain string cell (never a formula, never a link),
and the file is deterministic: the same data give the same bytes.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from . import config
from .quarters import parse_quarter, quarter_end
from .warehouse import fetch

CITY = "忻州市"
CN_QUARTER = {1: "一", 2: "二", 3: "三", 4: "四"}

AMOUNT = "#,##0.00"
COUNT = "0"
RATE = "0.0%"

SOURCE_LABELS = {
    "approved": "立项清单(行政审批局)",
    "energy": "能源类清单(能源局)",
    "signed": "签约清单(商务局)",
}
SOURCE_ORDER = {name: i for i, name in enumerate(SOURCE_LABELS)}
MEASURE_LABELS = {"amount": "金额(万元)", "growth": "增速", "count": "个数", "share": "占比"}
MEASURE_ORDER = {name: i for i, name in enumerate(MEASURE_LABELS)}
MEASURE_FORMATS = {"amount": AMOUNT, "growth": RATE, "count": COUNT, "share": RATE}

# Characters that make a spreadsheet (or a CSV export of it) treat text as a formula.
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r", "\n")

FONT = "宋体"
TITLE_FONT = Font(name="黑体", size=16, bold=True)
SUBTITLE_FONT = Font(name=FONT, size=11)
HEADER_FONT = Font(name=FONT, size=10, bold=True)
BODY_FONT = Font(name=FONT, size=10)
TOTAL_FONT = Font(name=FONT, size=10, bold=True)
NOTE_FONT = Font(name=FONT, size=9)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
GOOD_FILL = PatternFill("solid", fgColor="C6EFCE")  # Excel's "good" green
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")   # Excel's "bad" red
GOOD_FONT_COLOR = "006100"
BAD_FONT_COLOR = "9C0006"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")


# --------------------------------------------------------------------------------------------
# Names and dates


def quarter_label(quarter: str) -> str:
    """``2022Q1`` -> ``2022年第一季度``."""
    y, n = parse_quarter(quarter)
    return f"{y}年第{CN_QUARTER[n]}季度"


def bulletin_filename(quarter: str) -> str:
    return f"{CITY}工业重点项目{quarter_label(quarter)}通报.xlsx"


def cutoff_label(quarter: str) -> str:
    """``2022Q1`` -> ``截至2022年3月31日``."""
    d = quarter_end(quarter)
    return f"截至{d.year}年{d.month}月{d.day}日"


def _normal_quarter(quarter: str) -> str:
    y, n = parse_quarter(quarter)
    return f"{y}Q{n}"


# --------------------------------------------------------------------------------------------
# Safe cell writing


def safe_text(value: object) -> str:
    """Text for a cell: characters XML cannot hold removed (they would make the file unreadable)."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def put(ws: Worksheet, row: int, col: int, value: object, number_format: str | None = None,
        font: Font = BODY_FONT, alignment: Alignment | None = None, border: bool = True):
    """Write one cell. Strings are always plain text (data_type 's'): never a formula, never a link.

    openpyxl turns a string starting with '=' into a formula; forcing ``data_type = 's'`` after the
    assignment stores it as a shared string instead, and ``quotePrefix`` keeps Excel from turning it
    into a formula when somebody edits the cell.
    """
    cell = ws.cell(row=row, column=col)
    if isinstance(cell, MergedCell):
        if value is not None:
            raise ValueError(f"cell {cell.coordinate} lies inside a merged range")
    elif value is None:
        cell.value = None
    elif isinstance(value, bool):
        cell.value = int(value)
    elif isinstance(value, (int, float)):
        cell.value = value
    else:
        text = safe_text(value)
        cell.value = text
        cell.data_type = "s"
        if text.startswith(FORMULA_LEAD):
            cell.quotePrefix = True
    fmt = number_format if number_format and not isinstance(cell.value, str) else None
    align = alignment or (LEFT if isinstance(cell.value, str) else RIGHT)
    # Setting a style attribute makes openpyxl hash the style object to find its index in the
    # workbook; the same (prior style, font, alignment, border, format) always gives the same style
    # indices, so they are worked out once per workbook and copied (long sheets have ~10^5 cells).
    cache = ws.parent.__dict__.setdefault("_kp_style_cache", {})
    prior = cell._style  # None on a merged cell never styled
    key = (None if prior is None else tuple(prior), id(font), id(align), border, fmt)
    hit = cache.get(key)
    if hit is None:
        if fmt:
            cell.number_format = fmt
        cell.font = font
        cell.alignment = align
        if border:
            cell.border = BORDER
        cache[key] = (copy.copy(cell._style), font, align)  # font and alignment kept alive: ids stay theirs
    else:
        cell._style = copy.copy(hit[0])
    return cell


def _num(value: object) -> float | None:
    """A figure from the warehouse as a float (None stays None; Decimal and NaN handled)."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _int(value: object) -> int | None:
    f = _num(value)
    return None if f is None else int(round(f))


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
    Column("unit", None, "县(市、区)", "text", 14),
    Column("dispatch_projects", "调度库项目", "个数", "count", 7),
    Column("dispatch_total_investment", "调度库项目", "总投资", "amount", 13),
    Column("industrial_investment", "工业投资", "本年累计", "amount", 12),
    Column("industrial_growth", "工业投资", "同比增速", "rate", 9),
    Column("target_growth", "工业投资", "目标增速", "rate", 9),
    Column("growth_attained", "工业投资", "是否达标", "text", 8),
    Column("newbuild_investment", "新建类投资", "本年累计", "amount", 12),
    Column("newbuild_growth", "新建类投资", "同比增速", "rate", 9),
    Column("renovation_investment", "技改投资", "本年累计", "amount", 12),
    Column("renovation_growth", "技改投资", "同比增速", "rate", 9),
    Column("start_rate", None, "开复工率", "rate", 9),
    Column("registration_rate", None, "规范入统率", "rate", 9),
    Column("missed_reports", None, "漏报项目数", "count", 8),
    Column("yiyuan_projects", "亿元以上项目", "个数", "count", 7),
    Column("yiyuan_share", "亿元以上项目", "占比", "rate", 8),
    Column("cluster_projects", "集群项目", "个数", "count", 7),
    Column("cluster_share", "集群项目", "占比", "rate", 8),
    Column("note", None, "说明", "text", 30),
)
COL = {c.key: i + 1 for i, c in enumerate(COLUMNS)}
FORMATS = {"count": COUNT, "amount": AMOUNT, "rate": RATE}
TITLE_ROW, SUBTITLE_ROW, HEADER_ROW1, HEADER_ROW2 = 1, 2, 3, 4
FIRST_DATA_ROW = 5

BULLETIN_COLUMNS = (
    "unit", "unit_order", "zone_group", "dispatch_projects", "dispatch_total_investment",
    "industrial_investment", "industrial_investment_prev", "industrial_growth", "target_growth",
    "growth_attained", "newbuild_investment", "newbuild_growth", "renovation_investment",
    "renovation_growth", "started_projects", "start_rate", "registered_projects", "registration_rate",
    "missed_reports", "yiyuan_projects", "yiyuan_share", "cluster_projects", "cluster_share", "note",
)
COUNT_KEYS = ("dispatch_projects", "started_projects", "registered_projects", "missed_reports",
              "yiyuan_projects", "cluster_projects")
AMOUNT_KEYS = ("dispatch_total_investment", "industrial_investment", "industrial_investment_prev",
               "newbuild_investment", "renovation_investment")


# --------------------------------------------------------------------------------------------
# Reading the marts


def _unit_rank() -> dict[str, int]:
    return {u.name: u.order for u in config.units()}


def _unit_key(rank: dict[str, int]) -> Callable[[str | None], tuple]:
    def key(unit: str | None) -> tuple:
        return (rank.get(unit or "", len(rank)), unit or "")
    return key


def read_quarter(conn, quarter: str) -> dict[str, list[dict]]:
    """The quarter's rows of the four marts (bound parameters only)."""
    return {
        "units": fetch(conn, f"SELECT {', '.join(BULLETIN_COLUMNS)} FROM bulletin_unit_quarter "
                             "WHERE quarter = :quarter", quarter=quarter),
        "missed": fetch(conn, "SELECT unit, source_list, project_code, project_name, total_investment "
                              "FROM missed_reports WHERE quarter = :quarter", quarter=quarter),
        "unregistered": fetch(conn, "SELECT unit, project_code, project_name, status, total_investment "
                                    "FROM unregistered_projects WHERE quarter = :quarter", quarter=quarter),
        "targets": fetch(conn, "SELECT indicator, label, measure, target, actual, attained "
                               "FROM city_targets WHERE quarter = :quarter", quarter=quarter),
    }


def ordered_units(rows: Sequence[dict]) -> list[dict]:
    """Every configured unit in the plan's order (a unit without a mart row gets an empty row),
    then any other unit the mart names, by its unit_order and name."""
    by_unit = {r["unit"]: r for r in rows}
    out = []
    for u in config.units():
        row = by_unit.pop(u.name, None)
        out.append(dict(row) if row is not None else {"unit": u.name, "_missing": True})
    extra = sorted(by_unit.values(), key=lambda r: (r.get("unit_order") is None, r.get("unit_order") or 0, r["unit"]))
    out.extend(dict(r) for r in extra)
    return out


def _sum(rows: Iterable[dict], key: str) -> float | None:
    vals = [_num(r.get(key)) for r in rows]
    vals = [v for v in vals if v is not None]
    return sum(vals) if vals else None


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


def _target_lookup(targets: Sequence[dict]) -> dict[tuple[str, str], dict]:
    return {(t["indicator"], t["measure"]): t for t in targets}


def _config_target(year: int, indicator: str, measure: str) -> float | None:
    try:
        raw = config.targets(year)
    except FileNotFoundError:
        return None
    for t in raw.get("city", ()):
        if t.get("indicator") == indicator and measure in t:
            return _num(t[measure])
    return None


def city_total(units: Sequence[dict], targets: Sequence[dict], year: int) -> tuple[dict, list[str]]:
    """The 全市合计 row: sums of counts and amounts, rates recomputed from the summed parts.

    Returns the row and the notes explaining its blank figures.
    """
    rows = [r for r in units if not r.get("_missing")]
    total: dict[str, object] = {"unit": "全市合计"}
    notes: list[str] = []
    for k in COUNT_KEYS:
        v = _sum(rows, k)
        total[k] = None if v is None else int(round(v))
    for k in AMOUNT_KEYS:
        total[k] = _sum(rows, k)

    # Industrial growth: only honest when every unit with investment this year has last year's figure
    # (a unit with no investment this year, e.g. one without projects, adds nothing either way).
    with_current = [r for r in rows if (_num(r.get("industrial_investment")) or 0) > 0]
    lacking = [r["unit"] for r in with_current if _num(r.get("industrial_investment_prev")) is None]
    prev_sum = _sum(with_current, "industrial_investment_prev")
    if not with_current:
        total["industrial_growth"] = None
    elif lacking:
        total["industrial_growth"] = None
        who = "各单位均" if len(lacking) == len(with_current) else "、".join(lacking)
        notes.append(f"全市工业投资增速未计算：{who}无上年同期数据")
    elif not prev_sum:
        total["industrial_growth"] = None
        notes.append("全市工业投资增速未计算：上年同期合计为0")
    else:
        total["industrial_growth"] = total["industrial_investment"] / prev_sum - 1

    tl = _target_lookup(targets)
    t = tl.get(("industrial_investment", "growth"))
    target = _num(t.get("target")) if t else None
    if target is None:
        target = _config_target(year, "industrial_investment", "growth")
    total["target_growth"] = target
    g = total["industrial_growth"]
    total["growth_attained"] = None if g is None or target is None else int(g >= target - 1e-12)

    # The mart keeps no last-year figures for these two; the city's growth is city_targets' actual
    # (computed by the metrics from last year's registered list; NULL when there is none to compare).
    blank = []
    for key, indicator, name in (("newbuild_growth", "newbuild_investment", "新建类"),
                                 ("renovation_growth", "renovation_investment", "技改")):
        t = tl.get((indicator, "growth"))
        total[key] = _num(t.get("actual")) if t else None
        if total[key] is None and total.get(key.replace("growth", "investment")):
            blank.append(name)
    if blank:
        notes.append(f"全市{'、'.join(blank)}投资增速无法计算（无上年同期可比数据）")

    total["start_rate"] = _ratio(total["started_projects"], total["dispatch_projects"])
    total["registration_rate"] = _ratio(total["registered_projects"], total["started_projects"])
    total["yiyuan_share"] = _ratio(total["yiyuan_projects"], total["dispatch_projects"])
    total["cluster_share"] = _ratio(total["cluster_projects"], total["dispatch_projects"])
    return total, notes


def unit_notes(row: dict) -> list[str]:
    """Why a unit's figures are blank: the mart's note first, then what can be read off the row."""
    if row.get("_missing"):
        return ["本季度无该单位汇总数据"]
    notes: list[str] = []
    if row.get("note"):
        notes.extend(n for n in str(row["note"]).replace(";", "；").split("；") if n.strip())
    dispatch = _num(row.get("dispatch_projects"))
    if row.get("start_rate") is None and not dispatch:
        notes.append("无调度库项目，开复工率无法计算")
    if row.get("registration_rate") is None and not _num(row.get("started_projects")) and dispatch:
        notes.append("无开复工项目，规范入统率无法计算")
    if (row.get("target_growth") is None and row.get("industrial_growth") is not None
            and not any("目标" in n for n in notes)):
        notes.append("未设目标增速")
    kept: list[str] = []
    for n in (n.strip() for n in notes):
        if not n or any(n in k for k in kept):
            continue
        kept = [k for k in kept if k not in n]  # a fuller note replaces the shorter one it contains
        kept.append(n)
    return kept


# --------------------------------------------------------------------------------------------
# Sheets


def _print_setup(ws: Worksheet, title_rows: str) -> None:
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.oddFooter.center.size = 9
    ws.evenFooter.center.text = "第 &P 页 共 &N 页"


def _title(ws: Worksheet, text: str, subtitle_left: str, subtitle_right: str | None, ncols: int) -> None:
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncols)
    put(ws, TITLE_ROW, 1, text, font=TITLE_FONT, alignment=Alignment(horizontal="center", vertical="center"),
        border=False)
    ws.row_dimensions[TITLE_ROW].height = 30
    if subtitle_right is None:
        ws.merge_cells(start_row=SUBTITLE_ROW, start_column=1, end_row=SUBTITLE_ROW, end_column=ncols)
        put(ws, SUBTITLE_ROW, 1, subtitle_left, font=SUBTITLE_FONT, alignment=Alignment(horizontal="left"),
            border=False)
        return
    split = max(1, ncols // 2)
    ws.merge_cells(start_row=SUBTITLE_ROW, start_column=1, end_row=SUBTITLE_ROW, end_column=split)
    put(ws, SUBTITLE_ROW, 1, subtitle_left, font=SUBTITLE_FONT, alignment=Alignment(horizontal="left"),
        border=False)
    ws.merge_cells(start_row=SUBTITLE_ROW, start_column=split + 1, end_row=SUBTITLE_ROW, end_column=ncols)
    put(ws, SUBTITLE_ROW, split + 1, subtitle_right, font=SUBTITLE_FONT,
        alignment=Alignment(horizontal="right"), border=False)


def _header_cell(ws: Worksheet, row: int, col: int, text: str) -> None:
    c = put(ws, row, col, text, font=HEADER_FONT, alignment=CENTER)
    c.fill = HEADER_FILL


def _attained_style(cell, attained: int | None) -> None:
    if attained is None:
        return
    good = bool(attained)
    cell.fill = GOOD_FILL if good else BAD_FILL
    f = cell.font
    cell.font = Font(name=f.name, size=f.size, bold=f.bold, color=GOOD_FONT_COLOR if good else BAD_FONT_COLOR)


def _row_height(text: str, width: float, line: float = 13.5) -> float:
    """A row height that shows wrapped text whole (Excel does not re-fit rows of generated files).

    A CJK character takes about two width units of the column."""
    per_line = max(1, int(width / 2) - 1)
    lines = max(1, -(-len(text) // per_line))
    return max(18.0, line * lines + 3)


def _write_unit_row(ws: Worksheet, r: int, seq: int | None, row: dict, note: str, total: bool = False) -> None:
    font = TOTAL_FONT if total else BODY_FONT
    attained = _int(row.get("growth_attained"))
    for c in COLUMNS:
        col = COL[c.key]
        if c.key == "seq":
            value = seq
        elif c.key == "unit":
            value = row.get("unit")
        elif c.key == "note":
            value = note or None
        elif c.key == "growth_attained":
            value = None if attained is None else ("达标" if attained else "未达标")
        elif c.kind == "count":
            value = _int(row.get(c.key))
        else:
            value = _num(row.get(c.key))
        align = CENTER if c.key in ("seq", "unit", "growth_attained") else None
        cell = put(ws, r, col, value, FORMATS.get(c.kind), font=font, alignment=align)
        if c.kind in ("count", "amount", "rate"):
            cell.number_format = FORMATS[c.kind]  # blank cells keep the format, for hand edits
        if total:
            cell.fill = TOTAL_FILL
    _attained_style(ws.cell(r, COL["industrial_growth"]), attained)
    _attained_style(ws.cell(r, COL["growth_attained"]), attained)


def write_main_sheet(ws: Worksheet, quarter: str, units: list[dict], total: dict, total_notes: list[str]) -> int:
    """The 季度通报 sheet; returns the row of 全市合计."""
    ncols = len(COLUMNS)
    _title(ws, f"{CITY}工业重点项目建设情况通报（{quarter_label(quarter)}）", cutoff_label(quarter),
           "单位：万元", ncols)

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
    ws.row_dimensions[HEADER_ROW2].height = 20

    r = FIRST_DATA_ROW
    for i, row in enumerate(units, start=1):
        note = "；".join(unit_notes(row))
        _write_unit_row(ws, r, i, row, note)
        ws.row_dimensions[r].height = _row_height(note, COLUMNS[COL["note"] - 1].width)
        r += 1
    total_row = r
    note = "；".join(total_notes)
    _write_unit_row(ws, total_row, None, total, note, total=True)
    ws.row_dimensions[total_row].height = _row_height(note, COLUMNS[COL["note"] - 1].width)

    # 开复工率 / 规范入统率 at a glance: red (low) to green (high) over the units.
    if units:
        for key in ("start_rate", "registration_rate"):
            letter = get_column_letter(COL[key])
            ws.conditional_formatting.add(
                f"{letter}{FIRST_DATA_ROW}:{letter}{total_row - 1}",
                ColorScaleRule(start_type="num", start_value=0, start_color="F8696B",
                               mid_type="num", mid_value=0.5, mid_color="FFEB84",
                               end_type="num", end_value=1, end_color="63BE7B"))

    notes = [
        "注：1. 金额单位为万元；增速、比率以百分比显示。",
        "2. 空白单元格表示该项数据缺失或无法计算（如无上年同期数据、分母为0），原因见“说明”列。",
        "3. 同比增速单元格绿色表示达到目标增速，红色表示未达到；无目标或无法计算时不着色。",
        "4. 全市合计：个数、金额为各单位之和；开复工率=开复工项目数合计/调度库项目数合计，"
        "规范入统率=入统项目数合计/开复工项目数合计，占比=项目数合计/调度库项目数合计；"
        "工业投资增速=本年累计合计/上年同期合计-1，仅在各单位均有上年同期数据时计算。",
        "5. 漏报项目、未入统项目明细见《漏报项目》《未入统项目》工作表，全市目标完成情况见《全市目标》工作表。",
    ]
    nr = total_row + 2
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
    ws.oddHeader.center.text = f"{CITY}工业重点项目建设情况通报（{quarter_label(quarter)}）"
    ws.oddHeader.center.size = 9
    return total_row


def _write_list_sheet(ws: Worksheet, title: str, quarter: str, headers: Sequence[tuple[str, float]],
                      rows: Sequence[Sequence[tuple]], empty_text: str, footnote: str | None = None,
                      unit_text: str = "单位：万元") -> None:
    """A titled, printable table. Each row is a sequence of (value, number format[, attained]) cells;
    an ``attained`` flag colours the cell green or red."""
    ncols = len(headers)
    _title(ws, title, cutoff_label(quarter), unit_text, ncols)
    hr = 3
    for j, (text, width) in enumerate(headers, start=1):
        _header_cell(ws, hr, j, text)
        ws.column_dimensions[get_column_letter(j)].width = width
    r = hr + 1
    if not rows:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        put(ws, r, 1, empty_text, alignment=CENTER)
    for values in rows:
        for j, (value, fmt, *attained) in enumerate(values, start=1):
            cell = put(ws, r, j, value, fmt, alignment=CENTER if j <= 2 or attained else None)
            if fmt:
                cell.number_format = fmt
            if attained:
                _attained_style(cell, attained[0])
        r += 1
    if footnote and rows:
        ws.merge_cells(start_row=r + 1, start_column=1, end_row=r + 1, end_column=ncols)
        put(ws, r + 1, 1, footnote, font=NOTE_FONT, alignment=Alignment(horizontal="left", wrap_text=True),
            border=False)
    ws.freeze_panes = ws.cell(hr + 1, 1).coordinate
    _print_setup(ws, f"{hr}:{hr}")
    ws.oddHeader.center.text = title
    ws.oddHeader.center.size = 9


def write_missed_sheet(ws: Worksheet, quarter: str, missed: Sequence[dict], unit_key) -> None:
    ordered = sorted(missed, key=lambda m: (unit_key(m.get("unit")),
                                            SOURCE_ORDER.get(m.get("source_list"), len(SOURCE_ORDER)),
                                            str(m.get("source_list") or ""), str(m.get("project_name") or ""),
                                            str(m.get("project_code") or "")))
    rows = [[(i, COUNT), (m.get("unit"), None), (m.get("project_code"), None), (m.get("project_name"), None),
             (_num(m.get("total_investment")), AMOUNT),
             (SOURCE_LABELS.get(m.get("source_list"), m.get("source_list")), None)]
            for i, m in enumerate(ordered, start=1)]
    _write_list_sheet(ws, f"{CITY}工业重点项目漏报项目清单（{quarter_label(quarter)}）", quarter,
                      [("序号", 6), ("县(市、区)", 14), ("项目代码", 28), ("项目名称", 44), ("总投资(万元)", 14),
                       ("来源清单", 22)], rows, "本季度无漏报项目",
                      footnote="注：同一项目在多个来源清单中均被漏报时按来源分列；通报表“漏报项目数”按项目计数。")


def write_unregistered_sheet(ws: Worksheet, quarter: str, unregistered: Sequence[dict], unit_key) -> None:
    ordered = sorted(unregistered, key=lambda m: (unit_key(m.get("unit")), str(m.get("project_name") or ""),
                                                  str(m.get("project_code") or "")))
    rows = [[(i, COUNT), (m.get("unit"), None), (m.get("project_code"), None), (m.get("project_name"), None),
             (m.get("status"), None), (_num(m.get("total_investment")), AMOUNT)]
            for i, m in enumerate(ordered, start=1)]
    _write_list_sheet(ws, f"{CITY}工业重点项目未入统项目清单（{quarter_label(quarter)}）", quarter,
                      [("序号", 6), ("县(市、区)", 14), ("项目代码", 28), ("项目名称", 44), ("开工状态", 12),
                       ("总投资(万元)", 14)], rows, "本季度无未入统项目")


def _progress(target_row: dict) -> float | None:
    """Actual as a share of the annual target, for amounts and counts (not for growth or shares)."""
    actual, target = _num(target_row.get("actual")), _num(target_row.get("target"))
    if target_row.get("measure") not in ("amount", "count") or actual is None or not target:
        return None
    return actual / target


def write_targets_sheet(ws: Worksheet, quarter: str, targets: Sequence[dict]) -> None:
    year, _ = parse_quarter(quarter)
    try:
        cfg = config.targets(year).get("city", [])
    except FileNotFoundError:
        cfg = []
    order = {t.get("indicator"): i for i, t in enumerate(cfg)}
    labels = {t.get("indicator"): t.get("label") for t in cfg}
    ordered = sorted(targets, key=lambda t: (order.get(t["indicator"], len(order)), str(t["indicator"]),
                                             MEASURE_ORDER.get(t["measure"], len(MEASURE_ORDER)), str(t["measure"])))
    rows = []
    for i, t in enumerate(ordered, start=1):
        fmt = MEASURE_FORMATS.get(t["measure"])
        attained = _int(t.get("attained"))
        label = t.get("label") or labels.get(t["indicator"]) or t["indicator"]
        rows.append([(i, COUNT), (label, None), (MEASURE_LABELS.get(t["measure"], t["measure"]), None),
                     (_num(t.get("target")), fmt), (_num(t.get("actual")), fmt),
                     (None if attained is None else ("完成" if attained else "未完成"), None, attained),
                     (_progress(t), RATE)])
    _write_list_sheet(ws, f"{CITY}工业重点项目全市目标完成情况（{quarter_label(quarter)}）", quarter,
                      [("序号", 6), ("指标", 34), ("口径", 12), ("目标", 16), ("实际", 16), ("是否完成", 10),
                       ("完成进度", 10)],
                      rows, "本季度无全市目标数据",
                      footnote="注：实际值为截至本季度末的累计数，年度目标按全年计；完成进度=实际/目标（金额、个数）；"
                               "空白表示无法计算，是否完成为空表示无法判断。",
                      unit_text="金额单位：万元")


def write_charts_sheet(ws: Worksheet, main: Worksheet, quarter: str, n_units: int) -> None:
    ncols = 16
    _title(ws, f"{CITY}工业重点项目建设情况图表（{quarter_label(quarter)}）", cutoff_label(quarter), None, ncols)
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
    growth.title = "各县(市、区)工业投资同比增速与目标增速"
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
    categorise(target)
    growth += target
    growth.x_axis.delete = False
    growth.y_axis.delete = False
    growth.legend.position = "b"
    growth.width, growth.height = 26, 10
    ws.add_chart(growth, "A3")

    rate = BarChart()
    rate.type = "col"
    rate.title = "各县(市、区)开复工率"
    rate.y_axis.title = "开复工率"
    rate.y_axis.number_format = "0%"
    rate.y_axis.scaling.min = 0
    rate.y_axis.scaling.max = 1
    rate.add_data(Reference(main, min_col=COL["start_rate"], min_row=first, max_row=last), titles_from_data=False)
    rate.series[0].tx = SeriesLabel(v="开复工率")
    categorise(rate)
    rate.dataLabels = DataLabelList()
    rate.dataLabels.showVal = True
    rate.dataLabels.numFmt = "0%"
    rate.x_axis.delete = False
    rate.y_axis.delete = False
    rate.legend = None
    rate.width, rate.height = 26, 10
    ws.add_chart(rate, "A24")

    _print_setup(ws, "")
    ws.page_setup.fitToHeight = 1


# --------------------------------------------------------------------------------------------
# Saving


def _fixed_moment(quarter: str) -> dt.datetime:
    """The file's created/modified stamp: the quarter's last day, so reruns give identical files."""
    d = quarter_end(quarter)
    return dt.datetime(d.year, d.month, d.day, 0, 0, 0)


def _workbook_bytes(wb: Workbook, moment: dt.datetime) -> bytes:
    """The workbook as bytes with fixed document and zip timestamps (openpyxl's save() stamps now)."""
    wb.properties.created = moment
    wb.properties.modified = moment
    wb.properties.creator = "keyprojects"
    wb.properties.lastModifiedBy = "keyprojects"
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    stamp = moment.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def build_workbook(data: dict[str, list[dict]], quarter: str) -> Workbook:
    year, _ = parse_quarter(quarter)
    rank = _unit_rank()
    unit_key = _unit_key(rank)
    units = ordered_units(data["units"])
    total, total_notes = city_total(units, data["targets"], year)

    wb = Workbook()
    main = wb.active
    main.title = "季度通报"
    write_main_sheet(main, quarter, units, total, total_notes)
    write_missed_sheet(wb.create_sheet("漏报项目"), quarter, data["missed"], unit_key)
    write_unregistered_sheet(wb.create_sheet("未入统项目"), quarter, data["unregistered"], unit_key)
    write_targets_sheet(wb.create_sheet("全市目标"), quarter, data["targets"])
    write_charts_sheet(wb.create_sheet("图表"), main, quarter, len(units))
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

    folder = Path(output_dir) / quarter
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / bulletin_filename(quarter)
    fd, tmp = tempfile.mkstemp(prefix=".bulletin-", suffix=".xlsx", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
