"""Header detection: where a sheet's header is, which field each column holds, in which amount unit.

The header is found in the first 30 rows (one row, or two rows with merged group headers); title lines
above it give the sheet's amount unit (``单位：亿元``) and the reporter (``填报单位：X``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from keyprojects import AMOUNT_FIELDS, config
from keyprojects.ingest.readers.cells import blank as _blank
from keyprojects.ingest.readers.cells import cell_text as _cell_text

HEADER_SCAN_ROWS = 30
AMOUNT_UNITS = ("万元", "亿元", "元")

# a unit written into a header cell: 总投资(亿元), 总投资（万元）, 总投资【万元】, 总投资/万元, 总投资(单位:万元)
_HEADER_UNIT_RE = re.compile(r"^(?P<name>.+?)[(\[【/]?(?:单位:?)?(?P<unit>万元|亿元|元)[)\]】]?$")
_UNIT_ONLY_RE = re.compile(r"^[(\[【]?(?:单位:?)?(?P<unit>万元|亿元|元)[)\]】]?$")
_LOOSE_REPORTER_RE = re.compile(r"(填报单位|报送单位)\s*(?:[(（][^)）]*[)）])?\s*[:：]\s*(\S+)")
_STAMP_RE = re.compile(r"[(（]\s*(盖章|公章|签章)\s*[)）]\s*$")
_WS_RE = re.compile(r"\s+")

@dataclass(frozen=True)
class _Rules:
    subtotal_words: tuple[str, ...]
    note_prefixes: tuple[str, ...]
    unit_line: re.Pattern
    reporter_line: re.Pattern
    labels: dict


@lru_cache(maxsize=None)
def _rules_for(cfg_dir: str) -> _Rules:
    raw = config.load_toml("headers.toml")
    skip = raw.get("skip", {})
    labels = {}
    for name, spec in raw.get("fields", {}).items():
        words = spec.get("words") or []
        labels[name] = words[0] if words else name
    return _Rules(
        subtotal_words=tuple(config.squash(w) for w in skip.get("subtotal_words", ("小计", "合计", "总计"))),
        note_prefixes=tuple(dict.fromkeys(config.squash(p) for p in skip.get("note_prefixes", ()))),
        unit_line=re.compile(skip.get("unit_line", r"单位[:：]?\s*(万元|亿元|元)")),
        reporter_line=re.compile(skip.get("reporter_line", r"(填报单位|报送单位)[:：]\s*(\S+)")),
        labels=labels,
    )


def rules() -> _Rules:
    return _rules_for(config.cache_key())


def label(name: str) -> str:
    return f"{name} ({rules().labels.get(name, name)})"


# ---------------------------------------------------------------- header detection

@lru_cache(maxsize=4096)
def _classify_header_text(s: str, cfg_dir: str) -> tuple[str | None, str | None, str]:
    """(field, unit, name without unit) for a squashed header cell."""
    fields = config.header_fields()
    for f in fields:
        if f.matches(s):
            return f.name, None, s
    m = _UNIT_ONLY_RE.match(s)
    if m:
        return None, m.group("unit"), ""
    m = _HEADER_UNIT_RE.match(s)
    if m:
        base, unit = m.group("name"), m.group("unit")
        for f in fields:
            if f.matches(base):
                return f.name, unit, base
        return None, unit, base
    return None, None, s


def _header_cell(v) -> str:
    if v.__class__ is not str:
        return ""
    return config.squash(v) if v.strip() else ""


def _classify(s: str) -> tuple[str | None, str | None, str]:
    if not s:
        return None, None, ""
    return _classify_header_text(s, config.cache_key())


def _single_row_fields(cells: list[str]) -> dict[str, tuple[int, str | None]]:
    out: dict[str, tuple[int, str | None]] = {}
    for c, s in enumerate(cells):
        f, unit, _ = _classify(s)
        if f is not None and f not in out:
            out[f] = (c, unit)
    return out


def _two_row_fields(upper: list[str], lower: list[str]) -> dict[str, tuple[int, str | None]]:
    out: dict[str, tuple[int, str | None]] = {}
    for c in range(max(len(upper), len(lower))):
        u = upper[c] if c < len(upper) else ""
        lo = lower[c] if c < len(lower) else ""
        fu, uu, bu = _classify(u)
        fl, ul, bl = _classify(lo)
        field_, unit = None, None
        if fl is not None:
            field_, unit = fl, ul or uu
        elif u and lo and u != lo:
            fj, uj, _ = _classify(bu + bl)
            if fj is not None:
                field_, unit = fj, uj or ul or uu
        if field_ is None and fu is not None:
            field_, unit = fu, uu or ul
        if field_ is not None and field_ not in out:
            out[field_] = (c, unit)
    return out


def find_header(grid: list, filled: dict, merged: list):
    """(first row index, last row index, {field: col}, {field: header unit}) or None."""
    scan = min(HEADER_SCAN_ROWS, len(grid))
    cells = [[_header_cell(v) for v in grid[r]] for r in range(scan)]
    singles = [_single_row_fields(row) for row in cells]
    best, best_n = None, 1
    for r, fields in enumerate(singles):
        if "project_name" in fields and len(fields) > best_n:
            best, best_n = r, len(fields)
    if best is None:
        return None

    choice = (best, best, singles[best])
    name_col = singles[best]["project_name"][0]
    span = next(((r0, r1) for (r0, c0), (r1, c1) in merged
                 if r0 <= best <= r1 and c0 <= name_col <= c1 and r1 > r0), None)
    if span is not None and span[1] - span[0] <= 2:
        # 项目名称 merged down over the header rows: the header is exactly those rows
        up, lo = span[0], min(span[1], len(grid) - 1)
        lower_cells = cells[lo] if lo < scan else [_header_cell(v) for v in grid[lo]]
        combo = _two_row_fields(cells[up], lower_cells)
        choice = (up, lo, combo if len(combo) >= len(singles[best]) else singles[best])
    else:
        # header over two rows: best row + the next one (group headers above, details below) ...
        nxt = best + 1
        if nxt < len(grid):
            lower_row = grid[nxt]
            under_name = lower_row[name_col] if name_col < len(lower_row) else ""
            if _blank(under_name) or name_col in filled.get(nxt, ()):
                nxt_cells = cells[nxt] if nxt < scan else [_header_cell(v) for v in lower_row]
                combo = _two_row_fields(cells[best], nxt_cells)
                if len(combo) > len(choice[2]):
                    choice = (best, nxt, combo)
        # ... or the row above + best row, when the row above is a header row itself (merged or matching)
        prv = best - 1
        if prv >= 0 and choice[0] == best:
            merged_above = any(rng[0][0] == prv and rng[0] != rng[1] for rng in merged)
            if merged_above or len(singles[prv]) >= 2:
                combo = _two_row_fields(cells[prv], cells[best])
                if len(combo) > len(choice[2]) or (
                        len(combo) == len(choice[2]) and _is_group_row(grid[prv], prv, filled, merged)):
                    choice = (prv, best, combo)

    first, lastrow, fields = choice
    columns = {f: c for f, (c, _) in sorted(fields.items(), key=lambda kv: kv[1][0])}
    units = {f: u for f, (_, u) in fields.items() if u and f in AMOUNT_FIELDS}
    # a row of units right under the header ("万元", "(亿元)" under the amount columns) belongs to it
    below = lastrow + 1
    if below < len(grid):
        below_cells = [_header_cell(v) if not _blank(v) else "" for v in grid[below]]
        nonblank = [(c, s) for c, s in enumerate(below_cells) if s]
        if nonblank and all(s and _UNIT_ONLY_RE.match(s) for c, s in nonblank) and \
                all(grid[below][c].__class__ is str for c, _ in nonblank):
            lastrow = below
            by_col = {c: _UNIT_ONLY_RE.match(s).group("unit") for c, s in nonblank}
            for f, c in columns.items():
                if f in AMOUNT_FIELDS and c in by_col:
                    units[f] = by_col[c]
    return first, lastrow, columns, units


def _column_letter(c: int) -> str:
    """Excel's letter of the 0-based column ``c`` (0 -> A, 26 -> AA)."""
    out = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        out = chr(65 + r) + out
    return out


