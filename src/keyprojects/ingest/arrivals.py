"""Which of a quarter's lists and unit libraries have arrived, and whether the run should still wait.

The quarterly run waits for its quarter's lists (issue 9): all six lists, and a reserve (储备库) and
a dispatch (调度库) library from each of the units of ``units.toml``. It stops waiting when they are
all there or at the deadline, ``KP_LIST_DEADLINE_DAYS`` days (default 15) after the quarter's last
day, at midnight China time (UTC+8). The clock is the caller's: ``check(…, now=…)`` never reads the
wall clock, so a past quarter (backfill, ``dags test``) never waits and tests use a fake clock.

**Received** has one definition, ``file_senders`` (issue 16 §5): a file is received from the senders
of its data rows — for a unit library, the units its data rows name (rows read under the header, not
skipped: loaded or rejected); for a bureau's list, the bureau when it has a data row. A library with no
data row (an empty template, a header with 合计 0, notes only) is received from no one. The sensor,
``inbox_arrivals`` (``cli status``, the late alerts), the resend rule of the load and the warehouse's
``file_senders`` (read by ``unit_submissions``, hence the bulletin and the ranking) all take it from
there. A file is read once with the product's own readers (``readers.read_file``, converting the unit
column only); what it holds is stored by sha256 and list in ``inbox_file_units``.

Files are the inbox's entries (``ingest.inbox``: list folders, the drop folder classified by content,
archive members); receipt times are China time (UTC+8), and a list or library received after the
deadline is 逾期报送.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from keyprojects import LISTS, config, db, quarters
from keyprojects.ingest import inbox as inbox_files
from keyprojects.ingest.inbox import CHINA, DATA_SUFFIXES, Entry, file_stat

log = logging.getLogger(__name__)

UNIT_LISTS = ("reserve", "dispatch")
__all__ = ["CHINA", "DATA_SUFFIXES", "Entry", "file_stat", "UNIT_LISTS", "InboxFile"]


@dataclass(frozen=True)
class InboxFile:
    list: str
    file: str          # lineage name (ingest.inbox), as load_audit names it
    path: Path         # the file on disk (an archive for a member)
    size: int
    mtime: str         # receipt time, ISO in China time
    entry: Entry | None = field(default=None, compare=False, repr=False)


def list_files(inbox: Path, quarter: str, list_name: str) -> list[InboxFile] | None:
    """The list's data files as the load reads them (its folder's, the drop folder's classified to it,
    archive members), or None when neither its folder nor a drop-folder file of it exists."""
    return quarter_files(inbox, quarter, only=list_name).get(list_name)


def quarter_files(inbox: Path, quarter: str, only: str | None = None) -> dict[str, list[InboxFile]]:
    """Every list's data files of the quarter (an empty list when none has arrived). A drop-folder file
    that cannot be told is counted for none (the load names it with its candidates)."""
    from keyprojects.ingest import classify

    found = inbox_files.quarter_entries(inbox, quarter)
    by_list, _undecided = classify.assign_drop(found[None])
    out = {}
    for name in LISTS if only is None else (only,):
        entries = [e for e in found[name] if e.fault is None] + by_list.get(name, [])
        out[name] = [InboxFile(name, e.file, e.path, e.size, e.mtime, e) for e in entries]
    return out


def deadline(quarter: str, days: int) -> dt.datetime:
    """When the run stops waiting: midnight (UTC+8) ending the day ``days`` after the quarter's end."""
    last = quarters.quarter_end(quarter) + dt.timedelta(days=days + 1)
    return dt.datetime(last.year, last.month, last.day, tzinfo=CHINA)


def senders_of(list_name: str, units) -> list[str]:
    """The one definition of received, on a file's data rows: ``units`` is the unit column of its
    data rows as read (rows under the header, not skipped; units resolved, None when a cell names none).
    A unit library is received from the known units its rows name; a bureau's list from its bureau
    when it has a data row; a file with no data row from no one."""
    units = list(units)
    if list_name in UNIT_LISTS:
        known = {u.name for u in config.units()}
        return sorted({u for u in units if isinstance(u, str) and u in known})
    return [config.list_specs()[list_name].source] if units else []


