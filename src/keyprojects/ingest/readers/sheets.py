"""One sheet of a workbook (or a CSV) read under its header: every row from the header to the last used
row is kept as data, or skipped as blank, subtotal or note with its reason (docs/rules.md).

Merged ranges are filled with their top-left value first (merged unit cells running down a column).
"""

from __future__ import annotations

import re

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
    # where subtotal labels stand: 序号, name, unit and code columns, and columns without a header
    width = max((len(r) for r in grid), default=0)
    mapped = set(columns.values())
    label_cols = sorted(
        {columns[f] for f in LABEL_FIELDS if f in columns} | {c for c in range(width) if c not in mapped}
    )
    for i in range(lastrow + 1, len(grid)):
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
            if reason is None and note_prefixes:
                first_val = vals[0]
                if first_val.__class__ is str and config.squash(first_val).startswith(note_prefixes):
                    reason = "note"
        if reason is None:
            data_idx.append(i)
        else:
            txt = " | ".join(_cell_text(v) for v in vals)
            skipped.append(SkippedRow(file, sheet_name, int(rownums[i]), reason, txt[:SKIP_TEXT_CHARS]))

    frame = _build_frame(file, sheet_name, grid, rownums, data_idx, columns, amount_units, reporter, fields)
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
