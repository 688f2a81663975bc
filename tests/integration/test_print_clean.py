"""Issue 17: the draft 通报 as an official signs it (read back from the .docx), and workbooks that
print clean: every text cell of every sheet fits its cell or wraps in a row tall enough
(openpyxl), and, where LibreOffice is installed, every document renders to PDF with its header
lines whole."""

import math
import re
import shutil
import subprocess

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from openpyxl.utils import get_column_letter

from keyprojects import db
from keyprojects.documents import bulletin, dispatch_workbook, notice, notice_text, office, ranking_workbook, returns

from ..conftest import ROOT
from .office_build import office_quarters
from .test_monthly_sql import _run, inbox  # noqa: F401  (the monthly fixture)

QUARTERS = ["2021Q4", "2022Q4"]
Q = "2022Q4"
SQL = ROOT / "include" / "sql"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    b = office_quarters(tmp_path_factory)
    eng, out = b["engine"], b["out"]
    yield {"engine": eng, "out": out, "notice": notice.write_notice(eng, Q, out),
           "books": [bulletin.write_bulletin(eng, Q, out), ranking_workbook.write_ranking(eng, 2022, out),
                     *returns.write_returns(eng, Q, out).values()]}
    eng.dispose()


# --------------------------------------------------------------------------------------------
# The draft 通报 read back


def test_the_notice_has_the_official_form(built):
    eng = built["engine"]
    doc = docx.Document(built["notice"])
    paras = [p.text for p in doc.paragraphs]
    text = "\n".join(paras)
    issuer = office.issuing_body()
    # 发文字号 first, the number blank on yellow; then the title in the 关于…的通报 form, broken between words
    first = doc.paragraphs[0]
    assert first.text == "忻工项办〔2023〕　号"
    assert [r.font.highlight_color for r in first.runs if r.text == "　"] == [7]  # WD_COLOR_INDEX.YELLOW
    title = next(p for p in doc.paragraphs if "关于" in p.text and p.text.endswith("的通报"))
    assert title.text.replace("\n", "") == \
        "忻州市工业项目建设领导组办公室关于2022年第四季度全市工业重点项目建设情况的通报"
    assert all(line.endswith(("关于", "项目", "通报")) for line in title.text.split("\n"))
    assert title.runs[0].font.size.pt == 22
    assert title.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert f"{issuer}　　2022年12月31日" not in text                       # no body+date line
    assert "2022年12月31日" not in text.replace("截至2022年12月31日", "")    # 成文日期 is not the cut-off
    assert "截至2022年12月31日" in text and "2023年　月　日" in text
    lead = next(p for p in paras if p.startswith("按照"))
    assert lead.endswith("通报如下：") and "《忻州市2022年工业重点项目高质量建设行动方案》" in lead
    # fonts by name: 黑体 for 一、, 楷体_GB2312 for （一）, 仿宋_GB2312 3号 body
    heading = next(p for p in doc.paragraphs if p.text == "一、总体情况")
    assert heading.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    sub = next(p for p in doc.paragraphs if p.text.startswith("（一）"))
    assert sub.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "楷体_GB2312"
    assert sub.runs[1]._r.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312" and sub.runs[1].font.size.pt == 16
    # 页码: a PAGE field in the footers, outer edge
    footers = [doc.sections[0].footer, doc.sections[0].even_page_footer]
    for footer, align in zip(footers, ("RIGHT", "LEFT"), strict=True):
        xml = footer._element.xml
        assert "PAGE" in xml and 'fldCharType="begin"' in xml and footer.paragraphs[0].text.startswith("— ")
        assert footer.paragraphs[0].alignment.name == align
    # 附件 list without file names, and the 落款 after it; 抄送 and 版记 at the end
    i = next(k for k, p in enumerate(paras) if p.startswith("附件："))
    assert paras[i] == "附件：1．全市工业重点项目建设情况表（A3）"
    assert paras[i + 1:i + 4] == ["2．漏报项目清单", "3．未入统项目清单", "4．全市目标完成情况表"]
    assert ".xlsx" not in "".join(paras[i:i + 4]) and "工作表" not in "".join(paras[i:i + 4])
    sign = paras.index(issuer, i)
    assert paras[sign + 1] == "2023年　月　日"
    assert [p for p in paras[sign:] if re.fullmatch(r"附件\d", p)] == ["附件1", "附件2", "附件3", "附件4"]
    assert paras[-2] == "抄送：市政府。" and paras[-1] == f"{issuer}\t2023年　月　日印发"
    # the table: 五号 or larger, header repeated, amounts in 亿元
    table = doc.tables[0]
    sizes = {r.font.size.pt for row in table.rows for c in row.cells for p in c.paragraphs for r in p.runs}
    assert min(sizes) >= 10.5
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert "总投资（亿元）" in [c.text for c in table.rows[0].cells]

    # content: 技改 with its targets, 未报送 units named, 漏报 in three counts, 储备库 and 调度库 apart
    assert re.search(r"技术改造类工业投资完成[\d.]+亿元，完成年度目标（100\.00亿元）的[\d.]+%；同比(增长|下降)[\d.]+%，"
                     r"(高于|低于|达到)15%的目标", text), text
    not_reported = db.fetch(eng, "SELECT unit, dispatch_status FROM bulletin_unit_quarter WHERE quarter = :q "
                                 "AND (dispatch_status = 'not_received' OR reserve_status = 'not_received')", q=Q)
    assert not_reported, "the generated quarter has units that did not report"
    for u in not_reported:
        assert u["unit"] in next(p for p in paras if "未按时报送" in p)
    if any(u["dispatch_status"] == "not_received" for u in not_reported):
        assert "（不含未报送单位）" in text
    city = db.fetch(eng, "SELECT missed_reports, returned_reports, unconfirmed_reports FROM bulletin_group_quarter "
                         "WHERE quarter = :q AND group_kind = 'city'", q=Q)[0]
    assert f"漏报项目{city['missed_reports']}个" in text
    assert f"报送不规范（退回待改）的项目{city['returned_reports']}个" in text
    assert f"待核实的项目{city['unconfirmed_reports']}个" in text
    m = re.search(r"储备库漏报(\d+)个（对照市商务局签约清单），调度库漏报(\d+)个", text)
    assert m and int(m[1]) + int(m[2]) == city["missed_reports"]
    assert "10个县（市、区）" not in text and re.search(r"\d+个单位", text)
    # 四、下一步工作 on yellow, citing the 退回清单 deadline
    steps = paras[paras.index("四、下一步工作") + 1]
    assert "2023年1月15日前" in steps
    step_para = doc.paragraphs[paras.index("四、下一步工作") + 1]
    assert all(r.font.highlight_color == 7 for r in step_para.runs)


