"""Issue 16 §1-3: every file as it arrives -- platform exports (HTML / Excel 2003 XML / delimited text
named .xls), .ods, WPS .et, footers under the table, files that are not lists.

Each case asserts its outcome: rows loaded, their amounts and lineage (sheet, Excel row number), the
rows skipped as notes, the format detected, or the file ignored / failed with its reason.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from keyprojects.ingest import discovery, loader, reading, validation
from keyprojects.ingest.readers import FileFault, detect, read_file
from keyprojects.operations import alerts

HEADER = ["序号", "项目名称", "县（市、区）", "建设单位", "总投资（万元）"]


def _rows(read):
    f = read.frame
    return list(zip(f["_sheet"], f["_row"], f["project_name"], f["total_investment"], strict=True))


def _skips(read):
    return [(s.sheet, s.row_number, s.reason) for s in read.skipped]


# ------------------------------------------------------------------------------------------ HTML

HTML_GBK = """<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>
<table border=1>
<tr><td colspan="6">忻州市2022年工业项目储备库</td></tr>
<tr><td colspan="3">填报单位：忻府区</td><td colspan="3">单位：亿元</td></tr>
<tr><th rowspan="2">序号</th><th rowspan="2">项目名称</th><th rowspan="2">建设单位</th>
    <th colspan="2">投资情况</th><th rowspan="2">备注</th></tr>
