"""The look of the office's workbooks (bulletin, ranking, 退回清单, monthly dispatch): names and dates
of a quarter, fonts and fills, safe cell writing, print set-up, titles, and deterministic bytes."""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from keyprojects.documents.files import restamp_zip
from keyprojects.quarters import parse_quarter, quarter_end

CITY = "忻州市"
# the rows of a sheet's title block
TITLE_ROW, SUBTITLE_ROW, HEADER_INFO_ROW, HEADER_ROW1, HEADER_ROW2 = 1, 2, 3, 4, 5
CN_QUARTER = {1: "一", 2: "二", 3: "三", 4: "四"}

AMOUNT = "#,##0.00"
COUNT = "0"
RATE = "0.0%"

MEASURE_LABELS = {"amount": "金额（亿元）", "growth": "增速", "count": "个数", "share": "占比"}

# Characters that make a spreadsheet (or a CSV export of it) treat text as a formula.
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r", "\n")

FONT = "宋体"
TITLE_FONT = Font(name="黑体", size=16, bold=True)
SUBTITLE_FONT = Font(name=FONT, size=11)
HEADER_FONT = Font(name=FONT, size=10, bold=True)
BODY_FONT = Font(name=FONT, size=10)
TOTAL_FONT = Font(name=FONT, size=10, bold=True)
NOTE_FONT = Font(name=FONT, size=9)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TOTAL_FILL = PatternFill("solid", fgColor="D9D9D9")
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
GOOD_FILL = PatternFill("solid", fgColor="C6EFCE")  # Excel's "good" green
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")   # Excel's "bad" red
GOOD_FONT_COLOR = "006100"
BAD_FONT_COLOR = "9C0006"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")


# --------------------------------------------------------------------------------------------
# Names and dates


def quarter_label(quarter: str) -> str:
    """``2022Q1`` -> ``2022年第一季度``."""
    y, n = parse_quarter(quarter)
    return f"{y}年第{CN_QUARTER[n]}季度"


def bulletin_filename(quarter: str) -> str:
    return f"{CITY}工业重点项目{quarter_label(quarter)}通报.xlsx"


def cutoff_label(quarter: str) -> str:
    """``2022Q1`` -> ``截至2022年3月31日``."""
    d = quarter_end(quarter)
    return f"截至{d.year}年{d.month}月{d.day}日"


def normal_quarter(quarter: str) -> str:
    y, n = parse_quarter(quarter)
    return f"{y}Q{n}"


# --------------------------------------------------------------------------------------------
# Safe cell writing


def safe_text(value: object) -> str:
    """Text for a cell: characters XML cannot hold removed (they would make the file unreadable)."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _store(cell, value: object) -> bool:
    """Set a cell's value as the documents store it; True when it is text that begins like a formula.

    Strings are always plain text (data_type 's'): never a formula, never a link. openpyxl turns a
    string starting with '=' into a formula; forcing ``data_type = 's'`` after the assignment stores
    it as a string instead, and the caller sets ``quotePrefix`` so that Excel does not turn it into
    a formula when somebody edits the cell."""
    if value is None:
        cell.value = None
    elif isinstance(value, bool):
        cell.value = int(value)
    elif isinstance(value, (int, float)):
        cell.value = value
    else:
        text = safe_text(value)
        cell.value = text
        cell.data_type = "s"
        return text.startswith(FORMULA_LEAD)
    return False


def put(ws: Worksheet, row: int, col: int, value: object, number_format: str | None = None,
        font: Font = BODY_FONT, alignment: Alignment | None = None, border: bool = True):
    """Write one cell of a regular sheet (a write-only sheet: ``cell`` and ``write_row``)."""
    cell = ws.cell(row=row, column=col)
    if isinstance(cell, MergedCell):
        if value is not None:
            raise ValueError(f"cell {cell.coordinate} lies inside a merged range")
    elif _store(cell, value):
        cell.quotePrefix = True
    fmt = number_format if number_format and not isinstance(cell.value, str) else None
    align = alignment or (LEFT if isinstance(cell.value, str) else RIGHT)
    # Setting a style attribute makes openpyxl hash the style object to find its index in the
    # workbook; the same (prior style, font, alignment, border, format) always gives the same style
    # indices, so they are worked out once per workbook and copied (long sheets have ~10^5 cells).
    prior = cell._style  # None on a merged cell never styled
    _style(cell, ws.parent.__dict__.setdefault("_kp_style_cache", {}),
           (None if prior is None else tuple(prior), id(font), id(align), border, fmt), font, align, border, fmt)
    return cell


def _style(c, cache: dict, key: tuple, font: Font, align: Alignment, border: bool, fmt: str | None,
           fill: PatternFill | None = None, quote: bool = False) -> None:
    """Give ``c`` its style, worked out once per workbook and ``key`` and copied after (openpyxl
    otherwise hashes a Font, Alignment and Border per cell to find their indices)."""
    hit = cache.get(key)
    if hit is None:
        if fmt:
            c.number_format = fmt
        c.font = font
        c.alignment = align
        if border:
            c.border = BORDER
        if fill is not None:
            c.fill = fill
        if quote:
            c.quotePrefix = True
        cache[key] = (StyleArray(c._style), font, align, fill)  # the objects kept alive: ids stay theirs
    else:
        c._style = StyleArray(hit[0])


def as_number(value: object) -> float | None:
    """A figure from the warehouse as a float (None stays None; Decimal and NaN handled)."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def as_int(value: object) -> int | None:
    f = as_number(value)
    return None if f is None else int(round(f))


