"""Render ``layout.File`` objects as .xlsx (openpyxl, write-only), .xls (xlwt), .csv (GBK/UTF-8), an HTML
table saved as .xls (a web platform's "导出Excel", ``html``) and .ods (``ods``).

Every writer produces the same grid (``sheet_grid``): title rows, the 填报单位/单位 line, one or two
header rows, then the body rows, with merged ranges (title, two-row headers, unit column runs).
Files are byte-stable: xlsx zip entries get a fixed timestamp and fixed document properties.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from . import forms
from .layout import File, Sheet

FIXED_TIME = dt.datetime(2022, 1, 1)
DATE_FORMATS = ("yyyy-mm-dd", 'yyyy"年"m"月"d"日"', "yyyy/m/d")


def sheet_grid(sh: Sheet, fmt: str) -> tuple[list[list], list[tuple[int, int, int, int]]]:
    """Cell rows (0-based lists, None for empty) and merges as 1-based (r1, c1, r2, c2)."""
    rows: list[list] = []
    merges: list[tuple[int, int, int, int]] = []
    if sh.kind == "instructions":
        for line in sh.lines:
            rows.append([line])
        return rows, merges
    if sh.kind == "empty":
        return rows, merges
    cols = sh.columns
    n = len(cols)
    if sh.title:
        rows.append([sh.title] + [None] * (n - 1))
        if sh.title_merged and n > 1:
            merges.append((1, 1, 1, n))
    if sh.reporter or sh.unit_line or sh.date_line:
        info = [None] * n
        if sh.reporter:
            info[0] = f"填报单位：{sh.reporter}"
        if sh.date_line:
            info[n // 2] = sh.date_line
        if sh.unit_line:
            info[n - 1] = f"单位：{sh.unit_line}"
        rows.append(info)
    assert len(rows) == sh.title_rows, (len(rows), sh.title_rows)
    h1 = len(rows) + 1
    if sh.two_row:
        top, bottom = [], []
        start = None
        for i, c in enumerate(cols):
            if c.group:
                top.append(c.group if start is None else None)
                start = i if start is None else start
                bottom.append(c.header)
            else:
                top.append(c.header)
                bottom.append(None)
                merges.append((h1, i + 1, h1 + 1, i + 1))
        last = max(i for i, c in enumerate(cols) if c.group)
        if last > start:
            merges.append((h1, start + 1, h1, last + 1))
        rows.extend([top, bottom])
    else:
        rows.append([c.header for c in cols])
    body_start = len(rows) + 1
    assert body_start == sh.first_body_row
    fields = [c.field for c in cols]
    for r in sh.rows:
        rows.append([r.cells.get(f) for f in fields])
    if sh.merge_units and "unit" in fields:
        ui = fields.index("unit")
        i = 0
        body = sh.rows
        while i < len(body):
            r = body[i]
            v = r.cells.get("unit")
            if r.kind != "data" or v is None or (isinstance(v, str) and not v.strip()):
                i += 1
                continue
            j = i
            while j + 1 < len(body) and body[j + 1].kind == "data" and body[j + 1].cells.get("unit") == v:
                j += 1
            if j > i:
                merges.append((body_start + i, ui + 1, body_start + j, ui + 1))
                for k in range(i + 1, j + 1):
                    rows[body_start - 1 + k][ui] = None
            i = j + 1
    return rows, merges


def _csv_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        return forms.num_text(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.strftime("%Y-%m-%d")
    return str(v)


def write_csv(fl: File, path: Path) -> None:
    sh = fl.sheets[0]
    rows, _ = sheet_grid(sh, "csv")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for r in rows:
        w.writerow([_csv_text(v) for v in r])
    text = buf.getvalue()
    try:
        data = text.encode(fl.encoding)
    except UnicodeEncodeError:  # pragma: no cover - all generated text is GBK-safe
        fl.encoding = "utf-8-sig"
        data = text.encode("utf-8-sig")
    path.write_bytes(data)


def write_xlsx(fl: File, path: Path) -> None:
    wb = Workbook(write_only=True)
    wb.properties.creator = "keyprojects generator"
    wb.properties.created = FIXED_TIME
    for k, sh in enumerate(fl.sheets):
        ws = wb.create_sheet(sh.name)
        rows, merges = sheet_grid(sh, "xlsx")
        if sh.kind == "table":
            for i, c in enumerate(sh.columns):
                width = 42 if c.field in ("project_name", "owner") else (26 if c.field == "project_code" else 12)
                ws.column_dimensions[get_column_letter(i + 1)].width = width
        date_fmt = DATE_FORMATS[k % len(DATE_FORMATS)]
        for r in rows:
            out = []
            for v in r:
                if isinstance(v, dt.datetime):
                    cell = WriteOnlyCell(ws, value=v)
                    cell.number_format = date_fmt
                    out.append(cell)
                else:
                    out.append(v)
            ws.append(out)
        for r1, c1, r2, c2 in merges:
            ws.merged_cells.add(f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_stable_zip(buf.getvalue()))


_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*")


def _stable_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and document dates, so same input -> same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(rb"\g<1>2022-01-01T00:00:00Z", content)
            zi = zipfile.ZipInfo(info.filename, date_time=(2022, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, content)
    return out.getvalue()


def write_xls(fl: File, path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_styles = [xlwt.easyxf(num_format_str=f) for f in ("YYYY-MM-DD", "YYYY/M/D")]
    bold = xlwt.easyxf("font: bold on; align: horiz center, vert center")
    for k, sh in enumerate(fl.sheets):
        ws = wb.add_sheet(sh.name, cell_overwrite_ok=True)
        rows, merges = sheet_grid(sh, "xls")
        dstyle = date_styles[k % len(date_styles)]
        header_end = sh.title_rows + sh.header_rows if sh.kind == "table" else 0
        for ri, r in enumerate(rows):
            for ci, v in enumerate(r):
                if v is None:
                    continue
                if isinstance(v, dt.datetime):
                    ws.write(ri, ci, v, dstyle)
                elif ri < header_end:
                    ws.write(ri, ci, v, bold)
                else:
                    ws.write(ri, ci, v)
        for r1, c1, r2, c2 in merges:
            ws.merge(r1 - 1, r2 - 1, c1 - 1, c2 - 1)
    wb.save(str(path))


def _exact_text(v) -> str:
    """A cell as text, a number with every digit it has (``_csv_text`` keeps 6 decimals, as a CSV
    export does; a platform's page shows the stored value)."""
    if isinstance(v, float) and not v.is_integer() and "e" not in repr(v):
        return repr(v)
    return _csv_text(v)


def _spans(merges) -> tuple[dict, set]:
    """{(r, c): (rows, cols)} of each merged range's top-left cell (0-based) and the cells it covers."""
    tops, covered = {}, set()
    for r1, c1, r2, c2 in merges:
        tops[(r1 - 1, c1 - 1)] = (r2 - r1 + 1, c2 - c1 + 1)
        covered.update((r, c) for r in range(r1 - 1, r2) for c in range(c1 - 1, c2) if (r, c) != (r1 - 1, c1 - 1))
    return tops, covered


def write_html(fl: File, path: Path) -> None:
    """An online platform's "导出Excel": an HTML page (GBK, charset in a meta tag) saved as .xls, one
    ``<table>`` per sheet with the sheet's name as its caption, every cell text, merged cells as
    colspan/rowspan."""
    from html import escape

    out = ['<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">',
           '<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>']
    for sh in fl.sheets:
        rows, merges = sheet_grid(sh, "html")
        tops, covered = _spans(merges)
        out.append(f"<table border=\"1\"><caption>{escape(sh.name)}</caption>")
        for ri, r in enumerate(rows):
            cells = []
            for ci, v in enumerate(r):
                if (ri, ci) in covered:
                    continue
                span = tops.get((ri, ci))
                attrs = ""
                if span and span[0] > 1:
                    attrs += f' rowspan="{span[0]}"'
                if span and span[1] > 1:
                    attrs += f' colspan="{span[1]}"'
                tag = "th" if sh.kind == "table" and sh.title_rows <= ri < sh.title_rows + sh.header_rows else "td"
                cells.append(f"<{tag}{attrs}>{escape(_exact_text(v))}</{tag}>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</table>")
    out.append("</body></html>")
    path.write_bytes("\n".join(out).encode("gb18030"))


def _ods_cell(v, span) -> str:
    from html import escape

    attrs = ""
    if span:
        attrs = f' table:number-rows-spanned="{span[0]}" table:number-columns-spanned="{span[1]}"'
    if v is None or (isinstance(v, str) and not v):
        return f"<table:table-cell{attrs}/>"
    if isinstance(v, bool):
        v = str(v)
    if isinstance(v, (int, float)):
        return (f'<table:table-cell{attrs} office:value-type="float" office:value="{_exact_text(v)}">'
                f"<text:p>{_exact_text(v)}</text:p></table:table-cell>")
    if isinstance(v, (dt.datetime, dt.date)):
        iso = v.strftime("%Y-%m-%dT%H:%M:%S") if isinstance(v, dt.datetime) else v.isoformat()
        return (f'<table:table-cell{attrs} office:value-type="date" office:date-value="{iso}">'
                f"<text:p>{v.strftime('%Y-%m-%d')}</text:p></table:table-cell>")
    return f'<table:table-cell{attrs} office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'


_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"')
_ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


def write_ods(fl: File, path: Path) -> None:
    """An OpenDocument spreadsheet as WPS or LibreOffice saves it (content.xml in a zip whose first
    member, stored, is ``mimetype``); merged cells as spans with covered cells."""
    from html import escape

    body = []
    for sh in fl.sheets:
        rows, merges = sheet_grid(sh, "ods")
        tops, covered = _spans(merges)
        body.append(f'<table:table table:name="{escape(sh.name)}">')
        for ri, r in enumerate(rows):
            cells = ["<table:covered-table-cell/>" if (ri, ci) in covered else _ods_cell(v, tops.get((ri, ci)))
                     for ci, v in enumerate(r)]
            body.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
        body.append("</table:table>")
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS}><office:body>'
               f'<office:spreadsheet>{"".join(body)}</office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODS_MIME}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, how in (("mimetype", _ODS_MIME, zipfile.ZIP_STORED),
                                ("content.xml", content, zipfile.ZIP_DEFLATED),
                                ("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)):
            zi = zipfile.ZipInfo(name, date_time=(2022, 1, 1, 0, 0, 0))
            zi.compress_type = how
            zi.external_attr = 0o600 << 16
            zf.writestr(zi, data.encode("utf-8"))
    path.write_bytes(buf.getvalue())


def write_file(fl: File, folder: Path) -> Path:
    path = folder / fl.path
    path.parent.mkdir(parents=True, exist_ok=True)
    {"xlsx": write_xlsx, "xls": write_xls, "csv": write_csv, "html": write_html, "ods": write_ods}[fl.fmt](fl, path)
    return path
