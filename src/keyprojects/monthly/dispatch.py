"""The monthly 13710 dispatch: load a month's progress exports, then rebuild the monthly tables.

A month's progress rows are read with the same readers and validated with the suite
``expectations/progress.json`` (list ``progress``); their (month, ``progress``) partitions of
``stg_progress``, ``raw_rows``, ``rejected_rows``, ``skipped_rows`` and ``load_audit`` (whose
``quarter`` column holds the month) are replaced in one transaction.

Problems live across months, so every monthly table (``progress_month``, ``problems``,
``problems_month``, ``early_warnings``, ...) is a function of all loaded months' ``stg_progress``
rows and is rebuilt by the SQL models of ``include/sql/models/monthly`` in one transaction: the
order in which months are run does not matter, and a rerun changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from keyprojects import PROGRESS, RULES, config, db
from keyprojects.ingest import validation
from keyprojects.ingest.discovery import DATA_SUFFIXES
from keyprojects.ingest.loader import clean_cell
from keyprojects.ingest.readers import FileFault, read_file, sha256_of
from keyprojects.quarters import (
    parse_month,
    shift_month,
)
from keyprojects.warehouse import ddl

STG_COLUMNS = (
    "month", "file", "sheet", "row_number", "sha256", "run_id", "project_code", "project_name",
    "name_key", "project_ref", "unit", "status", "month_investment", "ytd_investment", "annual_plan",
    "progress", "problem", "problem_key", "problem_kind", "department", "raised_on", "major",
    "problem_status", "closed_on", "problem_id",
)
MONTHLY_TABLES = ("progress_month", "progress_review", "problems", "problems_month",
                  "department_month", "progress_unit_month", "early_warnings")
REASON_TEXT = {
    "ytd_below_plan": "累计完成投资低于年度计划进度的{factor:g}倍",
    "no_new_investment": "连续{n}个月无新增投资",
    "not_started": "进入调度库满{n}个月仍未开工",
}
CALENDAR = (dt.date(2000, 1, 1), dt.date(2040, 12, 31))
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
YTD_TOLERANCE = 0.005  # 万元: rounding in hand-made sheets is not a decrease


class MonthNotArrived(RuntimeError):
    """No progress export for the month: nothing is loaded or published."""


# ------------------------------------------------------------------ months

def settings() -> dict:
    """The ``[monthly]`` section of config/lists.toml with its defaults."""
    return {"ytd_warning_factor": 0.5, "no_investment_months": 2, "not_started_months": 3,
            "assign_days": 1, "feedback_days": 3, "settle_days": 7, "major_settle_months": 1,
            **config.load_toml("lists.toml").get("monthly", {})}


# ------------------------------------------------------------------ identities

def problem_key(text) -> str | None:
    """A problem's text reduced for identity: NFKC, lower case, no spaces or punctuation."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    s = _PUNCT.sub("", unicodedata.normalize("NFKC", str(text))).lower()
    return s or None


def project_ref(code, unit, name_key) -> str:
    """A project within the progress exports: its valid code, else unit|normalised name."""
    if isinstance(code, str) and re.match(validation.CODE_REGEX, code):
        return f"C:{code}"
    return f"N:{unit}|{name_key}"


def problem_id(unit: str, ref: str, key: str, raised_on: str) -> str:
    """Deterministic, so it does not depend on the order in which months are loaded."""
    digest = hashlib.sha1(f"{unit}\x1f{ref}\x1f{key}\x1f{raised_on}".encode()).hexdigest()
    return f"W{digest[:11].upper()}"


# ------------------------------------------------------------------ loading a month

@dataclass
class MonthLoad:
    month: str
    status: str                      # loaded | missing | failed
    files: list[dict] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_skipped: dict[str, int] = field(default_factory=dict)
    rows_rejected: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def progress_files(inbox: Path, month: str) -> tuple[list[Path], list[Path]] | None:
    """The month's export files in read order and other files beside them; None: no folder."""
    folder = Path(inbox) / month / PROGRESS
    if not folder.is_dir():
        return None
    found = sorted((p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("~$")
                    and not any(part.startswith(".") for part in p.relative_to(folder).parts)),
                   key=lambda p: p.relative_to(folder).as_posix())
    return ([p for p in found if p.suffix.lower() in DATA_SUFFIXES],
            [p for p in found if p.suffix.lower() not in DATA_SUFFIXES])