def print_setup(ws: Worksheet, title_rows: str) -> None:
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.oddFooter.center.size = 9
    ws.evenFooter.center.text = "第 &P 页 共 &N 页"


def write_title(ws: Worksheet, text: str, subtitle_left: str, subtitle_right: str | None, ncols: int) -> None:
    """A merged title row and a subtitle row (left text, optional right text); used by the monthly
    dispatch workbook (dispatch_workbook.py). Set the column widths first: the subtitle wraps and its
    row is made tall enough to show it whole."""
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncols)
    put(ws, TITLE_ROW, 1, text, font=TITLE_FONT, alignment=Alignment(horizontal="center", vertical="center"),
        border=False)
    ws.row_dimensions[TITLE_ROW].height = 30
    split = ncols if subtitle_right is None else max(1, ncols // 2)
    parts = [(1, split, subtitle_left, "left")]
    if subtitle_right is not None:
        parts.append((split + 1, ncols, subtitle_right, "right"))
    height = 18.0
    for start, end, part, how in parts:
        if end > start:
            ws.merge_cells(start_row=SUBTITLE_ROW, start_column=start, end_row=SUBTITLE_ROW, end_column=end)
        put(ws, SUBTITLE_ROW, start, part, font=SUBTITLE_FONT,
            alignment=Alignment(horizontal=how, vertical="center", wrap_text=True), border=False)
        width = sum(ws.column_dimensions[get_column_letter(j)].width or 8.43 for j in range(start, end + 1))
        height = max(height, row_height(part or "", width))
    ws.row_dimensions[SUBTITLE_ROW].height = height


def header_cell(ws: Worksheet, row: int, col: int, text: str) -> None:
    c = put(ws, row, col, text, font=HEADER_FONT, alignment=CENTER)
    c.fill = HEADER_FILL


def header(ws, text: str | None) -> Cell:
    """A column header for ``write_row``: the look of ``header_cell``."""
    return cell(ws, text, font=HEADER_FONT, alignment=CENTER, fill=HEADER_FILL)


def title_row(ws, text: str, ncols: int) -> None:
    """Row 1 of a sheet (regular or write-only): the title merged over ``ncols`` columns."""
    merge(ws, TITLE_ROW, 1, TITLE_ROW, ncols)
    write_row(ws, TITLE_ROW, [cell(ws, text, font=TITLE_FONT, alignment=Alignment(horizontal="center",
                                                                                   vertical="center"),
                                   border=False)], height=30)


def attained_style(cell, attained: int | None) -> None:
    if attained is None:
        return
    good = bool(attained)
    cell.fill = GOOD_FILL if good else BAD_FILL
    f = cell.font
    cell.font = Font(name=f.name, size=f.size, bold=f.bold, color=GOOD_FONT_COLOR if good else BAD_FONT_COLOR)


class _CharWidths(dict):
    """Character -> width units: a CJK character takes about two units of a column, a Latin letter
    or digit about one (filled as characters are met)."""

    def __missing__(self, ch: str) -> float:
        units = self[ch] = 2.0 if ord(ch) >= 0x2E80 else 1.1
        return units


_CHAR_WIDTHS = _CharWidths()


def row_height(text: str, width: float, line: float = 15.0) -> float:
    """A row height that shows wrapped text whole (Excel does not re-fit rows of generated files).

    The text's width units are summed character by character, in order (a lookup per character,
    not a Python test: rows of long lists are measured cell by cell)."""
    units = sum(map(_CHAR_WIDTHS.__getitem__, text))
    lines = max(1, math.ceil(units / max(1.0, width - 2)))
    return max(18.0, line * lines + 4)


def fixed_moment(quarter: str) -> dt.datetime:
    """The file's created/modified stamp: the quarter's last day, so reruns give identical files."""
    d = quarter_end(quarter)
    return dt.datetime(d.year, d.month, d.day, 0, 0, 0)


def workbook_bytes(wb: Workbook, moment: dt.datetime) -> bytes:
    """The workbook as bytes with fixed document and zip timestamps (openpyxl's save() stamps now)."""
    wb.properties.created = moment
    wb.properties.modified = moment
    wb.properties.creator = "keyprojects"
    wb.properties.lastModifiedBy = "keyprojects"
    raw = io.BytesIO()  # stored, not deflated: restamp_zip compresses each part once
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    return restamp_zip(raw.getvalue(), moment)


# --------------------------------------------------------------------------------------------
# Write-only sheets: the long lists (退回清单, 漏报项目, 未入统项目) are streamed row by row
# (docs/decisions.md, 'Write-only sheets')


class _RowSheet(WriteOnlyWorksheet):
    """A write-only sheet that takes its rows as finished cells (``cell``), None for no cell, and
    counts them (``write_row`` checks that they come top to bottom).

    openpyxl's own ``append`` puts every value into a new cell, and takes a cell given as a value
    only after a failed conversion (an error message formatted per cell): a styled row appended that
    way costs as much as the same row in a regular sheet. Here each cell is only given its place.
    (Should openpyxl stop calling ``_values_to_row``, its own append still takes these rows.)"""

    def __init__(self, parent, title):
        super().__init__(parent, title)
        self.rows_written = 0

    def _values_to_row(self, values, row_idx):
        for col_idx, c in enumerate(values, start=1):
            if c is not None:
                c.row, c.column = row_idx, col_idx
                yield c


class _StreamBook(Workbook):
    def __init__(self):
        super().__init__(write_only=True)

    def create_sheet(self, title=None, index=None):
        ws = _RowSheet(parent=self, title=title)
        self._add_sheet(ws, index)
        return ws


def stream_workbook() -> Workbook:
    """A write-only workbook: its sheets (``wb.create_sheet``) take whole rows, top to bottom
    (``write_row``), and are written to disk as they go.

    openpyxl writes a write-only sheet's properties (fit to page), view (freeze panes) and column
    widths with its first row, and each row with its height when it is appended: set those first.
    Merged ranges, conditional formats, charts, print set-up and header/footer go with the save."""
    return _StreamBook()


def cell(ws, value: object, number_format: str | None = None, font: Font = BODY_FONT,
         alignment: Alignment | None = None, border: bool = True, fill: PatternFill | None = None) -> Cell:
    """A cell for ``write_row`` (a regular or a write-only sheet): the value and look ``put``
    gives (with ``fill``). Its style (font, alignment, border, fill, format, quote prefix) is looked
    up once per workbook and copied, so openpyxl hashes no style object per cell."""
    c = WriteOnlyCell(ws)
    quote = _store(c, value)
    text = c.data_type == "s"
    fmt = number_format if number_format and not text else None
    align = alignment or (LEFT if text else RIGHT)
    _style(c, ws.parent.__dict__.setdefault("_kp_stream_styles", {}),
           (id(font), id(align), border, fmt, id(fill), quote), font, align, border, fmt, fill, quote)
    return c


def merge(ws, start_row: int, start_column: int, end_row: int, end_column: int) -> None:
    """Merge a range of a regular or a write-only sheet (write-only: written with the save; the cells
    of the range are appended like any other, a styled blank where the range should show a border)."""
    if isinstance(ws, WriteOnlyWorksheet):
        ws.merged_cells.add(CellRange(min_col=start_column, min_row=start_row, max_col=end_column,
                                      max_row=end_row))
    else:
        ws.merge_cells(start_row=start_row, start_column=start_column, end_row=end_row, end_column=end_column)


def write_row(ws, row: int, cells: Sequence[Cell | None] = (), height: float | None = None) -> None:
    """Row ``row`` from column A: cells made by ``cell``, None where the row has no cell. A sheet of
    ``stream_workbook`` takes its rows top to bottom (rows skipped are left empty); a regular sheet
    takes the cells' values and styles in place."""
    if height is not None:
        ws.row_dimensions[row].height = height
    if not isinstance(ws, WriteOnlyWorksheet):
        for col, c in enumerate(cells, start=1):
            if c is not None:
                target = ws.cell(row=row, column=col)
                if isinstance(target, MergedCell):
                    if c.value is not None:
                        raise ValueError(f"cell {target.coordinate} lies inside a merged range")
                else:
                    target.value, target.data_type = c.value, c.data_type
                target._style = StyleArray(c._style)
        return
    if row <= ws.rows_written:
        raise ValueError(f"row {row} of {ws.title} comes after row {ws.rows_written}: rows go top to bottom")
    for _ in range(ws.rows_written + 1, row):
        ws.append(())
    ws.append(list(cells))
    ws.rows_written = row
