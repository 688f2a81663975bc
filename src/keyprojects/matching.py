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
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import LISTS, config, normalize, warehouse


def row_columns(conn: Connection) -> tuple[str, ...]:
    """The staging columns ``int_project_rows`` carries (its DDL is their one home), after ``list``."""
    have = {c["name"] for c in sa.inspect(conn).get_columns("int_project_rows")}
    return ("list", *(c for c in warehouse.STAGING_COLUMNS if c in have and c not in ("quarter", "run_id")))


QUERY_BLOCK = 256  # near-miss queries scored per call (the score matrix is QUERY_BLOCK x a unit's names)


@dataclass
class Match:
    rows: list[dict]          # int_project_rows records
    review: list[dict]        # int_match_review records


def _staged(conn: Connection, quarter: str) -> list[dict]:
    rows = []
    cols = ", ".join(row_columns(conn)[1:])
    for name in LISTS:
        for r in conn.execute(sa.text(f"SELECT {cols} FROM {warehouse.staging_table(name)} WHERE quarter = :q"),
                              {"q": quarter}):
            rows.append({"list": name, **r._mapping})
    words = _cluster_words(conn, quarter)
    for r in rows:
        r["cluster_text"] = words.get((r["list"], r["file"], r["sheet"], r["row_number"])) or r.get("cluster")
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


def _name(r: dict) -> str:
    return r["name_key"] or r["project_name"]


def match_rows(rows: list[dict], quarter: str) -> Match:
    """Assign a project key to every staged row (pure function; see module doc).

    A row needs list, file, sheet, row_number, project_code, project_name, name_key and unit; its
    other columns are carried through to the ``int_project_rows`` record unchanged."""
    rows = sorted(rows, key=lambda r: (LISTS.index(r["list"]), r["file"], r["sheet"], r["row_number"]))
    codes_by_name: dict[tuple, set[str]] = defaultdict(set)
    first_with: dict[tuple, dict] = {}
    for r in rows:
        if r["project_code"]:
            codes_by_name[(r["unit"], _name(r))].add(r["project_code"])
            first_with.setdefault((r["unit"], _name(r), r["project_code"]), r)
    review: list[dict] = []
    for r in rows:
        if r["project_code"]:
            r["project_key"] = f"C:{r['project_code']}"
            continue
        codes = sorted(codes_by_name.get((r["unit"], _name(r)), ()))
        r["project_key"] = f"C:{codes[0]}" if len(codes) == 1 else f"N:{r['unit']}|{_name(r)}"
        if len(codes) > 1:
            review.append(_review(quarter, r, first_with[(r["unit"], _name(r), codes[0])], 1.0,
                                  "ambiguous: a row without a code whose name stands under several codes "
                                  + ", ".join(codes) + "; kept apart"))
    for (unit, name), codes in sorted(codes_by_name.items()):
        if len(codes) > 1:
            a, *others = sorted(codes)
            for b in others:
                review.append(_review(quarter, first_with[(unit, name, a)], first_with[(unit, name, b)], 1.0,
                                      "same name under several codes: a mistyped code, or two projects?"))

    units_of: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in rows:
        units_of[r["project_key"]].setdefault(r["unit"], r)
    for _key, per_unit in sorted(units_of.items()):
        (ua, ra), *others = sorted(per_unit.items())
        for ub, rb in others:
            review.append(_review(quarter, ra, rb, 1.0, f"one project listed by several units: {ua}, {ub}"))

    review.extend(near_misses(rows, quarter))
    out = [{"quarter": quarter, "seq": i, **r} for i, r in enumerate(rows)]
    return Match(rows=out, review=review)


def near_misses(rows: list[dict], quarter: str) -> list[dict]:
    """Pairs of projects in one unit with similar, unequal names, at least one without a code.

    Every spelling a project has in the quarter is compared (a coded project may be written one way
    in the dispatch library and another in the approvals); each pair of projects is reported once,
    with its best-scoring pair of rows.
    """
    from rapidfuzz import fuzz, process

    spellings: dict[str, dict[tuple[str, str], dict]] = defaultdict(dict)  # unit -> (key, name) -> first row
    for r in rows:
        if r["name_key"]:
            spellings[r["unit"]].setdefault((r["project_key"], r["name_key"]), r)
    out = []
    cutoff = config.matching()["near_miss_threshold"] * 100
    for _unit, by_spelling in sorted(spellings.items()):
        items = sorted(by_spelling)
        queries = [i for i, (key, _) in enumerate(items) if key.startswith("N:")]
        if not queries:
            continue
        names = [name for _, name in items]
        best: dict[tuple[str, str], tuple[float, int, int]] = {}
        # the score matrix is computed a block of queries at a time: its memory stays bounded
        # (QUERY_BLOCK x names) however many rows a unit sends
        for q0 in range(0, len(queries), QUERY_BLOCK):
            block = queries[q0:q0 + QUERY_BLOCK]
            scores = process.cdist([names[i] for i in block], names, scorer=fuzz.ratio, score_cutoff=cutoff,
                                   workers=1)
            for qi, i in enumerate(block):
                row = scores[qi]
                for j in row.nonzero()[0]:
                    j = int(j)
                    (ka, na), (kb, nb) = items[i], items[j]
                    if ka == kb or na == nb:
                        continue  # the same project, or equal names (left to the key rules above)
                    pair = (min(ka, kb), max(ka, kb))
                    score = float(row[j])
                    if pair not in best or score > best[pair][0]:
                        best[pair] = (score, *((i, j) if ka < kb else (j, i)))
        for pair in sorted(best):
            score, a, b = best[pair]
            out.append(_review(quarter, by_spelling[items[a]], by_spelling[items[b]], score / 100,
                               "near miss: similar names, not merged"))
    return out


def _review(quarter, a, b, score, reason) -> dict:
    return {
        "quarter": quarter, "unit": a["unit"], "similarity": round(score, 4), "reason": reason,
        "list_a": a["list"], "project_key_a": a["project_key"], "project_name_a": a["project_name"],
        "file_a": a["file"], "row_number_a": a["row_number"],
        "list_b": b["list"], "project_key_b": b["project_key"], "project_name_b": b["project_name"],
        "file_b": b["file"], "row_number_b": b["row_number"],
    }


def merge_quarter(conn: Connection, quarter: str, run_id: str | None = None) -> Match:
    """Match the quarter's staged rows and replace its ``int_project_rows`` and ``int_match_review``."""
    m = match_rows(_staged(conn, quarter), quarter)
    warehouse.replace_partition(conn, "int_project_rows", {"quarter": quarter},
                                ({**r, "run_id": run_id} for r in m.rows))  # a generator: no third copy
    warehouse.replace_partition(conn, "int_match_review", {"quarter": quarter},
                                [{**r, "run_id": run_id} for r in m.review])
    return m
