"""One project across the six lists of a quarter.

Rows are matched by normalised project code; a row without a code joins the project whose rows in
the same unit carry the same normalised name, if exactly one such coded project exists (several
would be a guess: the row stays apart and goes to review). What a person should look at goes to
``match_review``, never merged or split silently:

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

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import LISTS, config, warehouse

ROW_COLUMNS = ("list", "file", "sheet", "row_number", "project_code", "project_name", "name_key", "unit", "nature",
               "status", "cluster", "total_investment", "ytd_investment", "approval_date", "registered_flag")


@dataclass
class Match:
    rows: list[dict]          # int_project_rows records
    review: list[dict]        # match_review records


def _staged(conn: Connection, quarter: str) -> list[dict]:
    rows = []
    cols = ", ".join(c for c in ROW_COLUMNS if c != "list")
    for name in LISTS:
        for r in conn.execute(sa.text(f"SELECT {cols} FROM {warehouse.staging_table(name)} WHERE quarter = :q"),
                              {"q": quarter}):
            rows.append({"list": name, **r._mapping})
    return rows


def _name(r: dict) -> str:
    return r["name_key"] or r["project_name"]


def match_rows(rows: list[dict], quarter: str) -> Match:
    """Assign a project key to every staged row (pure function; see module doc)."""
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
    out = [{"quarter": quarter, "seq": i, "project_key": r["project_key"], **{c: r[c] for c in ROW_COLUMNS}}
           for i, r in enumerate(rows)]
    return Match(rows=out, review=review)


def near_misses(rows: list[dict], quarter: str) -> list[dict]:
    """Pairs of projects in one unit with similar, unequal names (at least one without a code)."""
    from rapidfuzz import fuzz, process

    by_unit: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in rows:
        by_unit[r["unit"]].setdefault(r["project_key"], r)
    out = []
    cutoff = config.matching()["near_miss_threshold"] * 100
    for _unit, projects in sorted(by_unit.items()):
        keys = sorted(projects)
        names = [projects[k]["name_key"] or "" for k in keys]
        uncoded = [i for i, k in enumerate(keys) if k.startswith("N:")]
        if not uncoded:
            continue
        scores = process.cdist([names[i] for i in uncoded], names, scorer=fuzz.ratio, score_cutoff=cutoff, workers=1)
        for qi, i in enumerate(uncoded):
            for j in scores[qi].nonzero()[0]:
                j = int(j)
                if j == i or (j in uncoded and j < i) or names[i] == names[j]:
                    continue  # itself, a pair already seen from the other side, or equal names
                a, b = (i, j) if keys[i] < keys[j] else (j, i)
                out.append(_review(quarter, projects[keys[a]], projects[keys[b]], float(scores[qi][j]) / 100,
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
    """Match the quarter's staged rows and replace its ``int_project_rows`` and ``match_review``."""
    m = match_rows(_staged(conn, quarter), quarter)
    warehouse.replace_partition(conn, "int_project_rows", {"quarter": quarter},
                                [{**r, "run_id": run_id} for r in m.rows])
    warehouse.replace_partition(conn, "match_review", {"quarter": quarter}, [{**r, "run_id": run_id} for r in m.review])
    return m