def _fields_matching(s: str) -> list[str]:
    """Every field whose words/patterns match the squashed header text ``s`` (or ``s`` without a unit)."""
    fields = config.header_fields()
    hits = [f.name for f in fields if f.matches(s)]
    if not hits:
        m = _HEADER_UNIT_RE.match(s)
        if m:
            hits = [f.name for f in fields if f.matches(m.group("name"))]
    return hits


def refuse_ambiguous_columns(file, sheet_name, grid, rownums, filled, first, lastrow, columns) -> None:
    """Raise FileFault when the header is ambiguous (docs/decisions.md, "Bad input and faults"):

    * a header cell matching two fields (synonyms of two fields in headers.toml), or
    * two columns mapping to the same field whose values differ in some row under the header
      (identical columns are harmless: the first is read).

    A group cell merged over several columns (总投资 over 合计 | 其中：贷款) names the group, not a
    second column, so a column whose field comes only from such a cell is not counted."""
    upper = [_header_cell(v) for v in grid[first]]
    lower = [_header_cell(v) for v in grid[first + 1]] if lastrow > first else []
    merged_upper = filled.get(first, set())
    claims: dict[str, list[int]] = {}
    for c in range(max(len(upper), len(lower))):
        u = upper[c] if c < len(upper) else ""
        lo = lower[c] if c < len(lower) else ""
        for t in dict.fromkeys(t for t in (lo, u + lo if u and lo and u != lo else "", u) if t):
            hits = _fields_matching(t)
            if len(hits) > 1:
                raise _fault(file, f"header '{t}' in column {_column_letter(c)} matches several fields "
                                      f"({', '.join(label(h) for h in hits)}); rename the column or fix the "
                                      "synonyms in config/headers.toml", sheet_name)
        one = _two_row_fields([u], [lo]) if lower else _single_row_fields([u])
        if not one:
            continue
        (f, _), = one.items()
        from_upper_only = lower and not _classify(lo)[0] and _classify(u)[0] == f
        if from_upper_only and (c in merged_upper or (c + 1 < len(upper) and c + 1 in merged_upper)):
            continue
        claims.setdefault(f, []).append(c)
    for f, cols in claims.items():
        if len(cols) < 2 or columns.get(f) not in cols:
            continue
        a = columns[f]
        for b in (c for c in cols if c != a):
            for i in range(lastrow + 1, len(grid)):
                row = grid[i]
                va = _cell_text(row[a]) if a < len(row) else None
                vb = _cell_text(row[b]) if b < len(row) else None
                if va != vb:
                    def head(c):
                        return " ".join(x for x in (upper[c] if c < len(upper) else "",
                                                    lower[c] if c < len(lower) else "") if x) or "?"
                    raise _fault(
                        file, f"ambiguous columns: {_column_letter(a)} '{head(a)}' and {_column_letter(b)} "
                              f"'{head(b)}' both map to {label(f)} and their values differ (row {rownums[i]}: "
                              f"{va!r} vs {vb!r}); delete or rename one of them", sheet_name)


