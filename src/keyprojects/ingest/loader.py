"""Read -> validate -> load for one list of one quarter (the unit of work of the quarterly DAG).

The steps, one function each: ``discover`` (``ingest.discovery``) -> ``read_list`` / ``read_parts``
(``ingest.reading``) -> ``validate_list`` -> ``partition_rows`` (pure: which row goes where) ->
``write_partition`` -> the caller's ``report``; ``load_list`` chains them. This module: validating,
partitioning and writing the rows, and the chain.

Nothing is lost: every row read is loaded (``stg_<list>``), rejected (``rejected_rows``) or skipped
(``skipped_rows``), and all of them are kept in ``raw_rows``; every file is in ``load_audit``.
The (quarter, list) partition of each table is replaced in one transaction.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from json.encoder import encode_basestring as _encode
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from keyprojects import LISTS, RULES, db
from keyprojects.ingest import arrivals, staging, validation
from keyprojects.ingest.discovery import discover, resend_plan
from keyprojects.ingest.reading import PART_ROWS, ListRead, read_parts
from keyprojects.ingest.staging import COLUMNS as STAGING_COLUMNS

if TYPE_CHECKING:
    import pandas as pd


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
    ignored: list[dict] = field(default_factory=list)   # file, format, reason_zh, reason_en, quiet
    report: str | None = None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}



@dataclass
class Partition:
    """The rows of one (quarter, list) partition of each table the load replaces."""
    staged: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    raw: list[dict] = field(default_factory=list)
    audit: list[dict] = field(default_factory=list)


def validate_list(read: ListRead, list_name: str, expectations_dir: Path,
                  seen: validation.Seen | None = None
                  ) -> tuple[pd.DataFrame | None, validation.Verdict]:
    """Step 3: the rows of all files read, in read order, and the verdict of the list's suite on them
    (``seen``: the projects of the list's earlier parts, see ``validation.validate``)."""
    frames = [r.frame for r in read.reads if len(r.frame)]
    if not frames:
        return None, validation.Verdict()
    import pandas as pd

    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return frame, validation.validate(frame, list_name, expectations_dir, seen=seen)


def partition_rows(quarter: str, list_name: str, read: ListRead, frame: pd.DataFrame | None,
                   verdict: validation.Verdict, *, run_id: str | None = None, loaded_at: str | None = None,
                   part: Partition | None = None) -> tuple[ListLoad, Partition]:
    """Step 4 (pure): every row read goes to exactly one of staged / rejected / skipped, and all of them to
    raw; every file (and a missing list) gets its audit row. Returns the load's summary and the rows
    (appended to ``part``'s lists when given: ``load_list`` passes lists that write as they fill)."""
    out = ListLoad(quarter=quarter, list=list_name, status="loaded")
    part = Partition() if part is None else part
    base = {"quarter": quarter, "list": list_name, "run_id": run_id}

    def audit_row(file: str, sha256: str | None, status: str, message: str | None, *, read: int = 0,
                  loaded: int = 0, rejected: int = 0, skipped: int = 0, fmt: str | None = None) -> dict:
        return {**base, "file": file, "sha256": sha256, "status": status, "format": fmt, "rows_read": read,
                "rows_loaded": loaded, "rows_rejected": rejected, "rows_skipped": skipped, "message": message,
                "loaded_at": loaded_at}

    for ig in read.ignored:
        if not ig.quiet:
            out.warnings.append(f"{ig.file}: not read (ignored): {ig.reason}")
        out.ignored.append({"file": ig.file, "format": ig.format, "reason_zh": ig.reason_zh,
                            "reason_en": ig.reason_en, "quiet": ig.quiet})
        part.audit.append(audit_row(ig.file, ig.sha256, "ignored", ig.reason, fmt=ig.format))
    if read.first and not read.reads and not read.failed:
        out.status = "missing"
        shown = [ig for ig in read.ignored if not ig.quiet]
        if read.files_found is None:
            why = "folder not found"
        elif shown:
            why = "only files that are not lists: " + "; ".join(f"{ig.file} ({ig.reason_en})" for ig in shown)
        else:
            why = "folder holds no list file"
        out.errors.append(f"list {list_name} for {quarter} has not arrived ({read.folder}: {why})")
        part.audit.append(audit_row("", None, "missing", out.errors[-1]))
    for name, sha, fault, fmt in read.failed:
        out.status = "failed"
        out.errors.append(f"{quarter}/{list_name}/{fault}")
        part.audit.append(audit_row(name, sha, "failed", fault, fmt=fmt))

    sha = {r.file: r.sha256 for r in read.reads}
    per_file = {r.file: {"loaded": 0, "rejected": 0} for r in read.reads}
    columns = list(frame.columns) if frame is not None else []
    raw_cols = [c for c in columns if c.endswith("_raw")]
    staged_cols = set(STAGING_COLUMNS) & set(columns)
    # column by column into plain Python values, then row by row: no per-row dict of 50 keys
    values = {c: plain_values(frame[c]) for c in {*raw_cols, *staged_cols}}
    files = frame["_file"].tolist() if columns else []
    n = len(files)
    rownums = [int(r) for r in frame["_row"].tolist()] if columns else []
    rules = [verdict.rule(i) for i in range(n)]
    cells = cells_texts([c[:-4] for c in raw_cols], [values[c] for c in raw_cols], n)
    # the staging columns in table order: the frame's values, the lineage and the load's constants
    lineage = {"quarter": repeat(quarter), "file": files, "sheet": frame["_sheet"].tolist() if columns else [],
               "row_number": rownums, "sha256": [sha[f] for f in files], "run_id": repeat(run_id)}
    staged_rows = zip(*(lineage[c] if c in lineage else values[c] if c in values else repeat(None)
                        for c in STAGING_COLUMNS), strict=False)  # repeat(): as long as the lists
    # the rejected rows' records read the columns' arrays (DataFrame.iat costs ~5 µs a cell)
    arrays = {c: frame[c].to_numpy() for c in columns} if verdict.faults else None
    for i, (rule, cells_text, staged) in enumerate(zip(rules, cells, staged_rows, strict=True)):
        file, sheet, row_number = staged[1], staged[2], staged[3]
        part.raw.append({"quarter": quarter, "list": list_name, "run_id": run_id, "file": file, "sheet": sheet,
                         "row_number": row_number, "disposition": "rejected" if rule else "loaded",
                         "reason": rule, "cells": cells_text, "sha256": staged[4]})
        if rule:
            part.rejected.append({**base, "file": file, "sheet": sheet, "row_number": row_number,
                                  **validation.rejection(frame, i, verdict, arrays)})
            per_file[file]["rejected"] += 1
            out.rows_rejected[rule] = out.rows_rejected.get(rule, 0) + 1
        else:
            part.staged.append(dict(zip(STAGING_COLUMNS, staged, strict=True)))
            per_file[file]["loaded"] += 1
    for r in read.reads:
        for s in r.skipped:
            part.skipped.append({**base, "file": s.file, "sheet": s.sheet, "row_number": s.row_number,
                                 "reason": s.reason, "text": s.text})
            part.raw.append({**base, "file": s.file, "sheet": s.sheet, "row_number": s.row_number,
                             "disposition": "skipped", "reason": s.reason,
                             "cells": json.dumps({"text": s.text}, ensure_ascii=False), "sha256": r.sha256})
            out.rows_skipped[s.reason] = out.rows_skipped.get(s.reason, 0) + 1
        notes = "; ".join(f"sheet {k} ignored: {v}" for k, v in r.ignored_sheets.items()) or None
        n_skip = len(r.skipped)
        status = "loaded"
        if r.file in read.superseded:   # a resend replaced this file's rows (all of them, or some senders')
            why, whole = read.superseded[r.file]
            status = "superseded" if whole else status
            notes = "; ".join(x for x in (why, notes) if x)
        part.audit.append(audit_row(r.file, r.sha256, status, notes, read=r.rows_read,
                                    loaded=per_file[r.file]["loaded"], rejected=per_file[r.file]["rejected"],
                                    skipped=n_skip, fmt=r.format))
        out.files.append({"file": r.file, "format": r.format, "rows_read": r.rows_read, **per_file[r.file],
                          "skipped": n_skip})
        out.rows_read += r.rows_read
    out.rows_loaded = sum(n["loaded"] for n in per_file.values())
    out.rows_rejected = {k: out.rows_rejected[k] for k in RULES if k in out.rows_rejected}
    return out, part


def write_partition(engine: Engine, quarter: str, list_name: str, part: Partition) -> None:
    """Step 5: replace the (quarter, list) partition of every table in one transaction."""
    where = {"quarter": quarter, "list": list_name}
    with engine.begin() as conn:
        db.replace_partition(conn, staging.table(list_name), {"quarter": quarter}, part.staged)
        db.replace_partition(conn, "rejected_rows", where, part.rejected)
        db.replace_partition(conn, "skipped_rows", where, part.skipped)
        db.replace_partition(conn, "raw_rows", where, part.raw)
        db.replace_partition(conn, "load_audit", where, part.audit)


def clean_cell(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


_NONE = type(None)


def plain_values(col: pd.Series) -> list:
    """A frame column as plain Python values (``clean_cell``: NaN is None, numpy scalars are Python's)."""
    import numpy as np

    vals = col.tolist()
    if col.dtype == "float64":  # Python floats already: only the NaNs change
        for j in np.flatnonzero(np.isnan(col.to_numpy())).tolist():
            vals[j] = None
        return vals
    if col.dtype == object and set(map(type, vals)) <= {str, _NONE}:
        return vals
    return [v if v is None or v.__class__ is str else clean_cell(v) for v in vals]


def cells_texts(names: list[str], cols: list[list], n: int, chunk: int = 256) -> Iterator[str]:
    """The ``raw_rows.cells`` text of each of ``n`` rows: ``json.dumps`` of its non-null raw cells
    ({field: text}, ``ensure_ascii=False``), byte for byte. Built column by column a chunk of rows at a
    time, each distinct text of a column encoded once; a column holding anything but text and None
    (never from the readers) makes it row by row with ``json.dumps``."""
    used = [(_encode(name) + ": ", col) for name, col in zip(names, cols, strict=True) if col.count(None) != n]
    if not all(set(map(type, col)) <= {str, _NONE} for _, col in used):
        for row in zip(*cols, strict=True) if cols else ((),) * n:
            yield json.dumps({k: v for k, v in zip(names, row, strict=True) if v is not None}, ensure_ascii=False)
        return
    if not used:
        yield from repeat("{}", n)
        return
    for a in range(0, n, chunk):
        pieces = []
        for key, col in used:
            values = col[a:a + chunk]
            piece = {v: key + _encode(v) for v in dict.fromkeys(values) if v is not None}
            piece[None] = None
            pieces.append(map(piece.__getitem__, values))
        for row in zip(*pieces, strict=True):
            yield "{" + ", ".join(filter(None, row)) + "}"


def load_list(engine: Engine, inbox: Path, quarter: str, list_name: str, *, expectations_dir: Path,
              run_id: str | None = None, loaded_at: str | None = None, report: Callable | None = None,
              part_rows: int | None = PART_ROWS) -> ListLoad:
    """Read every file of the list, validate the rows and replace the (quarter, list) partition:
    discover -> read -> validate -> partition rows -> write -> report.

    The list goes through those steps a part at a time (files in read order, ``part_rows`` data rows or
    more per part; see ``read_parts``), all parts inside one transaction that first deletes the
    partition: memory holds one part, never the whole list, and the warehouse sees all or nothing."""
    if list_name not in LISTS:
        raise ValueError(f"unknown list {list_name!r}")
    arrival = discover(inbox, quarter, list_name)
    plan = resend_plan(engine, arrival, list_name)
    out: ListLoad | None = None
    verdict = validation.Verdict()       # the parts' GX results, for the report
    rejected: list[dict] = []            # for the report
    seen = validation.Seen()
    where = {"quarter": quarter, "list": list_name}
    tables = {"staged": staging.table(list_name), "rejected": "rejected_rows",
              "skipped": "skipped_rows", "raw": "raw_rows", "audit": "load_audit"}
    with engine.begin() as conn:
        # one writer of a (quarter, list) at a time: a second load waits here holding no lock, so
        # the partition locks below are never taken in two orders at once (PostgreSQL)
        db.lock_partition(conn, "load_list", where)
        for key, table in tables.items():
            db.replace_partition(conn, table, {"quarter": quarter} if key == "staged" else where, [])
        sink = Partition(**{key: _Writing(conn, table) for key, table in tables.items()})
        sink.rejected.keep = rejected
        for read in read_parts(arrival, list_name, part_rows, plan=plan):
            frame, part_verdict = validate_list(read, list_name, expectations_dir, seen=seen)
            load, _ = partition_rows(quarter, list_name, read, frame, part_verdict, run_id=run_id,
                                     loaded_at=loaded_at, part=sink)
            for sha, (senders, rows) in read.senders.items():   # what unit_submissions reads
                arrivals.remember_senders(conn, sha, list_name, senders, rows)
            del frame, read  # before the next part is read
            out = load if out is None else _merge(out, load)
            verdict.results += part_verdict.results
        for rows in vars(sink).values():
            rows.flush()
    if report is not None:  # step 6: the list's report, written by the caller's writer (a document)
        out.report = str(report(out, verdict, rejected, run_id))
    return out


class _Writing(list):
    """Rows bound for one table, inserted (in the caller's transaction) every ``every`` rows: a part's
    rows are never all in memory at once. ``keep``, if set, also keeps every row (the report's)."""

    def __init__(self, conn, table: str, every: int = 2000):
        super().__init__()
        self.conn, self.table, self.every, self.keep = conn, table, every, None

    def append(self, row: dict) -> None:
        super().append(row)
        if self.keep is not None:
            self.keep.append(row)
        if len(self) >= self.every:
            self.flush()

    def flush(self) -> None:
        db.insert_rows(self.conn, self.table, self)
        self.clear()


def _merge(a: ListLoad, b: ListLoad) -> ListLoad:
    """The summary of two parts of one list's load (``b`` read after ``a``)."""
    if b.status == "failed":
        a.status = "failed"
    a.files += b.files
    a.rows_read += b.rows_read
    a.rows_loaded += b.rows_loaded
    for k, v in b.rows_skipped.items():
        a.rows_skipped[k] = a.rows_skipped.get(k, 0) + v
    rejected = {k: a.rows_rejected.get(k, 0) + b.rows_rejected.get(k, 0) for k in RULES}
    a.rows_rejected = {k: v for k, v in rejected.items() if v}
    a.errors += b.errors
    a.warnings += b.warnings
    a.ignored += b.ignored
    return a
