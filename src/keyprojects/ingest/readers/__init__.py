"""Read the units' and bureaus' spreadsheets into one frame per file: .xlsx/.xlsm/.xlsb/.ods, binary .xls
(and WPS .et), delimited text (.csv/.txt, or named .xls), HTML tables and Excel 2003 XML (named .xls,
.htm/.html, .xml) -- the reader picked by the file's content (``detect``).

What a file may look like (docs/domain.md, "What real files look like") and what happens to every
row under the header (docs/rules.md, "What is a row read") is handled by the modules of this package,
one purpose each:

* ``detect``: what a file is, from its content (the format recorded in ``load_audit``);
* ``htmltables``, ``spreadsheetml``: the web-page and Excel 2003 XML readers;
* ``formats``: the reader for the detected format, and guards (zip bombs, encrypted workbooks, damaged or renamed files,
  text decoding; XML entities are never expanded, calamine refuses them),
  giving every sheet as a grid of cell values;
* ``headers``: where the header is, which field each column holds, the amount units and reporter;
* ``sheets``: the rows under the header, kept as data or skipped (blank, subtotal, note) with a reason;
* ``frames``: the data rows as a frame of raw and parsed columns;
* ``results``: what a read gives (``FileRead``, ``SheetRead``, ``SkippedRow``) or ``FileFault``.

``read_file`` is the entry point.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from keyprojects import config
from keyprojects.ingest.readers import detect
from keyprojects.ingest.readers.formats import iter_sheets as _iter_sheets
from keyprojects.ingest.readers.results import FileFault, FileRead, SheetRead, SkippedRow

__all__ = [
    "FileFault",
    "SkippedRow",
    "SheetRead",
    "FileRead",
    "read_file",
    "sha256_of",
    "frame_columns",
    "empty_frame",
]


# frames (and with it pandas) is imported when first needed: a list that has not arrived never pays for it

def frame_columns() -> list[str]:
    """The frame's columns, in order (``frames.frame_columns``)."""
    from keyprojects.ingest.readers.frames import frame_columns

    return frame_columns()


def empty_frame():
    """A frame with the columns and dtypes of a read, and no rows (``frames.empty_frame``)."""
    from keyprojects.ingest.readers.frames import empty_frame

    return empty_frame()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _ignored_summary(ignored: dict[str, str]) -> str:
    """The ignored sheets grouped by reason, at most 5 names each: 'a', 'b' … (50 sheets): empty sheet."""
    by_reason: dict[str, list[str]] = {}
    for sheet, why in ignored.items():
        by_reason.setdefault(why, []).append(sheet)
    parts = []
    for why, sheets in by_reason.items():
        names = ", ".join(f"'{s}'" for s in sheets[:5])
        more = f" … ({len(sheets)} sheets)" if len(sheets) > 5 else ""
        parts.append(f"{names}{more}: {why}")
    return "; ".join(parts)


def read_file(path: Path, list_name: str, display_name: str | None = None,
              fields: tuple[str, ...] | None = None, data: bytes | None = None) -> FileRead:
    """Read every sheet of ``path`` for list ``list_name``; raise FileFault for a whole-file fault.

    With ``data``, those are the file's bytes and ``path`` only names it (a member of an archive).

    With ``fields``, only those fields of the frame are converted (the rows, skips and faults are
    the same): the inbox check reads the unit libraries for their unit column only."""
    path = Path(path)
    name = display_name or path.name
    specs = config.list_specs()
    if list_name not in specs:
        raise ValueError(f"unknown list {list_name!r}; expected one of {', '.join(specs)}")
    required = specs[list_name].required
    try:
        data = path.read_bytes() if data is None else data
    except FileNotFoundError:
        raise FileFault(name, "file not found") from None
    except OSError as exc:
        raise FileFault(name, f"cannot be read ({exc.strerror or exc})") from None
    if not data:
        raise FileFault(name, "the file is empty (0 bytes)", fmt="empty")
    found = detect.detect(data, name)
    result = FileRead(path=path, file=name, sha256=hashlib.sha256(data).hexdigest(), format=found.format)

    from keyprojects.ingest.readers.sheets import read_sheet as _read_sheet

    try:
        for sheet_name, grid, rownums, merged in _iter_sheets(data, path, name, result.ignored_sheets, found):
            sheet = _read_sheet(name, sheet_name, grid, rownums, merged, required, fields)
            if isinstance(sheet, str):
                result.ignored_sheets[sheet_name] = sheet
            else:
                result.sheets.append(sheet)
    except FileFault as fault:
        fault.format = fault.format or found.format
        raise

    if not result.sheets:
        detail = _ignored_summary(result.ignored_sheets)
        fault = FileFault(name, "no recognisable header row in any sheet (a header needs 项目名称 and at least one "
                                "other known column in the first 30 rows)" + (f" [{detail}]" if detail else ""),
                          fmt=found.format)
        if found.format in ("csv", "html") and path.suffix.lower() not in detect.SPREADSHEET_SUFFIXES:
            # a text or web page with no list header (a 说明.txt, a saved notice): not a list file
            fault.reason_zh = "文本或网页中没有清单表头（需有项目名称等列），不是清单"
            fault.reason_en = "a text file or web page with no list header (项目名称 and other columns): not a list"
        raise fault
    return result
