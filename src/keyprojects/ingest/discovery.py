"""Discover one list of one quarter: which files are its own (its folder's entries, the drop folder's
classified to it), which are ignored (hidden, lock and system files; files whose content is not a table)
and which senders' rows a later file supersedes (``resend_plan``). Step 1 of ``loader.load_list``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from keyprojects.ingest import archives, arrivals, classify, resends
from keyprojects.ingest import inbox as inbox_files
from keyprojects.ingest.inbox import Entry
from keyprojects.ingest.readers import detect

# names tried as a list file (every other file is sniffed too, and read when its content is a table)
DATA_SUFFIXES = detect.DATA_SUFFIXES


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
