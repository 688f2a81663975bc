"""The inbox watcher: which quarters' inbox files differ from what their last successful run loaded.

Cheap when nothing changed: for each quarter folder of the inbox, the data files' names (list folders,
the drop folder's files by the list they are, archive members), sizes and
modification times are compared with the last successful run's ``load_history`` rows; only when
those differ are the changed files hashed (sha256), and the quarter is reported when the names and
hashes differ. A quarter with no successful run is left to its scheduled run (or a backfill): the
watcher reruns quarters, it does not start them. Each report carries a run id derived from the new
files' fingerprint, so one set of files triggers at most one rerun, even when that rerun fails.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import Engine

from keyprojects import db
from keyprojects.ingest.arrivals import entry_sha256, file_stat, quarter_files
from keyprojects.operations.history import fingerprint, last_run

_QUARTER_DIR = re.compile(r"^\d{4}Q[1-4]$")


def changed_quarters(engine: Engine, inbox: Path) -> list[dict]:
    """[{quarter, run_id, fingerprint, changes}] for quarters whose files changed since their last
    successful run (``changes``: files added, removed or changed, as ``list/file``)."""
    inbox = Path(inbox)
    out = []
    if not inbox.is_dir():
        return out
    folders = sorted(p.name for p in inbox.iterdir() if p.is_dir() and _QUARTER_DIR.match(p.name))
    with engine.connect() as conn:
        for q in folders:
            last = last_run(conn, q, "success")
            if last is None:
                continue
            loaded = {(r["list"], r["file"]): r for r in db.fetch(conn, """
                select list, file, sha256, file_size, file_mtime from load_history
                where quarter = :q and run_id = :r and status = 'loaded'""", q=q, r=last["run_id"])}
            now = {(f.list, f.file): f for files in quarter_files(inbox, q).values() for f in files}
            # a member's size and time are its archive's on disk (as load_history records them)
            stat = {k: file_stat(f.path) for k, f in now.items()}
            same_stat = loaded.keys() == now.keys() and all(
                (loaded[k]["file_size"], loaded[k]["file_mtime"]) == stat[k] for k in now)
            if same_stat:
                continue
            shas = {}
            for k, f in now.items():
                old = loaded.get(k)
                same = old is not None and (old["file_size"], old["file_mtime"]) == stat[k]
                shas[k] = old["sha256"] if same else entry_sha256(f)
            changes = sorted(
                [f"{k[0]}/{k[1]} (new)" for k in now if k not in loaded]
                + [f"{k[0]}/{k[1]} (removed)" for k in loaded if k not in now]
                + [f"{k[0]}/{k[1]} (changed)" for k in now if k in loaded and shas[k] != loaded[k]["sha256"]])
            if not changes:
                continue   # touched, not changed
            fp = fingerprint([(k[0], k[1], sha) for k, sha in shas.items()])
            out.append({"quarter": q, "fingerprint": fp, "run_id": f"inbox_change__{q}__{fp[:16]}",
                        "changes": changes})
    return out