def test_commendation_names_top_and_bottom_units(built):
    eng = built["engine"]
    c = notice_text.read_commendation(eng, Q, 3)
    ranked = db.fetch(eng, "SELECT unit, growth_rank, growth_attained, industrial_growth FROM bulletin_unit_quarter "
                           "WHERE quarter = :q AND growth_rank IS NOT NULL ORDER BY growth_rank", q=Q)
    assert c["top"] == [r["unit"] for r in ranked if r["growth_attained"] == 1][:3]
    assert c["bottom"] == [r["unit"] for r in ranked if r["growth_attained"] == 0][-3:]
    negative = db.fetch(eng, "SELECT COUNT(*) AS n FROM bulletin_unit_quarter WHERE quarter = :q "
                             "AND industrial_growth < 0", q=Q)[0]["n"]
    assert c["negative"] == negative
    text = "\n".join(p.text for p in docx.Document(built["notice"]).paragraphs)
    assert notice_text.commendation_sentence(c) in text


# --------------------------------------------------------------------------------------------
# Workbooks: every text whole


def _units(text: str) -> float:
    return sum(2.0 if ord(ch) >= 0x2E80 else 1.1 for ch in text)


def unreadable(ws) -> list[str]:
    """Text cells cut at the cell's edge: a text wider than its (merged) cell that does not wrap, or
    wraps into more lines than the row's height shows."""
    spans = {}
    for rng in ws.merged_cells.ranges:
        spans[(rng.min_row, rng.min_col)] = rng
    bad = []
    for row in ws.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str) or not cell.value:
                continue
            rng = spans.get((cell.row, cell.column))
            cols = range(rng.min_col, rng.max_col + 1) if rng else [cell.column]
            rows = range(rng.min_row, rng.max_row + 1) if rng else [cell.row]
            width = sum(ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in cols)
            height = sum(ws.row_dimensions[r].height or 15 for r in rows)
            scale = (cell.font.size or 11) / 11
            lines = sum(max(1, math.ceil(_units(part) * scale / max(1.0, width)))
                        for part in cell.value.split("\n"))
            if lines > 1 and not cell.alignment.wrap_text:
                bad.append(f"{ws.title}!{cell.coordinate} does not wrap: {cell.value[:30]}")
            elif lines * 13 * scale > height + 1:
                bad.append(f"{ws.title}!{cell.coordinate} {lines} lines in {height}pt: {cell.value[:30]}")
    return bad


