"""HTML tables saved as .xls / .htm / .html (a web system's "导出Excel"): one sheet per table.

The page is decoded from its BOM, else its ``<meta charset>`` (GBK/GB2312 read as GB18030), else
UTF-8, else GB18030, and parsed with lxml's HTML parser (the parser ``pandas.read_html`` uses; no
network, no entities expanded). ``pandas.read_html`` itself is not used: it copies a ``colspan`` /
``rowspan`` value into every cell it covers and so loses which cells were merged, which the header
detection needs (a 项目名称 merged down over two header rows; docs/decisions.md). So the cells are
taken from the parsed tree with their spans, as the calamine reader gives them: a grid of strings
and the merged ranges ((r0, c0), (r1, c1)).

Tables holding other tables (page layout) are not sheets; the innermost tables are. Text before the
first table (a title, ``单位：万元``, ``填报单位：X`` in ``<p>``/``<div>``) is put above the first table
as title lines, where the header detection finds them.
"""

from __future__ import annotations

import re

from keyprojects.ingest.readers.results import FileFault

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([a-z0-9_\-]+)", re.I)
_GB = {"gbk", "gb2312", "gb_2312", "gb_2312-80", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"}
MAX_SPAN = 1000


def decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    m = _META_CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii").lower() if m else None
    if declared in _GB:
        declared = "gb18030"
    for enc in dict.fromkeys(e for e in (declared, "utf-8", "gb18030") if e):
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    raise FileFault(name, "the text encoding of this web page is not recognised (expected UTF-8 or GBK/GB18030)")


def _span(cell, attr: str) -> int:
    try:
        return max(1, min(int(str(cell.get(attr, "1")).strip() or 1), MAX_SPAN))
    except ValueError:
        return 1


def _cell_text(cell) -> str:
    for br in cell.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return re.sub(r"[ \t\r\f\v\xa0]+", " ", cell.text_content()).strip()


def _table_grid(table) -> tuple[list[list[str]], list]:
    """The table's rows (``tr`` of the table itself, its thead/tbody/tfoot) with spans laid out."""
    rows = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    grid: list[list[str]] = []
    merged = []
    taken: dict[tuple[int, int], bool] = {}
    for r, tr in enumerate(rows):
        if len(grid) <= r:
            grid.append([])
        c = 0
        for cell in tr.xpath("./td|./th"):
            while taken.get((r, c)):
                c += 1
            cs, rs = _span(cell, "colspan"), _span(cell, "rowspan")
            rs = min(rs, len(rows) - r)
            text = _cell_text(cell)
            for dr in range(rs):
                while len(grid) <= r + dr:
                    grid.append([])
                row = grid[r + dr]
                if len(row) < c + cs:
                    row.extend([""] * (c + cs - len(row)))
                for dc in range(cs):
                    taken[(r + dr, c + dc)] = True
                    row[c + dc] = text if dr == 0 and dc == 0 else ""
            if cs > 1 or rs > 1:
                merged.append(((r, c), (r + rs - 1, c + cs - 1)))
            c += cs
    width = max((len(row) for row in grid), default=0)
    for row in grid:
        row.extend([""] * (width - len(row)))
    return grid, merged


_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "span", "caption")


def _title_lines(doc, first_table) -> list[list[str]]:
    """Text blocks before the first table in document order (h1-h6, p, div, span without another
    block or a table inside)."""
    lines = []
    for el in doc.iter(*_BLOCKS, "table"):
        if el is first_table:
            break
        if el.tag == "table" or el.xpath(".//table") or any(True for _ in el.iterdescendants(*_BLOCKS)):
            continue
        text = re.sub(r"\s+", " ", el.text_content()).strip()
        if text and [text] not in lines and len(text) <= 200:
            lines.append([text])
    return lines[-5:]


def sheets(data: bytes, name: str):
    """Yield (sheet name, grid, None, merged ranges) for every innermost table of the page."""
    import lxml.etree
    import lxml.html

    text = decode(data, name)
    parser = lxml.html.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True)
    try:
        doc = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise FileFault(name, f"the web page cannot be parsed: {exc}") from None
    tables = [t for t in doc.iter("table") if not t.xpath(".//table")]
    titled, names = False, set()
    for i, table in enumerate(tables):
        grid, merged = _table_grid(table)
        if not titled and any(v for row in grid for v in row):
            titled = True
            above = _title_lines(doc, table)
            if above:
                width = max(len(grid[0]) if grid else 1, 1)
                grid = [line + [""] * (width - 1) for line in above] + grid
                merged = [((r0 + len(above), c0), (r1 + len(above), c1)) for (r0, c0), (r1, c1) in merged]
        caption = table.find("caption")
        title = (caption.text_content().strip()[:31] if caption is not None else "") or f"表{i + 1}"
        if title in names:
            title = f"{title}（{i + 1}）"
        names.add(title)
        yield title, grid, None, merged
    if not tables:
        raise FileFault(name, "the web page holds no table; save the list itself as .xlsx and send it again")
