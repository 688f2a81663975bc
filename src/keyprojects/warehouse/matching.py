"""One project across the six lists of a quarter.

Rows are matched by normalised project code; a row without a code joins the project whose rows in
the same unit carry the same normalised name, if exactly one such coded project exists (several
would be a guess: the row stays apart and goes to review). What a person should look at goes to
``int_match_review``, never merged or split silently:

- *near misses*: names in one unit that are close (similarity ≥ ``[matching]
  near_miss_threshold`` of config/lists.toml, 0.9 by default) but not equal after
  normalisation, at least one side without a code;
- one normalised name in one unit under several codes (a mistyped code splits a project);
- one project listed by several units.

Project keys are readable and deterministic: ``C:<code>``, else ``N:<unit>|<normalised name>``.
``seq`` numbers the quarter's rows in read order (lists in their canonical order, then file, sheet,
row), so models pick representative rows without depending on a database's text collation.

The unit libraries' *rejected* rows are keyed too (``int_rejected_library_rows``: unit, normalised
code and name from the cells as read, with the same normalisers), so that a bureau-listed project the
unit did report, on a row that was rejected, is told apart from one it left out (退回待改, not 漏报).

Only the columns the rules read come into Python (``KeyRow``: eight values a row); the keys go to
a temporary table and ``int_project_rows`` is filled by one ``INSERT … SELECT`` per list joining
it to the staging rows, so a quarter's wide rows never pass through Python.
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from keyprojects import LISTS, config, db
from keyprojects.ingest import normalize, staging

KEYS_TABLE = "tmp_row_keys"  # per connection, dropped before the transaction ends


def row_columns(conn: Connection) -> tuple[str, ...]:
    """The staging columns ``int_project_rows`` carries (its DDL is their one home), after ``list``."""
    have = {c["name"] for c in sa.inspect(conn).get_columns("int_project_rows")}
    return ("list", *(c for c in staging.COLUMNS if c in have and c not in ("quarter", "run_id")))


@dataclass(slots=True)
class KeyRow:
    """What the matching rules read of one staged row, and the key they give it."""
    list: str
    file: str
    sheet: str
    row_number: int
    project_code: str | None
    project_name: str
    name_key: str | None
    unit: str
    project_key: str = ""

    @property
    def name(self) -> str:
        return self.name_key or self.project_name


@dataclass
class Match:
    rows: list[KeyRow]        # the quarter's rows in seq order, each with its project_key
    review: list[dict]        # int_match_review records


def _staged(conn: Connection, quarter: str) -> list[KeyRow]:
    """The quarter's staged rows, narrow. A file, sheet or unit is one string object for all its rows,
    and a name key equal to the name is the name's object: 430 bytes a row instead of 710."""
    rows = []
    one: dict[str, str] = {}
    for name in LISTS:
        for file, sheet, row_number, code, project_name, name_key, unit in db.tuples(
                conn, "select file, sheet, row_number, project_code, project_name, name_key, unit "
                      f"from {staging.table(name)} where quarter = :q", q=quarter):
            rows.append(KeyRow(name, one.setdefault(file, file), one.setdefault(sheet, sheet), row_number, code,
                               project_name, project_name if name_key == project_name else name_key,
                               one.setdefault(unit, unit)))
    return rows


def _cluster_words(conn: Connection, quarter: str) -> dict[tuple, str]:
    """The 所属产业集群 cell of each loaded library row as written (raw_rows keeps it even when it
    names no configured cluster), so the models can tell a blank cell from a word not configured.
    Only cells that hold the field are parsed (the loader writes them with ``json.dumps``, which
    writes a key as it is), and each word is normalised once."""
    out = {}
    words: dict[str, str | None] = {}
    for lst, file, sheet, row_number, cells in db.tuples(
            conn, "select list, file, sheet, row_number, cells from raw_rows "
                  "where quarter = :q and list in ('reserve', 'dispatch') and disposition = 'loaded'", q=quarter):
        if not cells or '"cluster"' not in cells:
            continue
        value = json.loads(cells).get("cluster")
        if isinstance(value, str):
            word = words[value] if value in words else words.setdefault(value, normalize.text(value))
        else:
            word = normalize.text(value)
        if word:
            out[(lst, file, sheet, row_number)] = word
    return out


