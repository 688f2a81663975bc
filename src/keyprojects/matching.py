"""One project across the six lists of a quarter.

Rows are matched by normalised project code; a row without a code joins the project whose rows in
the same unit have the same normalised name (if exactly one such project exists — two would be a
guess, so the row stays apart and the pair goes to review). Names in one unit that are close but
not equal after normalisation are *near misses*: written to ``match_review`` with both sides and a
similarity score, never merged.

Project keys are readable and deterministic: ``C:<code>`` for a project with a code, else
``N:<unit>|<normalised name>``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import LISTS, warehouse

NEAR_MISS_THRESHOLD = 0.8
ROW_COLUMNS = ("list", "file", "sheet", "row_number", "project_code", "project_name", "name_key", "unit", "nature",
               "status", "cluster", "total_investment", "ytd_investment", "approval_date", "registered_flag")


@dataclass
class Match:
    rows: list[dict]          # int_project_rows records
    review: list[dict]        # match_review records
    master: list[dict]        # project_master candidates


def _staged(conn: Connection, quarter: str) -> list[dict]:
    rows = []
    for name in LISTS:
        cols = ", ".join(c for c in ROW_COLUMNS if c != "list")
        for r in conn.execute(sa.text(f"SELECT {cols} FROM {warehouse.staging_table(name)} WHERE quarter = :q "
                                      "ORDER BY file, sheet, row_number"), {"q": quarter}):
            rows.append({"list": name, **r._mapping})
    return rows


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def match_rows(rows: list[dict], quarter: str) -> Match:
    """Assign a project key to every staged row (pure function; see module doc)."""
    name_id = lambda r: (r["unit"], r["name_key"] or r["project_name"])  # noqa: E731
    code_keys_by_name: dict[tuple, set[str]] = defaultdict(set)
    for r in rows:
        if r["project_code"]:
            code_keys_by_name[name_id(r)].add(f"C:{r['project_code']}")
    review: list[dict] = []
    for r in rows:
        if r["project_code"]:
            r["project_key"] = f"C:{r['project_code']}"
            continue
        candidates = sorted(code_keys_by_name.get(name_id(r), ()))
        if len(candidates) == 1:
            r["project_key"] = candidates[0]
        else:
            r["project_key"] = f"N:{r['unit']}|{name_id(r)[1]}"
            if len(candidates) > 1:
                review.append(_review(quarter, r, None, 1.0, "ambiguous: same name under several codes "
                                      + ", ".join(c[2:] for c in candidates)))

    # one project in several units' rows: reported, each unit's figures keep their own rows
    units_of: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in rows:
        units_of[r["project_key"]].setdefault(r["unit"], r)
    for key, per_unit in sorted(units_of.items()):
        if len(per_unit) > 1:
            (ua, ra), *others = sorted(per_unit.items())
            for ub, rb in others:
                review.append(_review(quarter, ra, rb, 1.0, f"one project listed by several units: {ua}, {ub}"))

    # near misses: different projects in one unit whose names are close; at least one side has no code
    by_unit: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in rows:
        by_unit[r["unit"]].setdefault(r["project_key"], r)
    for unit, projects in sorted(by_unit.items()):
        items = sorted(projects.items())
        for i, (ka, ra) in enumerate(items):
            na = ra["name_key"] or ""
            for kb, rb in items[i + 1:]:
                if ka.startswith("C:") and kb.startswith("C:"):
                    continue
                nb = rb["name_key"] or ""
                if not na or not nb or abs(len(na) - len(nb)) > max(2, len(na) // 5):
                    continue
                sm = SequenceMatcher(None, na, nb, autojunk=False)
                if sm.real_quick_ratio() < NEAR_MISS_THRESHOLD or sm.quick_ratio() < NEAR_MISS_THRESHOLD:
                    continue
                score = sm.ratio()
                if score >= NEAR_MISS_THRESHOLD:
                    review.append(_review(quarter, ra, rb, score, "near miss: similar names, not merged"))

    out_rows = [{"quarter": quarter, **{c: r[c] for c in ROW_COLUMNS}, "project_key": r["project_key"]} for r in rows]
    master: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: (r["project_key"], LISTS.index(r["list"]))):
        master.setdefault(r["project_key"], {
            "project_key": r["project_key"], "project_code": r["project_code"], "unit": r["unit"],
            "project_name": r["project_name"], "name_key": r["name_key"], "first_quarter": quarter})
    return Match(rows=out_rows, review=review, master=list(master.values()))


def _review(quarter, a, b, score, reason) -> dict:
    return {
        "quarter": quarter, "unit": a["unit"], "similarity": round(score, 4), "reason": reason,
        "list_a": a["list"], "project_key_a": a["project_key"], "project_name_a": a["project_name"],
        "file_a": a["file"], "row_number_a": a["row_number"],
        "list_b": b["list"] if b else None, "project_key_b": b["project_key"] if b else None,
        "project_name_b": b["project_name"] if b else None, "file_b": b["file"] if b else None,
        "row_number_b": b["row_number"] if b else None,
    }


def merge_quarter(conn: Connection, quarter: str, run_id: str | None = None) -> Match:
    """Match the quarter's staged rows and replace its ``int_project_rows`` and ``match_review``."""
    m = match_rows(_staged(conn, quarter), quarter)
    warehouse.replace_partition(conn, "int_project_rows", {"quarter": quarter},
                                [{**r, "run_id": run_id} for r in m.rows])
    warehouse.replace_partition(conn, "match_review", {"quarter": quarter}, [{**r, "run_id": run_id} for r in m.review])
    if m.master:
        conn.execute(sa.text(
            "INSERT INTO project_master (project_key, project_code, unit, project_name, name_key, first_quarter) "
            "VALUES (:project_key, :project_code, :unit, :project_name, :name_key, :first_quarter) "
            "ON CONFLICT (project_key) DO UPDATE SET first_quarter = CASE "
            "WHEN excluded.first_quarter < project_master.first_quarter THEN excluded.first_quarter "
            "ELSE project_master.first_quarter END"), m.master)
    return m
