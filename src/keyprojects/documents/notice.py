"""The draft 通报 (Word): the quarter's bulletin as the office issues it, for the office to finish.

``write_notice(engine, "2022Q4", output_dir)`` writes
``<output_dir>/2022Q4/忻州市工业重点项目2022年第四季度通报（初稿）.docx`` in the structure of domain.md
'The office's documents': title, issuing body and date; 一、总体情况 (the city's figures in
sentences); 二、各县（市、区）情况 (the table); 三、存在问题 (units below target, units with the most
漏报 / 未入统, by name); 四、下一步工作 (a marked placeholder); the attachments named.

Every number comes from the warehouse through the ``read_*`` functions below (SQL only; Python
formats: 万元 -> 亿元 for city amounts, fractions -> percentages). The file is deterministic: fixed
core properties and zip timestamps (the quarter's last day), so a rerun writes identical bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from keyprojects import db, quarters
from keyprojects.documents import look, office
from keyprojects.documents.files import restamp_zip, write_atomic

BODY_FONT = "仿宋"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"

# The figures the city sentences need, from one row (group_kind 'city') of bulletin_group_quarter.
CITY_COLUMNS = ("dispatch_projects", "dispatch_total_investment", "industrial_investment",
                "industrial_investment_prev", "industrial_growth", "started_projects", "start_rate",
                "registered_projects", "registration_rate", "missed_reports", "returned_reports",
                "unconfirmed_reports")


def notice_filename(quarter: str) -> str:
    return f"{look.CITY}工业重点项目{look.quarter_label(quarter)}通报（初稿）.docx"


# --------------------------------------------------------------------------------------------
# Reading (SQL only)


def read_header(conn_or_engine, quarter: str) -> dict:
    """Issuing body and date of the document: the bulletin's header row (``bulletin_quarter``:
    issuer, tabulated_on -- dates from the quarter and its files), never the wall clock."""
    rows = db.fetch(conn_or_engine, "SELECT issuer, tabulated_on FROM bulletin_quarter "
                                           "WHERE quarter = :q", q=quarter)
    if rows and rows[0]["tabulated_on"]:
        return {"issuer": rows[0]["issuer"] or office.issuing_body(),
                "date": dt.date.fromisoformat(str(rows[0]["tabulated_on"])[:10])}
    return {"issuer": office.issuing_body(), "date": office.document_date(quarter)}


def read_city(conn_or_engine, quarter: str) -> dict:
    """The city's figures for the quarter: the ``city`` row of ``bulletin_group_quarter`` (their SQL
    home), plus ``target_amount``/``target_progress`` (city_targets) and ``unregistered`` (rows of
    unregistered_projects). Raises ``LookupError`` when the quarter's marts were not built."""
    # amounts in 亿元 as SQL rounds them for 全市目标 (050_city_targets.sql): Python does not round again
    rows = db.fetch(conn_or_engine, f"""
        SELECT {', '.join(CITY_COLUMNS)},
               round(cast(dispatch_total_investment / 10000 as numeric), 2) AS dispatch_total_investment_yi,
               round(cast(industrial_investment / 10000 as numeric), 2) AS industrial_investment_yi
        FROM bulletin_group_quarter
        WHERE quarter = :q AND group_kind = 'city'""", q=quarter)
    if not rows:
        raise LookupError(f"bulletin_group_quarter has no city row for {quarter}: build its marts first")
    city = dict(rows[0])
    target = db.fetch(conn_or_engine, """
        SELECT target, progress FROM city_targets
        WHERE quarter = :q AND indicator = 'industrial_investment' AND measure = 'amount'""",
                             q=quarter)
    city["target_amount"] = target[0]["target"] if target else None
    city["target_progress"] = target[0]["progress"] if target else None
    city["unregistered"] = db.fetch(conn_or_engine, "SELECT COUNT(*) AS n FROM unregistered_projects "
                                                           "WHERE quarter = :q", q=quarter)[0]["n"]
    return city


def read_units(conn_or_engine, quarter: str) -> list[dict]:
    """Each unit's row of the table, in the plan's order, with its count of 未入统 projects."""
    return db.fetch(conn_or_engine, """
        SELECT b.unit, b.unit_order, b.dispatch_projects, b.dispatch_total_investment,
               b.industrial_investment, b.industrial_growth, b.target_growth, b.growth_attained,
               b.start_rate, b.registration_rate, b.missed_reports,
               CASE WHEN b.registered_projects IS NULL THEN NULL ELSE COALESCE(u.n, 0) END AS unregistered
        FROM bulletin_unit_quarter b
        LEFT JOIN (SELECT unit, COUNT(*) AS n FROM unregistered_projects WHERE quarter = :q GROUP BY unit) u
               ON u.unit = b.unit
        WHERE b.quarter = :q
        ORDER BY b.unit_order""", q=quarter)


