"""The year-end ranking's workbook (年度考评排名).

``write_ranking(engine, 2022, output_dir)`` writes
``<output_dir>/2022/忻州市工业重点项目2022年度考评排名.xlsx`` (sheet 年度考评排名: per unit each
indicator's value and points, the deduction, score, rank and change against last year, the method
and weights under the table; sheet 得分图表: a bar chart of the scores). Python only renders: the
figures are ``ranking_unit_year``'s (``keyprojects.warehouse.ranking``).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from keyprojects.documents import look, office
from keyprojects.documents.files import write_atomic
from keyprojects.warehouse.ranking import Indicator, Method, method, read_ranking

POINTS = "0.00"


def ranking_filename(year: int) -> str:
    return f"{look.CITY}工业重点项目{year}年度考评排名.xlsx"


def change_text(rank_change: int | None, previous_rank: int | None) -> str:
    """位次变化 as the office writes it: 上升2位 / 下降1位 / 持平; blank without last year's rank."""
    if previous_rank is None or rank_change is None:
        return "—"
    if rank_change > 0:
        return f"上升{rank_change}位"
    if rank_change < 0:
        return f"下降{-rank_change}位"
    return "持平"


# A gap between two rates (工业投资增速超目标) reads in 百分点: the fraction times 100, signed.
PERCENTAGE_POINTS = '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"'
DEDUCTION = '-0.00;-0.00;0.00'


def _in_points(indicator: Indicator) -> bool:
    return indicator.format == "points" or "百分点" in indicator.detail


def _fmt(indicator: Indicator) -> str:
    if indicator.format == "count":
        return look.COUNT
    return PERCENTAGE_POINTS if _in_points(indicator) else look.RATE


def _shown(indicator: Indicator, value):
    """The indicator's value as the sheet shows it (百分点: the fraction times 100)."""
    if value is None or not _in_points(indicator):
        return value
    return round(float(value) * 100, 10)


def _value_label(indicator: Indicator) -> str:
    if indicator.format == "count":
        return "指标值（个）"
    return "指标值（百分点）" if _in_points(indicator) else "指标值（%）"


