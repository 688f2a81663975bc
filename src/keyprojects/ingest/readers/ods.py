"""The merged ranges of an OpenDocument spreadsheet (.ods), which calamine reads without them.

calamine gives an .ods file's cell values but no merged ranges; the header detection and the
merged unit cells need them, so they are taken from ``content.xml`` (parsed with defusedxml: no DTD,
no entities): a cell's ``table:number-columns-spanned`` / ``number-rows-spanned`` at its position,
counting ``number-columns-repeated`` / ``number-rows-repeated`` without expanding them.
"""

from __future__ import annotations

import io
import zipfile

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_T = f"{{{_TABLE}}}"
_CELLS = (_T + "table-cell", _T + "covered-table-cell")


def _n(el, attr: str) -> int:
    try:
        return max(1, int(el.get(_T + attr, "1")))
    except ValueError:
        return 1


def merged_ranges(data: bytes) -> dict[str, list]:
    """{sheet name: [((r0, c0), (r1, c1)), …]} (0-based); {} when the content cannot be read (the
    values, read by calamine, are then taken without merges)."""
    import defusedxml.ElementTree as det

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            root = det.fromstring(zf.read("content.xml"), forbid_dtd=True)
    except Exception:  # noqa: BLE001 - a damaged file: calamine's own read names the fault
        return {}
    out: dict[str, list] = {}
    for table in root.iter(_T + "table"):
        ranges = out.setdefault(table.get(_T + "name", ""), [])
        r = 0
        for row in table.iter(_T + "table-row"):
            c = 0
            for cell in row:
                if cell.tag not in _CELLS:
                    continue
                rows, cols = _n(cell, "number-rows-spanned"), _n(cell, "number-columns-spanned")
                if cell.tag == _CELLS[0] and (rows > 1 or cols > 1):
                    ranges.append(((r, c), (r + rows - 1, c + cols - 1)))
                c += _n(cell, "number-columns-repeated")
            r += _n(row, "number-rows-repeated")
    return out
