"""Read -> validate -> load for one list of one quarter (the unit of work of the quarterly DAG).

Nothing is lost: every row read is loaded (``stg_<list>``), rejected (``rejected_rows``) or skipped
(``skipped_rows``), and all of them are kept in ``raw_rows``; every file is in ``load_audit``.
The (quarter, list) partition of each table is replaced in one transaction.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from . import LISTS, RULES, validation, warehouse
from .readers import FileFault, FileRead, read_file, sha256_of

DATA_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


@dataclass
class ListLoad:
    """What a list's load did; also returned to Airflow as the task's XCom (``as_dict``)."""
    quarter: str
    list: str
    status: str                      # loaded | missing | failed (some file failed)
    files: list[dict] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_skipped: dict[str, int] = field(default_factory=dict)
    rows_rejected: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    report: str | None = None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def list_files(inbox: Path, quarter: str, list_name: str) -> tuple[list[Path], list[Path]] | None:
    """The list's data files in read order and the other files found beside them (not read, but
    reported), or None when its folder has not arrived. Hidden files and Excel lock files (~$…) are
    not files of the list."""
    folder = Path(inbox) / quarter / list_name
    if not folder.is_dir():
        return None
    found = sorted(
        (p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("~$")
         and not any(part.startswith(".") for part in p.relative_to(folder).parts)),
        key=lambda p: p.relative_to(folder).as_posix(),
    )
    return ([p for p in found if p.suffix.lower() in DATA_SUFFIXES],
            [p for p in found if p.suffix.lower() not in DATA_SUFFIXES])


def _clean(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def load_list(engine: Engine, inbox: Path, quarter: str, list_name: str, *, expectations_dir: Path,
              run_id: str | None = None, loaded_at: str | None = None, report_dir: Path | None = None) -> ListLoad:
    """Read every file of the list, validate the rows and replace the (quarter, list) partition."""
    if list_name not in LISTS:
        raise ValueError(f"unknown list {list_name!r}")
    out = ListLoad(quarter=quarter, list=list_name, status="loaded")
    folder = Path(inbox) / quarter / list_name
    found = list_files(inbox, quarter, list_name)
    files, others = found if found is not None else (None, [])
    audit: list[dict] = []
    reads: list[FileRead] = []
    base = {"quarter": quarter, "list": list_name, "run_id": run_id}

    def audit_row(file: str, sha256: str | None, status: str, message: str | None, *, read: int = 0,
                  loaded: int = 0, rejected: int = 0, skipped: int = 0) -> dict:
        return {**base, "file": file, "sha256": sha256, "status": status, "rows_read": read, "rows_loaded": loaded,
                "rows_rejected": rejected, "rows_skipped": skipped, "message": message, "loaded_at": loaded_at}

    for path in others:
        name = path.relative_to(folder).as_posix()
        out.warnings.append(f"{name}: not read: only {', '.join(DATA_SUFFIXES)} files are lists")
        audit.append(audit_row(name, sha256_of(path), "ignored", out.warnings[-1]))
    if not files:
        out.status = "missing"
        why = "folder not found" if files is None else f"folder holds no {'/'.join(DATA_SUFFIXES)} file"
        out.errors.append(f"list {list_name} for {quarter} has not arrived ({folder}: {why})")
        audit.append(audit_row("", None, "missing", out.errors[-1]))
    for path in files or ():
        name = path.relative_to(folder).as_posix()
        try:
            reads.append(read_file(path, list_name, display_name=name))
        except FileFault as fault:
            out.status = "failed"
            out.errors.append(f"{quarter}/{list_name}/{fault}")
            audit.append(audit_row(name, sha256_of(path), "failed", str(fault)))

    frames = [r.frame for r in reads if len(r.frame)]
    frame = pd.concat(frames, ignore_index=True) if frames else None
    verdict = validation.validate(frame, list_name, expectations_dir) if frame is not None else validation.Verdict()

    sha = {r.file: r.sha256 for r in reads}
    staged, rejected, raw, skipped = [], [], [], []
    per_file = {r.file: {"loaded": 0, "rejected": 0} for r in reads}
    raw_cols = [c for c in (frame.columns if frame is not None else ()) if c.endswith("_raw")]
    records = frame.to_dict("records") if frame is not None else []
    for i, rec in enumerate(records):
        lineage = {"file": rec["_file"], "sheet": rec["_sheet"], "row_number": int(rec["_row"])}
        rule = verdict.rule(i)
        cells = {c[:-4]: rec[c] for c in raw_cols if _clean(rec[c]) is not None}
        raw.append({**base, **lineage, "disposition": "rejected" if rule else "loaded", "reason": rule,
                    "cells": json.dumps(cells, ensure_ascii=False), "sha256": sha[rec["_file"]]})
        if rule:
            rejected.append({**base, **lineage, **validation.rejection(frame, i, verdict)})
            per_file[rec["_file"]]["rejected"] += 1
            out.rows_rejected[rule] = out.rows_rejected.get(rule, 0) + 1
        else:
            row = {c: _clean(rec.get(c)) for c in warehouse.STAGING_COLUMNS if c in rec}
            staged.append({**{c: None for c in warehouse.STAGING_COLUMNS}, **row, **lineage, "quarter": quarter,
                           "sha256": sha[rec["_file"]], "run_id": run_id})
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
        n_skip = len(r.skipped)
        audit.append(audit_row(r.file, r.sha256, "loaded", notes, read=r.rows_read, loaded=per_file[r.file]["loaded"],
                               rejected=per_file[r.file]["rejected"], skipped=n_skip))
        out.files.append({"file": r.file, "rows_read": r.rows_read, **per_file[r.file], "skipped": n_skip})
        out.rows_read += r.rows_read
    out.rows_loaded = len(staged)
    out.rows_rejected = {k: out.rows_rejected[k] for k in RULES if k in out.rows_rejected}

    where = {"quarter": quarter, "list": list_name}
    with engine.begin() as conn:
        warehouse.replace_partition(conn, warehouse.staging_table(list_name), {"quarter": quarter}, staged)
        warehouse.replace_partition(conn, "rejected_rows", where, rejected)
        warehouse.replace_partition(conn, "skipped_rows", where, skipped)
        warehouse.replace_partition(conn, "raw_rows", where, raw)
        warehouse.replace_partition(conn, "load_audit", where, audit)

    if report_dir is not None:
        from .reports import write_validation_report

        out.report = str(write_validation_report(Path(report_dir), out, verdict, rejected, run_id))
    return out
