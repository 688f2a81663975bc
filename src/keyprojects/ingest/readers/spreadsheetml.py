"""Excel 2003 XML (SpreadsheetML) saved as .xls / .xml: one sheet per ``Worksheet``.

Parsed with defusedxml (a DTD, an entity declaration or an external reference is refused, never
expanded: the billion-laughs and external-entity files stay refused here as in .xlsx). Cells follow
the format: ``ss:Index`` (1-based) skips columns or rows, ``ss:MergeAcross`` / ``ss:MergeDown`` give
merged ranges (the cells they cover are left out of the following rows, hence the ``ss:Index``),
``Data ss:Type`` says Number / String / DateTime / Boolean. Numbers typed ``String`` (the platforms'
"every cell is text") stay text: the normalisation reads them like any text amount or code.
"""

from __future__ import annotations

import datetime as dt

from keyprojects.ingest.readers.results import FileFault

NS = "urn:schemas-microsoft-com:office:spreadsheet"
_SS = f"{{{NS}}}"
MAX_INDEX = 1_048_576


def _int(el, attr: str, default: int | None = None) -> int | None:
    v = el.get(_SS + attr)
    if v is None:
        return default
    try:
        n = int(v)
    except ValueError:
        return default
    return n if 0 <= n <= MAX_INDEX else default


def _value(data_el):
    if data_el is None:
        return ""
    text = "".join(data_el.itertext())
    typ = data_el.get(_SS + "Type", "String")
    if typ == "Number":
        try:
            f = float(text)
        except ValueError:
            return text
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    if typ == "DateTime":
        try:
            return dt.datetime.fromisoformat(text.strip()[:19])
        except ValueError:
            return text
    if typ == "Boolean":
        return text.strip() in ("1", "true", "TRUE")
    return text


def sheets(data: bytes, name: str):
    """Yield (sheet name, grid, None, merged ranges) for every worksheet."""
    import defusedxml.ElementTree as det
    from defusedxml import DefusedXmlException

    try:
        root = det.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FileFault(name, f"the Excel 2003 XML file declares a DTD or entities ({type(exc).__name__}); "
                              "refusing to expand them (a possible entity bomb); save it as .xlsx and send it "
                              "again") from None
    except Exception as exc:  # noqa: BLE001 - ParseError and the like: a damaged file
        raise FileFault(name, f"the Excel 2003 XML file is damaged and cannot be parsed: {exc}") from None
    found = 0
    for ws in root.iter(_SS + "Worksheet"):
        sheet_name = ws.get(_SS + "Name") or f"Sheet{found + 1}"
        table = ws.find(_SS + "Table")
        grid: list[list] = []
        merged = []
        covered: set[tuple[int, int]] = set()
        if table is not None:
            r = -1
            for row_el in table.iter(_SS + "Row"):
                idx = _int(row_el, "Index")
                r = idx - 1 if idx else r + 1
                while len(grid) <= r:
                    grid.append([])
                row = grid[r]
                c = -1
                for cell in row_el.iter(_SS + "Cell"):
                    cidx = _int(cell, "Index")
                    c = cidx - 1 if cidx else c + 1
                    while (r, c) in covered and not cidx:
                        c += 1
                    across = _int(cell, "MergeAcross", 0) or 0
                    down = _int(cell, "MergeDown", 0) or 0
                    if len(row) <= c + across:
                        row.extend([""] * (c + across + 1 - len(row)))
                    row[c] = _value(cell.find(_SS + "Data"))
                    if across or down:
                        merged.append(((r, c), (r + down, c + across)))
                        covered.update((r + dr, c + dc) for dr in range(down + 1) for dc in range(across + 1))
                    c += across
        width = max((len(row) for row in grid), default=0)
        for row in grid:
            row.extend([""] * (width - len(row)))
        found += 1
        yield sheet_name, grid, None, merged
    if not found:
        raise FileFault(name, "the Excel 2003 XML file holds no worksheet")