def read_problems(conn_or_engine, quarter: str, worst: int) -> dict:
    """三、存在问题: units below their growth target (plan order); the ``worst`` units with the most
    漏报 and 未入统 projects (count > 0, most first, then the plan's unit order)."""
    below = [r["unit"] for r in db.fetch(conn_or_engine, """
        SELECT unit FROM bulletin_unit_quarter WHERE quarter = :q AND growth_attained = 0
        ORDER BY unit_order""", q=quarter)]
    counts = db.fetch(conn_or_engine, """
        SELECT COUNT(target_growth) AS with_target,
               SUM(CASE WHEN target_growth IS NOT NULL AND growth_attained IS NULL THEN 1 ELSE 0 END)
                   AS not_computable
        FROM bulletin_unit_quarter WHERE quarter = :q""", q=quarter)[0]

    def most(sql: str, **params) -> list[tuple[str, int]]:
        rows = db.fetch(conn_or_engine, sql, q=quarter, **params)
        return [(r["unit"], int(r["n"])) for r in rows if r["n"]][:worst]

    missed = most("""SELECT unit, missed_reports AS n FROM bulletin_unit_quarter
                     WHERE quarter = :q AND missed_reports > 0 ORDER BY missed_reports DESC, unit_order""")
    unreg = most("""SELECT u.unit, COUNT(*) AS n FROM unregistered_projects u
                    JOIN cfg_unit c ON c.unit = u.unit AND c.year = :y
                    WHERE u.quarter = :q GROUP BY u.unit, c.unit_order ORDER BY COUNT(*) DESC, c.unit_order""",
                 y=quarters.parse_quarter(quarter)[0])
    return {"below_target": below, "with_target": int(counts["with_target"] or 0),
            "growth_not_computable": int(counts["not_computable"] or 0), "most_missed": missed,
            "most_unregistered": unreg}


# --------------------------------------------------------------------------------------------
# Formatting (no arithmetic beyond units of display)


def yi(amount_yi) -> str:
    """An amount already in 亿元 and rounded to 2 decimals by SQL -> ``X.XX`` text (no rounding here:
    the 亿元 figure has one rounding home, so the draft and 全市目标 cannot differ)."""
    return f"{Decimal(str(amount_yi)):.2f}"


def pct(rate) -> str:
    return f"{float(rate) * 100:.1f}%"


def growth_phrase(g) -> str:
    if g is None:
        return ""
    return f"同比增长{pct(g)}" if g >= 0 else f"同比下降{pct(-g)}"


def overview_sentences(city: dict, quarter: str) -> list[str]:
    cutoff = office.cn_date(quarters.quarter_end(quarter))
    s1 = (f"截至{cutoff}，全市调度库项目{_n(city['dispatch_projects'])}个、"
          f"总投资{_yi(city['dispatch_total_investment_yi'])}亿元；")
    parts = [f"工业投资完成{_yi(city['industrial_investment_yi'])}亿元"]
    if city["industrial_growth"] is not None:
        parts.append(growth_phrase(city["industrial_growth"]))
    else:
        parts.append("同比增速暂无法计算（缺少上年同期入统数据）")
    if city["target_progress"] is not None:
        parts.append(f"完成年度目标{pct(city['target_progress'])}")
    else:
        parts.append("本年度未设全市工业投资目标")
    s1 += "、".join(parts) + "。"
    s2 = (f"调度库项目开复工{_n(city['started_projects'])}个，开复工率{_pct(city['start_rate'])}；"
          f"开复工项目已入统{_n(city['registered_projects'])}个，规范入统率{_pct(city['registration_rate'])}，"
          f"未入统项目{_n(city['unregistered'])}个。")
    s3 = (f"对照市商务局、市行政审批局、市能源局清单，各县（市、区）调度库（储备库）漏报项目"
          f"{_n(city['missed_reports'])}个" + set_aside_phrase(city) + "。")
    return [s1, s2, s3]


def overview_text(conn_or_engine, quarter: str) -> str:
    """The draft 通报's 一、总体情况 paragraph as plain text (the office's delivery email body)."""
    return "".join(overview_sentences(read_city(conn_or_engine, quarter), quarter))


