"""Frame building: the data rows of a sheet as a pandas frame of raw and parsed columns.

Text columns of the frame are ``object`` columns holding ``str`` or ``None`` (never NaN), amounts
are ``float64`` in 万元 (NaN when blank or unparseable), ``_row`` is ``int64``.
"""

from __future__ import annotations

import operator
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

from keyprojects import AMOUNT_FIELDS, DATE_FIELDS, VOCAB_FIELDS, config
from keyprojects.ingest import normalize


@lru_cache(maxsize=None)
def _field_names_for(cfg_dir: str) -> tuple[str, ...]:
    return tuple(f.name for f in config.header_fields())


def _field_names() -> tuple[str, ...]:
    return _field_names_for(config.cache_key())


def frame_columns() -> list[str]:
    """The frame's columns, in order: _file, _sheet, _row, <field>_raw…, <field>…, name_key."""
    names = _field_names()
    return ["_file", "_sheet", "_row", *(f"{n}_raw" for n in names), *names, "name_key"]


def empty_frame() -> pd.DataFrame:
    """A frame with the read's columns and dtypes and no rows (a copy: building one costs ~30 ms, and
    an empty quarter's header-only files ask for one each, twice)."""
    return _empty_frame_for(config.cache_key()).copy()


@lru_cache(maxsize=None)
def _empty_frame_for(cfg_dir: str) -> pd.DataFrame:
    cols = {}
    for c in frame_columns():
        if c == "_row":
            cols[c] = pd.Series([], dtype="int64")
        elif c in AMOUNT_FIELDS:
            cols[c] = pd.Series([], dtype="float64")
        else:
            cols[c] = pd.Series([], dtype=object)
    return pd.DataFrame(cols)


def _text(v):
    """normalize.text, with a fast path for strings (the same result, fewer checks)."""
    if v.__class__ is str:
        s = v.strip()
        if not s:
            return None
        return s if s.isascii() else unicodedata.normalize("NFKC", v).strip()
    if v.__class__ is float:
        if v != v:
            return None
        return str(int(v)) if v.is_integer() else str(v)
    if v.__class__ is int:
        return str(v)
    return normalize.text(v)


def _convert(values, parse=None) -> tuple[list, list]:
    """(raw texts, parsed values) of one column, each distinct value converted once (units, vocabularies,
    dates and text amounts repeat a lot): a string or a float is its own key (they never compare equal),
    any other value is keyed by its class and value (1, 1.0 and True stay apart)."""
    kinds = set(map(type, values))
    if kinds <= {str, float}:
        keys = values
    else:
        keys = [v if v.__class__ is str or v.__class__ is float else (v.__class__, v) for v in values]
    distinct = list(dict.fromkeys(keys))
    if kinds == {str}:  # _text of a string, written out: the column's texts without a call each
        raw_of = {v: (t if t.isascii() else unicodedata.normalize("NFKC", v).strip()) if t else None
                  for v, t in zip(distinct, map(str.strip, distinct), strict=True)}
    else:
        raw_of = {k: _text(k[1] if k.__class__ is tuple else k) for k in distinct}
    raw = list(map(raw_of.__getitem__, keys))
    if parse is None:
        return raw, raw
    parsed_of = {k: parse(k[1] if k.__class__ is tuple else k) for k in distinct}
    parsed = list(map(parsed_of.__getitem__, keys))
    if 0.0 in parsed_of:  # 0.0 and -0.0 share a key: each zero parsed on its own (an amount keeps its sign)
        for j, v in enumerate(values):
            if v.__class__ is float and v == 0.0:
                parsed[j] = parse(v)
    return raw, parsed


def _code_value(v):
    # a code already written in its clean form is returned as is (what normalize.clean_code gives)
    if v.__class__ is str and normalize.CODE_RE.fullmatch(v):
        return v
    return normalize.clean_code(v)


def _unit_value(v):
    return normalize.resolve_unit(v) or normalize.text(v)


