"""The draft 通报 (Word): the quarter's bulletin as the office signs it (GB/T 9704-2012 form).

``write_notice(engine, "2022Q4", output_dir)`` writes
``<output_dir>/2022Q4/忻州市工业重点项目2022年第四季度通报（初稿）.docx``: the 发文字号 line, the title
in the "<issuer>关于…的通报" form, 主送机关, a lead-in citing the plan and ending "通报如下：";
一、总体情况 (the city's figures, each growth with its target, 技术改造投资, 未报送 units named, 漏报
in three counts, 储备库 and 调度库 apart); 二、各县（市、区）情况 (the table, 表扬 / 通报批评 wording);
三、存在问题; 四、下一步工作 (suggestions built from the quarter's data); the 附件 list; the 落款
(署名 centred over a blank 成文日期); one page per attachment saying which sheet of the bulletin
workbook it is; 抄送 and 版记. The office changes only the words on yellow, then signs
(docs/domain.md '公文格式' says where each convention is configured).

Every number comes from the warehouse through the ``read_*`` functions below (SQL only; Python
formats: fractions -> percentages, and lays out). The file is deterministic: fixed core properties
and zip timestamps (the quarter's last day), so a rerun writes identical bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_COLOR_INDEX, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from keyprojects import db, quarters
from keyprojects.documents import look, office
from keyprojects.documents.files import restamp_zip, write_atomic

# East Asian fonts by name (w:eastAsia), each with the fallback Word/WPS use where it is missing
# (declared in the document's font table as w:altName).
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", SUBHEADING_FONT: "楷体"}
LATIN_FONT = "Times New Roman"

# Sizes (pt): 2号 title, 3号 body, 4号 版记 and page number, 五号 table.
TITLE_SIZE, BODY_SIZE, NOTE_SIZE, TABLE_FONT_SIZE = 22, 16, 14, 10.5
LINE = Pt(28)  # 22 lines a page on the GB/T 9704 type area

# The figures the city sentences need, from one row (group_kind 'city') of bulletin_group_quarter.
CITY_COLUMNS = ("dispatch_projects", "dispatch_total_investment", "industrial_investment",
                "industrial_investment_prev", "industrial_growth", "started_projects", "start_rate",
                "registered_projects", "registration_rate", "missed_reports", "returned_reports",
                "unconfirmed_reports", "units_not_reported")
# The city targets 一、总体情况 states (amount and growth), in this order.
INVESTMENT_INDICATORS = ("industrial_investment", "newbuild_investment", "renovation_investment")
LIBRARY_TITLES = {"reserve": "储备库", "dispatch": "调度库"}

# The attachments: title, and where the office finds the table (a sheet of the bulletin workbook).
ATTACHMENTS = (
    ("全市工业重点项目建设情况表", "季度通报", "A3横向"),
    ("漏报项目清单", "漏报项目", "A4横向"),
    ("未入统项目清单", "未入统项目", "A4横向"),
    ("全市目标完成情况表", "全市目标", "A4横向"),
)


def notice_filename(quarter: str) -> str:
    return f"{look.CITY}工业重点项目{look.quarter_label(quarter)}通报（初稿）.docx"


def title_text(quarter: str, issuer: str | None = None) -> str:
    """The 标题: "<发文机关>关于<年季度>全市工业重点项目建设情况的通报"."""
    return f"{issuer or office.issuing_body()}关于{look.quarter_label(quarter)}全市工业重点项目建设情况的通报"


# --------------------------------------------------------------------------------------------
# Reading (SQL only)


def read_header(conn_or_engine, quarter: str) -> dict:
    """The issuing body (``bulletin_quarter.issuer``, else configuration) and the data's cut-off.
    The 成文日期 is not read: it is the day of signing, left blank for the office."""
    rows = db.fetch(conn_or_engine, "SELECT issuer FROM bulletin_quarter WHERE quarter = :q", q=quarter)
    issuer = (rows[0]["issuer"] if rows else None) or office.issuing_body()
    return {"issuer": issuer, "cutoff": quarters.quarter_end(quarter)}


def read_city(conn_or_engine, quarter: str) -> dict:
    """The city's figures for the quarter: the ``city`` row of ``bulletin_group_quarter`` (their SQL
    home) with its amounts in 亿元; ``target_amount``/``target_progress`` (city_targets);
    ``unregistered`` (rows of unregistered_projects); ``targets`` (the amount and growth targets of
    industrial, new-build and renovation investment); ``not_reported`` (units without a library);
    ``missed_by_library`` (漏报 of 储备库 and 调度库). Raises ``LookupError`` when the quarter's marts
    were not built."""
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
    city["targets"] = read_targets(conn_or_engine, quarter)
    city["not_reported"] = read_not_reported(conn_or_engine, quarter)
    city["missed_by_library"] = read_missed_by_library(conn_or_engine, quarter)
    return city


def read_targets(conn_or_engine, quarter: str) -> list[dict]:
    """Per indicator of ``INVESTMENT_INDICATORS`` with a target: its label, the amount (actual and
    target in 亿元 as 全市目标 shows them, progress) and the growth (actual, target, attained)."""
    rows = db.fetch(conn_or_engine, """
        SELECT indicator, label, measure, target, actual, attained, target_shown, actual_shown, progress
        FROM city_targets
        WHERE quarter = :q AND measure IN ('amount', 'growth')
          AND indicator IN ('industrial_investment', 'newbuild_investment', 'renovation_investment')
        ORDER BY indicator_order, measure_order""", q=quarter)
    out: dict[str, dict] = {}
    for r in rows:
        out.setdefault(r["indicator"], {"indicator": r["indicator"], "label": r["label"]})[r["measure"]] = dict(r)
    return [out[k] for k in INVESTMENT_INDICATORS if k in out]


def read_not_reported(conn_or_engine, quarter: str) -> list[dict]:
    """Units that did not send their reserve or dispatch library (unit_submissions, via the unit mart),
    in plan order, with the libraries missing."""
    rows = db.fetch(conn_or_engine, """
        SELECT unit, reserve_status, dispatch_status FROM bulletin_unit_quarter
        WHERE quarter = :q AND (reserve_status = 'not_received' OR dispatch_status = 'not_received')
        ORDER BY unit_order""", q=quarter)
    return [{"unit": r["unit"], "libraries": tuple(lib for lib in ("reserve", "dispatch")
                                                   if r[f"{lib}_status"] == "not_received")} for r in rows]


def read_missed_by_library(conn_or_engine, quarter: str) -> dict:
    """漏报 per library (docs/decisions.md): a project listed by 审批局 or 能源局 is a 调度库 漏报;
    one listed only by 商务局 (signed) a 储备库 漏报. The two add up to the 漏报 count."""
    rows = db.fetch(conn_or_engine, """
        SELECT library, COUNT(*) AS n FROM (
            SELECT unit, project_key,
                   CASE WHEN MAX(CASE WHEN source_list IN ('approved', 'energy') THEN 1 ELSE 0 END) = 1
                        THEN 'dispatch' ELSE 'reserve' END AS library
            FROM missed_reports WHERE quarter = :q GROUP BY unit, project_key) t
        GROUP BY library""", q=quarter)
    found = {r["library"]: int(r["n"]) for r in rows}
    return {"reserve": found.get("reserve", 0), "dispatch": found.get("dispatch", 0)}


def read_units(conn_or_engine, quarter: str) -> list[dict]:
    """Each unit's row of the table, in the plan's order, with its count of 未入统 projects; amounts
    also in 亿元 (rounded to 2 decimals in SQL)."""
    return db.fetch(conn_or_engine, """
        SELECT b.unit, b.unit_order, b.dispatch_projects, b.dispatch_total_investment,
               b.industrial_investment, b.industrial_growth, b.target_growth, b.growth_attained,
               round(cast(b.dispatch_total_investment / 10000 as numeric), 2) AS dispatch_total_investment_yi,
               round(cast(b.industrial_investment / 10000 as numeric), 2) AS industrial_investment_yi,
               b.start_rate, b.registration_rate, b.missed_reports,
               CASE WHEN b.registered_projects IS NULL THEN NULL ELSE COALESCE(u.n, 0) END AS unregistered
        FROM bulletin_unit_quarter b
        LEFT JOIN (SELECT unit, COUNT(*) AS n FROM unregistered_projects WHERE quarter = :q GROUP BY unit) u
               ON u.unit = b.unit
        WHERE b.quarter = :q
        ORDER BY b.unit_order""", q=quarter)


def read_problems(conn_or_engine, quarter: str, worst: int) -> dict:
    """三、存在问题: units below their growth target (plan order); the ``worst`` units with the most
    漏报 (the 漏报 count only: 退回待改 and 待核实 are not 漏报) and 未入统 projects (count > 0, most
    first, then the plan's unit order)."""
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


def read_commendation(conn_or_engine, quarter: str, count: int) -> dict:
    """表扬 / 通报批评: the ``count`` units furthest above their growth target (growth_rank 1, 2, …,
    target attained) and furthest below it (target not attained, lowest rank last), and how many
    units' industrial investment fell (negative growth)."""
    ranked = db.fetch(conn_or_engine, """
        SELECT unit, growth_rank, growth_attained FROM bulletin_unit_quarter
        WHERE quarter = :q AND growth_rank IS NOT NULL ORDER BY growth_rank, unit_order""", q=quarter)
    top = [r["unit"] for r in ranked if r["growth_attained"] == 1][:count]
    bottom = [r["unit"] for r in reversed(ranked) if r["growth_attained"] == 0 and r["unit"] not in top][:count]
    negative = db.fetch(conn_or_engine, """
        SELECT COUNT(*) AS n FROM bulletin_unit_quarter
        WHERE quarter = :q AND industrial_growth < 0""", q=quarter)[0]["n"]
    return {"top": top, "bottom": list(reversed(bottom)), "negative": int(negative or 0)}


def read_overdue_problems(conn_or_engine, quarter: str) -> int | None:
    """13710 problems overdue at the quarter's last month (problems_month); None when that month's
    dispatch was not loaded."""
    end = quarters.quarter_end(quarter)
    month = f"{end.year}-{end.month:02d}"
    row = db.fetch(conn_or_engine, """
        SELECT COUNT(*) AS n, SUM(overdue) AS overdue FROM problems_month WHERE month = :m""", m=month)[0]
    return int(row["overdue"] or 0) if row["n"] else None


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


def target_phrase(growth, target, attained, strict: bool = False) -> str:
    """"高于10%的目标" / "达到…" / "低于…" against a growth target, judged as the mart judged it
    (``attained``, at the precision the office reads); "" without a target."""
    if target is None:
        return ""
    goal = f"{float(target) * 100:g}%的目标"
    if growth is None or attained is None:
        return f"暂无法对照{goal}"
    if attained:
        return f"达到{goal}" if pct(growth) == pct(target) else f"高于{goal}"
    return f"未高于{goal}" if pct(growth) == pct(target) else f"低于{goal}"


def _n(v) -> str:
    return "—" if v is None else str(int(v))


def _yi(v) -> str:
    return "—" if v is None else yi(v)


def _pct(v) -> str:
    return "—" if v is None else pct(v)


def _names(pairs: list[tuple[str, int]]) -> str:
    return "、".join(f"{u}（{n}个）" for u, n in pairs)


def _scope(city: dict) -> str:
    """What a city total covers: "（不含未报送单位）" when a unit sent no dispatch library."""
    return "（不含未报送单位）" if city.get("units_not_reported") else ""


def investment_sentence(t: dict) -> str:
    """One indicator's amount and growth, each with its target: "工业固定资产投资完成X亿元，完成年度目标
    （350.00亿元）的Y%；同比增长a%，高于10%的目标"."""
    amount, growth = t.get("amount"), t.get("growth")
    parts = []
    if amount is not None:
        if amount["actual_shown"] is None:
            parts.append(f"{t['label']}暂无法计算")
        else:
            text = f"{t['label']}完成{yi(amount['actual_shown'])}亿元"
            if amount["progress"] is not None:
                text += f"，完成年度目标（{yi(amount['target_shown'])}亿元）的{pct(amount['progress'])}"
            parts.append(text)
    if growth is not None:
        if growth["actual"] is None:
            parts.append("同比增速暂无法计算（缺少上年同期入统数据）")
        else:
            parts.append(growth_phrase(growth["actual"]) + "，"
                         + target_phrase(growth["actual"], growth["target"], growth["attained"]))
    return "；".join(parts)


def not_reported_sentence(units: list[dict]) -> str:
    """"岢岚县未按时报送调度库；…" grouped by the libraries missing, plan order kept."""
    groups: dict[tuple, list[str]] = {}
    for u in units:
        groups.setdefault(u["libraries"], []).append(u["unit"])
    parts = [f"{'、'.join(names)}未按时报送{'和'.join(LIBRARY_TITLES[lib] for lib in libs)}"
             for libs, names in groups.items()]
    return "；".join(parts)


def overview_sentences(city: dict, quarter: str) -> list[str]:
    """一、总体情况: [0] investment against targets, [1] the dispatch library, [2] 漏报 in three counts,
    [3] the units that did not report (when any)."""
    cutoff = office.cn_date(quarters.quarter_end(quarter))
    targets = city.get("targets") or []
    if targets:
        first, *parts = [investment_sentence(t) for t in targets]
        s1 = f"截至{cutoff}，全市{first}。" + "".join(("其中，" if i == 0 else "") + s + "。"
                                                    for i, s in enumerate(parts))
    else:
        g = city["industrial_growth"]
        s1 = (f"截至{cutoff}，全市工业固定资产投资完成{_yi(city['industrial_investment_yi'])}亿元，"
              + (growth_phrase(g) if g is not None else "同比增速暂无法计算（缺少上年同期入统数据）")
              + "；本年度未设全市工业投资目标。")
    scope = _scope(city)
    s2 = (f"全市调度库项目{_n(city['dispatch_projects'])}个{scope}，"
          f"总投资{_yi(city['dispatch_total_investment_yi'])}亿元；"
          f"开复工{_n(city['started_projects'])}个，开复工率{_pct(city['start_rate'])}；"
          f"开复工项目已入统{_n(city['registered_projects'])}个，规范入统率{_pct(city['registration_rate'])}，"
          f"未入统项目{_n(city['unregistered'])}个。")
    by_lib = city.get("missed_by_library") or {}
    s3 = f"漏报项目{_n(city['missed_reports'])}个{scope}"
    if by_lib:
        s3 = ("对照市商务局、市行政审批局、市能源局清单，各单位" + s3
              + f"，其中储备库漏报{by_lib.get('reserve', 0)}个（对照市商务局签约清单），"
                f"调度库漏报{by_lib.get('dispatch', 0)}个（对照市行政审批局立项清单、市能源局能源类清单）")
    else:
        s3 = "对照市商务局、市行政审批局、市能源局清单，各单位" + s3
    s3 += set_aside_phrase(city) + "。"
    out = [s1, s2, s3]
    if city.get("not_reported"):
        out.append(not_reported_sentence(city["not_reported"]) + "，其未报送的库的数据未计入上述合计，不计漏报。")
    return out


def overview_text(conn_or_engine, quarter: str) -> str:
    """The draft 通报's 一、总体情况 paragraph as plain text (the office's delivery email body)."""
    return "".join(overview_sentences(read_city(conn_or_engine, quarter), quarter))


def set_aside_phrase(figures: dict) -> str:
    """The other two counts beside 漏报: 报送不规范（退回待改） and 待核实 (empty when none)."""
    parts = []
    if figures.get("returned_reports"):
        parts.append(f"报送不规范（退回待改）的项目{_n(figures['returned_reports'])}个")
    if figures.get("unconfirmed_reports"):
        parts.append(f"名称相近待核实的项目{_n(figures['unconfirmed_reports'])}个")
    return ("；另有" + "、".join(parts) + "，均不计入漏报") if parts else ""


def commendation_sentence(c: dict) -> str:
    """表扬 / 通报批评 wording (the office decides whether to keep it: printed on yellow)."""
    parts = []
    if c["top"]:
        parts.append(f"{'、'.join(c['top'])}工业固定资产投资增速超过目标幅度居前，予以表扬")
    if c["bottom"]:
        parts.append(f"{'、'.join(c['bottom'])}低于目标幅度居后，予以通报批评")
    if c["negative"]:
        parts.append(f"{c['negative']}个单位工业固定资产投资同比负增长")
    return ("；".join(parts) + "。") if parts else ""


def problem_paragraphs(p: dict) -> list[tuple[str, str]]:
    """三、存在问题 as (（一）-heading, text) pairs."""
    out = []
    if p["below_target"]:
        out.append(("（一）部分单位工业投资增速未达到目标。",
                    f"工业投资增速未达到目标的有{len(p['below_target'])}个单位：{'、'.join(p['below_target'])}。"))
    elif not p["with_target"]:
        out.append(("（一）工业投资增速目标。", "本年度未设各单位工业投资增速目标，暂不对照目标。"))
    elif p["growth_not_computable"]:
        out.append(("（一）工业投资增速暂无法对照目标。",
                    "部分单位因缺少上年同期入统数据，工业投资增速暂无法对照目标。"))
    else:
        out.append(("（一）工业投资增速均达到目标。",
                    "有增速目标的单位工业投资增速均达到目标。"))
    out.append(("（二）部分单位漏报项目较多。", f"漏报项目较多的有：{_names(p['most_missed'])}。")
               if p["most_missed"] else ("（二）漏报项目。", "本季度未发现漏报项目。"))
    out.append(("（三）部分开复工项目未规范入统。", f"开复工项目未入统较多的有：{_names(p['most_unregistered'])}。")
               if p["most_unregistered"] else ("（三）规范入统。", "本季度开复工项目均已入统。"))
    return out


def next_steps(city: dict, quarter: str, overdue: int | None) -> list[tuple[str, str]]:
    """四、下一步工作: editable suggestions from the quarter's data (printed on yellow)."""
    deadline = office.cn_date(office.resubmit_deadline(quarter))
    fix = "请各单位对照退回清单，"
    if city.get("returned_reports"):
        fix += f"对报送不规范（退回待改）的{_n(city['returned_reports'])}个项目"
    fix += f"于{deadline}前完成补报、更正，逐项核实漏报和待核实项目。"
    out = [("（一）抓好数据补报更正。", fix)]
    if city.get("unregistered"):
        out.append(("（二）推动项目规范入统。",
                    f"督促{_n(city['unregistered'])}个已开复工未入统项目尽快规范入统，做到应统尽统。"))
    if overdue:
        out.append(("（三）加快问题办结销号。", f"对13710平台超期未办结的{overdue}个问题，责任单位要限时办结销号。"))
    if city.get("not_reported"):
        names = "、".join(u["unit"] for u in city["not_reported"])
        out.append(("（四）按时报送项目库。", f"{names}要按时报送储备库、调度库，确保数据完整。"))
    numerals = "一二三四五六七八九"
    return [(f"（{numerals[i]}）{h.split('）', 1)[1]}", t) for i, (h, t) in enumerate(out)]


# --------------------------------------------------------------------------------------------
# The document


def _font(run, name: str, size: float, bold: bool = False) -> None:
    """The run's East Asian font by name (w:eastAsia), Latin digits in ``LATIN_FONT``."""
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), name)
    rfonts.set(qn("w:hint"), "eastAsia")


