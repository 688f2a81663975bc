"""The reader's column-wise paths give what the row-by-row rules give: rows told data column by column
(``sheets._sure_data``), each distinct value of a column converted once (``frames._convert``), and the
raw cells' JSON built from per-column pieces (``loader.cells_texts``)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import re
import unicodedata

import pandas as pd
import pytest

from keyprojects import config
from keyprojects.ingest import loader
from keyprojects.ingest.readers import frames, sheets

HEADER = ["序号", "项目名称", "县（市、区）", "项目代码", "总投资", "本年累计完成投资", "开工时间", "备注"]
CELLS = [
    "", " ", "\u3000", 0, 0.0, -0.0, 1, 1.0, True, False, 2.5, 1e16, "1,200", "1.2亿", "800万元", "abc",
    "忻府区", "原平市", "忻府区小计", "合计", "小计（3个）", "合 计", "总计(万元)", "合计：3个项目", "其中：小计",
    "总计量检测中心项目", "设计院项目", "（甲）项目", "ＡＢＣ项目", "填表说明：略", "审核：张三", "注：1", "2022年3月",
    "2022-03-15", "2101-140900-04-01-123456", "21011409000401123456", dt.date(2022, 3, 1),
    dt.datetime(2022, 3, 1, 9, 0), "  甲项目  ", "\u00b4", "资金缺口合计",
]


def _grid(rng: random.Random) -> tuple[list, list]:
    rows = [["忻州市重点项目"], HEADER[:]]
    for _ in range(rng.randrange(1, 40)):
        width = rng.choice((len(HEADER), len(HEADER), len(HEADER) - 2, len(HEADER) + 1))
        fill = rng.choice((0.7, 0.7, 0.15))  # a full row, or a sparse one (a note, an amount alone)
        cells = [rng.choice(CELLS) if rng.random() < fill else "" for _ in range(width)]
        if rng.random() < 0.6:  # a project row
            cells[1] = f"项目{rng.randrange(5)}"
            if rng.random() < 0.7:
                cells[4] = rng.choice((10.0, 600, "700", "", "合计"))
        rows.append(cells)
    merged = []
    if rng.random() < 0.3 and len(rows) > 4:
        r0 = rng.randrange(2, len(rows) - 1)
        merged.append(((r0, 2), (min(r0 + rng.randrange(1, 4), len(rows) - 1), 2)))
    return rows, merged


def _read(grid, merged):
    return sheets.read_sheet("f.xlsx", "S", copy.deepcopy(grid), None, merged, ("project_name",))


@pytest.mark.parametrize("seed", range(60))
def test_rows_told_column_by_column_as_row_by_row(seed, monkeypatch):
    grid, merged = _grid(random.Random(seed))
    fast = _read(grid, merged)
    monkeypatch.setattr(sheets, "_sure_data", lambda cols, n, *a: [False] * n)
    slow = _read(grid, merged)
    assert fast.skipped == slow.skipped
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.rows_read == slow.rows_read


def test_distinct_values_converted_once_keep_types_apart():
    values = [1, 1.0, True, -0.0, 0.0, 0, False, "1", " 1 ", float("nan"), dt.date(2022, 1, 1)]
    raw, parsed = frames._convert(values, frames._amount_fn("亿元"))
    assert raw == [frames._text(v) for v in values]
    want = [frames._amount_fn("亿元")(v) for v in values]
    assert [repr(x) for x in parsed] == [repr(x) for x in want]  # -0.0 keeps its sign, NaN stays NaN


def test_string_column_texts_as_one_by_one():
    values = ["  a ", "ＡＢＣ", "\u00b4x", "", "\u3000", "甲（乙）", "a", "  a "]
    raw, parsed = frames._convert(values)
    assert raw == [frames._text(v) for v in values] and parsed is raw


def test_cells_json_as_json_dumps():
    names = ["project_name", "unit", "remark", "seq"]
    cols = [["甲\"项目\"", None, "a\\b\n\t\x01", "é☃\U0001f600"], [None, None, None, None],
            ["x", "", None, "\u2028"], [None, "1", None, None]]
    got = list(loader.cells_texts(names, cols, 4, chunk=3))
    want = [json.dumps({k: v for k, v in zip(names, row, strict=True) if v is not None}, ensure_ascii=False)
            for row in zip(*cols, strict=True)]
    assert got == want
    assert list(loader.cells_texts([], [], 2)) == ["{}", "{}"]


def test_squash_removes_what_re_whitespace_matches():
    for c in range(0x3100):
        ch = chr(c)
        if 0xD800 <= c < 0xE000:
            continue
        assert config.squash(f"a{ch}b") == re.sub(r"\s+", "", unicodedata.normalize("NFKC", f"a{ch}b")), hex(c)


@pytest.mark.parametrize("last", [[dt.date(2022, 3, 1)], ["审核：张三"], [600.0], ["2101-140900-04-01-123456", 5.0]])
def test_merged_in_cells_do_not_make_a_row_data(last, monkeypatch):
    """A unit merged down over a row is not one of its cells: a date alone under the code column stays a note."""
    grid = [HEADER[:], [1, "甲项目", "忻府区", "2101-140900-04-01-123457", 10.0], ["", "", "", *last]]
    merged = [((1, 2), (2, 2))]
    fast = _read(grid, merged)
    monkeypatch.setattr(sheets, "_sure_data", lambda cols, n, *a: [False] * n)
    slow = _read(grid, merged)
    assert fast.skipped == slow.skipped
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