def _read_month(inbox: Path, month: str, expectations_dir: Path):
    """(reads, failures, frame, verdict) of a month's exports, before the cross-month check."""
    found = progress_files(inbox, month)
    files = found[0] if found else []
    folder = Path(inbox) / month / PROGRESS
    reads, failures = [], []
    for path in files:
        name = path.relative_to(folder).as_posix()
        try:
            reads.append(read_file(path, PROGRESS, display_name=name))
        except FileFault as fault:
            failures.append((name, sha256_of(path), str(fault)))
    frames = [r.frame for r in reads if len(r.frame)]
    frame = pd.concat(frames, ignore_index=True) if frames else None
    verdict = validation.validate(frame, PROGRESS, expectations_dir) if frame is not None \
        else validation.Verdict()
    if frame is not None:
        frame = frame.copy()
        frame["_ref"] = [project_ref(c, u, n) for c, u, n in
                         zip(frame["project_code"], frame["unit"], frame["name_key"], strict=True)]
    return reads, failures, frame, verdict


def previous_ytd(inbox: Path, month: str, expectations_dir: Path) -> dict[str, float]:
    """Year-to-date per project in the previous month's exports (rows passing the suite), read
    from the inbox, so the check does not depend on which months were loaded or in what order.
    January starts a new year: no baseline."""
    if parse_month(month)[1] == 1:
        return {}
    prev = shift_month(month, -1)
    if not progress_files(inbox, prev):
        return {}
    _, _, frame, verdict = _read_month(inbox, prev, expectations_dir)
    out: dict[str, float] = {}
    if frame is None:
        return out
    for i, (ref, ytd) in enumerate(zip(frame["_ref"], frame["ytd_investment"], strict=True)):
        if verdict.rule(i) is None and not math.isnan(ytd) and ref not in out:
            out[ref] = float(ytd)
    return out


