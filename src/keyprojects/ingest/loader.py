"""Read -> validate -> load for one list of one quarter (the unit of work of the quarterly DAG).

The steps, one function each: ``discover`` -> ``read_list`` -> ``validate_list`` -> ``partition_rows``
(pure: which row goes where) -> ``write_partition`` -> the caller's ``report``; ``load_list`` chains them.

Nothing is lost: every row read is loaded (``stg_<list>``), rejected (``rejected_rows``) or skipped
(``skipped_rows``), and all of them are kept in ``raw_rows``; every file is in ``load_audit``.
The (quarter, list) partition of each table is replaced in one transaction.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from keyprojects import LISTS, RULES, config, db
from keyprojects.ingest import archives, arrivals, classify, resends, staging, validation
from keyprojects.ingest import inbox as inbox_files
from keyprojects.ingest.inbox import Entry
from keyprojects.ingest.readers import FileFault, FileRead, SkippedRow, detect, read_file
from keyprojects.ingest.staging import COLUMNS as STAGING_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

# names tried as a list file (every other file is sniffed too, and read when its content is a table)
DATA_SUFFIXES = detect.DATA_SUFFIXES
# a list is read, validated and written this many data rows at a time (whole files; see read_parts):
# memory holds one part, and each part pays GX's fixed cost of a validation (~0.5 s) once
PART_ROWS = 50_000


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


def list_files(inbox: Path, quarter: str, list_name: str) -> tuple[list[Entry], list[Entry]] | None:
    """The list folder's data entries in read order (named as a spreadsheet, text or web page:
    ``DATA_SUFFIXES``) and the other files found beside them (read too when their content is a table,
    else ignored and reported), or None when its folder has not arrived (``ingest.inbox``: archives
    stand for their members; hidden files, office lock files (~$…, .~lock…#) and Thumbs.db / .DS_Store
    are not files of the list: ``hidden_files``)."""
    return inbox_files.folder_entries(inbox, quarter, list_name)


def hidden_files(folder: Path) -> list[Path]:
    """The hidden, lock and system files of a list folder: in load_audit as ignored, never alerted."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.rglob("*")
                   if p.is_file() and detect.hidden_or_lock(p.relative_to(folder).as_posix())),
                  key=lambda p: p.relative_to(folder).as_posix())


@dataclass
class Arrival:
    """What the discover step found for a list: its folder, its data entries (None when neither its
    folder nor a drop-folder file of it has arrived), the other files beside them and the drop-folder
    files that could be this list but cannot be told (with the classifier's verdict)."""
    folder: Path
    files: list[Entry] | None
    others: list[Entry]
    undecided: list[tuple[Entry, classify.Verdict]] = field(default_factory=list)
    hidden: list[Path] = field(default_factory=list)


@dataclass
class ListRead:
    """What the read step gave: the files read, the files that failed as a whole (name, sha256, fault,
    format) and the files ignored (``Ignored``). ``files_found`` is None when the folder has not
    arrived, else the number of data files."""
    folder: str
    files_found: int | None
    reads: list[FileRead] = field(default_factory=list)
    failed: list[tuple[str, str | None, str, str | None]] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    superseded: dict[str, tuple[str, bool]] = field(default_factory=dict)  # file -> (message, whole file)
    first: bool = True      # the first part of a list read in parts (read_parts)
    senders: dict[str, tuple[list[str], int]] = field(default_factory=dict)  # sha256 -> (senders, data rows)


@dataclass
class Ignored:
    """A file of a list folder that is not read: its content is not a table (``quiet``: a hidden, lock
    or system file, not the sender's, never alerted)."""
    file: str
    sha256: str | None
    format: str | None
    reason_zh: str
    reason_en: str
    quiet: bool = False

    @property
    def reason(self) -> str:
        return f"{self.reason_zh} / {self.reason_en}"


@dataclass
class Partition:
    """The rows of one (quarter, list) partition of each table the load replaces."""
    staged: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    raw: list[dict] = field(default_factory=list)
    audit: list[dict] = field(default_factory=list)


def discover(inbox: Path, quarter: str, list_name: str) -> Arrival:
    """Step 1: the list folder's entries (and its hidden, lock and system files, see ``hidden_files``),
    then the drop folder's classified to this list (``classify``); a drop-folder file that cannot be
    told and could be this list is kept to fail by name, unless its content is not a table at all (a
    letter, a PDF: no list's file), which is reported as ignored by the load of the list its name
    names, else of reserve (``classify.drop_owner``)."""
    found = list_files(inbox, quarter, list_name)
    files, others = found if found is not None else (None, [])
    drop = inbox_files.folder_entries(inbox, quarter, None)
    undecided = []
    if drop and (drop[0] or drop[1]):
        stray = [_not_a_table(e) for e in drop[1]]   # a letter, a PDF, a photo … beside the lists
        strays = [e for e, s in zip(drop[1], stray, strict=True) if s]
        tables = [e for e, s in zip(drop[1], stray, strict=True) if not s]
        by_list, undecided_all = classify.assign_drop(drop[0] + tables)
        mine = by_list.get(list_name, [])
        undecided = [(e, v) for e, v in undecided_all if list_name in v.candidates and not _not_a_table(e)]
        strays += [e for e, _v in undecided_all if _not_a_table(e)]
        if mine or undecided:
            files = (files or []) + mine
        # nothing silently ignored: each such file is reported (ignored, with its reason) by one list's load
        others = others + [e for e in strays if classify.drop_owner(e.name) == list_name]
    folder = Path(inbox) / quarter / list_name
    return Arrival(folder=folder, files=files, others=others, undecided=undecided, hidden=hidden_files(folder))