def set_aside_phrase(figures: dict) -> str:
    """How many 漏报 candidates are not counted as 漏报: 退回待改 and 待核实 (empty when none)."""
    parts = []
    if figures.get("returned_reports"):
        parts.append(f"另有已报送但被退回待改的项目{_n(figures['returned_reports'])}个")
    if figures.get("unconfirmed_reports"):
        parts.append(f"名称相近待核实的项目{_n(figures['unconfirmed_reports'])}个")
    return ("；" + "、".join(parts) + "，均不计入漏报") if parts else ""


def _n(v) -> str:
    return "—" if v is None else str(int(v))


def _yi(v) -> str:
    return "—" if v is None else yi(v)


def _pct(v) -> str:
    return "—" if v is None else pct(v)


def _wan(v) -> str:
    return "" if v is None else f"{float(v):,.2f}"


def _names(pairs: list[tuple[str, int]]) -> str:
    return "、".join(f"{u}（{n}个）" for u, n in pairs)


def problem_paragraphs(p: dict) -> list[str]:
    out = []
    if p["below_target"]:
        out.append(f"（一）工业投资增速未达到目标的有{len(p['below_target'])}个县（市、区）："
                   f"{'、'.join(p['below_target'])}。")
    elif not p["with_target"]:
        out.append("（一）本年度未设县（市、区）工业投资增速目标，暂不对照目标。")
    elif p["growth_not_computable"]:
        out.append("（一）部分县（市、区）因缺少上年同期入统数据，工业投资增速暂无法对照目标。")
    else:
        out.append("（一）有增速目标的县（市、区）工业投资增速均达到目标。")
    out.append(f"（二）漏报项目较多的有：{_names(p['most_missed'])}。" if p["most_missed"]
               else "（二）本季度未发现漏报项目。")
    out.append(f"（三）开复工项目未入统较多的有：{_names(p['most_unregistered'])}。" if p["most_unregistered"]
               else "（三）本季度开复工项目均已入统。")
    return out


# --------------------------------------------------------------------------------------------
# The document


def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), name)


def _para(doc, text: str, font: str = BODY_FONT, size: float = 16, bold: bool = False,
          align=None, indent: bool = True, highlight: bool = False):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = Pt(28)
    p.paragraph_format.space_after = Pt(0)
    run = p.add_run(text)
    _font(run, font, size, bold)
    if highlight:
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    return p


TABLE_FONT_SIZE = 8


