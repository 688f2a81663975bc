"""The year-end ranking (年度考评): computed in SQL on a year's Q4 run, written as a workbook.

* ``rank_year(conn, "2022Q4", sql_dir)`` loads the indicators and weights of ``config/ranking.toml``
  into ``cfg_ranking_indicator`` and runs ``include/sql/models/ranking/*.sql``, which replaces the
  year's rows of ``ranking_unit_year`` from the Q4 rows of ``bulletin_unit_quarter``. Any other
  quarter: nothing is touched.
* ``write_ranking(engine, 2022, output_dir)`` writes
  ``<output_dir>/2022/忻州市工业重点项目2022年度考评排名.xlsx`` (sheet 年度考评排名: per unit each
  indicator's value and points, the deduction, score, rank and change against last year, the method
  and weights under the table; sheet 得分图表: a bar chart of the scores). Python only renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from sqlalchemy.engine import Connection

from . import config, office, quarters, warehouse
from .documents import write_atomic
from .workbook import (
    CENTER,
    CITY,
    COUNT,
    NOTE_FONT,
    RATE,
    TOTAL_FONT,
    _fixed_moment,
    _header_cell,
    _print_setup,
    _workbook_bytes,
    cutoff_label,
    put,
    quarter_label,
)

INDICATORS = ("industrial_growth_gap", "renovation_growth", "start_rate", "registration_rate",
              "large_projects", "cluster_projects")
POINTS = "0.00"


@dataclass(frozen=True)
class Indicator:
    name: str
    label: str
    detail: str
    weight: float
    format: str


@dataclass(frozen=True)
class Method:
    quarter: int
    deduction_per_missed: float
    deduction_cap: float
    deduct_unconfirmed: bool
    score_decimals: int
    text: str
    indicators: tuple[Indicator, ...]


def method() -> Method:
    """The ranking method of ``config/ranking.toml``, checked: the six indicators, weights summing to 100."""
    raw = config.ranking_weights()
    m = raw["method"]
    inds = tuple(Indicator(i["name"], i["label"], i.get("detail", ""), float(i["weight"]), i.get("format", "rate"))
                 for i in raw["indicator"])
    names = [i.name for i in inds]
    if sorted(names) != sorted(INDICATORS):
        raise ValueError(f"ranking.toml: indicators must be exactly {', '.join(INDICATORS)}; got {', '.join(names)}")
    if abs(sum(i.weight for i in inds) - 100) > 1e-9:
        raise ValueError(f"ranking.toml: weights sum to {sum(i.weight for i in inds):g}, not 100")
    return Method(int(m.get("quarter", 4)), float(m["deduction_per_missed"]), float(m["deduction_cap"]),
                  bool(m.get("deduct_unconfirmed", False)),
                  int(m.get("score_decimals", 2)), m.get("text", ""), inds)


def is_ranking_quarter(quarter: str) -> bool:
    return quarters.parse_quarter(quarter)[1] == method().quarter


def rank_year(conn: Connection, quarter: str, sql_dir: Path, run_id: str | None = None) -> dict:
    """Replace the year's ``ranking_unit_year`` rows on the ranking quarter's run (Q4); other quarters
    return ``{"ranked": False}`` without touching anything. Runs in the caller's transaction."""
    year, n = quarters.parse_quarter(quarter)
    quarter = f"{year}Q{n}"
    m = method()
    if n != m.quarter:
        return {"quarter": quarter, "year": year, "ranked": False, "reason": f"the ranking runs on Q{m.quarter}"}
    rows = conn.execute(sa.text("SELECT COUNT(*) FROM bulletin_unit_quarter WHERE quarter = :q"),
                        {"q": quarter}).scalar()
    if not rows:
        raise LookupError(f"bulletin_unit_quarter has no rows for {quarter}: build the quarter's marts first")
    conn.execute(sa.text("DELETE FROM cfg_ranking_indicator"))
    conn.execute(sa.text("INSERT INTO cfg_ranking_indicator (indicator, indicator_order, label, weight) "
                         "VALUES (:i, :o, :l, :w)"),
                 [{"i": i.name, "o": k, "l": i.label, "w": i.weight} for k, i in enumerate(m.indicators)])
    params = {"year": year, "prev_year": year - 1, "quarter": quarter, "per_missed": m.deduction_per_missed,
              "deduction_cap": m.deduction_cap, "deduct_unconfirmed": int(m.deduct_unconfirmed),
              "decimals": m.score_decimals, "run_id": run_id}
    for path in sorted((Path(sql_dir) / "models" / "ranking").glob("*.sql")):
        for stmt in warehouse.sql_statements(path):
            conn.execute(sa.text(stmt), {k: v for k, v in params.items() if f":{k}" in stmt})
    ranked = conn.execute(sa.text("SELECT COUNT(*) FROM ranking_unit_year WHERE year = :y AND rank IS NOT NULL"),
                          {"y": year}).scalar()
    return {"quarter": quarter, "year": year, "ranked": True, "units_ranked": int(ranked)}


def read_ranking(conn_or_engine, year: int) -> list[dict]:
    """The year's rows: ranked units by rank, then the units listed but not ranked in plan order."""
    rows = warehouse.fetch(conn_or_engine, """
        SELECT * FROM ranking_unit_year WHERE year = :y
        ORDER BY CASE WHEN rank IS NULL THEN 1 ELSE 0 END, rank, unit_order""", y=year)
    for r in rows:
        r["ranked"] = bool(r["ranked"])
    return rows


def ranking_filename(year: int) -> str:
    return f"{CITY}工业重点项目{year}年度考评排名.xlsx"


