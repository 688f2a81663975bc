"""The office's documents on generated quarters with known truth: the 退回清单 hold every rejected
row once, with its cells as sent, in the right sender's workbook; every number of the draft 通报
equals the warehouse; the year-end ranking equals an independent recomputation; reruns write
identical bytes."""

import json
import re

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from keyprojects import LISTS, config, db
from keyprojects.documents import notice, notice_text, office, ranking_workbook, returns
from keyprojects.ingest import loader
from keyprojects.warehouse import models, ranking

from ..conftest import ROOT
from ..ranking_reference import assert_ranking_matches
from .office_build import office_quarters

QUARTERS = ["2021Q4", "2022Q4"]
SQL = ROOT / "include" / "sql"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    b = office_quarters(tmp_path_factory)
    yield b
    b["engine"].dispose()


def test_returns_hold_every_rejected_row_once_with_its_cells(built):
    eng, out, q = built["engine"], built["out"], "2022Q4"
    paths = returns.write_returns(eng, q, out)
    assert paths and all(p.parent == out / q / "退回清单" for p in paths.values())
    raw = {(r["list"], r["file"], r["sheet"], r["row_number"]): json.loads(r["cells"]) for r in db.fetch(
        eng, "SELECT list, file, sheet, row_number, cells FROM raw_rows WHERE quarter = :q AND "
             "disposition = 'rejected'", q=q)}
    title_to_list = {s.title: n for n, s in config.list_specs().items()}
    world = built["truth"][q]["projects"]
    truth_rows = {(n, r["file"], r["sheet"], r["row_number"]): r for n in LISTS
                  for r in built["truth"][q]["lists"][n]["rejected"]}
    seen = {}
    for sender, path in paths.items():
        wb = openpyxl.load_workbook(path)
        for ws in wb:
            list_name = title_to_list[ws.title]
            heads = [c.value for c in ws[3]]
            assert heads[:4] == ["序号", "文件", "工作表", "行号"] and heads[-2:] == ["问题", "修改建议"]
            labels = {returns.field_label(f): f for f in returns.ORDER_FIELDS}
            for row in ws.iter_rows(min_row=4, values_only=True):
                key = (list_name, row[1], row[2], row[3])
                assert key not in seen, key
                seen[key] = sender
                cells = raw[key]
                if heads[4:-2] == [returns.ORIGINAL]:                  # too wide for A4: one wrapped column
                    pairs = [line.split("：", 1) for line in row[4].split("\n")] if row[4] else []
                    shown = {labels.get(h, h): v for h, v in pairs}
                    assert shown == {f: str(v) for f, v in cells.items() if v is not None}, key
                else:
                    shown = {labels[h]: v for h, v in zip(heads[4:-2], row[4:-2], strict=True) if v is not None}
                    assert shown == cells, key                         # the row as sent, every cell
                assert row[-2] and row[-1] and re.search(r"[\u4e00-\u9fff]", row[-2] + row[-1])
                t = truth_rows[key]
                assert row[-2].startswith(returns.rule_label(t["rule"])), (key, row[-2], t["rule"])
                if list_name in returns.UNIT_LISTS:
                    if t.get("project_id") is not None and sender != returns.unknown_sender():
                        assert sender == world[t["project_id"]]["unit"], (key, sender)
                else:
                    assert sender == config.list_specs()[list_name].source
    assert set(seen) == set(raw) == set(truth_rows)
    assert {"市商务局", "市行政审批局", "市能源局", "市统计局"} <= set(paths)
    before = {s: p.read_bytes() for s, p in paths.items()}
    assert {s: p.read_bytes() for s, p in returns.write_returns(eng, q, out).items()} == before