def marks(rows: list[dict], count: int) -> dict[str, str]:
    """先进 (the first ``count`` ranks) and 后进 (the last ``count``) among the ranked units."""
    ranked = sorted((r for r in rows if r["ranked"] and r["rank"] is not None), key=lambda r: r["rank"])
    count = min(count, len(ranked) // 2)
    out = {r["unit"]: "后进" for r in ranked[len(ranked) - count:]} if count else {}
    out.update({r["unit"]: "先进" for r in ranked[:count]})
    return out


def build_workbook(rows: list[dict], year: int, m: Method) -> Workbook:
    q4 = f"{year}Q{m.quarter}"
    wb = Workbook()
    ws = wb.active
    ws.title = "年度考评排名"
    heads = [("位次", 6), ("县（市、区）", 16)]
    ncols = 2 + 2 * len(m.indicators) + 6
    office.title_rows(ws, f"{look.CITY}工业重点项目{year}年度考评排名",
           f"依据{look.quarter_label(q4)}通报数据（{look.cutoff_label(q4)}）", office.issuing_body(),
                   ncols)
    h1, h2, first = 3, 4, 5
    col = 1
    for text, width in heads:
        ws.merge_cells(start_row=h1, start_column=col, end_row=h2, end_column=col)
        look.header_cell(ws, h1, col, text)
        look.header_cell(ws, h2, col, None)
        ws.column_dimensions[get_column_letter(col)].width = width
        col += 1
    for ind in m.indicators:
        ws.merge_cells(start_row=h1, start_column=col, end_row=h1, end_column=col + 1)
        look.header_cell(ws, h1, col, f"{ind.label}（{ind.weight:g}分）")
        look.header_cell(ws, h1, col + 1, None)
        look.header_cell(ws, h2, col, _value_label(ind))
        look.header_cell(ws, h2, col + 1, "得分（分）")
        ws.column_dimensions[get_column_letter(col)].width = 12 if _in_points(ind) else 9
        ws.column_dimensions[get_column_letter(col + 1)].width = 8
        col += 2
    tail = [("漏报项目（个）", 8), ("漏报扣分（分）", 8), ("总得分（分）", 8), ("上年位次", 7), ("位次变化", 9),
            ("说明", 34)]
    for text, width in tail:
        ws.merge_cells(start_row=h1, start_column=col, end_row=h2, end_column=col)
        look.header_cell(ws, h1, col, text)
        look.header_cell(ws, h2, col, None)
        ws.column_dimensions[get_column_letter(col)].width = width
        col += 1
    ws.row_dimensions[h1].height = 30
    ws.row_dimensions[h2].height = 30

    marked = marks(rows, int(office.settings()["ranking"]["marked_units"]))
    r = first
    for row in rows:
        look.put(ws, r, 1, row["rank"] if row["ranked"] else "—", look.COUNT, alignment=look.CENTER)
        look.put(ws, r, 2, row["unit"], alignment=look.CENTER)
        c = 3
        for ind in m.indicators:
            look.put(ws, r, c, _shown(ind, row[f"{ind.name}_value"]), _fmt(ind))
            look.put(ws, r, c + 1, row[f"{ind.name}_points"], POINTS)
            c += 2
        look.put(ws, r, c, row["missed_reports"], look.COUNT)
        deduction = row["deduction"]
        look.put(ws, r, c + 1, -deduction if deduction else deduction, DEDUCTION)  # points off: negative
        look.put(ws, r, c + 2, row["score"], POINTS, font=look.TOTAL_FONT)
        look.put(ws, r, c + 3, row["previous_rank"], look.COUNT, alignment=look.CENTER)
        look.put(ws, r, c + 4, change_text(row["rank_change"], row["previous_rank"]) if row["ranked"] else "—",
            alignment=look.CENTER)
        note = "；".join(t for t in (marked.get(row["unit"]), row["note"]) if t)
        look.put(ws, r, c + 5, note or None)
        ws.row_dimensions[r].height = look.row_height(note, 34)
        r += 1
    last = r - 1

    lines = [f"考评方法：{m.text}", "指标与权重："]
    lines += [f"{k}. {ind.label}（权重{ind.weight:g}分）：{ind.detail}。" for k, ind in enumerate(m.indicators, 1)]
    marked_units = int(office.settings()["ranking"]["marked_units"])
    unconfirmed = "待核实项目按漏报扣分" if m.deduct_unconfirmed else "待核实项目不计漏报、不扣分"
    lines.append(f"漏报扣分：每个漏报项目扣{m.deduction_per_missed:g}分，最多扣{m.deduction_cap:g}分；"
                 f"退回待改项目（已报送、被退回待更正）不计漏报、不扣分，{unconfirmed}（说明栏列出各单位个数）。"
                 "指标值中增速、比率以百分比显示，增速超目标以百分点显示，项目数以个显示；漏报扣分以负数显示；"
                 "“—”表示不参与排名或无上年位次。"
                 f"说明栏“先进”为位次前{marked_units}名、“后进”为位次后{marked_units}名。")
    nr = last + 2
    for text in lines:
        ws.merge_cells(start_row=nr, start_column=1, end_row=nr, end_column=ncols)
        look.put(ws, nr, 1, text, font=look.NOTE_FONT, alignment=Alignment(horizontal="left", vertical="top",
                wrap_text=True),
            border=False)
        ws.row_dimensions[nr].height = look.row_height(text, sum(
            ws.column_dimensions[get_column_letter(j)].width or 8.43 for j in range(1, ncols + 1)))
        nr += 1
    ws.freeze_panes = ws.cell(first, 3).coordinate
    look.print_setup(ws, f"{h1}:{h2}")
    ws.oddHeader.center.text = f"{look.CITY}工业重点项目{year}年度考评排名"
    ws.oddHeader.center.size = 9

    chart_ws = wb.create_sheet("得分图表")
    office.title_rows(chart_ws, f"{look.CITY}工业重点项目{year}年度考评得分", f"依据{look.quarter_label(q4)}通报数据",
                      None, 16)
    n_ranked = sum(1 for row in rows if row["ranked"])
    if n_ranked:
        score_col = 3 + 2 * len(m.indicators) + 2
        chart = BarChart()
        chart.type = "col"
        chart.title = f"{year}年度考评总得分（按位次）"
        chart.y_axis.title = "得分"
        chart.y_axis.number_format = "0"
        chart.add_data(Reference(ws, min_col=score_col, min_row=first, max_row=first + n_ranked - 1),
                       titles_from_data=False)
        cats = str(Reference(ws, min_col=2, min_row=first, max_row=first + n_ranked - 1))
        chart.series[0].cat = AxDataSource(strRef=StrRef(f=cats))
        chart.series[0].tx = SeriesLabel(v="总得分")
        chart.dataLabels = DataLabelList(showVal=True, showSerName=False, showCatName=False,
                                         showLegendKey=False, showPercent=False)
        chart.dataLabels.numFmt = "0.0"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.legend = None
        chart.width, chart.height = 26, 12
        chart_ws.add_chart(chart, "A3")
    look.print_setup(chart_ws, "")
    chart_ws.page_setup.fitToHeight = 1
    wb.active = 0
    return wb


def write_ranking(conn_or_engine, year: int, output_dir: Path) -> Path:
    """Write ``<output_dir>/<year>/忻州市工业重点项目<year>年度考评排名.xlsx``; identical bytes on a rerun.
    Raises ``LookupError`` when the year has not been ranked."""
    rows = read_ranking(conn_or_engine, year)
    if not rows:
        raise LookupError(f"ranking_unit_year has no rows for {year}: run the year's Q4 first")
    m = method()
    wb = build_workbook(rows, year, m)
    payload = look.workbook_bytes(wb, look.fixed_moment(f"{year}Q{m.quarter}"))
    return write_atomic(Path(output_dir) / str(year) / ranking_filename(year), payload)