def _not_a_table(entry: Entry) -> bool:
    """A readable entry whose content is not a table and whose name does not say spreadsheet."""
    if entry.fault or entry.name.lower().endswith(detect.SPREADSHEET_SUFFIXES):
        return False
    try:
        return not detect.detect(entry.read(), entry.name).tabular
    except (OSError, archives.ArchiveFault):
        return False


def read_list(arrival: Arrival, list_name: str, plan: resends.Plan | None = None) -> ListRead:
    """Step 2: read every data file; a whole-file fault is kept with the file's name and checksum."""
    parts = list(read_parts(arrival, list_name, part_rows=None, plan=plan))
    out = parts[0]
    for part in parts[1:]:
        out.reads += part.reads
        out.failed += part.failed
        out.ignored += part.ignored
        out.superseded.update(part.superseded)
        out.senders.update(part.senders)
    return out


def _sha(data: bytes | None) -> str | None:
    import hashlib

    return hashlib.sha256(data).hexdigest() if data is not None else None


def _read_entry(entry: Entry, list_name: str) -> tuple[bytes | None, FileRead | Ignored | tuple[str, str | None]]:
    """(the entry's bytes, its read, an ``Ignored`` when its content is not a table and its name does not
    say spreadsheet, or its fault as (message, format)). The reader is picked by the entry's bytes
    (``detect``), whether a file on disk or an archive's member. A file in the wrong list folder is named
    with the list it looks like."""
    if entry.fault:
        try:
            data = entry.path.read_bytes()
        except OSError:
            data = None
        return data, (entry.fault, "zip" if archives.is_archive(entry.path.name) else None)
    try:
        data = entry.read()
    except archives.ArchiveFault as fault:
        return None, (str(fault), None)
    except OSError as exc:
        return None, (f"{entry.file}: cannot be read ({exc.strerror or exc})", None)
    try:
        return data, read_file(Path(entry.name), list_name, display_name=entry.file, data=data)
    except FileFault as fault:
        if fault.not_a_table and not entry.name.lower().endswith(detect.SPREADSHEET_SUFFIXES):
            return data, Ignored(entry.file, _sha(data), fault.format, fault.reason_zh, fault.reason_en)
        message = str(fault)
        if entry.folder == list_name and fault.format in detect.TABULAR:
            other = classify.looks_like(data, entry.name, list_name)
            if other:
                titles = config.list_specs()
                message += (f" — the file looks like the {other} list ({titles[other].title}), not "
                            f"{list_name} ({titles[list_name].title}): move it to <quarter>/{other}/")
        return data, (message, fault.format)


def _supersede(read: FileRead, list_name: str, replaced: dict[str, str]) -> int:
    """Turn the read's rows of the senders in ``replaced`` into rows skipped as ``superseded``; returns
    how many. (A file's sheets are changed in place, before its frame is first used.)"""
    n = 0
    bureau = config.list_specs()[list_name].source
    for sheet in read.sheets:
        frame = sheet.frame
        if not len(frame):
            continue
        if list_name in ("reserve", "dispatch"):
            senders = frame["unit"].tolist()
        else:
            senders = [bureau] * len(frame)
        drop = [isinstance(s, str) and s in replaced for s in senders]
        if not any(drop):
            continue
        raw_cols = [c for c in frame.columns if c.endswith("_raw")]
        for i, gone in enumerate(drop):
            if not gone:
                continue
            cells = [str(v) for v in frame.iloc[i][raw_cols].tolist() if v is not None and v == v and str(v).strip()]
            text = f"superseded by {replaced[senders[i]]}: " + " | ".join(cells)
            sheet.skipped.append(SkippedRow(read.file, sheet.sheet, int(frame["_row"].iloc[i]), "superseded",
                                            text[:200]))
            n += 1
        sheet.frame = frame[[not g for g in drop]].reset_index(drop=True)
    read.__dict__.pop("frame", None)   # the cached whole-file frame, if any
    return n


