"""Which of a quarter's lists and unit libraries have arrived, and whether the run should still wait.

The quarterly run waits for its quarter's lists (issue 9): all six lists, and a reserve (储备库) and
a dispatch (调度库) library from each of the units of ``units.toml``. It stops waiting when they are
all there or at the deadline, ``KP_LIST_DEADLINE_DAYS`` days (default 15) after the quarter's last
day, at midnight China time (UTC+8). The clock is the caller's: ``check(…, now=…)`` never reads the
wall clock, so a past quarter (backfill, ``dags test``) never waits and tests use a fake clock.

How a file's units are known, cheaply: a unit library is read once with the product's own readers
(``readers.read_file``, converting the unit column only) and the distinct canonical units of its
``unit`` column are stored by the file's sha256 and list in ``inbox_file_units``; later checks only
hash the file. A library with no
data rows is credited to the unit its file name names; a file the readers cannot read names no unit
(the load reports its fault). Files are found with the same rule as the
load (``pipeline.list_files``: data suffixes, no hidden files, no ~$ lock files), kept here without
importing the loader so that the check and the inbox watcher stay light.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from keyprojects import LISTS, config, db, quarters

log = logging.getLogger(__name__)

UNIT_LISTS = ("reserve", "dispatch")
CHINA = dt.timezone(dt.timedelta(hours=8), "UTC+8")
DATA_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


@dataclass(frozen=True)
class InboxFile:
    list: str
    file: str          # path relative to <inbox>/<quarter>/<list>/, as load_audit names it
    path: Path
    size: int
    mtime: str         # receipt time: modification time, ISO UTC


def file_stat(path: Path) -> tuple[int, str]:
    """(size, modification time as ISO UTC): the file's receipt time in the inbox."""
    st = path.stat()
    return st.st_size, dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc).isoformat(timespec="seconds")


def list_files(inbox: Path, quarter: str, list_name: str) -> list[InboxFile] | None:
    """The list's data files (as the load reads them), or None when its folder does not exist."""
    folder = Path(inbox) / quarter / list_name
    if not folder.is_dir():
        return None
    out = []
    for p in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        rel = p.relative_to(folder)
        if (not p.is_file() or p.name.startswith("~$") or any(part.startswith(".") for part in rel.parts)
                or p.suffix.lower() not in DATA_SUFFIXES):
            continue
        size, mtime = file_stat(p)
        out.append(InboxFile(list_name, rel.as_posix(), p, size, mtime))
    return out


def quarter_files(inbox: Path, quarter: str) -> dict[str, list[InboxFile]]:
    """Every list's data files of the quarter (an empty list when none has arrived)."""
    return {name: list_files(inbox, quarter, name) or [] for name in LISTS}


def deadline(quarter: str, days: int) -> dt.datetime:
    """When the run stops waiting: midnight (UTC+8) ending the day ``days`` after the quarter's end."""
    last = quarters.quarter_end(quarter) + dt.timedelta(days=days + 1)
    return dt.datetime(last.year, last.month, last.day, tzinfo=CHINA)


def file_units(conn: Connection, f: InboxFile, sha256: str) -> list[str]:
    """The canonical units named in a unit library's ``unit`` column (cached by sha256 and list)."""
    hit = db.fetch(conn, "select units from inbox_file_units where sha256 = :s and list = :l",
                          s=sha256, l=f.list)
    if hit:
        return json.loads(hit[0]["units"])
    from keyprojects.ingest.readers import FileFault, read_file

    known = {u.name for u in config.units()}
    error = None
    try:
        frame = read_file(f.path, f.list, display_name=f.file, fields=("unit",)).frame
        units = sorted({u for u in frame["unit"].dropna() if u in known})
    except FileFault as fault:
        units, error = [], str(fault)
    if not units and error is None:   # a library with no rows: the unit sent it, its name says whose
        units = unit_in_name(f.file)
    db.replace_partition(conn, "inbox_file_units", {"sha256": sha256, "list": f.list}, [
        {"sha256": sha256, "list": f.list, "units": json.dumps(units, ensure_ascii=False), "error": error}])
    return units