def load_month(engine: Engine, inbox: Path, month: str, *, expectations_dir: Path,
               run_id: str | None = None, loaded_at: str | None = None) -> MonthLoad:
    """Read, validate and load a month's progress exports (replaces the month's partition).

    A month whose folder is missing or holds no export raises MonthNotArrived and touches nothing.
    """
    parse_month(month)
    out = MonthLoad(month=month, status="loaded")
    found = progress_files(inbox, month)
    folder = Path(inbox) / month / PROGRESS
    if not found or not found[0]:
        why = "folder not found" if found is None else f"folder holds no {'/'.join(DATA_SUFFIXES)} file"
        raise MonthNotArrived(f"the 13710 progress exports for {month} have not arrived ({folder}: {why}); "
                              "nothing was loaded or published")
    base = {"quarter": month, "list": PROGRESS, "run_id": run_id}
    audit: list[dict] = []

    def audit_row(file, sha, status, message, read=0, loaded=0, rejected=0, skipped=0, fmt=None):
        return {**base, "file": file, "sha256": sha, "status": status, "format": fmt, "rows_read": read,
                "rows_loaded": loaded, "rows_rejected": rejected, "rows_skipped": skipped,
                "message": message, "loaded_at": loaded_at}

    for path in found[1]:
        name = path.relative_to(folder).as_posix()
        out.warnings.append(f"{name}: not read: only {', '.join(DATA_SUFFIXES)} files are exports")
        audit.append(audit_row(name, sha256_of(path), "ignored", out.warnings[-1]))
    reads, failures, frame, verdict = _read_month(inbox, month, expectations_dir)
    for name, sha, message in failures:
        out.status = "failed"
        out.errors.append(f"{month}/{PROGRESS}/{message}")
        audit.append(audit_row(name, sha, "failed", message))

    decreased = _check_ytd(frame, verdict, previous_ytd(inbox, month, expectations_dir))
    staged, rejected, raw, skipped = [], [], [], []
    sha = {r.file: r.sha256 for r in reads}
    per_file = {r.file: {"loaded": 0, "rejected": 0} for r in reads}
    records = frame.to_dict("records") if frame is not None else []
    raw_cols = [c for c in (frame.columns if frame is not None else ()) if c.endswith("_raw")]
    for i, rec in enumerate(records):
        lineage = {"file": rec["_file"], "sheet": rec["_sheet"], "row_number": int(rec["_row"])}
        rule = verdict.rule(i)
        cells = {c[:-4]: rec[c] for c in raw_cols if clean_cell(rec[c]) is not None}
        raw.append({**base, **lineage, "disposition": "rejected" if rule else "loaded", "reason": rule,
                    "cells": json.dumps(cells, ensure_ascii=False), "sha256": sha[rec["_file"]]})
        if rule:
            rej = validation.rejection(frame, i, verdict)
            if i in decreased and verdict.faults[i][0] == ("bad_number", "ytd_investment"):
                others = [f"{r}({f})" for r, f in verdict.faults[i][1:]]
                rej["message"] = decreased[i] + (f"; also: {', '.join(others)}" if others else "")
            rejected.append({**base, **lineage, **rej})
            per_file[rec["_file"]]["rejected"] += 1
            out.rows_rejected[rule] = out.rows_rejected.get(rule, 0) + 1
        else:
            staged.append({**_staged(rec), **lineage, "month": month, "sha256": sha[rec["_file"]],
                           "run_id": run_id})
            per_file[rec["_file"]]["loaded"] += 1
    for r in reads:
        for s in r.skipped:
            skipped.append({**base, "file": s.file, "sheet": s.sheet, "row_number": s.row_number,
                            "reason": s.reason, "text": s.text})
            raw.append({**base, "file": s.file, "sheet": s.sheet, "row_number": s.row_number,
                        "disposition": "skipped", "reason": s.reason,
                        "cells": json.dumps({"text": s.text}, ensure_ascii=False), "sha256": r.sha256})
            out.rows_skipped[s.reason] = out.rows_skipped.get(s.reason, 0) + 1
        notes = "; ".join(f"sheet {k} ignored: {v}" for k, v in r.ignored_sheets.items()) or None
        audit.append(audit_row(r.file, r.sha256, "loaded", notes, read=r.rows_read,
                               loaded=per_file[r.file]["loaded"], rejected=per_file[r.file]["rejected"],
                               skipped=len(r.skipped), fmt=r.format))
        out.files.append({"file": r.file, "rows_read": r.rows_read, **per_file[r.file],
                          "skipped": len(r.skipped)})
        out.rows_read += r.rows_read
    out.rows_loaded = len(staged)
    out.rows_rejected = {k: out.rows_rejected[k] for k in RULES if k in out.rows_rejected}

    where = {"quarter": month, "list": PROGRESS}
    with engine.begin() as conn:
        db.replace_partition(conn, "stg_progress", {"month": month}, staged)
        db.replace_partition(conn, "rejected_rows", where, rejected)
        db.replace_partition(conn, "skipped_rows", where, skipped)
        db.replace_partition(conn, "raw_rows", where, raw)
        db.replace_partition(conn, "load_audit", where, audit)
    return out


def _check_ytd(frame, verdict, previous: dict[str, float]) -> dict[int, str]:
    """Add a bad_number fault to rows whose year-to-date is below the previous month's for the
    same project; returns {row index: message}."""
    msgs: dict[int, str] = {}
    if frame is None or not previous:
        return msgs
    for i, (ref, ytd) in enumerate(zip(frame["_ref"], frame["ytd_investment"], strict=True)):
        prev = previous.get(ref)
        if prev is None or math.isnan(ytd) or ytd >= prev - YTD_TOLERANCE:
            continue
        faults = verdict.faults.setdefault(i, [])
        if any(r == "duplicate" for r, _ in faults):
            continue
        faults.append(("bad_number", "ytd_investment"))
        faults.sort(key=lambda rf: RULES.index(rf[0]))
        row = frame.iloc[i]
        msgs[i] = (f"{row['_file']}, sheet {row['_sheet']}, row {row['_row']}, field 本年累计完成投资 "
                   f"(ytd_investment): year-to-date {ytd:g}万元 is below the previous month's "
                   f"{prev:g}万元 for the same project [bad_number]")
    return msgs