def rejected_library_rows(conn: Connection, quarter: str) -> list[dict]:
    """The quarter's rejected reserve and dispatch rows, identified as loaded rows are: the unit its
    own unit cell names (``normalize.resolve_unit``), the normalised code (a malformed code is no
    code) and the normalised name. A row whose unit cell names no unit, or that has neither a code
    nor a name, identifies nothing and is left out. ``seq`` is the read order (list, file, sheet, row)."""
    found = conn.execute(sa.text(
        "select list, file, sheet, row_number, reason, cells from raw_rows "
        "where quarter = :q and list in ('reserve', 'dispatch') and disposition = 'rejected'"), {"q": quarter})
    rows = sorted(found, key=lambda r: (LISTS.index(r.list), r.file, r.sheet, r.row_number))
    out = []
    for r in rows:
        cells = json.loads(r.cells or "{}")
        unit = normalize.resolve_unit(cells.get("unit"))
        code = normalize.normalize_code(cells.get("project_code"))
        name = normalize.text(cells.get("project_name"))
        name_key = normalize.normalize_name(name)
        if unit is None or (code is None and name_key is None):
            continue
        out.append({"quarter": quarter, "list": r.list, "file": r.file, "sheet": r.sheet,
                    "row_number": r.row_number, "seq": len(out), "rule": r.reason, "unit": unit,
                    "project_code": code, "project_name": name, "name_key": name_key})
    return out


def match_rows(rows: list[KeyRow], quarter: str) -> Match:
    """Give every row its project key (pure function; see module doc); the rows come back in seq order."""
    rank = {name: i for i, name in enumerate(LISTS)}
    rows = sorted(rows, key=attrgetter("file", "sheet", "row_number"))
    rows.sort(key=lambda r: rank[r.list])   # stable: by list, then file, sheet and row
    codes_by_name: dict[tuple, set[str]] = defaultdict(set)
    first_with: dict[tuple, KeyRow] = {}
    for r in rows:
        if r.project_code:
            name = (r.unit, r.name_key or r.project_name)
            codes_by_name[name].add(r.project_code)
            first_with.setdefault((*name, r.project_code), r)
    review: list[dict] = []
    one: dict[str, str] = {}   # one string object per key, not one per row
    for r in rows:
        if r.project_code:
            key = f"C:{r.project_code}"
        else:
            name = r.name_key or r.project_name
            codes = codes_by_name.get((r.unit, name))
            if codes is None:
                key = f"N:{r.unit}|{name}"
            elif len(codes) == 1:
                key = f"C:{next(iter(codes))}"
            else:
                key = f"N:{r.unit}|{name}"
                codes = sorted(codes)
                review.append(_review(quarter, r, first_with[(r.unit, name, codes[0])], 1.0,
                                      "ambiguous: a row without a code whose name stands under several codes "
                                      + ", ".join(codes) + "; kept apart"))
        r.project_key = one.setdefault(key, key)
    for (unit, name), codes in sorted(item for item in codes_by_name.items() if len(item[1]) > 1):
        a, *others = sorted(codes)
        for b in others:
            review.append(_review(quarter, first_with[(unit, name, a)], first_with[(unit, name, b)], 1.0,
                                  "same name under several codes: a mistyped code, or two projects?"))

    units_of: dict[str, dict[str, KeyRow]] = defaultdict(dict)
    for r in rows:
        units_of[r.project_key].setdefault(r.unit, r)
    for _key, per_unit in sorted(item for item in units_of.items() if len(item[1]) > 1):
        (ua, ra), *others = sorted(per_unit.items())
        for ub, rb in others:
            review.append(_review(quarter, ra, rb, 1.0, f"one project listed by several units: {ua}, {ub}"))

    review.extend(near_misses(rows, quarter))
    return Match(rows=rows, review=review)