def change_text(rank_change: int | None, previous_rank: int | None) -> str:
    """位次变化 as the office writes it: 上升2位 / 下降1位 / 持平; blank without last year's rank."""
    if previous_rank is None or rank_change is None:
        return "—"
    if rank_change > 0:
        return f"上升{rank_change}位"
    if rank_change < 0:
        return f"下降{-rank_change}位"
    return "持平"


def _fmt(indicator: Indicator) -> str:
    return COUNT if indicator.format == "count" else RATE


def build_workbook(rows: list[dict], year: int, m: Method) -> Workbook:
    q4 = f"{year}Q{m.quarter}"
    wb = Workbook()
    ws = wb.active
    ws.title = "年度考评排名"
    heads = [("位次", 6), ("县（市、区）", 16)]
    ncols = 2 + 2 * len(m.indicators) + 6
    office.title_rows(ws, f"{CITY}工业重点项目{year}年度考评排名",
           f"依据{quarter_label(q4)}通报数据（{cutoff_label(q4)}）", f"{office.issuing_body()}　单位：分", ncols)
    h1, h2, first = 3, 4, 5
    col = 1
    for text, width in heads:
        ws.merge_cells(start_row=h1, start_column=col, end_row=h2, end_column=col)
        _header_cell(ws, h1, col, text)
        _header_cell(ws, h2, col, None)
        ws.column_dimensions[get_column_letter(col)].width = width
        col += 1
    for ind in m.indicators:
        ws.merge_cells(start_row=h1, start_column=col, end_row=h1, end_column=col + 1)
        _header_cell(ws, h1, col, f"{ind.label}（{ind.weight:g}分）")
        _header_cell(ws, h1, col + 1, None)
        _header_cell(ws, h2, col, "指标值")
        _header_cell(ws, h2, col + 1, "得分")
        ws.column_dimensions[get_column_letter(col)].width = 9
        ws.column_dimensions[get_column_letter(col + 1)].width = 8
        col += 2
    tail = [("漏报项目（个）", 8), ("漏报扣分", 7), ("总得分", 8), ("上年位次", 7), ("位次变化", 9), ("说明", 34)]
    for text, width in tail:
        ws.merge_cells(start_row=h1, start_column=col, end_row=h2, end_column=col)
        _header_cell(ws, h1, col, text)
        _header_cell(ws, h2, col, None)
        ws.column_dimensions[get_column_letter(col)].width = width
        col += 1
    ws.row_dimensions[h1].height = 30
    ws.row_dimensions[h2].height = 18

    r = first
    for row in rows:
        put(ws, r, 1, row["rank"] if row["ranked"] else "—", COUNT, alignment=CENTER)
        put(ws, r, 2, row["unit"], alignment=CENTER)
        c = 3
        for ind in m.indicators:
            put(ws, r, c, row[f"{ind.name}_value"], _fmt(ind))
            put(ws, r, c + 1, row[f"{ind.name}_points"], POINTS)
            c += 2
        put(ws, r, c, row["missed_reports"], COUNT)
        put(ws, r, c + 1, row["deduction"], POINTS)
        put(ws, r, c + 2, row["score"], POINTS, font=TOTAL_FONT)
        put(ws, r, c + 3, row["previous_rank"], COUNT, alignment=CENTER)
        put(ws, r, c + 4, change_text(row["rank_change"], row["previous_rank"]) if row["ranked"] else "—",
            alignment=CENTER)
        note = row["note"] or ""
        put(ws, r, c + 5, note)
        ws.row_dimensions[r].height = max(18.0, 13.5 * (-(-len(note) // 16)) + 3)
        r += 1
    last = r - 1

    lines = [f"考评方法：{m.text}", "指标与权重："]
    lines += [f"{k}. {ind.label}（权重{ind.weight:g}分）：{ind.detail}。" for k, ind in enumerate(m.indicators, 1)]
    unconfirmed = "待核实项目按漏报扣分" if m.deduct_unconfirmed else "待核实项目不计漏报、不扣分"
    lines.append(f"漏报扣分：每个漏报项目扣{m.deduction_per_missed:g}分，最多扣{m.deduction_cap:g}分；"
                 f"退回待改项目（已报送、被退回待更正）不计漏报、不扣分，{unconfirmed}（说明栏列出各单位个数）。"
                 "指标值中增速、比率以百分比显示，项目数以个显示；“—”表示不参与排名或无上年位次。")
    nr = last + 2
    for text in lines:
        ws.merge_cells(start_row=nr, start_column=1, end_row=nr, end_column=ncols)
        put(ws, nr, 1, text, font=NOTE_FONT, alignment=Alignment(horizontal="left", vertical="top", wrap_text=True),
            border=False)
        ws.row_dimensions[nr].height = 15 * max(1, -(-len(text) // 110))
        nr += 1
    ws.freeze_panes = ws.cell(first, 3).coordinate
    _print_setup(ws, f"{h1}:{h2}")
    ws.oddHeader.center.text = f"{CITY}工业重点项目{year}年度考评排名"
    ws.oddHeader.center.size = 9

    chart_ws = wb.create_sheet("得分图表")
    office.title_rows(chart_ws, f"{CITY}工业重点项目{year}年度考评得分", f"依据{quarter_label(q4)}通报数据",
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
    _print_setup(chart_ws, "")
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
    payload = _workbook_bytes(wb, _fixed_moment(f"{year}Q{m.quarter}"))
    return write_atomic(Path(output_dir) / str(year) / ranking_filename(year), payload)
