"""What a quarter's inbox holds: every file of every list folder and of the drop folder, archives opened.

``<KP_INBOX>/<quarter>/<list>/…`` holds a list's files (any depth); files put straight into
``<KP_INBOX>/<quarter>/`` form the **drop folder**, whose files are classified to their list by their
content (``ingest.classify``). A zip archive anywhere stands for its members (``ingest.archives``).
Each file or member is an ``Entry`` named as lineage names it:

* a list folder's file: its path under the list folder (``代县调度库.xlsx``, ``sub/x.xlsx``);
* a drop-folder file: ``../`` and its name (``../代县调度库.xlsx``: one level up from the list folder);
* an archive's member: the archive's name, ``!/`` and the member's path (``代县.zip!/代县调度库.xlsx``,
  ``../全部.zip!/签约清单.xlsx``).

The receipt time of a file is its modification time, in China time (UTC+8) to the second; a member's
is its archive's. Which names are tried as list files (``DATA_SUFFIXES``) and which are hidden, lock or
system files (``.x``, ``~$…``, ``.~lock…#``, ``Thumbs.db``, ``.DS_Store``: not files of the inbox) are
``readers.detect``'s, the loader's rule, so an .ods, .et, .txt or .html list counts as arrived.
This module only lists: it reads no sheet, so the arrival check and the inbox
watcher stay cheap (an archive's directory is read, nothing is unpacked).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from keyprojects import LISTS
from keyprojects.ingest import archives
from keyprojects.ingest.readers import detect

CHINA = dt.timezone(dt.timedelta(hours=8), "UTC+8")
# the names tried as lists (the readers pick the format by content; ``detect``); archives are opened
DATA_SUFFIXES = detect.DATA_SUFFIXES
DROP_PREFIX = "../"


def file_stat(path: Path) -> tuple[int, str]:
    """(size, receipt time): the file's modification time as ISO 8601 in China time (UTC+8)."""
    st = path.stat()
    return st.st_size, dt.datetime.fromtimestamp(int(st.st_mtime), CHINA).isoformat()


def is_hidden(name: str) -> bool:
    """Hidden files and folders, office lock files and system files: never files of the inbox
    (``detect.hidden_or_lock``; a drop-folder name's ``../`` is not a hidden part)."""
    parts = [p for p in name.replace("\\", "/").split("/") if p and p != ".."]
    return bool(parts) and detect.hidden_or_lock("/".join(parts))


def is_data(name: str) -> bool:
    return name.lower().endswith(DATA_SUFFIXES)


@dataclass
class Entry:
    """One file of the inbox (or one member of an archive there)."""
    folder: str | None       # the list folder it stands in; None: the drop folder
    file: str                # its lineage name (see the module's docstring)
    path: Path               # the file on disk (for a member: its archive)
    size: int
    mtime: str               # receipt time (China time)
    member: archives.Member | None = field(default=None, repr=False)
    fault: str | None = None  # the archive cannot be read (the message names it)

    @property
    def name(self) -> str:
        """The file's own name (a member's name inside its archive): its suffix says little, the
        readers look at the content."""
        return self.member.name if self.member else self.path.name

    def read(self) -> bytes:
        return self.member.read() if self.member else self.path.read_bytes()

    @property
    def archive(self) -> str | None:
        return archives.split_name(self.file)[0] if self.member or self.fault else None


def _expand(folder: str | None, file: str, path: Path, size: int, mtime: str) -> tuple[list[Entry], list[Entry]]:
    """(data entries, other entries) of one file on disk: a zip stands for its members."""
    if not archives.is_archive(path.name):
        entry = Entry(folder, file, path, size, mtime)
        return ([entry], []) if is_data(path.name) else ([], [entry])
    try:
        data = path.read_bytes()
        members = archives.members(file, data)
    except archives.ArchiveFault as fault:
        return [Entry(folder, file, path, size, mtime, fault=str(fault))], []
    except OSError as exc:
        return [Entry(folder, file, path, size, mtime, fault=f"{file}: cannot be read ({exc.strerror or exc})")], []
    data_entries, others = [], []
    for m in members:
        entry = Entry(folder, archives.member_name(file, m.name), path, m.size, mtime, member=m)
        (data_entries if is_data(m.name) else others).append(entry)
    return data_entries, others


def folder_entries(inbox: Path, quarter: str, folder: str | None) -> tuple[list[Entry], list[Entry]] | None:
    """(data entries, other entries) of a list folder (any depth) or, with ``folder`` None, of the drop
    folder (the files straight in the quarter's folder); None when the folder does not exist. Entries
    are in read order: files by name, members by name within their archive."""
    base = Path(inbox) / quarter
    where = base / folder if folder else base
    if not where.is_dir():
        return None
    paths = where.rglob("*") if folder else where.iterdir()
    data, others = [], []
    for p in sorted((p for p in paths if p.is_file()), key=lambda p: p.relative_to(where).as_posix()):
        rel = p.relative_to(where).as_posix()
        if is_hidden(rel):
            continue
        size, mtime = file_stat(p)
        d, o = _expand(folder, rel if folder else DROP_PREFIX + rel, p, size, mtime)
        data += d
        others += o
    return data, others


def quarter_entries(inbox: Path, quarter: str) -> dict[str | None, list[Entry]]:
    """Every data entry of the quarter: each list folder's (an empty list when it has not arrived) and,
    under None, the drop folder's."""
    out: dict[str | None, list[Entry]] = {}
    for name in (*LISTS, None):
        found = folder_entries(inbox, quarter, name)
        out[name] = found[0] if found else []
    return out


def locate(inbox: Path, quarter: str, list_name: str, file: str) -> Path:
    """The file on disk a lineage name stands for (a member's archive)."""
    outer = archives.split_name(file)[0]
    if outer.startswith(DROP_PREFIX):
        return Path(inbox) / quarter / outer[len(DROP_PREFIX):]
    return Path(inbox) / quarter / list_name / outer