def _vocab_fn(vocabulary: str):
    def fn(v):
        return normalize.resolve_vocab(vocabulary, v) or normalize.text(v)
    return fn


def _date_value(v):
    d = normalize.parse_date(v)
    return d.isoformat() if d is not None else None


def _amount_fn(unit: str):
    scale = {"万元": 1.0, "亿元": 10000.0, "元": 0.0001}.get(unit, 1.0)

    def fn(v):
        if v.__class__ is float or v.__class__ is int:
            return float(v) * scale
        a = normalize.parse_amount(v, unit)
        return np.nan if a is None else a
    return fn


def _object(values) -> pd.Series:
    return pd.Series(values, dtype=object)


def build_frame(file, sheet_name, cols, start, rownums, data_idx, columns, amount_units, reporter,
                fields=None) -> pd.DataFrame:
    """The frame of the data rows (``data_idx``: row indices of the sheet) from ``cols``, the cells of the
    sheet's rows from ``start`` on column by column; with ``fields``, only those fields are converted
    (the others are left blank: the inbox check asks for the unit column only)."""
    n = len(data_idx)
    if not n:  # a sheet with a header and no data rows
        return empty_frame()
    names = _field_names()
    rows = len(cols[0]) if cols else 0
    if n == rows:  # every row under the header is data
        def column(c: int):
            return cols[c] if c < len(cols) else ("",) * n
    else:
        pick = operator.itemgetter(*(i - start for i in data_idx)) if n > 1 else None

        def column(c: int):
            if c >= len(cols):
                return ("",) * n
            return pick(cols[c]) if pick is not None else (cols[c][data_idx[0] - start],)

    raw_cols: dict[str, object] = {}
    parsed: dict[str, object] = {}
    nones = [None] * n
    blank = _object(nones)  # every field not read (the frame copies it into each of their columns)
    no_amount = pd.Series(np.full(n, np.nan), dtype="float64")
    for f in names:
        if fields is not None and f not in fields:
            values = None
        elif f in columns:
            values = column(columns[f])
        elif f == "unit" and reporter:
            values = [reporter] * n
        else:
            values = None
        if values is None:
            raw_cols[f] = blank
            parsed[f] = no_amount if f in AMOUNT_FIELDS else blank
            continue
        if f == "project_code":
            raw, par = _convert(values, _code_value)
        elif f == "unit":
            raw, par = _convert(values, _unit_value)
        elif f in AMOUNT_FIELDS:
            raw, par = _convert(values, _amount_fn(amount_units[f]))
        elif f in DATE_FIELDS:
            raw, par = _convert(values, _date_value)
        elif f in VOCAB_FIELDS:
            raw, par = _convert(values, _vocab_fn(f))
        elif f == "cluster":
            raw, par = _convert(values, normalize.resolve_cluster)
        elif f == "problems":
            raw, par = _convert(values, normalize.problem_text)
        else:
            raw, par = _convert(values, None)
        raw_cols[f] = _object(raw)
        if par is raw:
            parsed[f] = raw_cols[f]
        elif f in AMOUNT_FIELDS:
            parsed[f] = pd.Series(par, dtype="float64")
        else:
            parsed[f] = _object(par)

    if "project_name" in columns and (fields is None or "project_name" in fields):
        # the name key of each distinct name, from its raw text (normalize.normalize_name = name_key(text))
        names_raw = raw_cols["project_name"].tolist()
        key_of = {t: None if t is None else normalize.name_key(t) for t in dict.fromkeys(names_raw)}
        name_key = _object(list(map(key_of.__getitem__, names_raw)))
    else:
        name_key = blank

    data = {
        "_file": _object([file] * n),
        "_sheet": _object([sheet_name] * n),
        "_row": pd.Series([rownums[i] for i in data_idx], dtype="int64"),
    }
    for f in names:
        data[f"{f}_raw"] = raw_cols[f]
    for f in names:
        data[f] = parsed[f]
    data["name_key"] = name_key
    return pd.DataFrame(data)