def _is_group_row(row: list, r: int, filled: dict, merged: list) -> bool:
    """A row of group headers (项目基本情况 | 投资情况 …) over the header row: merged across columns, with
    at least two distinct labels, none of them a title line (单位：万元, 填报单位：X)."""
    if not any(r0 == r and c1 > c0 for (r0, c0), (_, c1) in merged):
        return False
    fcols = filled.get(r, ())
    labels = {v.strip() for c, v in enumerate(row) if c not in fcols and v.__class__ is str and v.strip()}
    if len(labels) < 2:
        return False
    found = rules()
    return not any(found.unit_line.search(t) or "填报单位" in t or "报送单位" in t for t in labels)


def title_lines(rows: list, rules: _Rules) -> tuple[str | None, str | None]:
    """(amount unit of the 单位 line, reporter of the 填报单位 line) from the rows above the header."""
    unit, reporter = None, None
    for row in rows:
        texts = [unicodedata.normalize("NFKC", v).strip() if v.__class__ is str else "" for v in row]
        for c, t in enumerate(texts):
            if not t:
                continue
            if unit is None:
                m = rules.unit_line.search(t)
                if m and m.group(m.lastindex or 0) in AMOUNT_UNITS:
                    unit = m.group(m.lastindex or 0)
                elif _WS_RE.sub("", t).rstrip(":") in ("单位", "金额单位"):
                    # "单位：" in one cell and "万元" in the next
                    nxt = next((x for x in texts[c + 1:] if x and x != t), "")
                    m = _UNIT_ONLY_RE.match(_WS_RE.sub("", nxt))
                    if m:
                        unit = m.group("unit")
            if reporter is None and ("填报单位" in t or "报送单位" in t):
                m = rules.reporter_line.search(t) or _LOOSE_REPORTER_RE.search(t)
                value = None
                if m:
                    value = m.group(m.lastindex or 0)
                    value = rules.unit_line.sub("", value).strip()
                if not value:
                    # "填报单位：" in one cell and the unit in the next non-blank one
                    value = next((x for x in texts[c + 1:] if x and x != t), None)
                    if value and rules.unit_line.search(value):
                        value = rules.unit_line.sub("", value).strip() or None
                if value:
                    value = _STAMP_RE.sub("", value).strip(" :：") or None
                reporter = value or None
    return unit, reporter


def _fault(*args):
    from keyprojects.ingest.readers.results import FileFault

    return FileFault(*args)
