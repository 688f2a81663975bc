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

import json
import math
from collections import defaultdict
from dataclasses import dataclass

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
        for file, sheet, row_number, code, project_name, name_key, unit in conn.execute(sa.text(
                "select file, sheet, row_number, project_code, project_name, name_key, unit "
                f"from {staging.table(name)} where quarter = :q"), {"q": quarter}):
            rows.append(KeyRow(name, one.setdefault(file, file), one.setdefault(sheet, sheet), row_number, code,
                               project_name, project_name if name_key == project_name else name_key,
                               one.setdefault(unit, unit)))
    return rows


def _cluster_words(conn: Connection, quarter: str) -> dict[tuple, str]:
    """The 所属产业集群 cell of each loaded library row as written (raw_rows keeps it even when it
    names no configured cluster), so the models can tell a blank cell from a word not configured."""
    out = {}
    for r in conn.execute(sa.text(
            "select list, file, sheet, row_number, cells from raw_rows "
            "where quarter = :q and list in ('reserve', 'dispatch') and disposition = 'loaded'"), {"q": quarter}):
        word = normalize.text(json.loads(r.cells or "{}").get("cluster"))
        if word:
            out[(r.list, r.file, r.sheet, r.row_number)] = word
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
    rows = sorted(rows, key=lambda r: (LISTS.index(r.list), r.file, r.sheet, r.row_number))
    codes_by_name: dict[tuple, set[str]] = defaultdict(set)
    first_with: dict[tuple, KeyRow] = {}
    for r in rows:
        if r.project_code:
            codes_by_name[(r.unit, r.name)].add(r.project_code)
            first_with.setdefault((r.unit, r.name, r.project_code), r)
    review: list[dict] = []
    one: dict[str, str] = {}   # one string object per key, not one per row
    for r in rows:
        if r.project_code:
            key = f"C:{r.project_code}"
            r.project_key = one.setdefault(key, key)
            continue
        codes = sorted(codes_by_name.get((r.unit, r.name), ()))
        key = f"C:{codes[0]}" if len(codes) == 1 else f"N:{r.unit}|{r.name}"
        r.project_key = one.setdefault(key, key)
        if len(codes) > 1:
            review.append(_review(quarter, r, first_with[(r.unit, r.name, codes[0])], 1.0,
                                  "ambiguous: a row without a code whose name stands under several codes "
                                  + ", ".join(codes) + "; kept apart"))
    for (unit, name), codes in sorted(codes_by_name.items()):
        if len(codes) > 1:
            a, *others = sorted(codes)
            for b in others:
                review.append(_review(quarter, first_with[(unit, name, a)], first_with[(unit, name, b)], 1.0,
                                      "same name under several codes: a mistyped code, or two projects?"))

    units_of: dict[str, dict[str, KeyRow]] = defaultdict(dict)
    for r in rows:
        units_of[r.project_key].setdefault(r.unit, r)
    for _key, per_unit in sorted(units_of.items()):
        (ua, ra), *others = sorted(per_unit.items())
        for ub, rb in others:
            review.append(_review(quarter, ra, rb, 1.0, f"one project listed by several units: {ua}, {ub}"))

    review.extend(near_misses(rows, quarter))
    return Match(rows=rows, review=review)


def _prefix_index(names: list[str], alpha: float):
    """Each name's prefix tokens (its characters, rarest in the unit first) as an index:
    token → the ascending indices of the names whose prefix holds it (numpy arrays)."""
    import numpy as np

    toks = []
    freq: dict[tuple[str, int], int] = defaultdict(int)
    for s in names:
        seen: dict[str, int] = {}
        ts = []
        for ch in s:
            n = seen[ch] = seen.get(ch, 0) + 1
            ts.append((ch, n))           # the second 县 of a name is its own token: a multiset as a set
        toks.append(ts)
        for tok in ts:
            freq[tok] += 1
    index: dict[tuple[str, int], list[int]] = defaultdict(list)
    prefixes = []
    for j, ts in enumerate(toks):
        ts.sort(key=lambda tok: (freq[tok], tok))
        keep = len(ts) - math.ceil(alpha * len(ts) - 1e-9) + 1
        prefix = ts[:max(keep, 0)]
        prefixes.append(prefix)
        for tok in prefix:
            index[tok].append(j)
    return prefixes, {tok: np.asarray(js, dtype=np.int64) for tok, js in index.items()}


BAG_BUCKETS = 32


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
    prefixes, index = _prefix_index(names, alpha)
    lengths = np.fromiter((len(s) for s in names), dtype=np.float64, count=len(names))
    bags = _bags(names, lengths)
    qs, cs = [], []
    empty = np.empty(0, dtype=np.int64)
    mark = np.zeros(len(names), dtype=bool)  # the union of a query's posting lists, without sorting them
    for i in queries:
        parts = [index[tok] for tok in prefixes[i]]
        if not parts:
            continue
        if len(parts) > 1:
            for p in parts:
                mark[p] = True
            cand = np.flatnonzero(mark)
            mark[cand] = False
        else:
            cand = parts[0]
        la = lengths[i]
        cand = cand[(lengths[cand] >= la * alpha) & (lengths[cand] <= la / alpha) & (cand != i)]
        if bags is not None and len(cand):
            # the characters the two names can share, counted per bucket, must reach t·(|a|+|b|)/2
            shared = np.minimum(bags[cand], bags[i]).sum(axis=1, dtype=np.int32)
            cand = cand[shared >= t * (la + lengths[cand]) / 2]
        if len(cand):
            qs.append(np.full(len(cand), i, dtype=np.int64))
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


def merge_quarter(conn: Connection, quarter: str, run_id: str | None = None) -> Match:
    """Match the quarter's staged rows and replace its ``int_project_rows`` and ``int_match_review``."""
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