def read_parts(arrival: Arrival, list_name: str, part_rows: int | None = PART_ROWS,
               plan: resends.Plan | None = None) -> Iterator[ListRead]:
    """Step 2, a part at a time: the files in read order, grouped into parts of at least ``part_rows``
    data rows (the last may hold fewer; None: one part). The first part carries the files that are not
    lists, the drop-folder files that cannot be told and ``files_found``; a whole-file fault is kept with
    the file's name and checksum. With a resend ``plan``, rows of superseded senders are skipped
    (``superseded``) and a file of a resend fault is not read."""
    plan = plan or resends.Plan()

    def new_part(first: bool) -> ListRead:
        part = ListRead(folder=str(arrival.folder),
                        files_found=None if arrival.files is None else len(arrival.files), first=first)
        if first:
            part.ignored = [Ignored(p.relative_to(arrival.folder).as_posix(), _file_sha(p), None,
                                    "隐藏文件、锁文件或系统文件，不是报送文件",
                                    "a hidden, office lock or system file, not a sender's file", quiet=True)
                            for p in arrival.hidden]
            for e, verdict in arrival.undecided:
                part.failed.append((e.file, _file_sha(e.path) if not e.member else None,
                                    e.fault or f"{e.file}: {verdict.fault()}", None))
        return part

    part, rows = new_part(True), 0
    for entry in [*(arrival.files or ()), *arrival.others]:
        if entry.file in plan.faults:
            part.failed.append((entry.file, None, f"{entry.file}: {plan.faults[entry.file]}", None))
            continue
        data, read = _read_entry(entry, list_name)
        if isinstance(read, Ignored):
            part.ignored.append(read)
            continue
        if isinstance(read, tuple):
            part.failed.append((entry.file, _sha(data), *read))
            continue
        # who sent the file (arrivals.senders_of: the one definition of received), before a resend
        # supersedes any of its rows
        frame = read.frame
        part.senders[read.sha256] = (arrivals.senders_of(
            list_name, frame["unit"].tolist() if "unit" in frame.columns else [None] * len(frame)), len(frame))
        replaced = plan.replaced(entry.file)
        if replaced and _supersede(read, list_name, replaced):
            part.superseded[entry.file] = (resends.message(replaced), not len(read.frame))
        part.reads.append(read)
        rows += len(read.frame)
        if part_rows is not None and rows >= part_rows:
            yield part
            part, rows = new_part(False), 0
    if part.reads or part.failed or part.ignored or not arrival.files:
        yield part


def _file_sha(path: Path) -> str | None:
    from keyprojects.ingest.readers import sha256_of

    try:
        return sha256_of(path)
    except OSError:
        return None


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
    raw_names = [c[:-4] for c in raw_cols]
    staged_cols = [c for c in STAGING_COLUMNS if c in columns]
    # column by column into plain Python values (tolist), then row by row: no per-row dict of 50 keys
    values = {c: [v if v is None or v.__class__ is str else clean_cell(v) for v in frame[c].tolist()]
              for c in {*raw_cols, *staged_cols}} if columns else {}
    files = frame["_file"].tolist() if columns else []
    sheets = frame["_sheet"].tolist() if columns else []
    rownums = frame["_row"].tolist() if columns else []
    raw_rows = zip(*(values[c] for c in raw_cols), strict=True) if raw_cols else ((),) * len(files)
    staged_rows = zip(*(values[c] for c in staged_cols), strict=True) if staged_cols else ((),) * len(files)
    blank = dict.fromkeys(STAGING_COLUMNS)
    for i, (file, raw_vals, staged_vals) in enumerate(zip(files, raw_rows, staged_rows, strict=True)):
        lineage = {"file": file, "sheet": sheets[i], "row_number": int(rownums[i])}
        rule = verdict.rule(i)
        cells = {n: v for n, v in zip(raw_names, raw_vals, strict=True) if v is not None}
        part.raw.append({**base, **lineage, "disposition": "rejected" if rule else "loaded", "reason": rule,
                         "cells": json.dumps(cells, ensure_ascii=False), "sha256": sha[file]})
        if rule:
            part.rejected.append({**base, **lineage, **validation.rejection(frame, i, verdict)})
            per_file[file]["rejected"] += 1
            out.rows_rejected[rule] = out.rows_rejected.get(rule, 0) + 1
        else:
            staged = dict(zip(staged_cols, staged_vals, strict=True))
            part.staged.append({**blank, **staged, **lineage, "quarter": quarter, "sha256": sha[file],
                                "run_id": run_id})
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


def resend_plan(engine: Engine, arrival: Arrival, list_name: str) -> resends.Plan:
    """Which senders' rows of which files a later file supersedes (``ingest.resends``). The senders of a
    file are ``arrivals.file_senders`` (the one definition of received, cached by sha256); they are
    only looked up when the files were received at more than one time or one is named a correction."""
    entries = [e for e in arrival.files or () if not e.fault]
    times = {resends.submission_time(e.mtime) for e in entries}
    if len(entries) < 2 or (len(times) < 2 and not any(resends.CORRECTION.search(e.file) for e in entries)):
        return resends.Plan()
    files = []
    with engine.begin() as conn:
        for e in entries:
            f = arrivals.InboxFile(list_name, e.file, e.path, e.size, e.mtime, e)
            try:
                senders = arrivals.file_senders(conn, f, arrivals.entry_sha256(f))
            except (OSError, archives.ArchiveFault):
                senders = []
            files.append((e.file, e.mtime, senders))
    return resends.plan(files)


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