def _run(p, text: str, font: str = BODY_FONT, size: float = BODY_SIZE, bold: bool = False,
         highlight: bool = False):
    run = p.add_run(text)
    _font(run, font, size, bold)
    if highlight:
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    return run


def _para(doc, text: str = "", font: str = BODY_FONT, size: float = BODY_SIZE, bold: bool = False,
          align=None, indent: bool = True, highlight: bool = False):
    p = doc.add_paragraph()
    p.alignment = align if align is not None else WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = LINE
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(0)
    if text:
        _run(p, text, font, size, bold, highlight)
    return p


def _width(text: str, size: float) -> float:
    """Printed width in pt: a CJK or full-width character is one em, a digit or Latin letter half."""
    return sum(size if ord(ch) > 0x2E7F else size / 2 for ch in text)


def _border(p, side: str, size: int = 8) -> None:
    ppr = p._p.get_or_add_pPr()
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        ppr.append(bdr)
    el = OxmlElement(f"w:{side}")
    for k, v in (("val", "single"), ("sz", str(size)), ("space", "1"), ("color", "000000")):
        el.set(qn(f"w:{k}"), v)
    bdr.append(el)


def _page_number(paragraph) -> None:
    """"— PAGE —" as a field (the page number Word computes)."""
    _run(paragraph, "— ", PAGE_NUMBER_FONT, NOTE_SIZE)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = _run(paragraph, "", PAGE_NUMBER_FONT, NOTE_SIZE)
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)
    _run(paragraph, " —", PAGE_NUMBER_FONT, NOTE_SIZE)


