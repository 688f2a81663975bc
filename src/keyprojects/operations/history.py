"""Operations settings and history: every run's loads, figures and state, kept (never replaced).

``load_audit`` holds the latest run of each quarter and list; ``load_history`` keeps every run's
per-file rows with the file's receipt time (its modification time in the inbox), and
``bulletin_history`` every run's unit figures, so that "when did 代县 resend its library and what
changed in the figures" is a query (README, "Operations"). ``run_history`` records each run's state
(running, success, failed): the inbox watcher and ``keyprojects.cli status`` read it instead of
Airflow's database.

Timestamps written here (``started_at``, ``finished_at``) are metadata from the caller's clock;
no logic depends on them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from keyprojects import db
from keyprojects.ingest import arrivals
from keyprojects.ingest import inbox as inbox_files

FIGURE_COLUMNS = ("dispatch_projects", "dispatch_total_investment", "industrial_investment",
                  "industrial_growth", "renovation_investment", "renovation_growth", "start_rate",
                  "registration_rate", "missed_reports")


@dataclass(frozen=True)
class OpsSettings:
    """Settings of scheduled operation (fields of ``settings.Settings``; README "Settings")."""
    deadline_days: int          # KP_LIST_DEADLINE_DAYS: days after the quarter's end the run waits
    poke_seconds: int           # KP_SENSOR_POKE_SECONDS: how often the waiting run looks again
    alert_to: tuple[str, ...]   # KP_ALERT_TO: comma-separated recipients of alert emails
    alert_from: str | None      # KP_ALERT_FROM: sender (else the kp_smtp connection's from_email)


def ops_settings() -> OpsSettings:
    """The operations settings, from the one Settings object."""
    from keyprojects import settings

    s = settings.load()
    return OpsSettings(s.deadline_days, s.poke_seconds, s.alert_to, s.alert_from)


def utc_now_iso() -> str:
    """Wall-clock time for metadata columns only (created_at, started_at, ...)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def fingerprint(files) -> str:
    """One hash over (list, file, sha256) of a quarter's data files, order-independent."""
    h = hashlib.sha256()
    for lst, name, sha in sorted((f[0], f[1], f[2] or "") for f in files):
        h.update(f"{lst}\0{name}\0{sha}\n".encode())
    return h.hexdigest()


def start_run(conn: Connection, quarter: str, run_id: str, dag_id: str | None, started_at: str) -> None:
    """Mark the run as running (a retry or a second start of the same run id replaces its row)."""
    db.replace_partition(conn, "run_history", {"quarter": quarter, "run_id": run_id}, [
        {"quarter": quarter, "dag_id": dag_id, "run_id": run_id, "state": "running",
         "fingerprint": None, "bulletin": None, "message": None, "started_at": started_at,
         "finished_at": None}])


def china_receipt(mtime: str | None) -> tuple[str | None, int | None]:
    """A file's receipt time (ISO UTC) in China time ('YYYY-MM-DD HH:MM:SS') and its China-time
    day as a day number (days since 1970-01-01): the deadline is midnight UTC+8."""
    if not mtime:
        return None, None
    local = dt.datetime.fromisoformat(mtime).astimezone(arrivals.CHINA)
    return local.strftime("%Y-%m-%d %H:%M:%S"), (local.date() - dt.date(1970, 1, 1)).days


def record_loads(conn: Connection, inbox: Path, quarter: str, list_name: str, run_id: str,
                 units_by_sha: dict[str, list[str]] | None = None) -> int:
    """Copy this run's ``load_audit`` rows of (quarter, list) into ``load_history`` with each file's
    size and receipt time. Replaces the run's own rows only (a task retry does not duplicate)."""
    rows = db.fetch(conn, """
        select quarter, list, file, sha256, status, rows_read, rows_loaded, rows_rejected,
               rows_skipped, message, run_id, loaded_at
        from load_audit where quarter = :q and list = :l""", q=quarter, l=list_name)
    out = []
    for r in rows:
        size = mtime = None
        path = inbox_files.locate(inbox, quarter, list_name, r["file"]) if r["file"] else None
        if path is not None and path.is_file():
            size, mtime = arrivals.file_stat(path)
        units = (units_by_sha or {}).get(r["sha256"] or "")
        received_at, received_day = china_receipt(mtime)
        out.append({**r, "run_id": run_id, "file_size": size, "file_mtime": mtime,
                    "received_at": received_at, "received_day": received_day,
                    "units": json.dumps(units, ensure_ascii=False) if units is not None else None})
    return db.replace_partition(
        conn, "load_history", {"quarter": quarter, "list": list_name, "run_id": run_id}, out)


def record_figures(conn: Connection, quarter: str, run_id: str) -> int:
    """Copy the quarter's unit figures as this run built them into ``bulletin_history``."""
    cols = ", ".join(FIGURE_COLUMNS)
    rows = db.fetch(conn, f"select unit, {cols} from bulletin_unit_quarter where quarter = :q",
                           q=quarter)
    return db.replace_partition(conn, "bulletin_history", {"quarter": quarter, "run_id": run_id},
                                       [{"quarter": quarter, "run_id": run_id, **r} for r in rows])


def finish_run(conn: Connection, quarter: str, run_id: str, state: str, finished_at: str, *,
               bulletin: str | None = None, message: str | None = None, dag_id: str | None = None) -> None:
    """Set the run's final state; on success also its fingerprint (what its loads read)."""
    fp = None
    if state == "success":
        files = db.fetch(conn, """
            select list, file, sha256 from load_history
            where quarter = :q and run_id = :r and status = 'loaded'""", q=quarter, r=run_id)
        fp = fingerprint([(f["list"], f["file"], f["sha256"]) for f in files])
    have = db.fetch(conn, "select started_at, dag_id from run_history where quarter = :q and run_id = :r",
                           q=quarter, r=run_id)
    started = have[0]["started_at"] if have else None
    db.replace_partition(conn, "run_history", {"quarter": quarter, "run_id": run_id}, [
        {"quarter": quarter, "dag_id": (have[0]["dag_id"] if have else None) or dag_id, "run_id": run_id,
         "state": state, "fingerprint": fp, "bulletin": bulletin, "message": message,
         "started_at": started, "finished_at": finished_at}])


def last_run(conn: Connection | Engine, quarter: str, state: str | None = None) -> dict | None:
    """The quarter's latest run (by start time), or its latest run in ``state``."""
    where = "quarter = :q" + (" and state = :s" if state else "")
    rows = db.fetch(conn, f"""
        select quarter, dag_id, run_id, state, fingerprint, bulletin, message, started_at, finished_at
        from run_history where {where}
        order by coalesce(finished_at, started_at) desc, started_at desc""", q=quarter,
                           **({"s": state} if state else {}))
    return rows[0] if rows else None