<tr><th>总投资</th><th>本年计划投资</th></tr>
<tr><td>1</td><td>忻州示范项目0001号</td><td>某某公司1</td><td>0.0601</td><td>0.01</td><td></td></tr>
<tr><td>2</td><td>忻州示范项目0002号</td><td>某某公司2</td><td>1,234.5万元</td><td></td><td>续建</td></tr>
<tr><td colspan="3">合计</td><td>1234.5601</td><td></td><td></td></tr>
<tr><td colspan="6">填表说明：1.总投资以立项批复为准。</td></tr>
<tr><td colspan="3">审核：张三</td><td colspan="3">制表：李四</td></tr>
<tr><td colspan="6">2022年7月5日</td></tr>
</table></body></html>"""


def test_html_table_saved_as_xls_gbk_title_spans_footer(tmp_path):
    path = tmp_path / "审批平台导出.xls"
    path.write_bytes(HTML_GBK.encode("gbk"))
    read = read_file(path, "reserve")
    assert read.format == "html"
    sheet = read.sheets[0]
    assert sheet.reporter == "忻府区" and sheet.header_rows == (3, 4)
    # amounts: the sheet's 亿元 line applies; a cell with its own 万元 keeps it
    assert _rows(read) == [("表1", 5, "忻州示范项目0001号", pytest.approx(601.0)),
                           ("表1", 6, "忻州示范项目0002号", pytest.approx(1234.5))]
    assert list(read.frame["unit"]) == ["忻府区", "忻府区"]
    assert _skips(read) == [("表1", 7, "subtotal"), ("表1", 8, "note"), ("表1", 9, "note"), ("表1", 10, "note")]


def test_html_utf8_bom_two_tables_are_two_sheets(tmp_path):
    def table(caption, start):
        body = "".join(f"<tr><td>{i}</td><td>忻州示范项目{i:04d}号</td><td>代县</td><td>某公司</td>"
                       f"<td>{600 + i}</td></tr>" for i in range(start, start + 2))
        head = "".join(f"<td>{h}</td>" for h in HEADER)
        return f"<table><caption>{caption}</caption><tr>{head}</tr>{body}</table>"
    page = f"<!DOCTYPE html><html><body><p>单位：万元</p>{table('新建', 1)}{table('续建', 3)}</body></html>"
    path = tmp_path / "export.htm"
    path.write_bytes(b"\xef\xbb\xbf" + page.encode("utf-8"))
    read = read_file(path, "reserve")
    assert read.format == "html"
    assert [s.sheet for s in read.sheets] == ["新建", "续建"]
    # the <p> title line stands above the first table (row 1); the second table starts at row 1
    assert _rows(read) == [("新建", 3, "忻州示范项目0001号", 601.0), ("新建", 4, "忻州示范项目0002号", 602.0),
                           ("续建", 2, "忻州示范项目0003号", 603.0), ("续建", 3, "忻州示范项目0004号", 604.0)]


# ------------------------------------------------------------------------------ SpreadsheetML

def _ss_cell(v, index=None, across=0, down=0, typ="String"):
    attrs = (f' ss:Index="{index}"' if index else "") + (f' ss:MergeAcross="{across}"' if across else "") + \
        (f' ss:MergeDown="{down}"' if down else "")
    return f'<Cell{attrs}><Data ss:Type="{typ}">{v}</Data></Cell>'


def _ss_book(sheets: dict[str, list[str]], prolog: str = "") -> bytes:
    body = "".join(f'<Worksheet ss:Name="{n}"><Table>{"".join(rows)}</Table></Worksheet>'
                   for n, rows in sheets.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<?mso-application progid="Excel.Sheet"?>'
            '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
            'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">' + body + "</Workbook>").encode("utf-8")


def test_spreadsheetml_index_gaps_merges_string_numbers_two_sheets(tmp_path):
    first = [
        "<Row>" + _ss_cell("2022年储备库", across=4) + "</Row>",
        # 项目名称 merged down over the two header rows; 投资 over one column
        "<Row>" + _ss_cell("序号", down=1) + _ss_cell("项目名称", down=1) + _ss_cell("县（市、区）", down=1)
        + _ss_cell("建设单位", down=1) + _ss_cell("投资情况") + "</Row>",
        "<Row>" + _ss_cell("总投资（万元）", index=5) + "</Row>",
        # every cell typed String; a gap (ss:Index) leaves 建设单位 blank
        "<Row>" + _ss_cell("1") + _ss_cell("忻州示范项目0001号") + _ss_cell("原平市") + _ss_cell("1,601.5", index=5)
        + "</Row>",
        '<Row ss:Index="6">' + _ss_cell("2") + _ss_cell("忻州示范项目0002号") + _ss_cell("原平市")
        + _ss_cell("某公司") + _ss_cell("602", typ="Number") + "</Row>",
        "<Row>" + _ss_cell("注：项目代码以平台为准", across=4) + "</Row>",
    ]
    second = ["<Row>" + "".join(_ss_cell(h) for h in HEADER) + "</Row>",
              "<Row>" + "".join(_ss_cell(v) for v in ("3", "忻州示范项目0003号", "原平市", "某公司", "603"))
              + "</Row>"]
    path = tmp_path / "平台导出.xls"
    path.write_bytes(_ss_book({"新建": first, "续建": second}))
    read = read_file(path, "reserve")
    assert read.format == "spreadsheetml"
    assert _rows(read) == [("新建", 4, "忻州示范项目0001号", 1601.5), ("新建", 6, "忻州示范项目0002号", 602.0),
                           ("续建", 2, "忻州示范项目0003号", 603.0)]
    assert _skips(read) == [("新建", 5, "blank"), ("新建", 7, "note")]
    assert read.sheets[0].header_rows == (2, 3)


def test_spreadsheetml_entity_bomb_is_refused(tmp_path):
    bomb = '<!DOCTYPE Workbook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    path = tmp_path / "bomb.xml"
    path.write_bytes(_ss_book({"S": ["<Row>" + _ss_cell("&b;") + "</Row>"]}, prolog=bomb))
    assert detect.detect(path.read_bytes(), path.name).format == "spreadsheetml"
    with pytest.raises(FileFault, match="refusing to expand") as exc:
        read_file(path, "reserve")
    assert exc.value.format == "spreadsheetml"


# ------------------------------------------------------------------------------ delimited text

@pytest.mark.parametrize(("name", "sep", "encoding"), [("清单.xls", "\t", "gbk"), ("清单.txt", ",", "utf-8-sig"),
                                                       ("清单.txt", "\t", "utf-16")])
def test_delimited_text_named_xls_or_txt(tmp_path, name, sep, encoding):
    lines = [sep.join(HEADER), sep.join(["1", "忻州示范项目0001号", "五台县", "某公司", "601"]),
             sep.join(["2", "忻州示范项目0002号", "五台县", "某公司", "602.5"]),
             sep.join(["合计", "", "", "", "1203.5"]),
             "填报人：王五" + sep * 4]
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode(encoding))
    read = read_file(path, "reserve")
    assert read.format == "csv"
    assert _rows(read) == [("清单", 2, "忻州示范项目0001号", 601.0), ("清单", 3, "忻州示范项目0002号", 602.5)]
    assert _skips(read) == [("清单", 4, "subtotal"), ("清单", 5, "note")]


# ------------------------------------------------------------------------------ ods, .et, xlsb

def test_ods_with_merged_unit_cells(tmp_path):
    from kpgen import writers

    def row(*cells):
        return "<table:table-row>" + "".join(cells) + "</table:table-row>"
    cell = writers._ods_cell
    covered = "<table:covered-table-cell/>"
    body = ('<table:table table:name="代县储备库">'
            + row(*(cell(h, None) for h in HEADER))
            + row(cell(1, None), cell("忻州示范项目0001号", None), cell("代县", (2, 1)), cell("甲公司", None),
                  cell(601.25, None))
            + row(cell(2, None), cell("忻州示范项目0002号", None), covered, cell("乙公司", None), cell("602", None))
            + row(cell("单位负责人：赵六", (1, 5)), covered, covered, covered, covered)
            + "</table:table>")
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {writers._ODS_NS}><office:body>'
               f"<office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", writers._ODS_MIME)
        zf.writestr("content.xml", content)
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
                    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
                    f'manifest:full-path="/" manifest:media-type="{writers._ODS_MIME}"/></manifest:manifest>')
    path = tmp_path / "代县储备库.ods"
    path.write_bytes(buf.getvalue())
    read = read_file(path, "reserve")
    assert read.format == "ods"
    assert _rows(read) == [("代县储备库", 2, "忻州示范项目0001号", 601.25),
                           ("代县储备库", 3, "忻州示范项目0002号", 602.0)]
    assert list(read.frame["unit"]) == ["代县", "代县"]      # the merged unit cell covers row 3
    assert _skips(read) == [("代县储备库", 4, "note")]


def test_wps_et_that_is_a_binary_xls_is_read(tmp_path):
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Sheet1")
    for r, row in enumerate([HEADER, [1, "忻州示范项目0001号", "静乐县", "某公司", 650]]):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    path = tmp_path / "静乐县储备库.et"
    wb.save(str(path))
    read = read_file(path, "reserve")
    assert read.format == "xls"
    assert _rows(read) == [("Sheet1", 2, "忻州示范项目0001号", 650.0)]


def test_detect_names_what_a_file_is():
    def z(members):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for m in members:
                zf.writestr(m, "x")
        return buf.getvalue()
    cases = {
        ("a.xlsb", z(["[Content_Types].xml", "xl/workbook.bin"])): "xlsb",
        ("a.xlsx", z(["[Content_Types].xml", "xl/workbook.xml"])): "xlsx",
        ("报送函.docx", z(["[Content_Types].xml", "word/document.xml"])): "docx",
        ("a.pdf", b"%PDF-1.4"): "pdf",
        ("scan.jpg", b"\xff\xd8\xff\xe0JFIF"): "image",
        ("a.rar", b"Rar!\x1a\x07\x00"): "rar",
        ("readme.txt", "本文件为说明，不含表格。".encode()): "text",
        ("x.et", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100): "et",
    }
    for (name, data), fmt in cases.items():
        found = detect.detect(data, name)
        assert found.format == fmt, name
        assert found.tabular == (fmt in ("xlsx", "xlsb")), name
        if not found.tabular:
            assert found.reason_zh and found.reason_en, name
    word = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le")
    assert detect.detect(word, "x.doc").format == "doc"
    for name in ("~$代县.xlsx", ".~lock.代县.xlsx#", "Thumbs.db", ".DS_Store", "sub/.hidden.xlsx"):
        assert detect.hidden_or_lock(name), name
    assert not detect.hidden_or_lock("代县储备库.xlsx")


# ------------------------------------------------------------------------------ notes

def test_notes_are_not_a_closed_list_and_project_rows_stay_data(tmp_path):
    from tests.integration import badfiles as b

    rows = [HEADER,
            [1, "忻州示范项目0001号", "忻府区", "某公司", 601],
            ["填表说明：", None, None, None, None],
            [None, "审定意见：同意", None, None, None],
            [None, "注塑件生产线项目", "忻府区", "某公司", 700],     # a project named 注…: data
            ["合计", None, None, None, 1301],
            [2, "说明书印刷项目", "忻府区", "某公司", 800],          # after the total, with an amount: data
            [None, "以上数据截至6月底", None, None, None],            # after the total, text only: note
            ["2022/07/05", None, None, None, None]]
    read = read_file(b.xlsx(tmp_path / "a.xlsx", {"S": rows}), "reserve")
    assert [r[2] for r in _rows(read)] == ["忻州示范项目0001号", "注塑件生产线项目", "说明书印刷项目"]
    assert _skips(read) == [("S", 3, "note"), ("S", 4, "note"), ("S", 6, "subtotal"), ("S", 8, "note"),
                            ("S", 9, "note")]


def test_13710_export_footer_is_notes_not_rejections(tmp_path):
    from tests.integration import badfiles as b

    rows = [["序号", "项目名称", "县（市、区）", "项目代码", "本年累计完成投资（万元）", "年度计划投资（万元）"],
            [1, "忻州示范项目0001号", "代县", "2101-140900-04-01-000001", 120, 600],
            ["合计", None, None, None, 120, 600],
            ["填报人：钱七", None, "联系电话：0350-1234567", None, None, None],
            ["审核：张三 制表：李四", None, None, None, None, None]]
    read = read_file(b.xlsx(tmp_path / "13710.xlsx", {"调度": rows}), "progress")
    f = read.frame
    assert list(zip(f["_row"], f["project_name"], f["ytd_investment"], strict=True)) == [
        (2, "忻州示范项目0001号", 120.0)]
    assert _skips(read) == [("调度", 3, "subtotal"), ("调度", 4, "note"), ("调度", 5, "note")]


# ------------------------------------------------------------------------------ a list folder

def test_list_folder_every_file_audited_with_format_and_reason(tmp_path, expectations_dir):
    from tests.integration import badfiles as b

    folder = tmp_path / "2022Q2" / "reserve"
    b.xlsx(folder / "忻府区储备库.xlsx", {"S": [HEADER, *b.reserve_rows(2)]})
    (folder / "代县储备库.xls").write_bytes(HTML_GBK.replace("忻府区", "代县").encode("gbk"))
    (folder / "报送函.docx").write_bytes(
        _zip({"[Content_Types].xml": "x", "word/document.xml": "x"}))
    (folder / "岢岚县储备库.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "扫描.jpg").write_bytes(b"\xff\xd8\xff\xe0JFIF")
    (folder / "坏文件.xlsx").write_bytes(b"%PDF-1.4\n")
    (folder / "~$忻府区储备库.xlsx").write_bytes(b"lock")
    (folder / "Thumbs.db").write_bytes(b"\x00\x01")
    load, part = _load(folder.parent.parent, expectations_dir)
    audit = {a["file"]: (a["status"], a["format"], a["rows_loaded"]) for a in part.audit}
    assert audit == {
        "忻府区储备库.xlsx": ("loaded", "xlsx", 2), "代县储备库.xls": ("loaded", "html", 2),
        "报送函.docx": ("ignored", "docx", 0), "岢岚县储备库.pdf": ("ignored", "pdf", 0),
        "扫描.jpg": ("ignored", "image", 0), "坏文件.xlsx": ("failed", "pdf", 0),
        "~$忻府区储备库.xlsx": ("ignored", None, 0), "Thumbs.db": ("ignored", None, 0)}
    reasons = {a["file"]: a["message"] for a in part.audit}
    assert "Word" in reasons["报送函.docx"] and "PDF" in reasons["岢岚县储备库.pdf"]
    assert "PDF document" in reasons["坏文件.xlsx"]
    assert load.status == "failed"
    # alerts: one per ignored sender file, naming the unit its name names; none for lock/system files
    from keyprojects.ingest import arrivals

    raised = alerts.ignored_alerts(load.as_dict(), None, arrivals.unit_in_name)
    assert sorted((a.file, a.unit) for a in raised) == sorted([
        ("岢岚县储备库.pdf", "岢岚县"), ("扫描.jpg", None), ("报送函.docx", None)])
    assert all(a.kind == "ignored_file" and "PDF" in a.message for a in raised if a.file.endswith(".pdf"))


def test_a_folder_holding_only_an_unreadable_file_is_told_so(tmp_path, expectations_dir):
    folder = tmp_path / "2022Q2" / "reserve"
    folder.mkdir(parents=True)
    (folder / "宁武县储备库.pdf").write_bytes(b"%PDF-1.4\n")
    load, part = _load(tmp_path, expectations_dir)
    assert load.status == "missing"
    assert "宁武县储备库.pdf" in load.errors[0] and "PDF" in load.errors[0]
    assert [(a["file"], a["status"]) for a in part.audit] == [("宁武县储备库.pdf", "ignored"),
                                                              ("", "missing")]


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return buf.getvalue()


def _load(inbox, expectations_dir):
    arrival = discovery.discover(inbox, "2022Q2", "reserve")
    read = reading.read_list(arrival, "reserve")
    frame, verdict = loader.validate_list(read, "reserve", expectations_dir)
    return loader.partition_rows("2022Q2", "reserve", read, frame, verdict or validation.Verdict())