def _num(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def test_every_number_of_the_draft_notice_equals_the_warehouse(built):
    eng, out, q = built["engine"], built["out"], "2022Q4"
    path = notice.write_notice(eng, q, out)
    assert path == out / q / "忻州市工业重点项目2022年第四季度通报（初稿）.docx"
    first = path.read_bytes()
    assert notice.write_notice(eng, q, out).read_bytes() == first
    doc = docx.Document(path)
    text = "\n".join(p.text for p in doc.paragraphs)
    for heading in ("一、总体情况", "二、各县（市、区）情况", "三、存在问题", "四、下一步工作", "附件："):
        assert heading in text
    header = notice_text.read_header(eng, q)
    assert header["issuer"] in text and "截至2022年12月31日" in text
    assert office.cn_date(header["cutoff"]) not in text.replace("截至2022年12月31日", "")  # not the 成文日期
    # the unit table: fixed layout, every cell of a column at its width, within the text width
    table = doc.tables[0]
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    widths = [round(w.cm, 2) for w in (c.width for c in table.rows[0].cells)]
    assert widths == list(notice.TABLE_WIDTHS_CM)
    assert all([round(c.width.cm, 2) for c in row.cells] == widths for row in table.rows)
    section = doc.sections[0]
    assert sum(widths) <= (section.page_width - section.left_margin - section.right_margin) / 360000

    # the city's figures, independently from the unit mart (sums of numerators and denominators)
    c = db.fetch(eng, """
        SELECT SUM(dispatch_projects) AS projects, SUM(dispatch_total_investment) AS total,
               SUM(industrial_investment) AS ind, SUM(industrial_investment_prev) AS prev,
               SUM(started_projects) AS started, SUM(registered_projects) AS registered,
               SUM(missed_reports) AS missed
        FROM bulletin_unit_quarter WHERE quarter = :q""", q=q)[0]
    target = db.fetch(eng, "SELECT target FROM city_targets WHERE quarter = :q AND indicator = "
                                  "'industrial_investment' AND measure = 'amount'", q=q)[0]["target"]
    unreg = db.fetch(eng, "SELECT COUNT(*) AS n FROM unregistered_projects WHERE quarter = :q", q=q)[0]["n"]
    scope = "（不含未报送单位）" if any(u["dispatch_projects"] is None for u in db.fetch(
        eng, "SELECT dispatch_projects FROM bulletin_unit_quarter WHERE quarter = :q", q=q)) else ""
    m = re.search(r"全市调度库项目(\d+)个" + re.escape(scope) + r"，总投资([\d.]+)亿元", text)
    assert m, text
    assert int(m[1]) == c["projects"]
    assert _num(m[2]) == round(c["total"] / 10000, 2)
    m = re.search(r"工业固定资产投资完成([\d.]+)亿元，完成年度目标（([\d.]+)亿元）的([\d.]+)%；"
                  r"同比(增长|下降)([\d.]+)%，(高于|低于|达到)10%的目标", text)
    assert m, text
    assert _num(m[1]) == round(c["ind"] / 10000, 2) and _num(m[2]) == round(target / 10000, 2)
    growth = c["ind"] / c["prev"] - 1
    assert (m[4] == "增长") == (growth >= 0) and _num(m[5]) == round(abs(growth) * 100, 1)
    assert _num(m[3]) == round(c["ind"] / target * 100, 1)
    assert (m[6] == "低于") == (round(growth * 100, 1) < 10)
    m = re.search(r"开复工(\d+)个，开复工率([\d.]+)%；开复工项目已入统(\d+)个，"
                  r"规范入统率([\d.]+)%，未入统项目(\d+)个", text)
    assert m, text
    assert int(m[1]) == c["started"] and _num(m[2]) == round(c["started"] / c["projects"] * 100, 1)
    assert int(m[3]) == c["registered"] and _num(m[4]) == round(c["registered"] / c["started"] * 100, 1)
    assert int(m[5]) == unreg == c["started"] - c["registered"]
    assert int(re.search(r"漏报项目(\d+)个", text)[1]) == c["missed"]

    # the table: one row per unit in plan order, then 全市合计
    units = db.fetch(eng, "SELECT * FROM bulletin_unit_quarter WHERE quarter = :q ORDER BY unit_order", q=q)
    table = doc.tables[0]
    rows = [[cell.text for cell in r.cells] for r in table.rows]
    assert rows[0][1] == "县（市、区）" and rows[-1][1] == "全市合计" and len(rows) == len(units) + 2
    for r, u in zip(rows[1:-1], units, strict=True):
        assert r[1] == u["unit"]
        assert r[2] == ("—" if u["dispatch_projects"] is None else str(u["dispatch_projects"]))
        for col, key in ((3, "dispatch_total_investment"), (4, "industrial_investment")):  # 亿元
            assert (r[col] == "—") if u[key] is None else _num(r[col]) == round(u[key] / 10000, 2)
        for col, key in ((5, "industrial_growth"), (6, "target_growth"), (7, "start_rate"), (8, "registration_rate")):
            assert (r[col] == "—") if u[key] is None else _num(r[col]) == round(u[key] * 100, 1), (u["unit"], key)
        assert r[9] == ("—" if u["missed_reports"] is None else str(u["missed_reports"]))
    assert int(rows[-1][2]) == c["projects"] and int(rows[-1][9]) == c["missed"]

    # 三、存在问题: the units below target, by name
    below = [u["unit"] for u in units if u["growth_attained"] == 0]
    if below:
        line = next(p.text for p in doc.paragraphs if p.text.startswith("（一）部分单位"))
        assert line.endswith("：" + "、".join(below) + "。") and f"有{len(below)}个" in line
    worst = max(units, key=lambda u: (u["missed_reports"] or 0, -u["unit_order"]))
    if worst["missed_reports"]:
        line = next(p.text for p in doc.paragraphs if p.text.startswith("（二）部分单位漏报"))
        assert f"{worst['unit']}（{worst['missed_reports']}个）" in line.split("：")[1].split("、")[0]


def test_the_ranking_of_a_generated_year_equals_the_recomputation(built):
    eng, out = built["engine"], built["out"]
    assert_ranking_matches(eng, 2021)
    prev = {r["unit"]: r["rank"] for r in db.fetch(
        eng, "SELECT unit, rank FROM ranking_unit_year WHERE year = 2021 AND rank IS NOT NULL")}
    assert_ranking_matches(eng, 2022, prev)
    path = ranking_workbook.write_ranking(eng, 2022, out)
    assert path == out / "2022" / "忻州市工业重点项目2022年度考评排名.xlsx"
    assert ranking_workbook.write_ranking(eng, 2022, out).read_bytes() == path.read_bytes()


@pytest.mark.postgres
def test_postgres_writes_the_same_documents(built, pg_engine, expectations_dir, tmp_path):
    for q in QUARTERS:
        for name in LISTS:
            loader.load_list(pg_engine, built["inbox"], q, name, expectations_dir=expectations_dir, run_id="r",
                               loaded_at="2023-01-01T00:00:00+00:00")
        with pg_engine.begin() as conn:
            models.build_marts(conn, q, SQL, run_id="r")
            ranking.rank_year(conn, q, SQL, run_id="r")
    prev = {r["unit"]: r["rank"] for r in db.fetch(
        pg_engine, "SELECT unit, rank FROM ranking_unit_year WHERE year = 2021 AND rank IS NOT NULL")}
    assert_ranking_matches(pg_engine, 2022, prev)
    q = "2022Q4"
    lite = built["out"]
    assert notice.write_notice(pg_engine, q, tmp_path).read_bytes() == \
        notice.write_notice(built["engine"], q, lite).read_bytes()
    pg_books = {s: p.read_bytes() for s, p in returns.write_returns(pg_engine, q, tmp_path).items()}
    assert pg_books == {s: p.read_bytes() for s, p in returns.write_returns(built["engine"], q, lite).items()}