def _staged(rec: dict) -> dict:
    row = {c: clean_cell(rec.get(c)) for c in STG_COLUMNS if c in rec}
    row["problem"] = clean_cell(rec.get("problems"))
    row["project_ref"] = rec["_ref"]
    key = problem_key(row["problem"])
    row["problem_key"] = key
    row["problem_id"] = problem_id(row["unit"], row["project_ref"], key, row.get("raised_on") or "") \
        if key else None
    if not key:  # problem columns without a problem describe nothing
        for c in ("problem_kind", "department", "raised_on", "major", "problem_status", "closed_on"):
            row[c] = None
    return {**{c: None for c in STG_COLUMNS}, **row}


# ------------------------------------------------------------------ the monthly tables

def refresh_calendar(conn: Connection) -> None:
    """cal_day: each day, its day number and the same day a calendar month later (clamped to the
    month's end: 01-31 + 1 month = 02-28). Written once; deadlines join on it in SQL."""
    first, last = CALENDAR
    have = conn.execute(sa.text("select count(*), min(day), max(day) from cal_day")).one()
    n = (last - first).days + 1
    if tuple(have) == (n, first.isoformat(), last.isoformat()):
        return
    conn.execute(sa.text("delete from cal_day"))
    rows, d = [], first
    while d <= last:
        y, m = (d.year + (d.month == 12), 1 if d.month == 12 else d.month + 1)
        nxt = dt.date(y, m, 1)
        nxt_end = (dt.date(y + (m == 12), 1 if m == 12 else m + 1, 1) - dt.timedelta(days=1)).day
        rows.append({"day": d.isoformat(), "day_number": d.toordinal(), "month": d.strftime("%Y-%m"),
                     "plus_month": nxt.replace(day=min(d.day, nxt_end)).isoformat()})
        d += dt.timedelta(days=1)
    conn.execute(sa.text("insert into cal_day (day, day_number, month, plus_month) "
                         "values (:day, :day_number, :month, :plus_month)"), rows)


def build_monthly(conn: Connection, sql_dir: Path) -> dict:
    """Rebuild every monthly table from all loaded months (one transaction: the caller's)."""
    from keyprojects.warehouse.models import refresh_config_tables

    s = settings()
    if int(s["major_settle_months"]) != 1:
        raise ValueError("major_settle_months: only 1 (the 13710 rule) is supported")
    refresh_calendar(conn)
    months = [r[0] for r in conn.execute(sa.text("select distinct month from stg_progress order by month"))]
    for year in sorted({parse_month(m)[0] for m in months}):
        refresh_config_tables(conn, year)
    params = {
        "factor": float(s["ytd_warning_factor"]), "no_investment_months": int(s["no_investment_months"]),
        "not_started_months": int(s["not_started_months"]), "assign_days": int(s["assign_days"]),
        "feedback_days": int(s["feedback_days"]), "settle_days": int(s["settle_days"]),
        "text_below": REASON_TEXT["ytd_below_plan"].format(factor=float(s["ytd_warning_factor"])),
        "text_no_investment": REASON_TEXT["no_new_investment"].format(n=int(s["no_investment_months"])),
        "text_not_started": REASON_TEXT["not_started"].format(n=int(s["not_started_months"])),
    }
    for table in MONTHLY_TABLES:
        conn.execute(sa.text(f"delete from {table}"))
    for path in sorted((Path(sql_dir) / "models" / "monthly").glob("*.sql")):
        for stmt in ddl.sql_statements(path):
            conn.execute(sa.text(stmt), {k: v for k, v in params.items() if f":{k}" in stmt})
    counts = {t: conn.execute(sa.text(f"select count(*) from {t}")).scalar() for t in MONTHLY_TABLES}
    return {"months": months, **counts}
