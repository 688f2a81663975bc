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

This module lays out the .docx; every number and sentence comes from ``notice_text.py`` (the
``read_*`` functions, SQL only, and the wording). The file is deterministic: fixed core properties
and zip timestamps (the quarter's last day), so a rerun writes identical bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_COLOR_INDEX, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from keyprojects import quarters
from keyprojects.documents import look, notice_text, office
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
    for s in notice_text.overview_sentences(city, quarter):
        _para(doc, s)

    _para(doc, "二、各县（市、区）情况", HEADING_FONT)
    scope = "，全市合计不含未报送单位" if notice_text.scope(city) else ""
    _para(doc, f"各单位主要指标见下表（金额单位：亿元{scope}）。")
    table = doc.add_table(rows=1, cols=len(TABLE_HEADERS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for c, text in zip(table.rows[0].cells, TABLE_HEADERS, strict=True):
        _cell(c, text, bold=True)
    for i, r in enumerate(units, start=1):
        for c, text in zip(table.add_row().cells, notice_text.table_row(str(i), r), strict=True):
            _cell(c, text)
    total = {"unit": "全市合计", **city, "target_growth": None}
    for c, text in zip(table.add_row().cells, notice_text.table_row("", total), strict=True):
        _cell(c, text, bold=True)
    _fix_table_layout(table)
    words = notice_text.commendation_sentence(commendation) if commendation else ""
    if words:
        _para(doc, words, highlight=True)

    _para(doc, "三、存在问题", HEADING_FONT)
    _headed(doc, notice_text.problem_paragraphs(problems))

    _para(doc, "四、下一步工作", HEADING_FONT)
    _headed(doc, notice_text.next_steps(city, quarter, overdue), highlight=True)

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
    units = notice_text.read_units(conn_or_engine, quarter)
    if not units:
        raise LookupError(f"bulletin_unit_quarter has no rows for {quarter}: run the quarter's marts first")
    settings = office.settings()["notice"]
    city = notice_text.read_city(conn_or_engine, quarter)
    problems = notice_text.read_problems(conn_or_engine, quarter, int(settings["worst_units"]))
    commendation = notice_text.read_commendation(conn_or_engine, quarter, int(settings["commend_units"])) \
        if int(settings["commend_units"]) > 0 else None
    header = notice_text.read_header(conn_or_engine, quarter)
    doc = build_document(quarter, city, units, problems, header, commendation,
                         notice_text.read_overdue_problems(conn_or_engine, quarter), settings)
    day = quarters.quarter_end(quarter)
    payload = document_bytes(doc, dt.datetime(day.year, day.month, day.day))
    return write_atomic(Path(output_dir) / quarter / notice_filename(quarter), payload)