def remember_senders(conn: Connection, sha256: str, list_name: str, senders: list[str], data_rows: int,
                     error: str | None = None) -> None:
    """Store what a file's data rows name in ``inbox_file_units`` (by sha256 and list): the load writes
    it for every file it reads, the sensor for every file it sees, so ``unit_submissions`` (the
    bulletin, the ranking) reads the same answer as ``cli status`` and the alerts."""
    db.replace_partition(conn, "inbox_file_units", {"sha256": sha256, "list": list_name}, [
        {"sha256": sha256, "list": list_name, "units": json.dumps(senders, ensure_ascii=False), "error": error,
         "data_rows": data_rows}])


def file_senders(conn: Connection, f: InboxFile, sha256: str) -> list[str]:
    """Who sent the file's rows (the one definition of received; see the module's docstring), cached
    by sha256 and list in ``inbox_file_units``."""
    hit = db.fetch(conn, "select units, data_rows from inbox_file_units where sha256 = :s and list = :l",
                   s=sha256, l=f.list)
    if hit and hit[0]["data_rows"] is not None:
        return json.loads(hit[0]["units"])
    from keyprojects.ingest.readers import FileFault, read_file

    error, rows = None, 0
    try:
        data = f.entry.read() if f.entry is not None else None
        name = Path(f.entry.name) if f.entry is not None else f.path
        frame = read_file(name, f.list, display_name=f.file, fields=("unit",), data=data).frame
        rows = len(frame)
        units = senders_of(f.list, frame["unit"].tolist() if "unit" in frame.columns else [None] * rows)
    except FileFault as fault:
        units, error = [], str(fault)
    except Exception as exc:   # an archive member that cannot be unpacked: the load names it
        units, error = [], str(exc)
    remember_senders(conn, sha256, f.list, units, rows, error)
    return units


def file_units(conn: Connection, f: InboxFile, sha256: str) -> list[str]:
    """The units a unit library's data rows name (``file_senders`` of a library)."""
    return file_senders(conn, f, sha256)


def unit_in_name(name: str) -> list[str]:
    """The unit a file name names (its longest matching spelling). Only to say whose an ignored file
    (a PDF, a letter) probably is in its ``ignored_file`` alert: nothing is received from a name."""
    key = config.squash(Path(name).stem)
    hits = [(len(k), unit) for k, unit in config.unit_lookup().items() if len(k) >= 2 and k in key]
    return [max(hits)[1]] if hits else []


def entry_sha256(f: InboxFile) -> str:
    """The sha256 of a file (of a member's bytes, for an archive member)."""
    import hashlib

    from keyprojects.ingest.readers import sha256_of

    if f.entry is not None and f.entry.member is not None:
        return hashlib.sha256(f.entry.read()).hexdigest()
    return sha256_of(f.path)


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
                sha = entry_sha256(f)
                senders = file_senders(conn, f, sha)
                units = senders if name in UNIT_LISTS else None
                seen.update(units or ())
                out.files.append({"list": name, "file": f.file, "sha256": sha, "size": f.size,
                                  "mtime": f.mtime, "units": units, "senders": senders})
            if name in UNIT_LISTS:
                out.units_missing[name] = [u for u in everyone if u not in seen]
    return out


def submission(first_received: str | None, due: str) -> str:
    """未报送 (nothing received), 逾期报送 (first received after the deadline) or 按时报送."""
    if first_received is None:
        return "未报送"
    late = dt.datetime.fromisoformat(first_received) > dt.datetime.fromisoformat(due)
    return "逾期报送" if late else "按时报送"


def record(conn: Connection, arrivals: Arrivals, run_id: str | None) -> int:
    """Replace the quarter's ``inbox_arrivals`` rows: each list, and each unit of the libraries,
    arrived or missing, with file counts, receipt times (China time) beside the deadline and
    ``submission``: 按时报送, 逾期报送 or 未报送. A unit has sent its library when a file's data rows name
    it (``file_senders``)."""
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
                     "last_received": times[-1] if times else None,
                     "submission": submission(times[0] if times else None, arrivals.deadline)})
        if name in UNIT_LISTS:
            for u in config.units():
                mine = sorted(f["mtime"] for f in files if u.name in (f["units"] or ()))
                rows.append({**base, "list": name, "unit": u.name,
                             "status": "arrived" if mine else "missing", "files": len(mine),
                             "first_received": mine[0] if mine else None,
                             "last_received": mine[-1] if mine else None,
                             "submission": submission(mine[0] if mine else None, arrivals.deadline)})
    return db.replace_partition(conn, "inbox_arrivals", {"quarter": arrivals.quarter}, rows)