def unit_in_name(name: str) -> list[str]:
    """The unit a file name names (its longest matching spelling), for a library with no data rows."""
    key = config.squash(Path(name).stem)
    hits = [(len(k), unit) for k, unit in config.unit_lookup().items() if len(k) >= 2 and k in key]
    return [max(hits)[1]] if hits else []


@dataclass
class Arrivals:
    """What has arrived for a quarter at ``now`` and whether the run should stop waiting."""
    quarter: str
    now: str
    deadline: str
    deadline_passed: bool
    lists_arrived: list[str] = field(default_factory=list)
    lists_missing: list[str] = field(default_factory=list)
    units_missing: dict[str, list[str]] = field(default_factory=dict)   # list -> units not reported
    files: list[dict] = field(default_factory=list)   # list, file, sha256, size, mtime, units

    @property
    def complete(self) -> bool:
        return not self.lists_missing and not any(self.units_missing.values())

    @property
    def done(self) -> bool:
        return self.complete or self.deadline_passed

    @property
    def nothing_arrived(self) -> bool:
        return not self.lists_arrived

    def as_dict(self) -> dict:
        return {"quarter": self.quarter, "now": self.now, "deadline": self.deadline,
                "deadline_passed": self.deadline_passed, "complete": self.complete, "done": self.done,
                "lists_arrived": self.lists_arrived, "lists_missing": self.lists_missing,
                "units_missing": self.units_missing, "files": self.files}

    def summary(self) -> str:
        units = {k: v for k, v in self.units_missing.items() if v}
        return (f"{self.quarter}: lists arrived {self.lists_arrived or 'none'}, missing "
                f"{self.lists_missing or 'none'}, units not reported {units or 'none'}; deadline "
                f"{self.deadline} ({'passed' if self.deadline_passed else 'not reached'})")


def check(engine: Engine, inbox: Path, quarter: str, now: dt.datetime, deadline_days: int) -> Arrivals:
    """Look at the quarter's inbox at ``now`` (an aware datetime: the caller's clock)."""
    from keyprojects.ingest.readers import sha256_of

    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    quarters.parse_quarter(quarter)
    due = deadline(quarter, deadline_days)
    out = Arrivals(quarter=quarter, now=now.isoformat(timespec="seconds"),
                   deadline=due.isoformat(timespec="seconds"), deadline_passed=now >= due)
    everyone = [u.name for u in config.units()]
    found = quarter_files(inbox, quarter)
    with engine.begin() as conn:
        for name in LISTS:
            files = found[name]
            (out.lists_arrived if files else out.lists_missing).append(name)
            seen: set[str] = set()
            for f in files:
                sha = sha256_of(f.path)
                units = file_units(conn, f, sha) if name in UNIT_LISTS else None
                seen.update(units or ())
                out.files.append({"list": name, "file": f.file, "sha256": sha, "size": f.size,
                                  "mtime": f.mtime, "units": units})
            if name in UNIT_LISTS:
                out.units_missing[name] = [u for u in everyone if u not in seen]
    return out


def record(conn: Connection, arrivals: Arrivals, run_id: str | None) -> int:
    """Replace the quarter's ``inbox_arrivals`` rows: each list, and each unit of the libraries,
    arrived or missing, with file counts and receipt times."""
    rows = []
    by_list: dict[str, list[dict]] = {}
    for f in arrivals.files:
        by_list.setdefault(f["list"], []).append(f)
    base = {"quarter": arrivals.quarter, "deadline": arrivals.deadline, "run_id": run_id}
    for name in LISTS:
        files = by_list.get(name, [])
        times = sorted(f["mtime"] for f in files)
        rows.append({**base, "list": name, "unit": None, "status": "arrived" if files else "missing",
                     "files": len(files), "first_received": times[0] if times else None,
                     "last_received": times[-1] if times else None})
        if name in UNIT_LISTS:
            for u in config.units():
                mine = sorted(f["mtime"] for f in files if u.name in (f["units"] or ()))
                rows.append({**base, "list": name, "unit": u.name,
                             "status": "arrived" if mine else "missing", "files": len(mine),
                             "first_received": mine[0] if mine else None,
                             "last_received": mine[-1] if mine else None})
    return db.replace_partition(conn, "inbox_arrivals", {"quarter": arrivals.quarter}, rows)