def _cell(cell, text: str, bold: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    cell.text = ""
    p = cell.paragraphs[0]
    p.alignment = align
    _font(p.add_run(text), BODY_FONT, TABLE_FONT_SIZE, bold)


TABLE_HEADERS = ("序号", "县（市、区）", "调度库项目（个）", "总投资（万元）", "工业投资（万元）", "同比增速",
                 "目标增速", "开复工率", "规范入统率", "漏报（个）", "未入统（个）")
# Column widths (cm) within the 15.6 cm text width: amounts and rates wide enough that no number
# wraps ("2,728,859.00", "-100.0%" in bold), counts and 序号 narrow; headers may wrap.
TABLE_WIDTHS_CM = (0.7, 1.6, 0.9, 2.6, 2.6, 1.5, 1.1, 1.3, 1.3, 0.9, 0.9)


def _fix_table_layout(table) -> None:
    """Fixed layout (autofit off), each column's width on every cell, narrow cell margins."""
    table.autofit = False
    for col, width in zip(table.columns, TABLE_WIDTHS_CM, strict=True):
        col.width = Cm(width)
        for cell in col.cells:
            cell.width = Cm(width)
    tbl_pr = table._tbl.tblPr
    mar = tbl_pr.makeelement(qn("w:tblCellMar"), {})
    for side in ("left", "right"):
        el = mar.makeelement(qn(f"w:{side}"), {qn("w:w"): "57", qn("w:type"): "dxa"})  # 0.1 cm
        mar.append(el)
    look = tbl_pr.find(qn("w:tblLook"))  # schema order: tblCellMar goes before tblLook
    if look is not None:
        look.addprevious(mar)
    else:
        tbl_pr.append(mar)


def _table_row(seq, r: dict) -> list[str]:
    return [seq, r["unit"], _n(r["dispatch_projects"]), _wan(r["dispatch_total_investment"]),
            _wan(r["industrial_investment"]), _pct(r["industrial_growth"]),
            _pct(r.get("target_growth")), _pct(r["start_rate"]), _pct(r["registration_rate"]),
            _n(r["missed_reports"]), _n(r["unregistered"])]


def build_document(quarter: str, city: dict, units: list[dict], problems: dict, placeholder: str,
                   header: dict | None = None):
    header = header or {"issuer": office.issuing_body(), "date": office.document_date(quarter)}
    day, issuer = header["date"], header["issuer"]
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)

    _para(doc, f"{look.CITY}工业重点项目{look.quarter_label(quarter)}建设情况通报", TITLE_FONT, 22,
          align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(doc, "（初稿）", BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(doc, f"{issuer}　　{office.cn_date(day)}", BODY_FONT, 16,
          align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(doc, "各县（市、区）人民政府，忻州经济开发区、五台山风景名胜区管委会，市直有关单位：", indent=False)
    _para(doc, f"按照工业重点项目按季通报的要求，现将{look.quarter_label(quarter)}全市工业重点项目建设情况通报如下。")

    _para(doc, "一、总体情况", HEADING_FONT, 16)
    for s in overview_sentences(city, quarter):
        _para(doc, s)

    _para(doc, "二、各县（市、区）情况", HEADING_FONT, 16)
    _para(doc, "各县（市、区）主要指标见下表（金额单位：万元）。", indent=True)
    table = doc.add_table(rows=1, cols=len(TABLE_HEADERS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for c, text in zip(table.rows[0].cells, TABLE_HEADERS, strict=True):
        _cell(c, text, bold=True)
    for i, r in enumerate(units, start=1):
        for c, text in zip(table.add_row().cells, _table_row(str(i), r), strict=True):
            _cell(c, text)
    total = {"unit": "全市合计", **city, "target_growth": None}
    for c, text in zip(table.add_row().cells, _table_row("", total), strict=True):
        _cell(c, text, bold=True)
    _fix_table_layout(table)

    _para(doc, "三、存在问题", HEADING_FONT, 16)
    for s in problem_paragraphs(problems):
        _para(doc, s)

    _para(doc, "四、下一步工作", HEADING_FONT, 16)
    _para(doc, placeholder, highlight=True)

    _para(doc, "", indent=False)
    book = look.bulletin_filename(quarter)
    attachments = [f"1. 各县（市、区）工业重点项目建设情况表（《{book}》“季度通报”工作表）",
                   "2. 漏报项目清单（同上，“漏报项目”工作表）",
                   "3. 未入统项目清单（同上，“未入统项目”工作表）",
                   "4. 全市目标完成情况（同上，“全市目标”工作表）"]
    _para(doc, "附件：" + attachments[0], indent=True)
    for a in attachments[1:]:
        p = _para(doc, a, indent=False)
        p.paragraph_format.left_indent = Pt(16 * 5)
    _para(doc, "", indent=False)
    _para(doc, issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _para(doc, office.cn_date(day), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)

    moment = dt.datetime(day.year, day.month, day.day)
    cp = doc.core_properties
    cp.author = cp.last_modified_by = "keyprojects"
    cp.title = f"{look.CITY}工业重点项目{look.quarter_label(quarter)}建设情况通报（初稿）"
    cp.created = cp.modified = cp.last_printed = moment
    cp.revision = 1
    return doc


def document_bytes(doc, moment: dt.datetime) -> bytes:
    """The document as bytes with fixed zip timestamps (python-docx stamps each member with now)."""
    raw = io.BytesIO()
    doc.save(raw)
    return restamp_zip(raw.getvalue(), moment)


def write_notice(conn_or_engine, quarter: str, output_dir: Path) -> Path:
    """Write the quarter's draft 通报 and return its path. Raises ``LookupError`` without the
    quarter's marts."""
    y, n = quarters.parse_quarter(quarter)
    quarter = f"{y}Q{n}"
    units = read_units(conn_or_engine, quarter)
    if not units:
        raise LookupError(f"bulletin_unit_quarter has no rows for {quarter}: run the quarter's marts first")
    settings = office.settings()["notice"]
    city = read_city(conn_or_engine, quarter)
    problems = read_problems(conn_or_engine, quarter, int(settings["worst_units"]))
    header = read_header(conn_or_engine, quarter)
    doc = build_document(quarter, city, units, problems, settings["next_steps_placeholder"], header)
    day = header["date"]
    payload = document_bytes(doc, dt.datetime(day.year, day.month, day.day))
    return write_atomic(Path(output_dir) / quarter / notice_filename(quarter), payload)
