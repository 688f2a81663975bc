"""Read one list's discovered files, a part at a time (``read_parts``) or whole (``read_list``): each
file read by its content, a whole-file fault kept with its name and checksum, a file that is not a table
ignored, and the rows of senders a resend supersedes skipped. Step 2 of ``loader.load_list``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from keyprojects import config
from keyprojects.ingest import archives, arrivals, classify, resends
from keyprojects.ingest.discovery import Arrival
from keyprojects.ingest.inbox import Entry
from keyprojects.ingest.readers import FileFault, FileRead, SkippedRow, detect, read_file

# a list is read, validated and written this many data rows at a time (whole files; see read_parts):
# memory holds one part, and each part pays GX's fixed cost of a validation (~0.5 s) once
PART_ROWS = 50_000


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
