"""One sheet of a workbook (or a CSV) read under its header: every row from the header to the last used
row is kept as data, or skipped as blank, subtotal or note with its reason (docs/rules.md).

Merged ranges are filled with their top-left value first (merged unit cells running down a column).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata

import numpy as np

from keyprojects import AMOUNT_FIELDS, config
from keyprojects.ingest.readers.cells import blank as _blank
from keyprojects.ingest.readers.cells import cell_text as _cell_text
from keyprojects.ingest.readers.frames import build_frame as _build_frame
from keyprojects.ingest.readers.headers import HEADER_SCAN_ROWS
from keyprojects.ingest.readers.headers import find_header as _find_header
from keyprojects.ingest.readers.headers import label as _label
from keyprojects.ingest.readers.headers import refuse_ambiguous_columns as _refuse_ambiguous_columns
from keyprojects.ingest.readers.headers import rules as _rules
from keyprojects.ingest.readers.headers import title_lines as _title_lines
from keyprojects.ingest.readers.results import FileFault, SheetRead, SkippedRow

SKIP_TEXT_CHARS = 200

SUBTOTAL_LABEL_MAX = 20


LABEL_FIELDS = ("seq", "project_name", "unit", "project_code")
_TRAILING_BRACKETS = re.compile(r"[(（][^()（）]*[)）]$")
# a note under the table: a note word (填表说明, 说明, 注, 备注, 审核, 制表, 填报人, 联系电话, 单位负责人 …),
# maybe numbered or bracketed, then a colon, a space, a digit or the end -- or any short label and a
# colon (审定：…, 主要负责人：…); not a closed list of exact prefixes (docs/rules.md)
_NOTE_WORDS = ("填表说明|填报说明|编制说明|说明|附注|注|备注|审核人|审核|审定|审批人|复核|制表人|制表|"
               "填表人|填表|填报人|填报|报送人|经办人|联系人|联系电话|联系方式|电话|手机|单位负责人|主要负责人|分管负责人|负责人|"
               "统计负责人|分管领导|主管领导|领导签字|签字|盖章|日期|填报日期|填表日期|报送日期|制表日期")
_NOTE_RE = re.compile(rf"^[\[【(（]?\d{{0,2}}[.、．)）]?(?:{_NOTE_WORDS})[】)）]?"
                      r"(?:[:：\s\d一二三四五六七八九十(（]|$)")
_LABEL_COLON_RE = re.compile(r"^[\u4e00-\u9fff]{1,8}[:：]")
_DATE_LINE_RE = re.compile(r"^(?:\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})$")
_TOTAL_WORDS = ("合计", "总计")


def is_note_text(text: str) -> bool:
    """A note line (its squashed text): a note word first, a short ``label：`` or a date line."""
    return bool(_NOTE_RE.match(text) or _DATE_LINE_RE.match(text)
                or (_LABEL_COLON_RE.match(text) and not text.rstrip().endswith(("小计", "合计", "总计"))))


def _is_subtotal_label(text: str, words: tuple[str, ...]) -> bool:
    """A subtotal/total label: at most 20 characters ending in 小计/合计/总计, once a trailing bracket is set
    aside; with a colon, either side may be the label (合计：3个项目, 其中：小计, 小计（2个）, 总计(万元))."""
    if len(text) > SUBTOTAL_LABEL_MAX * 2:
        return False
    for part in re.split(r"[:：]", text, maxsplit=1):
        part = _TRAILING_BRACKETS.sub("", part)
        if 0 < len(part) <= SUBTOTAL_LABEL_MAX and part.endswith(words):
            return True
    return False



def read_sheet(file: str, sheet_name: str, grid: list, rownums: list | None, merged: list,
                required: tuple[str, ...], fields: tuple[str, ...] | None = None):
    """A SheetRead, or a string saying why the sheet is ignored (``fields``: build_frame's)."""
    # last used row: the last row holding a value (merged ranges beyond it are not 'used')
    last = len(grid) - 1
    while last >= 0 and all(_blank(v) for v in grid[last]):
        last -= 1
    if last < 0:
        return "empty sheet"
    del grid[last + 1:]
    if rownums is None:
        rownums = range(1, len(grid) + 1)

    filled = _fill_merged(grid, merged)

    header = _find_header(grid, filled, merged)
    if header is None:
        return ("no recognisable header row (needs 项目名称 and at least one other known column in the first "
                f"{HEADER_SCAN_ROWS} rows)")
    first, lastrow, columns, header_units = header
    _refuse_ambiguous_columns(file, sheet_name, grid, rownums, filled, first, lastrow, columns)

    rules = _rules()
    sheet_unit, reporter = _title_lines(grid[:first], rules)

    missing = [f for f in required if f not in columns and not (f == "unit" and reporter)]
    if missing:
        which = ", ".join(_label(f) for f in missing)
        found = ", ".join(_label(f) for f in columns) or "none"
        plural = "s" if len(missing) > 1 else ""
        raise FileFault(file, f"missing required column{plural} {which} in the header at row "
                              f"{rownums[first]}" + (f"-{rownums[lastrow]}" if lastrow != first else "")
                              + f" (columns found: {found})", sheet_name)

    amount_units = {f: header_units.get(f) or sheet_unit or "万元" for f in AMOUNT_FIELDS}

    # classify every row under the header
    data_idx: list[int] = []
    skipped: list[SkippedRow] = []
    subtotal_words = rules.subtotal_words
    note_prefixes = rules.note_prefixes
    # a project row is data: a value under an amount or the code column makes a row data, never a note
    data_cols = sorted({c for f, c in columns.items() if f in AMOUNT_FIELDS or f == "project_code"})
    closed = False      # a total row (合计/总计) closed the table after data rows: what follows is notes
    seen_data = False
    # where subtotal labels stand: 序号, name, unit and code columns, and columns without a header
    width = max((len(r) for r in grid), default=0)
    mapped = set(columns.values())
    label_cols = sorted(
        {columns[f] for f in LABEL_FIELDS if f in columns} | {c for c in range(width) if c not in mapped}
    )
    # the rows that can only be data are found column by column (``_sure_data``); the others go through
    # the rules row by row
    start = lastrow + 1
    n = len(grid) - start
    cols = _columns(grid, start)
    code_last = sorted(data_cols, key=lambda c: c == columns.get("project_code"))
    sure = _sure_data(cols, n, {i - start for i in filled if i >= start}, label_cols, code_last, subtotal_words)
    done = 0
    for j in [j for j, ok in enumerate(sure) if not ok]:
        if j > done:
            data_idx.extend(range(start + done, start + j))
            seen_data = True
        done = j + 1
        i = start + j
        row = grid[i]
        fcols = filled.get(i)
        if fcols:
            vals = [v for c, v in enumerate(row) if c not in fcols and not _blank(v)]
        else:
            # calamine and csv give str/int/float/bool/date values, never None or NaN
            vals = [v for v in row if v.__class__ is not str or v.strip()]
        reason = None
        if not vals:
            reason = "blank"
        else:
            for c in label_cols:
                # a label such as 合计, 小计（3个）, 忻府区小计 in a label column -- not 资金缺口合计 under
                # 存在问题, nor a project named 总计量检测中心
                v = row[c] if c < len(row) and not (fcols and c in fcols) else None
                if v.__class__ is str and len(v) <= 40 and _is_subtotal_label(config.squash(v), subtotal_words):
                    reason = "subtotal"
                    break
            if reason == "subtotal" and seen_data and _is_total(row, label_cols, fcols):
                closed = True
            first_col = next(c for c, v in enumerate(row) if not (fcols and c in fcols) and not _blank(v))
            if reason is None and not any(c != first_col and c < len(row) and not (fcols and c in fcols)
                                          and _data_value(row[c]) for c in data_cols):
                # the note may stand in any column (the code column, under a blank 序号): its own cell is
                # the note, any other amount or code makes the row data
                first_val = vals[0]
                text = config.squash(_cell_text(first_val))
                if (closed and first_col not in data_cols) or is_note_text(text) \
                        or (note_prefixes and text.startswith(note_prefixes)) \
                        or (len(vals) == 1 and first_val.__class__ in (dt.date, dt.datetime)):
                    reason = "note"
        if reason is None:
            seen_data = True
            data_idx.append(i)
        else:
            txt = " | ".join(_cell_text(v) for v in vals)
            skipped.append(SkippedRow(file, sheet_name, int(rownums[i]), reason, txt[:SKIP_TEXT_CHARS]))
    data_idx.extend(range(start + done, start + n))

    frame = _build_frame(file, sheet_name, cols, start, rownums, data_idx, columns, amount_units, reporter, fields)
    del cols
    return SheetRead(
        sheet=sheet_name,
        header_rows=(int(rownums[first]), int(rownums[lastrow])),
        columns=dict(columns),
        amount_units=amount_units,
        reporter=reporter,
        frame=frame,
        skipped=skipped,
        rows_read=len(frame) + len(skipped),
    )


def _columns(grid: list, start: int) -> list[tuple]:
    """The cells of the rows from ``start`` on, column by column (a short row's missing cells are "")."""
    rows = grid[start:]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    if all(len(r) == width for r in rows):
        return list(zip(*rows, strict=True))
    return [tuple([r[c] if c < len(r) else "" for r in rows]) for c in range(width)]


def _sure_data(cols: list[tuple], n: int, filled: set[int], label_cols: list[int], data_cols: list[int],
               words: tuple[str, ...]) -> list[bool]:
    """Per row of ``cols``, True when the row rules can only make it data: no merged-in cell (``filled``:
    row positions), no subtotal label in a label column, and a data value (``_data_value``) in a data
    column that is not the row's first non-blank cell: two data values, or one and a non-blank cell
    left of every data column. ``data_cols`` are looked at in their order, each only in the rows not yet
    sure (the code column last: its text costs most), each distinct value once. The rows not sure go
    through the rules row by row."""
    if n == 0 or not data_cols:
        return [False] * n
    blank = ("",) * n
    try:
        need = np.full(n, 2, dtype=np.int8)     # data values still needed
        for c in range(min(data_cols)):
            need -= _mask(cols[c] if c < len(cols) else blank, _nonblank_of) & (need == 2)
        for c in data_cols:
            rows = np.flatnonzero(need > 0)
            if not len(rows):
                break
            col = cols[c] if c < len(cols) else blank
            if len(rows) < n:
                col = operator.itemgetter(*rows)(col) if len(rows) > 1 else (col[rows[0]],)
            need[rows] -= _mask(col, _data_value_of)
        sure = (need <= 0).tolist()
        for c in label_cols:
            col = cols[c] if c < len(cols) else blank
            hits = _subtotal_labels(dict.fromkeys(col), words)
            if hits:
                for j, v in enumerate(col):
                    if v in hits:
                        sure[j] = False
    except TypeError:  # an unhashable cell value: every row by the rules
        return [False] * n
    for j in filled:
        if j < n:
            sure[j] = False
    return sure


def _mask(col: tuple, test) -> np.ndarray:
    """``test`` of every cell of ``col``, as booleans (``test`` maps the distinct values to theirs)."""
    of = test(dict.fromkeys(col))
    return np.fromiter(map(of.__getitem__, col), dtype=bool, count=len(col))


def _nonblank_of(values) -> dict:
    """{value: not blank} (``cells.blank``; 1, 1.0 and True share a key and an answer)."""
    return {v: bool(v.strip()) if v.__class__ is str else v == v if v.__class__ is float
            else v.__class__ is int or not _blank(v) for v in values}


def _data_value_of(values) -> dict:
    """{value: ``_data_value``} (numbers answered without a call: a float is data unless NaN)."""
    return {v: v == v if v.__class__ is float else v.__class__ is int or _data_value(v) for v in values}


def _subtotal_labels(values, words: tuple[str, ...]) -> set:
    """The subtotal labels among distinct cell ``values``: a str of at most 40 characters that
    ``_is_subtotal_label`` once squashed. Squashed, a label ends with one of ``words``, so its NFKC form
    holds the last character of one of them: only those texts are looked at (a text NFKC leaves as it
    is, most of them, is not normalised to be looked into)."""
    texts = [v for v in values if v.__class__ is str and len(v) <= 40]
    if texts and all(words):
        nfkc, normal = unicodedata.normalize, unicodedata.is_normalized
        ends = {w[-1] for w in words}
        if len(ends) == 1:
            (end,) = ends
            texts = [t for t in texts if end in t or (not normal("NFKC", t) and end in nfkc("NFKC", t))]
        else:
            texts = [t for t in texts if not ends.isdisjoint(t)
                     or (not normal("NFKC", t) and not ends.isdisjoint(nfkc("NFKC", t)))]
    return {v for v in texts if _is_subtotal_label(config.squash(v), words)}


def _data_value(v) -> bool:
    """A value that makes a row data: anything but a blank or a note's own text (审核：张三 | 制表：李四
    may stand under an amount column)."""
    if v.__class__ is str:
        return bool(v.strip()) and not is_note_text(config.squash(v))
    return not _blank(v)


def _is_total(row: list, label_cols: list[int], fcols) -> bool:
    """A total row (合计/总计, not a 小计) in a label column."""
    for c in label_cols:
        v = row[c] if c < len(row) and not (fcols and c in fcols) else None
        if v.__class__ is str and len(v) <= 40:
            label = _TRAILING_BRACKETS.sub("", re.split(r"[:：]", config.squash(v), maxsplit=1)[0])
            if label.endswith(_TOTAL_WORDS):
                return True
    return False


def _fill_merged(grid: list, merged: list) -> dict[int, set[int]]:
    """Copy each merged range's top-left value into the rest of the range; return the cells filled."""
    filled: dict[int, set[int]] = {}
    nrows = len(grid)
    for rng in merged:
        try:
            (r0, c0), (r1, c1) = rng
        except (TypeError, ValueError):
            continue
        if r0 >= nrows or r0 < 0 or c0 < 0:
            continue
        top = grid[r0]
        if c0 >= len(top):
            continue
        value = top[c0]
        if _blank(value):
            continue
        for r in range(r0, min(r1, nrows - 1) + 1):
            row = grid[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            cols = None
            for c in range(c0, c1 + 1):
                if r == r0 and c == c0:
                    continue
                row[c] = value
                if cols is None:
                    cols = filled.setdefault(r, set())
                cols.add(c)
    return filled