def _footers(doc, section) -> None:
    """页码 in the footer at the outer edge: right on odd pages, left on even pages, one em in."""
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        setattr(p.paragraph_format, f"{side}_indent", Pt(BODY_SIZE))
        _page_number(p)
    section.footer_distance = Cm(2.8)


def _font_table(doc) -> None:
    """Declare each East Asian font with its fallback (w:altName) in the font table."""
    part = next((r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable")), None)
    if part is None:
        return
    from lxml import etree

    root = etree.fromstring(part.blob)
    for name, alt in FALLBACKS.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        alt_el = etree.SubElement(font, qn("w:altName"))
        alt_el.set(qn("w:val"), alt)
        charset = etree.SubElement(font, qn("w:charset"))
        charset.set(qn("w:val"), "86")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


TABLE_HEADERS = ("序号", "县（市、区）", "调度库项目（个）", "总投资（亿元）", "工业投资（亿元）", "同比增速",
                 "目标增速", "开复工率", "规范入统率", "漏报（个）", "未入统（个）")
# Column widths (cm) within the 15.6 cm text width at 五号 (10.5 pt): amounts in 亿元 and rates
# wide enough that no number wraps ("1234.56", "-100.0%"), unit names wrap at most once.
TABLE_WIDTHS_CM = (0.9, 2.3, 1.2, 1.5, 1.5, 1.6, 1.3, 1.5, 1.5, 1.1, 1.1)


def _cell(cell, text: str, bold: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    p = cell.paragraphs[0]
    p.alignment = align
    _font(p.add_run(text), BODY_FONT, TABLE_FONT_SIZE, bold)


def _fix_table_layout(table) -> None:
    """Fixed layout (autofit off), each column's width on every cell, narrow cell margins, the
    header row repeated on each page."""
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
    tbl_look = tbl_pr.find(qn("w:tblLook"))  # schema order: tblCellMar goes before tblLook
    if tbl_look is not None:
        tbl_look.addprevious(mar)
    else:
        tbl_pr.append(mar)
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _table_row(seq, r: dict) -> list[str]:
    return [seq, r["unit"], _n(r["dispatch_projects"]), _yi(r["dispatch_total_investment_yi"]),
            _yi(r["industrial_investment_yi"]), _pct(r["industrial_growth"]),
            _pct(r.get("target_growth")), _pct(r["start_rate"]), _pct(r["registration_rate"]),
            _n(r["missed_reports"]), _n(r["unregistered"])]


def _headed(doc, pairs: list[tuple[str, str]], highlight: bool = False) -> None:
    """Paragraphs opening with a （一） heading in 楷体_GB2312, the text in 仿宋_GB2312."""
    for head, text in pairs:
        p = _para(doc)
        _run(p, head, SUBHEADING_FONT, highlight=highlight)
        _run(p, text, highlight=highlight)


def _page_break(doc) -> None:
    p = _para(doc, indent=False)
    p.add_run().add_break(WD_BREAK.PAGE)


def attachment_lines(quarter: str) -> list[str]:
    """The 附件 list: numbered titles only (no file or sheet names); the A3 one says so."""
    return [f"{i}．{title}" + ("（A3）" if paper.startswith("A3") else "")
            for i, (title, _, paper) in enumerate(ATTACHMENTS, start=1)]


def build_document(quarter: str, city: dict, units: list[dict], problems: dict,
                   header: dict | None = None, commendation: dict | None = None, overdue: int | None = None,
                   settings: dict | None = None):
    settings = settings or office.settings()["notice"]
    header = header or {"issuer": office.issuing_body(), "cutoff": quarters.quarter_end(quarter)}
    issuer = header["issuer"]
    year = quarters.parse_quarter(quarter)[0]
    signing = office.signing_year(quarter)
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _footers(doc, section)
    _font_table(doc)

    # 发文字号 (the number on yellow), one blank line, the title broken between words
    p = _para(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _run(p, f"{settings['document_number_prefix']}〔{signing}〕")
    _run(p, "　", highlight=True)
    _run(p, "号")
    _para(doc, indent=False)
    p = _para(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    p.paragraph_format.line_spacing = Pt(35)
    lines = [f"{issuer}关于", f"{look.quarter_label(quarter)}全市工业重点项目", "建设情况的通报"]  # = title_text
    for i, line in enumerate(lines):
        run = _run(p, line, TITLE_FONT, TITLE_SIZE)
        if i < len(lines) - 1:
            run.add_break()
    _para(doc, indent=False)
    _para(doc, settings["recipients"], indent=False)
    plan = settings["plan_title"].format(year=year)
    _para(doc, f"按照{plan}关于工业重点项目按季通报的要求，现将{look.quarter_label(quarter)}"
               f"全市工业重点项目建设情况通报如下：")

    _para(doc, "一、总体情况", HEADING_FONT)
    for s in overview_sentences(city, quarter):
        _para(doc, s)

    _para(doc, "二、各县（市、区）情况", HEADING_FONT)
    scope = "，全市合计不含未报送单位" if _scope(city) else ""
    _para(doc, f"各单位主要指标见下表（金额单位：亿元{scope}）。")
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
    words = commendation_sentence(commendation) if commendation else ""
    if words:
        _para(doc, words, highlight=True)

    _para(doc, "三、存在问题", HEADING_FONT)
    _headed(doc, problem_paragraphs(problems))

    _para(doc, "四、下一步工作", HEADING_FONT)
    _headed(doc, next_steps(city, quarter, overdue), highlight=True)

    # 附件说明: one blank line, then "附件：1．…" with the following titles aligned under the first
    _para(doc, indent=False)
    items = attachment_lines(quarter)
    p = _para(doc, "附件：" + items[0])
    for item in items[1:]:
        q = _para(doc, item, indent=False)
        q.paragraph_format.left_indent = Pt(BODY_SIZE * 5)

    # 落款: 成文日期 four characters from the right; the 署名 centred over it
    date_text = f"{signing}年　月　日"
    right = BODY_SIZE * 4
    centre = right + _width(date_text, BODY_SIZE) / 2
    for _ in range(3):
        _para(doc, indent=False)
    p = _para(doc, issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    p.paragraph_format.right_indent = Pt(max(0.0, centre - _width(issuer, BODY_SIZE) / 2))
    p = _para(doc, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    p.paragraph_format.right_indent = Pt(right)
    _run(p, date_text, highlight=True)

    # the attachments: one page each, saying which sheet of the bulletin workbook it is
    book = look.bulletin_filename(quarter)
    for i, (title, sheet, paper) in enumerate(ATTACHMENTS, start=1):
        _page_break(doc)
        _para(doc, f"附件{i}", HEADING_FONT, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
        _para(doc, indent=False)
        _para(doc, title, TITLE_FONT, TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        _para(doc, indent=False)
        _para(doc, f"本附件为《{book}》中的“{sheet}”工作表（{paper}打印），随文印发。")

    # 版记: 抄送, then 印发机关 and 印发日期 between lines, at the end of the last page
    _page_break(doc)
    for _ in range(19):  # 22 lines a page: the 版记 on its last lines
        _para(doc, indent=False)
    p = _para(doc, indent=False, size=NOTE_SIZE)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = Pt(NOTE_SIZE)
    _run(p, "抄送：" + "，".join(settings["copy_to"]) + "。", size=NOTE_SIZE)
    _border(p, "top", 12)
    _border(p, "bottom", 4)
    p = _para(doc, indent=False, size=NOTE_SIZE, align=WD_ALIGN_PARAGRAPH.LEFT)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = Pt(NOTE_SIZE)
    text_width = section.page_width - section.left_margin - section.right_margin
    p.paragraph_format.tab_stops.add_tab_stop(text_width - Pt(NOTE_SIZE * 2), WD_TAB_ALIGNMENT.RIGHT)
    _run(p, (settings.get("printed_by") or issuer) + "\t", size=NOTE_SIZE)
    _run(p, f"{signing}年　月　日", size=NOTE_SIZE, highlight=True)
    _run(p, "印发", size=NOTE_SIZE)
    _border(p, "bottom", 12)

    day = quarters.quarter_end(quarter)
    moment = dt.datetime(day.year, day.month, day.day)
    cp = doc.core_properties
    cp.author = cp.last_modified_by = "keyprojects"
    cp.title = title_text(quarter, issuer) + "（初稿）"
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
    commendation = read_commendation(conn_or_engine, quarter, int(settings["commend_units"])) \
        if int(settings["commend_units"]) > 0 else None
    header = read_header(conn_or_engine, quarter)
    doc = build_document(quarter, city, units, problems, header, commendation,
                         read_overdue_problems(conn_or_engine, quarter), settings)
    day = quarters.quarter_end(quarter)
    payload = document_bytes(doc, dt.datetime(day.year, day.month, day.day))
    return write_atomic(Path(output_dir) / quarter / notice_filename(quarter), payload)