def test_every_workbook_sheet_is_readable(built, sqlite_engine, inbox, tmp_path):  # noqa: F811
    _run(sqlite_engine, inbox, ["2022-02", "2022-03"])
    books = [*built["books"], dispatch_workbook.write_dispatch(sqlite_engine, "2022-03", tmp_path)]
    problems = []
    for path in books:
        wb = openpyxl.load_workbook(path)
        for ws in wb:
            problems += [f"{path.name}: {p}" for p in unreadable(ws)]
    assert not problems, "\n".join(problems[:30])


def test_bulletin_header_and_notes(built):
    wb = openpyxl.load_workbook(built["books"][0])
    for name in ("未入统项目", "全市目标"):
        assert wb[name]["A2"].value == "制表单位：忻州市工业项目建设领导组办公室"
    ws = wb["季度通报"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("五台山风景名胜区不属于任何分组" in t for t in texts)
    unit_notes = [ws.cell(r, 25).value or "" for r in range(6, 22)]
    assert not any("未填所属产业集群" in n for n in unit_notes)
    assert sum("以下单位有项目未填所属产业集群" in t for t in texts) == 1  # one note, not one per unit
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert rules and all(r.colorScale.cfvo[0].type == "min" for r in rules)


def test_ranking_in_points_and_marks(built):
    ws = openpyxl.load_workbook(built["books"][1])["年度考评排名"]
    assert ws.cell(4, 3).value == "指标值（百分点）" and "个百分点" in ws.cell(5, 3).number_format
    heads = [ws.cell(3, c).value for c in range(1, ws.max_column + 1)]
    deduct = heads.index("漏报扣分（分）") + 1
    values = [ws.cell(r, deduct).value for r in range(5, 21)]
    assert all(v is None or v <= 0 for v in values) and any(v and v < 0 for v in values)
    notes = [ws.cell(r, heads.index("说明") + 1).value or "" for r in range(5, 21)]
    assert sum(n.startswith("先进") for n in notes) == 3 and sum(n.startswith("后进") for n in notes) == 3
    assert "单位：分" not in (ws["A2"].value or "") + str(ws.cell(2, ws.max_column // 2 + 1).value)


def test_returns_say_deadline_and_contact(built):
    for path in built["books"][2:]:
        ws = openpyxl.load_workbook(path).worksheets[0]
        line = " ".join(str(c.value) for c in ws[2] if c.value)
        assert "2023年1月15日（重报截止日期）" in line and office.contact() in line


# --------------------------------------------------------------------------------------------
# LibreOffice


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (soffice) or poppler-utils (pdftotext) not installed")
def test_every_document_renders_to_pdf(built, tmp_path):
    paths = [built["notice"], *built["books"][:3]]
    sources = []
    for i, path in enumerate(paths):
        sources.append(tmp_path / f"doc{i}{path.suffix}")  # ASCII names for soffice
        shutil.copy(path, sources[-1])
    # one LibreOffice start converts them all
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), *map(str, sources)], check=True, capture_output=True, timeout=300)
    for i, path in enumerate(paths):
        pdf = tmp_path / f"doc{i}.pdf"
        assert pdf.exists(), path
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                              text=True).stdout
        flat = re.sub(r"\s+", "", text)
        if path.suffix == ".docx":
            assert "忻工项办〔2023〕" in flat and "建设情况的通报" in flat and "抄送：市政府。" in flat
            assert "—1—" in flat
        elif path == built["books"][0]:
            assert "印发单位" not in flat
            assert flat.count("制表单位：忻州市工业项目建设领导组办公室") >= 4  # whole on every sheet