def _prefix_tokens(names: list[str], lengths, alpha: float):
    """Every name's prefix tokens as two arrays, name index and token id (a token is a character
    with its occurrence number in the name: the second 县 of a name is its own token, a multiset as
    a set). A name's tokens are ordered by their frequency in the unit, then character, then
    occurrence; its prefix is the first |a| − ⌈alpha·|a|⌉ + 1. In numpy, a few sorts of the unit's
    characters instead of Python over each one."""
    import numpy as np

    n = len(names)
    points = np.frombuffer("".join(names).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    # by name, then character (< 2**21), then position: a character's occurrences in reading order
    order = np.argsort(owner << 21 | points, kind="stable")
    owner, points = owner[order], points[order]
    pos = np.arange(len(points), dtype=np.int64)
    first = np.ones(len(points), dtype=bool)
    first[1:] = (owner[1:] != owner[:-1]) | (points[1:] != points[:-1])
    occurrence = pos - np.maximum.accumulate(np.where(first, pos, 0))
    keys, token, freq = np.unique(points * (int(lengths.max(initial=0)) + 1) + occurrence,
                                  return_inverse=True, return_counts=True)   # keys ascend as (character, occurrence)
    rank = np.empty(len(keys), dtype=np.int64)
    rank[np.lexsort((np.arange(len(keys)), freq))] = np.arange(len(keys))   # rarest first, then by key
    order = np.argsort(owner * max(len(keys), 1) + rank[token])              # each name's tokens in that order
    owner, token = owner[order], token[order]
    keep = lengths - np.ceil(alpha * lengths - 1e-9).astype(np.int64) + 1
    inside = pos - (np.cumsum(lengths) - lengths)[owner] < keep[owner]
    return owner[inside], token[inside], len(keys)


BAG_BUCKETS = 32
MARK_CELLS = 1 << 18      # (query, name) cells of one block of candidate_pairs
EXPAND_ENTRIES = 1 << 20  # posting-list entries a block expands to (bounds its memory)


def _bags(names: list[str], lengths):
    """Each name's characters counted in ``BAG_BUCKETS`` buckets (code point modulo): uint8, uint16
    when a count needs it, None beyond (the unit's names are then only length- and prefix-filtered:
    clipping a count would make it no longer an upper bound)."""
    import numpy as np

    if not names:
        return None
    points = np.frombuffer("".join(names).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    owner = np.repeat(np.arange(len(names), dtype=np.int64), lengths.astype(np.int64))
    counts = np.bincount(owner * BAG_BUCKETS + points % BAG_BUCKETS, minlength=len(names) * BAG_BUCKETS)
    most = counts.max(initial=0)
    if most > np.iinfo(np.uint16).max:
        return None
    return counts.astype(np.uint8 if most <= np.iinfo(np.uint8).max else np.uint16).reshape(len(names), BAG_BUCKETS)


def _blocks(ends, most: int):
    """Consecutive query ranges [b0, b1) of at most ``most`` queries whose posting lists hold at most
    ``EXPAND_ENTRIES`` entries together (``ends``: the running total per query); one query at least."""
    import numpy as np

    b0, out = 0, []
    while b0 < len(ends):
        fit = int(np.searchsorted(ends, (ends[b0 - 1] if b0 else 0) + EXPAND_ENTRIES, side="right"))
        b1 = max(b0 + 1, min(b0 + most, fit))
        out.append((b0, b1))
        b0 = b1
    return out


def candidate_pairs(names: list[str], queries: list[int], threshold: float):
    """The pairs (query index, name index) that may score ``fuzz.ratio`` ≥ ``threshold`` (0–1), as two
    numpy arrays ordered by query then name; every pair reaching the threshold is among them.

    ``fuzz.ratio`` is 2·LCS/(|a|+|b|), and the longest common subsequence is at most the characters
    the two names share (counted with multiplicity). A pair reaching the threshold t therefore shares
    at least t/(2−t)·|a| characters (≈ 82% at t = 0.9) and |b| lies within [t/(2−t), (2−t)/t]·|a|; so,
    with the characters of every name ordered rarest first, the first |a| − ⌈t/(2−t)·|a|⌉ + 1 of each
    must meet (the prefix filter of set-similarity joins). A unit's names share most characters, so
    this keeps ~5% of the pairs where scoring every pair is quadratic in a unit's names. Of those,
    a pair is kept only if the characters the names can share reach t·(|a|+|b|)/2, counted per
    bucket of code points (``_bags``: an upper bound of the shared characters, so still exact).
    """
    import numpy as np

    t = threshold - 1e-9                     # a hair lower: rounding never drops a pair
    alpha = t / (2 - t)
    n = len(names)
    sizes = np.fromiter((len(s) for s in names), dtype=np.int64, count=n)
    owner, token, tokens = _prefix_tokens(names, sizes, alpha)
    lengths = sizes.astype(np.float64)
    bags = _bags(names, lengths)
    # posting lists: the names whose prefix holds a token, ascending, one after another
    posting = owner[np.lexsort((owner, token))]
    plen = np.bincount(token, minlength=tokens)
    pstart = np.cumsum(plen) - plen
    queries = np.asarray(queries, dtype=np.int64)
    qrank = np.full(n, -1, dtype=np.int64)
    qrank[queries] = np.arange(len(queries))
    qr = qrank[owner]
    qr, qt = qr[qr >= 0], token[qr >= 0]
    order = np.argsort(qr, kind="stable")
    qr, qt = qr[order], qt[order]            # the queries' prefix tokens, by query
    ends = np.cumsum(np.bincount(qr, weights=plen[qt], minlength=len(queries)))  # posting entries, running
    qs, cs = [], []
    empty = np.empty(0, dtype=np.int64)
    block = max(1, MARK_CELLS // max(n, 1))  # queries a block: their candidates marked in one array
    mark = np.zeros((min(block, len(queries)), n), dtype=bool)
    for b0, b1 in _blocks(ends, block):
        lo, hi = np.searchsorted(qr, (b0, b1))
        bt = qt[lo:hi]
        bs = plen[bt]
        total = int(bs.sum())
        if not total:
            continue
        # every (query, name) of the block's posting lists; the union by marking, without sorting
        at = np.repeat(pstart[bt] - (np.cumsum(bs) - bs), bs) + np.arange(total, dtype=np.int64)
        mark[np.repeat(qr[lo:hi] - b0, bs), posting[at]] = True
        cell = np.flatnonzero(mark)
        mark.flat[cell] = False
        qi, cand = queries[b0 + cell // n], cell % n
        la, lc = lengths[qi], lengths[cand]
        keep = (lc >= la * alpha) & (lc <= la / alpha) & (cand != qi)
        qi, cand, la, lc = qi[keep], cand[keep], la[keep], lc[keep]
        if bags is not None and len(qi):
            # the characters the two names can share, counted per bucket, must reach t·(|a|+|b|)/2
            shared = np.minimum(bags[cand], bags[qi]).sum(axis=1, dtype=np.int32)
            keep = shared >= t * (la + lc) / 2
            qi, cand = qi[keep], cand[keep]
        qs.append(qi)
        cs.append(cand)
    if not qs:
        return empty, empty
    return np.concatenate(qs), np.concatenate(cs)


PAIR_BLOCK = 1_000_000  # candidate pairs scored per rapidfuzz call


def near_misses(rows: list[KeyRow], quarter: str) -> list[dict]:
    """Pairs of projects in one unit with similar, unequal names, at least one without a code.

    Every spelling a project has in the quarter is compared (a coded project may be written one way
    in the dispatch library and another in the approvals); each pair of projects is reported once,
    with its best-scoring pair of rows. Only the candidates of ``candidate_pairs`` are scored.
    """
    import numpy as np
    from rapidfuzz import fuzz, process

    spellings: dict[str, dict[tuple[str, str], KeyRow]] = defaultdict(dict)  # unit -> (key, name) -> first row
    for r in rows:
        if r.name_key:
            spellings[r.unit].setdefault((r.project_key, r.name_key), r)
    out = []
    threshold = config.matching()["near_miss_threshold"]
    cutoff = threshold * 100
    for _unit, by_spelling in sorted(spellings.items()):
        items = sorted(by_spelling)
        queries = [i for i, (key, _) in enumerate(items) if key.startswith("N:")]
        if not queries:
            continue
        names = [name for _, name in items]
        qi, cj = candidate_pairs(names, queries, threshold)
        names = np.asarray(names, dtype=object)   # fancy-indexed by the candidate arrays below
        best: dict[tuple[str, str], tuple[float, int, int]] = {}
        for p0 in range(0, len(qi), PAIR_BLOCK):
            bi, bj = qi[p0:p0 + PAIR_BLOCK], cj[p0:p0 + PAIR_BLOCK]
            # float32, as rapidfuzz's score matrices hold a ratio
            scores = process.cpdist(names[bi], names[bj], scorer=fuzz.ratio, score_cutoff=cutoff,
                                    dtype=np.float32, workers=1)
            for k in np.nonzero(scores)[0]:     # in (query, name) order: the first best pair is kept
                i, j = int(bi[k]), int(bj[k])
                (ka, na), (kb, nb) = items[i], items[j]
                if ka == kb or na == nb:
                    continue  # the same project, or equal names (left to the key rules above)
                pair = (min(ka, kb), max(ka, kb))
                score = float(scores[k])
                if pair not in best or score > best[pair][0]:
                    best[pair] = (score, *((i, j) if ka < kb else (j, i)))
        for pair in sorted(best):
            score, a, b = best[pair]
            out.append(_review(quarter, by_spelling[items[a]], by_spelling[items[b]], score / 100,
                               "near miss: similar names, not merged"))
    return out


def _review(quarter, a: KeyRow, b: KeyRow, score, reason) -> dict:
    return {
        "quarter": quarter, "unit": a.unit, "similarity": round(score, 4), "reason": reason,
        "list_a": a.list, "project_key_a": a.project_key, "project_name_a": a.project_name,
        "file_a": a.file, "row_number_a": a.row_number,
        "list_b": b.list, "project_key_b": b.project_key, "project_name_b": b.project_name,
        "file_b": b.file, "row_number_b": b.row_number,
    }


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off for the block (then as it was). Matching allocates some
    ten objects a row, none of them in a reference cycle; each full collection they set off walks
    every object of the process (Airflow, pandas, GX: ~290k) for nothing, 0.15 s each at 100k rows."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def merge_quarter(conn: Connection, quarter: str, run_id: str | None = None) -> Match:
    """Match the quarter's staged rows and replace its ``int_project_rows`` and ``int_match_review``."""
    with _collector_paused():
        return _merge_quarter(conn, quarter, run_id)


def _merge_quarter(conn: Connection, quarter: str, run_id: str | None) -> Match:
    m = match_rows(_staged(conn, quarter), quarter)
    words = _cluster_words(conn, quarter)
    conn.execute(sa.text(f"drop table if exists {KEYS_TABLE}"))
    conn.execute(sa.text(f"create temporary table {KEYS_TABLE} (list text not null, file text not null, "
                         "sheet text not null, row_number integer not null, seq integer not null, "
                         "project_key text not null, cluster_text text)"))
    db.insert_rows(conn, KEYS_TABLE, (
        {"list": r.list, "file": r.file, "sheet": r.sheet, "row_number": r.row_number, "seq": i,
         "project_key": r.project_key, "cluster_text": words.get((r.list, r.file, r.sheet, r.row_number))}
        for i, r in enumerate(m.rows)))
    conn.execute(sa.text(f"create index ix_{KEYS_TABLE} on {KEYS_TABLE} (list, file, sheet, row_number)"))
    carried = [c for c in row_columns(conn)[1:] if c not in ("file", "sheet", "row_number")]
    db.replace_partition(conn, "int_project_rows", {"quarter": quarter}, [])
    for name in LISTS:
        conn.execute(sa.text(
            "insert into int_project_rows (quarter, list, project_key, seq, file, sheet, row_number, "
            f"{', '.join(carried)}, cluster_text, run_id) "
            "select s.quarter, k.list, k.project_key, k.seq, s.file, s.sheet, s.row_number, "
            f"{', '.join('s.' + c for c in carried)}, coalesce(k.cluster_text, s.cluster), :run_id "
            # CROSS JOIN: SQLite then keeps the staging rows outside and looks each one up in the
            # keys' index (planned the other way round it scans staging once per key)
            f"from {staging.table(name)} as s cross join {KEYS_TABLE} as k "
            "where s.quarter = :q and k.list = :list and k.file = s.file and k.sheet = s.sheet "
            "and k.row_number = s.row_number"), {"q": quarter, "list": name, "run_id": run_id})
    conn.execute(sa.text(f"drop table {KEYS_TABLE}"))
    db.replace_partition(conn, "int_match_review", {"quarter": quarter},
                                ({**r, "run_id": run_id} for r in m.review))
    db.replace_partition(conn, "int_rejected_library_rows", {"quarter": quarter},
                                ({**r, "run_id": run_id} for r in rejected_library_rows(conn, quarter)))
    return m
